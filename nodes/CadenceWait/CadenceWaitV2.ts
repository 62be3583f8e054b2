import { NodeConnectionTypes } from 'n8n-workflow';
import type {
	IExecuteFunctions,
	INodeExecutionData,
	INodeType,
	INodeTypeDescription,
} from 'n8n-workflow';

import { stepName } from '../shared/core/resume';
import { waitSummary } from '../shared/core/summaries';
import { scheduleJourneyStep } from '../shared/flows/planWait';
import type { WaitAnchor } from '../shared/flows/planWait';
import { nowIso } from '../shared/n8n/clock';
import { journeyCredentials } from '../shared/n8n/descriptions';
import { journeyStoreConnectionTest, practiceProfileTest } from '../shared/n8n/credentialTests';
import { routeEachItem } from '../shared/n8n/items';
import { journeyItemToActOn, journeyJson } from '../shared/n8n/journeyItem';
import { isManualRun, practiceProfileFor, withJourneyStore } from '../shared/n8n/resources';
import { cadenceWaitBase, stepSubtitle, waitAnchorProperties } from './parameters';

/**
 * Version 2 records the journey's next step in the journey store and ends the execution there; the Journey Due
 * Trigger of the same workflow resumes it into the workflow as it is published then.
 */
export class CadenceWaitV2 implements INodeType {
	description: INodeTypeDescription = {
		...cadenceWaitBase,
		icon: { light: 'file:cadenceWait.svg', dark: 'file:cadenceWait.dark.svg' },
		version: 2,
		subtitle: stepSubtitle,
		defaults: { name: 'Cadence Wait' },
		// Not a tool: it holds a journey until later, nothing an AI agent should call (n8n has no `false`).
		usableAsTool: undefined,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main, NodeConnectionTypes.Main],
		outputNames: ['Due Now', 'Scheduled'],
		credentials: journeyCredentials,
		properties: [
			{
				displayName:
					'The journey waits in the journey store and a <b>Journey Due Trigger</b> in this workflow resumes it: add its <b>Step</b> name to that trigger\'s Steps and connect the trigger\'s output of that name. Edits of the workflow reach waiting journeys; a due time already computed stays as it was. Nodes after the trigger cannot read nodes before this one (e.g. $(\'Visit Details\')).',
				name: 'howItResumes',
				type: 'notice',
				default: '',
			},
			{
				displayName: 'Step',
				name: 'step',
				type: 'string',
				default: 'Reminder',
				required: true,
				placeholder: 'e.g. Reminder',
				description: 'The name of the next step, e.g. "Reminder" or "Escalation". The Journey Due Trigger output of the same name resumes it.',
			},
			...waitAnchorProperties,
		],
	};

	methods = { credentialTest: { journeyStoreConnectionTest, practiceProfileTest } };

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const profile = await practiceProfileFor(this);
		const workflowId = String(this.getWorkflow().id ?? 'unsaved');
		const manual = isManualRun(this);
		return await withJourneyStore(this, async (store) =>
			await routeEachItem(this, 2, async (item, itemIndex) => {
				const journey = await journeyItemToActOn(item.json, store, nowIso());
				if (!journey) return [];
				const anchor = this.getNodeParameter('anchor', itemIndex) as WaitAnchor;
				const amount = anchor === 'nextAllowed' ? 0 : (this.getNodeParameter('amount', itemIndex) as number);
				const unit = anchor === 'nextAllowed' ? 'minutes' : (this.getNodeParameter('unit', itemIndex) as 'minutes' | 'hours' | 'days');
				const step = stepName(this.getNodeParameter('step', itemIndex), 'step');
				const now = nowIso();
				const planned = await scheduleJourneyStep({ ...journey, anchor, amount, unit, policy: profile.sendPolicy, now, store, workflowId, step });
				const untilResume = planned.outcome === 'scheduled' && planned.untilResume;
				const summary = waitSummary({ step, outcome: planned.outcome, sendAt: planned.sendAt, zone: journey.event.zone, untilResume, manual });
				const wait = { step, outcome: planned.outcome, due: planned.due, resumesAt: planned.sendAt, summary };
				return [{ output: planned.outcome === 'due' ? 0 : 1, json: journeyJson(journey, planned.trail, { wait }) }];
			}, { journal: store }),
		);
	}
}
