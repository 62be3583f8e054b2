import { NodeOperationError } from 'n8n-workflow';
import type { INodeType, INodeTypeDescription, ITriggerFunctions, ITriggerResponse } from 'n8n-workflow';

import type { ReleaseBucket } from '../shared/core/resume';
import { journeyStoreConnectionTest, practiceProfileTest, tebraConnectionTest } from '../shared/n8n/credentialTests';
import { ehrApiCredentials, ehrNameExpression, ehrOptions, journeyCredentials } from '../shared/n8n/descriptions';
import { dueStepSettings, NEEDS_STAFF_OUTPUT, previewDueJourneys, resumeDueJourneys } from '../shared/n8n/dueSteps';

/** The outputs follow the Steps list (the editor evaluates it): one per step, then Needs Staff. */
const stepOutputs = `={{[...((($parameter.steps || {}).step) || []).map((entry) => ({ type: 'main', displayName: String(entry.name || '').trim() || '(unnamed)' })), { type: 'main', displayName: '${NEEDS_STAFF_OUTPUT}' }]}}` as const;

export class JourneyDueTrigger implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Journey Due Trigger',
		name: 'journeyDueTrigger',
		icon: { light: 'file:journeyDueTrigger.svg', dark: 'file:journeyDueTrigger.dark.svg' },
		group: ['trigger'],
		version: 1,
		subtitle: `={{"Resumes " + (($parameter["steps"] || {}).step || []).length + " step(s) from " + ${ehrNameExpression}}}`,
		description: 'Resumes the journeys of this workflow whose next step (a Cadence Wait) is due, in batches',
		defaults: { name: 'Journey Due Trigger' },
		inputs: [],
		outputs: stepOutputs,
		credentials: [...ehrApiCredentials, ...journeyCredentials],
		properties: [
			{
				displayName:
					'Every Cadence Wait of this workflow records the journey\'s next step under its <b>Step</b> name. List each name here and connect its output: the journey goes on from there with the workflow as it is published at that moment. Turning the workflow off pauses its journeys; "Outreach Paused" in the Practice Profile holds every message of the practice.',
				name: 'howItWorks',
				type: 'notice',
				default: '',
			},
			ehrOptions,
			{
				displayName: 'Steps',
				name: 'steps',
				type: 'fixedCollection',
				typeOptions: { multipleValues: true, sortable: true },
				placeholder: 'Add Step',
				default: { step: [{ name: 'Reminder' }] },
				description: 'The Step names of this workflow\'s Cadence Waits; each becomes an output of the same name',
				options: [
					{
						displayName: 'Step',
						name: 'step',
						values: [
							{
								displayName: 'Name',
								name: 'name',
								type: 'string',
								default: '',
								placeholder: 'e.g. Reminder',
								description: 'Exactly as in the Cadence Wait\'s "Step" field',
							},
						],
					},
				],
			},
			{
				displayName: 'Options',
				name: 'options',
				type: 'collection',
				placeholder: 'Add Option',
				default: {},
				options: [
					{
						displayName: 'Backlog Release Rate (per Minute)',
						name: 'backlogPerMinute',
						type: 'number',
						typeOptions: { minValue: 0 },
						default: 60,
						description:
							'Steps more than 15 minutes late (after a pause, the workflow turned off, n8n down) go out at most this many a minute; 0 means no limit. The send window and caps apply as always.',
					},
					{
						displayName: 'Batch Size',
						name: 'batchSize',
						type: 'number',
						typeOptions: { minValue: 1, maxValue: 1000 },
						default: 100,
						description: 'Most journeys resumed in one execution',
					},
					{
						displayName: 'Batches in Flight',
						name: 'batchesInFlight',
						type: 'number',
						typeOptions: { minValue: 1, maxValue: 100 },
						default: 5,
						description: 'Most batches of this workflow running at once; the rest wait in the journey store',
					},
					{
						displayName: 'Check Every (Seconds)',
						name: 'checkEverySeconds',
						type: 'number',
						typeOptions: { minValue: 1, maxValue: 3600 },
						default: 15,
					},
					{
						displayName: 'Lease (Minutes)',
						name: 'leaseMinutes',
						type: 'number',
						typeOptions: { minValue: 1, maxValue: 1440 },
						default: 10,
						description:
							'How long a batch has to act on its journeys before they are handed out again (messages are never sent twice)',
					},
					{
						displayName: 'Maximum Attempts',
						name: 'maxAttempts',
						type: 'number',
						typeOptions: { minValue: 1, maxValue: 20 },
						default: 3,
						description: 'A step handed out this many times with no node finishing it goes to "Needs Staff"',
					},
				],
			},
		],
	};

	methods = { credentialTest: { journeyStoreConnectionTest, practiceProfileTest, tebraConnectionTest } };

	async trigger(this: ITriggerFunctions): Promise<ITriggerResponse> {
		const settings = dueStepSettings(this);
		if (this.getMode() === 'manual') {
			return { manualTriggerFunction: async () => this.emit(await previewDueJourneys(this, settings)) };
		}
		let bucket: ReleaseBucket | undefined;
		let running = false;
		let failing = false;
		const check = async () => {
			if (running) return;
			running = true;
			try {
				bucket = await resumeDueJourneys(this, settings, bucket);
				failing = false;
			} catch (error) {
				this.logger.warn(`Journey Due Trigger: the check failed (${(error as Error).name}); it runs again in ${settings.checkEveryMs / 1000} s`);
				// One failed execution (and so one Error Alert) when checks start failing, not one per check.
				if (!failing) this.saveFailedExecution(new NodeOperationError(this.getNode(), error as Error));
				failing = true;
			} finally {
				running = false;
			}
		};
		const timer = setInterval(() => void check(), settings.checkEveryMs);
		void check();
		return { closeFunction: async () => clearInterval(timer) };
	}
}
