import { join } from 'node:path';

import { DateTime } from 'luxon';
import { PollContext, commitStagedCursor, runPollInStagingScope } from 'n8n-core';
import type { ICredentialDataDecryptedObject, IDataObject, INodeExecutionData, INodeParameters } from 'n8n-workflow';

import { EhrPollTrigger } from '../../nodes/EhrPollTrigger/EhrPollTrigger.node';
import { VisitDetails } from '../../nodes/VisitDetails/VisitDetails.node';
import type { EhrKind } from '../../nodes/shared/core/schemas';
import { openAthenaVisit } from '../../sandbox/athena-demo';
import { demoPatients } from '../../sandbox/demo-patients';
import { openDrChronoVisit } from '../../sandbox/drchrono-demo';
import { closeFhirVisit, ensureFhirPatient } from '../../sandbox/fhir-demo';
import { createResource } from '../../sandbox/fhir-server';
import { useEhrSandboxes } from '../helpers/ehrSandboxes';
import { createEngine, runWorkflow } from '../helpers/engine';
import { journeyStoreCredential, packCredentialTypes, practiceProfileCredential, tempDir } from '../helpers/fixtures';

/*
 * Scheduled polls run the node in n8n-core's PollContext the way n8n 2.41.1 runs them
 * (cli trigger-execution-context.factory + core PollTriggerExecutor): the node's static data is a staged copy of
 * the persisted cursor for the length of one poll; a poll returning null commits it, a poll returning items
 * commits it with the execution it starts, a poll that throws commits nothing. "Fetch test event" runs the node
 * through WorkflowExecute in manual mode, as the editor does.
 */

const trigger = new EhrPollTrigger();
const sandbox = useEhrSandboxes();

beforeAll(() => {
	// The practice subscribed to athena's appointment changed feed (otherwise athena queues nothing).
	sandbox.athena.state.subscription.active = true;
});

/** DrChrono writes naive local times to the second: finish visits in a later second than the cursor. */
async function nextSecond(): Promise<void> {
	await new Promise((resolve) => setTimeout(resolve, 1005 - (Date.now() % 1000)));
}

interface PollSource {
	ehr: EhrKind;
	credentials(): Record<string, ICredentialDataDecryptedObject>;
	/** Finishes a visit in the EHR now; returns the id the trigger's event names. */
	finishVisit(): Promise<string>;
	/** A visit finished before the trigger was turned on. */
	finishVisitBeforeActivation(): Promise<string>;
	/** The EHR answers 429 (Retry-After: 0) until the adapter gives up. */
	failUntilGivenUp(): void;
}

let patientCounter = 0;

const sources: PollSource[] = [
	{
		ehr: 'fhir',
		credentials: () => sandbox.credentials('fhir'),
		async finishVisit() {
			const patientId = await ensureFhirPatient(sandbox.fhir, { ...demoPatients[1]!, key: `poll-${++patientCounter}` });
			return (await closeFhirVisit(sandbox.fhir, patientId, { completedAt: new Date().toISOString() })).encounterId;
		},
		async finishVisitBeforeActivation() {
			return await this.finishVisit();
		},
		failUntilGivenUp: () => sandbox.fhir.injectFaults(...Array.from({ length: 4 }, () => ({ status: 429 as const, retryAfterSeconds: 0 }))),
	},
	{
		ehr: 'athenahealth',
		credentials: () => sandbox.credentials('athenahealth'),
		async finishVisit() {
			const { appointmentId } = openAthenaVisit(sandbox.athena, demoPatients[patientCounter++ % demoPatients.length]!);
			sandbox.athena.checkOut(appointmentId);
			return appointmentId;
		},
		async finishVisitBeforeActivation() {
			// Still queued in the feed, but checked out well before the trigger was turned on (athena keeps 6 h).
			const { appointmentId } = openAthenaVisit(sandbox.athena, demoPatients[patientCounter++ % demoPatients.length]!);
			sandbox.athena.checkOut(appointmentId, DateTime.now().minus({ hours: 7 }).toJSDate());
			return appointmentId;
		},
		failUntilGivenUp: () => sandbox.athena.injectFault({ status: 429, retryAfter: '0', times: 4 }),
	},
	{
		ehr: 'drchrono',
		credentials: () => sandbox.credentials('drchrono'),
		async finishVisit() {
			await nextSecond();
			const { appointmentId } = openDrChronoVisit(sandbox.drchrono, demoPatients[0]!);
			await sandbox.drchrono.completeAppointment(appointmentId);
			return appointmentId;
		},
		async finishVisitBeforeActivation() {
			const { appointmentId } = openDrChronoVisit(sandbox.drchrono, demoPatients[0]!);
			await sandbox.drchrono.completeAppointment(appointmentId);
			await nextSecond();
			return appointmentId;
		},
		failUntilGivenUp: () => sandbox.drchrono.injectFault({ status: 429, retryAfterSeconds: 0, pathPrefix: '/api/appointments', times: 4 }),
	},
];

