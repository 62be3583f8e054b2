import fc from 'fast-check';
import { DateTime } from 'luxon';

import { nextAllowedInstant } from '../../nodes/shared/core/cadence';
import { evaluateTouch, isCurableByTime } from '../../nodes/shared/core/guard';
import type { GuardInput, HoldReason } from '../../nodes/shared/core/guard';
import { weekdays } from '../../nodes/shared/core/practice';
import type { SendPolicy } from '../../nodes/shared/core/practice';
import { channels } from '../../nodes/shared/core/schemas';

/*
 * Properties of the guard and of nextAllowedInstant over random schedules. The oracle below is written
 * independently of cadence.ts: it reads the local wall clock (HH:mm:ss.SSS) and the local date of an
 * instant instead of building window instants, so a DST mistake in either would show up as a disagreement.
 */

const numRuns = 10_000;

const zones = [
	'America/New_York',
	'America/Chicago',
	'America/Denver',
	'America/Phoenix',
	'America/Los_Angeles',
	'America/Anchorage',
	'Pacific/Honolulu',
	'America/St_Johns',
	'America/Santiago',
	'Europe/London',
	'Europe/Berlin',
	'Australia/Sydney',
	'Australia/Lord_Howe',
	'Asia/Kolkata',
	'UTC',
];

/** DST transition dates of 2026 in the zones above; instants are drawn near them a quarter of the time. */
const transitionDays = [
	'2026-03-08', // US spring forward
	'2026-11-01', // US fall back
	'2026-03-29', // EU spring forward
	'2026-10-25', // EU fall back
	'2026-04-05', // Australia fall back, Chile
	'2026-10-04', // Australia spring forward
	'2026-09-06', // Chile spring forward (at local midnight)
];

const hour = 3_600_000;
const yearStart = Date.UTC(2026, 0, 1);
const yearEnd = Date.UTC(2027, 0, 1) - 1;

const anyInstant2026 = fc.integer({ min: yearStart, max: yearEnd });
const nearTransition = fc
	.tuple(fc.constantFrom(...transitionDays), fc.integer({ min: -36 * hour, max: 36 * hour }))
	.map(([day, delta]) => Date.parse(`${day}T00:00:00Z`) + delta);
const instantMs = fc.oneof({ arbitrary: anyInstant2026, weight: 2 }, { arbitrary: nearTransition, weight: 1 });

/** The 2026 calendar date `index` days after 1 January (negative and past-year values welcome). */
const date2026 = (index: number): string => new Date(Date.UTC(2026, 0, 1 + index)).toISOString().slice(0, 10);

