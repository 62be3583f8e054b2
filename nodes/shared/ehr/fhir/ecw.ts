import { DateTime } from 'luxon';

import { DomainError } from '../../core/errors';
import type { VisitEvent } from '../../core/schemas';
import type { Escalation, FollowUpQuery, FollowUpStatus, HttpClient, NotificationEvent, PollCursor, PollResult, TaskResult } from '../types';
import type { SearchParams } from './client';
import { budgeted } from './ecwBudget';
import type { CallBudget } from './ecwBudget';
import { encounterFacts, millis, ownerReference, splitList } from './facts';
import type { VisitFacts } from './facts';
import type { FhirShared } from './options';
import { encounterSchema } from './resources';
import type { Encounter } from './resources';

/** The Encounter search parameters eClinicalWorks' CapabilityStatement lists: no status, no _lastUpdated. */
export const ecwEncounterSearchParameters = ['_id', 'date', 'location', 'page', 'patient', 'practitioner'];
/** FHIR result parameters the preset may send along (paging size). */
const resultParameters = new Set(['_count']);

export interface EcwPresetOptions {
	/** Narrow the poll to one Location (id or Location/id). */
	location?: string;
	/** Narrow the poll to one Practitioner (id or Practitioner/id). */
	practitioner?: string;
	/** The practice has a writeback contract: Task (then Communication) are created; else staff are notified out of band. */
	writeback: boolean;
	/** Calls per minute for this practice code, /token included (eCW: 250). */
	callsPerMinute: number;
	/** The zone that "today" is counted in for the poll window (the practice's). */
	zone?: string;
}

const notCompletedStatuses = new Set(['planned', 'cancelled', 'entered-in-error', 'unknown']);

/** eCW completes an encounter without always setting `finished`: an encounter with an end that is not planned or cancelled is over. */
export function isEcwCompleted(visit: VisitFacts): boolean {
	if (visit.status === 'finished') return true;
	return visit.periodEnd !== undefined && !notCompletedStatuses.has(visit.status);
}

/** Refuses locally what eCW would refuse: an Encounter search parameter it does not support, and the resources it lacks. */
export function ecwGuard(http: HttpClient): HttpClient {
	return async (request) => {
		const path = request.url.replace(/^https?:\/\/[^/]+/, '').replace(/\?.*$/, '');
		if (request.method === 'GET' && /\/Encounter$/.test(path)) {
			const unsupported = Object.keys(request.qs ?? {}).filter((name) => !ecwEncounterSearchParameters.includes(name) && !resultParameters.has(name));
			if (unsupported.length > 0) {
				throw new DomainError(`eClinicalWorks does not support Encounter search by ${unsupported.join(', ')}`, 'not_supported', unsupported[0]);
			}
		}
		return await http(request);
	};
}

/** The adapter's transport for eCW: the local parameter guard, then the per-practice call budget. */
export function ecwTransport(http: HttpClient, baseUrl: string | undefined, ecw: EcwPresetOptions, budget?: CallBudget): HttpClient {
	return ecwGuard(budgeted(http, baseUrl ?? 'ecw', ecw.callsPerMinute, budget));
}

function reference(type: string, id: string): string {
	return id.startsWith(`${type}/`) ? id : `${type}/${id}`;
}

/**
 * pollChanges for eCW: no `_lastUpdated` and no `status` search, and no Appointment resource to read a day's
 * schedule from, so the day's encounters are searched by date (yesterday to tomorrow in the practice's zone),
 * narrowed by location or practitioner, and completion is read from each encounter's own fields. The cursor
 * remembers the encounters already emitted that the window still shows.
 */