interface PollOutcome {
	items: IDataObject[] | null;
	error?: Error & { description?: string };
}

/** An activated EHR Poll Trigger: each poll() is one scheduled poll; `cursor` is what n8n has persisted. */
function activatedTrigger(source: PollSource, parameters: INodeParameters = { event: 'visitCompleted' }, persistedCursor: IDataObject = {}) {
	const engine = createEngine(
		{ nodes: [{ name: 'EHR Poll Trigger', type: 'n8n-nodes-post-visit.ehrPollTrigger', parameters: { ehr: source.ehr, ...parameters } }], connections: {} },
		{
			nodeTypes: { ehrPollTrigger: trigger },
			credentials: { ...source.credentials(), practiceProfileApi: practiceProfileCredential() },
			credentialTypes: packCredentialTypes(),
		},
	);
	const node = engine.node('EHR Poll Trigger');
	let persisted: IDataObject = structuredClone(persistedCursor);
	return {
		cursor: () => structuredClone(persisted),
		async poll(): Promise<PollOutcome> {
			let staged: IDataObject | undefined;
			let emitted: INodeExecutionData[][] | null = null;
			let failure: Error | undefined;
			const context = new PollContext(
				engine.workflow,
				node,
				engine.additionalData,
				'trigger',
				'activate',
				(data) => {
					emitted = data;
					persisted = structuredClone(staged!);
				},
				(error) => {
					failure = error;
				},
				async () => {
					persisted = structuredClone(staged!);
				},
				async (poll) => {
					staged = structuredClone(persisted);
					try {
						return await poll();
					} finally {
						staged = undefined;
					}
				},
				() => {
					if (!staged) throw new Error('static data read outside a poll');
					return staged;
				},
			);
			try {
				await runPollInStagingScope(context, async () => {
					const response = await trigger.poll.call(context);
					if (response !== null) context.__emit(response);
					else await commitStagedCursor(context);
				});
			} catch (error) {
				context.__emitError(error as Error);
			}
			return { items: emitted === null ? null : (emitted as INodeExecutionData[][])[0]!.map((item) => item.json), error: failure };
		},
	};
}

