import { DateTime } from 'luxon';

import { schedulingLinkFor } from '../../core/compose/links';
import { DomainError } from '../../core/errors';
import { parseVisitEvent } from '../../core/schemas';
import type { ActionItem } from '../../core/schemas';
import { EhrResponseError, isUnderBaseUrl } from '../http';
import type { NotificationEvent, ResolveContext, ResolveResult } from '../types';
import type { SearchParams } from './client';
import { isEcwCompleted } from './ecw';
import { appointmentFacts, completedStatusOf, encounterFacts, toInstant } from './facts';
import type { VisitFacts } from './facts';
import { consentOf, descriptionOf, localDate } from './mapping';
import type { FhirShared } from './options';
import type { PatientFacts } from './patients';
import { appointmentSchema, EHR, encounterSchema, medicationRequestSchema, patientSchema, serviceRequestSchema } from './resources';
import type { MedicationRequest, ServiceRequest } from './resources';

const activeOrderStatuses = 'active,completed';
const skippedOrderIntents = new Set(['proposal', 'option', 'plan', 'directive']);

type Orders = { serviceRequests: ServiceRequest[]; medicationRequests: MedicationRequest[] };

/** The instant, in UTC, at which the local day of `visitDate` starts. */
function localDayStart(visitDate: string, zone: string): string {
	return DateTime.fromISO(visitDate, { zone }).startOf('day').toUTC().toISO() ?? visitDate;
}

/** resolveVisit of the FHIR adapter: the visit read afresh, its patient, zone and orders. */
export function createResolveVisit(shared: FhirShared, patients: PatientFacts) {
	const { client, options, pageSize } = shared;

	async function readVisit(type: 'Encounter' | 'Appointment', id: string): Promise<VisitFacts> {
		return type === 'Encounter'
			? encounterFacts(await client.read('Encounter', id, encounterSchema))
			: appointmentFacts(await client.read('Appointment', id, appointmentSchema));
	}

	/** A notification that names its visit by a full URL must name one on this credential's server. */
	function checkResourceUrl(event: NotificationEvent): void {
		if (event.resourceUrl === undefined) return;
		if (options.baseUrl && isUnderBaseUrl(event.resourceUrl, options.baseUrl)) return;
		throw new DomainError(
			`The notification names its ${event.resourceType} on another server than the FHIR credential's base URL`,
			'foreign_reference',
			'focus',
		);
	}

	/**
	 * The visit's orders, both kinds at once. An appointment names no orders, so those of its patient authored
	 * since the visit's local day started (`sinceDayStart`) stand in for them.
	 */
	async function readOrders(visit: VisitFacts, patientId: string, sinceDayStart?: string): Promise<Orders> {
		const byVisit: SearchParams =
			visit.type === 'Encounter' ? { encounter: `Encounter/${visit.id}` } : { patient: `Patient/${patientId}` };
		const since = (param: string) => (sinceDayStart ? { [param]: `ge${sinceDayStart}` } : {});
		const [serviceRequests, medicationRequests] = await Promise.all([
			client.search(
				'ServiceRequest',
				{ ...byVisit, status: activeOrderStatuses, ...since('authored'), _count: pageSize },
				serviceRequestSchema,
			),
			client.search(
				'MedicationRequest',
				{ ...byVisit, status: activeOrderStatuses, ...since('authoredon'), _count: pageSize },
				medicationRequestSchema,
			),
		]);
		return { serviceRequests, medicationRequests };
	}

	function actionItemsOf(orders: Orders, ids: { patientId: string; visitId: string }, zone: string, context: ResolveContext) {
		const items: ActionItem[] = [];
		for (const request of orders.serviceRequests) {
			if (request.intent && skippedOrderIntents.has(request.intent)) continue;
			const item = patients.serviceRequestItem(request, zone, context, ids);
			if (item) items.push(item);
		}
		for (const request of orders.medicationRequests) {
			if (request.intent && skippedOrderIntents.has(request.intent)) continue;
			const item: ActionItem = {
				type: 'prescription',
				// Medication names are clinical text: the patient-facing line stays generic.
				description: descriptionOf('prescription'),
				orderId: request.id,
				done: request.status === 'completed',
			};
			item.schedulingLink = schedulingLinkFor(item, context.schedulingLinks, { ...ids, orderId: request.id });
			items.push(item);
		}
		return items;
	}

	return async function resolveVisit(event: NotificationEvent, context: ResolveContext): Promise<ResolveResult> {
		checkResourceUrl(event);
		// Always read the visit afresh: id-only notifications carry none, and a delivered copy may be stale.
		const visit = await readVisit(event.resourceType, event.resourceId);
		const expected = completedStatusOf[visit.type];
		const completed = options.ecw ? isEcwCompleted(visit) : visit.status === expected;
		if (!completed) {
			return { status: 'notCompleted', reason: `${visit.type} status is ${visit.status}, not ${expected}` };
		}
		if (!visit.patientId) {
			throw new EhrResponseError(EHR, visit.type === 'Encounter' ? 'Encounter.subject' : 'Appointment.participant', 'names no Patient');
		}
		if (!visit.completedAt) {
			throw new EhrResponseError(EHR, visit.type === 'Encounter' ? 'Encounter.period.end' : 'Appointment.end', 'is missing');
		}
		// An encounter's orders are found by its id alone, so they are read with the patient; an appointment's
		// need the visit's local day, so the patient's zone first.
		const [patient, encounterOrders] = await Promise.all([
			client.read('Patient', visit.patientId, patientSchema),
			visit.type === 'Encounter' ? readOrders(visit, visit.patientId) : undefined,
		]);
		const zoneFacts = await patients.resolveZone(patient, visit.locationIds, visit.organizationIds, context);
		const { zone } = zoneFacts;
		const completedAt = toInstant(visit.completedAt, zone);
		if (!completedAt) throw new EhrResponseError(EHR, `${visit.type}.completedAt`, 'is not a date-time');
		const visitDate = localDate(completedAt, zone) as string;
		const orders = encounterOrders ?? (await readOrders(visit, visit.patientId, localDayStart(visitDate, zone)));
		const visitEvent = {
			kind: 'visit',
			ehr: 'fhir',
			patientId: visit.patientId,
			...zoneFacts,
			patient: patients.contactOf(patient, context, `${visit.type}/${visit.id}`),
			consent: consentOf(patient),
			visitId: visit.id,
			visitType: visit.type === 'Encounter' ? 'encounter' : 'appointment',
			completedAt,
			visitDate,
			providerName: visit.providerName?.slice(0, 120),
			actionItems: actionItemsOf(orders, { patientId: visit.patientId, visitId: visit.id }, zone, context),
		};
		return { status: 'completed', event: parseVisitEvent(visitEvent) };
	};
}
