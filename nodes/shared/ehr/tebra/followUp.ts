import { DateTime } from 'luxon';

import { ehrTimesZone } from '../../core/patientZone';
import type { VisitEvent } from '../../core/schemas';
import type { FollowUpQuery, FollowUpStatus } from '../types';
import type { TebraShared } from './options';
import { getAppointments } from './poll';
import { isCheckedOut, statusKey, tebraInstant } from './schemas';
import type { AppointmentRow } from './schemas';
import { readAppointment } from './visit';

const defaultHorizonDays = 180;
const notBookedStatuses = new Set(['cancelled', 'noshow', 'rescheduled']);
const cancelledVisitStatuses = new Set(['Cancelled']);

/**
 * findFollowUp of the Tebra adapter: the visit re-read with GetAppointment (cancelled since → the journey ends),
 * then GetAppointments by PatientID from the visit day over the horizon. An appointment made on or after the visit
 * day and still on (not cancelled, no-show or rescheduled) is the follow-up; a checked-out one counts as done.
 */
export function createFindFollowUp(shared: TebraShared) {
	const { options } = shared;

	function laterAppointments(rows: AppointmentRow[], visit: VisitEvent, query: FollowUpQuery): AppointmentRow[] {
		const visitDayStart = DateTime.fromISO(visit.visitDate, { zone: ehrTimesZone(visit) }).startOf('day').toMillis();
		const wanted = new Set(query.appointmentTypes ?? []);
		return rows.filter((row) => {
			if (row.ID === visit.visitId) return false;
			const created = tebraInstant(row.CreatedDate, ehrTimesZone(visit))?.toMillis();
			if (created !== undefined && created < visitDayStart) return false;
			const start = tebraInstant(row.StartDate, ehrTimesZone(visit))?.toMillis();
			if (start !== undefined && start < visitDayStart) return false;
			return wanted.size === 0 || [row.AppointmentReason1, row.Type].some((value) => value && wanted.has(value));
		});
	}

	return async function findFollowUp(visit: VisitEvent, query: FollowUpQuery): Promise<FollowUpStatus> {
		const checked: string[] = [];
		if (query.checkVisitStatus !== false) {
			const own = await readAppointment(shared, visit.visitId);
			if (cancelledVisitStatuses.has(own.AppointmentStatus)) {
				return { status: 'visitCancelled', detail: `appointment ${visit.visitId} is now ${own.AppointmentStatus}` };
			}
			checked.push(`appointment ${visit.visitId} is ${own.AppointmentStatus}`);
		}
		const from = DateTime.fromISO(visit.visitDate, { zone: ehrTimesZone(visit) });
		const rows = await getAppointments(shared, {
			PracticeName: options.practiceName,
			PatientID: visit.patientId,
			StartDate: from.toFormat('M/d/yyyy'),
			EndDate: from.plus({ days: options.followUpHorizonDays ?? defaultHorizonDays }).toFormat('M/d/yyyy'),
		});
		const later = laterAppointments(rows, visit, query);
		const attended = later.find((row) => isCheckedOut(row.ConfirmationStatus));
		if (attended) return { status: 'done', detail: `follow-up appointment ${attended.ID} is checked out` };
		const booked = later
			.filter((row) => !notBookedStatuses.has(statusKey(row.ConfirmationStatus)))
			.sort((a, b) => (tebraInstant(a.StartDate, ehrTimesZone(visit))?.toMillis() ?? 0) - (tebraInstant(b.StartDate, ehrTimesZone(visit))?.toMillis() ?? 0))[0];
		if (booked) {
			return {
				status: 'booked',
				appointmentId: booked.ID,
				start: tebraInstant(booked.StartDate, ehrTimesZone(visit))?.toUTC().toISO() ?? undefined,
				detail: `appointment ${booked.ID} is ${booked.ConfirmationStatus || 'scheduled'}`,
			};
		}
		const noShow = later.find((row) => statusKey(row.ConfirmationStatus) === 'noshow');
		if (noShow) return { status: 'noShow', appointmentId: noShow.ID, detail: `appointment ${noShow.ID} is a no-show` };
		checked.push(`GetAppointments for the patient from ${visit.visitDate}: ${rows.length} found, none booked after the visit`);
		return { status: 'open', checked };
	};
}
