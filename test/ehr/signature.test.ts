import * as crypto from 'node:crypto';

import { matchesAnySecret, safeEqual } from '../../nodes/shared/ehr/signature';

// Wraps (does not replace) node's timingSafeEqual so the test sees what it is called with.
jest.mock('node:crypto', () => {
	const actual = jest.requireActual<typeof import('node:crypto')>('node:crypto');
	return { ...actual, timingSafeEqual: jest.fn(actual.timingSafeEqual) };
});
const timingSafeEqual = crypto.timingSafeEqual as jest.MockedFunction<typeof crypto.timingSafeEqual>;

describe('safeEqual: constant-time comparison over equal-length digests', () => {
	beforeEach(() => timingSafeEqual.mockClear());

	it.each<[string, string, string, boolean]>([
		['equal strings', 's3cret-value-0123456789', 's3cret-value-0123456789', true],
		['one character differs', 's3cret-value-0123456789', 's3cret-value-0123456788', false],
		['a prefix of the secret', 's3cret-value-0123456789', 's3cret', false],
		['a longer string', 's3cret', 's3cret-value-0123456789', false],
		['empty against non-empty', '', 'x', false],
		['both empty', '', '', true],
		['unicode, equal', 'clé-ñ-✓', 'clé-ñ-✓', true],
		['unicode, normalisation differs (compared as bytes)', 'é', 'e\u0301', false],
	])('%s', (_label, a, b, expected) => {
		expect(safeEqual(a, b)).toBe(expected);
	});

	it.each([
		['same length', 'a'.repeat(64), 'b'.repeat(64)],
		['different lengths', 'a'.repeat(64), 'b'],
		['a 1 MB input', 'a'.repeat(64), 'x'.repeat(1024 * 1024)],
	])('compares two 32-byte SHA-256 digests with timingSafeEqual whatever the lengths (%s)', (_label, a, b) => {
		const spy = timingSafeEqual;
		safeEqual(a, b);
		expect(spy).toHaveBeenCalledTimes(1);
		const [left, right] = spy.mock.calls[0] as [Buffer, Buffer];
		expect([left.length, right.length]).toEqual([32, 32]);
		expect(left.equals(crypto.createHash('sha256').update(a).digest())).toBe(true);
	});

	it('checks every candidate secret (no early exit on the first match)', () => {
		const spy = timingSafeEqual;
		expect(matchesAnySecret({ current: 'current-secret-0123', previous: 'previous-secret-0123' }, 'current-secret-0123', (s) => s)).toBe(true);
		expect(spy).toHaveBeenCalledTimes(2);
	});
});
