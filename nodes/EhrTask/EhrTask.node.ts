import { NodeConnectionTypes } from 'n8n-workflow';
import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeType, INodeTypeDescription } from 'n8n-workflow';

import type { PracticeProfile } from '../shared/core/practice';
import type { EhrKind } from '../shared/core/schemas';
import { taskSummary } from '../shared/core/summaries';
import { escalate, escalateReply } from '../shared/flows/escalate';
import type { EscalateReplyOutcome } from '../shared/flows/escalate';
import { patientReplyOfItem } from '../shared/flows/patientReply';
import { nowIso } from '../shared/n8n/clock';
import { journeyStoreConnectionTest, practiceProfileTest, smtpConnectionTest, tebraConnectionTest } from '../shared/n8n/credentialTests';
import {
	ehrApiCredentials,
	ehrNameExpression,
	ehrOptions,
} from '../shared/n8n/descriptions';
import { ehrAdapterFor } from '../shared/n8n/ehr';
import { escalationReasonOf } from '../shared/n8n/escalationReason';
import { routeEachItem } from '../shared/n8n/items';
import { journeyItemToActOn, journeyJson } from '../shared/n8n/journeyItem';
import { staffDirectory } from '../shared/n8n/pickers';
import { isManualRun, practiceProfileFor, withJourneyStore } from '../shared/n8n/resources';
import { messageSendersFor } from '../shared/n8n/senders';

/** What the item says about the task: the EHR's answer, who was told, and one sentence for a person. */
function taskJson(
	outcome: EscalateReplyOutcome,
	ehr: EhrKind,
	profile: PracticeProfile,
	assigneeKey: string,
	zone = profile.defaultZone,
): IDataObject {
	const { task, notified } = outcome;
	const assignee = task.preview?.assignee ?? profile.staff.find((member) => member.key === assigneeKey)?.name ?? assigneeKey;
	const summary = taskSummary({
		ehr,
		taskId: task.taskId,
		kind: task.kind,
		existing: task.existing,
		assignee,
		notifiedBy: notified.status === 'sent' ? notified.channel : undefined,
		previewDueAt: task.preview?.dueAt,
		zone,
	});
	return { ...task, staffNotified: notified, summary } as unknown as IDataObject;
}

export class EhrTask implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'EHR Task',
		name: 'ehrTask',
		icon: { light: 'file:ehrTask.svg', dark: 'file:ehrTask.dark.svg' },
		group: ['output'],
		version: 1,
		subtitle: `={{"Task in " + ${ehrNameExpression}}}`,
		description:
			'Hands the journey to a person: a task in the EHR worklist (athenahealth patient case, DrChrono task, FHIR Task), and tells the assignee',
		defaults: { name: 'EHR Task' },
		// Not a tool: it hands a journey to a person in the EHR, nothing an AI agent should call (n8n has no `false`).
		usableAsTool: undefined,
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
				displayName:
					'Tebra has no worklist: nothing is written to Tebra (unless its credential sets a patient Alert) and the assignee\'s notification is the task',
				name: 'tebraNotice',
				type: 'notice',
				default: '',
				displayOptions: { show: { ehr: ['tebra'] } },
			},
			{
				displayName: 'Assignee Name or ID',
				name: 'assignee',
				type: 'options',
				typeOptions: { loadOptionsMethod: 'staffDirectory', loadOptionsDependsOn: ['ehr'] },
				default: 'care-coordinator',
				required: true,
				description:
					'Who takes over, from the practice profile\'s Staff Directory; they are notified by email or SMS. Their ID is the staff "key". Choose from the list, or specify an ID using an <a href="https://docs.n8n.io/code/expressions/">expression</a>.',
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
					{ name: 'Message Not Delivered', value: 'notDelivered' },
					{ name: 'No Reachable Channel', value: 'noChannel' },
					{ name: 'Recall Still Not Booked After the Reminders', value: 'recallNotBooked' },
				],
				default: 'automatic',
				description:
					'Why a person must act; it opens the task note. An expression may give any other text. Items from Patient Reply Trigger make a task with the patient\'s text instead.',
			},
		],
	};

	methods = {
		credentialTest: { journeyStoreConnectionTest, practiceProfileTest, smtpConnectionTest, tebraConnectionTest },
		loadOptions: { staffDirectory },
	};

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
				const assigneeKey = this.getNodeParameter('assignee', itemIndex) as string;
				if (reply) {
					const outcome = await escalateReply({
						reply,
						adapter,
						store,
						profile,
						senders,
						assigneeKey,
						dueInHours: this.getNodeParameter('dueInHours', itemIndex, 24) as number,
						priority: this.getNodeParameter('priority', itemIndex, 'routine') as 'routine' | 'urgent',
						now: nowIso(),
						nodeName,
						preview,
					});
					return [{ output: 0, json: { ...item.json, task: taskJson(outcome, ehr, profile, assigneeKey) } }];
				}
				const journey = await journeyItemToActOn(item.json, store, nowIso());
				if (!journey) return [];
				const outcome = await escalate({
					...journey,
					adapter,
					store,
					profile,
					senders,
					assigneeKey,
					dueInHours: this.getNodeParameter('dueInHours', itemIndex, 24) as number,
					priority: this.getNodeParameter('priority', itemIndex, 'routine') as 'routine' | 'urgent',
					reason: escalationReasonOf(item.json, this.getNodeParameter('reason', itemIndex, 'automatic')),
					now: nowIso(),
					nodeName,
					preview,
				});
				const task = taskJson(outcome, ehr, profile, assigneeKey, journey.event.zone);
				return [{ output: 0, json: journeyJson(journey, outcome.trail, { task }) }];
			}, { journal: store }),
		);
	}
}
