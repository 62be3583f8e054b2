import { openJourneyStore } from '../nodes/shared/store';
import type { DemoPatient } from './demo-patients';
import { closeFhirVisit, ensureFhirPatient } from './fhir-demo';
import type { FhirServer } from './fhir-server';

export interface ScheduledJourney {
	journeyId: string;
	patientKey: string;
	patientId: string;
	encounterId: string;
	orderId: string;
	mobile: string;
	dueAt: string;
}

export interface ScheduleJourneysOptions {
	/** The workflow whose Journey Due Trigger resumes the steps. */
	workflowId: string;
	step: string;
	count: number;
	zone: string;
	/** The patient of journey `index` (give each a number of its own to follow its messages). */
	patient: (index: number) => DemoPatient;
	dueAt: (index: number) => string;
	/** When the visits closed (the journeys' anchor). */
	completedAt: string;
	/** Called after every `everyJourneys` journeys (progress of a long load). */
	progress?: { everyJourneys: number; report: (done: number) => void };
}

/**
 * Many journeys waiting for one step, without driving each stage 1 through n8n: a real closed visit per journey
 * in the sandbox FHIR server (patient, finished Encounter, follow-up order), and in the journey store (SQLite,
 * a connection of its own) the journey record Visit Details writes and the step a Cadence Wait writes. The
 * Journey Due Trigger then resumes them as it would any journey.
 */
export async function scheduleJourneys(
	sandbox: { fhir: FhirServer; journeyStorePath: string },
	options: ScheduleJourneysOptions,
): Promise<ScheduledJourney[]> {
	const journeys: ScheduledJourney[] = [];
	const store = await openJourneyStore({ backend: 'sqlite', path: sandbox.journeyStorePath }, { reusePool: false });
	try {
		for (let index = 0; index < options.count; index++) {
			const patient = options.patient(index);
			const patientId = await ensureFhirPatient(sandbox.fhir, patient, options.zone);
			const visit = await closeFhirVisit(sandbox.fhir, patientId, { completedAt: options.completedAt });
			const journeyId = `visit:fhir:${visit.encounterId}`;
			const patientKey = `fhir:${patientId}`;
			const now = new Date().toISOString();
			const dueAt = options.dueAt(index);
			await store.recordJourney({
				journeyId,
				patientKey,
				kind: 'visit',
				ehr: 'fhir',
				patientId,
				sourceId: visit.encounterId,
				sourceType: 'encounter',
				anchorAt: options.completedAt,
				startedAt: now,
				zone: options.zone,
			});
			await store.scheduleStep({ journeyId, patientKey, workflowId: options.workflowId, step: options.step, dueAt, at: now });
			const { encounterId, orderId } = visit;
			journeys.push({ journeyId, patientKey, patientId, encounterId, orderId, mobile: patient.mobile ?? '', dueAt });
			if (options.progress && (index + 1) % options.progress.everyJourneys === 0) options.progress.report(index + 1);
		}
	} finally {
		await store.close();
	}
	return journeys;
}
