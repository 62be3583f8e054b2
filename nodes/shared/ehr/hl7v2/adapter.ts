import { DateTime } from 'luxon';
import type { ZodType } from 'zod';

import { schedulingLinkFor } from '../../core/compose/links';
import { DomainError } from '../../core/errors';
import { parseVisitEvent } from '../../core/schemas';
import type { ActionItem, RecallDue, VisitEvent } from '../../core/schemas';
import { EhrResponseError, parseVendor } from '../http';
import type { RetryPolicy } from '../http';
import { createFhirAdapter } from '../fhir';
import type { FhirAdapterOptions } from '../fhir';
import { createFhirClient } from '../fhir/client';
import { consentOf, descriptionOf, localDate } from '../fhir/mapping';
import { createPatientFacts } from '../fhir/patients';
import { patientSchema } from '../fhir/resources';
import type { Patient } from '../fhir/resources';
import type { EhrAdapter, FollowUpQuery, HttpClient, NotificationEvent, ResolveContext, ResolveResult } from '../types';
import { hl7VisitFactsSchema } from './facts';
import type { Hl7VisitFacts } from './facts';

const EHR = 'hl7v2';

/** HL7 TS "YYYYMMDDHHMM[SS[.S…]][±ZZZZ]" as an instant; without an offset it is read in `zone`. */
export function hl7Instant(value: string, zone: string): DateTime | undefined {
	const match = /^(\d{4})(\d{2})(\d{2})(\d{2})?(\d{2})?(\d{2})?(?:\.(\d{1,4}))?([+-]\d{4})?$/.exec(value.trim());
	if (!match) return undefined;
	const [, year, month, day, hour = '00', minute = '00', second = '00', fraction = '0', offset] = match;
	const millisecond = Math.round(Number(`0.${fraction}`) * 1000);
	const fields = { year: +year, month: +month, day: +day, hour: +hour, minute: +minute, second: +second, millisecond };
	const parsed = offset
		? DateTime.fromObject(fields, { zone: `UTC${offset.slice(0, 3)}:${offset.slice(3)}` })
		: DateTime.fromObject(fields, { zone });
	return parsed.isValid ? parsed : undefined;
}

export interface Hl7v2AdapterConfig {
	/** The FHIR API of the EHR behind the feed (Epic, eClinicalWorks): patient details, bookings, tasks. */
	http: HttpClient;
	retry?: RetryPolicy;
	options: FhirAdapterOptions & {
		/**
		 * The FHIR identifier system PID-3 values belong to (e.g. Epic's MRN OID); the patient is then found by
		 * `Patient?identifier=`. Empty: PID-3 is the FHIR Patient id itself.
		 */
		patientIdentifierSystem?: string;
	};
}

/**
 * The adapter of journeys an HL7 v2 feed started. The message is the notification and the visit: contact from
 * PID-13/14, language from PID-15, orders from OBR, the close from MSH-7 (SIU) or PV1-45 (ADT^A03). Everything
 * the message cannot say comes from the FHIR API behind the feed: the patient's FHIR id (kept as the journey's
 * patient id, so a resumed journey reads the patient again), zone, consent; and the booking check, the task and
 * the SMS consent are the FHIR adapter's own.
 */
