import { NodeConnectionTypes } from 'n8n-workflow';
import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeType, INodeTypeDescription } from 'n8n-workflow';

import type { EhrKind } from '../shared/core/schemas';
import { escalate, escalateReply } from '../shared/flows/escalate';
import { patientReplyOfItem } from '../shared/flows/patientReply';
import { nowIso } from '../shared/n8n/clock';
import { journeyStoreConnectionTest, practiceProfileTest, smtpConnectionTest } from '../shared/n8n/credentialTests';
import {
	ehrApiCredentials,
	ehrOptions,
} from '../shared/n8n/descriptions';
import { ehrAdapterFor } from '../shared/n8n/ehr';
import { routeEachItem } from '../shared/n8n/items';
import { journeyJson, readJourneyItem } from '../shared/n8n/journeyItem';
import { practiceProfileFor, withJourneyStore } from '../shared/n8n/resources';
import { messageSendersFor } from '../shared/n8n/senders';

export class EhrTask implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'EHR Task',
		name: 'ehrTask',
		icon: { light: 'file:ehrTask.svg', dark: 'file:ehrTask.dark.svg' },
		group: ['output'],
		version: 1,
		subtitle: '={{"Task in " + $parameter["ehr"]}}',
		description:
			'Hands the journey to a person: a task in the EHR worklist (athenahealth patient case, DrChrono task, FHIR Task), and tells the assignee',
		defaults: { name: 'EHR Task' },
		usableAsTool: true,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: [
			...ehrApiCredentials,
			{ name: 'journeyStoreApi', required: true, testedBy: 'journeyStoreConnectionTest' },
			{ name: 'practiceProfileApi', required: true, testedBy: 'practiceProfileTest' },
			{ name: 'postVisitTwilioApi', required: false },
			{ name: 'postVisitSmtpApi', required: false, testedBy: 'smtpConnectionTest' },
		],
		properties: [
			ehrOptions,
			{
				displayName: 'Assignee',
				name: 'assignee',
				type: 'string',
				default: 'care-coordinator',
				required: true,
				description: 'The "key" of a person in the practice profile\'s staff directory; they are notified by email or SMS',
			},
			{
				displayName: 'Due In (Hours)',
				name: 'dueInHours',
				type: 'number',
				default: 24,
			},
			{
				displayName: 'Priority',
				name: 'priority',
				type: 'options',
				options: [
					{ name: 'Routine', value: 'routine' },
					{ name: 'Urgent', value: 'urgent' },
				],
				default: 'routine',
			},
			{
				displayName: 'Reason',
				name: 'reason',
				type: 'string',
				default:
					'={{ $json.staffCall ? "no reachable channel (" + $json.staffCall.reason + ")" : $json.delivery && $json.delivery.notSentReason ? "message not sent (" + $json.delivery.notSentReason + ")" : "follow-up still open after the reminders" }}',
				description:
					'Why a person must act; it opens the task note. Items from Patient Reply Trigger make a task with the patient\'s text instead.',
			},
		],
	};

	methods = { credentialTest: { journeyStoreConnectionTest, practiceProfileTest, smtpConnectionTest } };

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const ehr = this.getNodeParameter('ehr', 0) as EhrKind;
		const profile = await practiceProfileFor(this);
		const adapter = await ehrAdapterFor(this, ehr);
		const senders = await messageSendersFor(this);
		const nodeName = this.getNode().name;
		return await withJourneyStore(this, async (store) =>
			await routeEachItem(this, 1, async (item, itemIndex) => {
				// A Patient Reply Trigger item: the patient's text goes to the worklist as its own task.
				const reply = patientReplyOfItem(item.json);
				if (reply) {
					const outcome = await escalateReply({
						reply,
						adapter,
						store,
						profile,
						senders,
						assigneeKey: this.getNodeParameter('assignee', itemIndex) as string,
						dueInHours: this.getNodeParameter('dueInHours', itemIndex, 24) as number,
						priority: this.getNodeParameter('priority', itemIndex, 'routine') as 'routine' | 'urgent',
						now: nowIso(),
						nodeName,
					});
					const task = { ...outcome.task, staffNotified: outcome.notified } as unknown as IDataObject;
					return [{ output: 0, json: { ...item.json, task } }];
				}
				const journey = readJourneyItem(item.json);
				const outcome = await escalate({
					...journey,
					adapter,
					store,
					profile,
					senders,
					assigneeKey: this.getNodeParameter('assignee', itemIndex) as string,
					dueInHours: this.getNodeParameter('dueInHours', itemIndex, 24) as number,
					priority: this.getNodeParameter('priority', itemIndex, 'routine') as 'routine' | 'urgent',
					reason: String(this.getNodeParameter('reason', itemIndex, 'follow-up still open')),
					now: nowIso(),
					nodeName,
				});
				const task = { ...outcome.task, staffNotified: outcome.notified } as unknown as IDataObject;
				return [{ output: 0, json: journeyJson(journey, outcome.trail, { task }) }];
			}),
		);
	}
}
