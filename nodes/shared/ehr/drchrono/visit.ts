import type { DateTime } from 'luxon';

import { emailAddress } from '../../core/addresses';
import { DomainError, fromZodError } from '../../core/errors';
import { ehrTimesZone, zoneFields, zoneFromPatientAddress } from '../../core/patientZone';
import type { PatientZone, ZoneFields } from '../../core/patientZone';
import { visitEventSchema } from '../../core/schemas';
import type { NotificationEvent, ResolveContext, ResolveResult } from '../types';
import { isOk, truncate, vendor } from './client';
import { missingZone } from './lookups';
import { EHR, isValidZone, isoDateOf, isoOf, languageOf, phonesOf, vendorDateTime } from './mapping';
import { completedStatus } from './notification';
import type { DrChronoShared } from './options';
import { createVisitOrders } from './orders';
import { appointmentSchema, patientSchema } from './schemas';
import type { DrChronoAppointment, DrChronoDoctor, DrChronoPatient } from './schemas';

/** When a completed appointment was completed: its last transition to Complete, else its last update. */
export function completionOf(appointment: DrChronoAppointment, zone: string): { at: DateTime; fromTransition: boolean } {
	const transitions = (appointment.status_transitions ?? [])
		.filter((transition) => transition.to_status === completedStatus)
		.map((transition) => vendorDateTime(transition.datetime, zone, 'status_transitions.datetime'))
		.sort((a, b) => a.toMillis() - b.toMillis());
	const last = transitions.at(-1);
	if (last) return { at: last, fromTransition: true };
	const fallback = appointment.updated_at ?? appointment.scheduled_time;
	return { at: vendorDateTime(fallback, zone, appointment.updated_at ? 'updated_at' : 'scheduled_time'), fromTransition: false };
}

function notCompletedReason(appointment: DrChronoAppointment): string | undefined {
	if (appointment.deleted_flag) return 'appointment is deleted';
	if (appointment.appt_is_break || !appointment.patient) return 'a calendar break, not a visit';
	if (appointment.status !== completedStatus) return `appointment status is "${appointment.status || '(none)'}"`;
	return undefined;
}

function contactOf(patient: DrChronoPatient, context: ResolveContext) {
	const firstName = truncate(patient.nick_name ?? patient.first_name ?? '', 60);
	if (!firstName) {
		throw new DomainError('The DrChrono patient record has no first name', 'missing_first_name', 'patient.first_name');
	}
	const email = emailAddress(patient.email);
	return {
		firstName,
		phones: phonesOf(patient),
		email,
		language: languageOf(patient.preferred_language, context.defaultLanguage || 'en'),
	};
}

/**
 * The patient's ZIP code, else their mobile's area code, else the doctor's zone, else the practice default. DrChrono's
 * times carry no offset and are the doctor's (else the practice's) wall time: `recordZone` when the patient's differs.
 */
function zoneOf(patient: DrChronoPatient, doctor: DrChronoDoctor | undefined, context: ResolveContext): ZoneFields {
	const office: PatientZone | undefined = isValidZone(doctor?.timezone)
		? { zone: doctor.timezone, extraZones: [], source: 'doctor' }
		: isValidZone(context.defaultZone)
			? { zone: context.defaultZone, extraZones: [], source: 'practice' }
			: undefined;
	if (!office) throw missingZone('defaultZone');
	const fromAddress = zoneFromPatientAddress({ postalCode: patient.zip_code, phones: phonesOf(patient) });
	return zoneFields(fromAddress ?? office, office.zone);
}

function providerNameOf(doctor: DrChronoDoctor | undefined): string | undefined {
	if (!doctor) return undefined;
	return [doctor.first_name, doctor.last_name, doctor.suffix].filter(Boolean).join(' ').slice(0, 120) || undefined;
}

/** resolveVisit of the DrChrono adapter: DrChrono's own appointment, its patient, provider zone and orders. */
export function createResolveVisit(shared: DrChronoShared) {
	const { client, lookups } = shared;
	const actionItemsOf = createVisitOrders(shared);

	/**
	 * DrChrono's own copy of the appointment, always: DrChrono signs a delivery with the webhook's static secret
	 * itself, so a delivery proves only that its sender knew that secret, and what it pushed is never taken as
	 * the visit. Undefined when DrChrono has no such appointment.
	 */
	async function currentAppointment(id: string): Promise<DrChronoAppointment | undefined> {
		const url = `/api/appointments/${encodeURIComponent(id)}`;
		const response = await client.sendRaw({ method: 'GET', url, qs: { verbose: true } });
		if (response.status === 404) return undefined;
		if (!isOk(response)) throw client.failure(response, 'reading the appointment');
		return vendor(appointmentSchema, response.body);
	}

	return async function resolveVisit(event: NotificationEvent, context: ResolveContext): Promise<ResolveResult> {
		if (event.resourceType !== 'Appointment') {
			throw new DomainError('DrChrono visits are appointments', 'invalid_input', 'resourceType');
		}
		const appointment = await currentAppointment(event.resourceId);
		if (!appointment) {
			return { status: 'notCompleted', reason: `DrChrono has no appointment ${event.resourceId} (deleted, or a delivery DrChrono did not send)` };
		}
		const notCompleted = notCompletedReason(appointment);
		if (notCompleted) return { status: 'notCompleted', reason: notCompleted };
		const patientId = appointment.patient as string;
		const [patient, doctor] = await Promise.all([
			client.getOne(`/api/patients/${encodeURIComponent(patientId)}`, patientSchema, 'reading the patient'),
			appointment.doctor ? lookups.getDoctor(appointment.doctor) : Promise.resolve(undefined),
		]);
		const zoneFacts = zoneOf(patient, doctor, context);
		const zone = ehrTimesZone(zoneFacts);

		const visitStart = vendorDateTime(appointment.scheduled_time, zone, 'scheduled_time');
		const contact = contactOf(patient, context);
		const deceased = patient.patient_status === 'D';
		const candidate = {
			kind: 'visit',
			ehr: EHR,
			departmentId: appointment.office,
			patientId,
			...zoneFacts,
			patient: contact,
			consent: { sms: !deceased && patient.disable_sms_messages !== true, email: !deceased, voice: !deceased },
			visitId: appointment.id,
			visitType: 'appointment',
			completedAt: isoOf(completionOf(appointment, zone).at),
			visitDate: isoDateOf(visitStart),
			providerName: providerNameOf(doctor),
			actionItems: await actionItemsOf(appointment, visitStart, zone, context),
		};
		const parsed = visitEventSchema.safeParse(candidate);
		if (!parsed.success) throw fromZodError(parsed.error, 'DrChrono visit');
		return { status: 'completed', event: parsed.data };
	};
}
