import { isOk } from './client';
import type { AthenaShared } from './options';
import { encounterListSchema } from './schemas';
import type { AthenaListedEncounter } from './schemas';

export interface EncounterQuery {
	appointmentId: string;
	patientId: string;
	departmentId?: string;
	/** The visit's date as athena writes it (MM/DD/YYYY). */
	date?: string;
}

/**
 * The one encounter of the visit among the patient's encounters that day: the one naming this appointment, else
 * the only one naming no other appointment (a VISIT-type one preferred over an orders-only one). Several
 * candidates are ambiguous: reading the orders of another visit would name the wrong next step.
 */
export function encounterOfVisit(encounters: AthenaListedEncounter[], appointmentId: string): string | undefined {
	const live = encounters.filter((encounter) => encounter.status?.toUpperCase() !== 'DELETED');
	const linked = live.find((encounter) => encounter.appointmentid === appointmentId);
	if (linked) return linked.encounterid;
	const unlinked = live.filter((encounter) => !encounter.appointmentid);
	const visits = unlinked.filter((encounter) => encounter.encountertype?.toUpperCase() === 'VISIT');
	const candidates = visits.length > 0 ? visits : unlinked;
	return candidates.length === 1 ? candidates[0]?.encounterid : undefined;
}

/**
 * athena's checked-out appointment often carries `encounterstatus` but no `encounterid` (athena's own sample does):
 * the encounter is then searched by patient, department and date (GET /chart/{patientid}/encounters; departmentid
 * is required there, so without a department there is nothing to search).
 */
export function createEncounterFinder({ client }: AthenaShared) {
	return async function findEncounterId(query: EncounterQuery): Promise<string | undefined> {
		if (!query.departmentId || !query.date) return undefined;
		const qs = { departmentid: query.departmentId, startdate: query.date, enddate: query.date };
		const response = await client.call({ method: 'GET', url: client.pathOf('chart', query.patientId, 'encounters'), qs });
		// As for the orders: a department without athenaClinicals (or the permission) answers 4xx, and the visit
		// still gets its care summary, with the follow-up-visit item where the practice turned it on.
		if ([400, 403, 404].includes(response.status)) return undefined;
		if (!isOk(response)) throw client.httpError(response, 'searching the encounters of the visit');
		const list = client.parse(encounterListSchema, response.body, 'encounters');
		return encounterOfVisit(list.encounters, query.appointmentId);
	};
}
