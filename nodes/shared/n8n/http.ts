import type {
	ICredentialDataDecryptedObject,
	IDataObject,
	IExecuteFunctions,
	IHookFunctions,
	IHttpRequestOptions,
	ILoadOptionsFunctions,
	IPollFunctions,
	ITriggerFunctions,
	IWebhookFunctions,
} from 'n8n-workflow';

import { EhrResponseError, ownServerLink } from '../ehr/http';
import { headerValue } from '../ehr/signature';
import type { HttpClient, HttpRequest, HttpResponse } from '../ehr/types';

export type HttpCapableContext =
	| IExecuteFunctions
	| IPollFunctions
	| IHookFunctions
	| IWebhookFunctions
	| ITriggerFunctions
	| ILoadOptionsFunctions;

/** What the node can send by itself: the Authorization header (absent when the EHR needs none). */
export interface DirectAuthorization {
	authorization?: string;
}

function bearer(token: unknown): DirectAuthorization | undefined {
	return typeof token === 'string' && token.length > 0 ? { authorization: `Bearer ${token}` } : undefined;
}

/**
 * The Authorization header the credential's own `authenticate` adds, computed from the credential the node
 * already read, or undefined when only n8n can add it: no token yet (n8n runs `preAuthentication` or the
 * OAuth2 flow first) or a credential type this function does not know.
 *
 * Why not always `httpRequestWithAuthentication`: in n8n 2.x it decrypts the credential again outside the
 * execution and evaluates `authenticate` in a fresh expression isolate on every request, which made the
 * EHR reads most of a visit's CPU (bench/notes.md). Kept in step with the credential classes by
 * test/n8n/http.test.ts, which compares it with n8n's own evaluation of each `authenticate`.
 */
export function directAuthorization(credentialType: string, credential: ICredentialDataDecryptedObject): DirectAuthorization | undefined {
	switch (credentialType) {
		case 'fhirR4Api':
			switch (credential.authentication) {
				case 'none':
					return {};
				case 'bearer':
					return bearer(credential.bearerToken);
				case 'basic':
					return {
						authorization: `Basic ${Buffer.from(`${String(credential.username ?? '')}:${String(credential.password ?? '')}`).toString('base64')}`,
					};
				case 'smartBackend':
					return bearer(credential.accessToken);
				default:
					return undefined;
			}
		case 'athenahealthApi':
			return bearer(credential.accessToken);
		case 'drChronoOAuth2Api':
			return bearer((credential.oauthTokenData as IDataObject | undefined)?.access_token);
		case 'tebraApi':
			// Tebra's login travels inside each SOAP request: no header to add.
			return {};
		default:
			return undefined;
	}
}

interface FullResponse {
	statusCode: number;
	headers?: Record<string, string>;
	body: unknown;
}

function toHttpResponse(response: FullResponse): HttpResponse {
	let body = response.body;
	if (typeof body === 'string' && body.length > 0) {
		try {
			body = JSON.parse(body);
		} catch {
			// not JSON (an HTML error page): the adapter reports the status
		}
	}
	return { status: response.statusCode, headers: response.headers ?? {}, body };
}

function requestOptions(request: HttpRequest, baseUrl: string): IHttpRequestOptions {
	const options: IHttpRequestOptions = {
		method: request.method,
		url: request.url,
		baseURL: /^https?:\/\//.test(request.url) ? undefined : baseUrl.replace(/\/$/, ''),
		qs: request.qs as IDataObject | undefined,
		headers: { Accept: 'application/json, application/fhir+json', ...request.headers },
		returnFullResponse: true,
		arrayFormat: 'repeat',
		timeout: 20_000,
		json: true,
		// n8n 2.41 follows redirects and by default re-attaches the credentials on a cross-origin one: this client
		// follows none itself (sendFollowingOwnRedirects follows those on the credential's own server).
		disableFollowRedirect: true,
		sendCredentialsOnCrossOriginRedirect: false,
	};
	if (request.form) {
		options.body = new URLSearchParams(request.form).toString();
		options.headers = { ...options.headers, 'Content-Type': 'application/x-www-form-urlencoded' };
		options.json = false;
	} else if (request.body !== undefined) {
		options.body = request.body as IDataObject;
	}
	return options;
}

const ehrOfCredential: Record<string, string> = { fhirR4Api: 'fhir', athenahealthApi: 'athenahealth', drChronoOAuth2Api: 'drchrono' };
const redirectStatuses = new Set([301, 302, 303, 307, 308]);
const maxRedirects = 5;

function absoluteUrl(url: string, baseUrl: string): string {
	return /^https?:\/\//.test(url) ? url : `${baseUrl.replace(/\/$/, '')}/${url.replace(/^\//, '')}`;
}

/**
 * Sends a request and follows a GET's redirects itself, each Location through the same origin check as every
 * link an EHR returns (DrChrono answers /api/users/current with a redirect to the user): the token goes to the
 * credential's own server, never elsewhere. A redirect of another method is returned to the adapter as it is.
 */
async function sendFollowingOwnRedirects(send: HttpClient, request: HttpRequest, ehr: string, baseUrl: string): Promise<HttpResponse> {
	let current: HttpRequest = { ...request, url: ownServerLink(request.url, ehr, 'url', baseUrl) };
	for (let redirects = 0; ; redirects++) {
		const response = await send(current);
		const location = redirectStatuses.has(response.status) ? headerValue(response.headers, 'location') : undefined;
		if (request.method !== 'GET' || !location) return response;
		if (redirects >= maxRedirects) throw new EhrResponseError(ehr, 'Location', `more than ${maxRedirects} redirects`);
		const target = new URL(location, absoluteUrl(current.url, baseUrl)).toString();
		current = { method: 'GET', url: ownServerLink(target, ehr, 'Location', baseUrl), headers: request.headers };
	}
}

/**
 * The adapters' HttpClient over n8n's HTTP helpers. Error statuses are returned, not thrown, so the adapter
 * can retry 429/5xx. Tokens stay in the credential (refreshed by n8n, shared by queue-mode workers), never in
 * process memory beyond this node run, and go only to the credential's base URL (origin): absolute URLs and
 * redirects elsewhere are refused before anything is sent.
 *
 * Given the credential the node read, requests carry its Authorization header directly (`httpRequest`). The
 * first 401 hands this request and every later one to `httpRequestWithAuthentication`, where n8n refreshes
 * the token (`preAuthentication` or OAuth2) and resends; its own 401 is thrown.
 */
export function httpClientFor(
	context: HttpCapableContext,
	credentialType: string,
	baseUrl: string,
	credential?: ICredentialDataDecryptedObject,
): HttpClient {
	let direct = credential ? directAuthorization(credentialType, credential) : undefined;
	const ehr = ehrOfCredential[credentialType] ?? credentialType;
	const sendOnce: HttpClient = async (request) => {
		const options = requestOptions(request, baseUrl);
		if (direct) {
			const headers = direct.authorization ? { ...options.headers, Authorization: direct.authorization } : options.headers;
			const response = (await context.helpers.httpRequest({ ...options, headers, ignoreHttpStatusErrors: true })) as FullResponse;
			if (response.statusCode !== 401) return toHttpResponse(response);
			direct = undefined;
		}
		const response = (await context.helpers.httpRequestWithAuthentication.call(context, credentialType, {
			...options,
			ignoreHttpStatusErrors: { ignore: true, except: [401] },
		})) as FullResponse;
		return toHttpResponse(response);
	};
	return async (request) => await sendFollowingOwnRedirects(sendOnce, request, ehr, baseUrl);
}
