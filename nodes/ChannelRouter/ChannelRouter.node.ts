import { NodeConnectionTypes } from 'n8n-workflow';
import type { IExecuteFunctions, INodeExecutionData, INodeType, INodeTypeDescription } from 'n8n-workflow';

import { routeSummary } from '../shared/core/summaries';
import { routeTouch } from '../shared/flows/routeTouch';
import { nowIso } from '../shared/n8n/clock';
import { journeyStoreConnectionTest, practiceProfileTest } from '../shared/n8n/credentialTests';
import { stageOption } from '../shared/n8n/descriptions';
import { routeEachItem } from '../shared/n8n/items';
import { journeyItemToActOn, journeyJson } from '../shared/n8n/journeyItem';
import { practiceProfileFor, withJourneyStore } from '../shared/n8n/resources';

export class ChannelRouter implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Channel Router',
		name: 'channelRouter',
		icon: { light: 'file:channelRouter.svg', dark: 'file:channelRouter.dark.svg' },
		group: ['transform'],
		version: 1,
		subtitle: '={{"Stage " + $parameter["stage"]}}',
		description: 'Chooses SMS, email or voice from preference, consent and opt-outs, and enforces the contact caps',
		defaults: { name: 'Channel Router' },
		// Not a tool: it routes a journey and counts its contacts, nothing an AI agent should call (n8n has no `false`).
		usableAsTool: undefined,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main, NodeConnectionTypes.Main],
		outputNames: ['Send', 'Staff Call'],
		credentials: [
			{ name: 'journeyStoreApi', required: true, testedBy: 'journeyStoreConnectionTest' },
			{ name: 'practiceProfileApi', required: true, testedBy: 'practiceProfileTest' },
		],
		properties: [
			stageOption,
			{
				displayName: 'Stage 3 as a Voice Message',
				name: 'allowVoice',
				type: 'boolean',
				default: false,
				displayOptions: { show: { stage: [3] } },
				description: 'Whether stage 3 is an automated voice call (landlines too) before the human task; off means the human task only',
			},
		],
	};

	methods = { credentialTest: { journeyStoreConnectionTest, practiceProfileTest } };

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const profile = await practiceProfileFor(this);
		const nodeName = this.getNode().name;
		return await withJourneyStore(this, async (store) => await routeEachItem(this, 2, async (item, itemIndex) => {
			const journey = await journeyItemToActOn(item.json, store, nowIso());
			if (!journey) return [];
			const stage = this.getNodeParameter('stage', itemIndex) as 1 | 2 | 3;
			const allowVoice = stage === 3 && (this.getNodeParameter('allowVoice', itemIndex, false) as boolean);
			const outcome = await routeTouch({ ...journey, stage, allowVoice, profile, store, now: nowIso(), nodeName });
			const channels = outcome.route?.channels ?? [];
			const summary =
				outcome.output === 'send'
					? routeSummary({ output: 'send', stage, strategy: outcome.route.strategy, channels })
					: routeSummary({ output: 'staffCall', stage, reason: outcome.reason });
			const route = { stage, strategy: outcome.route?.strategy, channels, decisions: outcome.route?.decisions ?? [], summary };
			if (outcome.output === 'send') return [{ output: 0, json: journeyJson(journey, outcome.trail, { route }) }];
			return [{ output: 1, json: journeyJson(journey, outcome.trail, { route, staffCall: { reason: outcome.reason, stage } }) }];
		}, { journal: store }));
	}
}
