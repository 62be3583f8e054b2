import type { Channel } from './schemas';

/** One thing a node decided or did, as ops read it in the execution view. No message bodies, no clinical text. */
export interface TrailStep {
	at: string;
	node: string;
	stage?: number;
	/** e.g. received, duplicate, routed, sent, held, skipped, failed, booked, escalated */
	outcome: string;
	reason?: string;
	channel?: Channel | 'task';
	/** The address used, so a later router skips one that bounced or is a landline (the trail stays in the execution). */
	address?: string;
	providerId?: string;
}

/**
 * The scheduled step an execution was resumed from (Journey Due Trigger). A node that acts on the journey
 * (ends it, schedules its next step, creates its task) completes it with the lease token; without a token
 * (a manual run's preview) there is nothing to complete.
 */
export interface ResumedStep {
	name: string;
	workflowId: string;
	dueAt: string;
	attempt: number;
	leaseToken?: string;
	/** How long each node's hold on the step lasts (the trigger's lease). */
	leaseMs?: number;
	/** When the lease ran out as the trigger claimed the step; renewals by nodes move it on in the store only. */
	leaseUntil?: string;
}

/**
 * The journey record that travels in `item.json.journey` through the whole execution.
 * `notBefore` is set by a hold: Cadence Wait never releases the item earlier. `untilResume` is set by a hold
 * while outreach is paused: the next step falls due when outreach resumes.
 */
export interface JourneyTrail {
	journeyId: string;
	patientKey: string;
	stage: number;
	notBefore?: string;
	untilResume?: boolean;
	holds: number;
	steps: TrailStep[];
	resumedFrom?: ResumedStep;
}

export function startTrail(journeyId: string, patientKey: string): JourneyTrail {
	return { journeyId, patientKey, stage: 0, holds: 0, steps: [] };
}

export function withStep(trail: JourneyTrail, step: TrailStep): JourneyTrail {
	return { ...trail, steps: [...trail.steps, step] };
}
