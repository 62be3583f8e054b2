import { NodeConnectionTypes } from 'n8n-workflow';
import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties, INodeType, INodeTypeDescription } from 'n8n-workflow';

import { DomainError } from '../shared/core/errors';
import { parseTypeFilter } from '../shared/core/journalView';
import { lookupFilterOf } from '../shared/core/journeyTimeline';
import { instantInZone } from '../shared/core/report';
import { patientKeyOf } from '../shared/core/schemas';
import type { EhrKind } from '../shared/core/schemas';
import { readJourneyLog } from '../shared/flows/journeyLog';
import type { JourneyLogQuery } from '../shared/flows/journeyLog';
import { nowIso } from '../shared/n8n/clock';
import { journeyStoreConnectionTest } from '../shared/n8n/credentialTests';
import { ehrOptions } from '../shared/n8n/descriptions';
import { routeEachItem } from '../shared/n8n/items';
import { dateParameter, periodOf, periodProperties } from '../shared/n8n/reportPeriod';
import { withJourneyStore } from '../shared/n8n/resources';
import type { StepState } from '../shared/store/types';

const stepStates: StepState[] = ['scheduled', 'claimed', 'failed', 'orphaned'];
/** The journal's period and type filter do not apply to the steps in the store; a lookup's day is its period. */
const notForSteps = { hide: { output: ['steps'] } };
const notForLookup = { hide: { find: ['lookup'] } };

/** Adds "hide for steps" to a property, keeping the conditions it already has. */
function journalOnly(property: INodeProperties): INodeProperties {
	return { ...property, displayOptions: { ...property.displayOptions, hide: { ...property.displayOptions?.hide, ...notForSteps.hide } } };
}

function required(value: unknown, field: string, what: string): string {
	const text = String(value ?? '').trim();
	if (!text) throw new DomainError(`"${what}" is empty`, 'invalid_input', field);
	return text;
}

/** A lookup by patient or day, as a form asks it: the day runs midnight to midnight in the workflow's zone. */
function lookupOf(context: IExecuteFunctions, itemIndex: number): Pick<JourneyLogQuery, 'patientKey' | 'from' | 'to' | 'types' | 'timeline'> {
	const zone = context.getTimezone();
	const filter = lookupFilterOf(
		{
			ehr: context.getNodeParameter('lookupEhr', itemIndex) as EhrKind,
			practiceId: String(context.getNodeParameter('lookupPracticeId', itemIndex, '') ?? ''),
			patientId: String(context.getNodeParameter('lookupPatientId', itemIndex, '') ?? ''),
			day: dateParameter(context, 'lookupDay', itemIndex),
		},
		zone,
	);
	return {
		patientKey: filter.patientKey,
		from: filter.from,
		to: filter.to,
		types: parseTypeFilter(context.getNodeParameter('types', itemIndex, '') as string),
		timeline: { fallbackZone: zone, described: filter.described },
	};
}

function filterOf(context: IExecuteFunctions, itemIndex: number): Pick<JourneyLogQuery, 'patientKey' | 'journeyId'> {
	const find = context.getNodeParameter('find', itemIndex) as 'all' | 'patient' | 'journey' | 'lookup';
	if (find === 'patient') {
		if (context.getNodeParameter('patientBy', itemIndex) === 'patientKey') {
			return { patientKey: required(context.getNodeParameter('patientKey', itemIndex), 'patientKey', 'Patient Key') };
		}
		const practiceId = String(context.getNodeParameter('practiceId', itemIndex, '') ?? '').trim();
		return {
			patientKey: patientKeyOf({
				ehr: context.getNodeParameter('patientEhr', itemIndex) as EhrKind,
				practiceId: practiceId || undefined,
				patientId: required(context.getNodeParameter('patientId', itemIndex), 'patientId', 'Patient ID'),
			}),
		};
	}
	if (find === 'journey') {
		const by = context.getNodeParameter('journeyBy', itemIndex) as 'journeyId' | 'visit' | 'recall';
		if (by === 'journeyId') return { journeyId: required(context.getNodeParameter('journeyId', itemIndex), 'journeyId', 'Journey ID') };
		const ehr = context.getNodeParameter('journeyEhr', itemIndex) as EhrKind;
		return { journeyId: `${by}:${ehr}:${required(context.getNodeParameter('sourceId', itemIndex), 'sourceId', 'Visit or Recall ID')}` };
	}
	return {};
}

