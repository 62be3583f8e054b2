import { Settings } from 'luxon';

import {
	dueInstant,
	isInsideWindow,
	localDateOf,
	maxOffsetAmount,
	nextAllowedInstant,
	planTouch,
	resolveZone,
	windowStartOnNextOpenDay,
} from '../../nodes/shared/core/cadence';
import type { CadenceOffset, ShiftReason } from '../../nodes/shared/core/cadence';
import { DomainError } from '../../nodes/shared/core/errors';
import type { SendPolicy, Weekday } from '../../nodes/shared/core/practice';

const NY = 'America/New_York';
const LA = 'America/Los_Angeles';
const PHX = 'America/Phoenix';
const HNL = 'Pacific/Honolulu';

function policy(overrides: Partial<SendPolicy> = {}): SendPolicy {
	return { window: { start: '09:00', end: '20:00' }, closedWeekdays: [], holidays: [], ...overrides };
}
const weekendsClosed: Weekday[] = ['sat', 'sun'];

function domainErrorOf(run: () => unknown): DomainError {
	try {
		run();
	} catch (error) {
		if (error instanceof DomainError) return error;
		throw error;
	}
	throw new Error('expected a DomainError');
}

// The server's zone must never matter: make luxon's default zone something none of the tests use.
const originalDefaultZone = Settings.defaultZone;
beforeAll(() => {
	Settings.defaultZone = 'Asia/Kathmandu';
});
afterAll(() => {
	Settings.defaultZone = originalDefaultZone;
});

describe('resolveZone', () => {
	it.each([
		['patient first', { patientZone: LA, locationZone: NY, practiceZone: PHX }, LA, 'patient'],
		['location when the patient has none', { locationZone: NY, practiceZone: PHX }, NY, 'location'],
		['practice as the last resort', { practiceZone: PHX }, PHX, 'practice'],
		['blank patient zone counts as missing', { patientZone: '  ', locationZone: HNL }, HNL, 'location'],
		['null counts as missing', { patientZone: null, locationZone: null, practiceZone: NY }, NY, 'practice'],
		['surrounding spaces are trimmed', { patientZone: ' America/Chicago ' }, 'America/Chicago', 'patient'],
	])('%s', (_name, candidates, zone, source) => {
		expect(resolveZone(candidates)).toEqual({ zone, source });
	});

	it('throws no_zone naming the field when no zone is known', () => {
		const error = domainErrorOf(() => resolveZone({ patientZone: '', locationZone: undefined }));
		expect(error.code).toBe('no_zone');
		expect(error.field).toBe('practiceZone');
		expect(error.message).toMatch(/patient zone.*location zone.*practice default zone/);
	});

	it.each([
		['patientZone', { patientZone: 'America/Nowhere', practiceZone: NY }],
		['locationZone', { locationZone: 'Mars/Olympus_Mons', practiceZone: NY }],
		['practiceZone', { practiceZone: 'EST5EDT-ish' }],
	])('rejects an invalid %s instead of falling through', (field, candidates) => {
		const error = domainErrorOf(() => resolveZone(candidates));
		expect(error.code).toBe('invalid_zone');
		expect(error.field).toBe(field);
		expect(error.message).not.toContain('Nowhere');
	});
});

