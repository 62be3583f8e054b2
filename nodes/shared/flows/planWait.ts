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

/**
 * When this journey may continue: anchor ± offset in the patient's zone, pushed into the send window, never
 * before a hold's `notBefore` nor before now. Recorded in the journal (a waiting node's own output is lost).
 */
export async function planJourneyWait(input: PlanWaitInput): Promise<{ sendAt: string; due: string }> {
	const { event, trail, policy, now } = input;
	const earliest = trail.notBefore && Date.parse(trail.notBefore) > Date.parse(now) ? trail.notBefore : now;
	let plan: { due: string; sendAt: string };
	if (input.anchor === 'nextAllowed') {
		const slot = nextAllowedInstant({ candidate: earliest, now, zone: event.zone, policy });
		plan = { due: earliest, sendAt: slot.at };
	} else {
		const planned = planTouch({
			anchor: anchorInstant(event, input.anchor),
			offset: { amount: input.amount, unit: input.unit, direction: input.anchor === 'recallDate' ? 'before' : 'after' },
			zone: event.zone,
			policy,
			now: earliest,
		});
		plan = { due: planned.due, sendAt: planned.sendAt };
	}
	if (event.kind === 'recall' && !(await input.store.getJourney(trail.journeyId))) {
		// A recall journey starts at the poll trigger, with no Visit Details to record it: its first wait does, once.
		await input.store.recordJourney(journeyRecordFor(event, now));
		await input.store.append({
			at: now,
			journeyId: trail.journeyId,
			patientKey: trail.patientKey,
			type: 'journey.started',
			detail: { zone: event.zone, zoneSource: event.zoneSource, actionItems: 1 },
		});
	}
	await input.store.append({
		at: now,
		journeyId: trail.journeyId,
		patientKey: trail.patientKey,
		type: Date.parse(plan.sendAt) > Date.parse(now) ? 'wait.scheduled' : 'wait.passedThrough',
		detail: { due: plan.due, sendAt: plan.sendAt },
	});
	return plan;
}
