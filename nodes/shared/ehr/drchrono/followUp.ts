import { DateTime } from 'luxon';

import { DomainError } from '../../core/errors';
import { ehrTimesZone } from '../../core/patientZone';
import type { VisitEvent } from '../../core/schemas';
import { startRead } from '../http';
import type { FollowUpQuery, FollowUpStatus } from '../types';
import { isOk, vendor } from './client';
import { EHR, isoDateOf, isoOf, vendorDateTime } from './mapping';
import { completedStatus } from './notification';
import type { DrChronoShared } from './options';
import { appointmentSchema } from './schemas';
import type { DrChronoAppointment } from './schemas';

const inactiveStatuses = new Set(['Cancelled', 'No Show', 'Rescheduled']);

interface Candidate {
	appointment: DrChronoAppointment;
	start: DateTime;
}

function followUpOf(candidates: Candidate[], checked: string[]): FollowUpStatus {
	const completed = candidates.find(({ appointment }) => appointment.status === completedStatus);
	if (completed) {
		return { status: 'done', detail: `follow-up appointment ${completed.appointment.id} is Complete` };
	}
	const booked = candidates.find(
		({ appointment }) => !inactiveStatuses.has(appointment.status) && appointment.status !== completedStatus,
	);
	if (booked) {
		return {
			status: 'booked',
			appointmentId: booked.appointment.id,
			start: isoOf(booked.start),
			detail: `booked for ${isoDateOf(booked.start)} (status "${booked.appointment.status || 'none'}")`,
		};
	}
	const noShow = candidates.filter(({ appointment }) => appointment.status === 'No Show').at(-1);
	if (noShow) {
		return {
			status: 'noShow',
			appointmentId: noShow.appointment.id,
			detail: `follow-up appointment of ${isoDateOf(noShow.start)} is No Show`,
		};
	}
	return { status: 'open', checked };
}

/** findFollowUp of the DrChrono adapter: the visit re-read and the patient's appointments booked since, at once. */
export function createFindFollowUp({ client, options }: DrChronoShared) {
	const followUpWindowDays = options.followUpWindowDays ?? 180;
	const maxDateRangeDays = Math.max(1, options.maxDateRangeDays ?? 90);

	/** The patient's appointments from the visit day on, in date_range windows DrChrono accepts, read at once. */
	async function appointmentsFromVisitDay(visit: VisitEvent, checked: string[]): Promise<DrChronoAppointment[]> {
		const firstDay = DateTime.fromISO(visit.visitDate, { zone: ehrTimesZone(visit) });
		const lastDay = firstDay.plus({ days: followUpWindowDays });
		const ranges: string[] = [];
		for (let from = firstDay; from <= lastDay; from = from.plus({ days: maxDateRangeDays })) {
			ranges.push(`${isoDateOf(from)}/${isoDateOf(DateTime.min(from.plus({ days: maxDateRangeDays - 1 }), lastDay))}`);
		}
		checked.push(...ranges.map((range) => `appointments ${range}`));
		const pages = await Promise.all(
			ranges.map((range) =>
				client.listAll('/api/appointments', { patient: visit.patientId, date_range: range }, appointmentSchema, "listing the patient's appointments"),
			),
		);
		return pages.flat();
	}

	/** Those of `appointments` booked after the visit started and starting after it, soonest first. */
	function candidatesAfter(appointments: DrChronoAppointment[], visit: VisitEvent, visitStart: DateTime, query: FollowUpQuery): Candidate[] {
		const zone = ehrTimesZone(visit);
		const completedAt = DateTime.fromISO(visit.completedAt, { setZone: true });
		// Booked at check-in or checkout, before the status flip, still counts: the bar is the visit's start.
		const bookedAfter = completedAt.isValid && completedAt < visitStart ? completedAt : visitStart;
		const types = new Set(query.appointmentTypes ?? []);
		const candidates: Candidate[] = [];
		for (const appointment of appointments) {
			if (appointment.id === visit.visitId || appointment.deleted_flag || appointment.appt_is_break) continue;
			if (types.size > 0 && !(appointment.profile && types.has(appointment.profile))) continue;
			if (!appointment.created_at) continue;
			const created = vendorDateTime(appointment.created_at, zone, 'created_at');
			const start = vendorDateTime(appointment.scheduled_time, zone, 'scheduled_time');
			if (created <= bookedAfter || start <= visitStart) continue;
			candidates.push({ appointment, start });
		}
		return candidates.sort((a, b) => a.start.toMillis() - b.start.toMillis());
	}

	return async function findFollowUp(visit: VisitEvent, query: FollowUpQuery): Promise<FollowUpStatus> {
		if (visit.ehr !== EHR) throw new DomainError('This visit is not a DrChrono visit', 'invalid_input', 'ehr');
		// The appointments are read beside the visit; a deleted or cancelled visit decides alone.
		const checked: string[] = [];
		const appointments = startRead(appointmentsFromVisitDay(visit, checked));
		const response = await client.sendRaw({ method: 'GET', url: `/api/appointments/${encodeURIComponent(visit.visitId)}` });
		if (response.status === 404) return { status: 'visitCancelled', detail: 'the visit appointment was deleted in DrChrono' };
		if (!isOk(response)) throw client.failure(response, 'reading the visit');
		const visitAppointment = vendor(appointmentSchema, response.body);
		if (visitAppointment.deleted_flag || visitAppointment.status === 'Cancelled') {
			return { status: 'visitCancelled', detail: `the visit appointment is now ${visitAppointment.deleted_flag ? 'deleted' : 'Cancelled'}` };
		}
		const visitStart = vendorDateTime(visitAppointment.scheduled_time, ehrTimesZone(visit), 'scheduled_time');
		return followUpOf(candidatesAfter(await appointments, visit, visitStart, query), checked);
	};
}
