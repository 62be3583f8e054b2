import { createHmac, timingSafeEqual } from 'node:crypto';

import type { WebhookSecrets } from './types';

/** Constant-time string comparison (also for strings of different lengths). */
export function safeEqual(a: string, b: string): boolean {
	const left = Buffer.from(a, 'utf8');
	const right = Buffer.from(b, 'utf8');
	// Compare against itself on a length mismatch so the time taken does not reveal where they differ.
	if (left.length !== right.length) {
		timingSafeEqual(left, left);
		return false;
	}
	return timingSafeEqual(left, right);
}

export function hmacSha256Hex(secret: string, payload: Buffer | string): string {
	return createHmac('sha256', secret).update(payload).digest('hex');
}

/** The secrets to try, current first; the previous one only during a rotation. */
export function secretsToTry(secrets: WebhookSecrets): string[] {
	return [secrets.current, secrets.previous].filter((s): s is string => typeof s === 'string' && s.length > 0);
}

/** True when `provided` equals `expected(secret)` for the current or the previous secret. */
export function matchesAnySecret(
	secrets: WebhookSecrets,
	provided: string,
	expected: (secret: string) => string,
): boolean {
	let matched = false;
	// No early exit: every candidate is compared, so timing does not reveal which secret matched.
	for (const secret of secretsToTry(secrets)) {
		if (safeEqual(expected(secret), provided)) matched = true;
	}
	return matched;
}

/** First value of a header, case-insensitively. */
export function headerValue(
	headers: Record<string, string | string[] | undefined>,
	name: string,
): string | undefined {
	const wanted = name.toLowerCase();
	for (const [key, value] of Object.entries(headers)) {
		if (key.toLowerCase() === wanted) return Array.isArray(value) ? value[0] : value;
	}
	return undefined;
}
