import { DateTime } from 'luxon';

import { journeyIdOf, patientKeyOf } from '../core/schemas';
import type { JourneyEvent } from '../core/schemas';
import { startTrail, withStep } from '../core/trail';
import type { JourneyTrail } from '../core/trail';
import type { EhrAdapter, NotificationEvent, ResolveContext } from '../ehr/types';
import type { JourneyRecord, JourneyStore } from '../store/types';

export type AdmitOutcome =
	| { outcome: 'admitted'; event: JourneyEvent; trail: JourneyTrail }
	/** The same delivery (vendor event id) was seen before. */
	| { outcome: 'duplicate'; eventKey: string }
	/** A different delivery for a visit whose journey already started (e.g. check-out and sign-off). */
	| { outcome: 'alreadyStarted'; journeyId: string }
	| { outcome: 'notCompleted'; reason: string };

export interface AdmitDependencies {
	adapter: EhrAdapter;
	store: JourneyStore;
	context: ResolveContext;
	now: Date;
	nodeName: string;
}

/**
 * From a verified notification to a journey, exactly once: claims the vendor's event id (a duplicate
 * delivery ends here), fetches what a thin notification lacks, then claims the journey itself. A failure
 * while fetching releases the event claim, so the EHR's redelivery or an n8n retry is not mistaken for a duplicate.
 */
export async function admitVisit(notification: NotificationEvent, deps: AdmitDependencies): Promise<AdmitOutcome> {
	const at = deps.now.toISOString();
	const eventKey = `event:${notification.ehr}:${notification.eventId}`;
	const notifiedPatient = patientKeyOf({
		ehr: notification.ehr,
		practiceId: notification.practiceId,
		patientId: notification.patientId ?? 'unknown',
	});
	const claimed = await deps.store.claim(
		eventKey,
		{ journeyId: `pending:${eventKey}`, patientKey: notifiedPatient, channel: 'event' },
		at,
	);
	if (!claimed) {
		await deps.store.append({
			at,
			journeyId: `pending:${eventKey}`,
			patientKey: notifiedPatient,
			type: 'event.duplicate',
			detail: { eventId: notification.eventId, topic: notification.topic },
		});
		return { outcome: 'duplicate', eventKey };
	}

	let resolved;
	try {
		resolved = await deps.adapter.resolveVisit(notification, deps.context);
	} catch (error) {
		await deps.store.release(eventKey, at);
		throw error;
	}
	await deps.store.markSent(eventKey, undefined, at);
	if (resolved.status === 'notCompleted') {
		await deps.store.append({
			at,
			journeyId: `pending:${eventKey}`,
			patientKey: notifiedPatient,
			type: 'event.notCompleted',
			code: resolved.reason,
			detail: { eventId: notification.eventId },
		});
		return { outcome: 'notCompleted', reason: resolved.reason };
	}

	const event = resolved.event;
	const journeyId = journeyIdOf(event);
	const patientKey = patientKeyOf(event);
	const started = await deps.store.claim(`journey:${journeyId}`, { journeyId, patientKey, channel: 'event' }, at);
	if (!started) {
		await deps.store.append({ at, journeyId, patientKey, type: 'journey.alreadyStarted', detail: { eventId: notification.eventId } });
		return { outcome: 'alreadyStarted', journeyId };
	}
	await deps.store.markSent(`journey:${journeyId}`, undefined, at);
	await deps.store.append({
		at,
		journeyId,
		patientKey,
		type: 'journey.started',
		detail: { eventId: notification.eventId, zone: event.zone, zoneSource: event.zoneSource, extraZones: event.extraZones?.join(' ') ?? null, actionItems: event.kind === 'visit' ? event.actionItems.length : 1 },
	});
	await deps.store.recordJourney(journeyRecordFor(event, at));
	const trail = withStep(startTrail(journeyId, patientKey), {
		at,
		node: deps.nodeName,
		outcome: 'admitted',
		reason: `zone from ${event.zoneSource}`,
	});
	return { outcome: 'admitted', event, trail };
}

/** The ids a journey is found again by (a reply, a delivery status, a report); a recall is anchored at its due date's local midnight. */
export function journeyRecordFor(event: JourneyEvent, startedAt: string): JourneyRecord {
	const anchorAt =
		event.kind === 'visit'
			? event.completedAt
			: (DateTime.fromISO(event.dueDate, { zone: event.zone }).startOf('day').toUTC().toISO() as string);
	return {
		journeyId: journeyIdOf(event),
		patientKey: patientKeyOf(event),
		kind: event.kind,
		ehr: event.ehr,
		practiceId: event.practiceId,
		departmentId: event.departmentId,
		patientId: event.patientId,
		sourceId: event.kind === 'visit' ? event.visitId : event.recallId,
		sourceType: event.kind === 'visit' ? event.visitType : 'recall',
		anchorAt,
		startedAt,
		zone: event.zone,
		zoneSource: event.zoneSource,
		...(event.extraZones?.length ? { extraZones: event.extraZones } : {}),
	};
}
