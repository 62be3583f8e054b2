import { DateTime, IANAZone } from 'luxon';

import { DomainError, fromZodError } from './errors';
import { sendPolicySchema, weekdays } from './practice';
import type { SendPolicy, SendWindow, Weekday } from './practice';
import type { zoneSources } from './schemas';
import { cachedZone } from './zones';

/*
 * Cadence: when a touch is due and when it may actually go out, in the patient's local time.
 *
 * Pure: every function takes `now` and the zone as arguments. Every luxon DateTime is built with an
 * explicit zone, so neither the server's zone nor luxon's Settings.defaultZone can leak in.
 * An ISO string without an offset ("2026-03-08T10:00:00") is read as wall time in the given zone;
 * a bare date ("2026-04-15") is the local start of that day in the given zone.
 */

/** How many local days nextAllowedInstant inspects before deciding that no day is open. */
export const maxSearchDays = 400;

/** Largest offset amount accepted, in any unit (a guard against typos such as 7000 days). */
export const maxOffsetAmount = 100_000;

export const offsetUnits = ['minutes', 'hours', 'days'] as const;
export type OffsetUnit = (typeof offsetUnits)[number];

export const offsetDirections = ['after', 'before'] as const;
export type OffsetDirection = (typeof offsetDirections)[number];

/** "2 days after", "30 days before". Minutes and hours are absolute durations; days are local calendar days. */
export interface CadenceOffset {
	amount: number;
	unit: OffsetUnit;
	direction: OffsetDirection;
}

export type ResolvedZoneSource = Extract<(typeof zoneSources)[number], 'patient' | 'location' | 'practice'>;

export interface ZoneCandidates {
	patientZone?: string | null;
	locationZone?: string | null;
	practiceZone?: string | null;
}

export interface ResolvedZone {
	zone: string;
	source: ResolvedZoneSource;
}

/** Why a send time was moved: the first rule that rejected the earliest possible instant. */
export type ShiftReason = 'beforeWindow' | 'afterWindow' | 'closedDay' | 'holiday';

export interface AllowedSlot {
	/** ISO instant in UTC. */
	at: string;
	/** The same instant as ISO in the patient's zone (for people reading the journey). */
	local: string;
	/** True when the policy moved the send later than max(candidate, now). */
	shifted: boolean;
	/** Present exactly when `shifted`. */
	reason?: ShiftReason;
}

export interface TouchPlan {
	/** Anchor ± offset, before the send policy is applied (ISO instant in UTC). */
	due: string;
	/** When the touch may go out: ≥ due, ≥ now, inside the window on an open day (ISO instant in UTC). */
	sendAt: string;
	/** `sendAt` in the patient's zone. */
	sendAtLocal: string;
	shifted: boolean;
	reason?: ShiftReason;
	/** True when `sendAt <= now`: send now rather than wait. */
	dueNow: boolean;
}

const zoneFallbacks: ReadonlyArray<[keyof ZoneCandidates, ResolvedZoneSource]> = [
	['patientZone', 'patient'],
	['locationZone', 'location'],
	['practiceZone', 'practice'],
];

/**
 * Picks the zone a journey runs in: the patient's, else the location's, else the practice default.
 * Never the server's. Blank values count as missing; an invalid name is an error (not skipped), so a typo
 * in the patient record cannot silently move sends into another zone.
 */
export function resolveZone(candidates: ZoneCandidates): ResolvedZone {
	for (const [field, source] of zoneFallbacks) {
		const value = candidates[field];
		if (value === undefined || value === null || value.trim() === '') continue;
		return { zone: checkZone(value.trim(), field), source };
	}
	throw new DomainError(
		'No time zone: set the patient zone, the location zone or the practice default zone',
		'no_zone',
		'practiceZone',
	);
}

/**
 * The raw due instant: anchor plus or minus the offset, as an ISO instant in UTC.
 * Invariants: minutes/hours add absolute time (48 h is always 172,800 s); days add local calendar days in
 * `zone`, keeping the local wall time across DST (so "+1 day" is 23 h or 25 h on a transition day).
 */