export function createEcwPoll({ client, pageSize }: FhirShared, ecw: EcwPresetOptions) {
	return async function pollChanges(cursor: PollCursor, now: Date): Promise<PollResult> {
		const today = DateTime.fromJSDate(now).setZone(ecw.zone ?? 'UTC').startOf('day');
		const params: SearchParams = { date: [`ge${today.minus({ days: 1 }).toISO()}`, `lt${today.plus({ days: 1 }).toISO()}`], _count: pageSize };
		if (ecw.location) params.location = reference('Location', ecw.location);
		if (ecw.practitioner) params.practitioner = reference('Practitioner', ecw.practitioner);
		const encounters = await client.search('Encounter', params, encounterSchema);
		const emitted = new Set(splitList(cursor.extra?.emitted));
		const visible = new Set<string>();
		const events: NotificationEvent[] = [];
		for (const encounter of encounters) {
			visible.add(encounter.id);
			const facts = encounterFacts(encounter);
			if (!isEcwCompleted(facts) || emitted.has(encounter.id)) continue;
			emitted.add(encounter.id);
			events.push({
				ehr: 'fhir',
				eventId: `Encounter/${encounter.id}/completed`,
				topic: 'poll:Encounter',
				resourceType: 'Encounter',
				resourceId: encounter.id,
				patientId: facts.patientId,
				resource: encounter,
				occurredAt: encounter.period?.end,
			});
		}
		const kept = [...emitted].filter((id) => visible.has(id));
		return { events, nextCursor: { since: now.toISOString(), extra: { ...cursor.extra, emitted: kept.join(',') } } };
	};
}

const bookedStatuses = new Set(['planned', 'arrived', 'triaged', 'in-progress']);

/**
 * findFollowUp for eCW (no Appointment resource): the visit's encounter re-read, then the patient's encounters
 * dated from the visit on. A later planned or ongoing encounter is the booked follow-up; a later finished one
 * means it was attended.
 */
export function createEcwFindFollowUp({ client, pageSize }: FhirShared) {
	return async function findFollowUp(visit: VisitEvent, query: FollowUpQuery): Promise<FollowUpStatus> {
		const checked: string[] = [];
		if (query.checkVisitStatus !== false && visit.visitType === 'encounter') {
			const own = await client.readIfExists('Encounter', visit.visitId, encounterSchema);
			if (!own || own.status === 'cancelled' || own.status === 'entered-in-error') {
				return { status: 'visitCancelled', detail: `Encounter/${visit.visitId} is ${own?.status ?? 'gone'}` };
			}
			checked.push(`Encounter/${visit.visitId} is ${own.status}`);
		}
		const later = (
			await client.search('Encounter', { patient: `Patient/${visit.patientId}`, date: `ge${DateTime.fromISO(visit.visitDate, { zone: visit.zone }).startOf('day').toISO()}`, _count: pageSize }, encounterSchema)
		).filter((encounter: Encounter) => encounter.id !== visit.visitId && (millis(encounter.period?.start) ?? Infinity) > (millis(visit.completedAt) ?? 0));
		const done = later.find((encounter) => encounter.status === 'finished');
		if (done) return { status: 'done', detail: `Encounter/${done.id} is finished` };
		const booked = later.find((encounter) => bookedStatuses.has(encounter.status));
		if (booked) return { status: 'booked', appointmentId: booked.id, start: booked.period?.start, detail: `Encounter/${booked.id} is ${booked.status}` };
		checked.push(`Encounter search for the patient from ${visit.visitDate}: ${later.length} later, none planned`);
		return { status: 'open', checked };
	};
}

/** Without a writeback contract nothing is written to eCW: the staff notification is the task. */
export function ecwStaffNotice(escalation: Escalation): TaskResult {
	const where = [
		escalation.patientId ? `eClinicalWorks Patient/${escalation.patientId}` : 'patient unknown',
		escalation.visitId ? `Encounter/${escalation.visitId}` : undefined,
		escalation.assigneeId ? `for ${ownerReference(escalation.assigneeId)}` : undefined,
	].filter(Boolean);
	return {
		taskId: `notice:${escalation.taskKey ?? escalation.journeyId}`,
		kind: 'staffNotice',
		created: true,
		reference: `${where.join(', ')} (no writeback contract: this message is the task)`,
	};
}
