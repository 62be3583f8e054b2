import type { ScheduledStep } from '../../nodes/shared/store/types';

/** A step as the journey store lists it: visit enc-1's reminder in workflow wf-visits, waiting for 2026-06-12 15:00 UTC. */
export function scheduledStep(fields: Partial<ScheduledStep> = {}): ScheduledStep {
	return {
		journeyId: 'visit:fhir:enc-1',
		patientKey: 'fhir:pat-1',
		workflowId: 'wf-visits',
		step: 'Reminder',
		dueAt: '2026-06-12T15:00:00.000Z',
		untilResume: false,
		state: 'scheduled',
		attempt: 0,
		scheduledAt: '2026-06-10T15:00:07.000Z',
		updatedAt: '2026-06-10T15:00:07.000Z',
		...fields,
	};
}
