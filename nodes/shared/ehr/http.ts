import type { ZodType } from 'zod';

import type { HttpClient, HttpRequest, HttpResponse } from './types';

/** An EHR answered with an error status the adapter cannot cure by retrying. Carries no response body (PHI). */
export class EhrHttpError extends Error {
	constructor(
		readonly ehr: string,
		readonly status: number,
		/** The vendor's own error text, stripped to a short, PHI-free summary by the adapter. */
		readonly vendorMessage: string,
		readonly retryable: boolean,
	) {
		super(`${ehr} answered ${status}: ${vendorMessage}`);
		this.name = 'EhrHttpError';
	}
}

/** The EHR's JSON did not match what the adapter expects: a vendor change or a wrong endpoint. */
export class EhrResponseError extends Error {
	constructor(
		readonly ehr: string,
		readonly field: string,
		detail: string,
	) {
		super(`${ehr} response did not match the expected shape at "${field}": ${detail}`);
		this.name = 'EhrResponseError';
	}
}

/**
 * The EHR did not answer at all: a timeout, a refused or broken connection. A read was retried first; a write
 * is `uncertain` when it may have reached the EHR and taken effect.
 */
export class EhrUnreachableError extends Error {
	constructor(
		readonly ehr: string,
		/** The network error code, e.g. ECONNABORTED (a timeout). */
		readonly code: string,
		readonly attempts: number,
		readonly uncertain: boolean,
	) {
		// In words, not the code: n8n replaces any error message that contains a network code with its own text.
		super(`${ehr} ${noAnswerWords(code)} (${attempts} attempt${attempts === 1 ? '' : 's'})`);
		this.name = 'EhrUnreachableError';
	}
}

function noAnswerWords(code: string): string {
	if (code === 'ECONNREFUSED') return 'refused the connection';
	if (code === 'ECONNRESET' || code === 'EPIPE') return 'dropped the connection';
	if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH' || code === 'EAI_AGAIN') return 'could not be reached';
	return 'did not answer in time';
}

/** Network error codes of a request that got no answer. */
const noAnswerCodes = new Set(['ECONNABORTED', 'ETIMEDOUT', 'ESOCKETTIMEDOUT', 'ECONNRESET', 'EPIPE', 'ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);
/** Of those, the ones where the request never reached the EHR (safe to send again, whatever the method). */
const neverSentCodes = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);

/** The no-answer code of a transport error: on the error itself or a cause (n8n wraps the HTTP client's error). */
function noAnswerCode(error: unknown): string | undefined {
	let current: unknown = error;
	for (let depth = 0; depth < 4 && current !== null && typeof current === 'object'; depth++) {
		const code = (current as { code?: unknown }).code;
		if (typeof code === 'string' && noAnswerCodes.has(code)) return code;
		current = (current as { cause?: unknown }).cause;
	}
	return undefined;
}

export interface RetryPolicy {
	maxAttempts: number;
	baseDelayMs: number;
	maxDelayMs: number;
	/** Injected so tests do not wait in real time. */
	sleep: (ms: number) => Promise<void>;
}

export const defaultRetryPolicy: RetryPolicy = {
	maxAttempts: 4,
	baseDelayMs: 500,
	maxDelayMs: 8000,
	sleep: async (ms) => await new Promise((resolve) => setTimeout(resolve, ms)),
};

function retryAfterMs(response: HttpResponse): number | undefined {
	const header = Object.entries(response.headers).find(([k]) => k.toLowerCase() === 'retry-after')?.[1];
	if (!header) return undefined;
	const seconds = Number(header);
	if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
	const date = Date.parse(header);
	return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

function isRetryable(status: number): boolean {
	return status === 429 || status >= 500;
}

/**
 * Sends a request, retrying 429 and 5xx with capped exponential backoff that honours Retry-After.
 * Returns the final response (successful or a non-retryable error status) or throws EhrHttpError when
 * retries are exhausted. Non-idempotent requests are retried too: the EHRs answer 429/5xx before acting.
 * No answer at all (a timeout, a refused connection) is retried the same way for reads and for requests that
 * never left; then, or for a write that may have arrived, EhrUnreachableError.
 */
export async function sendWithRetry(
	http: HttpClient,
	request: HttpRequest,
	ehr: string,
	policy: RetryPolicy = defaultRetryPolicy,
): Promise<HttpResponse> {
	for (let attempt = 1; ; attempt++) {
		let response: HttpResponse;
		try {
			response = await http(request);
		} catch (error) {
			const code = noAnswerCode(error);
			if (!code) throw error;
			const repeatable = request.method.toUpperCase() === 'GET' || neverSentCodes.has(code);
			if (!repeatable || attempt >= policy.maxAttempts) throw new EhrUnreachableError(ehr, code, attempt, !repeatable);
			await policy.sleep(Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1)));
			continue;
		}
		if (!isRetryable(response.status)) return response;
		if (attempt >= policy.maxAttempts) {
			throw new EhrHttpError(ehr, response.status, `gave up after ${attempt} attempts`, true);
		}
		const backoff = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
		const wait = Math.min(policy.maxDelayMs, retryAfterMs(response) ?? backoff);
		await policy.sleep(wait);
	}
}

/** Parses a vendor body with zod; a mismatch names the field (never its value). */
export function parseVendor<T>(schema: ZodType<T>, body: unknown, ehr: string): T {
	const result = schema.safeParse(body);
	if (result.success) return result.data;
	const issue = result.error.issues[0];
	throw new EhrResponseError(ehr, issue?.path.join('.') || '(root)', issue?.message ?? 'invalid');
}

function isAbsoluteUrl(link: string): boolean {
	return /^[a-z][a-z\d+.-]*:/i.test(link) || link.startsWith('//');
}

/**
 * The one check every URL an EHR hands back (a paging `next` link, a redirect's Location) passes before it is
 * requested with the EHR credential, so the access token only ever goes to the credential's own server.
 * A relative link is returned unchanged: the transport puts it on the base URL. An absolute link must have the
 * base URL's origin (scheme, host and port) and is returned in full; any other is refused, naming `field`.
 * Without a base URL (adapter tests) an absolute link is returned as is: the n8n transport, which always knows
 * the base URL, applies this same check to every request it sends.
 */
export function ownServerLink(link: string, ehr: string, field: string, baseUrl?: string): string {
	if (!isAbsoluteUrl(link)) return link;
	if (!baseUrl) return link;
	let target: URL;
	try {
		target = new URL(link, baseUrl);
	} catch {
		throw new EhrResponseError(ehr, field, 'is not a URL');
	}
	if (target.origin !== new URL(baseUrl).origin) {
		throw new EhrResponseError(ehr, field, "points to another server than the credential's base URL");
	}
	return target.toString();
}

/** Whether an absolute URL lies under the base URL: same origin, and the base's path as a whole-segment prefix. */
export function isUnderBaseUrl(url: string, baseUrl: string): boolean {
	let target: URL;
	let base: URL;
	try {
		target = new URL(url);
		base = new URL(baseUrl);
	} catch {
		return false;
	}
	const basePath = base.pathname.replace(/\/+$/, '');
	return target.origin === base.origin && (target.pathname === basePath || target.pathname.startsWith(`${basePath}/`));
}

/**
 * Starts a read whose answer may turn out not to be needed (the appointments, when the visit read beside it
 * shows it cancelled): its failure surfaces only where it is awaited, never as an unhandled rejection.
 */
export function startRead<T>(read: Promise<T>): Promise<T> {
	read.catch(() => undefined);
	return read;
}
