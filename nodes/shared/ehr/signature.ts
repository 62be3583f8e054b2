import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

import type { WebhookSecrets } from './types';

function sha256(value: string): Buffer {
	return createHash('sha256').update(value, 'utf8').digest();
}

/**
 * Constant-time string comparison. Both sides are hashed first and the two 32-byte digests compared with
 * timingSafeEqual, so neither where the strings differ nor how long the expected one is shows in the timing
 * (comparing raw bytes would need equal lengths, and an early length check leaks the secret's length).
 */
export function safeEqual(a: string, b: string): boolean {
	return timingSafeEqual(sha256(a), sha256(b));
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
