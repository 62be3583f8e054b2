import { emailAddress, toE164 } from '../../core/addresses';
import { schedulingLinkFor } from '../../core/compose/links';
import { ehrTimesZone, zoneFields, zoneFromPatientAddress } from '../../core/patientZone';
import { parseVisitEvent } from '../../core/schemas';
import type { ActionItem, Phone } from '../../core/schemas';
import { EhrResponseError } from '../http';
import { descriptionOf } from '../fhir/mapping';
import type { NotificationEvent, ResolveContext, ResolveResult } from '../types';
import type { TebraShared } from './options';
import { practiceZone } from './poll';
import { appointmentSchema, parseTebra, patientSchema, tebraInstant } from './schemas';
import type { TebraAppointment, TebraPatient } from './schemas';
import { EHR, element } from './soap';

/** GetAppointment by id: the status and times Tebra holds now. */
export async function readAppointment(shared: TebraShared, appointmentId: string): Promise<TebraAppointment> {
	const result = await shared.client.call('GetAppointment', { Appointment: [element('AppointmentId', appointmentId)] });
	if (!result.Appointment || typeof result.Appointment !== 'object') {
		throw new EhrResponseError(EHR, 'GetAppointmentResult.Appointment', 'is missing');
	}
	return parseTebra(appointmentSchema, result.Appointment);
}

async function readPatient(shared: TebraShared, patientId: string): Promise<TebraPatient> {
	const result = await shared.client.call('GetPatient', { Filter: [element('PatientID', patientId)] });
	if (!result.Patient || typeof result.Patient !== 'object') throw new EhrResponseError(EHR, 'GetPatientResult.Patient', 'is missing');
	return parseTebra(patientSchema, result.Patient);
}

/** Mobile first (Tebra's own field for it), then home and work as "unknown" (Twilio's 21614 tells a landline). */
export function tebraPhones(patient: TebraPatient): Phone[] {
	const phones: Phone[] = [];
	const add = (raw: string | undefined, kind: Phone['kind']) => {
		const number = toE164(raw);
		if (number && !phones.some((phone) => phone.number === number)) phones.push({ number, kind });
	};
	add(patient.MobilePhone, 'mobile');
	add(patient.HomePhone, 'unknown');
	add(patient.WorkPhone, 'unknown');
	return phones;
}

function patientIdOf(appointment: TebraAppointment, event: NotificationEvent): string {
	const id = appointment.PatientID || appointment.PatientSummary?.[0]?.PatientID || event.patientId;
	if (!id) throw new EhrResponseError(EHR, 'Appointment.PatientID', 'names no patient');
	return id;
}

/**
 * resolveVisit of the Tebra adapter: GetAppointment confirms the check-out (AppointmentStatus CheckedOut; the enum
 * has no "Completed"), GetPatient gives the contact. Tebra records no preferred language and no SMS/email consent:
 * the practice's default language applies, and opt-outs live in the journey store. Tebra reports no check-out
 * time, so the appointment's end (UTC) stands for the visit's close.
 */
export function createResolveVisit(shared: TebraShared) {
	const { options } = shared;
	return async function resolveVisit(event: NotificationEvent, context: ResolveContext): Promise<ResolveResult> {
		const appointment = await readAppointment(shared, event.resourceId);
		if (appointment.AppointmentStatus !== 'CheckedOut') {
			return { status: 'notCompleted', reason: `Appointment status is ${appointment.AppointmentStatus || 'empty'}, not CheckedOut` };
		}
		const patientId = patientIdOf(appointment, event);
		const patient = await readPatient(shared, patientId);
		const phones = tebraPhones(patient);
		const fromAddress = zoneFromPatientAddress({ postalCode: patient.ZipCode, country: patient.Country, phones });
		const practice = options.zone ?? context.defaultZone ?? practiceZone(undefined);
		const zoneFacts = zoneFields(fromAddress ?? { zone: practice, extraZones: [], source: 'practice' }, practice);
		const zone = ehrTimesZone(zoneFacts);
		const completed = tebraInstant(appointment.EndTime || appointment.StartTime, 'utc');
		if (!completed) throw new EhrResponseError(EHR, 'Appointment.EndTime', 'is not a date-time');
		const ids = { patientId, visitId: event.resourceId };
		const actionItems: ActionItem[] = [];
		if (options.followUpItem !== false) {
			const item: ActionItem = { type: 'followUpVisit', description: descriptionOf('followUpVisit'), done: false };
			item.schedulingLink = schedulingLinkFor(item, context.schedulingLinks, ids);
			actionItems.push(item);
		}
		const visit = {
			kind: 'visit',
			ehr: 'tebra',
			practiceId: appointment.PracticeID || event.practiceId,
			departmentId: appointment.ServiceLocationID || event.departmentId,
			patientId,
			...zoneFacts,
			patient: {
				firstName: patient.FirstName.trim().slice(0, 60),
				phones,
				email: emailAddress(patient.EmailAddress),
				language: context.defaultLanguage ?? 'en',
			},
			visitId: event.resourceId,
			visitType: 'appointment',
			completedAt: completed.toUTC().toISO(),
			visitDate: completed.setZone(zone).toISODate(),
			actionItems,
		};
		return { status: 'completed', event: parseVisitEvent(visit) };
	};
}
