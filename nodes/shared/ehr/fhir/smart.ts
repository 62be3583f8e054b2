import { createPrivateKey, randomUUID, sign } from 'node:crypto';
import type { KeyObject } from 'node:crypto';

/**
 * SMART Backend Services (client-confidential-asymmetric): a client assertion JWT signed with the practice's
 * private key, exchanged at the token endpoint for a short-lived access token. Pure node:crypto; the HTTP
 * calls go through an injected transport so the n8n credential can use its own request helper.
 * Spec: https://hl7.org/fhir/smart-app-launch/backend-services.html
 */

export type SmartAlgorithm = 'RS384' | 'ES384';

/** SMART v1 scopes for everything the adapter reads and writes. */
export const defaultSmartScope = [
	'system/Encounter.read',
	'system/Appointment.read',
	'system/Patient.read',
	'system/ServiceRequest.read',
	'system/MedicationRequest.read',
	'system/MedicationDispense.read',
	'system/Location.read',
	'system/Organization.read',
	'system/Task.read',
	'system/Task.write',
	'system/Communication.read',
	'system/Communication.write',
].join(' ');

/** The longest assertion lifetime the spec allows. */
const maxAssertionSeconds = 300;

export class SmartAuthError extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'SmartAuthError';
	}
}

/**
 * A PEM as it survives n8n's single-line password field: newlines may be gone or typed as "\n". Rebuilds
 * the armour and 64-character lines so node:crypto can read it.
 */
export function normalizePem(pem: string): string {
	const text = pem.replace(/\\n/g, '\n').trim();
	const match = /^-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----$/.exec(text);
	if (!match) return text;
	const body = match[2].replace(/\s+/g, '');
	const lines = body.match(/.{1,64}/g) ?? [];
	return `-----BEGIN ${match[1]}-----\n${lines.join('\n')}\n-----END ${match[1]}-----\n`;
}

function privateKeyFor(pem: string, algorithm: SmartAlgorithm): KeyObject {
	let key: KeyObject;
	try {
		key = createPrivateKey(normalizePem(pem));
	} catch {
		throw new SmartAuthError('The SMART private key is not a readable PEM private key (PKCS#8, PKCS#1 or SEC1)');
	}
	if (algorithm === 'RS384' && key.asymmetricKeyType !== 'rsa') {
		throw new SmartAuthError('RS384 needs an RSA private key');
	}
	if (algorithm === 'ES384' && (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'secp384r1')) {
		throw new SmartAuthError('ES384 needs an EC private key on the P-384 curve');
	}
	return key;
}

function base64Url(value: Buffer | string): string {
	return Buffer.from(value).toString('base64url');
}

export interface ClientAssertionInput {
	clientId: string;
	/** The token endpoint URL, exactly: it is the assertion's audience. */
	tokenUrl: string;
	privateKeyPem: string;
	keyId?: string;
	algorithm: SmartAlgorithm;
	now: Date;
	/** ≤ 300 s (the spec's maximum); default 240 s, leaving room for clock skew. */
	lifetimeSeconds?: number;
}

/**
 * The signed client assertion. Header `{alg, typ: "JWT", kid}`; claims `iss = sub = clientId`,
 * `aud = tokenUrl`, `exp` ≤ now + 300 s, a fresh `jti`. ES384 signatures are JOSE r||s (IEEE P1363), not DER.
 */
export function buildClientAssertion(input: ClientAssertionInput): string {
	if (!input.clientId) throw new SmartAuthError('The SMART client ID is empty');
	const key = privateKeyFor(input.privateKeyPem, input.algorithm);
	const lifetime = Math.min(maxAssertionSeconds, Math.max(1, input.lifetimeSeconds ?? 240));
	const header: Record<string, string> = { alg: input.algorithm, typ: 'JWT' };
	if (input.keyId) header.kid = input.keyId;
	const claims = {
		iss: input.clientId,
		sub: input.clientId,
		aud: input.tokenUrl,
		exp: Math.floor(input.now.getTime() / 1000) + lifetime,
		jti: randomUUID(),
	};
	const signingInput = `${base64Url(JSON.stringify(header))}.${base64Url(JSON.stringify(claims))}`;
	const signature =
		input.algorithm === 'ES384'
			? sign('sha384', Buffer.from(signingInput), { key, dsaEncoding: 'ieee-p1363' })
			: sign('sha384', Buffer.from(signingInput), key);
	return `${signingInput}.${base64Url(signature)}`;
}

