import type { JourneyEvent, VisitEvent } from '../core/schemas';
import { withStep } from '../core/trail';
import type { JourneyTrail } from '../core/trail';
import type { EhrAdapter, FollowUpStatus } from '../ehr/types';
import type { JourneyStore } from '../store/types';
import { completeResumedStep } from './steps';

export interface CheckBookingInput {
	event: JourneyEvent;
	trail: JourneyTrail;
	adapter: EhrAdapter;
	store: JourneyStore;
	appointmentTypes: string[];
	now: string;
	nodeName: string;
	/**
	 * What ends the journey: any outcome but "open" (default), or only a cancelled visit — for a care summary held
	 * past the send window, which a patient who booked meanwhile should still get.
	 */
	doneWhen?: 'anyOutcome' | 'visitCancelled';
}

/**
 * A recall has no visit of its own: booking is looked for from the day the recall journey started, and the
 * adapter is told not to check the (non-existent) visit's status.
 */
function visitToCheck(event: JourneyEvent, trail: JourneyTrail): VisitEvent {
	if (event.kind === 'visit') return event;
	const started = trail.steps[0]?.at ?? new Date(0).toISOString();
	return {
		...event,
		kind: 'visit',
		visitId: event.recallId,
		visitType: 'appointment',
		completedAt: started,
		visitDate: started.slice(0, 10),
		actionItems: [event.actionItem],
	};
}

/** Asks the EHR right now whether the follow-up is booked (or the visit cancelled); records the answer. */
export async function checkBooking(input: CheckBookingInput): Promise<{ done: boolean; status: FollowUpStatus; trail: JourneyTrail }> {
	const { event, trail, now } = input;
	const status = await input.adapter.findFollowUp(visitToCheck(event, trail), {
		appointmentTypes: input.appointmentTypes,
		checkVisitStatus: event.kind === 'visit',
	});
	const done = input.doneWhen === 'visitCancelled' ? status.status === 'visitCancelled' : status.status !== 'open';
	const detail = 'detail' in status ? status.detail : `checked ${status.checked.join(', ')}`;
	await input.store.append({
		at: now,
		journeyId: trail.journeyId,
		patientKey: trail.patientKey,
		type: `followup.${status.status}`,
		detail: { appointmentId: 'appointmentId' in status ? status.appointmentId : null },
	});
	const checked = withStep(trail, { at: now, node: input.nodeName, stage: trail.stage, outcome: done ? status.status : 'stillOpen', reason: detail.slice(0, 200) });
	// A booking (or a cancelled visit) ends the journey: the step it was resumed from is done.
	return { done, status, trail: done ? await completeResumedStep(input.store, checked, now, `followup.${status.status}`) : checked };
}