export function dueInstant(input: { anchor: string; offset: CadenceOffset; zone: string }): string {
	const zone = checkZone(input.zone, 'zone');
	const anchor = parseInstant(input.anchor, zone, 'anchor');
	const { amount, unit, direction } = checkOffset(input.offset);
	const signed = direction === 'after' ? amount : -amount;
	// luxon does time math for minutes/hours and calendar math for days, in the DateTime's own zone (`zone`).
	// A day step landing in a spring-forward gap moves forward by the gap (02:30 → 03:30); one landing in the
	// repeated fall-back hour keeps the anchor's offset when it can.
	return toUtcIso(anchor.plus({ [unit]: signed }));
}

/**
 * The first instant ≥ max(candidate, now) that lies inside the send window [start, end) of an open local day
 * (not a closed weekday, not a holiday) in `zone` and in every one of `extraZones` (a ZIP code or area code that
 * spans several zones: the window is their intersection). Never earlier than `now`. `local` is in `zone`.
 * Throws DomainError 'no_open_day' when no day in the next `maxSearchDays` is open, 'no_common_window' when the
 * zones' windows never meet.
 */
export function nextAllowedInstant(input: {
	candidate: string;
	now: string;
	zone: string;
	policy: SendPolicy;
	extraZones?: readonly string[];
}): AllowedSlot {
	const first = nextAllowedInZone(input);
	const others = otherZones(input.zone, input.extraZones);
	if (others.length === 0) return first;
	return intersectWindows(first, input.zone, others, input.policy);
}

/** Rounds of "move to the next zone's window" before giving up: zones a few hours apart meet within two or three. */
const maxIntersectionRounds = 32;

/**
 * Moves `slot` forward until it lies inside the window of every zone. Each round only moves later, to a
 * window start of some zone, so where the windows overlap the first instant inside all of them is found.
 */
function intersectWindows(first: AllowedSlot, zone: string, others: readonly string[], policy: SendPolicy): AllowedSlot {
	let at = first.at;
	let reason = first.reason;
	for (let round = 0; round < maxIntersectionRounds; round++) {
		let moved = false;
		for (const other of [zone, ...others]) {
			const next = nextAllowedInZone({ candidate: at, now: at, zone: other, policy });
			if (Date.parse(next.at) > Date.parse(at)) {
				at = next.at;
				reason ??= next.reason;
				moved = true;
			}
		}
		if (!moved) return slot(DateTime.fromISO(at, { zone: cachedZone(zone) }), reason);
	}
	throw new DomainError(
		`Send policy: the send windows of ${[zone, ...others].join(', ')} never overlap`,
		'no_common_window',
		'policy',
	);
}

/** The extra zones, checked and without the primary one or repeats. */
function otherZones(zone: string, extraZones: readonly string[] | undefined): string[] {
	const others = new Set((extraZones ?? []).map((extra, index) => checkZone(extra, `extraZones[${index}]`)));
	others.delete(zone);
	return [...others];
}

function nextAllowedInZone(input: { candidate: string; now: string; zone: string; policy: SendPolicy }): AllowedSlot {
	const zone = checkZone(input.zone, 'zone');
	const rules = compilePolicy(input.policy);
	const candidate = parseInstant(input.candidate, zone, 'candidate');
	const now = parseInstant(input.now, zone, 'now');
	const earliest = candidate.toMillis() >= now.toMillis() ? candidate : now;
	const firstDate = calendarDateOf(earliest);
	let reason: ShiftReason | undefined;
	// DST: walk local calendar dates and build each day's window from wall-clock fields in `zone`, then compare
	// instants. Stepping by 24 h instead would drift an hour on the 23 h / 25 h transition days. Transitions
	// happen at night, before any window (≥ 08:00), so the skipped or repeated hour never splits a window;
	// were a window start ever skipped, luxon would move it to the first real instant after the gap.
	for (let dayIndex = 0; dayIndex < maxSearchDays; dayIndex++) {
		const date = firstDate.plus({ days: dayIndex });
		const closedBecause = closedReason(date, rules);
		if (closedBecause) {
			reason ??= closedBecause;
			continue;
		}
		const window = windowOn(date, zone, rules.window);
		if (earliest.toMillis() < window.start.toMillis()) return slot(window.start, reason ?? 'beforeWindow');
		if (earliest.toMillis() < window.end.toMillis()) return slot(earliest);
		reason ??= 'afterWindow';
	}
	throw new DomainError(
		`Send policy: no open day in the next ${maxSearchDays} days (every weekday closed or all holidays)`,
		'no_open_day',
		'policy',
	);
}

