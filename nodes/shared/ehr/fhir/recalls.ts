import { DateTime } from 'luxon';

import { DomainError } from '../../core/errors';
import { parseRecallDue } from '../../core/schemas';
import type { RecallDue } from '../../core/schemas';
import type { RecallReference, RecallResolveResult, RecallWindow, ResolveContext } from '../types';
import type { SearchParams } from './client';
import { actionTypeOf, consentOf, localDate, referenceId } from './mapping';
import type { FhirShared } from './options';
import type { PatientFacts } from './patients';
import { patientSchema, serviceRequestSchema } from './resources';
import type { Patient, ServiceRequest } from './resources';

const defaultRecallCodes = ['http://snomed.info/sct|390906007', 'http://snomed.info/sct|185389009'];

/** The recall journey of one ServiceRequest, if its occurrence falls in the window (local dates in the patient's zone). */
async function recallOf(
patients: PatientFacts,
	request: ServiceRequest,
	patient: Patient,
	patientId: string,
	window: RecallWindow,
	context: ResolveContext,
): Promise<RecallDue | undefined> {
	const occurrence = request.occurrenceDateTime ?? request.occurrencePeriod?.start;
	if (!occurrence) return undefined;
	const locationIds = (request.locationReference ?? [])
		.map((reference) => referenceId(reference, 'Location'))
		.filter((id): id is string => id !== undefined);
	const zoneFacts = await patients.resolveZone(patient, locationIds, [], context);
	const { zone } = zoneFacts;
	const dueDate = localDate(occurrence, zone);
	if (!dueDate || dueDate < window.from || dueDate > window.to) return undefined;
	const item = patients.serviceRequestItem(request, zone, context, { patientId }, actionTypeOf(request) ?? 'followUpVisit');
	if (!item) return undefined;
	return parseRecallDue({
		kind: 'recall',
		ehr: 'fhir',
		patientId,
		...zoneFacts,
		patient: patients.contactOf(patient, context, `ServiceRequest/${request.id}`),
		consent: consentOf(patient),
		recallId: request.id,
		dueDate,
		actionItem: { ...item, dueBy: dueDate },
	});
}

/**
 * pollRecalls of the FHIR adapter. Recalls are active ServiceRequests whose occurrence falls in the window, not
 * CarePlan.activity: a ServiceRequest is one searchable order (`status`, `occurrence`, `code`, `patient` search
 * params) with its own id, status and completion, which is what a recall journey tracks; CarePlan activities are
 * nested inside plans, cannot be searched by their own dates, and have no id of their own; and Epic exposes
 * ServiceRequest.Search to backend apps while its CarePlan support is narrower. Which ServiceRequests count as
 * recalls: `recallCodes` (default: SNOMED follow-up encounter/visit) or `recallCategories`.
 */
export function createRecallPoller({ client, options, pageSize }: FhirShared, patients: PatientFacts) {
	function searchParams(window: RecallWindow): SearchParams {
		const from = DateTime.fromISO(window.from, { zone: 'UTC' });
		const to = DateTime.fromISO(window.to, { zone: 'UTC' });
		if (!from.isValid || !to.isValid || from > to) {
			throw new DomainError('Recall window: "from" and "to" must be dates with from ≤ to', 'invalid_input', 'window');
		}
		// One day of slack on each side: the window is in patients' local dates, the server compares in UTC.
		const params: SearchParams = {
			status: 'active',
			occurrence: [`ge${from.minus({ days: 1 }).toISODate()}`, `lt${to.plus({ days: 2 }).toISODate()}`],
			_count: pageSize,
		};
		const categories = options.recallCategories ?? [];
		const codes = options.recallCodes ?? (categories.length > 0 ? [] : defaultRecallCodes);
		if (codes.length > 0) params.code = codes.join(',');
		if (categories.length > 0) params.category = categories.join(',');
		return params;
	}

	return async function pollRecalls(window: RecallWindow, context: ResolveContext): Promise<RecallDue[]> {
		const requests = await client.search('ServiceRequest', searchParams(window), serviceRequestSchema);
		const patientsById = new Map<string, Patient>();
		const recalls: RecallDue[] = [];
		for (const request of requests) {
			const patientId = referenceId(request.subject, 'Patient');
			if (!patientId || !(request.occurrenceDateTime ?? request.occurrencePeriod?.start)) continue;
			let patient = patientsById.get(patientId);
			if (!patient) {
				patient = await client.read('Patient', patientId, patientSchema);
				patientsById.set(patientId, patient);
			}
			const recall = await recallOf(patients, request, patient, patientId, window, context);
			if (recall) recalls.push(recall);
		}
		return recalls;
	};
}

/** Any date at all: a recall fetched again by its id is due whenever it is. */
const anyDate: RecallWindow = { from: '0001-01-01', to: '9999-12-31' };

/**
 * resolveRecall of the FHIR adapter: a recall journey resumed from the journey store, fetched again by its
 * ServiceRequest id (the store keeps only ids). A request no longer active (completed, revoked, entered in error)
 * ends the journey; so does one that lost its occurrence date.
 */
export function createRecallResolver({ client }: FhirShared, patients: PatientFacts) {
	return async function resolveRecall(recall: RecallReference, context: ResolveContext): Promise<RecallResolveResult> {
		const request = await client.read('ServiceRequest', recall.recallId, serviceRequestSchema);
		if (request.status !== 'active') return { status: 'closed', reason: `ServiceRequest status is ${request.status}` };
		const patient = await client.read('Patient', recall.patientId, patientSchema);
		const event = await recallOf(patients, request, patient, recall.patientId, anyDate, context);
		return event ? { status: 'open', event } : { status: 'closed', reason: 'the ServiceRequest has no occurrence date' };
	};
}
