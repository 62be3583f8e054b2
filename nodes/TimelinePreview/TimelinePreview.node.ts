import { NodeConnectionTypes } from 'n8n-workflow';
import type {
	IDataObject,
	IExecuteFunctions,
	INodeCredentialDescription,
	INodeExecutionData,
	INodeType,
	INodeTypeDescription,
} from 'n8n-workflow';

import type { OffsetUnit } from '../shared/core/cadence';
import type { EhrKind, JourneyEvent } from '../shared/core/schemas';
import { templateCadence } from '../shared/core/timeline';
import type { TimelineCadence } from '../shared/core/timeline';
import {
	defaultStepNames,
	emptyPreviewNotice,
	journeyEventsFrom,
	journeyEventsFromJson,
	previewTimeline,
	recallsFromEhr,
	visitsFromEhr,
} from '../shared/flows/previewTimeline';
import type { PreviewStepNames } from '../shared/flows/previewTimeline';
import { nowIso } from '../shared/n8n/clock';
import { journeyStoreConnectionTest, practiceProfileTest, tebraConnectionTest } from '../shared/n8n/credentialTests';
import { ehrApiCredentials, ehrNameExpression, pollEhrOptions, recallEhrOptions } from '../shared/n8n/descriptions';
import { ehrAdapterFor } from '../shared/n8n/ehr';
import { toNodeError } from '../shared/n8n/errors';
import { failedItem } from '../shared/n8n/items';
import { practiceProfileFor, withJourneyStore } from '../shared/n8n/resources';

type Source = 'ehrVisits' | 'ehrRecalls' | 'inputItems' | 'json';

const fromEhr: Source[] = ['ehrVisits', 'ehrRecalls'];

/** The EHR credential only when the visits come from the EHR. */
const ehrCredentials: INodeCredentialDescription[] = ehrApiCredentials.map((credential) => ({
	...credential,
	displayOptions: { ...credential.displayOptions, show: { source: fromEhr } },
}));

const unitOptions = [
	{ name: 'Minutes', value: 'minutes' },
	{ name: 'Hours', value: 'hours' },
	{ name: 'Days', value: 'days' },
];

interface CadenceOptions {
	reminderAmount?: number;
	reminderUnit?: OffsetUnit;
	escalationAmount?: number;
	escalationUnit?: OffsetUnit;
	recallNudgeDays?: number;
	recallReminderDays?: number;
	recallEscalationDays?: number;
	stage3?: TimelineCadence['stage3'];
	reminderStep?: string;
	escalationStep?: string;
	recallNudgeStep?: string;
}

function stepNamesFrom(options: CadenceOptions): PreviewStepNames {
	const name = (value: string | undefined, fallback: string) => (value ?? '').trim() || fallback;
	return {
		recallNudge: name(options.recallNudgeStep, defaultStepNames.recallNudge),
		reminder: name(options.reminderStep, defaultStepNames.reminder),
		escalation: name(options.escalationStep, defaultStepNames.escalation),
	};
}

function cadenceFrom(options: CadenceOptions): TimelineCadence {
	const c = templateCadence;
	return {
		visitReminder: { amount: options.reminderAmount ?? c.visitReminder.amount, unit: options.reminderUnit ?? c.visitReminder.unit },
		visitEscalation: { amount: options.escalationAmount ?? c.visitEscalation.amount, unit: options.escalationUnit ?? c.visitEscalation.unit },
		recallNudge: { amount: options.recallNudgeDays ?? c.recallNudge.amount, unit: 'days' },
		recallReminder: { amount: options.recallReminderDays ?? c.recallReminder.amount, unit: 'days' },
		recallEscalation: { amount: options.recallEscalationDays ?? c.recallEscalation.amount, unit: 'days' },
		stage3: options.stage3 ?? c.stage3,
	};
}

/**
 * The visits to preview and, for each, the input item it came from. With "Continue On Fail", an input item
 * that is not a visit becomes an error item in `errors` and the others are still planned.
 */
