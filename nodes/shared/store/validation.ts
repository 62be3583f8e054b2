import { DateTime } from 'luxon';

import { DomainError } from '../core/errors';
import type { JournalEntry } from './types';

/** Longest string the store accepts in any journal field or detail value: ids and codes fit, message bodies do not. */
export const MAX_SHORT_TEXT = 200;
/** Most keys a journal entry's `detail` may carry. */
export const MAX_DETAIL_KEYS = 32;

const instantWithOffset = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}(:?\d{2})?)$/i;
const localDatePattern = /^\d{4}-\d{2}-\d{2}$/;

/**
 * Epoch milliseconds of an ISO-8601 instant. The instant must carry its offset (Z or ±hh:mm): a bare local
 * time would be read in the server's zone, and the store orders and compares across hosts.
 */
export function instantMs(value: unknown, field: string): number {
	if (typeof value !== 'string' || !instantWithOffset.test(value)) {
		throw new DomainError(
			`Journey store: "${field}" must be an ISO-8601 instant with an offset, e.g. 2025-03-01T14:00:00Z`,
			'invalid_input',
			field,
		);
	}
	const parsed = DateTime.fromISO(value, { setZone: true });
	if (!parsed.isValid) {
		throw new DomainError(
			`Journey store: "${field}" must be an ISO-8601 instant with an offset, e.g. 2025-03-01T14:00:00Z`,
			'invalid_input',
			field,
		);
	}
	return parsed.toMillis();
}

export function localDate(value: unknown, field: string): string {
	if (typeof value !== 'string' || !localDatePattern.test(value) || !DateTime.fromISO(value).isValid) {
		throw new DomainError(`Journey store: "${field}" must be a date YYYY-MM-DD`, 'invalid_input', field);
	}
	return value;
}

/** A required short identifier (key, journey id, patient key, type). */
export function shortText(value: unknown, field: string): string {
	if (typeof value !== 'string' || value.length === 0) {
		throw new DomainError(`Journey store: "${field}" must be a non-empty string`, 'invalid_input', field);
	}
	return checkLength(value, field);
}

export function optionalShortText(value: unknown, field: string): string | null {
	if (value === undefined || value === null) return null;
	if (typeof value !== 'string') {
		throw new DomainError(`Journey store: "${field}" must be a string`, 'invalid_input', field);
	}
	return checkLength(value, field);
}

export function optionalStage(value: unknown, field = 'stage'): number | null {
	if (value === undefined || value === null) return null;
	return stage(value, field);
}

export function stage(value: unknown, field = 'stage'): number {
	if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 1000) {
		throw new DomainError(`Journey store: "${field}" must be a whole number`, 'invalid_input', field);
	}
	return value;
}

function checkLength(value: string, field: string): string {
	if (value.length > MAX_SHORT_TEXT) {
		throw new DomainError(
			`Journey store: "${field}" is ${value.length} characters; the store keeps at most ${MAX_SHORT_TEXT} ` +
				'(ids, codes and statuses only, never message bodies or clinical text)',
			'value_too_long',
			field,
		);
	}
	return value;
}

/**
 * Checks a journal entry's `detail`: at most MAX_DETAIL_KEYS scalar values, strings at most MAX_SHORT_TEXT
 * characters. This is the store's PHI line: a message body or clinical note cannot be smuggled in as "detail".
 * Returns the JSON text to store, or null.
 */
export function detailJson(detail: JournalEntry['detail']): string | null {
	if (detail === undefined || detail === null) return null;
	if (typeof detail !== 'object' || Array.isArray(detail)) {
		throw new DomainError('Journey store: "detail" must be an object of short values', 'invalid_input', 'detail');
	}
	const entries = Object.entries(detail);
	if (entries.length > MAX_DETAIL_KEYS) {
		throw new DomainError(
			`Journey store: "detail" has ${entries.length} keys; at most ${MAX_DETAIL_KEYS} are kept`,
			'invalid_input',
			'detail',
		);
	}
	for (const [key, value] of entries) {
		const field = `detail.${key.slice(0, 60)}`;
		if (key.length > 60) {
			throw new DomainError('Journey store: a "detail" key is longer than 60 characters', 'invalid_input', 'detail');
		}
		if (value === null || typeof value === 'boolean') continue;
		if (typeof value === 'number') {
			if (!Number.isFinite(value)) {
				throw new DomainError(`Journey store: "${field}" must be a finite number`, 'invalid_input', field);
			}
			continue;
		}
		if (typeof value === 'string') {
			checkLength(value, field);
			continue;
		}
		throw new DomainError(
			`Journey store: "${field}" must be a string, number, boolean or null`,
			'invalid_input',
			field,
		);
	}
	return JSON.stringify(detail);
}
