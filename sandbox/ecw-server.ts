import { ecwEncounterSearchParameters } from '../nodes/shared/ehr/fhir';
import { startFhirServer } from './fhir-server';
import type { FhirServer, FhirServerOptions } from './fhir-server';

/**
 * The FHIR sandbox as an eClinicalWorks practice: Encounter searches only by the parameters eCW's
 * CapabilityStatement lists (others → 400 not-supported), and no Appointment, Task, Communication or
 * Subscription resource (→ 404), unless the practice has a writeback contract (Task and Communication then
 * exist). eCW's exact refusal bodies are not published; these are FHIR's standard OperationOutcome.
 */
export async function startEcwServer(options: FhirServerOptions & { writeback?: boolean } = {}): Promise<FhirServer> {
	const { writeback, ...rest } = options;
	return await startFhirServer({
		...rest,
		searchParametersOf: { Encounter: ecwEncounterSearchParameters },
		absentResourceTypes: ['Appointment', 'Subscription', ...(writeback ? [] : ['Task', 'Communication'])],
	});
}
