import fc from 'fast-check';
import { DateTime, IANAZone } from 'luxon';

import type { Weekday } from '../../nodes/shared/core/practice';

/*
 * The random world of the compliance run: simulated practices ("cohorts"), each with its send policy and caps,
 * its patients (zone, phones, email, consent, opt-outs) and their visits (close time, booking, cancellation).
 * Everything is drawn by fast-check from the run's seed and the cohort's index, so one cohort can be replayed
 * alone (COMPLIANCE_COHORT=<index>) with the same RELIABILITY_SEED. Times are epoch milliseconds.
 */

/** Zones with DST of every shape (US, EU, southern hemisphere, 30-minute DST, midnight changes) and without. */
export const dstZones = [
	'America/New_York',
	'America/Chicago',
	'America/Denver',
	'America/Los_Angeles',
	'America/Anchorage',
	'America/St_Johns',
	'America/Havana',
	'America/Santiago',
	'Europe/London',
	'Europe/Berlin',
	'Europe/Dublin',
	'Australia/Sydney',
	'Australia/Adelaide',
	'Australia/Lord_Howe',
	'Pacific/Chatham',
	'Pacific/Auckland',
	'Africa/Casablanca',
] as const;

export const steadyZones = [
	'America/Phoenix',
	'Pacific/Honolulu',
	'America/Puerto_Rico',
	'Asia/Kolkata',
	'Asia/Kathmandu',
	'Asia/Tokyo',
	'Pacific/Kiritimati',
	'Pacific/Pago_Pago',
	'America/Sao_Paulo',
	'Etc/UTC',
] as const;

export const allZones: readonly string[] = [...dstZones, ...steadyZones];

const transitionCache = new Map<string, number[]>();

/** Instants (ms) in 2026–2027 at which the zone's UTC offset changes. */
export function dstTransitions(zone: string): number[] {
	const cached = transitionCache.get(zone);
	if (cached) return cached;
	const found: number[] = [];
	const offsetAt = (ms: number) => IANAZone.create(zone).offset(ms);
	let previous = DateTime.utc(2026, 1, 1).toMillis();
	const end = DateTime.utc(2028, 1, 1).toMillis();
	for (let ms = previous + 6 * 3_600_000; ms <= end; ms += 6 * 3_600_000) {
		if (offsetAt(ms) !== offsetAt(previous)) {
			let low = previous;
			let high = ms;
			while (high - low > 60_000) {
				const middle = low + Math.floor((high - low) / 2);
				if (offsetAt(middle) === offsetAt(low)) low = middle;
				else high = middle;
			}
			found.push(high - (high % 60_000));
		}
		previous = ms;
	}
	transitionCache.set(zone, found);
	return found;
}

export interface PolicyPlan {
	windowStart: string;
	windowEnd: string;
	closedWeekdays: Weekday[];
	/** Local dates YYYY-MM-DD. */
	holidays: string[];
	automatedPerJourney: number;
	stage3PerJourney: number;
	perPatientPerDay: number;
	channelOrder: string;
	defaultZone: string;
	/** The practice's stage-3 choice (Channel Router "Stage 3 as a Voice Message"): a call first, or the task only. */
	voiceAtStage3: boolean;
}

export interface PhonePlan {
	number: string;
	/** What the EHR says: mobile (`use=mobile`) or a home number (a landline Twilio refuses with 21614). */
	kind: 'mobile' | 'landline';
}

export interface OptOutPlan {
	channel: 'sms' | 'email';
	at: number;
}

export interface PatientPlan {
	index: number;
	fhirId: string;
	/** The zone in the patient record, if any; else the practice default applies. */
	zone?: string;
	phones: PhonePlan[];
	email?: string;
	/** FHIR's only preference signal: the contact point ranked 1. */
	preferred?: 'sms' | 'email';
	language: 'en' | 'es';
	/** Contact consent recorded in the EHR (the pack's consent extension). */
	consent: { sms: boolean; email: boolean; voice: boolean };
	/** Opt-outs recorded in the journey store (a STOP reply, an unsubscribe) and when. */
	optOuts: OptOutPlan[];
}

export interface VisitPlan {
	index: number;
	patient: number;
	closeAt: number;
	/** When the completed visit reaches Visit Details (webhook at once, or a poller or EHR lagging). */
	triggerAt: number;
	followUp: 'followUpVisit' | 'imaging' | 'lab';
	/** When the patient books the follow-up (before close: booked at checkout). */
	bookedAt?: number;
	/** When the visit is cancelled in the EHR (before the trigger: never admitted). */
	cancelledAt?: number;
}

export interface CohortPlan {
	index: number;
	seed: number;
	/** Why the cohort's dates were chosen: a DST change of one of its zones, or any day. */
	dateChoice: string;
	policy: PolicyPlan;
	patients: PatientPlan[];
	visits: VisitPlan[];
	/** How late n8n resumes each wait (ms), used in turn: 0 mostly, up to a minute, sometimes hours (downtime). */
	lateness: number[];
}

