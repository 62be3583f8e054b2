import type { JourneyTrail, ResumedStep } from '../core/trail';
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

const DEFAULT_LEASE_MS = 10 * 60_000;

/**
 * While more than half of the lease the trigger took is left, a read tells whether this execution still holds the
 * step; after that the lease is renewed (a commit, once per node at most). Most batches finish well inside half.
 */
async function stillHeld(store: JourneyStore, journeyId: string, step: ResumedStep, leaseToken: string, now: string): Promise<boolean> {
	const nowMs = Date.parse(now);
	const leaseMs = step.leaseMs ?? DEFAULT_LEASE_MS;
	if (step.leaseUntil && nowMs < Date.parse(step.leaseUntil) - leaseMs / 2) {
		return await store.holdsStepLease(journeyId, step.workflowId, leaseToken, now);
	}
	return await store.renewStepLease(journeyId, step.workflowId, leaseToken, new Date(nowMs + leaseMs).toISOString());
}

/**
 * Before a node acts on a resumed journey: keeps the step's lease running, and says whether this execution still holds
 * it. An execution that held its steps longer than the lease (n8n slow or queued) finds them handed to a newer
 * execution: it must leave them alone, or both would act (the claims would still stop a second message, but the
 * journey would be reported "unknown — check" for nothing). Not resumed, or a preview: always held.
 */
export async function holdResumedStep(store: JourneyStore, trail: JourneyTrail, now: string): Promise<boolean> {
	const step = trail.resumedFrom;
	if (!step?.leaseToken) return true;
	if (await stillHeld(store, trail.journeyId, step, step.leaseToken, now)) return true;
	await store.append({
		at: now,
		journeyId: trail.journeyId,
		patientKey: trail.patientKey,
		type: 'step.superseded',
		code: 'leaseLost',
		detail: { step: step.name, workflowId: step.workflowId, attempt: step.attempt },
	});
	return false;
}
