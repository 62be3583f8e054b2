import { DateTime } from 'luxon';

import type { ActionItem, VisitEvent } from '../../core/schemas';
import { startRead } from '../http';
import type { FollowUpQuery, FollowUpStatus } from '../types';
import { resourcePath } from './client';
import { millis } from './facts';
import type { FhirShared } from './options';
import { appointmentSchema, encounterSchema, medicationDispenseSchema, serviceRequestSchema } from './resources';
import type { Appointment } from './resources';

const bookedStatuses = new Set(['booked', 'pending', 'arrived', 'checked-in', 'fulfilled']);
const cancelledVisitStatuses = new Set(['cancelled', 'entered-in-error']);

const visitResourceType = (visit: VisitEvent) => (visit.visitType === 'encounter' ? 'Encounter' : 'Appointment');

/** findFollowUp of the FHIR adapter: the visit re-read and later appointments, then the open orders. */
export function createFindFollowUp({ client, pageSize }: FhirShared) {
	/** The visit's own status now; a result ends the check (cancelled, or gone). */
	async function visitStatus(visit: VisitEvent, checked: string[]): Promise<FollowUpStatus | undefined> {
		const type = visitResourceType(visit);
		const own =
			type === 'Encounter'
				? await client.readIfExists('Encounter', visit.visitId, encounterSchema)
				: await client.readIfExists('Appointment', visit.visitId, appointmentSchema);
		if (!own) return { status: 'visitCancelled', detail: `${type}/${visit.visitId} no longer exists` };
		if (cancelledVisitStatuses.has(own.status)) {
			return { status: 'visitCancelled', detail: `${type}/${visit.visitId} is now ${own.status}` };
		}
		checked.push(`${type}/${visit.visitId} is ${own.status}`);
		return undefined;
	}

	async function laterAppointments(visit: VisitEvent, query: FollowUpQuery): Promise<Appointment[]> {
		const visitDayStart = DateTime.fromISO(visit.visitDate, { zone: visit.zone }).startOf('day').toMillis();
		const wanted = new Set(query.appointmentTypes ?? []);
		const found = await client.search(
			'Appointment',
			{ patient: `Patient/${visit.patientId}`, date: `ge${visit.completedAt}`, _sort: 'date', _count: pageSize },
			appointmentSchema,
		);
		return found.filter((appointment) => {
			if (visit.visitType !== 'encounter' && appointment.id === visit.visitId) return false;
			const created = millis(appointment.created);
			// An appointment made before the visit day (an old annual booking) is not this visit's follow-up.
			if (created !== undefined && created < visitDayStart) return false;
			if (wanted.size === 0) return true;
			const concepts = [appointment.appointmentType, ...(appointment.serviceType ?? [])];
			return concepts.some(
				(concept) => (concept?.text && wanted.has(concept.text)) || concept?.coding?.some((coding) => coding.code && wanted.has(coding.code)),
			);
		});
	}

	/** Whether one open order is done now (a prescription dispensed, an order completed), and what was read. */
	async function orderDone(item: ActionItem & { orderId: string }): Promise<{ done: boolean; checked: string }> {
		if (item.type === 'prescription') {
			const dispenses = await client.search(
				'MedicationDispense',
				{ prescription: `MedicationRequest/${item.orderId}`, _count: pageSize },
				medicationDispenseSchema,
			);
			const done = dispenses.some((dispense) => dispense.status === 'completed');
			return { done, checked: `MedicationDispense for MedicationRequest/${item.orderId}: ${done ? 'completed' : 'none completed'}` };
		}
		const order = await client.readIfExists('ServiceRequest', item.orderId, serviceRequestSchema);
		return { done: order?.status === 'completed', checked: `ServiceRequest/${item.orderId} is ${order?.status ?? 'missing'}` };
	}

	/** How many action items are done: marked so, or their order done now (the open orders are read at once). */
	async function doneItems(visit: VisitEvent, checked: string[]): Promise<number> {
		const open = visit.actionItems.filter((item): item is ActionItem & { orderId: string } => !item.done && !!item.orderId);
		const orders = await Promise.all(open.map(orderDone));
		checked.push(...orders.map((order) => order.checked));
		return visit.actionItems.filter((item) => item.done).length + orders.filter((order) => order.done).length;
	}

	return async function findFollowUp(visit: VisitEvent, query: FollowUpQuery): Promise<FollowUpStatus> {
		const checked: string[] = [];
		// A recall has no visit of its own (its visitId is the recall's ServiceRequest id): nothing to re-read.
		// The visit and the appointments are read at once (a visit id that is no FHIR id is refused before any
		// request goes out); the orders only when nothing is booked.
		if (query.checkVisitStatus !== false) resourcePath(visitResourceType(visit), visit.visitId);
		const later = startRead(laterAppointments(visit, query));
		if (query.checkVisitStatus !== false) {
			const ended = await visitStatus(visit, checked);
			if (ended) return ended;
		}
		const appointments = await later;
		const booked = appointments
			.filter((appointment) => bookedStatuses.has(appointment.status))
			.sort((a, b) => (millis(a.start) ?? 0) - (millis(b.start) ?? 0))[0];
		if (booked) {
			return { status: 'booked', appointmentId: booked.id, start: booked.start, detail: `Appointment/${booked.id} is ${booked.status}` };
		}
		const noShow = appointments.find((appointment) => appointment.status === 'noshow');
		if (noShow) return { status: 'noShow', appointmentId: noShow.id, detail: `Appointment/${noShow.id} is noshow` };
		checked.push(`Appointment search from ${visit.completedAt}: ${appointments.length} found, none booked`);

		const done = await doneItems(visit, checked);
		if (visit.actionItems.length > 0 && done === visit.actionItems.length) {
			return { status: 'done', detail: `all ${done} action item(s) completed` };
		}
		return { status: 'open', checked };
	};
}