describe('dueInstant', () => {
	const after = (amount: number, unit: CadenceOffset['unit']): CadenceOffset => ({
		amount,
		unit,
		direction: 'after',
	});
	const before = (amount: number, unit: CadenceOffset['unit']): CadenceOffset => ({
		amount,
		unit,
		direction: 'before',
	});

	it.each([
		// Spring forward, America/New_York 2026-03-08 02:00 EST → 03:00 EDT: the day has 23 hours.
		['+1 day across spring-forward keeps 15:00', '2026-03-07T15:00:00-05:00', after(1, 'days'), NY, '2026-03-08T19:00:00.000Z'],
		['+24 hours across spring-forward is 16:00 EDT', '2026-03-07T15:00:00-05:00', after(24, 'hours'), NY, '2026-03-08T20:00:00.000Z'],
		['+2 days (the 48 h reminder) across spring-forward', '2026-03-06T16:00:00-05:00', after(2, 'days'), NY, '2026-03-08T20:00:00.000Z'],
		['+48 hours across spring-forward', '2026-03-06T16:00:00-05:00', after(48, 'hours'), NY, '2026-03-08T21:00:00.000Z'],
		['+7 days (escalation) across spring-forward', '2026-03-02T10:00:00-05:00', after(7, 'days'), NY, '2026-03-09T14:00:00.000Z'],
		// Fall back, America/New_York 2026-11-01 02:00 EDT → 01:00 EST: the day has 25 hours.
		['+1 day across fall-back keeps 15:00', '2026-10-31T15:00:00-04:00', after(1, 'days'), NY, '2026-11-01T20:00:00.000Z'],
		['+24 hours across fall-back is 14:00 EST', '2026-10-31T15:00:00-04:00', after(24, 'hours'), NY, '2026-11-01T19:00:00.000Z'],
		['+7 days across fall-back', '2026-10-28T10:00:00-04:00', after(7, 'days'), NY, '2026-11-04T15:00:00.000Z'],
		['+90 minutes through the spring-forward gap', '2026-03-08T06:30:00Z', after(90, 'minutes'), NY, '2026-03-08T08:00:00.000Z'],
		['+1 day landing in the gap moves forward by the gap', '2026-03-07T02:30:00-05:00', after(1, 'days'), NY, '2026-03-08T07:30:00.000Z'],
		['+1 day landing in the repeated hour keeps the anchor offset', '2026-10-31T01:30:00-04:00', after(1, 'days'), NY, '2026-11-01T05:30:00.000Z'],
		// No DST: a day is always 24 hours.
		['Phoenix +1 day on the US spring-forward date', '2026-03-07T15:00:00-07:00', after(1, 'days'), PHX, '2026-03-08T22:00:00.000Z'],
		['Phoenix +24 hours on the same date', '2026-03-07T15:00:00-07:00', after(24, 'hours'), PHX, '2026-03-08T22:00:00.000Z'],
		['Honolulu +1 day across the US fall-back date', '2026-10-31T15:00:00-10:00', after(1, 'days'), HNL, '2026-11-02T01:00:00.000Z'],
		// Recall: a date anchor is the local start of that day.
		['recall date − 30 days', '2026-04-15', before(30, 'days'), NY, '2026-03-16T04:00:00.000Z'],
		['recall date − 30 days crossing spring-forward back into EST', '2026-03-20', before(30, 'days'), NY, '2026-02-18T05:00:00.000Z'],
		['recall date − 30 days in Phoenix', '2026-04-15', before(30, 'days'), PHX, '2026-03-16T07:00:00.000Z'],
		['recall date − 30 days in Honolulu', '2026-04-15', before(30, 'days'), HNL, '2026-03-16T10:00:00.000Z'],
		['hours before', '2026-03-08T12:00:00Z', before(2, 'hours'), NY, '2026-03-08T10:00:00.000Z'],
		['zero offset is the anchor itself', '2026-06-10T15:00:00.000Z', after(0, 'minutes'), NY, '2026-06-10T15:00:00.000Z'],
		['a local date-time without offset is wall time in the zone, not the server zone', '2026-03-08T10:00:00', after(0, 'minutes'), NY, '2026-03-08T14:00:00.000Z'],
	])('%s', (_name, anchor, offset, zone, expected) => {
		expect(dueInstant({ anchor, offset, zone })).toBe(expected);
	});

	it.each([
		['anchor', { anchor: 'yesterday', offset: after(1, 'days'), zone: NY }],
		['anchor', { anchor: 12 as unknown as string, offset: after(1, 'days'), zone: NY }],
		['zone', { anchor: '2026-03-08', offset: after(1, 'days'), zone: 'Nowhere/City' }],
		['offset.amount', { anchor: '2026-03-08', offset: after(-1, 'days'), zone: NY }],
		['offset.amount', { anchor: '2026-03-08', offset: after(1.5, 'days'), zone: NY }],
		['offset.amount', { anchor: '2026-03-08', offset: after(maxOffsetAmount + 1, 'minutes'), zone: NY }],
		['offset.amount', { anchor: '2026-03-08', offset: { amount: '2', unit: 'days', direction: 'after' } as unknown as CadenceOffset, zone: NY }],
		['offset.amount', { anchor: '2026-03-08', offset: undefined as unknown as CadenceOffset, zone: NY }],
		['offset.unit', { anchor: '2026-03-08', offset: { amount: 1, unit: 'weeks', direction: 'after' } as unknown as CadenceOffset, zone: NY }],
		['offset.direction', { anchor: '2026-03-08', offset: { amount: 1, unit: 'days', direction: 'later' } as unknown as CadenceOffset, zone: NY }],
	])('rejects a bad %s', (field, input) => {
		expect(domainErrorOf(() => dueInstant(input)).field).toBe(field);
	});
});

