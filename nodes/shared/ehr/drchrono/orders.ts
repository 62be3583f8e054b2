import type { DateTime } from 'luxon';

import type { ActionItem, ActionItemType } from '../../core/schemas';
import type { ResolveContext } from '../types';
import { fillLink, isoDateOf, vendorDateTime } from './mapping';
import type { DrChronoOrderSource, DrChronoShared } from './options';
import { carePlanSchema, labOrderSchema, medicationSchema } from './schemas';
import type { DrChronoAppointment, DrChronoLabOrder } from './schemas';

/** Medication order statuses that leave the patient something to pick up or fill. */
const prescriptionToFill = new Set([
	'Electronic eRx Sent',
	'Phoned into Pharmacy',
	'Faxed to Pharmacy',
	'Paper Rx',
	'Prescription Printed',
]);
const referralPlanType = '5';

const descriptions = {
	lab: 'Get the lab tests your provider ordered',
	referral: 'Book the specialist visit your provider referred you to',
	prescription: (count: number) =>
		count > 1 ? 'Pick up your new prescriptions from your pharmacy' : 'Pick up your new prescription from your pharmacy',
} as const;

function linkFor(type: ActionItemType, context: ResolveContext, ids: { orderId?: string; patientId: string; visitId: string }) {
	const links = context.schedulingLinks ?? {};
	return fillLink(links[type] ?? links.default, ids);
}

/** What DrChrono exposes as a visit's orders (lab orders, medications, referral care plans) as action items. */
export function createVisitOrders({ client, options }: DrChronoShared) {
	const orderSources = new Set<DrChronoOrderSource>(options.orderSources ?? ['labOrders', 'medications', 'carePlans']);
	const labOrderGraceDays = options.labOrderGraceDays ?? 1;

	async function labItem(appointment: DrChronoAppointment, visitDay: DateTime, zone: string): Promise<ActionItem[]> {
		if (!appointment.doctor) return [];
		const orders = await client.listAll(
			'/api/lab_orders',
			{ doctor: appointment.doctor, since: isoDateOf(visitDay) },
			labOrderSchema,
			'listing lab orders',
		);
		const lastDay = visitDay.plus({ days: labOrderGraceDays }).endOf('day');
		const ofVisit = orders.filter((order: DrChronoLabOrder) => {
			if (order.patient !== appointment.patient || order.status === 'E' || !order.timestamp) return false;
			const submitted = vendorDateTime(order.timestamp, zone, 'lab_orders.timestamp');
			return submitted >= visitDay && submitted <= lastDay;
		});
		if (ofVisit.length === 0) return [];
		const open = ofVisit.filter((order) => order.status !== 'R');
		return [{ type: 'lab', description: descriptions.lab, orderId: `lab-${(open[0] ?? ofVisit[0])!.id}`, done: open.length === 0 }];
	}

	async function prescriptionItem(appointment: DrChronoAppointment): Promise<ActionItem[]> {
		const medications = await client.listAll('/api/medications', { patient: appointment.patient! }, medicationSchema, 'listing medications');
		const toFill = medications.filter(
			(medication) =>
				medication.appointment === appointment.id &&
				medication.status !== 'inactive' &&
				prescriptionToFill.has(medication.order_status ?? ''),
		);
		if (toFill.length === 0) return [];
		return [{ type: 'prescription', description: descriptions.prescription(toFill.length), orderId: `medication-${toFill[0]!.id}`, done: false }];
	}

	async function referralItem(appointment: DrChronoAppointment): Promise<ActionItem[]> {
		const plans = await client.listAll(
			'/api/care_plans',
			{ patient: appointment.patient!, plan_type: referralPlanType },
			carePlanSchema,
			'listing care plans',
		);
		const referrals = plans
			.filter((plan) => plan.appointment === appointment.id && plan.plan_type === referralPlanType)
			.sort((a, b) => (a.scheduled_date ?? '9999').localeCompare(b.scheduled_date ?? '9999'));
		const first = referrals[0];
		if (!first) return [];
		const dueBy = first.scheduled_date?.slice(0, 10);
		return [
			{
				type: 'referral',
				description: descriptions.referral,
				orderId: `careplan-${first.id}`,
				dueBy: dueBy && /^\d{4}-\d{2}-\d{2}$/.test(dueBy) ? dueBy : undefined,
				done: false,
			},
		];
	}

	return async function actionItemsOf(
		appointment: DrChronoAppointment,
		visitStart: DateTime,
		zone: string,
		context: ResolveContext,
	): Promise<ActionItem[]> {
		const visitDay = visitStart.startOf('day');
		const [labs, prescriptions, referrals] = await Promise.all([
			orderSources.has('labOrders') ? labItem(appointment, visitDay, zone) : [],
			orderSources.has('medications') ? prescriptionItem(appointment) : [],
			orderSources.has('carePlans') ? referralItem(appointment) : [],
		]);
		const items: ActionItem[] = [];
		if (options.followUpAction) {
			items.push({ type: 'followUpVisit', description: options.followUpAction.description, orderId: `visit-${appointment.id}`, done: false });
		}
		items.push(...referrals, ...labs, ...prescriptions);
		const ids = { patientId: appointment.patient!, visitId: appointment.id };
		return items.map((item) => {
			const schedulingLink = linkFor(item.type, context, { ...ids, orderId: item.orderId });
			return schedulingLink ? { ...item, schedulingLink } : item;
		});
	};
}
