import { DomainError } from '../core/errors';
import type { JourneyEvent, VisitEvent } from '../core/schemas';
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

export type ReloadEventOutcome =
	| { outcome: 'reloaded'; event: JourneyEvent }
	/** The EHR says the visit is no longer completed, or the recall was closed: the journey ends. */
	| { outcome: 'ended'; reason: string }
	/** The EHR offers no way to fetch this kind of journey again (a recall where the EHR has no recall API). */
	| { outcome: 'notReloadable'; reason: string };

/**
 * A journey's event fetched again from the EHR by the ids its record keeps: a visit by its appointment or
 * encounter, a recall by its id. Contact details, consent and language come fresh from the EHR.
 */
export async function reloadJourneyEvent(
	record: JourneyRecord,
	deps: { adapter: EhrAdapter; context: ResolveContext },
): Promise<ReloadEventOutcome> {
	if (record.ehr !== deps.adapter.kind) {
		throw new DomainError(`Journey ${record.journeyId} belongs to ${record.ehr}, but the node's EHR is ${deps.adapter.kind}`, 'wrong_ehr', 'ehr');
	}
	if (record.kind === 'recall') {
		if (!deps.adapter.resolveRecall) return { outcome: 'notReloadable', reason: `${record.ehr} offers no recall API` };
		const recall = await deps.adapter.resolveRecall(
			{ recallId: record.sourceId, patientId: record.patientId, practiceId: record.practiceId, departmentId: record.departmentId },
			deps.context,
		);
		return recall.status === 'open' ? { outcome: 'reloaded', event: recall.event } : { outcome: 'ended', reason: recall.reason };
	}
	const resolved = await deps.adapter.resolveVisit(notificationFor(record), deps.context);
	if (resolved.status === 'notCompleted') return { outcome: 'ended', reason: resolved.reason };
	return { outcome: 'reloaded', event: resolved.event };
}

function notificationFor(record: JourneyRecord): NotificationEvent {
	return {
		ehr: record.ehr,
		eventId: `reload:${record.journeyId}`,
		topic: 'reload',
		resourceType: record.sourceType === 'appointment' ? 'Appointment' : 'Encounter',
		resourceId: record.sourceId,
		patientId: record.patientId,
		practiceId: record.practiceId,
		departmentId: record.departmentId,
		// What an EHR that cannot be asked for the visit again (an HL7 v2 feed) rebuilds its close from.
		occurredAt: record.anchorAt,
	};
}

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
	const resolved = await deps.adapter.resolveVisit(notificationFor(record), deps.context);
	if (resolved.status === 'notCompleted') return { outcome: 'notCompleted', record, reason: resolved.reason };
	if (resolved.event.kind !== 'visit') {
		throw new DomainError(`Journey ${journeyId}: the EHR returned a recall for a visit`, 'wrong_kind', 'kind');
	}
	return { outcome: 'reloaded', record, event: resolved.event };
}