describe('nextAllowedInstant', () => {
	type Row = [string, string, string, string, SendPolicy, string, ShiftReason | undefined];

	it.each<Row>([
		// [name, candidate, now, zone, policy, expected at, reason]
		['inside the window: unchanged', '2026-06-10T15:00:00.000Z', '2026-06-10T15:00:00.000Z', NY, policy(), '2026-06-10T15:00:00.000Z', undefined],
		['visit closes after the window → next morning', '2026-06-11T01:30:00Z', '2026-06-11T01:30:00Z', NY, policy(), '2026-06-11T13:00:00.000Z', 'afterWindow'],
		['visit closes before the window → window start', '2026-06-10T10:15:00Z', '2026-06-10T10:15:00Z', NY, policy(), '2026-06-10T13:00:00.000Z', 'beforeWindow'],
		['exactly at window end is outside', '2026-06-11T00:00:00Z', '2026-06-11T00:00:00Z', NY, policy(), '2026-06-11T13:00:00.000Z', 'afterWindow'],
		['exactly at window start is inside', '2026-06-10T13:00:00Z', '2026-06-10T13:00:00Z', NY, policy(), '2026-06-10T13:00:00.000Z', undefined],
		['closed Saturday → Monday', '2026-06-13T15:00:00Z', '2026-06-13T15:00:00Z', NY, policy({ closedWeekdays: weekendsClosed }), '2026-06-15T13:00:00.000Z', 'closedDay'],
		['Friday after hours with weekends closed → Monday', '2026-06-13T01:00:00Z', '2026-06-13T01:00:00Z', NY, policy({ closedWeekdays: weekendsClosed }), '2026-06-15T13:00:00.000Z', 'afterWindow'],
		['holiday → next open day', '2026-07-03T14:00:00Z', '2026-07-03T14:00:00Z', NY, policy({ closedWeekdays: weekendsClosed, holidays: ['2026-07-03'] }), '2026-07-06T13:00:00.000Z', 'holiday'],
		['a run of holidays', '2026-12-24T15:00:00Z', '2026-12-24T15:00:00Z', NY, policy({ holidays: ['2026-12-24', '2026-12-25', '2026-12-26', '2026-12-27'] }), '2026-12-28T14:00:00.000Z', 'holiday'],
		['after hours before a run of holidays and a weekend', '2026-12-31T03:00:00Z', '2026-12-31T03:00:00Z', NY, policy({ closedWeekdays: weekendsClosed, holidays: ['2026-12-31', '2027-01-01'] }), '2027-01-04T14:00:00.000Z', 'afterWindow'],
		['a holiday in the patient zone is its local date', '2026-07-04T15:00:00Z', '2026-07-04T15:00:00Z', LA, policy({ holidays: ['2026-07-04'] }), '2026-07-05T16:00:00.000Z', 'holiday'],
		// Spring-forward day in New York (23 h): the window still opens at 09:00 local, which is 13:00Z, not 14:00Z.
		['just before the gap → 09:00 EDT', '2026-03-08T06:30:00Z', '2026-03-08T06:30:00Z', NY, policy(), '2026-03-08T13:00:00.000Z', 'beforeWindow'],
		['just after the gap → 09:00 EDT', '2026-03-08T07:30:00Z', '2026-03-08T07:30:00Z', NY, policy(), '2026-03-08T13:00:00.000Z', 'beforeWindow'],
		['Saturday 21:00 EST → Sunday 09:00 EDT', '2026-03-08T02:00:00Z', '2026-03-08T02:00:00Z', NY, policy(), '2026-03-08T13:00:00.000Z', 'afterWindow'],
		['spring-forward day 19:59 EDT is inside', '2026-03-08T23:59:00Z', '2026-03-08T23:59:00Z', NY, policy(), '2026-03-08T23:59:00.000Z', undefined],
		// Fall-back day (25 h): both 01:30s are before the window that opens at 09:00 EST = 14:00Z.
		['first 01:30 (EDT) → 09:00 EST', '2026-11-01T05:30:00Z', '2026-11-01T05:30:00Z', NY, policy(), '2026-11-01T14:00:00.000Z', 'beforeWindow'],
		['second 01:30 (EST) → 09:00 EST', '2026-11-01T06:30:00Z', '2026-11-01T06:30:00Z', NY, policy(), '2026-11-01T14:00:00.000Z', 'beforeWindow'],
		['Saturday 21:00 EDT → Sunday 09:00 EST', '2026-11-01T01:00:00Z', '2026-11-01T01:00:00Z', NY, policy(), '2026-11-01T14:00:00.000Z', 'afterWindow'],
		['fall-back day 19:59 EST is inside', '2026-11-02T00:59:00Z', '2026-11-02T00:59:00Z', NY, policy(), '2026-11-02T00:59:00.000Z', undefined],
		['fall-back day 20:00 EST → Monday 09:00 EST', '2026-11-02T01:00:00Z', '2026-11-02T01:00:00Z', NY, policy(), '2026-11-02T14:00:00.000Z', 'afterWindow'],
		// No DST: the window is the same UTC hours all year.
		['Phoenix on the US spring-forward date', '2026-03-08T12:00:00Z', '2026-03-08T12:00:00Z', PHX, policy(), '2026-03-08T16:00:00.000Z', 'beforeWindow'],
		['Phoenix in July', '2026-07-01T12:00:00Z', '2026-07-01T12:00:00Z', PHX, policy(), '2026-07-01T16:00:00.000Z', 'beforeWindow'],
		['Honolulu after hours on the US spring-forward eve', '2026-03-08T08:30:00Z', '2026-03-08T08:30:00Z', HNL, policy(), '2026-03-08T19:00:00.000Z', 'afterWindow'],
		['Honolulu after hours on the US fall-back eve', '2026-11-01T08:30:00Z', '2026-11-01T08:30:00Z', HNL, policy(), '2026-11-01T19:00:00.000Z', 'afterWindow'],
		// Other DST rules.
		['London on its spring-forward day', '2026-03-29T00:30:00Z', '2026-03-29T00:30:00Z', 'Europe/London', policy(), '2026-03-29T08:00:00.000Z', 'beforeWindow'],
		['Sydney: 23:00 AEDT → 09:00 AEST on its fall-back day', '2026-04-04T12:00:00Z', '2026-04-04T12:00:00Z', 'Australia/Sydney', policy(), '2026-04-04T23:00:00.000Z', 'afterWindow'],
		// Never earlier than now.
		['candidate in the past, now inside the window → now', '2026-06-10T13:00:00Z', '2026-06-10T15:00:00Z', NY, policy(), '2026-06-10T15:00:00.000Z', undefined],
		['candidate in the past, now after the window → next morning', '2026-06-10T13:00:00Z', '2026-06-11T01:00:00Z', NY, policy(), '2026-06-11T13:00:00.000Z', 'afterWindow'],
		['a narrow custom window', '2026-06-10T17:00:00Z', '2026-06-10T12:00:00Z', NY, policy({ window: { start: '10:30', end: '12:45' } }), '2026-06-11T14:30:00.000Z', 'afterWindow'],
	])('%s', (_name, candidate, now, zone, sendPolicy, expectedAt, reason) => {
		const result = nextAllowedInstant({ candidate, now, zone, policy: sendPolicy });
		expect(result.at).toBe(expectedAt);
		expect(result.shifted).toBe(reason !== undefined);
		expect(result.reason).toBe(reason);
		expect(Date.parse(result.local)).toBe(Date.parse(expectedAt));
	});

	describe.each([
		// Each evening at 22:00 local, the next send is the next day at 09:00 local; the UTC hour flips with DST.
		['spring-forward week', [
			['2026-03-06T03:00:00Z', '2026-03-06T14:00:00.000Z'],
			['2026-03-07T03:00:00Z', '2026-03-07T14:00:00.000Z'],
			['2026-03-08T03:00:00Z', '2026-03-08T13:00:00.000Z'],
			['2026-03-09T02:00:00Z', '2026-03-09T13:00:00.000Z'],
			['2026-03-10T02:00:00Z', '2026-03-10T13:00:00.000Z'],
		]],
		['fall-back week', [
			['2026-10-30T02:00:00Z', '2026-10-30T13:00:00.000Z'],
			['2026-10-31T02:00:00Z', '2026-10-31T13:00:00.000Z'],
			['2026-11-01T02:00:00Z', '2026-11-01T14:00:00.000Z'],
			['2026-11-02T03:00:00Z', '2026-11-02T14:00:00.000Z'],
			['2026-11-03T03:00:00Z', '2026-11-03T14:00:00.000Z'],
		]],
	])('New York %s, 22:00 local every evening', (_week, rows) => {
		it.each(rows)('%s → %s', (evening, expected) => {
			const result = nextAllowedInstant({ candidate: evening, now: evening, zone: NY, policy: policy() });
			expect(result).toMatchObject({ at: expected, shifted: true, reason: 'afterWindow' });
			expect(result.local.slice(11, 16)).toBe('09:00');
		});
	});

	it('puts the window in the patient zone, not the practice zone', () => {
		const { zone } = resolveZone({ patientZone: LA, practiceZone: NY });
		// 09:00 in New York is 06:00 in Los Angeles: too early for this patient.
		expect(nextAllowedInstant({ candidate: '2026-06-10T13:00:00Z', now: '2026-06-10T13:00:00Z', zone, policy: policy() }))
			.toMatchObject({ at: '2026-06-10T16:00:00.000Z', reason: 'beforeWindow' });
		// 22:30 in New York is 19:30 in Los Angeles: still fine for this patient.
		expect(nextAllowedInstant({ candidate: '2026-06-11T02:30:00Z', now: '2026-06-11T02:30:00Z', zone, policy: policy() }))
			.toMatchObject({ at: '2026-06-11T02:30:00.000Z', shifted: false });
	});

	it('throws no_open_day when every weekday is closed', () => {
		const allClosed = policy({ closedWeekdays: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] });
		const error = domainErrorOf(() =>
			nextAllowedInstant({ candidate: '2026-06-10T15:00:00Z', now: '2026-06-10T15:00:00Z', zone: NY, policy: allClosed }),
		);
		expect(error).toMatchObject({ code: 'no_open_day', field: 'policy' });
	});

	it.each([
		['candidate', { candidate: 'soon', now: '2026-06-10T15:00:00Z', zone: NY, policy: policy() }],
		['now', { candidate: '2026-06-10T15:00:00Z', now: '', zone: NY, policy: policy() }],
		['zone', { candidate: '2026-06-10T15:00:00Z', now: '2026-06-10T15:00:00Z', zone: '', policy: policy() }],
		['policy.window', { candidate: '2026-06-10T15:00:00Z', now: '2026-06-10T15:00:00Z', zone: NY, policy: policy({ window: { start: '07:00', end: '20:00' } }) }],
		['policy.window.start', { candidate: '2026-06-10T15:00:00Z', now: '2026-06-10T15:00:00Z', zone: NY, policy: policy({ window: { start: '9:00', end: '20:00' } }) }],
		['policy.holidays.0', { candidate: '2026-06-10T15:00:00Z', now: '2026-06-10T15:00:00Z', zone: NY, policy: policy({ holidays: ['July 4'] }) }],
	])('rejects a bad %s', (field, input) => {
		expect(domainErrorOf(() => nextAllowedInstant(input)).field).toBe(field);
	});
});

