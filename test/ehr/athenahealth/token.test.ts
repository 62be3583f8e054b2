import type { ICredentialDataDecryptedObject, IHttpRequestHelper } from 'n8n-workflow';

import { AthenahealthApi } from '../../../credentials/AthenahealthApi.credentials';
import { athenaBaseUrl, athenaTokenUrl, defaultAthenaScope, requestAthenaToken } from '../../../nodes/shared/ehr/athenahealth';
import { EhrHttpError } from '../../../nodes/shared/ehr/http';
import { startAthenaServer } from '../../../sandbox/athenahealth-server';
import type { AthenaSandbox } from '../../../sandbox/athenahealth-server';
import { fetchHttpClient } from '../../helpers/fetchHttpClient';
import { clientId, clientSecret, fetchN8nHttpRequest, practiceId, serverNow } from './helpers';

/** What n8n hands preAuthentication: an object whose helpers.httpRequest makes the call. */
const requestHelper = { helpers: { httpRequest: fetchN8nHttpRequest } } as unknown as IHttpRequestHelper;

describe('athenahealth credential and token request', () => {
	let server: AthenaSandbox;
	const credential = new AthenahealthApi();

	beforeEach(async () => {
		server = await startAthenaServer({ practiceId, clientId, clientSecret, now: () => serverNow, tokenRateLimitPerMinute: 5 });
	});

	afterEach(async () => {
		await server.close();
	});

	function data(overrides: Partial<ICredentialDataDecryptedObject> = {}): ICredentialDataDecryptedObject {
		return { environment: 'custom', baseUrl: `${server.url}/`, clientId, clientSecret, practiceId, scope: defaultAthenaScope, accessToken: '', ...overrides };
	}

	async function preAuthenticate(overrides: Partial<ICredentialDataDecryptedObject> = {}) {
		return await credential.preAuthentication!.call(requestHelper, data(overrides));
	}

	it('fetches a token with HTTP Basic client auth and a client_credentials form, and returns only the expirable field', async () => {
		const result = await preAuthenticate();
		expect(Object.keys(result)).toEqual(['accessToken']);
		expect(typeof result.accessToken).toBe('string');
		expect(server.state.tokenRequests).toEqual([
			{
				at: serverNow,
				basicAuth: true,
				clientAccepted: true,
				grantType: 'client_credentials',
				scope: defaultAthenaScope,
				contentType: 'application/x-www-form-urlencoded',
			},
		]);
		const http = fetchHttpClient(server.url, () => ({ authorization: `Bearer ${String(result.accessToken)}` }));
		const departments = await http({ method: 'GET', url: `/v1/${practiceId}/departments`, qs: { limit: 1 } });
		expect(departments.status).toBe(200);
	});

	it('sends the configured scope, falling back to athena/service/Athenanet.MDP.* when empty', async () => {
		await preAuthenticate({ scope: 'athena/service/Athenanet.MDP.* system/Patient.read' });
		await preAuthenticate({ scope: '' });
		expect(server.state.tokenRequests.map((entry) => entry.scope)).toEqual([
			'athena/service/Athenanet.MDP.* system/Patient.read',
			defaultAthenaScope,
		]);
	});

	it('gets a new token after athena stops accepting the old one (n8n calls preAuthentication again on a 401)', async () => {
		const first = await preAuthenticate();
		server.expireTokens();
		const stale = fetchHttpClient(server.url, () => ({ authorization: `Bearer ${String(first.accessToken)}` }));
		expect((await stale({ method: 'GET', url: `/v1/${practiceId}/departments` })).status).toBe(401);
		const second = await preAuthenticate();
		expect(second.accessToken).not.toBe(first.accessToken);
		const fresh = fetchHttpClient(server.url, () => ({ authorization: `Bearer ${String(second.accessToken)}` }));
		expect((await fresh({ method: 'GET', url: `/v1/${practiceId}/departments` })).status).toBe(200);
		expect(server.state.tokenRequests).toHaveLength(2);
	});

	it('reports refused client credentials without echoing the secret', async () => {
		const error = await preAuthenticate({ clientSecret: 'wrong-secret-value' }).catch((caught: unknown) => caught as Error);
		expect(error).toBeInstanceOf(EhrHttpError);
		expect(error).toMatchObject({ status: 401, retryable: false, message: 'athenahealth answered 401: token request refused: Client authentication failed.' });
		expect(error.message).not.toContain('wrong-secret-value');
	});

	it('surfaces athena\'s token rate limit as a retryable error', async () => {
		for (let i = 0; i < 5; i++) await preAuthenticate();
		await expect(preAuthenticate()).rejects.toMatchObject({ status: 429, retryable: true });
	});

	it('needs a client ID and secret before calling athena', async () => {
		await expect(preAuthenticate({ clientId: '' })).rejects.toThrow('needs a client ID and a client secret');
		expect(server.state.tokenRequests).toHaveLength(0);
	});

	it('reports a 200 without an access token as a malformed token response', async () => {
		server.injectFault({ path: '/oauth2/v1/token', status: 200, body: { token_type: 'Bearer' } });
		await expect(
			requestAthenaToken(fetchN8nHttpRequest, { tokenUrl: `${server.url}/oauth2/v1/token`, clientId, clientSecret }),
		).rejects.toThrow('token response had no access_token');
	});

	it.each([
		[{ environment: 'preview' }, 'https://api.preview.platform.athenahealth.com'],
		[{ environment: 'production' }, 'https://api.platform.athenahealth.com'],
		[{ environment: undefined }, 'https://api.preview.platform.athenahealth.com'],
		[{ environment: 'custom', baseUrl: 'http://127.0.0.1:4010//' }, 'http://127.0.0.1:4010'],
	])('resolves the hosts of %o', (connection, host) => {
		expect(athenaBaseUrl(connection)).toBe(host);
		expect(athenaTokenUrl(connection)).toBe(`${host}/oauth2/v1/token`);
	});

	it('refuses a custom environment without a base URL', () => {
		expect(() => athenaBaseUrl({ environment: 'custom', baseUrl: ' ' })).toThrow('needs a base URL');
	});

	it.each([
		[{ environment: 'preview' }, 'https://api.preview.platform.athenahealth.com'],
		[{ environment: 'production' }, 'https://api.platform.athenahealth.com'],
		[{ environment: 'custom', baseUrl: 'http://127.0.0.1:4010/' }, 'http://127.0.0.1:4010'],
	])('tests the connection against the same host as the adapter for %o', (connection, host) => {
		const expression = String(credential.test.request.baseURL);
		const body = /^=\{\{(.*)\}\}$/s.exec(expression)?.[1];
		const evaluate = new Function('$credentials', `return (${body});`) as (credentials: object) => string;
		expect(evaluate(connection)).toBe(host);
		expect(athenaBaseUrl(connection)).toBe(host);
	});

	it('declares the token as a hidden expirable field, sends it as a Bearer header and tests against departments', () => {
		expect(credential.name).toBe('athenahealthApi');
		const token = credential.properties.find((property) => property.name === 'accessToken');
		expect(token).toMatchObject({ type: 'hidden', typeOptions: { expirable: true } });
		expect(credential.authenticate).toEqual({ type: 'generic', properties: { headers: { Authorization: '=Bearer {{$credentials.accessToken}}' } } });
		expect(credential.test.request).toMatchObject({ url: '=/v1/{{$credentials.practiceId}}/departments', qs: { limit: 1 } });
		expect(credential.properties.find((property) => property.name === 'clientSecret')?.typeOptions).toEqual({ password: true });
	});
});