/**
 * The window start on the first open local day strictly after the local date of `after` (per-day caps reset
 * at local midnight, so this is when a patient who hit the daily cap may be contacted again).
 */
export function windowStartOnNextOpenDay(input: {
	after: string;
	zone: string;
	policy: SendPolicy;
	extraZones?: readonly string[];
}): AllowedSlot {
	const zone = checkZone(input.zone, 'zone');
	const after = parseInstant(input.after, zone, 'after');
	const nextDate = calendarDateOf(after).plus({ days: 1 });
	// Local midnight (or the first instant of the day, where midnight is skipped) is before any window start.
	const nextDayStart = DateTime.fromObject(
		{ year: nextDate.year, month: nextDate.month, day: nextDate.day },
		{ zone: cachedZone(zone) },
	);
	const candidate = toUtcIso(nextDayStart);
	return nextAllowedInstant({ candidate, now: input.after, zone, policy: input.policy, extraZones: input.extraZones });
}

/** True when `instant` lies inside the send window [start, end) of an open local day in `zone` and in each of `extraZones`. */
export function isInsideWindow(instant: string, zone: string, policy: SendPolicy, extraZones?: readonly string[]): boolean {
	if (!isInsideWindowOfZone(instant, zone, policy)) return false;
	return otherZones(zone, extraZones).every((other) => isInsideWindowOfZone(instant, other, policy));
}

function isInsideWindowOfZone(instant: string, zone: string, policy: SendPolicy): boolean {
	const validZone = checkZone(zone, 'zone');
	const rules = compilePolicy(policy);
	const local = parseInstant(instant, validZone, 'instant');
	const date = calendarDateOf(local);
	if (closedReason(date, rules)) return false;
	const window = windowOn(date, validZone, rules.window);
	return local.toMillis() >= window.start.toMillis() && local.toMillis() < window.end.toMillis();
}

/** An instant as a person in `zone` reads it, e.g. "Tue 2026-12-08 09:00 America/New_York". */
export function localTimeLabel(instant: string, zone: string): string {
	const local = parseInstant(instant, checkZone(zone, 'zone'), 'instant');
	return `${local.toFormat('ccc yyyy-MM-dd HH:mm')} ${zone}`;
}

/** The patient's local calendar date ('YYYY-MM-DD') of an instant: the key of per-day caps. */
export function localDateOf(instant: string, zone: string): string {
	const local = parseInstant(instant, checkZone(zone, 'zone'), 'instant');
	return local.toISODate() as string;
}

/**
 * Due time and send time of one touch: dueInstant, then nextAllowedInstant from max(due, now).
 * Invariants: sendAt ≥ due, sendAt ≥ now, sendAt inside the window of an open day; dueNow ⇔ sendAt ≤ now.
 */
export function planTouch(input: {
	anchor: string;
	offset: CadenceOffset;
	zone: string;
	policy: SendPolicy;
	now: string;
	/** Zones the send window must also hold in (see nextAllowedInstant); day arithmetic stays in `zone`. */
	extraZones?: readonly string[];
}): TouchPlan {
	const due = dueInstant(input);
	const { zone, policy, extraZones } = input;
	const allowed = nextAllowedInstant({ candidate: due, now: input.now, zone, policy, extraZones });
	const now = parseInstant(input.now, input.zone, 'now');
	return {
		due,
		sendAt: allowed.at,
		sendAtLocal: allowed.local,
		shifted: allowed.shifted,
		...(allowed.reason ? { reason: allowed.reason } : {}),
		dueNow: DateTime.fromISO(allowed.at, { zone: 'utc' }).toMillis() <= now.toMillis(),
	};
}

interface CompiledPolicy {
	window: SendWindow;
	closedWeekdays: ReadonlySet<Weekday>;
	holidays: ReadonlySet<string>;
}