describe.each(sources)('EHR Poll Trigger against the local $ehr server', (source) => {
	it('starts from "now" on its first poll: sets the cursor, emits nothing, and never replays visits finished before', async () => {
		const before = await source.finishVisitBeforeActivation();
		const poller = activatedTrigger(source);
		const activatedAt = Date.now();
		const first = await poller.poll();
		expect(first).toEqual({ items: null, error: undefined });
		const since = (poller.cursor().poll as { cursor: { since: string } }).cursor.since;
		expect(Date.parse(since)).toBeGreaterThanOrEqual(activatedAt);
		expect(Date.parse(since)).toBeLessThanOrEqual(Date.now());

		const second = await poller.poll();
		expect(second.error).toBeUndefined();
		expect((second.items ?? []).map((item) => item.resourceId)).not.toContain(before);
	});

	it('emits a visit finished after activation on the next poll, once, and moves the cursor', async () => {
		const poller = activatedTrigger(source);
		await poller.poll();
		const firstCursor = poller.cursor();
		const visitId = await source.finishVisit();

		const next = await poller.poll();
		expect(next.error).toBeUndefined();
		expect(next.items).toEqual([
			expect.objectContaining({ ehr: source.ehr, resourceType: expect.stringMatching(/^(Encounter|Appointment)$/), resourceId: visitId }),
		]);
		expect(poller.cursor()).not.toEqual(firstCursor);

		const after = await poller.poll();
		expect(after).toEqual({ items: null, error: undefined });
	});

	it('keeps the old cursor when a poll fails, so the next poll still brings the visit', async () => {
		const poller = activatedTrigger(source);
		await poller.poll();
		const visitId = await source.finishVisit();
		const cursorBefore = poller.cursor();

		source.failUntilGivenUp();
		const failed = await poller.poll();
		expect(failed.items).toBeNull();
		expect(failed.error).toMatchObject({ name: 'NodeApiError', message: expect.stringMatching(new RegExp(`^${source.ehr} answered 429 .*retry the execution`)) });
		expect(poller.cursor()).toEqual(cursorBefore);

		const recovered = await poller.poll();
		expect(recovered.error).toBeUndefined();
		expect((recovered.items ?? []).map((item) => item.resourceId)).toEqual([visitId]);
	});

	it('"Fetch test event" (manual run through n8n\'s engine) returns one visit for Visit Details and moves no cursor', async () => {
		const visitId = await source.finishVisit();
		const staticData: IDataObject = { 'node:Fixture': { poll: { cursor: { since: '2026-01-01T00:00:00.000Z' } } } };
		const result = await runWorkflow(
			{
				nodes: [
					// WorkflowExecute starts at "Fixture": here the poll trigger itself, run as the editor runs it.
					{ name: 'Fixture', type: 'n8n-nodes-post-visit.ehrPollTrigger', parameters: { ehr: source.ehr, event: 'visitCompleted' } },
					{ name: 'Visit Details', type: 'n8n-nodes-post-visit.visitDetails', parameters: { ehr: source.ehr } },
				],
				connections: { Fixture: { main: [[{ node: 'Visit Details', type: 'main' as const, index: 0 }]] } },
			},
			{
				nodeTypes: { ehrPollTrigger: trigger, visitDetails: new VisitDetails() },
				credentials: {
					...source.credentials(),
					practiceProfileApi: practiceProfileCredential(),
					journeyStoreApi: journeyStoreCredential(join(tempDir(), 'journey.sqlite')),
				},
				credentialTypes: packCredentialTypes(),
				staticData,
				mode: 'manual',
			},
		);
		expect(result.error('Fixture')).toBeUndefined();
		expect(result.output('Fixture')).toEqual([expect.objectContaining({ ehr: source.ehr, resourceId: visitId })]);
		expect(result.output('Visit Details')).toEqual([expect.objectContaining({ kind: 'visit', visitId })]);
		expect(staticData).toEqual({ 'node:Fixture': { poll: { cursor: { since: '2026-01-01T00:00:00.000Z' } } } });
		expect((staticData as { __dataChanged?: boolean }).__dataChanged).toBe(false);
		if (source.ehr === 'athenahealth') {
			// athena's feed is a destructive read: a test fetch must leave the change for the real poll.
			const change = sandbox.athena.state.changedFeed.find((entry) => entry.record.appointmentid === visitId);
			expect(change?.processedAt).toBeUndefined();
		}
	});
});

describe('EHR Poll Trigger "Recall Coming Due" against the local FHIR server', () => {
	const fhirSource = sources[0]!;
	// The practice profile's default zone: recall dates are local dates there.
	const today = () => DateTime.now().setZone('America/Chicago').startOf('day');

	async function recallDueIn(days: number): Promise<string> {
		const patientId = await ensureFhirPatient(sandbox.fhir, { ...demoPatients[1]!, key: `recall-${++patientCounter}` });
		const order = await createResource(sandbox.fhir.repo, {
			resourceType: 'ServiceRequest',
			status: 'active',
			intent: 'order',
			subject: { reference: `Patient/${patientId}` },
			code: { coding: [{ system: 'http://snomed.info/sct', code: '390906007' }], text: 'Follow-up visit' },
			occurrenceDateTime: today().plus({ days, hours: 10 }).toISO() as string,
		});
		return order.id;
	}

	it('does not chase recalls already inside the lead time when turned on, and marks the horizon', async () => {
		const soon = await recallDueIn(10);
		const poller = activatedTrigger(fhirSource, { event: 'recallDue', recallLeadDays: 30 });
		expect(await poller.poll()).toEqual({ items: null, error: undefined });
		expect(poller.cursor()).toEqual({ poll: { recallsThrough: today().plus({ days: 30 }).toISODate() } });
		const again = await poller.poll();
		expect((again.items ?? []).map((item) => item.recallId)).not.toContain(soon);
	});

	it('emits a recall once, on the day it comes within the lead time', async () => {
		const soon = await recallDueIn(10);
		const due = await recallDueIn(30);
		// The last poll ran yesterday: its horizon was yesterday + 30 days.
		const poller = activatedTrigger(fhirSource, { event: 'recallDue', recallLeadDays: 30 }, {
			poll: { recallsThrough: today().plus({ days: 29 }).toISODate() },
		});
		const polled = await poller.poll();
		expect(polled.error).toBeUndefined();
		expect(polled.items).toEqual([
			expect.objectContaining({ kind: 'recall', ehr: 'fhir', recallId: due, dueDate: today().plus({ days: 30 }).toISODate() }),
		]);
		expect(polled.items!.map((item) => item.recallId)).not.toContain(soon);
		expect(poller.cursor()).toEqual({ poll: { recallsThrough: today().plus({ days: 30 }).toISODate() } });
		expect(await poller.poll()).toEqual({ items: null, error: undefined });
	});
});
