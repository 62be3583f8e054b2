import type { DemoPatient } from './demo-patients';
import type { TebraServer } from './tebra-server';

/** The sandbox's Tebra practice: the demo practice under the sandbox login, in its own zone. */
export const tebraSandboxAccount = {
	login: { customerKey: 'sandbox-customer-key', user: 'api@riverside.example', password: 'sandbox-password' },
	practice: { id: '1', name: 'Riverside Family Medicine', zone: 'America/Chicago' },
};

/** The Tebra patient id of a demo patient (stable, so a kept journey store finds them again). */
export function tebraPatientId(patient: DemoPatient): string {
	return `30${patient.birthDate.replace(/-/g, '').slice(2)}`;
}

/** The demo patient in Tebra (idempotent), with the contact fields GetPatient returns. */
export function ensureTebraPatient(server: TebraServer, patient: DemoPatient): string {
	const id = tebraPatientId(patient);
	server.addPatient({ PatientID: id, FirstName: patient.firstName, LastName: patient.lastName, MobilePhone: patient.mobile, HomePhone: patient.landline, EmailAddress: patient.email });
	return id;
}

/** A visit checked out now (or `at`): the next poll of the EHR Poll Trigger finds it. */
export function closeTebraVisit(server: TebraServer, patient: DemoPatient, appointmentId: string, at = new Date()): string {
	const patientId = ensureTebraPatient(server, patient);
	server.addAppointment({ ID: appointmentId, PatientID: patientId, ServiceLocationID: '11', status: 'CheckedIn', start: new Date(at.getTime() - 30 * 60_000), end: at });
	server.setStatus(appointmentId, 'CheckedOut');
	return appointmentId;
}

/** The patient books the follow-up: a scheduled appointment five days on. */
export function bookTebraFollowUp(server: TebraServer, patient: DemoPatient, appointmentId: string, at = new Date()): string {
	const start = new Date(at.getTime() + 5 * 86_400_000);
	server.addAppointment({ ID: appointmentId, PatientID: tebraPatientId(patient), ServiceLocationID: '11', status: 'Scheduled', start, end: new Date(start.getTime() + 20 * 60_000) });
	return appointmentId;
}
