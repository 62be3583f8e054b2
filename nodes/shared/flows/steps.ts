import type { JourneyTrail } from '../core/trail';
import type { JourneyStore } from '../store/types';

/**
 * A node acted on a journey resumed from a scheduled step (ended it, created its task, found its message sent):
 * the step is done and is not handed out again. Later nodes of the execution find nothing left to complete.
 * Without a lease (not resumed, or a manual run's preview) it changes nothing.
 */
export async function completeResumedStep(store: JourneyStore, trail: JourneyTrail, now: string, code: string): Promise<JourneyTrail> {
	const step = trail.resumedFrom;
	if (!step) return trail;
	const { resumedFrom: _completed, ...rest } = trail;
	if (!step.leaseToken) return rest;
	const completed = await store.completeStep(trail.journeyId, step.workflowId, step.leaseToken);
	await store.append({
		at: now,
		journeyId: trail.journeyId,
		patientKey: trail.patientKey,
		type: completed ? 'step.completed' : 'step.superseded',
		code,
		detail: { step: step.name, workflowId: step.workflowId, attempt: step.attempt },
	});
	return rest;
}