function journalFilterOf(context: IExecuteFunctions, itemIndex: number, now: string): Pick<JourneyLogQuery, 'patientKey' | 'journeyId' | 'from' | 'to' | 'types' | 'timeline'> {
	if (context.getNodeParameter('find', itemIndex) === 'lookup') return lookupOf(context, itemIndex);
	const period = periodOf(context, itemIndex, now);
	return {
		...filterOf(context, itemIndex),
		from: period.from,
		to: period.to,
		types: parseTypeFilter(context.getNodeParameter('types', itemIndex, '') as string),
		timeline: { fallbackZone: context.getTimezone(), described: 'the period' },
	};
}

function stepFilterOf(context: IExecuteFunctions, itemIndex: number): Pick<JourneyLogQuery, 'types' | 'stepStates' | 'dueBefore'> {
	const states = context.getNodeParameter('stepStates', itemIndex, stepStates) as StepState[];
	const dueBefore = dateParameter(context, 'stepsDueBefore', itemIndex).trim();
	return {
		types: [],
		stepStates: states.length ? states : undefined,
		dueBefore: dueBefore ? instantInZone(dueBefore, context.getTimezone(), 'stepsDueBefore') : undefined,
	};
}

export class JourneyLog implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Journey Log',
		name: 'journeyLog',
		icon: { light: 'file:journeyLog.svg', dark: 'file:journeyLog.dark.svg' },
		group: ['input'],
		version: 1,
		subtitle:
			'={{$parameter["output"] === "journeys" ? "One item per journey" : $parameter["output"] === "steps" ? "One item per waiting step" : $parameter["output"] === "timeline" ? "Timeline in plain words" : "One item per journal row"}}',
		description:
			'Reads the journey store\'s audit journal (kept after n8n prunes executions) and the steps journeys wait for: by patient, visit or date',
		defaults: { name: 'Journey Log' },
		// A tool an AI agent may call: it only reads the journey store (ids, channels, times; never message text).
		usableAsTool: true,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: 'journeyStoreApi', required: true, testedBy: 'journeyStoreConnectionTest' }],
		properties: [
			{
				displayName:
					'Read-only. Rows hold IDs, channels, times and codes, never message text. Each row has the same columns, so a Data Table node (Insert, Map Automatically) can copy them into an n8n data table.',
				name: 'readOnlyNotice',
				type: 'notice',
				default: '',
			},
			{
				displayName: 'Find',
				name: 'find',
				type: 'options',
				noDataExpression: true,
				options: [
					{ name: 'Everything in the Period', value: 'all' },
					{ name: 'One Patient', value: 'patient' },
					{ name: 'One Visit or Recall', value: 'journey' },
					{
						name: 'Patient or Day (E.g. From a Form)',
						value: 'lookup',
						description: 'A patient ID, a day, or both, each possibly empty: what a lookup form asks',
					},
				],
				default: 'all',
			},
			{ ...ehrOptions, name: 'lookupEhr', displayOptions: { show: { find: ['lookup'] } } },
			{
				displayName: 'Practice ID',
				name: 'lookupPracticeId',
				type: 'string',
				default: '',
				description: 'The athenahealth practice ID; leave empty for the other EHRs',
				displayOptions: { show: { find: ['lookup'] } },
			},
			{
				displayName: 'Patient ID',
				name: 'lookupPatientId',
				type: 'string',
				default: '',
				description: 'The patient\'s ID in the EHR. Empty: every patient with an event on the day.',
				displayOptions: { show: { find: ['lookup'] } },
			},
			{
				displayName: 'Day',
				name: 'lookupDay',
				type: 'string',
				default: '',
				placeholder: '2026-12-07',
				description: 'Journeys with an event on this day (midnight to midnight in the workflow\'s time zone). Empty: any day.',
				displayOptions: { show: { find: ['lookup'] } },
			},
			{
				displayName: 'Patient By',
				name: 'patientBy',
				type: 'options',
				noDataExpression: true,
				options: [
					{ name: 'EHR and Patient ID', value: 'ehrId' },
					{ name: 'Patient Key', value: 'patientKey', description: 'As in the journal: ehr:practice:patientId, e.g. athenahealth:195900:1234' },
				],
				default: 'ehrId',
				displayOptions: { show: { find: ['patient'] } },
			},
			{
				displayName: 'Patient Key',
				name: 'patientKey',
				type: 'string',
				default: '',
				placeholder: 'fhir:Patient-123',
				displayOptions: { show: { find: ['patient'], patientBy: ['patientKey'] } },
			},
			{ ...ehrOptions, name: 'patientEhr', displayOptions: { show: { find: ['patient'], patientBy: ['ehrId'] } } },
			{
				displayName: 'Practice ID',
				name: 'practiceId',
				type: 'string',
				default: '',
				description: 'The athenahealth practice ID; leave empty for FHIR and DrChrono',
				displayOptions: { show: { find: ['patient'], patientBy: ['ehrId'] } },
			},
			{
				displayName: 'Patient ID',
				name: 'patientId',
				type: 'string',
				default: '',
				description: 'The patient\'s ID in the EHR',
				displayOptions: { show: { find: ['patient'], patientBy: ['ehrId'] } },
			},
			{
				displayName: 'Journey By',
				name: 'journeyBy',
				type: 'options',
				noDataExpression: true,
				options: [
					{ name: 'EHR and Visit ID', value: 'visit', description: 'The appointment or encounter ID in the EHR' },
					{ name: 'EHR and Recall ID', value: 'recall' },
					{ name: 'Journey ID', value: 'journeyId', description: 'As in the journal, e.g. visit:fhir:enc-1' },
				],
				default: 'visit',
				displayOptions: { show: { find: ['journey'] } },
			},
			{
				displayName: 'Journey ID',
				name: 'journeyId',
				type: 'string',
				default: '',
				placeholder: 'visit:fhir:Encounter-123',
				displayOptions: { show: { find: ['journey'], journeyBy: ['journeyId'] } },
			},
			{ ...ehrOptions, name: 'journeyEhr', displayOptions: { show: { find: ['journey'], journeyBy: ['visit', 'recall'] } } },
			{
				displayName: 'Visit or Recall ID',
				name: 'sourceId',
				type: 'string',
				default: '',
				displayOptions: { show: { find: ['journey'], journeyBy: ['visit', 'recall'] } },
			},
			...periodProperties(['lastDays', 'previousDays', 'custom', 'any'], 'lastDays', 'journal rows to read')
				.map(journalOnly)
				.map((property) => ({ ...property, displayOptions: { ...property.displayOptions, hide: { ...property.displayOptions?.hide, ...notForLookup.hide } } })),
			journalOnly({
				displayName: 'Types',
				name: 'types',
				type: 'string',
				default: '',
				placeholder: 'touch.*, followup.booked, task.created',
				description: 'Journal types to keep, comma-separated; a trailing * matches a family. Empty: all.',
			}),
			{
				displayName: 'Output',
				name: 'output',
				type: 'options',
				noDataExpression: true,
				options: [
					{ name: 'One Item per Journal Row', value: 'rows' },
					{
						name: 'One Item per Journey',
						value: 'journeys',
						description: 'Where each journey with a matching row stands: started, stages sent, booked, task, its step, last event',
					},
					{
						name: 'Timeline in Plain Words',
						value: 'timeline',
						description: 'One item per journey: its whole journal as one line per event, in the journey\'s time zone; one item saying so when nothing is found',
					},
					{
						name: 'One Item per Waiting Step',
						value: 'steps',
						description: 'What each journey is waiting for and when: the steps Cadence Waits scheduled in the journey store',
					},
				],
				default: 'rows',
			},
			{
				displayName:
					'A due time already computed stays as it is: editing a Cadence Wait changes only steps scheduled after the edit. Steps of a workflow that was deleted, switched off or had its step renamed stay here until a person acts.',
				name: 'stepsNotice',
				type: 'notice',
				default: '',
				displayOptions: { show: { output: ['steps'] } },
			},
			{
				displayName: 'Step States',
				name: 'stepStates',
				type: 'multiOptions',
				options: [
					{ name: 'Claimed (Being Resumed)', value: 'claimed' },
					{ name: 'Failed (Set Aside for Staff)', value: 'failed' },
					{ name: 'Orphaned (No Trigger Output of Its Name)', value: 'orphaned' },
					{ name: 'Scheduled (Waiting for Its Time)', value: 'scheduled' },
				],
				default: [...stepStates],
				displayOptions: { show: { output: ['steps'] } },
				description: 'Which steps to list. Empty: all.',
			},
			{
				displayName: 'Due Before',
				name: 'stepsDueBefore',
				type: 'dateTime',
				default: '',
				displayOptions: { show: { output: ['steps'] } },
				description: 'Only steps due before this time (in the workflow\'s time zone). Empty: any due time.',
			},
			{
				displayName: 'Only Overdue Journeys',
				name: 'onlyOverdue',
				type: 'boolean',
				default: false,
				displayOptions: { show: { output: ['journeys'] } },
				description:
					'Whether to keep only journeys that need a person: a step not resumed more than the grace below after its time (workflow off, deleted, or its step renamed), a step set aside for staff, or a version-1 wait whose n8n execution was lost. Steps are found in the store whatever the period.',
			},
			{
				displayName: 'Overdue After (Minutes)',
				name: 'overdueGraceMinutes',
				type: 'number',
				typeOptions: { minValue: 0 },
				default: 60,
				displayOptions: { show: { output: ['journeys'], onlyOverdue: [true] } },
				description: 'How long past its time a journey may still be on its way (due steps are resumed within a minute; a held send waits for the window)',
			},
			{
				displayName: 'Became Overdue Within (Hours)',
				name: 'overdueWithinHours',
				type: 'number',
				typeOptions: { minValue: 0 },
				default: 0,
				displayOptions: { show: { output: ['journeys'], onlyOverdue: [true] } },
				description:
					'Only journeys that became overdue (or whose step was set aside) in this many hours before now, so a daily check reports each one once. 0: whenever.',
			},
			{
				displayName: 'Order',
				name: 'order',
				type: 'options',
				noDataExpression: true,
				options: [
					{ name: 'Newest First', value: 'newest' },
					{ name: 'Oldest First', value: 'oldest' },
				],
				default: 'newest',
			},
			{
				displayName: 'Return All',
				name: 'returnAll',
				type: 'boolean',
				default: false,
				description: 'Whether to return all results or only up to a given limit',
			},
			{
				displayName: 'Limit',
				name: 'limit',
				type: 'number',
				typeOptions: { minValue: 1 },
				default: 50,
				description: 'Max number of results to return',
				displayOptions: { show: { returnAll: [false] } },
			},
		],
	};

	methods = { credentialTest: { journeyStoreConnectionTest } };

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const now = nowIso();
		return await withJourneyStore(this, async (store) =>
			await routeEachItem(this, 1, async (_item, itemIndex) => {
				const output = this.getNodeParameter('output', itemIndex) as JourneyLogQuery['output'];
				const query: JourneyLogQuery = {
					...(output === 'steps' ? { ...filterOf(this, itemIndex), ...stepFilterOf(this, itemIndex) } : journalFilterOf(this, itemIndex, now)),
					order: this.getNodeParameter('order', itemIndex) as JourneyLogQuery['order'],
					output,
					limit: this.getNodeParameter('returnAll', itemIndex) ? undefined : Number(this.getNodeParameter('limit', itemIndex)),
				};
				if (query.output === 'journeys' && this.getNodeParameter('onlyOverdue', itemIndex, false)) {
					query.overdue = {
						now,
						graceMinutes: Number(this.getNodeParameter('overdueGraceMinutes', itemIndex, 60)),
						withinHours: Number(this.getNodeParameter('overdueWithinHours', itemIndex, 0)),
					};
				}
				const rows = await readJourneyLog(store, query);
				return rows.map((row) => ({ output: 0, json: row as IDataObject }));
			}),
		);
	}
}
