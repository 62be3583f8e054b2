import { generateKeyPairSync, verify } from 'node:crypto';

import { Workflow } from 'n8n-workflow';
import type {
	ICredentialDataDecryptedObject,
	IHttpRequestHelper,
	IHttpRequestOptions,
	INode,
	INodeTypes,
} from 'n8n-workflow';

import { FhirR4Api } from '../../../credentials/FhirR4Api.credentials';
import { createFhirAdapter, defaultSmartScope } from '../../../nodes/shared/ehr/fhir';
import { buildClientAssertion, normalizePem, SmartAuthError } from '../../../nodes/shared/ehr/fhir/smart';
import { startFhirServer } from '../../../sandbox/fhir-server';
import type { FhirServer } from '../../../sandbox/fhir-server';
import { fetchHttpClient, instantRetryPolicy } from '../../helpers/fetchHttpClient';
import { context, seedEncounter, seedPatient } from './fixtures';

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ec = generateKeyPairSync('ec', { namedCurve: 'P-384' });
const otherRsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const pem = (key: typeof rsa.privateKey) => key.export({ type: 'pkcs8', format: 'pem' }).toString();
const spki = (key: typeof rsa.publicKey) => key.export({ type: 'spki', format: 'pem' }).toString();

const keys = {
	RS384: { clientId: 'post-visit-rs', keyId: 'rs-2026', privateKey: pem(rsa.privateKey), publicKey: rsa.publicKey },
	ES384: { clientId: 'post-visit-es', keyId: 'es-2026', privateKey: pem(ec.privateKey), publicKey: ec.publicKey },
} as const;

let server: FhirServer;
const credential = new FhirR4Api();

beforeAll(async () => {
	server = await startFhirServer({
		smartClients: [
			{ clientId: keys.RS384.clientId, publicKeyPem: spki(rsa.publicKey), keyId: keys.RS384.keyId },
			{ clientId: keys.ES384.clientId, publicKeyPem: spki(ec.publicKey), keyId: keys.ES384.keyId },
		],
	});
});

afterAll(async () => {
	await server.close();
});

beforeEach(async () => {
	server.reset();
	server.settings.bearerToken = undefined;
	server.settings.basicAuth = undefined;
	await seedPatient(server.repo, { id: 'p1', zone: 'America/Chicago' });
	await seedEncounter(server.repo, { id: 'e1', patient: 'p1' });
});

/** What n8n hands preAuthentication: `this.helpers.httpRequest`, here implemented with fetch. */
const requestHelper: IHttpRequestHelper = {
	helpers: {
		httpRequest: (async (options: IHttpRequestOptions) => {
			const response = await fetch(options.url, {
				method: options.method,
				headers: options.headers as Record<string, string>,
				body: options.body as string | undefined,
			});
			const text = await response.text();
			let body: unknown = text;
			try {
				body = JSON.parse(text);
			} catch {
				// leave text
			}
			if (!response.ok && !options.ignoreHttpStatusErrors) throw new Error(`HTTP ${response.status}`);
			return options.returnFullResponse ? { statusCode: response.status, headers: {}, body } : body;
		}) as IHttpRequestHelper['helpers']['httpRequest'],
	},
};

/** Resolves a credential expression with n8n's own expression engine, as n8n's credentials helper does. */
function resolveExpression(expression: string, credentials: ICredentialDataDecryptedObject): unknown {
	const node: INode = { id: 'n', name: 'Node', type: 'test.noOp', typeVersion: 1, position: [0, 0], parameters: {} };
	const nodeType = { description: { properties: [] } };
	const nodeTypes = { getByName: () => nodeType, getByNameAndVersion: () => nodeType, getKnownTypes: () => ({}) };
	const workflow = new Workflow({ nodes: [node], connections: {}, active: false, nodeTypes: nodeTypes as unknown as INodeTypes });
	return workflow.expression.getSimpleParameterValue(node, expression, 'internal', { $credentials: credentials });
}

function authorizationFor(credentials: ICredentialDataDecryptedObject): string | undefined {
	const header = credential.authenticate.properties.headers?.Authorization as string;
	return resolveExpression(header, credentials) as string | undefined;
}

function smartCredentials(algorithm: 'RS384' | 'ES384', tokenUrl = ''): ICredentialDataDecryptedObject {
	return {
		baseUrl: server.url,
		authentication: 'smartBackend',
		clientId: keys[algorithm].clientId,
		tokenUrl,
		privateKey: keys[algorithm].privateKey,
		keyId: keys[algorithm].keyId,
		algorithm,
		scope: defaultSmartScope,
		accessToken: '',
	};
}