describe('windowStartOnNextOpenDay', () => {
	it.each([
		['next morning', '2026-06-10T15:00:00Z', policy(), '2026-06-11T13:00:00.000Z'],
		['skips a closed weekend', '2026-06-12T15:00:00Z', policy({ closedWeekdays: weekendsClosed }), '2026-06-15T13:00:00.000Z'],
		['Saturday to the spring-forward Sunday', '2026-03-07T15:00:00Z', policy(), '2026-03-08T13:00:00.000Z'],
		['Saturday to the fall-back Sunday', '2026-10-31T15:00:00Z', policy(), '2026-11-01T14:00:00.000Z'],
		['late evening UTC is still the same local day', '2026-06-11T03:00:00Z', policy(), '2026-06-11T13:00:00.000Z'],
	])('%s', (_name, after, sendPolicy, expected) => {
		expect(windowStartOnNextOpenDay({ after, zone: NY, policy: sendPolicy }).at).toBe(expected);
	});
});

describe('isInsideWindow', () => {
	it.each([
		['window start is inside', '2026-06-10T13:00:00Z', NY, policy(), true],
		['one millisecond before start', '2026-06-10T12:59:59.999Z', NY, policy(), false],
		['one millisecond before end', '2026-06-10T23:59:59.999Z', NY, policy(), true],
		['window end is outside', '2026-06-11T00:00:00Z', NY, policy(), false],
		['closed weekday', '2026-06-13T15:00:00Z', NY, policy({ closedWeekdays: weekendsClosed }), false],
		['holiday', '2026-07-03T15:00:00Z', NY, policy({ holidays: ['2026-07-03'] }), false],
		['spring-forward Sunday 09:00 EDT', '2026-03-08T13:00:00Z', NY, policy(), true],
		['fall-back Sunday 08:30 EST', '2026-11-01T13:30:00Z', NY, policy(), false],
		['fall-back Sunday 09:00 EST', '2026-11-01T14:00:00Z', NY, policy(), true],
		['Honolulu evening is inside while it is night in New York', '2026-06-11T05:00:00Z', HNL, policy(), true],
		['local date in the patient zone decides the holiday', '2026-07-04T02:00:00Z', LA, policy({ holidays: ['2026-07-04'] }), true],
	])('%s', (_name, instant, zone, sendPolicy, expected) => {
		expect(isInsideWindow(instant, zone, sendPolicy)).toBe(expected);
	});

	it('rejects a bad instant naming the field', () => {
		expect(domainErrorOf(() => isInsideWindow('noon', NY, policy())).field).toBe('instant');
	});
});

