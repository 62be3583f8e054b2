import { DateTime, IANAZone } from 'luxon';

import { cachedZone, isValidZoneName, timeZoneOptions } from '../../nodes/shared/core/zones';

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
	it.each(zones)('%s, around every transition from 1960 to 2040 and once a day between them', (name) => {
		const plain = IANAZone.create(name);
		const cached = cachedZone(name);
		const dayMs = 24 * 3_600_000;
		let checked = 0;
		const mismatches: Array<{ at: string; cached: number; plain: number }> = [];
		const check = (ts: number) => {
			const [mine, theirs] = [cached.offset(ts), plain.offset(ts)];
			if (mine !== theirs) mismatches.push({ at: new Date(ts).toISOString(), cached: mine, plain: theirs });
			checked++;
		};
		for (let ts = Date.UTC(1960, 0, 1); ts < Date.UTC(2040, 0, 1); ts += dayMs) {
			check(ts + 12_345_678);
			if (plain.offset(ts) === plain.offset(ts + dayMs)) continue;
			// Find the transition to the millisecond, then check its edges and every 5 minutes for 2 hours either side.
			let before = ts;
			let after = ts + dayMs;
			while (after - before > 1) {
				const middle = Math.floor((before + after) / 2);
				if (plain.offset(middle) === plain.offset(before)) before = middle;
				else after = middle;
			}
			for (const at of [before - 1, before, after, after + 1]) check(at);
			for (let at = after - 2 * 3_600_000; at <= after + 2 * 3_600_000; at += 5 * 60_000) check(at);
		}
		expect(mismatches).toEqual([]);
		expect(checked).toBeGreaterThan(29_000);
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

describe('isValidZoneName: IANAZone.isValidZone, remembered for valid names', () => {
	it.each([
		['America/Chicago', true],
		['Etc/GMT+5', true],
		['Mars/Olympus_Mons', false],
		['', false],
	])('%s → %s, the same as luxon, and the same again', (name, valid) => {
		expect([isValidZoneName(name), isValidZoneName(name)]).toEqual([IANAZone.isValidZone(name), valid]);
	});

	it('asks luxon once for a valid name and every time for an invalid one', () => {
		const asked = jest.spyOn(IANAZone, 'isValidZone');
		try {
			for (let i = 0; i < 3; i++) {
				isValidZoneName('Asia/Kolkata');
				isValidZoneName('Nowhere/Land');
			}
			expect(asked.mock.calls.map(([name]) => name)).toEqual(['Asia/Kolkata', 'Nowhere/Land', 'Nowhere/Land', 'Nowhere/Land']);
		} finally {
			asked.mockRestore();
		}
	});
});

describe('the Default Time Zone dropdown', () => {
	it('offers every zone the runtime knows, each once, US zones first', () => {
		const supported = Intl.supportedValuesOf('timeZone');
		const values = timeZoneOptions().map((option) => option.value);
		expect([...values].sort()).toEqual([...supported].sort());
		expect(values.slice(0, 5)).toEqual(['America/New_York', 'America/Chicago', 'America/Denver', 'America/Phoenix', 'America/Los_Angeles']);
		expect(timeZoneOptions()[1]).toEqual({ name: 'America/Chicago (US Central)', value: 'America/Chicago' });
		expect(values.filter((zone) => !isValidZoneName(zone))).toEqual([]);
	});

	it('lists the zones after the US ones by name, and leaves out a US zone the runtime does not know', () => {
		expect(timeZoneOptions(['Europe/Paris', 'America/Chicago', 'Asia/Tokyo', 'Africa/Abidjan'])).toEqual([
			{ name: 'America/Chicago (US Central)', value: 'America/Chicago' },
			{ name: 'Africa/Abidjan', value: 'Africa/Abidjan' },
			{ name: 'Asia/Tokyo', value: 'Asia/Tokyo' },
			{ name: 'Europe/Paris', value: 'Europe/Paris' },
		]);
	});
});
