import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';

import { generateKeyPairSync } from 'node:crypto';

import { HookContext } from 'n8n-core';
import type { ICredentialDataDecryptedObject, IHttpRequestHelper } from 'n8n-workflow';

import { AthenahealthApi } from '../../credentials/AthenahealthApi.credentials';
import { FhirR4Api } from '../../credentials/FhirR4Api.credentials';

import { EhrTrigger } from '../../nodes/EhrTrigger/EhrTrigger.node';
import { VisitDetails } from '../../nodes/VisitDetails/VisitDetails.node';
import type { EhrKind } from '../../nodes/shared/core/schemas';
import { EhrResponseError } from '../../nodes/shared/ehr/http';
import { ehrAdapterFor } from '../../nodes/shared/n8n/ehr';
import { httpClientFor } from '../../nodes/shared/n8n/http';
import { createEngine } from '../helpers/engine';
import { packCredentialTypes } from '../helpers/fixtures';

/*
 * The EHR transport through n8n-core's real request helpers (axios and follow-redirects as n8n 2.41 sets them up):
 * an EHR's access token goes to the credential's own server and nowhere else, whatever the EHR answers.
 */

interface Seen {
	path: string;
	authorization?: string;
}

interface LocalServer {
	url: string;
	seen: Seen[];
	close(): Promise<void>;
}

type Handler = (request: IncomingMessage, response: ServerResponse) => void;

async function serve(handler: Handler): Promise<LocalServer> {
	const seen: Seen[] = [];
	const server: Server = createServer((request, response) => {
		seen.push({ path: request.url ?? '', authorization: request.headers.authorization });
		handler(request, response);
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const { port } = server.address() as { port: number };
	return {
		url: `http://127.0.0.1:${port}`,
		seen,
		close: async () => await new Promise<void>((resolve) => server.close(() => resolve())),
	};
}

function json(response: ServerResponse, status: number, body: unknown): void {
	response.writeHead(status, { 'content-type': 'application/json' });
	response.end(JSON.stringify(body));
}

function redirect(response: ServerResponse, location: string, status = 302): void {
	response.writeHead(status, { location });
	response.end();
}

const token = 'ehr-access-token-0123456789';

/** A HookContext (n8n-core's real helpers) of a node that holds the given EHR credential. */
function hookContext(ehr: EhrKind, credentialType: string, credential: ICredentialDataDecryptedObject) {
	const fhir = ehr === 'fhir';
	const engine = createEngine(
		{
			nodes: [
				fhir
					? { name: 'Node', type: 'n8n-nodes-post-visit.ehrTrigger', parameters: { ehr, path: 'x', manageSubscription: true } }
					: { name: 'Node', type: 'n8n-nodes-post-visit.visitDetails', parameters: { ehr } },
			],
			connections: {},
		},
		{
			nodeTypes: { ehrTrigger: new EhrTrigger(), visitDetails: new VisitDetails() },
			credentials: { [credentialType]: credential },
			credentialTypes: packCredentialTypes(),
		},
	);
	return new HookContext(engine.workflow, engine.node('Node'), engine.additionalData, 'trigger', 'activate');
}

describe('the EHR transport keeps the access token on the credential\'s own server', () => {
	let elsewhere: LocalServer;
	let ehr: LocalServer;

	beforeEach(async () => {
		elsewhere = await serve((_request, response) => json(response, 200, { resourceType: 'Patient', id: 'stolen' }));
	});
	afterEach(async () => {
		await ehr?.close();
		await elsewhere.close();
	});

	it('does not follow a redirect to another origin with the token (direct Authorization)', async () => {
		ehr = await serve((_request, response) => redirect(response, `${elsewhere.url}/collect`));
		const context = hookContext('fhir', 'fhirR4Api', { baseUrl: 'unused', authentication: 'bearer', bearerToken: token });
		const http = httpClientFor(context, 'fhirR4Api', ehr.url, { authentication: 'bearer', bearerToken: token });

		const outcome = await http({ method: 'GET', url: '/Patient/1' }).catch((error: unknown) => error);

		expect(elsewhere.seen).toEqual([]);
		expect(outcome).toBeInstanceOf(EhrResponseError);
		expect(outcome).toMatchObject({ ehr: 'fhir', field: 'Location' });
		expect(String((outcome as Error).message)).not.toContain(token);
	});

	it('does not follow a redirect to another origin with the token n8n adds itself (after a 401)', async () => {
		let calls = 0;
		ehr = await serve((_request, response) => {
			// The first request (the node's own header) is refused, so n8n's httpRequestWithAuthentication resends.
			if (calls++ === 0) json(response, 401, { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'login' }] });
			else redirect(response, `${elsewhere.url}/collect`, 307);
		});
		const credential = { baseUrl: ehr.url, authentication: 'bearer', bearerToken: token };
		const context = hookContext('fhir', 'fhirR4Api', credential);
		const http = httpClientFor(context, 'fhirR4Api', ehr.url, credential);

		await http({ method: 'GET', url: '/Patient/1' }).catch(() => undefined);

		expect(ehr.seen.map((request) => request.authorization)).toEqual([`Bearer ${token}`, `Bearer ${token}`]);
		expect(elsewhere.seen).toEqual([]);
	});

	it('does not follow a redirect to another origin with the token n8n\'s OAuth2 client signs (DrChrono)', async () => {
		ehr = await serve((_request, response) => redirect(response, `${elsewhere.url}/collect`));
		const credential = { baseUrl: ehr.url, grantType: 'authorizationCode', oauthTokenData: { access_token: token, token_type: 'Bearer' } };
		// No credential handed over: every request goes through httpRequestWithAuthentication (n8n's OAuth2 path).
		const http = httpClientFor(hookContext('drchrono', 'drChronoOAuth2Api', credential), 'drChronoOAuth2Api', ehr.url);

		await expect(http({ method: 'GET', url: '/api/appointments/9001' })).rejects.toMatchObject({ field: 'Location' });
		expect(ehr.seen).toEqual([{ path: '/api/appointments/9001', authorization: `Bearer ${token}` }]);
		expect(elsewhere.seen).toEqual([]);
	});

	it('still follows a redirect on the same server, with the token (DrChrono\'s /api/users/current)', async () => {
		ehr = await serve((request, response) => {
			if (request.url === '/api/users/current') redirect(response, '/api/users/77');
			else json(response, 200, { id: '77', doctor: '1001' });
		});
		const credential = { oauthTokenData: { access_token: token } };
		const http = httpClientFor(hookContext('drchrono', 'drChronoOAuth2Api', credential), 'drChronoOAuth2Api', ehr.url, credential);

		const response = await http({ method: 'GET', url: '/api/users/current' });

		expect(response).toMatchObject({ status: 200, body: { id: '77' } });
		expect(ehr.seen).toEqual([
			{ path: '/api/users/current', authorization: `Bearer ${token}` },
			{ path: '/api/users/77', authorization: `Bearer ${token}` },
		]);
	});

	it('refuses an absolute URL on another server before sending anything', async () => {
		ehr = await serve((_request, response) => json(response, 200, {}));
		const credential = { accessToken: token, practiceId: '195900', environment: 'custom', baseUrl: 'unused' };
		const http = httpClientFor(hookContext('athenahealth', 'athenahealthApi', credential), 'athenahealthApi', ehr.url, credential);

		await expect(http({ method: 'GET', url: `${elsewhere.url}/v1/195900/appointments/changed?offset=2` })).rejects.toMatchObject({
			name: 'EhrResponseError',
			ehr: 'athenahealth',
		});
		expect(elsewhere.seen).toEqual([]);
		expect(ehr.seen).toEqual([]);
	});

	it('athenahealth: a `next` page link to another host is not followed with the token', async () => {
		ehr = await serve((_request, response) =>
			json(response, 200, {
				appointments: [{ appointmentid: '5001', appointmentstatus: 'f' }],
				next: `${elsewhere.url}/v1/195900/appointments/changed?offset=1`,
			}),
		);
		const credential = { environment: 'custom', baseUrl: ehr.url, practiceId: '195900', accessToken: token };
		const context = hookContext('athenahealth', 'athenahealthApi', credential);
		const adapter = (await ehrAdapterFor(context, 'athenahealth')) as unknown as {
			rereadProcessed(window: { start: string; end: string }): Promise<unknown>;
		};

		await expect(adapter.rereadProcessed({ start: '03/10/2025 10:00:00', end: '03/10/2025 11:00:00' })).rejects.toMatchObject({
			name: 'EhrResponseError',
			field: 'next',
		});
		expect(elsewhere.seen).toEqual([]);
		expect(ehr.seen).toHaveLength(1);
	});
});

