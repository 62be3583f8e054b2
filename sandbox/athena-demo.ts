import { DateTime } from 'luxon';

import { athenaEastern, closeDemoVisit } from './athenahealth-server';
import type { AthenaDelivery, AthenaSandbox } from './athenahealth-server';
import type { DemoPatient } from './demo-patients';
import { demoPatients } from './demo-patients';

/** Stable athena ids for the demo patients (athena's ids are numeric strings). */
export function athenaPatientId(patient: DemoPatient): string {
	return String(2001 + demoPatients.findIndex((p) => p.key === patient.key));
}

function national(e164: string | undefined): string | undefined {
	return e164?.replace(/^\+1/, '');
}

/**
 * A demo patient's visit in athena, checked in and about to be checked out: a department in the given zone,
 * the patient (consented to texts), the appointment with its encounter and an imaging order.
 */
export function openAthenaVisit(
	sandbox: AthenaSandbox,
	patient: DemoPatient,
	zone = patient.zone,
	options: { patientId?: string; appointmentId?: string; closedAt?: DateTime } = {},
): { appointmentId: string; patientId: string } {
	const patientId = options.patientId ?? athenaPatientId(patient);
	const departmentId = `${patientId}0`;
	const appointmentId = options.appointmentId ?? `${patientId}${Date.now() % 1_000_000}`;
	const encounterId = `7${appointmentId}`;
	const closedAt = (options.closedAt ?? DateTime.now()).setZone(athenaEastern);
	const date = closedAt.toFormat('MM/dd/yyyy');
	sandbox.addDepartment({ departmentid: departmentId, name: 'Riverside Clinic', timezonename: zone });
	sandbox.addPatient({
		patientid: patientId,
		firstname: patient.firstName,
		lastname: patient.lastName,
		mobilephone: national(patient.mobile) ?? '',
		homephone: national(patient.landline) ?? '',
		email: patient.email ?? '',
		consenttotext: true,
		consenttocall: true,
		language6392code: patient.language === 'es' ? 'spa' : 'eng',
		contactpreference: patient.preferredChannel === 'email' ? 'EMAIL' : 'MOBILEPHONE',
		departmentid: departmentId,
	});
	sandbox.addAppointment({
		appointmentid: appointmentId,
		patientid: patientId,
		departmentid: departmentId,
		appointmentstatus: '2',
		date,
		starttime: closedAt.minus({ minutes: 30 }).toFormat('HH:mm'),
		encounterid: encounterId,
		appointmenttypeid: '2',
		providerid: '21',
	});
	sandbox.addEncounter({ encounterid: encounterId, appointmentid: appointmentId, patientid: patientId, departmentid: departmentId, encounterdate: date });
	sandbox.setOrders(encounterId, [{ orderid: `9${appointmentId}`, class: 'ORDER', ordertype: 'Imaging', description: 'XR chest 2 views', status: 'SUBMITTED' }]);
	return { appointmentId, patientId };
}

/** Checks the visit out and returns the signed webhook delivery athena would post. */
export function closeAthenaVisit(sandbox: AthenaSandbox, appointmentId: string, secret: string): AthenaDelivery {
	return closeDemoVisit(sandbox, { appointmentId, secret });
}
