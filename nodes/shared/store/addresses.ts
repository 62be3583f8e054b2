import { createHash } from 'node:crypto';

import { DomainError } from '../core/errors';
import { e164Pattern, type Channel } from '../core/schemas';

const phoneSeparators = /[\s().\-/]/g;

/**
 * The canonical form of a phone number: E.164. Accepts separators ("+1 (512) 555-0100"), the international
 * prefix 00, and North American national forms (10 digits, or 11 starting with 1), which are read as +1
 * because the supported EHRs are US systems. Anything else must already be E.164.
 */
export function normalisePhone(address: string): string {
	const compact = address.trim().replace(phoneSeparators, '');
	let candidate: string;
	if (compact.startsWith('+')) candidate = compact;
	else if (compact.startsWith('00')) candidate = `+${compact.slice(2)}`;
	else if (/^\d{10}$/.test(compact)) candidate = `+1${compact}`;
	else if (/^1\d{10}$/.test(compact)) candidate = `+${compact}`;
	else candidate = compact;
	if (!e164Pattern.test(candidate)) {
		throw new DomainError(
			'Journey store: an opt-out address is not a phone number in E.164 form (+15125550100)',
			'invalid_input',
			'address',
		);
	}
	return candidate;
}

/** The canonical form of an email address: trimmed and lower-cased (local parts are case-insensitive in practice). */
export function normaliseEmail(address: string): string {
	const normalised = address.trim().toLowerCase();
	if (!/^[^\s@]+@[^\s@]+$/.test(normalised)) {
		throw new DomainError('Journey store: an opt-out address is not an email address', 'invalid_input', 'address');
	}
	return normalised;
}

/** SMS and voice reach a phone number; email reaches a mailbox. */
export function normaliseAddress(channel: Channel, address: string): string {
	if (typeof address !== 'string') {
		throw new DomainError('Journey store: an opt-out address must be a string', 'invalid_input', 'address');
	}
	return channel === 'email' ? normaliseEmail(address) : normalisePhone(address);
}

/**
 * What the opt-out table stores instead of the address: SHA-256 (hex) of the normalised address. Two
 * spellings of one number hash alike, and the table holds no readable phone numbers or emails. A plain hash
 * of a phone number can be reversed by trying every number, so this keeps addresses out of casual view
 * (exports, screenshots, query logs); it is not anonymisation.
 */
export function addressHash(channel: Channel, address: string): string {
	return createHash('sha256').update(normaliseAddress(channel, address), 'utf8').digest('hex');
}