const minute = 60_000;
const hour = 60 * minute;
const day = 24 * hour;

const weekdaySets: Weekday[][] = [[], [], ['sat', 'sun'], ['sat', 'sun'], ['sun'], ['fri', 'sat']];

/** One cohort's random choices before they are turned into instants. */
const choicesArbitrary = fc.record({
	dstDates: fc.boolean(),
	anchorZone: fc.constantFrom(...dstZones),
	transitionPick: fc.nat(),
	daysBeforeTransition: fc.integer({ min: 0, max: 6 }),
	anyDay: fc.integer({ min: 0, max: 720 }),
	windowStart: fc.constantFrom('08:00', '08:30', '09:00', '10:00'),
	windowEnd: fc.constantFrom('17:00', '18:00', '20:00', '21:00'),
	closedWeekdays: fc.constantFrom(...weekdaySets),
	holidayOffsets: fc.uniqueArray(fc.integer({ min: 0, max: 10 }), { maxLength: 3 }),
	automatedPerJourney: fc.constantFrom(2, 2, 2, 2, 1),
	perPatientPerDay: fc.constantFrom(1, 1, 1, 2),
	channelOrder: fc.constantFrom('sms,email', 'sms,email', 'sms,email', 'email,sms', 'sms', 'email'),
	defaultZone: fc.constantFrom(...allZones),
	voiceAtStage3: fc.constantFrom(false, false, true),
	patients: fc.array(
		fc.record({
			zoneKind: fc.constantFrom('anchor', 'anchor', 'random', 'random', 'none'),
			zone: fc.constantFrom(...allZones),
			phones: fc.constantFrom('mobile', 'mobile', 'mobile', 'mobile', 'mobile+landline', 'landline', 'none'),
			hasEmail: fc.integer({ min: 0, max: 9 }),
			preferred: fc.constantFrom(undefined, undefined, 'sms', 'email'),
			language: fc.constantFrom('en', 'en', 'es'),
			smsConsent: fc.integer({ min: 0, max: 11 }),
			emailConsent: fc.integer({ min: 0, max: 19 }),
			voiceConsent: fc.integer({ min: 0, max: 9 }),
			smsOptOut: fc.constantFrom('none', 'none', 'none', 'none', 'none', 'none', 'before', 'during', 'during'),
			emailOptOut: fc.constantFrom('none', 'none', 'none', 'none', 'none', 'none', 'none', 'none', 'before', 'during'),
			optOutFraction: fc.double({ min: 0, max: 1, noNaN: true }),
			visits: fc.constantFrom(1, 1, 1, 1, 1, 1, 2, 2, 3),
		}),
		{ minLength: 14, maxLength: 22 },
	),
	visits: fc.array(
		fc.record({
			dayOffset: fc.integer({ min: 0, max: 2 }),
			localQuarter: fc.integer({ min: 0, max: 4 * 11 }),
			gapQuarters: fc.integer({ min: 4, max: 4 * 72 }),
			triggerDelay: fc.constantFrom(0, 0, 0, 0, minute, 20 * minute, 3 * hour, 14 * hour),
			followUp: fc.constantFrom('followUpVisit', 'followUpVisit', 'imaging', 'lab'),
			booking: fc.constantFrom('never', 'never', 'never', 'never', 'checkout', 'later', 'later', 'later', 'later'),
			bookingFraction: fc.double({ min: 0, max: 1, noNaN: true }),
			cancel: fc.constantFrom('no', 'no', 'no', 'no', 'no', 'no', 'no', 'no', 'no', 'no', 'no', 'no', 'no', 'no', 'no', 'no', 'no', 'no', 'before', 'during'),
			cancelFraction: fc.double({ min: 0, max: 1, noNaN: true }),
		}),
		{ minLength: 40, maxLength: 40 },
	),
	lateness: fc.array(
		fc.constantFrom(0, 0, 0, 0, 0, 0, 0, 1_000, 30_000, 59_000, 59_999, 10 * minute, 7 * hour, 26 * hour),
		{ minLength: 64, maxLength: 64 },
	),
});

/** A 15-minute grid instant: local clinic time in `zone` on `date` (quarters after 07:30). */
function clinicInstant(date: DateTime, zone: string, quarter: number): number {
	const local = DateTime.fromObject({ year: date.year, month: date.month, day: date.day, hour: 7, minute: 30 }, { zone });
	return local.plus({ minutes: 15 * quarter }).toMillis();
}

function quarterAfter(start: number, span: number, fraction: number): number {
	const offset = Math.floor((span * fraction) / (15 * minute)) * 15 * minute;
	return start + Math.max(15 * minute, offset);
}

