import { DateTime } from 'luxon';

import { DomainError } from '../../core/errors';
import type { NotificationEvent, PollCursor, PollResult } from '../types';
import { missingZone } from './lookups';
import { EHR, isoOf, vendorDateTime } from './mapping';
import { completedStatus } from './notification';
import type { DrChronoShared } from './options';
import { appointmentSchema } from './schemas';
import { completionOf } from './visit';

/** pollChanges of the DrChrono adapter: completed appointments updated since the cursor. */
export function createPollChanges({ client, lookups, defaultZone }: DrChronoShared) {
	return async function pollChanges(cursor: PollCursor, now: Date): Promise<PollResult> {
		const since = DateTime.fromISO(cursor.since, { setZone: true });
		if (!since.isValid) throw new DomainError('Poll cursor: "since" must be an ISO date-time', 'invalid_input', 'since');
		const seenAtSince = new Set((cursor.extra?.idsAtSince ?? '').split(',').filter(Boolean));
		// `since` is sent as a date a day early: DrChrono compares it with its naive local times.
		const rows = await client.listAll(
			'/api/appointments',
			{ since: since.toUTC().minus({ days: 1 }).toFormat('yyyy-MM-dd'), status: completedStatus, verbose: true },
			appointmentSchema,
			'listing changed appointments',
		);

		const events: NotificationEvent[] = [];
		let newest = since;
		let idsAtNewest = new Set(seenAtSince);
		for (const row of rows) {
			if (row.status !== completedStatus || row.deleted_flag || row.appt_is_break || !row.patient) continue;
			const zone = (await lookups.doctorZone(row.doctor)) ?? defaultZone;
			if (!zone) throw missingZone('defaultZone');
			const updatedText = row.updated_at ?? row.scheduled_time;
			const updated = vendorDateTime(updatedText, zone, 'updated_at');
			if (updated < since || (updated.toMillis() === since.toMillis() && seenAtSince.has(row.id))) continue;

			if (updated > newest) {
				newest = updated;
				idsAtNewest = new Set([row.id]);
			} else if (updated.toMillis() === newest.toMillis()) {
				idsAtNewest.add(row.id);
			}
			const completion = completionOf(row, zone);
			// A later edit (billing, notes) of a visit completed before the cursor is not a new completion.
			if (completion.fromTransition && completion.at < since) continue;
			events.push({
				ehr: EHR,
				eventId: `appointment:${row.id}:${updatedText}`,
				topic: 'appointment.complete',
				resourceType: 'Appointment',
				resourceId: row.id,
				patientId: row.patient,
				departmentId: row.office,
				resource: row,
				occurredAt: isoOf(completion.at),
			});
		}

		const nowTime = DateTime.fromJSDate(now);
		// A time ahead of the clock means a zone mismatch: never move the cursor past now.
		if (newest > nowTime) return { events, nextCursor: { since: isoOf(nowTime.toUTC()), extra: {} } };
		return {
			events,
			nextCursor: { since: isoOf(newest.toUTC()), extra: { idsAtSince: [...idsAtNewest].sort().join(',') } },
		};
	};
}
