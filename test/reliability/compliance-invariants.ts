import { DateTime } from 'luxon';

import { weekdays } from '../../nodes/shared/core/practice';
import type { CohortResult, OutboxSend, VisitOutcome } from './compliance-runner';
import { zoneOf } from './compliance-world';
import type { CohortPlan, PatientPlan } from './compliance-world';

/*
 * The compliance rules, checked from what left the building (the Twilio and SMTP outboxes, stamped by the
 * servers with the simulated time; the tasks in the EHR) against the world the run generated (zones, policy,
 * opt-outs, consent, bookings, cancellations), joined through the journal's touch.sent entries (provider
 * ids). Written independently of the pack's guard: luxon wall-clock arithmetic in the patient's zone.
 */

export const rules = ['window', 'cap', 'optOut', 'afterDone', 'accounting', 'unfinished'] as const;
export type Rule = (typeof rules)[number];

export interface Violation {
	rule: Rule;
	/** A short class of the violation ("stage 1 sms after cancellation"), to count them by cause. */
	kind: string;
	cohort: number;
	journeyId?: string;
	detail: string;
}

export interface CohortCheck {
	violations: Violation[];
	/** How many sends / tasks / journeys each rule looked at. */
	checked: Record<Rule, number>;
}

export function insideWindow(at: number, zone: string, policy: CohortPlan['policy']): boolean {
	const local = DateTime.fromMillis(at, { zone });
	const hhmm = local.toFormat('HH:mm');
	if (hhmm < policy.windowStart || hhmm >= policy.windowEnd) return false;
	if (policy.closedWeekdays.includes(weekdays[local.weekday - 1] as (typeof weekdays)[number])) return false;
	return !policy.holidays.includes(local.toISODate() as string);
}

function describeInstant(at: number, zone: string): string {
	return `${new Date(at).toISOString()} (${DateTime.fromMillis(at, { zone }).toFormat("ccc yyyy-MM-dd HH:mm:ss ZZ")} in ${zone})`;
}