describe('localDateOf', () => {
	it.each([
		['2026-03-08T03:00:00Z', NY, '2026-03-07'],
		['2026-03-08T05:00:00Z', NY, '2026-03-08'],
		['2026-11-01T04:30:00Z', NY, '2026-11-01'],
		['2026-11-01T03:30:00Z', NY, '2026-10-31'],
		['2026-03-08T09:59:00Z', HNL, '2026-03-07'],
		['2026-03-08T06:59:00Z', PHX, '2026-03-07'],
		['2026-03-07T15:00:00Z', 'Asia/Tokyo', '2026-03-08'],
		['2026-03-08T03:00:00Z', 'UTC', '2026-03-08'],
	])('%s in %s is %s', (instant, zone, expected) => {
		expect(localDateOf(instant, zone)).toBe(expected);
	});

	it.each([['Local'], [''], [undefined as unknown as string]])('rejects the zone %p naming the field', (zone) => {
		expect(domainErrorOf(() => localDateOf('2026-03-08T03:00:00Z', zone))).toMatchObject({
			code: 'invalid_zone',
			field: 'zone',
		});
	});
});

describe('planTouch', () => {
	const twoDaysAfter: CadenceOffset = { amount: 2, unit: 'days', direction: 'after' };
	const immediately: CadenceOffset = { amount: 0, unit: 'minutes', direction: 'after' };
	const thirtyDaysBefore: CadenceOffset = { amount: 30, unit: 'days', direction: 'before' };

	it.each([
		['48 h reminder across spring-forward, inside the window', '2026-03-06T21:00:00Z', twoDaysAfter, '2026-03-06T21:00:00Z', policy(), '2026-03-08T20:00:00.000Z', '2026-03-08T20:00:00.000Z', undefined, false],
		['48 h reminder landing on a closed Sunday', '2026-06-12T20:00:00Z', twoDaysAfter, '2026-06-12T20:00:00Z', policy({ closedWeekdays: ['sun'] }), '2026-06-14T20:00:00.000Z', '2026-06-15T13:00:00.000Z', 'closedDay', false],
		['care summary at close, inside the window', '2026-06-10T15:00:00Z', immediately, '2026-06-10T15:00:00Z', policy(), '2026-06-10T15:00:00.000Z', '2026-06-10T15:00:00.000Z', undefined, true],
		['care summary for a visit closed at 21:30 → next morning', '2026-06-11T01:30:00Z', immediately, '2026-06-11T01:30:05Z', policy(), '2026-06-11T01:30:00.000Z', '2026-06-11T13:00:00.000Z', 'afterWindow', false],
		['recall 30 days ahead, planned in advance', '2026-04-15', thirtyDaysBefore, '2026-03-01T15:00:00Z', policy(), '2026-03-16T04:00:00.000Z', '2026-03-16T13:00:00.000Z', 'beforeWindow', false],
		['recall already inside its 30 days: send now, never earlier', '2026-04-15', thirtyDaysBefore, '2026-04-05T15:00:00Z', policy(), '2026-03-16T04:00:00.000Z', '2026-04-05T15:00:00.000Z', undefined, true],
		['resume a minute late: due is past, still inside the window', '2026-06-08T15:00:00Z', twoDaysAfter, '2026-06-10T15:01:00Z', policy(), '2026-06-10T15:00:00.000Z', '2026-06-10T15:01:00.000Z', undefined, true],
	])('%s', (_name, anchor, offset, now, sendPolicy, due, sendAt, reason, dueNow) => {
		const plan = planTouch({ anchor, offset, zone: NY, policy: sendPolicy, now });
		expect(plan).toEqual({
			due,
			sendAt,
			sendAtLocal: expect.any(String),
			shifted: reason !== undefined,
			...(reason ? { reason } : {}),
			dueNow,
		});
		expect(Date.parse(plan.sendAtLocal)).toBe(Date.parse(sendAt));
		expect(Date.parse(plan.sendAt)).toBeGreaterThanOrEqual(Date.parse(now));
	});
});

