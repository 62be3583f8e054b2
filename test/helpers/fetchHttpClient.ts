import type { HttpClient, HttpRequest } from '../../nodes/shared/ehr/types';

/**
 * A real HTTP client for adapter tests: the same contract n8n's httpRequestWithAuthentication wrapper
 * fulfils in production (relative URLs against a base, never throws on error statuses), plus whatever
 * auth headers the credential would add.
 */
export function fetchHttpClient(baseUrl: string, authHeaders: () => Record<string, string> = () => ({})): HttpClient {
	return async (request: HttpRequest) => {
		const url = new URL(/^https?:\/\//.test(request.url) ? request.url : baseUrl.replace(/\/$/, '') + request.url);
		for (const [key, value] of Object.entries(request.qs ?? {})) {
			for (const item of Array.isArray(value) ? value : [value]) url.searchParams.append(key, String(item));
		}
		const headers: Record<string, string> = { accept: 'application/json', ...authHeaders(), ...request.headers };
		let body: string | undefined;
		if (request.form) {
			headers['content-type'] = 'application/x-www-form-urlencoded';
			body = new URLSearchParams(request.form).toString();
		} else if (request.body !== undefined) {
			headers['content-type'] ??= 'application/json';
			// A string is sent as it is (a SOAP envelope), as n8n's transport does.
			body = typeof request.body === 'string' ? request.body : JSON.stringify(request.body);
		}
		const response = await fetch(url, { method: request.method, headers, body });
		const text = await response.text();
		let parsed: unknown = text;
		try {
			parsed = text ? JSON.parse(text) : undefined;
		} catch {
			// Non-JSON bodies (HTML error pages) are handed over as text.
		}
		return { status: response.status, headers: Object.fromEntries(response.headers.entries()), body: parsed };
	};
}

/** A retry policy for tests: same attempts, no real waiting; records the waits asked for. */
export function instantRetryPolicy(waits: number[] = []) {
	return {
		maxAttempts: 4,
		baseDelayMs: 500,
		maxDelayMs: 8000,
		sleep: async (ms: number) => {
			waits.push(ms);
		},
	};
}