/** The cohort `index` of the run seeded with `seed`: the same plan every time for the same pair. */
export function cohortPlan(seed: number, index: number): CohortPlan {
	const [choices] = fc.sample(choicesArbitrary, { seed: seed + index * 7919, numRuns: 1 });
	const transitions = dstTransitions(choices.anchorZone);
	let start: DateTime;
	let dateChoice: string;
	if (choices.dstDates && transitions.length > 0) {
		const transition = transitions[choices.transitionPick % transitions.length] as number;
		start = DateTime.fromMillis(transition - choices.daysBeforeTransition * day, { zone: choices.anchorZone }).startOf('day');
		dateChoice = `DST change in ${choices.anchorZone} at ${new Date(transition).toISOString()}`;
	} else {
		start = DateTime.fromObject({ year: 2026, month: 1, day: 5 }, { zone: choices.anchorZone }).plus({ days: choices.anyDay });
		dateChoice = 'any day';
	}
	const practiceZone = choices.anchorZone;
	const policy: PolicyPlan = {
		windowStart: choices.windowStart,
		windowEnd: choices.windowEnd,
		closedWeekdays: choices.closedWeekdays,
		holidays: choices.holidayOffsets.map((offset) => start.plus({ days: offset }).toISODate() as string).sort(),
		automatedPerJourney: choices.automatedPerJourney,
		stage3PerJourney: 1,
		perPatientPerDay: choices.perPatientPerDay,
		channelOrder: choices.channelOrder,
		defaultZone: choices.defaultZone,
		voiceAtStage3: choices.voiceAtStage3,
	};

	const patients: PatientPlan[] = [];
	const visits: VisitPlan[] = [];
	let visitChoice = 0;
	const horizon = 9 * day;
	for (const [index, p] of choices.patients.entries()) {
		const zone = p.zoneKind === 'anchor' ? choices.anchorZone : p.zoneKind === 'random' ? p.zone : undefined;
		const mobile = `+1555555${String(1000 + index).padStart(4, '0')}`;
		const landline = `+1555556${String(1000 + index).padStart(4, '0')}`;
		const phones: PhonePlan[] =
			p.phones === 'mobile'
				? [{ number: mobile, kind: 'mobile' }]
				: p.phones === 'mobile+landline'
					? [{ number: landline, kind: 'landline' }, { number: mobile, kind: 'mobile' }]
					: p.phones === 'landline'
						? [{ number: landline, kind: 'landline' }]
						: [];
		const email = p.hasEmail < 8 ? `patient${index}@patients.example` : undefined;
		const firstClose: number[] = [];
		for (let v = 0; v < p.visits; v++) {
			const choice = choices.visits[visitChoice++ % choices.visits.length]!;
			const closeAt =
				v === 0
					? clinicInstant(start.plus({ days: choice.dayOffset }), zone ?? practiceZone, choice.localQuarter)
					: (firstClose[v - 1] as number) + choice.gapQuarters * 15 * minute;
			firstClose.push(closeAt);
			const triggerAt = closeAt + choice.triggerDelay;
			const visit: VisitPlan = { index: visits.length, patient: index, closeAt, triggerAt, followUp: choice.followUp };
			if (choice.booking === 'checkout') visit.bookedAt = closeAt - 5 * minute;
			if (choice.booking === 'later') visit.bookedAt = quarterAfter(closeAt, horizon, choice.bookingFraction);
			if (choice.cancel === 'before') visit.cancelledAt = closeAt + Math.floor(choice.triggerDelay / 2);
			if (choice.cancel === 'during') visit.cancelledAt = quarterAfter(triggerAt, horizon, choice.cancelFraction);
			visits.push(visit);
		}
		const optOuts: OptOutPlan[] = [];
		const firstVisit = firstClose[0] as number;
		for (const [channel, when] of [
			['sms', p.smsOptOut],
			['email', p.emailOptOut],
		] as const) {
			if (when === 'before') optOuts.push({ channel, at: firstVisit - day });
			if (when === 'during') optOuts.push({ channel, at: quarterAfter(firstVisit, horizon, p.optOutFraction) });
		}
		patients.push({
			index,
			fhirId: `cp-${index}`,
			zone,
			phones,
			email,
			preferred: p.preferred as PatientPlan['preferred'],
			language: p.language as 'en' | 'es',
			consent: { sms: p.smsConsent > 0, email: p.emailConsent > 0, voice: p.voiceConsent > 0 },
			optOuts,
		});
	}
	return { index, seed, dateChoice, policy, patients, visits, lateness: choices.lateness };
}

/** The zone the pack must plan a patient's sends in: the patient record's, else the practice default. */
export function zoneOf(cohort: CohortPlan, patient: PatientPlan): string {
	return patient.zone ?? cohort.policy.defaultZone;
}
