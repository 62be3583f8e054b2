import { NodeConnectionTypes } from 'n8n-workflow';
import type { IExecuteFunctions, INodeExecutionData, INodeType, INodeTypeDescription } from 'n8n-workflow';

import { nowIso } from '../shared/n8n/clock';
import { journeyStoreConnectionTest, practiceProfileTest } from '../shared/n8n/credentialTests';
import { toNodeError } from '../shared/n8n/errors';
import { readJourneyItem } from '../shared/n8n/journeyItem';
import { practiceProfileFor, withJourneyStore } from '../shared/n8n/resources';
import { planJourneyWait } from '../shared/flows/planWait';
import type { WaitAnchor } from '../shared/flows/planWait';

export class CadenceWait implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Cadence Wait',
		name: 'cadenceWait',
		icon: { light: 'file:cadenceWait.svg', dark: 'file:cadenceWait.dark.svg' },
		group: ['organization'],
		version: 1,
		subtitle: '={{$parameter["anchor"] === "recallDate" ? "Recall date − " + $parameter["amount"] + " " + $parameter["unit"] : $parameter["anchor"] === "visitClose" ? "Visit close + " + $parameter["amount"] + " " + $parameter["unit"] : "Until the next allowed time"}}',
		description:
			'Waits until a point of the journey in the patient\'s time zone, inside the send window (durable: survives restarts)',
		defaults: { name: 'Cadence Wait' },
		usableAsTool: true,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: [
			{ name: 'journeyStoreApi', required: true, testedBy: 'journeyStoreConnectionTest' },
			{ name: 'practiceProfileApi', required: true, testedBy: 'practiceProfileTest' },
		],
		properties: [
			{
				displayName:
					'The wait is stored in n8n\'s database and resumes by itself (n8n checks every minute, so a resume may be up to a minute late). Changing this node does not move journeys that are already waiting.',
				name: 'durabilityNotice',
				type: 'notice',
				default: '',
			},
			{
				displayName: 'Wait Until',
				name: 'anchor',
				type: 'options',
				noDataExpression: true,
				options: [
					{ name: 'Visit Close Plus', value: 'visitClose', description: 'e.g. 48 hours or 7 days after the visit was completed' },
					{ name: 'Recall Date Minus', value: 'recallDate', description: 'e.g. 30 days before the recall is due' },
					{
						name: 'Next Allowed Time',
						value: 'nextAllowed',
						description: 'The next moment inside the send window, and not before a hold\'s time (for "Held" loops)',
					},
				],
				default: 'visitClose',
			},
			{
				displayName: 'Amount',
				name: 'amount',
				type: 'number',
				typeOptions: { minValue: 0 },
				default: 48,
				displayOptions: { hide: { anchor: ['nextAllowed'] } },
			},
			{
				displayName: 'Unit',
				name: 'unit',
				type: 'options',
				options: [
					{ name: 'Minutes', value: 'minutes' },
					{ name: 'Hours', value: 'hours' },
					{ name: 'Days (Calendar Days in the Patient\'s Zone)', value: 'days' },
				],
				default: 'hours',
				displayOptions: { hide: { anchor: ['nextAllowed'] } },
			},
		],
	};

	methods = { credentialTest: { journeyStoreConnectionTest, practiceProfileTest } };

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const items = this.getInputData();
		const profile = await practiceProfileFor(this);
		const now = nowIso();
		const anchor = this.getNodeParameter('anchor', 0) as WaitAnchor;
		const sendTimes: number[] = [];
		const output: INodeExecutionData[] = [];
		await withJourneyStore(this, async (store) => {
			for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
				try {
					const journey = readJourneyItem(items[itemIndex].json);
					const amount = anchor === 'nextAllowed' ? 0 : (this.getNodeParameter('amount', itemIndex) as number);
					const unit = anchor === 'nextAllowed' ? 'minutes' : (this.getNodeParameter('unit', itemIndex) as 'minutes' | 'hours' | 'days');
					const plan = await planJourneyWait({ ...journey, anchor, amount, unit, policy: profile.sendPolicy, now, store });
					sendTimes.push(Date.parse(plan.sendAt));
					output.push({ json: items[itemIndex].json, pairedItem: { item: itemIndex } });
				} catch (error) {
					const nodeError = toNodeError(this.getNode(), error, itemIndex);
					if (!this.continueOnFail()) throw nodeError;
					output.push({ json: { ...items[itemIndex].json, error: nodeError.message }, pairedItem: { item: itemIndex } });
				}
			}
		});
		const latest = Math.max(Date.parse(now), ...sendTimes);
		if (latest > Date.parse(now)) {
			// Durable: n8n stores the execution as waiting and resumes it; the node is not re-run on resume
			// and its input is passed on, so nothing downstream depends on what this node adds.
			await this.putExecutionToWait(new Date(latest));
		}
		return [output];
	}
}
