import { NodeConnectionTypes } from 'n8n-workflow';
import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeType, INodeTypeDescription } from 'n8n-workflow';

import type { EhrKind } from '../shared/core/schemas';
import { admissionSummary } from '../shared/core/summaries';
import { admitVisit } from '../shared/flows/admitVisit';
import { lookUpJourneyPatient } from '../shared/flows/lookUpPatient';
import { nowIso } from '../shared/n8n/clock';
import { journeyStoreConnectionTest, practiceProfileTest, tebraConnectionTest } from '../shared/n8n/credentialTests';
import {
	ehrApiCredentials,
	ehrNameExpression,
	ehrOptions,
} from '../shared/n8n/descriptions';
import { ehrAdapterFor, notificationFromItem } from '../shared/n8n/ehr';
import { routeEachItem } from '../shared/n8n/items';
import { practiceProfileFor, withJourneyStore } from '../shared/n8n/resources';

export class VisitDetails implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Visit Details',
		name: 'visitDetails',
		icon: { light: 'file:visitDetails.svg', dark: 'file:visitDetails.dark.svg' },
		group: ['transform'],
		version: 1,
		subtitle: `={{($parameter["operation"] === "lookUpPatient" ? "Patient names from " : "From ") + ${ehrNameExpression}}}`,
		description:
			'Turns an EHR notification into a complete visit (patient contact, language, consent, time zone, orders), once per visit',
		defaults: { name: 'Visit Details' },
		// Not a tool: it claims the visit and starts its journey, nothing an AI agent should call (n8n has no `false`).
		usableAsTool: undefined,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main, NodeConnectionTypes.Main],
		outputNames: ['Visit', 'Skipped'],
		credentials: [
			...ehrApiCredentials,
			{ name: 'journeyStoreApi', required: true, testedBy: 'journeyStoreConnectionTest' },
			{ name: 'practiceProfileApi', required: true, testedBy: 'practiceProfileTest' },
		],
		properties: [
			{
				displayName: 'Operation',
				name: 'operation',
				type: 'options',
				noDataExpression: true,
				options: [
					{
						name: 'Start the Visit\'s Journey',
						value: 'admit',
						action: 'Start the journey of a visit',
						description: 'Claim the notification and emit the complete visit',
					},
					{
						name: 'Look Up Journey\'s Patient (Read Only)',
						value: 'lookUpPatient',
						action: 'Look up the patient of a journey',
						description:
							'Add the patient\'s first name, read from the EHR now, to each item with a journeyId (e.g. from Journey Log); nothing is claimed or journaled',
					},
				],
				default: 'admit',
			},
			{
				displayName:
					'Adds patientFirstName (or patientNameNote saying why there is none) to each item with a journeyId. The name is read from the EHR at view time and is never written to the journey store; items without a journeyId pass through.',
				name: 'lookUpNotice',
				type: 'notice',
				default: '',
				displayOptions: { show: { operation: ['lookUpPatient'] } },
			},
			{
				displayName:
					'"Skipped" receives duplicate deliveries, visits whose journey already started and events that are not a completed visit, each with the reason',
				name: 'skippedNotice',
				type: 'notice',
				default: '',
				displayOptions: { show: { operation: ['admit'] } },
			},
			ehrOptions,
		],
	};

	methods = { credentialTest: { journeyStoreConnectionTest, practiceProfileTest, tebraConnectionTest } };

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const profile = await practiceProfileFor(this);
		const ehr = this.getNodeParameter('ehr', 0) as EhrKind;
		const adapter = await ehrAdapterFor(this, ehr);
		const nodeName = this.getNode().name;
		if (this.getNodeParameter('operation', 0, 'admit') === 'lookUpPatient') {
			return await withJourneyStore(this, async (store) =>
				await routeEachItem(this, 2, async (item) => {
					const lookup = await lookUpJourneyPatient(String(item.json.journeyId ?? ''), { store, adapter, context: profile });
					return [{ output: 0, json: { ...item.json, ...lookup } }];
				}),
			);
		}
		return await withJourneyStore(this, async (store) =>
			await routeEachItem(this, 2, async (item) => {
				const notification = notificationFromItem(item.json, ehr);
				const outcome = await admitVisit(notification, { adapter, store, context: profile, now: new Date(nowIso()), nodeName });
				const visit = { summary: admissionSummary(outcome) };
				if (outcome.outcome === 'admitted') {
					const journey = outcome.trail as unknown as IDataObject;
					return [{ output: 0, json: { ...(outcome.event as unknown as IDataObject), journey, visit } }];
				}
				const skipped: IDataObject = { skipped: outcome.outcome, eventId: notification.eventId, topic: notification.topic };
				if (outcome.outcome === 'notCompleted') skipped.reason = outcome.reason;
				if (outcome.outcome === 'alreadyStarted') skipped.journeyId = outcome.journeyId;
				return [{ output: 1, json: { ...skipped, visit } }];
			}, { journal: store }),
			{ prune: true },
		);
	}
}
