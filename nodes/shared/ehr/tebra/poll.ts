import { DateTime } from 'luxon';

import { DomainError } from '../../core/errors';
import type { NotificationEvent, PollCursor, PollResult } from '../types';
import type { TebraShared } from './options';
import { appointmentRowSchema, appointmentsResultSchema, isCheckedOut, parseTebra, tebraFilterTime, tebraInstant } from './schemas';
import type { AppointmentRow } from './schemas';
import { element } from './soap';

const defaultOverlapMinutes = 10;

/** The zone Tebra's filter and row times are read in: the credential's, never the server's. */
export function practiceZone(zone: string | undefined): string {
	if (!zone) {
		throw new DomainError('Tebra has no time zone for its practices: set "Practice Time Zone" in the Tebra credential', 'missing_zone', 'zone');
	}
	return zone;
}

function splitEmitted(value: string | undefined): Map<string, number> {
	const emitted = new Map<string, number>();
	for (const entry of (value ?? '').split(',').filter(Boolean)) {
		const [id, at] = entry.split('@');
		if (id) emitted.set(id, Number(at) || 0);
	}
	return emitted;
}

/** GetAppointments in a filter of Tebra's own names, each as text; `Filter` is always sent (Tebra requires it). */
export async function getAppointments(shared: TebraShared, filter: Record<string, string>): Promise<AppointmentRow[]> {
	const result = await shared.client.call('GetAppointments', {
		Fields: [],
		Filter: Object.keys(filter)
			.sort()
			.map((name) => element(name, filter[name])),
	});
	const rows = parseTebra(appointmentsResultSchema, result).Appointments.AppointmentData;
	return rows.map((row) => parseTebra(appointmentRowSchema, row));
}

/**
 * pollChanges of the Tebra adapter. Tebra pushes nothing, so: GetAppointments for the practice, rows modified
 * since the cursor (less an overlap, because Tebra documents neither the zone nor the precision of
 * LastModifiedDate) with a start date from yesterday to tomorrow. A row whose ConfirmationStatus is a check-out
 * becomes an event; Visit Details confirms it with GetAppointment (AppointmentStatus CheckedOut). The cursor is
 * the end of the window read, plus the rows already emitted inside the overlap so they are not emitted twice.
 */
export function createPollChanges(shared: TebraShared) {
	const { options } = shared;
	return async function pollChanges(cursor: PollCursor, now: Date): Promise<PollResult> {
		const zone = practiceZone(options.zone);
		const overlap = { minutes: options.overlapMinutes ?? defaultOverlapMinutes };
		const until = DateTime.fromJSDate(now).toUTC();
		const since = DateTime.fromISO(cursor.since, { zone: 'utc' });
		const from = (since.isValid ? since : until).minus(overlap);
		const today = until.setZone(zone).startOf('day');
		const rows = await getAppointments(shared, {
			PracticeName: options.practiceName,
			FromLastModifiedDate: tebraFilterTime(from, zone),
			ToLastModifiedDate: tebraFilterTime(until, zone),
			StartDate: today.minus({ days: 1 }).toFormat('M/d/yyyy'),
			EndDate: today.plus({ days: 1 }).toFormat('M/d/yyyy'),
		});
		const emitted = splitEmitted(cursor.extra?.emitted);
		const keepAfter = until.minus(overlap).minus(overlap).toMillis();
		const events: NotificationEvent[] = [];
		for (const row of rows) {
			if (!isCheckedOut(row.ConfirmationStatus) || emitted.has(row.ID)) continue;
			const modified = tebraInstant(row.LastModifiedDate, zone);
			emitted.set(row.ID, modified?.toMillis() ?? until.toMillis());
			events.push({
				ehr: 'tebra',
				eventId: `appointment:${row.ID}:checkedOut`,
				topic: 'poll:CheckedOut',
				resourceType: 'Appointment',
				resourceId: row.ID,
				patientId: row.PatientID || undefined,
				practiceId: row.PracticeID || undefined,
				departmentId: row.ServiceLocationID || undefined,
				occurredAt: modified?.toUTC().toISO() ?? undefined,
			});
		}
		const kept = [...emitted].filter(([, at]) => at >= keepAfter).map(([id, at]) => `${id}@${at}`);
		return { events, nextCursor: { since: until.toISO() as string, extra: { ...cursor.extra, emitted: kept.join(',') } } };
	};
}