const clock = (minutes: number): string =>
	`${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
const sendWindow = fc
	.integer({ min: 8 * 60, max: 21 * 60 - 1 })
	.chain((start) =>
		fc.integer({ min: start + 1, max: 21 * 60 }).map((end) => ({ start: clock(start), end: clock(end) })),
	);

/** Holidays as runs of consecutive dates (a single holiday is a run of one). */
const holidays = fc
	.array(fc.tuple(fc.integer({ min: -10, max: 380 }), fc.integer({ min: 1, max: 10 })), { maxLength: 6 })
	.map((runs) =>
		runs.flatMap(([first, length]) =>
			Array.from({ length }, (_, index) => date2026(first + index)),
		),
	);

const sendPolicy: fc.Arbitrary<SendPolicy> = fc.record({
	window: sendWindow,
	// At most six closed weekdays: with all seven closed there is no open day (tested in cadence.test.ts).
	closedWeekdays: fc.subarray([...weekdays], { maxLength: 6 }),
	holidays,
});

/** The local window start or end of some day (often a DST transition day), or 1 ms / 1 min either side. */
function windowEdge(zone: string, policy: SendPolicy): fc.Arbitrary<number> {
	const day = fc.oneof(
		fc.integer({ min: 0, max: 364 }).map(date2026),
		fc.constantFrom(...transitionDays),
	);
	const edge = fc.constantFrom(policy.window.start, policy.window.end);
	const nudge = fc.constantFrom(-60_000, -1, 0, 1, 60_000);
	return fc
		.tuple(day, edge, nudge)
		.map(([date, time, delta]) => DateTime.fromISO(`${date}T${time}`, { zone }).toMillis() + delta);
}

/** Instants for a schedule: anywhere in 2026, near DST transitions, or right on the window's edges. */
function instantFor(zone: string, policy: SendPolicy): fc.Arbitrary<string> {
	return fc
		.oneof({ arbitrary: instantMs, weight: 3 }, { arbitrary: windowEdge(zone, policy), weight: 1 })
		.map((ms) => new Date(ms).toISOString());
}

const schedule = fc.record({ zone: fc.constantFrom(...zones), policy: sendPolicy });

const guardInput: fc.Arbitrary<GuardInput> = schedule.chain(({ zone, policy }) =>
	fc.record({
		now: instantFor(zone, policy),
		zone: fc.constant(zone),
		policy: fc.constant(policy),
		caps: fc.record({
			automatedPerJourney: fc.integer({ min: 0, max: 5 }),
			stage3PerJourney: fc.integer({ min: 0, max: 2 }),
			perPatientPerDay: fc.integer({ min: 1, max: 5 }),
			perNumberPerDay: fc.integer({ min: 1, max: 5 }),
		}),
		touch: fc
			.tuple(fc.constantFrom(1 as const, 2 as const, 3 as const), fc.constantFrom(...channels))
			.map(([stage, channel]) => ({
				stage,
				kind: stage === 3 ? ('stage3' as const) : ('automated' as const),
				channel,
			})),
		history: fc.record({
			automatedSentThisJourney: fc.integer({ min: 0, max: 6 }),
			stage3SentThisJourney: fc.integer({ min: 0, max: 3 }),
			patientTouchesToday: fc.integer({ min: 0, max: 6 }),
			optedOutChannels: fc.subarray([...channels]),
		}),
		actionDone: fc.oneof(
			{ arbitrary: fc.constant(false), weight: 9 },
			{ arbitrary: fc.constant(true), weight: 1 },
		),
	}),
);

// ---- the independent oracle ----

function localOf(iso: string, zone: string): DateTime {
	return DateTime.fromISO(iso, { zone: 'utc' }).setZone(zone);
}

function isOpenDate(date: DateTime, policy: SendPolicy): boolean {
	const closed = policy.closedWeekdays.includes(weekdays[date.weekday - 1]);
	return !closed && !policy.holidays.includes(date.toISODate() as string);
}

function wallClockInsideWindow(local: DateTime, policy: SendPolicy): boolean {
	const time = local.toFormat('HH:mm:ss.SSS');
	return time >= `${policy.window.start}:00.000` && time < `${policy.window.end}:00.000`;
}

function oracleInside(iso: string, zone: string, policy: SendPolicy): boolean {
	const local = localOf(iso, zone);
	return isOpenDate(local, policy) && wallClockInsideWindow(local, policy);
}

/** True when every local date from `fromIso`'s to `toIso`'s (exclusive) offered no slot at or after `fromIso`. */
function noEarlierSlotSkipped(fromIso: string, toIso: string, zone: string, policy: SendPolicy): boolean {
	const from = localOf(fromIso, zone);
	const to = localOf(toIso, zone);
	const lastDate = DateTime.utc(to.year, to.month, to.day);
	let date = DateTime.utc(from.year, from.month, from.day);
	for (; date.toMillis() < lastDate.toMillis(); date = date.plus({ days: 1 })) {
		const isFirstDay = date.toISODate() === from.toISODate();
		const lateOnFirstDay = isFirstDay && from.toFormat('HH:mm') >= policy.window.end;
		if (isOpenDate(date, policy) && !lateOnFirstDay) return false;
	}
	return true;
}

function expectedReason(input: GuardInput): HoldReason | undefined {
	const { history, caps, touch } = input;
	if (input.actionDone) return 'actionDone';
	if (history.optedOutChannels.includes(touch.channel)) return 'optedOut';
	const [sent, cap] =
		touch.kind === 'automated'
			? [history.automatedSentThisJourney, caps.automatedPerJourney]
			: [history.stage3SentThisJourney, caps.stage3PerJourney];
	if (sent >= cap) return 'perJourneyCap';
	if (!oracleInside(input.now, input.zone, input.policy)) return 'outsideWindow';
	if (history.patientTouchesToday >= caps.perPatientPerDay) return 'dailyCap';
	return undefined;
}

/** Generous: 10,000 runs take seconds, but this machine is shared and speed is not what these tests check. */
const propertyTimeoutMs = 180_000;

function checkAllowed(input: GuardInput): void {
	const { history, caps, touch } = input;
	const [sent, cap] =
		touch.kind === 'automated'
			? [history.automatedSentThisJourney, caps.automatedPerJourney]
			: [history.stage3SentThisJourney, caps.stage3PerJourney];
	expect(oracleInside(input.now, input.zone, input.policy)).toBe(true);
	expect(sent).toBeLessThan(cap);
	expect(history.patientTouchesToday).toBeLessThan(caps.perPatientPerDay);
	expect(input.actionDone).toBe(false);
	expect(history.optedOutChannels).not.toContain(touch.channel);
}

function checkRetryAt(input: GuardInput, reason: HoldReason, retryAt: string): void {
	const { zone, policy, now } = input;
	expect(Date.parse(retryAt)).toBeGreaterThan(Date.parse(now));
	expect(oracleInside(retryAt, zone, policy)).toBe(true);
	// Both timed holds resume at a window start: the earliest instant of some open day.
	expect(localOf(retryAt, zone).toFormat('HH:mm:ss.SSS')).toBe(`${policy.window.start}:00.000`);
	if (reason === 'outsideWindow') {
		expect(noEarlierSlotSkipped(now, retryAt, zone, policy)).toBe(true);
		return;
	}
	// dailyCap: the first open local day after now's local date.
	const nowLocal = localOf(now, zone);
	expect(localOf(retryAt, zone).toISODate()! > nowLocal.toISODate()!).toBe(true);
	const nextDayStart = nowLocal.plus({ days: 1 }).startOf('day').toUTC().toISO()!;
	expect(noEarlierSlotSkipped(nextDayStart, retryAt, zone, policy)).toBe(true);
}

describe('evaluateTouch over random schedules', () => {
	it(
		'allows only inside the window of an open day with room under every cap; ' +
			'holds with the first reason, and with retryAt exactly when time cures it',
		() => {
			fc.assert(
				fc.property(guardInput, (input) => {
					const decision = evaluateTouch(input);
					if (decision.allowed) {
						expect(expectedReason(input)).toBeUndefined();
						checkAllowed(input);
						return;
					}
					expect(decision.reason).toBe(expectedReason(input));
					if (!isCurableByTime(decision.reason)) {
						expect(decision).not.toHaveProperty('retryAt');
						return;
					}
					expect('retryAt' in decision).toBe(true);
					if ('retryAt' in decision) checkRetryAt(input, decision.reason, decision.retryAt);
				}),
				{ numRuns },
			);
		},
		propertyTimeoutMs,
	);
});

describe('nextAllowedInstant over random schedules', () => {
	const slotInput = schedule.chain(({ zone, policy }) =>
		fc.record({
			candidate: instantFor(zone, policy),
			now: instantFor(zone, policy),
			zone: fc.constant(zone),
			policy: fc.constant(policy),
		}),
	);

	it(
		'is never before now or the candidate, lies inside the window, and skips no open slot',
		() => {
			fc.assert(
				fc.property(slotInput, (input) => {
					const slot = nextAllowedInstant(input);
					const earliestMs = Math.max(Date.parse(input.candidate), Date.parse(input.now));
					const atMs = Date.parse(slot.at);
					expect(atMs).toBeGreaterThanOrEqual(earliestMs);
					expect(Date.parse(slot.local)).toBe(atMs);
					expect(oracleInside(slot.at, input.zone, input.policy)).toBe(true);
					if (!slot.shifted) {
						expect(atMs).toBe(earliestMs);
						expect(slot.reason).toBeUndefined();
						return;
					}
					expect(slot.reason).toBeDefined();
					const localClock = localOf(slot.at, input.zone).toFormat('HH:mm:ss.SSS');
					expect(localClock).toBe(`${input.policy.window.start}:00.000`);
					const earliest = new Date(earliestMs).toISOString();
					expect(noEarlierSlotSkipped(earliest, slot.at, input.zone, input.policy)).toBe(true);
				}),
				{ numRuns },
			);
		},
		propertyTimeoutMs,
	);
});
