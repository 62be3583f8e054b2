import { NodeConnectionTypes } from 'n8n-workflow';
import type { IDataObject, INodeExecutionData, INodeType, INodeTypeDescription, IPollFunctions } from 'n8n-workflow';

import type { EhrKind } from '../shared/core/schemas';
import { pollEhr } from '../shared/flows/pollEhr';
import type { PollState } from '../shared/flows/pollEhr';
import { nowIso } from '../shared/n8n/clock';
import { practiceProfileTest, tebraConnectionTest } from '../shared/n8n/credentialTests';
import { ehrApiCredentials, ehrNameExpression, pollEhrOptions, pollEhrsWithoutRecalls, recallEhrs } from '../shared/n8n/descriptions';
import { ehrAdapterFor } from '../shared/n8n/ehr';
import { toNodeError } from '../shared/n8n/errors';
import { practiceProfileFromCredential } from '../shared/n8n/profile';

export class EhrPollTrigger implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'EHR Poll Trigger',
		name: 'ehrPollTrigger',
		icon: { light: 'file:ehrPollTrigger.svg', dark: 'file:ehrPollTrigger.dark.svg' },
		group: ['trigger'],
		version: 1,
		subtitle: `={{($parameter["event"] === "recallDue" ? "Recalls due in " : "Visits completed in ") + ${ehrNameExpression}}}`,
		description:
			'Starts journeys by asking the EHR on a schedule, for EHRs that do not push (Epic, eClinicalWorks, Tebra, athenahealth changed feed)',
		defaults: { name: 'EHR Poll Trigger' },
		polling: true,
		inputs: [],
		outputs: [NodeConnectionTypes.Main],
		credentials: [...ehrApiCredentials, { name: 'practiceProfileApi', required: true, testedBy: 'practiceProfileTest' }],
		properties: [
			{
				displayName:
					'On first activation this trigger starts from "now": visits completed before the pack was turned on get no messages',
				name: 'startNotice',
				type: 'notice',
				default: '',
			},
			pollEhrOptions,
			{
				displayName:
					'Tebra pushes nothing and asks integrators to poll sparingly: set Poll Times to every 5 to 15 minutes',
				name: 'tebraPollNotice',
				type: 'notice',
				default: '',
				displayOptions: { show: { ehr: ['tebra'] } },
			},
			{
				displayName: 'Event',
				name: 'event',
				type: 'options',
				noDataExpression: true,
				options: [
					{ name: 'Visit Completed', value: 'visitCompleted' },
					{
						name: 'Recall Coming Due',
						value: 'recallDue',
						description: 'Active ServiceRequests coded as a recall (e.g. an annual exam), once each, the days below before their date',
					},
				],
				default: 'visitCompleted',
				displayOptions: { show: { ehr: recallEhrs } },
			},
			{
				displayName: 'Event',
				name: 'event',
				type: 'options',
				noDataExpression: true,
				options: [{ name: 'Visit Completed', value: 'visitCompleted' }],
				default: 'visitCompleted',
				displayOptions: { show: { ehr: pollEhrsWithoutRecalls } },
			},
			{
				displayName:
					'athenahealth, DrChrono and Tebra have no API that lists recalls, so "Recall Coming Due" needs a FHIR R4 EHR. To plan recall outreach from a recall list (a CSV export or a Google Sheet), map its rows to recall events (kind "recall") and preview them with Timeline Preview ("Input Items" or "JSON List").',
				name: 'recallNotice',
				type: 'notice',
				default: '',
				displayOptions: { show: { ehr: pollEhrsWithoutRecalls } },
			},
			{
				displayName: 'Days Before the Recall Date',
				name: 'recallLeadDays',
				type: 'number',
				default: 30,
				displayOptions: { show: { event: ['recallDue'] } },
				description: 'A recall is emitted once, when it is this many days away',
			},
		],
	};

	methods = { credentialTest: { practiceProfileTest, tebraConnectionTest } };

	async poll(this: IPollFunctions): Promise<INodeExecutionData[][] | null> {
		const ehr = this.getNodeParameter('ehr') as EhrKind;
		const event = this.getNodeParameter('event') as 'visitCompleted' | 'recallDue';
		const staticData = this.getWorkflowStaticData('node') as IDataObject & { poll?: PollState };
		try {
			const adapter = await ehrAdapterFor(this, ehr);
			const profile = practiceProfileFromCredential(await this.getCredentials('practiceProfileApi'));
			const result = await pollEhr({
				adapter,
				event,
				state: staticData.poll,
				now: nowIso(),
				manual: this.getMode() === 'manual',
				recallLeadDays: event === 'recallDue' ? (this.getNodeParameter('recallLeadDays') as number) : 0,
				context: profile,
			});
			// Static data is saved only after poll() returns, with the items: a poll that throws keeps the old
			// cursor, so the next run reads the same changes again (the journey store's claims drop repeats).
			if (result.state) staticData.poll = result.state;
			if (result.items.length === 0) return null;
			return [result.items.map((json) => ({ json: json as IDataObject }))];
		} catch (error) {
			throw toNodeError(this.getNode(), error);
		}
	}
}
