import { DateTime } from 'luxon';

import { ehrTimesZone } from '../../core/patientZone';
import type { VisitEvent } from '../../core/schemas';
import { startRead } from '../http';
import type { FollowUpQuery, FollowUpStatus } from '../types';
import { appointmentStart, athenaDate, isoOf, statusNames } from './mapping';
import type { AthenaShared } from './options';
import type { AthenaAppointment } from './schemas';

interface LaterAppointment {
	appointment: AthenaAppointment;
	start: DateTime;
}

function followUpOf(candidates: LaterAppointment[], checked: string[]): FollowUpStatus {
	const withStatus = (...statuses: string[]) =>
		candidates.find((candidate) => statuses.includes(candidate.appointment.appointmentstatus));
	const completed = withStatus('3', '4');
	if (completed) {
		const { appointmentid } = completed.appointment;
		return { status: 'done', detail: `a later visit (appointment ${appointmentid}) was completed` };
	}
	const booked = withStatus('f', '2');
	if (booked) {
		const { appointmentid, appointmentstatus } = booked.appointment;
		return {
			status: 'booked',
			appointmentId: appointmentid,
			start: isoOf(booked.start),
			detail: `appointment ${appointmentid} is ${statusNames[appointmentstatus]}`,
		};
	}
	const noShow = candidates.find(
		({ appointment }) => appointment.appointmentstatus === 'x' && appointment.cancelreasonnoshow === true,
	);
	if (noShow) {
		const appointmentId = noShow.appointment.appointmentid;
		return { status: 'noShow', appointmentId, detail: 'the follow-up appointment was a no-show' };
	}
	return { status: 'open', checked };
}

/** findFollowUp of the athenahealth adapter: the visit re-read and the patient's later appointments, at once. */
export function createFindFollowUp({ client, options }: AthenaShared) {
	async function laterAppointments(visit: VisitEvent): Promise<LaterAppointment[]> {
		let appointments: AthenaAppointment[] | undefined;
		if (options.followUpSource === 'booked') {
			const days = options.followUpWindowDays ?? 180;
			const end = DateTime.fromISO(visit.visitDate, { zone: 'utc' }).plus({ days });
			const qs = {
				patientid: visit.patientId,
				startdate: athenaDate(visit.visitDate),
				enddate: athenaDate(end.toISODate() as string),
				showcancelled: 'true',
			};
			const request = { method: 'GET' as const, url: client.pathOf('appointments', 'booked'), qs };
			appointments = await client.appointmentPages(request, 'booked appointments', 'reading the booked appointments');
		} else {
			// showpast=true: a follow-up that already took place (status 3/4) is in the past when this runs.
			const qs = { showpast: 'true', showcancelled: 'true' };
			const request = { method: 'GET' as const, url: client.pathOf('patients', visit.patientId, 'appointments'), qs };
			appointments = await client.appointmentPages(request, 'patient appointments', 'reading the patient appointments');
		}
		const visitEnd = DateTime.fromISO(visit.completedAt, { setZone: true });
		const later: LaterAppointment[] = [];
		for (const appointment of appointments ?? []) {
			if (visit.visitType === 'appointment' && appointment.appointmentid === visit.visitId) continue;
			const start = appointmentStart(appointment.date, appointment.starttime, ehrTimesZone(visit));
			if (!start) continue;
			const date = start.toISODate() as string;
			if (date < visit.visitDate || (date === visit.visitDate && start < visitEnd)) continue;
			later.push({ appointment, start });
		}
		return later.sort((a, b) => a.start.toMillis() - b.start.toMillis());
	}

	return async function findFollowUp(visit: VisitEvent, query: FollowUpQuery): Promise<FollowUpStatus> {
		const checked: string[] = [];
		// The later appointments are read beside the visit; a cancelled visit decides alone.
		const later = startRead(laterAppointments(visit));
		if (query.checkVisitStatus !== false && visit.visitType === 'appointment') {
			const current = await client.readAppointment(visit.visitId);
			checked.push('visit status');
			if (current.appointmentstatus === 'x') {
				return current.cancelreasonnoshow
					? { status: 'noShow', appointmentId: current.appointmentid, detail: 'the visit was marked a no-show' }
					: { status: 'visitCancelled', detail: 'the visit appointment was cancelled in athenaOne' };
			}
		}
		const candidates = await later;
		const source = options.followUpSource === 'booked' ? 'booked' : 'patient';
		checked.push(`${source} appointments after the visit`);
		const types = query.appointmentTypes?.filter(Boolean) ?? [];
		const relevant = types.length === 0
			? candidates
			: candidates.filter(({ appointment }) => types.includes(appointment.appointmenttypeid ?? ''));
		return followUpOf(relevant, checked);
	};
}
