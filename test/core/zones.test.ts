import { DateTime, IANAZone } from 'luxon';

import { cachedZone } from '../../nodes/shared/core/zones';

// Zones with the awkward transitions: 30-minute DST (Lord Howe), 45-minute offsets (Chatham, Kathmandu), an
// offset with seconds until 1972 (Monrovia), a 24-hour jump (Apia, 2011), southern DST, and the patients' zones.
const zones = [
	'America/Chicago',
	'America/New_York',
	'America/Phoenix',
	'Pacific/Honolulu',
	'America/Puerto_Rico',
	'Europe/Madrid',
	'Australia/Lord_Howe',
	'Pacific/Chatham',
	'Asia/Kathmandu',
	'Africa/Monrovia',
	'Pacific/Apia',
	'America/Santiago',
];

describe('cachedZone: the offsets luxon computes with are exactly IANAZone\'s', () => {
	it.each(zones)('%s, every transition from 1960 to 2040 and the minutes around it', (name) => {
		const plain = IANAZone.create(name);
		const cached = cachedZone(name);
		const start = Date.UTC(1960, 0, 1);
		const end = Date.UTC(2040, 0, 1);
		let checked = 0;
		// Walk in 6-hour steps; where the offset changes, check every minute (and each minute's edges) in between.
		for (let ts = start; ts < end; ts += 6 * 3_600_000) {
			const next = ts + 6 * 3_600_000;
			if (plain.offset(ts) === plain.offset(next)) {
				expect(cached.offset(ts + 1_234_567)).toBe(plain.offset(ts + 1_234_567));
				checked++;
				continue;
			}
			for (let minute = ts; minute <= next; minute += 60_000) {
				for (const at of [minute - 1, minute, minute + 29_999]) {
					expect(cached.offset(at)).toBe(plain.offset(at));
					checked++;
				}
			}
		}
		expect(checked).toBeGreaterThan(100_000);
	});

	it('is the same zone to luxon: name, type, equality, and identical ISO strings', () => {
		const cached = cachedZone('America/Chicago');
		expect(cached.name).toBe('America/Chicago');
		expect(cached.type).toBe('iana');
		expect(cached.equals(IANAZone.create('America/Chicago'))).toBe(true);
		expect(cachedZone('America/Chicago')).toBe(cached);
		for (const iso of ['2026-03-08T07:59:59Z', '2026-03-08T08:00:00Z', '2026-11-01T06:30:00Z', '2026-11-01T07:30:00Z']) {
			expect(DateTime.fromISO(iso, { zone: cached }).toISO()).toBe(DateTime.fromISO(iso, { zone: 'America/Chicago' }).toISO());
		}
		const wall = { year: 2026, month: 3, day: 8, hour: 2, minute: 30 };
		expect(DateTime.fromObject(wall, { zone: cached }).toISO()).toBe(DateTime.fromObject(wall, { zone: 'America/Chicago' }).toISO());
	});
});
