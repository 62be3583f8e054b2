import { DateTime } from 'luxon';

import { DomainError } from '../../core/errors';
import { ehrTimesZone } from '../../core/patientZone';
import type { VisitEvent } from '../../core/schemas';
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

/** findFollowUp of the DrChrono adapter: the visit re-read, then the patient's appointments booked since. */
export function createFindFollowUp({ client, options }: DrChronoShared) {
	const followUpWindowDays = options.followUpWindowDays ?? 180;
	const maxDateRangeDays = Math.max(1, options.maxDateRangeDays ?? 90);

	/** Appointments booked after the visit started, in date_range windows DrChrono accepts, soonest first. */
	async function candidatesAfter(visit: VisitEvent, visitStart: DateTime, query: FollowUpQuery, checked: string[]): Promise<Candidate[]> {
		const zone = ehrTimesZone(visit);
		const completedAt = DateTime.fromISO(visit.completedAt, { setZone: true });
		// Booked at check-in or checkout, before the status flip, still counts: the bar is the visit's start.
		const bookedAfter = completedAt.isValid && completedAt < visitStart ? completedAt : visitStart;
		const firstDay = DateTime.fromISO(visit.visitDate, { zone });
		const lastDay = firstDay.plus({ days: followUpWindowDays });
		const types = new Set(query.appointmentTypes ?? []);
		const candidates: Candidate[] = [];
		for (let from = firstDay; from <= lastDay; from = from.plus({ days: maxDateRangeDays })) {
			const to = DateTime.min(from.plus({ days: maxDateRangeDays - 1 }), lastDay);
			const range = `${isoDateOf(from)}/${isoDateOf(to)}`;
			checked.push(`appointments ${range}`);
			const rows = await client.listAll(
				'/api/appointments',
				{ patient: visit.patientId, date_range: range },
				appointmentSchema,
				'listing the patient\'s appointments',
			);
			for (const appointment of rows) {
				if (appointment.id === visit.visitId || appointment.deleted_flag || appointment.appt_is_break) continue;
				if (types.size > 0 && !(appointment.profile && types.has(appointment.profile))) continue;
				if (!appointment.created_at) continue;
				const created = vendorDateTime(appointment.created_at, zone, 'created_at');
				const start = vendorDateTime(appointment.scheduled_time, zone, 'scheduled_time');
				if (created <= bookedAfter || start <= visitStart) continue;
				candidates.push({ appointment, start });
			}
		}
		return candidates.sort((a, b) => a.start.toMillis() - b.start.toMillis());
	}

	return async function findFollowUp(visit: VisitEvent, query: FollowUpQuery): Promise<FollowUpStatus> {
		if (visit.ehr !== EHR) throw new DomainError('This visit is not a DrChrono visit', 'invalid_input', 'ehr');
		const response = await client.sendRaw({ method: 'GET', url: `/api/appointments/${encodeURIComponent(visit.visitId)}` });
		if (response.status === 404) return { status: 'visitCancelled', detail: 'the visit appointment was deleted in DrChrono' };
		if (!isOk(response)) throw client.failure(response, 'reading the visit');
		const visitAppointment = vendor(appointmentSchema, response.body);
		if (visitAppointment.deleted_flag || visitAppointment.status === 'Cancelled') {
			return { status: 'visitCancelled', detail: `the visit appointment is now ${visitAppointment.deleted_flag ? 'deleted' : 'Cancelled'}` };
		}
		const visitStart = vendorDateTime(visitAppointment.scheduled_time, ehrTimesZone(visit), 'scheduled_time');
		const checked: string[] = [];
		return followUpOf(await candidatesAfter(visit, visitStart, query, checked), checked);
	};
}
