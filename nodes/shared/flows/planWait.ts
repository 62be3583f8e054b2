import { nextAllowedInstant, planTouch } from '../core/cadence';
import { DomainError } from '../core/errors';
import type { SendPolicy } from '../core/practice';
import type { JourneyEvent } from '../core/schemas';
import type { JourneyTrail } from '../core/trail';
import type { JourneyStore } from '../store/types';
import { journeyRecordFor } from './admitVisit';

export type WaitAnchor = 'visitClose' | 'recallDate' | 'nextAllowed';

export interface PlanWaitInput {
	event: JourneyEvent;
	trail: JourneyTrail;
	anchor: WaitAnchor;
	amount: number;
	unit: 'minutes' | 'hours' | 'days';
	policy: SendPolicy;
	now: string;
	store: JourneyStore;
}

function anchorInstant(event: JourneyEvent, anchor: WaitAnchor): string {
	if (anchor === 'visitClose') {
		if (event.kind !== 'visit') {
			throw new DomainError('"Visit Close Plus" needs a visit; use "Recall Date Minus" for recalls', 'wrong_anchor', 'anchor');
		}
		return event.completedAt;
	}
	if (event.kind !== 'recall') {
		throw new DomainError('"Recall Date Minus" needs a recall; use "Visit Close Plus" for visits', 'wrong_anchor', 'anchor');
	}
	return event.dueDate;
}

/** When this journey may continue: anchor ± offset in the patient's zone, pushed into the send window, never before a hold's `notBefore` nor before now. */
function waitPlan(input: Omit<PlanWaitInput, 'store'>): { due: string; sendAt: string } {
	const { event, trail, policy, now } = input;
	const earliest = trail.notBefore && Date.parse(trail.notBefore) > Date.parse(now) ? trail.notBefore : now;
	if (input.anchor === 'nextAllowed') {
		const slot = nextAllowedInstant({ candidate: earliest, now, zone: event.zone, extraZones: event.extraZones, policy });
		return { due: earliest, sendAt: slot.at };
	}
	const planned = planTouch({
		anchor: anchorInstant(event, input.anchor),
		offset: { amount: input.amount, unit: input.unit, direction: input.anchor === 'recallDate' ? 'before' : 'after' },
		zone: event.zone,
		extraZones: event.extraZones,
		policy,
		now: earliest,
	});
	return { due: planned.due, sendAt: planned.sendAt };
}

/** A recall journey starts at the poll trigger, with no Visit Details to record it: its first wait does, once. */
async function recordRecallStart(store: JourneyStore, event: JourneyEvent, trail: JourneyTrail, now: string): Promise<void> {
	if (event.kind !== 'recall' || (await store.getJourney(trail.journeyId))) return;
	await store.recordJourney(journeyRecordFor(event, now));
	await store.append({
		at: now,
		journeyId: trail.journeyId,
		patientKey: trail.patientKey,
		type: 'journey.started',
		detail: { zone: event.zone, zoneSource: event.zoneSource, actionItems: 1 },
	});
}

/**
 * Cadence Wait v1: when this journey may continue, recorded in the journal (a waiting node's own output is lost).
 * The execution then waits in n8n until `sendAt`.
 */
export async function planJourneyWait(input: PlanWaitInput): Promise<{ sendAt: string; due: string }> {
	const { trail, now } = input;
	const plan = waitPlan(input);
	await recordRecallStart(input.store, input.event, trail, now);
	await input.store.append({
		at: now,
		journeyId: trail.journeyId,
		patientKey: trail.patientKey,
		type: Date.parse(plan.sendAt) > Date.parse(now) ? 'wait.scheduled' : 'wait.passedThrough',
		detail: { due: plan.due, sendAt: plan.sendAt },
	});
	return plan;
}

export interface ScheduleStepInput extends PlanWaitInput {
	workflowId: string;
	/** The step's name: the Journey Due Trigger output that resumes it. */
	step: string;
}

export type ScheduleStepOutcome =
	/** Already due: the item goes on now, nothing is stored. */
	| { outcome: 'due'; due: string; sendAt: string; trail: JourneyTrail }
	| { outcome: 'scheduled'; due: string; sendAt: string; untilResume: boolean; trail: JourneyTrail };

/**
 * Cadence Wait v2: records the journey's next step in the journey store (ids only) for the workflow's Journey Due
 * Trigger, which replaces the step the execution was resumed from. A step already due goes on at once. A hold while
 * outreach is paused becomes a step due at resume.
 */
export async function scheduleJourneyStep(input: ScheduleStepInput): Promise<ScheduleStepOutcome> {
	const { trail, now, store } = input;
	const plan = waitPlan(input);
	const untilResume = trail.untilResume === true;
	const journal = { at: now, journeyId: trail.journeyId, patientKey: trail.patientKey };
	await recordRecallStart(store, input.event, trail, now);
	if (!untilResume && Date.parse(plan.sendAt) <= Date.parse(now)) {
		await store.append({ ...journal, type: 'wait.passedThrough', detail: { due: plan.due, sendAt: plan.sendAt, step: input.step } });
		return { outcome: 'due', ...plan, trail: { ...trail, notBefore: undefined } };
	}
	const dueAt = untilResume ? now : plan.sendAt;
	await store.scheduleStep(
		{ journeyId: trail.journeyId, patientKey: trail.patientKey, workflowId: input.workflowId, step: input.step, dueAt, untilResume, at: now },
		{ ...journal, type: 'wait.scheduled', detail: { due: plan.due, sendAt: dueAt, step: input.step, workflowId: input.workflowId, untilResume } },
	);
	const { resumedFrom: _done, notBefore: _held, untilResume: _paused, ...rest } = trail;
	return { outcome: 'scheduled', due: plan.due, sendAt: dueAt, untilResume, trail: rest };
}
