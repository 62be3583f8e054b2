import { NodeConnectionTypes } from 'n8n-workflow';
import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeType, INodeTypeDescription } from 'n8n-workflow';

import type { EhrKind } from '../shared/core/schemas';
import { escalate, escalateReply } from '../shared/flows/escalate';
import { patientReplyOfItem } from '../shared/flows/patientReply';
import { nowIso } from '../shared/n8n/clock';
import { journeyStoreConnectionTest, practiceProfileTest, smtpConnectionTest, tebraConnectionTest } from '../shared/n8n/credentialTests';
import {
	ehrApiCredentials,
	ehrOptions,
} from '../shared/n8n/descriptions';
import { ehrAdapterFor } from '../shared/n8n/ehr';
import { escalationReasonOf } from '../shared/n8n/escalationReason';
import { routeEachItem } from '../shared/n8n/items';
import { journeyItemToActOn, journeyJson } from '../shared/n8n/journeyItem';
import { isManualRun, practiceProfileFor, withJourneyStore } from '../shared/n8n/resources';
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
				type: 'options',
				options: [
					{
						name: 'Automatic (From What Happened)',
						value: 'automatic',
						description: 'No reachable channel, a message not sent or not delivered, an unanswered call, a late step; else the follow-up still open',
					},
					{ name: 'Follow-Up Still Open After the Reminders', value: 'notBooked' },
					{ name: 'Recall Still Not Booked After the Reminders', value: 'recallNotBooked' },
					{ name: 'No Reachable Channel', value: 'noChannel' },
					{ name: 'A Message Was Not Delivered', value: 'notDelivered' },
				],
				default: 'automatic',
				description:
					'Why a person must act; it opens the task note. An expression may give any other text. Items from Patient Reply Trigger make a task with the patient\'s text instead.',
			},
		],
	};

	methods = { credentialTest: { journeyStoreConnectionTest, practiceProfileTest, smtpConnectionTest, tebraConnectionTest } };

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const ehr = this.getNodeParameter('ehr', 0) as EhrKind;
		const profile = await practiceProfileFor(this);
		const adapter = await ehrAdapterFor(this, ehr);
		const senders = await messageSendersFor(this);
		const nodeName = this.getNode().name;
		// A manual run shows the task it would create and creates none.
		const preview = isManualRun(this);
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
						preview,
					});
					const task = { ...outcome.task, staffNotified: outcome.notified } as unknown as IDataObject;
					return [{ output: 0, json: { ...item.json, task } }];
				}
				const journey = await journeyItemToActOn(item.json, store, nowIso());
				if (!journey) return [];
				const outcome = await escalate({
					...journey,
					adapter,
					store,
					profile,
					senders,
					assigneeKey: this.getNodeParameter('assignee', itemIndex) as string,
					dueInHours: this.getNodeParameter('dueInHours', itemIndex, 24) as number,
					priority: this.getNodeParameter('priority', itemIndex, 'routine') as 'routine' | 'urgent',
					reason: escalationReasonOf(item.json, this.getNodeParameter('reason', itemIndex, 'automatic')),
					now: nowIso(),
					nodeName,
					preview,
				});
				const task = { ...outcome.task, staffNotified: outcome.notified } as unknown as IDataObject;
				return [{ output: 0, json: journeyJson(journey, outcome.trail, { task }) }];
			}, { journal: store }),
		);
	}
}
