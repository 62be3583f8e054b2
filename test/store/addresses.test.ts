import { createHash, createHmac } from 'node:crypto';

import { DomainError } from '../../nodes/shared/core/errors';
import { AddressHasher, legacyAddressHash, normaliseAddress } from '../../nodes/shared/store/addresses';
import { DEFAULT_RETENTION_DAYS, MIN_RETENTION_DAYS, pruneCutoff } from '../../nodes/shared/store/retention';
import { openJourneyStore } from '../../nodes/shared/store/open';

describe('normaliseAddress', () => {
	it.each([
		['sms', '+15125550100', '+15125550100'],
		['sms', '+1 (512) 555-0100', '+15125550100'],
		['sms', ' +1.512.555.0100 ', '+15125550100'],
		['sms', '(512) 555-0100', '+15125550100'],
		['sms', '1-512-555-0100', '+15125550100'],
		['voice', '5125550100', '+15125550100'],
		['sms', '0044 20 7946 0958', '+442079460958'],
		['sms', '+44 20 7946 0958', '+442079460958'],
		['email', 'Pat.Doe@Example.COM', 'pat.doe@example.com'],
		['email', '  pat@example.com\t', 'pat@example.com'],
	] as const)('%s %j → %s', (channel, address, expected) => {
		expect(normaliseAddress(channel, address)).toBe(expected);
	});

	it.each([
		['sms', ''],
		['sms', '555-0100'],
		['sms', '+0 512 555 0100'],
		['sms', 'call me'],
		['voice', '+1234567890123456'],
		['sms', '512-055-0100'],
		['sms', '+1 512 155 0100'],
		['voice', '+44 123456'],
		['sms', '+999 1234 5678'],
		['email', 'pat.example.com'],
		['email', 'pat @example.com'],
	] as const)('rejects %s %j without echoing it', (channel, address) => {
		let caught: unknown;
		try {
			normaliseAddress(channel, address);
		} catch (error) {
			caught = error;
		}
		expect(caught).toBeInstanceOf(DomainError);
		expect((caught as DomainError).field).toBe('address');
		if (address) expect((caught as DomainError).message).not.toContain(address);
	});

	it('reads rows from before the key under the unkeyed SHA-256 of the normalised form', () => {
		const expected = createHash('sha256').update('+15125550100').digest('hex');
		expect(legacyAddressHash('sms', '(512) 555-0100')).toBe(expected);
		expect(legacyAddressHash('voice', '+1 512 555 0100')).toBe(expected);
		expect(legacyAddressHash('email', 'A@B.co')).toBe(legacyAddressHash('email', 'a@b.co'));
	});
});

describe('AddressHasher (the Contact Hash Secret)', () => {
	const key = 'k'.repeat(32);
	const hasher = new AddressHasher(key);

	it('hashes the normalised form with HMAC-SHA256 under the key, so spellings of one number match', () => {
		const expected = createHmac('sha256', key).update('address:+15125550100').digest('hex');
		expect(hasher.hash('sms', '(512) 555-0100')).toBe(expected);
		expect(hasher.hash('voice', '+1 512 555 0100')).toBe(expected);
		expect(hasher.hash('email', ' Pat@Example.COM')).toBe(hasher.hash('email', 'pat@example.com'));
	});

	it('is not the unkeyed SHA-256 that anyone can compute for every number, and differs per key', () => {
		expect(hasher.hash('sms', '+15125550100')).not.toBe(legacyAddressHash('sms', '+15125550100'));
		expect(new AddressHasher('l'.repeat(32)).hash('sms', '+15125550100')).not.toBe(hasher.hash('sms', '+15125550100'));
	});

	it('lists the keyed hash first, then the legacy one', () => {
		expect(hasher.hashes('sms', '+15125550100')).toEqual([hasher.hash('sms', '+15125550100'), legacyAddressHash('sms', '+15125550100')]);
	});

	it('without a key refuses, naming the credential field', () => {
		const keyless = new AddressHasher(undefined);
		expect(keyless.keyed).toBe(false);
		expect(() => keyless.hash('sms', '+15125550100')).toThrow(expect.objectContaining({ code: 'contact_hash_secret_missing', field: 'contactHashSecret' }));
		expect(() => keyless.hashes('sms', '+15125550100')).toThrow(/Contact Hash Secret/);
	});
});

describe('pruneCutoff', () => {
	it.each([
		['2026-04-15T12:00:00Z', undefined, '2025-03-11T12:00:00.000Z'],
		['2026-04-15T08:00:00-04:00', 400, '2025-03-11T12:00:00.000Z'],
		['2026-04-15T12:00:00Z', MIN_RETENTION_DAYS, '2026-01-15T12:00:00.000Z'],
	])('%s minus %s days is %s', (now, days, expected) => {
		expect(pruneCutoff(now, days)).toBe(expected);
	});

	it.each([MIN_RETENTION_DAYS - 1, 40, 0, -400, 120.5])('refuses a retention of %s days', (days) => {
		expect(() => pruneCutoff('2026-04-15T12:00:00Z', days)).toThrow(DomainError);
	});

	it('defaults to 400 days', () => {
		expect(DEFAULT_RETENTION_DAYS).toBe(400);
	});
});

describe('openJourneyStore config', () => {
	it.each([
		[{ backend: 'sqlite', path: '' }, 'path'],
		[{ backend: 'sqlite', path: '/tmp/x.sqlite', busyTimeoutMs: -1 }, 'busyTimeoutMs'],
		[{ backend: 'mysql', path: '/tmp/x' }, 'backend'],
		[{ backend: 'postgres', host: 'db', database: 'pv', user: 'n8n', ssl: 'yes' }, 'ssl'],
		[{ backend: 'postgres', host: '', database: 'pv', user: 'n8n' }, 'host'],
		[{ backend: 'sqlite', path: '/tmp/x.sqlite', contactHashSecret: 'short' }, 'contactHashSecret'],
		[{ backend: 'postgres', host: 'db', database: 'pv', user: 'n8n', contactHashSecret: 'x'.repeat(31) }, 'contactHashSecret'],
	])('rejects %j naming %s', async (config, field) => {
		const error = await openJourneyStore(config as never).catch((caught: unknown) => caught);
		expect(error).toBeInstanceOf(DomainError);
		expect((error as DomainError).field).toBe(field);
	});
});
