import { NodeConnectionTypes } from 'n8n-workflow';
import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeType, INodeTypeDescription } from 'n8n-workflow';

import type { EhrKind } from '../shared/core/schemas';
import { checkBooking } from '../shared/flows/checkBooking';
import { nowIso } from '../shared/n8n/clock';
import { journeyStoreConnectionTest, tebraConnectionTest } from '../shared/n8n/credentialTests';
import { ehrApiCredentials, ehrOptions } from '../shared/n8n/descriptions';
import { ehrAdapterFor } from '../shared/n8n/ehr';
import { routeEachItem } from '../shared/n8n/items';
import { journeyItemToActOn, journeyJson } from '../shared/n8n/journeyItem';
import { withJourneyStore } from '../shared/n8n/resources';

export class BookingCheck implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Booking Check',
		name: 'bookingCheck',
		icon: { light: 'file:bookingCheck.svg', dark: 'file:bookingCheck.dark.svg' },
		group: ['transform'],
		version: 1,
		subtitle: '={{"Ask " + $parameter["ehr"]}}',
		description: 'Asks the EHR right now whether the follow-up is booked or done, or the visit cancelled',
		defaults: { name: 'Booking Check' },
		usableAsTool: true,
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
			{
				displayName: 'Appointment Types That Count',
				name: 'appointmentTypes',
				type: 'string',
				default: '',
				placeholder: '12, 34',
				description: 'EHR appointment type IDs or codes (comma-separated) that count as the follow-up. Empty: any appointment.',
			},
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

	methods = { credentialTest: { journeyStoreConnectionTest, tebraConnectionTest } };

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const ehr = this.getNodeParameter('ehr', 0) as EhrKind;
		const adapter = await ehrAdapterFor(this, ehr);
		const nodeName = this.getNode().name;
		return await withJourneyStore(this, async (store) =>
			await routeEachItem(this, 2, async (item, itemIndex) => {
				const journey = await journeyItemToActOn(item.json, store, nowIso());
				if (!journey) return [];
				const appointmentTypes = String(this.getNodeParameter('appointmentTypes', itemIndex, ''))
					.split(',')
					.map((type) => type.trim())
					.filter(Boolean);
				const doneWhen = this.getNodeParameter('doneWhen', itemIndex, 'anyOutcome') as 'anyOutcome' | 'visitCancelled';
				const result = await checkBooking({ ...journey, adapter, store, appointmentTypes, doneWhen, now: nowIso(), nodeName });
				const booking = { ...result.status, checkedAt: nowIso() } as unknown as IDataObject;
				return [{ output: result.done ? 1 : 0, json: journeyJson(journey, result.trail, { booking }) }];
			}, { journal: store }),
		);
	}
}