async function journeysOf(
	context: IExecuteFunctions,
	source: Source,
	errors: INodeExecutionData[],
): Promise<{ events: JourneyEvent[]; itemIndexes: number[]; emptyNotice?: IDataObject }> {
	const now = nowIso();
	if (source === 'ehrVisits' || source === 'ehrRecalls') {
		const ehr = context.getNodeParameter('ehr', 0) as EhrKind;
		const days = Number(context.getNodeParameter('days', 0));
		const adapter = await ehrAdapterFor(context, ehr);
		const profile = await practiceProfileFor(context);
		if (source === 'ehrRecalls') {
			const events = await recallsFromEhr(adapter, profile, { now, days });
			return { events, itemIndexes: events.map(() => 0) };
		}
		const { visits, read } = await visitsFromEhr(adapter, profile, { now, days });
		return { events: visits, itemIndexes: visits.map(() => 0), emptyNotice: emptyPreviewNotice(read, days) };
	}
	if (source === 'json') {
		const events = journeyEventsFromJson(context.getNodeParameter('visitsJson', 0));
		return { events, itemIndexes: events.map(() => 0) };
	}
	const events: JourneyEvent[] = [];
	const itemIndexes: number[] = [];
	context.getInputData().forEach((item, itemIndex) => {
		try {
			events.push(journeyEventsFrom([item.json])[0]);
			itemIndexes.push(itemIndex);
		} catch (error) {
			const nodeError = toNodeError(context.getNode(), error, itemIndex);
			if (!context.continueOnFail()) throw nodeError;
			errors.push(failedItem(nodeError, itemIndex));
		}
	});
	return { events, itemIndexes };
}

