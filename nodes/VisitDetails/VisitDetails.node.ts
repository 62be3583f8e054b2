import { NodeConnectionTypes } from 'n8n-workflow';
import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeType, INodeTypeDescription } from 'n8n-workflow';

import type { EhrKind } from '../shared/core/schemas';
import { admissionSummary } from '../shared/core/summaries';
import { admitVisit } from '../shared/flows/admitVisit';
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
		subtitle: `={{"From " + ${ehrNameExpression}}}`,
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
				displayName:
					'"Skipped" receives duplicate deliveries, visits whose journey already started and events that are not a completed visit, each with the reason',
				name: 'skippedNotice',
				type: 'notice',
				default: '',
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
