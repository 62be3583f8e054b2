import { NodeConnectionTypes } from 'n8n-workflow';
import type {
	IExecuteFunctions,
	INodeExecutionData,
	INodeType,
	INodeTypeDescription,
} from 'n8n-workflow';

import { nowIso } from '../shared/n8n/clock';
import { journeyCredentials } from '../shared/n8n/descriptions';
import { journeyStoreConnectionTest, practiceProfileTest } from '../shared/n8n/credentialTests';
import { routeEachItem } from '../shared/n8n/items';
import { readJourneyItem } from '../shared/n8n/journeyItem';
import { practiceProfileFor, withJourneyStore } from '../shared/n8n/resources';
import { planJourneyWait } from '../shared/flows/planWait';
import type { WaitAnchor } from '../shared/flows/planWait';
import { cadenceWaitBase, waitAnchorProperties, waitSubtitle } from './parameters';

/**
 * Version 1 holds the journey as an n8n waiting execution. Kept for workflows that use it: such a journey
 * resumes with the copy of the workflow it started with, and resumes even when the workflow is deactivated.
 */
export class CadenceWaitV1 implements INodeType {
	description: INodeTypeDescription = {
		...cadenceWaitBase,
		icon: { light: 'file:cadenceWait.svg', dark: 'file:cadenceWait.dark.svg' },
		version: 1,
		subtitle: waitSubtitle,
		defaults: { name: 'Cadence Wait' },
		// Not a tool: it holds a journey until later, nothing an AI agent should call (n8n has no `false`).
		usableAsTool: undefined,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: journeyCredentials,
		properties: [
			{
				displayName:
					'Version 1 keeps the journey waiting inside n8n: an edit of this workflow does not reach journeys already waiting, and they resume even if the workflow is turned off. Add a new Cadence Wait (version 2) with a Journey Due Trigger instead.',
				name: 'durabilityNotice',
				type: 'notice',
				default: '',
			},
			...waitAnchorProperties,
		],
	};

	methods = { credentialTest: { journeyStoreConnectionTest, practiceProfileTest } };

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const profile = await practiceProfileFor(this);
		const now = nowIso();
		const sendTimes: number[] = [];
		const outputs = await withJourneyStore(this, async (store) =>
			await routeEachItem(this, 1, async (item, itemIndex) => {
				const journey = readJourneyItem(item.json);
				const anchor = this.getNodeParameter('anchor', itemIndex) as WaitAnchor;
				const amount = anchor === 'nextAllowed' ? 0 : (this.getNodeParameter('amount', itemIndex) as number);
				const unit = anchor === 'nextAllowed' ? 'minutes' : (this.getNodeParameter('unit', itemIndex) as 'minutes' | 'hours' | 'days');
				const plan = await planJourneyWait({ ...journey, anchor, amount, unit, policy: profile.sendPolicy, now, store });
				sendTimes.push(Date.parse(plan.sendAt));
				return [{ output: 0, json: item.json }];
			}, { journal: store }),
		);
		const latest = Math.max(Date.parse(now), ...sendTimes);
		if (latest > Date.parse(now)) {
			// Durable: n8n stores the execution as waiting and resumes it; the node is not re-run on resume
			// and its input is passed on, so nothing downstream depends on what this node adds.
			await this.putExecutionToWait(new Date(latest));
		}
		return outputs;
	}
}
