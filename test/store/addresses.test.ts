import { createHash } from 'node:crypto';

import { DomainError } from '../../nodes/shared/core/errors';
import { addressHash, normaliseAddress } from '../../nodes/shared/store/addresses';
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

	it('hashes the normalised form with SHA-256', () => {
		const expected = createHash('sha256').update('+15125550100').digest('hex');
		expect(addressHash('sms', '(512) 555-0100')).toBe(expected);
		expect(addressHash('voice', '+1 512 555 0100')).toBe(expected);
		expect(addressHash('email', 'A@B.co')).toBe(addressHash('email', 'a@b.co'));
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
	])('rejects %j naming %s', async (config, field) => {
		const error = await openJourneyStore(config as never).catch((caught: unknown) => caught);
		expect(error).toBeInstanceOf(DomainError);
		expect((error as DomainError).field).toBe(field);
	});
});
