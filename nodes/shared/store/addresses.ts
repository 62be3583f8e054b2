import { createHash, createHmac } from 'node:crypto';

import { canonicalAddress } from '../core/addresses';
import { DomainError } from '../core/errors';
import type { Channel } from '../core/schemas';

/** A shorter secret can be guessed, and with it every stored hash can be reversed by trying each number. */
export const MIN_CONTACT_HASH_SECRET_LENGTH = 32;

/**
 * The canonical form of an address (core/addresses.ts: E.164 for SMS and voice, a trimmed lower-cased mailbox for
 * email), so two spellings of one number hash alike. Throws, naming the field and never the value, when it is not
 * an address.
 */
export function normaliseAddress(channel: Channel, address: string): string {
	if (typeof address !== 'string') {
		throw new DomainError('Journey store: an address must be a string', 'invalid_input', 'address');
	}
	const canonical = canonicalAddress(channel, address);
	if (canonical !== undefined) return canonical;
	throw new DomainError(
		channel === 'email'
			? 'Journey store: an address is not an email address'
			: 'Journey store: an address is not a phone number (E.164, such as +15125550100, or a national North American number)',
		'invalid_input',
		'address',
	);
}

/**
 * What rows written before the Contact Hash Secret existed hold: SHA-256 (hex) of the normalised address, which
 * anyone can recompute for every phone number. Only read, never written any more (opt-outs stay found under it).
 */
export function legacyAddressHash(channel: Channel, address: string): string {
	return createHash('sha256').update(normaliseAddress(channel, address), 'utf8').digest('hex');
}

function missingContactHashSecret(): DomainError {
	return new DomainError(
		'Journey store: "Contact Hash Secret" is empty. Set it in the Post-Visit Journey Store credential to a long random ' +
			'value (openssl rand -hex 32) and keep it with n8n\'s backups: opt-outs and contacts are recorded under it',
		'contact_hash_secret_missing',
		'contactHashSecret',
	);
}

/**
 * The store's address hashes: HMAC-SHA256 of the normalised address under the Contact Hash Secret, which lives in
 * the journey-store credential (n8n keeps it encrypted in its own database), never in the store. Without it a copy
 * of the store's tables cannot be turned back into phone numbers by trying them all. Without a secret the store
 * still opens, and every operation that needs an address hash refuses with an error naming the field.
 */
export class AddressHasher {
	constructor(private readonly secret: string | undefined) {}

	/** Whether a secret is set (a store without one keeps claims, the journal and steps, but no opt-outs or contacts). */
	get keyed(): boolean {
		return this.secret !== undefined;
	}

	/** The keyed hash: what new rows and journal lines carry. */
	hash(channel: Channel, address: string): string {
		return this.hmac(`address:${normaliseAddress(channel, address)}`);
	}

	/** Every hash the address may be recorded under: the keyed one, then the unkeyed one of older rows. */
	hashes(channel: Channel, address: string): [keyed: string, legacy: string] {
		return [this.hash(channel, address), legacyAddressHash(channel, address)];
	}

	/** What the store records to notice a changed secret (it reveals nothing of the secret or of any address). */
	secretCheck(): string {
		return this.hmac('contact-hash-secret-check');
	}

	private hmac(text: string): string {
		if (this.secret === undefined) throw missingContactHashSecret();
		return createHmac('sha256', this.secret).update(text, 'utf8').digest('hex');
	}
}
