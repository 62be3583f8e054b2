import { DateTime } from 'luxon';

import { schedulingLinkFor } from '../../core/compose/links';
import { DomainError } from '../../core/errors';
import { ehrTimesZone, zoneFields, zoneFromPatientAddress } from '../../core/patientZone';
import type { PatientZone, ZoneFields } from '../../core/patientZone';
import { parseVisitEvent } from '../../core/schemas';
import type { ActionItem, ActionItemType, VisitEvent } from '../../core/schemas';
import { EhrResponseError } from '../http';
import type { NotificationEvent, ResolveContext, ResolveResult } from '../types';
import { isOk } from './client';
import {
	EHR,
	actionDescriptions,
	actionTypeOfOrder,
	appointmentStart,
	athenaDateTime,
	consentOf,
	emailOf,
	isCompletedStatus,
	isoDateFromAthena,
	isoOf,
	languageOf,
	orderIsDone,
	phonesOf,
	preferredChannelOf,
	statusNames,
	zoneOfDepartment,
} from './mapping';
import { createEncounterFinder } from './encounters';
import type { EncounterQuery } from './encounters';
import type { AthenaFollowUpVisitItem, AthenaShared } from './options';
import { departmentSchema, encounterOrdersSchema, oneOf } from './schemas';
import type { AthenaAppointment, AthenaDepartment, AthenaEncounter, AthenaOrder, AthenaPatient } from './schemas';

interface VisitInput {
	visitId: string;
	visitType: 'appointment' | 'encounter';
	patientId: string;
	departmentId?: string;
	encounterId?: string;
	/** Where to search the encounter when the appointment names none. */
	encounterSearch?: EncounterQuery;
	visitDate?: string;
	completedAt: (zone: string) => string;
	context: ResolveContext;
}

function isSignedOff(encounter: AthenaEncounter): boolean {
	return ['CLOSED', 'SIGNED'].includes(encounter.status?.toUpperCase() ?? '');
}

/**
 * The patient's ZIP code, else their mobile's area code, else the department's zone, else the practice default.
 * athena's dates and times are the department's wall time: `recordZone` when the patient's zone differs.
 */
function zoneFor(patient: AthenaPatient, department: AthenaDepartment | undefined, context: ResolveContext): ZoneFields {
	const office = officeZone(department, context);
	const fromAddress = zoneFromPatientAddress({ postalCode: patient.zip, country: patient.countrycode3166, phones: phonesOf(patient) });
	return zoneFields(fromAddress ?? office, office.zone);
}

function officeZone(department: AthenaDepartment | undefined, context: ResolveContext): PatientZone {
	const departmentZone = zoneOfDepartment(department);
	if (departmentZone) return { zone: departmentZone, extraZones: [], source: 'department' };
	if (context.defaultZone) return { zone: context.defaultZone, extraZones: [], source: 'practice' };
	throw new DomainError(
		'athenahealth department has no usable time zone and the practice profile sets no default zone',
		'missing_zone',
		'defaultZone',
	);
}

function patientContact(patient: AthenaPatient, context: ResolveContext) {
	const email = emailOf(patient);
	const preferredChannel = preferredChannelOf(patient.contactpreference);
	return {
		firstName: patient.firstname?.trim() ?? '',
		phones: phonesOf(patient),
		...(email ? { email } : {}),
		...(preferredChannel ? { preferredChannel } : {}),
		language: languageOf(patient, context.defaultLanguage || 'en'),
	};
}