describe('SMART Backend Services through the credential', () => {
	it.each([
		['RS384', 'discovered token URL'],
		['RS384', 'explicit token URL'],
		['ES384', 'discovered token URL'],
		['ES384', 'explicit token URL'],
	] as const)('%s, %s: the server verifies the assertion and the token opens the FHIR API', async (algorithm, how) => {
		const explicit = how === 'explicit token URL';
		const data = smartCredentials(algorithm, explicit ? server.tokenUrl : '');
		const before = Math.floor(Date.now() / 1000);
		const result = await credential.preAuthentication.call(requestHelper, data);

		const issued = server.issuedTokens.at(-1);
		expect(result).toEqual({ accessToken: issued?.accessToken });
		expect(issued?.scope).toBe(defaultSmartScope);
		expect(issued?.assertion.header).toEqual({ alg: algorithm, typ: 'JWT', kid: keys[algorithm].keyId });
		const claims = issued?.assertion.claims ?? {};
		expect(claims).toMatchObject({ iss: keys[algorithm].clientId, sub: keys[algorithm].clientId, aud: server.tokenUrl });
		expect(claims.jti).toMatch(/^[0-9a-f-]{36}$/);
		expect(Number(claims.exp) - before).toBeLessThanOrEqual(300);
		expect(server.requests.some((request) => request.path === '/.well-known/smart-configuration')).toBe(!explicit);

		const authorization = authorizationFor({ ...data, ...result } as ICredentialDataDecryptedObject);
		expect(authorization).toBe(`Bearer ${issued?.accessToken}`);
		const adapter = createFhirAdapter({
			http: fetchHttpClient(server.url, () => ({ authorization: authorization as string })),
			retry: instantRetryPolicy(),
		});
		const visit = await adapter.resolveVisit({ ehr: 'fhir', eventId: 'x', topic: 't', resourceType: 'Encounter', resourceId: 'e1' }, context);
		expect(visit.status).toBe('completed');
	});

	it('without a token the same server answers 401', async () => {
		const response = await fetch(`${server.url}/Patient/p1`);
		expect(response.status).toBe(401);
	});

	it('uses a fresh jti for every assertion', async () => {
		await credential.preAuthentication.call(requestHelper, smartCredentials('RS384'));
		await credential.preAuthentication.call(requestHelper, smartCredentials('RS384'));
		const [first, second] = server.issuedTokens.map((token) => token.assertion.claims.jti);
		expect(first).not.toBe(second);
	});

	it.each([
		['PEM pasted into a single-line field', (key: string) => key.replace(/\n/g, ' ')],
		['PEM with literal \\n sequences', (key: string) => key.replace(/\n/g, '\\n')],
		['PEM without any line breaks', (key: string) => key.replace(/\n/g, '')],
	])('accepts a %s', async (_name, mangle) => {
		const data = { ...smartCredentials('ES384'), privateKey: mangle(keys.ES384.privateKey) };
		await expect(credential.preAuthentication.call(requestHelper, data)).resolves.toHaveProperty('accessToken');
	});

	it.each([
		['a key the EHR does not know', { privateKey: pem(otherRsa.privateKey) }, /answered 400 \(invalid_client: signature does not verify\)/],
		['an unregistered client id', { clientId: 'someone-else' }, /invalid_client: unknown client/],
		['a wrong key id', { keyId: 'old-key' }, /invalid_client: unknown kid/],
		['RS384 with an EC key', { privateKey: keys.ES384.privateKey }, /RS384 needs an RSA private key/],
		['a private key that is not PEM', { privateKey: 'not a key' }, /not a readable PEM private key/],
	])('fails clearly with %s', async (_name, override, message) => {
		const data = { ...smartCredentials('RS384'), ...override };
		const failure = credential.preAuthentication.call(requestHelper, data);
		await expect(failure).rejects.toThrow(message);
		await expect(failure).rejects.not.toThrow(/BEGIN|PRIVATE KEY/);
	});

	it('says to enter the token URL when discovery fails', async () => {
		const data = { ...smartCredentials('RS384'), baseUrl: `${server.origin}/not-fhir` };
		await expect(credential.preAuthentication.call(requestHelper, data)).rejects.toThrow(
			new SmartAuthError(`SMART discovery at ${server.origin}/not-fhir/.well-known/smart-configuration answered 404; enter the Token URL instead`),
		);
	});

	it.each(['bearer', 'basic', 'none'])('does nothing for %s authentication', async (authentication) => {
		await expect(credential.preAuthentication.call(requestHelper, { ...smartCredentials('RS384'), authentication })).resolves.toEqual({});
		expect(server.requests).toEqual([]);
	});
});

