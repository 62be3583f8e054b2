import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { Workflow, type ICredentialDataDecryptedObject, type INode, type INodeTypes } from 'n8n-workflow';

import { PostVisitSmtpApi } from '../../credentials/PostVisitSmtpApi.credentials';
import { PostVisitTwilioApi } from '../../credentials/PostVisitTwilioApi.credentials';
import { startTwilioApi, type TwilioApiSandbox } from '../../sandbox/twilio-api';

const accountSid = 'AC0123456789abcdef0123456789abcdef';
const authToken = 'sandbox-auth-token-0001';
const apiKeySid = 'SKfedcba9876543210fedcba9876543210';
const apiKeySecret = 'sandbox-api-key-secret-0001';

/** Resolves credential expressions with n8n's own expression engine, as its credentials helper does. */
function resolver() {
	const nodeTypes = {
		getByName: () => ({ description: { properties: [] } }),
		getByNameAndVersion: () => ({ description: { properties: [] } }),
		getKnownTypes: () => ({}),
	} as unknown as INodeTypes;
	const node: INode = { id: '1', name: 'Credential test', type: 'test.credential', typeVersion: 1, position: [0, 0], parameters: {} };
	const workflow = new Workflow({ nodes: [node], connections: {}, active: false, nodeTypes });
	return (value: unknown, credentials: ICredentialDataDecryptedObject) =>
		String(
			workflow.expression.getSimpleParameterValue(node, value as string, 'internal', { $credentials: credentials } as never, undefined, ''),
		);
}

/** Builds the request n8n would make for the credential's `test`, with its generic Basic auth. */
function credentialTestRequest(credentials: ICredentialDataDecryptedObject) {
	const type = new PostVisitTwilioApi();
	const resolve = resolver();
	const { baseURL, url, method } = type.test.request;
	const auth = type.authenticate.properties.auth!;
	return {
		method: method ?? 'GET',
		url: resolve(baseURL, credentials) + resolve(url, credentials),
		username: resolve(auth.username, credentials),
		password: resolve(auth.password, credentials),
	};
}

let sandbox: TwilioApiSandbox;

beforeAll(async () => {
	sandbox = await startTwilioApi({ accountSid, authToken, apiKeys: { [apiKeySid]: apiKeySecret } });
});
afterAll(async () => {
	await sandbox.close();
});

describe('Post-Visit Twilio API credential', () => {
	const base = () => ({ accountSid, authToken, apiKeySid, apiKeySecret, apiBaseUrl: sandbox.url });

	it.each<[string, () => ICredentialDataDecryptedObject, string]>([
		['auth token', () => ({ ...base(), authType: 'authToken' }), accountSid],
		['API key', () => ({ ...base(), authType: 'apiKey' }), apiKeySid],
		['a base URL with a trailing slash', () => ({ ...base(), authType: 'authToken', apiBaseUrl: `${sandbox.url}/` }), accountSid],
	])('its test request reads the account with %s', async (_label, credentials, expectedUser) => {
		const request = credentialTestRequest(credentials());
		expect(request).toMatchObject({
			method: 'GET',
			url: `${sandbox.url}/2010-04-01/Accounts/${accountSid}.json`,
			username: expectedUser,
		});

		const response = await fetch(request.url, {
			method: request.method,
			headers: { authorization: `Basic ${Buffer.from(`${request.username}:${request.password}`).toString('base64')}` },
		});
		expect(response.status).toBe(200);
		expect(await response.json()).toMatchObject({ sid: accountSid, status: 'active' });
	});

	it('its test request fails with Twilio 20003 for a wrong secret', async () => {
		const request = credentialTestRequest({ ...base(), authType: 'apiKey', apiKeySecret: 'wrong-secret' });
		const response = await fetch(request.url, {
			headers: { authorization: `Basic ${Buffer.from(`${request.username}:${request.password}`).toString('base64')}` },
		});
		expect(response.status).toBe(401);
		expect(await response.json()).toEqual({
			code: 20003,
			message: 'Authentication Error - invalid username',
			detail: 'Your AccountSid or AuthToken was incorrect.',
			more_info: 'https://www.twilio.com/docs/errors/20003',
			status: 401,
		});
	});

	it('defaults to Twilio itself when the base URL is empty', () => {
		expect(credentialTestRequest({ accountSid, authType: 'authToken', authToken, apiBaseUrl: '' }).url).toBe(
			`https://api.twilio.com/2010-04-01/Accounts/${accountSid}.json`,
		);
	});
});

describe.each([
	['Twilio', new PostVisitTwilioApi(), 'postVisitTwilioApi', ['authToken', 'apiKeySecret']],
	['SMTP', new PostVisitSmtpApi(), 'postVisitSmtpApi', ['password']],
])('the %s credential description', (_label, credential, name, secrets) => {
	it('has its name, a documentation URL and distinct light and dark icons that exist', () => {
		expect(credential.name).toBe(name);
		expect(() => new URL(credential.documentationUrl)).not.toThrow();
		const { light, dark } = credential.icon;
		expect(light).not.toBe(dark);
		for (const icon of [light, dark]) {
			const file = join(__dirname, '../../credentials', icon.replace(/^file:/, ''));
			expect(existsSync(file)).toBe(true);
			expect(readFileSync(file, 'utf8')).toMatch(/^<svg [^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
		}
	});

	it('masks exactly its secrets and defaults them to empty', () => {
		const masked = credential.properties.filter((p) => p.typeOptions?.password).map((p) => p.name);
		expect(masked.sort()).toEqual([...secrets].sort());
		for (const property of credential.properties.filter((p) => secrets.includes(p.name))) expect(property.default).toBe('');
	});
});

it('the SMTP credential defaults to port 587 with required STARTTLS', () => {
	const defaults = Object.fromEntries(new PostVisitSmtpApi().properties.map((p) => [p.name, p.default]));
	expect(defaults).toMatchObject({ port: 587, security: 'starttls', ignoreSslIssues: false });
	expect(Object.keys(defaults)).toEqual(['host', 'port', 'security', 'ignoreSslIssues', 'user', 'password', 'fromEmail', 'fromName', 'replyTo']);
});
