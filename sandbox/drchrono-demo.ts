import { DateTime } from 'luxon';

import type { DemoPatient } from './demo-patients';
import { demoPatients } from './demo-patients';
import { demoIds } from './drchrono-server';
import type { DrChronoServer } from './drchrono-server';

export function drChronoPatientId(patient: DemoPatient): number {
	return 6001 + demoPatients.findIndex((p) => p.key === patient.key);
}

function display(e164: string | undefined): string {
	const digits = e164?.replace(/^\+1/, '') ?? '';
	return digits ? `(${digits.slice(0, 3)}) ${digits.slice(3, 6)}-${digits.slice(6)}` : '';
}

/** A demo patient's visit in DrChrono, in session (the server's zone is the doctor's). */
export function openDrChronoVisit(
	server: DrChronoServer,
	patient: DemoPatient,
	options: { patientId?: number; appointmentId?: string } = {},
): { appointmentId: string; patientId: number } {
	const patientId = options.patientId ?? drChronoPatientId(patient);
	const now = server.localNow();
	server.state.patients.set(patientId, {
		id: patientId,
		doctor: demoIds.doctor,
		first_name: patient.firstName,
		last_name: patient.lastName,
		nick_name: '',
		gender: 'Other',
		date_of_birth: patient.birthDate,
		cell_phone: display(patient.mobile),
		home_phone: display(patient.landline),
		office_phone: '',
		email: patient.email ?? '',
		preferred_language: patient.language === 'es' ? 'spa' : 'eng',
		disable_sms_messages: false,
		patient_status: 'A',
		updated_at: now,
	});
	const appointmentId = options.appointmentId ?? String(80000 + server.state.appointments.size);
	const start = DateTime.fromISO(now).minus({ minutes: 25 }).toFormat("yyyy-MM-dd'T'HH:mm:ss");
	server.state.appointments.set(appointmentId, {
		id: appointmentId,
		patient: patientId,
		doctor: demoIds.doctor,
		office: demoIds.office,
		exam_room: 1,
		profile: null,
		status: 'In Session',
		scheduled_time: start,
		duration: 20,
		reason: 'Office visit',
		notes: '',
		created_at: start,
		updated_at: now,
		deleted_flag: false,
		appt_is_break: false,
		status_transitions: [{ appointment: appointmentId, datetime: start, from_status: '', to_status: 'In Session' }],
	});
	return { appointmentId, patientId };
}
