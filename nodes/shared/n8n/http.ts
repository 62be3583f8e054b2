import type {
	ICredentialDataDecryptedObject,
	IDataObject,
	IExecuteFunctions,
	IHookFunctions,
	IHttpRequestOptions,
	IPollFunctions,
	IWebhookFunctions,
} from 'n8n-workflow';

import type { HttpClient, HttpRequest, HttpResponse } from '../ehr/types';

export type HttpCapableContext = IExecuteFunctions | IPollFunctions | IHookFunctions | IWebhookFunctions;

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

/**
 * The adapters' HttpClient over n8n's HTTP helpers. Error statuses are returned, not thrown, so the adapter
 * can retry 429/5xx. Tokens stay in the credential (refreshed by n8n, shared by queue-mode workers), never in
 * process memory beyond this node run.
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
	return async (request: HttpRequest) => {
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
}
