import { NodeConnectionTypes } from 'n8n-workflow';
import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeProperties,
	INodeType,
	INodeTypeDescription,
} from 'n8n-workflow';

import type { EhrKind } from '../shared/core/schemas';
import { bookingSummary } from '../shared/core/summaries';
import { checkBooking } from '../shared/flows/checkBooking';
import { nowIso } from '../shared/n8n/clock';
import { journeyStoreConnectionTest, tebraConnectionTest } from '../shared/n8n/credentialTests';
import { ehrApiCredentials, ehrNameExpression, ehrOptions } from '../shared/n8n/descriptions';
import { ehrAdapterFor } from '../shared/n8n/ehr';
import { routeEachItem } from '../shared/n8n/items';
import { journeyItemToActOn, journeyJson } from '../shared/n8n/journeyItem';
import { ehrAppointmentTypes } from '../shared/n8n/pickers';
import { withJourneyStore } from '../shared/n8n/resources';

const fromVersion1_1 = { '@version': [{ _cnd: { gte: 1.1 } }] };

/** Version 1: the types typed, comma-separated (kept as it is for the workflows that have it). */
const typedAppointmentTypes: INodeProperties = {
	displayName: 'Appointment Types That Count',
	name: 'appointmentTypes',
	type: 'string',
	default: '',
	placeholder: '12, 34',
	description: 'EHR appointment type IDs or codes (comma-separated) that count as the follow-up. Empty: any appointment.',
	displayOptions: { show: { '@version': [1] } },
};

/** From version 1.1: picked from the EHR's own list, or typed through an expression where it lists none. */
const pickedAppointmentTypes: INodeProperties = {
	displayName: 'Appointment Types That Count',
	name: 'appointmentTypes',
	type: 'multiOptions',
	typeOptions: { loadOptionsMethod: 'ehrAppointmentTypes', loadOptionsDependsOn: ['ehr'] },
	default: [],
	description:
		'The appointment types that count as the follow-up; none: any appointment. An expression may also give codes; several are comma-separated. Choose from the list, or specify IDs using an <a href="https://docs.n8n.io/code/expressions/">expression</a>.',
	displayOptions: { show: fromVersion1_1 },
};

/** The types as the node stores them: a list (version 1.1), or comma-separated text (version 1, an expression). */
function appointmentTypesFrom(value: unknown): string[] {
	const parts = Array.isArray(value) ? value.map(String) : String(value ?? '').split(',');
	return parts.map((type) => type.trim()).filter(Boolean);
}

export class BookingCheck implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Booking Check',
		name: 'bookingCheck',
		icon: { light: 'file:bookingCheck.svg', dark: 'file:bookingCheck.dark.svg' },
		group: ['transform'],
		version: [1, 1.1],
		subtitle: `={{"Ask " + ${ehrNameExpression}}}`,
		description: 'Asks the EHR right now whether the follow-up is booked or done, or the visit cancelled',
		defaults: { name: 'Booking Check' },
		// Not a tool: it routes a journey and may end it, nothing an AI agent should call (n8n has no `false`).
		usableAsTool: undefined,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main, NodeConnectionTypes.Main],
		outputNames: ['Still Open', 'Done'],
		credentials: [...ehrApiCredentials, { name: 'journeyStoreApi', required: true, testedBy: 'journeyStoreConnectionTest' }],
		properties: [
			{
				displayName: '"Done" means booked, completed, the visit was cancelled, or the follow-up was a no-show; the item says which',
				name: 'doneNotice',
				type: 'notice',
				default: '',
			},
			ehrOptions,
			typedAppointmentTypes,
			{
				displayName:
					'Tebra lists no appointment types through its API: to count only some, switch "Appointment Types That Count" to Expression and type the appointment reasons or types, comma-separated, as Tebra shows them',
				name: 'tebraTypesNotice',
				type: 'notice',
				default: '',
				displayOptions: { show: { ehr: ['tebra'], ...fromVersion1_1 } },
			},
			pickedAppointmentTypes,
			{
				displayName: 'Done When',
				name: 'doneWhen',
				type: 'options',
				default: 'anyOutcome',
				options: [
					{ name: 'Booked, Completed, Cancelled or No-Show', value: 'anyOutcome', description: 'Before a reminder or an escalation' },
					{ name: 'Only the Visit Was Cancelled', value: 'visitCancelled', description: 'Before a held care summary: a patient who booked meanwhile still gets it' },
				],
			},
		],
	};

	methods = { credentialTest: { journeyStoreConnectionTest, tebraConnectionTest }, loadOptions: { ehrAppointmentTypes } };

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const ehr = this.getNodeParameter('ehr', 0) as EhrKind;
		const adapter = await ehrAdapterFor(this, ehr);
		const nodeName = this.getNode().name;
		return await withJourneyStore(this, async (store) =>
			await routeEachItem(this, 2, async (item, itemIndex) => {
				const journey = await journeyItemToActOn(item.json, store, nowIso());
				if (!journey) return [];
				const appointmentTypes = appointmentTypesFrom(this.getNodeParameter('appointmentTypes', itemIndex, ''));
				const doneWhen = this.getNodeParameter('doneWhen', itemIndex, 'anyOutcome') as 'anyOutcome' | 'visitCancelled';
				const result = await checkBooking({ ...journey, adapter, store, appointmentTypes, doneWhen, now: nowIso(), nodeName });
				const { status } = result;
				const summary = bookingSummary({
					status: status.status,
					appointmentId: 'appointmentId' in status ? status.appointmentId : undefined,
					start: status.status === 'booked' ? status.start : undefined,
					detail: 'detail' in status ? status.detail : undefined,
					done: result.done,
					zone: journey.event.zone,
				});
				const booking = { ...status, checkedAt: nowIso(), summary } as unknown as IDataObject;
				return [{ output: result.done ? 1 : 0, json: journeyJson(journey, result.trail, { booking }) }];
			}, { journal: store }),
		);
	}
}
