import { DateTime } from 'luxon';

import { DomainError } from '../core/errors';
import { safeEqual } from './signature';
import type { WebhookSecrets } from './types';

/** What n8n's credential test expects back (INodeCredentialTestResult), without importing n8n here. */
export interface SecretCheckResult {
	status: 'OK' | 'Error';
	message: string;
}

/** The EHR Webhook Secret credential's fields as n8n hands them over (untyped). */
export interface WebhookSecretCredential {
	secret?: unknown;
	previousSecret?: unknown;
	previousSecretValidUntil?: unknown;
}

const minimumLength = 16;

/**
 * "Previous Secret Valid Until" as an instant, or undefined when empty or not a date-time. A value without an
 * offset (what n8n's date picker stores) is read as UTC, never in the server's zone.
 */
export function previousSecretDeadline(value: unknown): DateTime | undefined {
	if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : DateTime.fromJSDate(value, { zone: 'utc' });
	if (typeof value !== 'string' || value.trim() === '') return undefined;
	const parsed = DateTime.fromISO(value.trim(), { zone: 'utc' });
	return parsed.isValid ? parsed : undefined;
}

export interface ActiveWebhookSecrets {
	/** The secrets a delivery may be verified with at `now`. */
	secrets: WebhookSecrets;
	/**
	 * Set when a previous secret is configured but no longer accepted, with why (for the n8n log only: it names
	 * the deadline, never a secret).
	 */
	previousRefused?: string;
}

/** The credential test's minimum length, enforced where a secret is used: a short one is refused, not used. */
function requireLength(label: 'Secret' | 'Previous Secret', field: string, value: string): void {
	if (value.length >= minimumLength) return;
	throw new DomainError(
		`EHR Webhook Secret: "${label}" is shorter than ${minimumLength} characters; deliveries cannot be verified with it. ` +
			'Set a high-entropy value (e.g. 40 hex characters) in the credential and at the EHR',
		'weak_secret',
		field,
	);
}

/**
 * The secrets accepted at `now` during a rotation: the current one always; the previous one only while
 * `now` is before "Previous Secret Valid Until". Fail-closed: a previous secret without a valid (parseable)
 * deadline is not accepted, so a rotation (often done because a secret leaked) cannot stay half-done forever.
 * A secret that would be accepted but is shorter than 16 characters throws a DomainError naming its field.
 */
export function webhookSecretsAt(credential: WebhookSecretCredential, now: string): ActiveWebhookSecrets {
	const current = typeof credential.secret === 'string' ? credential.secret : '';
	const previous = typeof credential.previousSecret === 'string' ? credential.previousSecret : '';
	requireLength('Secret', 'secret', current);
	if (!previous) return { secrets: { current } };
	const deadline = previousSecretDeadline(credential.previousSecretValidUntil);
	if (!deadline) {
		return {
			secrets: { current },
			previousRefused: 'Previous Secret is set without a valid "Previous Secret Valid Until", so it is not accepted',
		};
	}
	const at = DateTime.fromISO(now, { zone: 'utc' });
	if (!at.isValid) throw new DomainError('"now" must be an ISO-8601 date-time', 'invalid_input', 'now');
	if (at.toMillis() >= deadline.toMillis()) {
		return {
			secrets: { current },
			previousRefused: `Previous Secret stopped being accepted at ${deadline.toISO()} ("Previous Secret Valid Until")`,
		};
	}
	requireLength('Previous Secret', 'previousSecret', previous);
	return { secrets: { current, previous } };
}

/**
 * Checks an EHR webhook secret locally: no EHR offers an API to confirm one, so the check is that the secrets
 * are usable (long enough, no stray spaces, previous ≠ current, a previous secret has its end date), and the
 * message says how to finish the check at the EHR (DrChrono's "Verify webhook", a test delivery elsewhere).
 * Messages never echo a secret.
 */
export function checkWebhookSecrets(credential: WebhookSecretCredential): SecretCheckResult {
	const current = typeof credential.secret === 'string' ? credential.secret : '';
	const previous = typeof credential.previousSecret === 'string' ? credential.previousSecret : '';
	if (!current) return { status: 'Error', message: 'Secret is empty: paste the secret the EHR signs or tags its deliveries with' };
	for (const [label, value] of [
		['Secret', current],
		['Previous Secret', previous],
	] as const) {
		if (value && value !== value.trim()) {
			return { status: 'Error', message: `${label} starts or ends with a space: the EHR compares it exactly` };
		}
		if (value && value.length < minimumLength) {
			return {
				status: 'Error',
				message: `${label} is shorter than ${minimumLength} characters: use a high-entropy value, e.g. 40 hex characters`,
			};
		}
	}
	if (previous && safeEqual(previous, current)) {
		return { status: 'Error', message: 'Previous Secret equals Secret: clear it, or enter the old secret' };
	}
	const validUntil = credential.previousSecretValidUntil;
	const hasValidUntil = validUntil !== undefined && validUntil !== null && validUntil !== '';
	if (hasValidUntil && !previousSecretDeadline(validUntil)) {
		return { status: 'Error', message: 'Previous Secret Valid Until is not a date-time: pick one, e.g. 2026-12-01T00:00:00' };
	}
	if (previous && !hasValidUntil) {
		return {
			status: 'Error',
			message:
				'Previous Secret is set but "Previous Secret Valid Until" is empty: the previous secret is not accepted until you set the end of the grace window',
		};
	}
	return {
		status: 'OK',
		message:
			'The secret is usable. The EHR cannot be asked to confirm it from here: publish the workflow, then send a test delivery (DrChrono: "Verify webhook")',
	};
}