export class TimelinePreview implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Timeline Preview',
		name: 'timelinePreview',
		icon: { light: 'file:timelinePreview.svg', dark: 'file:timelinePreview.dark.svg' },
		group: ['transform'],
		version: 1,
		subtitle: `={{"Dry run: " + ($parameter["source"] === "ehrVisits" ? "visits of the last " + $parameter["days"] + " days in " + ${ehrNameExpression} : $parameter["source"] === "ehrRecalls" ? "recalls of the next " + $parameter["days"] + " days in " + ${ehrNameExpression} : "given visits")}}`,
		description:
			'Dry run: one item per touch the journey would make (stage, channel, local send time, the rule that decided it). Sends nothing.',
		defaults: { name: 'Timeline Preview' },
		// A tool an AI agent may call: a dry run that sends and writes nothing.
		usableAsTool: true,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: [
			...ehrCredentials,
			{ name: 'practiceProfileApi', required: true, testedBy: 'practiceProfileTest' },
			{ name: 'journeyStoreApi', required: true, testedBy: 'journeyStoreConnectionTest' },
		],
		properties: [
			{
				displayName:
					'Sends nothing and writes nothing: it applies the practice profile (send window, closed days, holidays, caps, channel order), the opt-outs in the journey store and the messages it already counts today per patient and per phone number, assuming nothing gets booked. Check a change here before it goes live.',
				name: 'dryRunNotice',
				type: 'notice',
				default: '',
			},
			{
				displayName:
					'A journey already waiting in the journey store (Cadence Wait version 2) keeps its step\'s stored due time: a due time already computed stays as it is, and an edit of the Cadence Wait does not move it (column scheduledStep). Steps are matched to stages by the Step names under Cadence.',
				name: 'scheduledNotice',
				type: 'notice',
				default: '',
			},
			{
				displayName: 'Visits',
				name: 'source',
				type: 'options',
				noDataExpression: true,
				options: [
					{
						name: 'Visits Completed in the EHR',
						value: 'ehrVisits',
						description: 'Visits completed in the last N days, read only (athenahealth: the checked-out booked appointments of those days; others: as the poll trigger reads them, consuming nothing)',
					},
					{ name: 'Recalls Coming Due in the EHR', value: 'ehrRecalls', description: 'Recalls due in the next N days (FHIR R4 EHRs)' },
					{ name: 'Input Items', value: 'inputItems', description: 'Each input item is a visit or recall as Visit Details outputs it' },
					{ name: 'JSON List', value: 'json', description: 'Visit or recall events pasted as a JSON array' },
				],
				default: 'ehrVisits',
			},
			{ ...pollEhrOptions, displayOptions: { show: { source: ['ehrVisits'] } } },
			{ ...recallEhrOptions, displayOptions: { show: { source: ['ehrRecalls'] } } },
			{
				displayName:
					'Recalls are read from FHIR R4 EHRs only (active ServiceRequests). athenahealth, DrChrono and Tebra have no API that lists recalls: map the rows of a recall list (a CSV export or a Google Sheet) to recall events (kind "recall") and choose "Input Items" or "JSON List" above.',
				name: 'recallNotice',
				type: 'notice',
				default: '',
				displayOptions: { show: { source: ['ehrRecalls'] } },
			},
			{
				displayName: 'Days',
				name: 'days',
				type: 'number',
				typeOptions: { minValue: 1, maxValue: 90 },
				default: 7,
				description: 'Visits completed in the last N days, or recalls due in the next N days',
				displayOptions: { show: { source: fromEhr } },
			},
			{
				displayName: 'Visits (JSON)',
				name: 'visitsJson',
				type: 'json',
				default: '[]',
				description: 'An array of visit or recall events (the JSON Visit Details outputs)',
				displayOptions: { show: { source: ['json'] } },
			},
			{
				displayName: 'Cadence',
				name: 'cadence',
				type: 'collection',
				placeholder: 'Change a Wait',
				default: {},
				description: 'Defaults are the templates\' waits; make them match your workflow\'s Cadence Wait nodes',
				options: [
					{ displayName: 'Recall Nudge (Days Before Due)', name: 'recallNudgeDays', type: 'number', default: 30 },
					{
						displayName: 'Recall Nudge Step Name',
						name: 'recallNudgeStep',
						type: 'string',
						default: defaultStepNames.recallNudge,
						description: 'The Step of the recall workflow\'s Cadence Wait before the nudge (version 2)',
					},
					{ displayName: 'Recall Reminder (Days Before Due)', name: 'recallReminderDays', type: 'number', default: 14 },
					{ displayName: 'Recall Staff Task (Days Before Due)', name: 'recallEscalationDays', type: 'number', default: 7 },
					{ displayName: 'Reminder After Visit Close', name: 'reminderAmount', type: 'number', default: 2 },
					{
						displayName: 'Reminder Step Name',
						name: 'reminderStep',
						type: 'string',
						default: defaultStepNames.reminder,
						description: 'The Step of the Cadence Wait before stage 2 (version 2)',
					},
					{ displayName: 'Reminder Unit', name: 'reminderUnit', type: 'options', options: unitOptions, default: 'days' },
					{ displayName: 'Staff Task After Visit Close', name: 'escalationAmount', type: 'number', default: 7 },
					{
						displayName: 'Staff Task Step Name',
						name: 'escalationStep',
						type: 'string',
						default: defaultStepNames.escalation,
						description: 'The Step of the Cadence Wait before stage 3 (version 2)',
					},
					{ displayName: 'Staff Task Unit', name: 'escalationUnit', type: 'options', options: unitOptions, default: 'days' },
					{
						displayName: 'Stage-3 Touch',
						name: 'stage3',
						type: 'options',
						options: [
							{ name: 'Staff Task in the EHR', value: 'task' },
							{ name: 'Voice Message', value: 'voice' },
						],
						default: 'task',
					},
				],
			},
		],
	};

	methods = { credentialTest: { journeyStoreConnectionTest, practiceProfileTest, tebraConnectionTest } };

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const source = this.getNodeParameter('source', 0) as Source;
		const output: INodeExecutionData[] = [];
		try {
			const { events, itemIndexes, emptyNotice } = await journeysOf(this, source, output);
			const profile = await practiceProfileFor(this);
			const options = this.getNodeParameter('cadence', 0, {}) as CadenceOptions;
			const cadence = cadenceFrom(options);
			const stepNames = stepNamesFrom(options);
			const touches = await withJourneyStore(this, async (store) => await previewTimeline({ journeys: events, profile, cadence, stepNames, store, now: nowIso() }));
			for (const touch of touches) {
				output.push({ json: touch as unknown as IDataObject, pairedItem: { item: itemIndexes[touch.journeyIndex] } });
			}
			// An empty output would leave ops guessing whether the EHR was read at all.
			if (touches.length === 0 && emptyNotice) output.push({ json: emptyNotice, pairedItem: { item: 0 } });
			return [output];
		} catch (error) {
			const nodeError = toNodeError(this.getNode(), error, 0);
			if (!this.continueOnFail()) throw nodeError;
			return [[...output, failedItem(nodeError, 0)]];
		}
	}
}
