import type { EhrAdapter, ResolveContext } from '../ehr/types';
import type { JourneyStore } from '../store/types';
import { reloadJourneyEvent } from './reloadJourney';

/** The patient's first name as the EHR gives it now, or why there is none. Never written to the journey store. */
export interface PatientNameLookup {
	patientFirstName: string | null;
	/** Why the name is missing, in plain words; null when it was found. */
	patientNameNote: string | null;
}

/**
 * Reads a journey's patient from the EHR at view time, by the ids the journey store kept: read-only (GETs through
 * the adapter's resolve), nothing claimed, nothing journaled. A visit the EHR no longer shows as completed, or a
 * recall the EHR cannot be asked for again, gives no name and says why.
 */
export async function lookUpJourneyPatient(
	journeyId: string,
	deps: { store: JourneyStore; adapter: EhrAdapter; context: ResolveContext },
): Promise<PatientNameLookup> {
	if (!journeyId) return { patientFirstName: null, patientNameNote: 'no journey to look up' };
	const record = await deps.store.getJourney(journeyId);
	if (!record) return { patientFirstName: null, patientNameNote: 'the journey store has no record of this journey' };
	const reloaded = await reloadJourneyEvent(record, deps);
	if (reloaded.outcome !== 'reloaded') return { patientFirstName: null, patientNameNote: `not available from the EHR: ${reloaded.reason}` };
	return { patientFirstName: reloaded.event.patient.firstName, patientNameNote: null };
}