describe('buildClientAssertion', () => {
	const now = new Date('2026-03-10T12:00:00Z');
	it.each([
		['RS384', 256],
		['ES384', 96],
	] as const)('%s: a compact JWS whose signature verifies as JOSE (%i bytes)', (algorithm, length) => {
		const jwt = buildClientAssertion({
			clientId: 'c',
			tokenUrl: 'https://ehr.example.test/oauth2/token',
			privateKeyPem: keys[algorithm].privateKey,
			keyId: 'k',
			algorithm,
			now,
			lifetimeSeconds: 3600,
		});
		const [header, claims, signature] = jwt.split('.');
		expect(JSON.parse(Buffer.from(header, 'base64url').toString())).toEqual({ alg: algorithm, typ: 'JWT', kid: 'k' });
		const body = JSON.parse(Buffer.from(claims, 'base64url').toString());
		// A longer lifetime than the spec allows is capped at 300 s.
		expect(body).toMatchObject({ iss: 'c', sub: 'c', aud: 'https://ehr.example.test/oauth2/token', exp: now.getTime() / 1000 + 300 });
		const raw = Buffer.from(signature, 'base64url');
		expect(raw).toHaveLength(length);
		const key = algorithm === 'ES384' ? { key: keys.ES384.publicKey, dsaEncoding: 'ieee-p1363' as const } : keys.RS384.publicKey;
		expect(verify('sha384', Buffer.from(`${header}.${claims}`), key, raw)).toBe(true);
	});

	it('ES384 refuses a key on another curve', () => {
		const p256 = generateKeyPairSync('ec', { namedCurve: 'P-256' });
		expect(() =>
			buildClientAssertion({ clientId: 'c', tokenUrl: 'https://x/token', privateKeyPem: pem(p256.privateKey), algorithm: 'ES384', now }),
		).toThrow('ES384 needs an EC private key on the P-384 curve');
	});

	it('normalizePem leaves a well-formed PEM readable', () => {
		expect(normalizePem(keys.RS384.privateKey)).toBe(keys.RS384.privateKey);
	});
});

describe('the credential for other authentication modes', () => {
	it('declares what n8n needs', () => {
		expect(credential.name).toBe('fhirR4Api');
		expect(credential.displayName).toBe('FHIR R4 API');
		expect(credential.icon).toEqual({ light: 'file:fhir.svg', dark: 'file:fhir.dark.svg' });
		expect(credential.documentationUrl).toBe('https://www.npmjs.com/package/n8n-nodes-post-visit#fhir-r4-api-epic-and-other-fhir-ehrs');
		expect(credential.properties.find((property) => property.name === 'accessToken')).toMatchObject({
			type: 'hidden',
			typeOptions: { expirable: true },
		});
		expect(credential.test.request).toEqual({
			baseURL: '={{$credentials.baseUrl}}',
			url: '/metadata',
			method: 'GET',
			headers: { Accept: 'application/fhir+json' },
		});
	});

	it.each([
		['smartBackend', { accessToken: 'tok' }, 'Bearer tok'],
		['bearer', { bearerToken: 'static-token' }, 'Bearer static-token'],
		['basic', { username: 'svc', password: 'p:ss' }, `Basic ${Buffer.from('svc:p:ss').toString('base64')}`],
		['none', {}, undefined],
	])('%s sets the expected Authorization header', (authentication, fields, expected) => {
		expect(authorizationFor({ authentication, ...fields })).toBe(expected);
	});

	it.each([
		['bearer', { bearerToken: 'static-token' }],
		['basic', { username: 'svc', password: 'p:ss' }],
	])('%s: the test request (GET /metadata) and a FHIR read both succeed', async (authentication, fields) => {
		server.settings.bearerToken = 'static-token';
		server.settings.basicAuth = { username: 'svc', password: 'p:ss' };
		const credentials = { baseUrl: server.url, authentication, ...fields };
		const authorization = authorizationFor(credentials) as string;
		const request = credential.test.request;
		const baseURL = resolveExpression(request.baseURL as string, credentials) as string;
		const metadata = await fetch(`${baseURL}${request.url}`, {
			method: request.method,
			headers: { ...(request.headers as Record<string, string>), authorization },
		});
		expect(metadata.status).toBe(200);
		expect(await metadata.json()).toMatchObject({ resourceType: 'CapabilityStatement', fhirVersion: '4.0.1' });
		const read = await fetch(`${baseURL}/Patient/p1`, { headers: { authorization } });
		expect(read.status).toBe(200);
		const wrong = await fetch(`${baseURL}/Patient/p1`, { headers: { authorization: 'Bearer wrong' } });
		expect(wrong.status).toBe(401);
	});
});