/** What a transport returns: the status and the body (parsed JSON or text). It must not throw on 4xx. */
export interface SmartHttpResponse {
	status: number;
	body: unknown;
}

export type SmartTransport = (request: {
	method: 'GET' | 'POST';
	url: string;
	headers: Record<string, string>;
	body?: string;
}) => Promise<SmartHttpResponse>;

function jsonOf(body: unknown): Record<string, unknown> | undefined {
	let value = body;
	if (typeof value === 'string') {
		try {
			value = JSON.parse(value);
		} catch {
			return undefined;
		}
	}
	return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function httpUrl(value: unknown): string | undefined {
	if (typeof value !== 'string' || !URL.canParse(value)) return undefined;
	const protocol = new URL(value).protocol;
	return protocol === 'https:' || protocol === 'http:' ? value : undefined;
}

/** `token_endpoint` from a `.well-known/smart-configuration` document. */
export function smartTokenEndpoint(configuration: unknown): string {
	const endpoint = httpUrl(jsonOf(configuration)?.token_endpoint);
	if (!endpoint) throw new SmartAuthError('The SMART configuration has no valid token_endpoint');
	return endpoint;
}

export interface SmartTokenRequest {
	baseUrl: string;
	/** Empty: discovered from `{baseUrl}/.well-known/smart-configuration`. */
	tokenUrl?: string;
	clientId: string;
	privateKeyPem: string;
	keyId?: string;
	algorithm: SmartAlgorithm;
	scope?: string;
	now: Date;
}

export interface SmartTokenResponse {
	accessToken: string;
	expiresIn?: number;
	scope?: string;
	tokenUrl: string;
}

function oauthError(response: SmartHttpResponse): string {
	const body = jsonOf(response.body);
	const parts = [body?.error, body?.error_description].filter((part): part is string => typeof part === 'string');
	const text = parts.join(': ').replace(/\s+/g, ' ').slice(0, 160);
	return text ? ` (${text})` : '';
}

/** Discovers the token endpoint when needed, signs an assertion and exchanges it for an access token. */
export async function requestSmartToken(send: SmartTransport, request: SmartTokenRequest): Promise<SmartTokenResponse> {
	let tokenUrl = request.tokenUrl?.trim();
	if (!tokenUrl) {
		const discovery = `${request.baseUrl.replace(/\/$/, '')}/.well-known/smart-configuration`;
		const response = await send({ method: 'GET', url: discovery, headers: { Accept: 'application/json' } });
		if (response.status < 200 || response.status >= 300) {
			throw new SmartAuthError(`SMART discovery at ${discovery} answered ${response.status}; enter the Token URL instead`);
		}
		tokenUrl = smartTokenEndpoint(response.body);
	}
	const assertion = buildClientAssertion({
		clientId: request.clientId,
		tokenUrl,
		privateKeyPem: request.privateKeyPem,
		keyId: request.keyId,
		algorithm: request.algorithm,
		now: request.now,
	});
	const form = new URLSearchParams({
		grant_type: 'client_credentials',
		scope: request.scope?.trim() || defaultSmartScope,
		client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
		client_assertion: assertion,
	});
	const response = await send({
		method: 'POST',
		url: tokenUrl,
		headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
		body: form.toString(),
	});
	if (response.status < 200 || response.status >= 300) {
		throw new SmartAuthError(`The SMART token endpoint answered ${response.status}${oauthError(response)}`);
	}
	const body = jsonOf(response.body);
	const accessToken = body?.access_token;
	if (typeof accessToken !== 'string' || accessToken.length === 0) {
		throw new SmartAuthError('The SMART token endpoint answered without an access_token');
	}
	return {
		accessToken,
		expiresIn: typeof body?.expires_in === 'number' ? body.expires_in : undefined,
		scope: typeof body?.scope === 'string' ? body.scope : undefined,
		tokenUrl,
	};
}