describe('token requests do not follow a redirect with the client\'s secret', () => {
	let elsewhere: LocalServer;
	let tokenServer: LocalServer;

	beforeEach(async () => {
		elsewhere = await serve((_request, response) => json(response, 200, { access_token: 'stolen', expires_in: 3600 }));
		tokenServer = await serve((_request, response) => redirect(response, `${elsewhere.url}/token`, 307));
	});
	afterEach(async () => {
		await tokenServer.close();
		await elsewhere.close();
	});

	it('athenahealth: the Basic client credentials stay with the token endpoint', async () => {
		const credential = { environment: 'custom', baseUrl: tokenServer.url, clientId: 'client-id', clientSecret: 'client-secret-0123456789', practiceId: '195900' };
		const helpers = hookContext('athenahealth', 'athenahealthApi', credential).helpers as unknown as IHttpRequestHelper['helpers'];
		await expect(new AthenahealthApi().preAuthentication.call({ helpers }, credential)).rejects.toBeDefined();
		expect(tokenServer.seen).toHaveLength(1);
		expect(elsewhere.seen).toEqual([]);
	});

	it('FHIR SMART Backend Services: the signed client assertion stays with the token endpoint', async () => {
		const key = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
		const credential = {
			baseUrl: tokenServer.url,
			authentication: 'smartBackend',
			clientId: 'post-visit',
			tokenUrl: `${tokenServer.url}/token`,
			privateKey: key,
			algorithm: 'RS384',
			scope: 'system/Patient.read',
		};
		const helpers = hookContext('fhir', 'fhirR4Api', credential).helpers as unknown as IHttpRequestHelper['helpers'];
		await expect(new FhirR4Api().preAuthentication.call({ helpers }, credential)).rejects.toBeDefined();
		expect(tokenServer.seen).toHaveLength(1);
		expect(elsewhere.seen).toEqual([]);
	});
});