export function createHl7v2Adapter(config: Hl7v2AdapterConfig): EhrAdapter {
	const { options } = config;
	const fhir = createFhirAdapter({ http: config.http, retry: config.retry, options });
	const client = createFhirClient({ http: config.http, retry: config.retry, baseUrl: options.baseUrl, maxPages: 2 });
	const shared = { client, options, pageSize: 10 };
	const patients = createPatientFacts(shared);

	async function fhirPatient(facts: Hl7VisitFacts | undefined, patientId: string | undefined): Promise<Patient> {
		if (!facts) {
			if (!patientId) throw new EhrResponseError(EHR, 'patientId', 'is missing');
			return await shared.client.read('Patient', patientId, patientSchema);
		}
		if (!options.patientIdentifierSystem) return await shared.client.read('Patient', facts.patient.id, patientSchema);
		const found = await shared.client.search('Patient', { identifier: `${options.patientIdentifierSystem}|${facts.patient.id}` }, patientSchema, 1);
		if (found.length !== 1) {
			throw new DomainError(`FHIR finds ${found.length} patients for the PID-3 identifier of this message`, 'patient_not_found', 'PID-3');
		}
		return found[0];
	}

	function actionItems(facts: Hl7VisitFacts | undefined, context: ResolveContext, ids: { patientId: string; visitId: string }): ActionItem[] {
		return (facts?.orders ?? []).map((order) => {
			const item: ActionItem = { type: order.type, description: descriptionOf(order.type), orderId: order.id, done: false };
			item.schedulingLink = schedulingLinkFor(item, context.schedulingLinks, { ...ids, orderId: order.id });
			return item;
		});
	}

	async function resolveVisit(event: NotificationEvent, context: ResolveContext): Promise<ResolveResult> {
		const facts = event.resource === undefined ? undefined : parseVendor(hl7VisitFactsSchema as unknown as ZodType<Hl7VisitFacts>, event.resource, EHR);
		const patient = await fhirPatient(facts, event.patientId);
		const zoneFacts = await patients.resolveZone(patient, [], [], context);
		const { zone } = zoneFacts;
		const completed = facts ? hl7Instant(facts.visit.completedAt, zone) : event.occurredAt ? DateTime.fromISO(event.occurredAt) : undefined;
		if (!completed?.isValid) throw new EhrResponseError(EHR, facts ? 'MSH-7' : 'occurredAt', 'is not a date-time');
		const fromFhir = patients.contactOf(patient, context, `Patient/${patient.id}`);
		const visitId = facts?.visit.id ?? event.resourceId;
		const completedAt = completed.toUTC().toISO() as string;
		const visit = {
			kind: 'visit',
			ehr: 'hl7v2',
			practiceId: facts?.sendingFacility || event.practiceId,
			departmentId: facts?.visit.location || event.departmentId,
			patientId: patient.id,
			...zoneFacts,
			// The message's contact is the visit's own; FHIR fills what the message left out (and a resumed journey).
			patient: {
				...fromFhir,
				firstName: facts?.patient.firstName || fromFhir.firstName,
				phones: facts?.patient.phones.length ? facts.patient.phones : fromFhir.phones,
				email: facts?.patient.email ?? fromFhir.email,
				language: facts?.patient.language ?? fromFhir.language,
			},
			consent: consentOf(patient),
			visitId,
			visitType: facts?.visit.type ?? (event.resourceType === 'Appointment' ? 'appointment' : 'encounter'),
			completedAt,
			visitDate: localDate(completedAt, zone),
			actionItems: actionItems(facts, context, { patientId: patient.id, visitId }),
		};
		return { status: 'completed', event: parseVisitEvent(visit) };
	}

	return {
		kind: 'hl7v2',
		resolveVisit,
		pollChanges: async () => {
			throw new DomainError('An HL7 v2 feed is pushed, not polled: use the HL7 v2 Trigger', 'not_supported', 'ehr');
		},
		// The visit's id is the HL7 one (SCH-2, PV1-19), not a FHIR resource: only later bookings are looked for.
		findFollowUp: async (visit: VisitEvent, query: FollowUpQuery) => await fhir.findFollowUp(visit, { ...query, checkVisitStatus: false }),
		createTask: async (escalation) => await fhir.createTask({ ...escalation, visitId: undefined, visitType: undefined }),
		findsEarlierTasks: fhir.findsEarlierTasks,
		pollRecalls: async (): Promise<RecallDue[]> => {
			throw new DomainError('Recalls come from the FHIR API: set the EHR Poll Trigger to FHIR for recall journeys', 'not_supported', 'event');
		},
		updateSmsConsent: fhir.updateSmsConsent,
		listAppointmentTypes: fhir.listAppointmentTypes,
	};
}