/** One item per action type: three lab orders are one "get your lab work done" for the patient. */
function actionItemsOf(orders: AthenaOrder[], input: VisitInput, followUpVisitItem: AthenaFollowUpVisitItem): ActionItem[] {
	const byType = new Map<ActionItemType, { orderId?: string; done: boolean }>();
	for (const order of orders) {
		const type = actionTypeOfOrder(order);
		if (!type) continue;
		const done = orderIsDone(order, type);
		const existing = byType.get(type);
		if (!existing || (existing.done && !done)) byType.set(type, { orderId: order.orderid, done });
	}
	const withFollowUpVisit = followUpVisitItem === 'everyVisit' || (followUpVisitItem === 'whenNoOrderItems' && byType.size === 0);
	if (withFollowUpVisit && !byType.has('followUpVisit')) byType.set('followUpVisit', { done: false });
	const ids = { patientId: input.patientId, visitId: input.visitId };
	return [...byType.entries()].map(([type, { orderId, done }]): ActionItem => {
		const item = { type, description: actionDescriptions[type], ...(orderId ? { orderId } : {}), done };
		const schedulingLink = schedulingLinkFor(item, input.context.schedulingLinks, ids);
		return { ...item, ...(schedulingLink ? { schedulingLink } : {}) };
	});
}

/**
 * When the visit ended: checkoutdatetime; else lastmodified when it falls on the visit's own day (a charge
 * entered days later is not the visit's end); else the scheduled start plus duration in the department zone.
 */
function completedAtOf(appointment: AthenaAppointment, zone: string, timestampZone: string): string {
	const checkout = athenaDateTime(appointment.checkoutdatetime, timestampZone);
	if (checkout) return isoOf(checkout);
	const visitDate = isoDateFromAthena(appointment.date);
	const modified = athenaDateTime(appointment.lastmodified, timestampZone);
	if (modified && (!visitDate || modified.setZone(zone).toISODate() === visitDate)) return isoOf(modified);
	const start = appointmentStart(appointment.date, appointment.starttime, zone);
	if (!start) throw new EhrResponseError(EHR, 'appointment.date', 'no date to place the visit in time');
	return isoOf(start.plus({ minutes: typeof appointment.duration === 'number' ? appointment.duration : 0 }));
}

