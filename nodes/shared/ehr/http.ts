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
 */
export async function sendWithRetry(
	http: HttpClient,
	request: HttpRequest,
	ehr: string,
	policy: RetryPolicy = defaultRetryPolicy,
): Promise<HttpResponse> {
	for (let attempt = 1; ; attempt++) {
		const response = await http(request);
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