/** Policies already checked, by their JSON: a practice has a handful, and every decision re-reads one. */
const compiledPolicies = new Map<string, CompiledPolicy>();
const maxCompiledPolicies = 256;

function compilePolicy(policy: SendPolicy): CompiledPolicy {
	const key = JSON.stringify(policy) ?? 'undefined';
	const cached = compiledPolicies.get(key);
	if (cached) return cached;
	const result = sendPolicySchema.safeParse(policy);
	if (!result.success) {
		const error = fromZodError(result.error, 'Send policy');
		throw new DomainError(error.message, error.code, `policy.${error.field}`);
	}
	const compiled: CompiledPolicy = {
		window: result.data.window,
		closedWeekdays: new Set(result.data.closedWeekdays),
		holidays: new Set(result.data.holidays),
	};
	if (compiledPolicies.size >= maxCompiledPolicies) compiledPolicies.clear();
	compiledPolicies.set(key, compiled);
	return compiled;
}

function checkZone(zone: unknown, field: string): string {
	// IANAZone.create caches per name (isValidZone alone builds a new Intl formatter on every call).
	if (typeof zone !== 'string' || !IANAZone.create(zone).isValid) {
		const message = `"${field}" must be an IANA time zone such as America/Chicago`;
		throw new DomainError(message, 'invalid_zone', field);
	}
	return zone;
}

function checkOffset(offset: Partial<CadenceOffset> | undefined): CadenceOffset {
	const { amount, unit, direction } = offset ?? {};
	if (typeof amount !== 'number' || !Number.isInteger(amount) || amount < 0 || amount > maxOffsetAmount) {
		throw new DomainError(
			`"offset.amount" must be a whole number from 0 to ${maxOffsetAmount}`,
			'invalid_input',
			'offset.amount',
		);
	}
	if (!isOneOf(offsetUnits, unit)) {
		throw new DomainError('"offset.unit" must be minutes, hours or days', 'invalid_input', 'offset.unit');
	}
	if (!isOneOf(offsetDirections, direction)) {
		throw new DomainError('"offset.direction" must be after or before', 'invalid_input', 'offset.direction');
	}
	return { amount, unit, direction };
}

function isOneOf<T extends string>(options: readonly T[], value: unknown): value is T {
	return (options as readonly unknown[]).includes(value);
}

/** Reads an ISO instant (or local date-time / date, as wall time in `zone`) and expresses it in `zone`. */
function parseInstant(value: unknown, zone: string, field: string): DateTime {
	const parsed =
		typeof value === 'string' ? DateTime.fromISO(value, { zone: cachedZone(zone) }) : DateTime.invalid('not a string');
	if (!parsed.isValid) {
		throw new DomainError(`"${field}" must be an ISO-8601 date-time`, 'invalid_input', field);
	}
	return parsed;
}

/** The local calendar date of `local`, carried as a UTC midnight so date steps never meet a DST transition. */
function calendarDateOf(local: DateTime): DateTime {
	return DateTime.utc(local.year, local.month, local.day);
}

function closedReason(date: DateTime, rules: CompiledPolicy): 'closedDay' | 'holiday' | undefined {
	if (rules.holidays.has(date.toISODate() as string)) return 'holiday';
	if (rules.closedWeekdays.has(weekdays[date.weekday - 1])) return 'closedDay';
	return undefined;
}

/** The window of one local date as two instants; built from wall-clock fields in `zone`, so DST-correct. */
function windowOn(date: DateTime, zone: string, window: SendWindow): { start: DateTime; end: DateTime } {
	const at = (hhmm: string): DateTime => {
		const [hour, minute] = hhmm.split(':').map(Number);
		return DateTime.fromObject({ year: date.year, month: date.month, day: date.day, hour, minute }, { zone: cachedZone(zone) });
	};
	return { start: at(window.start), end: at(window.end) };
}

function slot(at: DateTime, reason?: ShiftReason): AllowedSlot {
	return reason
		? { at: toUtcIso(at), local: at.toISO() as string, shifted: true, reason }
		: { at: toUtcIso(at), local: at.toISO() as string, shifted: false };
}

function toUtcIso(instant: DateTime): string {
	return instant.toUTC().toISO() as string;
}
