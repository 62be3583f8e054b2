import type { IDataObject, IExecuteFunctions, IHookFunctions, IHttpRequestOptions, IPollFunctions, IWebhookFunctions } from 'n8n-workflow';

import type { HttpClient, HttpRequest } from '../ehr/types';

export type HttpCapableContext = IExecuteFunctions | IPollFunctions | IHookFunctions | IWebhookFunctions;

/**
 * The adapters' HttpClient over n8n's `httpRequestWithAuthentication`, so tokens live in the credential
 * (refreshed by n8n on 401, shared by queue-mode workers) and never in process memory. Error statuses are
 * returned, not thrown, so the adapter can retry 429/5xx; 401 is left to n8n's refresh-and-resend.
 */
export function httpClientFor(context: HttpCapableContext, credentialType: string, baseUrl: string): HttpClient {
	return async (request: HttpRequest) => {
		const options: IHttpRequestOptions = {
			method: request.method,
			url: request.url,
			baseURL: /^https?:\/\//.test(request.url) ? undefined : baseUrl.replace(/\/$/, ''),
			qs: request.qs as IDataObject | undefined,
			headers: { Accept: 'application/json, application/fhir+json', ...request.headers },
			returnFullResponse: true,
			ignoreHttpStatusErrors: { ignore: true, except: [401] },
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
		const response = (await context.helpers.httpRequestWithAuthentication.call(context, credentialType, options)) as {
			statusCode: number;
			headers: Record<string, string>;
			body: unknown;
		};
		let body = response.body;
		if (typeof body === 'string' && body.length > 0) {
			try {
				body = JSON.parse(body);
			} catch {
				// not JSON (an HTML error page): the adapter reports the status
			}
		}
		return { status: response.statusCode, headers: response.headers ?? {}, body };
	};
}