export function checkCohort(result: CohortResult): CohortCheck {
	const { plan } = result;
	const violations: Violation[] = [];
	const checked: Record<Rule, number> = { window: 0, cap: 0, optOut: 0, afterDone: 0, accounting: 0, unfinished: 0 };
	const add = (rule: Rule, detail: string, journeyId?: string, kind: string = rule) => violations.push({ rule, kind, cohort: plan.index, journeyId, detail });

	const patientByAddress = new Map<string, PatientPlan>();
	for (const patient of plan.patients) {
		for (const phone of patient.phones) patientByAddress.set(phone.number, patient);
		if (patient.email) patientByAddress.set(patient.email.toLowerCase(), patient);
	}
	const outcomeByJourney = new Map<string, VisitOutcome>(result.outcomes.map((outcome) => [outcome.journeyId, outcome]));
	const journalByProvider = new Map(result.journalSends.map((entry) => [entry.providerId ?? '', entry]));

	// Accounting: every message in an outbox is a touch.sent in the journal, and the reverse.
	const outboxIds = new Set(result.sends.map((send) => send.providerId));
	const attributed: Array<{ send: OutboxSend; journeyId: string; stage: number; patient: PatientPlan; outcome: VisitOutcome }> = [];
	for (const send of result.sends) {
		checked.accounting++;
		const entry = journalByProvider.get(send.providerId);
		const patient = patientByAddress.get(send.channel === 'email' ? send.address.toLowerCase() : send.address);
		const outcome = entry ? outcomeByJourney.get(entry.journeyId) : undefined;
		if (!entry || !patient || !outcome) {
			add('accounting', `${send.channel} to a patient at ${new Date(send.at).toISOString()} has no touch.sent in the journal (or no known patient/journey)`);
			continue;
		}
		attributed.push({ send, journeyId: entry.journeyId, stage: entry.stage, patient, outcome });
	}
	for (const entry of result.journalSends) {
		if (!outboxIds.has(entry.providerId ?? '')) add('accounting', `journal says stage ${entry.stage} ${entry.channel} was sent at ${entry.at}; the provider has no such message`, entry.journeyId);
	}

	for (const { send, journeyId, stage, patient, outcome } of attributed) {
		const zone = zoneOf(plan, patient);
		checked.window++;
		if (!insideWindow(send.at, zone, plan.policy)) {
			add(
				'window',
				`stage ${stage} ${send.channel} at ${describeInstant(send.at, zone)}; window ${plan.policy.windowStart}–${plan.policy.windowEnd}, closed ${plan.policy.closedWeekdays.join(',') || 'none'}, holidays ${plan.policy.holidays.join(',') || 'none'}`,
				journeyId,
			);
		}
		checked.optOut++;
		const channel = send.channel;
		if (!patient.consent[channel]) add('optOut', `stage ${stage} ${channel} although the EHR records no consent for ${channel}`, journeyId);
		// A STOP by text revokes automated calls to the number too (the router's reading, asserted here).
		const optOut = patient.optOuts.find((candidate) => (candidate.channel === channel || (channel === 'voice' && candidate.channel === 'sms')) && candidate.at <= send.at);
		if (optOut) {
			add('optOut', `stage ${stage} ${channel} at ${describeInstant(send.at, zone)} after the opt-out at ${new Date(optOut.at).toISOString()}`, journeyId);
		}
		checked.afterDone++;
		const { bookedAt, cancelledAt } = outcome.visit;
		if (stage >= 2 && bookedAt !== undefined && bookedAt <= send.at) {
			add('afterDone', `stage ${stage} ${channel} at ${new Date(send.at).toISOString()} after the follow-up was booked at ${new Date(bookedAt).toISOString()}`, journeyId, `stage ${stage} after booking`);
		}
		if (cancelledAt !== undefined && cancelledAt <= send.at) {
			add('afterDone', `stage ${stage} ${channel} at ${new Date(send.at).toISOString()} after the visit was cancelled at ${new Date(cancelledAt).toISOString()}`, journeyId, `stage ${stage} after cancellation`);
		}
	}

	// Caps: per journey (automated messages, one per stage and channel), per patient per local day, stage-3 tasks.
	const stagesOfJourney = new Map<string, Set<number>>();
	const perStageChannel = new Map<string, number>();
	const perPatientDay = new Map<string, Set<string>>();
	for (const { send, journeyId, stage, patient } of attributed) {
		const localDate = DateTime.fromMillis(send.at, { zone: zoneOf(plan, patient) }).toISODate();
		const dayKey = `${patient.index}|${localDate}`;
		perPatientDay.set(dayKey, (perPatientDay.get(dayKey) ?? new Set()).add(`${journeyId}|${stage}`));
		const key = `${journeyId}|${stage}|${send.channel}`;
		perStageChannel.set(key, (perStageChannel.get(key) ?? 0) + 1);
		if (stage < 3) stagesOfJourney.set(journeyId, (stagesOfJourney.get(journeyId) ?? new Set()).add(stage));
	}
	for (const [journeyId, stages] of stagesOfJourney) {
		checked.cap++;
		if (stages.size > plan.policy.automatedPerJourney) {
			add('cap', `${stages.size} automated stages sent (${[...stages].join(', ')}); the cap is ${plan.policy.automatedPerJourney}`, journeyId);
		}
	}
	const stage3OfJourney = new Map<string, number>();
	for (const { journeyId, stage } of attributed) if (stage >= 3) stage3OfJourney.set(journeyId, (stage3OfJourney.get(journeyId) ?? 0) + 1);
	for (const [key, count] of perStageChannel) {
		if (count > 1) add('cap', `${count} messages for one stage and channel (${key.split('|').slice(1).join(' ')})`, key.split('|')[0]);
	}
	for (const [key, touches] of perPatientDay) {
		checked.cap++;
		if (touches.size > plan.policy.perPatientPerDay) {
			add('cap', `patient ${key.split('|')[0]} got ${touches.size} touches on local date ${key.split('|')[1]}; the cap is ${plan.policy.perPatientPerDay}/day`);
		}
	}
	const tasksOfJourney = new Map<string, number>();
	for (const task of result.tasks) {
		tasksOfJourney.set(task.journeyId, (tasksOfJourney.get(task.journeyId) ?? 0) + 1);
		checked.afterDone++;
		const outcome = outcomeByJourney.get(task.journeyId);
		const cancelledAt = outcome?.visit.cancelledAt;
		if (cancelledAt !== undefined && cancelledAt <= task.at) {
			add('afterDone', `staff task at ${new Date(task.at).toISOString()} after the visit was cancelled at ${new Date(cancelledAt).toISOString()}`, task.journeyId, 'staff task after cancellation');
		}
		const bookedAt = outcome?.visit.bookedAt;
		const fromTheSevenDayCheck = outcome !== undefined && task.at - outcome.visit.closeAt >= 7 * 24 * 3_600_000;
		if (bookedAt !== undefined && bookedAt <= task.at && fromTheSevenDayCheck) {
			add('afterDone', `7-day staff task at ${new Date(task.at).toISOString()} after the follow-up was booked at ${new Date(bookedAt).toISOString()}`, task.journeyId, '7-day staff task after booking');
		}
	}
	for (const journeyId of new Set([...tasksOfJourney.keys(), ...stage3OfJourney.keys()])) {
		checked.cap++;
		const tasks = tasksOfJourney.get(journeyId) ?? 0;
		const calls = stage3OfJourney.get(journeyId) ?? 0;
		if (tasks + calls > plan.policy.stage3PerJourney) {
			add('cap', `${calls} stage-3 call(s) and ${tasks} staff task(s); the stage-3 cap is ${plan.policy.stage3PerJourney}`, journeyId);
		}
	}

	for (const outcome of result.outcomes) {
		checked.unfinished++;
		if (outcome.end !== 'skipped' && outcome.end !== 'done' && outcome.end !== 'escalated') {
			add('unfinished', `journey ended "${outcome.end}"${outcome.detail ? `: ${outcome.detail}` : ''}`, outcome.journeyId);
		}
	}
	return { violations, checked };
}

/** The journal lines of one journey, one per line, to read next to a violation. */
export function journeyStory(result: CohortResult, journeyId: string): string {
	return result.journal
		.filter((entry) => entry.journeyId === journeyId)
		.map((entry) => `    ${entry.at} ${entry.type}${entry.stage ? ` s${entry.stage}` : ''}${entry.channel ? ` ${entry.channel}` : ''}${entry.code ? ` ${entry.code}` : ''}${entry.detail ? ` ${JSON.stringify(entry.detail)}` : ''}`)
		.join('\n');
}