describe('"2 days" keeps the wall-clock time, "48 hours" is absolute (issue 18, part 5)', () => {
	const evening = policy();
	const after = (amount: number, unit: CadenceOffset['unit']): CadenceOffset => ({ amount, unit, direction: 'after' });
	// [name, zone, visit closed (local, Saturday 19:55 before the transition), offset, due, sendAt]
	it.each([
		['New York spring-forward, 2 days', NY, '2026-03-07T19:55:00-05:00', after(2, 'days'), '2026-03-09T23:55:00.000Z', '2026-03-09T23:55:00.000Z'],
		['New York spring-forward, 48 hours slips to Tuesday 09:00', NY, '2026-03-07T19:55:00-05:00', after(48, 'hours'), '2026-03-10T00:55:00.000Z', '2026-03-10T13:00:00.000Z'],
		['New York fall-back, 2 days', NY, '2026-10-31T19:55:00-04:00', after(2, 'days'), '2026-11-03T00:55:00.000Z', '2026-11-03T00:55:00.000Z'],
		['New York fall-back, 48 hours goes an hour early', NY, '2026-10-31T19:55:00-04:00', after(48, 'hours'), '2026-11-02T23:55:00.000Z', '2026-11-02T23:55:00.000Z'],
		['Sydney spring-forward (October), 2 days', 'Australia/Sydney', '2026-10-03T19:55:00+10:00', after(2, 'days'), '2026-10-05T08:55:00.000Z', '2026-10-05T08:55:00.000Z'],
		['Sydney spring-forward, 48 hours slips to Tuesday 09:00', 'Australia/Sydney', '2026-10-03T19:55:00+10:00', after(48, 'hours'), '2026-10-05T09:55:00.000Z', '2026-10-05T22:00:00.000Z'],
		['Sydney fall-back (April), 2 days', 'Australia/Sydney', '2026-04-04T19:55:00+11:00', after(2, 'days'), '2026-04-06T09:55:00.000Z', '2026-04-06T09:55:00.000Z'],
		['Auckland spring-forward (September), 2 days', 'Pacific/Auckland', '2026-09-26T19:55:00+12:00', after(2, 'days'), '2026-09-28T06:55:00.000Z', '2026-09-28T06:55:00.000Z'],
		['Auckland spring-forward, 48 hours slips to Tuesday 09:00', 'Pacific/Auckland', '2026-09-26T19:55:00+12:00', after(48, 'hours'), '2026-09-28T07:55:00.000Z', '2026-09-28T20:00:00.000Z'],
	])('%s', (_name, zone, anchor, offset, due, sendAt) => {
		const plan = planTouch({ anchor, offset, zone, policy: evening, now: anchor });
		expect([plan.due, plan.sendAt]).toEqual([due, sendAt]);
		if (offset.unit === 'days') expect(localDateOf(plan.sendAt, zone)).toBe(localDateOf(dueInstant({ anchor, offset, zone }), zone));
	});

	it('keeps 19:55 local on the second day after, whatever the transition', () => {
		for (const [zone, anchor] of [
			[NY, '2026-03-07T19:55:00-05:00'],
			[NY, '2026-10-31T19:55:00-04:00'],
			['Australia/Sydney', '2026-10-03T19:55:00+10:00'],
			['Australia/Sydney', '2026-04-04T19:55:00+11:00'],
			['Pacific/Auckland', '2026-09-26T19:55:00+12:00'],
			['Pacific/Auckland', '2026-04-04T19:55:00+13:00'],
		]) {
			const due = dueInstant({ anchor, offset: after(2, 'days'), zone });
			expect(new Intl.DateTimeFormat('en-GB', { timeZone: zone, hour: '2-digit', minute: '2-digit', weekday: 'short' }).format(new Date(due))).toBe('Mon 19:55');
		}
	});
});