/** resolveVisit of the athenahealth adapter: the appointment (or signed-off encounter), patient, department, orders. */
export function createResolveVisit(shared: AthenaShared) {
	const { client, options, timestampZone } = shared;
	const { practiceId } = client;
	const findEncounterId = createEncounterFinder(shared);

	async function readDepartment(id: string | undefined): Promise<AthenaDepartment | undefined> {
		if (!id) return undefined;
		const response = await client.call({ method: 'GET', url: client.pathOf('departments', id) });
		// An unknown department falls back to the practice zone rather than failing the visit.
		if (response.status === 404) return undefined;
		if (!isOk(response)) throw client.httpError(response, 'reading the department');
		return client.parse(oneOf(departmentSchema), response.body, 'department');
	}

	async function readOrders(encounterId: string | undefined): Promise<AthenaOrder[]> {
		if (!encounterId) return [];
		const response = await client.call({ method: 'GET', url: client.pathOf('chart', 'encounter', encounterId, 'orders') });
		// Departments without athenaClinicals (or without the orders permission) answer 4xx: the visit still
		// gets its care summary, without order-based action items.
		if ([400, 403, 404].includes(response.status)) return [];
		if (!isOk(response)) throw client.httpError(response, 'reading the encounter orders');
		const groups = client.parse(encounterOrdersSchema, response.body, 'orders');
		const orders = new Map<string, AthenaOrder>();
		for (const order of groups.flatMap((group) => group.orders)) {
			if (!orders.has(order.orderid)) orders.set(order.orderid, order);
		}
		return [...orders.values()];
	}

	async function ordersOf(input: VisitInput): Promise<AthenaOrder[]> {
		const encounterId = input.encounterId ?? (input.encounterSearch ? await findEncounterId(input.encounterSearch) : undefined);
		return await readOrders(encounterId);
	}

	async function buildVisit(input: VisitInput): Promise<VisitEvent> {
		const [patient, department, orders] = await Promise.all([
			client.readPatient(input.patientId),
			readDepartment(input.departmentId),
			ordersOf(input),
		]);
		const zoneFacts = zoneFor(patient, department, input.context);
		const zone = ehrTimesZone(zoneFacts);
		const completedAt = input.completedAt(zone);
		return parseVisitEvent({
			kind: 'visit',
			ehr: EHR,
			practiceId,
			...(input.departmentId ? { departmentId: input.departmentId } : {}),
			patientId: input.patientId,
			...zoneFacts,
			patient: patientContact(patient, input.context),
			consent: consentOf(patient, options.consentWhenUnrecorded ?? false),
			visitId: input.visitId,
			visitType: input.visitType,
			completedAt,
			visitDate: input.visitDate ?? DateTime.fromISO(completedAt).setZone(zone).toISODate(),
			actionItems: actionItemsOf(orders, input, options.followUpVisitItem ?? 'never'),
		});
	}

	async function resolveAppointment(
		appointmentId: string,
		event: NotificationEvent,
		context: ResolveContext,
		encounter?: AthenaEncounter,
	): Promise<ResolveResult> {
		const appointment = await client.readAppointment(appointmentId);
		const status = appointment.appointmentstatus;
		if (!isCompletedStatus(status) && !(encounter && isSignedOff(encounter))) {
			return { status: 'notCompleted', reason: `appointment status ${status} (${statusNames[status] ?? 'unknown'})` };
		}
		const patientId = appointment.patientid ?? encounter?.patientid ?? event.patientId;
		if (!patientId) throw new EhrResponseError(EHR, 'appointment.patientid', 'the appointment names no patient');
		const departmentId = appointment.departmentid ?? encounter?.departmentid ?? event.departmentId;
		const visit = await buildVisit({
			visitId: appointment.appointmentid,
			visitType: 'appointment',
			patientId,
			departmentId,
			encounterId: appointment.encounterid ?? encounter?.encounterid,
			encounterSearch: { appointmentId: appointment.appointmentid, patientId, departmentId, date: appointment.date },
			visitDate: isoDateFromAthena(appointment.date),
			completedAt: (zone) => completedAtOf(appointment, zone, timestampZone),
			context,
		});
		return { status: 'completed', event: visit };
	}

	async function resolveEncounter(event: NotificationEvent, context: ResolveContext): Promise<ResolveResult> {
		const encounter = await client.readEncounter(event.resourceId);
		// A signed-off encounter of a booked visit is the same journey as its check-out: key it by the appointment.
		if (encounter.appointmentid) return await resolveAppointment(encounter.appointmentid, event, context, encounter);
		if (!isSignedOff(encounter)) {
			return { status: 'notCompleted', reason: `encounter status ${encounter.status ?? 'unknown'}` };
		}
		const patientId = encounter.patientid ?? event.patientId;
		if (!patientId) throw new EhrResponseError(EHR, 'encounter.patientid', 'the encounter names no patient');
		const visitDate = isoDateFromAthena(encounter.encounterdate);
		const visit = await buildVisit({
			visitId: `encounter-${encounter.encounterid}`,
			visitType: 'encounter',
			patientId,
			departmentId: encounter.departmentid ?? event.departmentId,
			encounterId: encounter.encounterid,
			visitDate,
			completedAt: (zone) => {
				// Without an appointment the sign-off event's own time is the best "visit closed" there is.
				if (event.occurredAt) return isoOf(DateTime.fromISO(event.occurredAt, { setZone: true }));
				const day = visitDate ? DateTime.fromISO(visitDate, { zone }) : undefined;
				if (day?.isValid) return isoOf(day);
				throw new EhrResponseError(EHR, 'encounter.encounterdate', 'no date to place the visit in time');
			},
			context,
		});
		return { status: 'completed', event: visit };
	}

	return async function resolveVisit(event: NotificationEvent, context: ResolveContext): Promise<ResolveResult> {
		if (event.practiceId && event.practiceId !== practiceId) {
			const reason = 'the notification names another athena practice than the credential';
			return { status: 'notCompleted', reason };
		}
		return event.resourceType === 'Appointment'
			? await resolveAppointment(event.resourceId, event, context)
			: await resolveEncounter(event, context);
	};
}
