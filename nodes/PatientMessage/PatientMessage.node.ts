import { NodeConnectionTypes } from 'n8n-workflow';
import type { IExecuteFunctions, INodeExecutionData, INodeType, INodeTypeDescription } from 'n8n-workflow';

import { deliverySummary } from '../shared/core/summaries';
import { sendTouch } from '../shared/flows/sendTouch';
import { nowIso } from '../shared/n8n/clock';
import { journeyStoreConnectionTest, messageTextsTest, practiceProfileTest, smtpConnectionTest } from '../shared/n8n/credentialTests';
import { stageOption } from '../shared/n8n/descriptions';
import { routeEachItem } from '../shared/n8n/items';
import { journeyItemToActOn, journeyJson } from '../shared/n8n/journeyItem';
import { isManualRun, practiceProfileFor, withJourneyStore } from '../shared/n8n/resources';
import { practiceTextsFor } from '../shared/n8n/messageTexts';
import { messageSendersFor } from '../shared/n8n/senders';
import { routeFromItem, textOverridesFrom, textOverridesProperty } from './parameters';

export class PatientMessage implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Patient Message',
		name: 'patientMessage',
		icon: { light: 'file:patientMessage.svg', dark: 'file:patientMessage.dark.svg' },
		group: ['output'],
		version: 1,
		subtitle: '={{"Stage " + $parameter["stage"]}}',
		description:
			'Writes and sends the care summary, reminder or recall nudge by SMS, email or voice, exactly once, inside the send window',
		defaults: { name: 'Patient Message' },
		// Not a tool: it messages patients inside a journey's rules, nothing an AI agent should call (n8n has no `false`).
		usableAsTool: undefined,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main, NodeConnectionTypes.Main, NodeConnectionTypes.Main],
		outputNames: ['Sent', 'Held', 'Not Sent'],
		credentials: [
			{ name: 'journeyStoreApi', required: true, testedBy: 'journeyStoreConnectionTest' },
			{ name: 'practiceProfileApi', required: true, testedBy: 'practiceProfileTest' },
			{ name: 'postVisitTwilioApi', required: false },
			{ name: 'postVisitSmtpApi', required: false, testedBy: 'smtpConnectionTest' },
			{ name: 'postVisitMessageTextsApi', required: false, testedBy: 'messageTextsTest' },
		],
		properties: [
			{
				displayName:
					'Put a Channel Router before this node. "Held" means outside the send window or over the daily limit: loop it back into a Cadence Wait. "Not Sent" means no channel worked: connect it to EHR Task. Texts: this node\'s Message Texts win over the "Post-Visit Message Texts" credential, which wins over the built-in texts; run the node from the editor to see every text with its SMS segments.',
				name: 'wiringNotice',
				type: 'notice',
				default: '',
			},
			stageOption,
			{
				displayName: 'Preview Only',
				name: 'preview',
				type: 'boolean',
				default: false,
				description:
					'Whether to only write the messages (text, subject, SMS segments) into the output without sending or recording anything',
			},
			{
				displayName: 'Maximum Holds',
				name: 'maxHolds',
				type: 'number',
				default: 6,
				description: 'After this many holds the journey goes to "Not Sent" (and so to staff) instead of waiting again',
			},
			{
				displayName: 'Smart Encoding',
				name: 'smartEncoding',
				type: 'boolean',
				default: true,
				description:
					'Whether to replace SMS characters outside the GSM-7 alphabet by their closest GSM-7 equivalent (á → a, curly quotes → straight, dashes → -), as Twilio\'s Smart Encoding does. One such character otherwise sends the whole text as UCS-2, 70 characters a segment instead of 160. The output shows each SMS\'s segments and encoding.',
			},
			{
				displayName: 'Order Text in Email',
				name: 'orderTextInEmail',
				type: 'boolean',
				default: false,
				description:
					'Whether patient emails name the next step with the EHR\'s own order text (e.g. the order name or its instructions) instead of the action type ("imaging appointment"). The order text may carry clinical detail. SMS and voice never carry it.',
			},
			textOverridesProperty,
		],
	};

	methods = { credentialTest: { journeyStoreConnectionTest, messageTextsTest, practiceProfileTest, smtpConnectionTest } };

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const profile = await practiceProfileFor(this);
		const senders = await messageSendersFor(this);
		const texts = await practiceTextsFor(this);
		const nodeName = this.getNode().name;
		// A manual run ("Execute workflow", "Execute step") writes the messages and sends none.
		const manual = isManualRun(this);
		const outputIndex = { sent: 0, held: 1, notSent: 2 } as const;
		return await withJourneyStore(this, async (store) =>
			await routeEachItem(this, 3, async (item, itemIndex) => {
				const journey = await journeyItemToActOn(item.json, store, nowIso());
				if (!journey) return [];
				const stage = this.getNodeParameter('stage', itemIndex) as 1 | 2 | 3;
				const outcome = await sendTouch({
					...journey,
					stage,
					route: routeFromItem(item.json, stage),
					profile,
					store,
					senders,
					now: nowIso(),
					nodeName,
					overrides: textOverridesFrom(this, itemIndex),
					texts,
					maxHolds: this.getNodeParameter('maxHolds', itemIndex, 6) as number,
					preview: manual || (this.getNodeParameter('preview', itemIndex, false) as boolean),
					smartEncoding: this.getNodeParameter('smartEncoding', itemIndex, true) as boolean,
					orderTextInEmail: this.getNodeParameter('orderTextInEmail', itemIndex, false) as boolean,
				});
				if (outcome.output === 'held') {
					const summary = deliverySummary({ output: 'held', stage, reason: outcome.reason, retryAt: outcome.retryAt, zone: journey.event.zone });
					const delivery = { stage, held: { reason: outcome.reason, notBefore: outcome.retryAt }, summary };
					return [{ output: outputIndex.held, json: journeyJson(journey, outcome.trail, { delivery }) }];
				}
				// Test mode ended the journey: it leaves on no output, so nothing after this node (a task, a wait) acts on it.
				if (outcome.output === 'ended') return [];
				const notSentReason = outcome.output === 'notSent' ? outcome.reason : undefined;
				const summary = deliverySummary({ output: outcome.output, stage, reason: notSentReason, results: outcome.results });
				const delivery = { stage, results: outcome.results, ...(notSentReason ? { notSentReason } : {}), summary };
				return [{ output: outputIndex[outcome.output], json: journeyJson(journey, outcome.trail, { delivery }) }];
			}, { journal: store }),
		);
	}
}
