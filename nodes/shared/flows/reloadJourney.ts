import { DomainError } from '../core/errors';
import type { VisitEvent } from '../core/schemas';
import type { EhrAdapter, NotificationEvent, ResolveContext } from '../ehr/types';
import type { JourneyRecord, JourneyStore } from '../store/types';

export type ReloadOutcome =
	| { outcome: 'reloaded'; record: JourneyRecord; event: VisitEvent }
	/** The store has no journey by that id (never started here, or pruned). */
	| { outcome: 'unknownJourney'; journeyId: string }
	/** A recall has no visit to fetch again; the caller works from the record alone. */
	| { outcome: 'recall'; record: JourneyRecord }
	/** The EHR no longer shows the visit as completed (e.g. cancelled or reopened since). */
	| { outcome: 'notCompleted'; record: JourneyRecord; reason: string };

/**
 * Fetches a visit journey's event again from the EHR by the ids the journey store kept, for work that starts
 * outside the journey's own execution (a patient's reply, a delivery status). Contact details and consent come
 * fresh from the EHR, never from the store, which holds none.
 */
export async function reloadJourney(
	journeyId: string,
	deps: { store: JourneyStore; adapter: EhrAdapter; context: ResolveContext },
): Promise<ReloadOutcome> {
	const record = await deps.store.getJourney(journeyId);
	if (!record) return { outcome: 'unknownJourney', journeyId };
	if (record.kind === 'recall') return { outcome: 'recall', record };
	if (record.ehr !== deps.adapter.kind) {
		throw new DomainError(
			`Journey ${journeyId} belongs to ${record.ehr}, but the node's EHR is ${deps.adapter.kind}`,
			'wrong_ehr',
			'ehr',
		);
	}
	const notification: NotificationEvent = {
		ehr: record.ehr,
		eventId: `reload:${journeyId}`,
		topic: 'reload',
		resourceType: record.sourceType === 'appointment' ? 'Appointment' : 'Encounter',
		resourceId: record.sourceId,
		patientId: record.patientId,
		practiceId: record.practiceId,
		departmentId: record.departmentId,
	};
	const resolved = await deps.adapter.resolveVisit(notification, deps.context);
	if (resolved.status === 'notCompleted') return { outcome: 'notCompleted', record, reason: resolved.reason };
	if (resolved.event.kind !== 'visit') {
		throw new DomainError(`Journey ${journeyId}: the EHR returned a recall for a visit`, 'wrong_kind', 'kind');
	}
	return { outcome: 'reloaded', record, event: resolved.event };
}
