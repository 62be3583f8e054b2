import { join } from 'node:path';

import { DateTime } from 'luxon';
import type { IDataObject, INodeExecutionData, INodeParameters } from 'n8n-workflow';

import { BookingCheck } from '../../nodes/BookingCheck/BookingCheck.node';
import { CadenceWait } from '../../nodes/CadenceWait/CadenceWait.node';
import { ChannelRouter } from '../../nodes/ChannelRouter/ChannelRouter.node';
import { EhrTask } from '../../nodes/EhrTask/EhrTask.node';
import { JourneyDueTrigger } from '../../nodes/JourneyDueTrigger/JourneyDueTrigger.node';
import { PatientMessage } from '../../nodes/PatientMessage/PatientMessage.node';
import { VisitDetails } from '../../nodes/VisitDetails/VisitDetails.node';
import type { JourneyTrail } from '../../nodes/shared/core/trail';
import { openJourneyStore } from '../../nodes/shared/store';
import type { JourneyStore } from '../../nodes/shared/store/types';
import { demoPatients } from '../../sandbox/demo-patients';
import { bookFhirFollowUp, closeFhirVisit, ensureFhirPatient, fhirBackportNotification } from '../../sandbox/fhir-demo';
import { createResource } from '../../sandbox/fhir-server';
import { startSmtpSink } from '../../sandbox/smtp-sink';
import type { SmtpSink } from '../../sandbox/smtp-sink';
import { startTwilioApi } from '../../sandbox/twilio-api';
import type { TwilioApiSandbox } from '../../sandbox/twilio-api';
import { post, useEhrSandboxes } from '../helpers/ehrSandboxes';
import { runWorkflow, startTrigger } from '../helpers/engine';
import type { EngineOptions, RunningTrigger, WorkflowFixture } from '../helpers/engine';
import { packCredentialTypes, practiceProfileCredential, tempDir, testContactHashSecret, zoneWhereNowIsBetween } from '../helpers/fixtures';

/*
 * Journeys scheduled in the journey store, in n8n's own engine: Cadence Wait v2 records the next step and ends the
 * execution; the Journey Due Trigger claims due steps and emits them on the output of their name; the nodes after
 * it act on the journey and complete the step. The engine's workflow id ('wf-test') is the same for both.
 */

const secret = 'whsec-journey-due-0123456789abcdef';
const sandbox = useEhrSandboxes({ webhookSecret: secret });
const accountSid = `AC${'5'.repeat(32)}`;
const authToken = 'journey-due-token';
const workflowId = 'wf-test';
const john = demoPatients.find((patient) => patient.key === 'john')!;

let twilio: TwilioApiSandbox;
let smtp: SmtpSink;
beforeAll(async () => {
	twilio = await startTwilioApi({ accountSid, authToken });
	smtp = await startSmtpSink({ disableStartTls: true });
});
afterAll(async () => {
	await twilio.close();
	await smtp.close();
});

const nodeTypes = {
	visitDetails: new VisitDetails(),
	cadenceWait: new CadenceWait(),
	journeyDueTrigger: new JourneyDueTrigger(),
	bookingCheck: new BookingCheck(),
	channelRouter: new ChannelRouter(),
	patientMessage: new PatientMessage(),
	ehrTask: new EhrTask(),
};

interface World {
	storePath: string;
	options(profile?: Record<string, unknown>, mode?: EngineOptions['mode']): EngineOptions;
	store(): Promise<JourneyStore>;
}

function world(): World {
	const storePath = join(tempDir(), 'journey.sqlite');
	return {
		storePath,
		options: (profile = {}, mode) => ({
			nodeTypes,
			credentials: {
				...sandbox.credentials('fhir'),
				journeyStoreApi: { backend: 'sqlite', sqlitePath: storePath, contactHashSecret: testContactHashSecret },
				practiceProfileApi: practiceProfileCredential({ perPatientPerDay: 5, ...profile }),
				postVisitTwilioApi: { authType: 'authToken', accountSid, authToken, from: '+15125550199', apiBaseUrl: twilio.url },
				postVisitSmtpApi: { host: '127.0.0.1', port: smtp.port, security: 'none', fromEmail: 'care@riverside.test', fromName: 'Riverside' },
			},
			credentialTypes: packCredentialTypes(),
			...(mode ? { mode } : {}),
		}),
		store: () => openJourneyStore({ backend: 'sqlite', path: storePath, contactHashSecret: testContactHashSecret }),
	};
}

type NodeSpec = [name: string, type: string, parameters: INodeParameters, typeVersion?: number];

/** Fixture → the given nodes in a line (each node's output `via[i]` feeds the next). */
function chain(items: IDataObject[], nodes: NodeSpec[], via: number[] = []): WorkflowFixture {
	const all = [
		{ name: 'Fixture', type: 'test.fixture', parameters: { items: JSON.stringify(items) } },
		...nodes.map(([name, type, parameters, typeVersion]) => ({ name, type: `n8n-nodes-post-visit.${type}`, parameters, typeVersion: typeVersion ?? 1 })),
	];
	const connections: WorkflowFixture['connections'] = {};
	for (let index = 0; index < all.length - 1; index++) {
		const output = index === 0 ? 0 : (via[index - 1] ?? 0);
		const main: Array<Array<{ node: string; type: 'main'; index: number }>> = Array.from({ length: output + 1 }, () => []);
		main[output] = [{ node: all[index + 1].name, type: 'main', index: 0 }];
		connections[all[index].name] = { main };
	}
	return { nodes: all, connections };
}

const reminderWait: NodeSpec = ['Wait 2 Days', 'cadenceWait', { step: 'Reminder', anchor: 'visitClose', amount: 2, unit: 'days' }, 2];

/** A visit closed in the FHIR sandbox minutes ago, admitted by Visit Details and scheduled by Cadence Wait v2. */
async function admittedAndScheduled(w: World, patientZone = zoneWhereNowIsBetween(9, 19)) {
	const patientId = await ensureFhirPatient(sandbox.fhir, { ...john, key: `due-${Math.random().toString(36).slice(2)}` }, patientZone);
	const visit = await closeFhirVisit(sandbox.fhir, patientId, { completedAt: DateTime.utc().minus({ minutes: 10 }).toISO() as string });
	const notification = sandbox.verified('fhir', post(JSON.stringify(fhirBackportNotification(visit.encounterId, Date.now())), {
		'content-type': 'application/fhir+json',
		'x-webhook-secret': secret,
	}));
	const result = await runWorkflow(chain([notification as unknown as IDataObject], [['Visit Details', 'visitDetails', { ehr: 'fhir' }], reminderWait]), w.options());
	const scheduled = result.output('Wait 2 Days', 1);
	expect(result.error('Wait 2 Days')).toBeUndefined();
	expect(scheduled).toHaveLength(1);
	const journeyId = (scheduled[0].journey as unknown as JourneyTrail).journeyId;
	return { journeyId, patientId, visit, scheduled: scheduled[0] };
}

/** Makes a journey's step due `minutesAgo` (a due time the test cannot wait two days for). */
async function makeDue(w: World, journeyId: string, step: string, minutesAgo: number, extra: { untilResume?: boolean } = {}) {
	const store = await w.store();
	try {
		const [current] = await store.steps({ journeyId, workflowId });
		await store.scheduleStep({
			journeyId,
			patientKey: current.patientKey,
			workflowId,
			step,
			dueAt: DateTime.utc().minus({ minutes: minutesAgo }).toISO() as string,
			at: new Date().toISOString(),
			...extra,
		});
	} finally {
		await store.close();
	}
}

function triggerFixture(steps: string[], options: IDataObject = {}): WorkflowFixture {
	return {
		nodes: [
			{
				name: 'Journey Due Trigger',
				type: 'n8n-nodes-post-visit.journeyDueTrigger',
				parameters: { ehr: 'fhir', steps: { step: steps.map((name) => ({ name })) }, options: { checkEverySeconds: 1, ...options } },
			},
		],
		connections: {},
	};
}

const stageTwo = (items: INodeExecutionData[]): WorkflowFixture =>
	chain(
		items.map((item) => item.json),
		[
			['Booked?', 'bookingCheck', { ehr: 'fhir' }],
			['Route Reminder', 'channelRouter', { stage: 2 }],
			['Send Reminder', 'patientMessage', { stage: 2 }],
			['Wait 7 Days', 'cadenceWait', { step: 'Escalation', anchor: 'visitClose', amount: 7, unit: 'days' }, 2],
		],
	);

let trigger: RunningTrigger | undefined;
afterEach(async () => {
	await trigger?.close();
	trigger = undefined;
});

describe('Cadence Wait v2 in n8n\'s engine', () => {
	it('records the next step in the journey store (ids only) and ends the execution there', async () => {
		const w = world();
		const { journeyId, scheduled } = await admittedAndScheduled(w);
		const store = await w.store();
		try {
			const [step] = await store.steps({ journeyId });
			expect(step).toMatchObject({ workflowId, step: 'Reminder', state: 'scheduled', attempt: 0, untilResume: false });
			expect(Date.parse(step.dueAt)).toBeGreaterThan(Date.now() + 24 * 3_600_000);
			expect(Object.keys(step).sort()).toEqual(
				['attempt', 'dueAt', 'journeyId', 'patientKey', 'scheduledAt', 'state', 'step', 'untilResume', 'updatedAt', 'workflowId'].sort(),
			);
			expect(scheduled.wait).toMatchObject({ step: 'Reminder', outcome: 'scheduled', resumesAt: step.dueAt });
			expect(String((scheduled.wait as IDataObject).summary)).toMatch(/^Step "Reminder" resumes \w{3} \d{4}-\d{2}-\d{2} \d{2}:\d{2} /);
			expect((await store.journal({ journeyId, type: 'wait.scheduled' }))[0].detail).toMatchObject({ step: 'Reminder', workflowId });
		} finally {
			await store.close();
		}
	});

	it('lets an item that is already due pass on "Due Now", storing nothing', async () => {
		const w = world();
		const { journeyId, scheduled } = await admittedAndScheduled(w);
		const result = await runWorkflow(chain([scheduled], [['Wait 0', 'cadenceWait', { step: 'Now', anchor: 'visitClose', amount: 0, unit: 'minutes' }, 2]]), w.options());
		expect(result.output('Wait 0', 0)).toHaveLength(1);
		expect(result.output('Wait 0', 1)).toHaveLength(0);
		const store = await w.store();
		try {
			expect((await store.steps({ journeyId })).map((step) => step.step)).toEqual(['Reminder']);
		} finally {
			await store.close();
		}
	});

	it('still holds the journey as an n8n waiting execution in version 1', async () => {
		const w = world();
		const { scheduled } = await admittedAndScheduled(w);
		const result = await runWorkflow(chain([scheduled], [['Wait v1', 'cadenceWait', { anchor: 'visitClose', amount: 2, unit: 'days' }, 1]]), w.options());
		expect(result.status).toBe('waiting');
		expect(result.waitTill!.getTime()).toBeGreaterThan(Date.now() + 24 * 3_600_000);
	});
});

describe('Journey Due Trigger in n8n\'s engine', () => {
	it('resumes a due step on the output of its name, with the visit fetched again; the next Cadence Wait replaces it', async () => {
		const w = world();
		const { journeyId } = await admittedAndScheduled(w);
		await makeDue(w, journeyId, 'Reminder', 1);
		trigger = await startTrigger(triggerFixture(['Reminder', 'Escalation']), w.options(), 'Journey Due Trigger');
		const [outputs] = await trigger.emits(1);
		expect(outputs.map((output) => output.length)).toEqual([1, 0, 0]);
		const item = outputs[0][0].json;
		expect(item).toMatchObject({ kind: 'visit', ehr: 'fhir', patient: expect.objectContaining({ firstName: john.firstName }) });
		expect((item.journey as unknown as JourneyTrail).resumedFrom).toMatchObject({ name: 'Reminder', workflowId, attempt: 1, leaseToken: expect.any(String) });
		expect((item.resumed as IDataObject).summary).toMatch(/^Step "Reminder" resumed, due /);

		const before = twilio.messages.length;
		const run = await runWorkflow(stageTwo(outputs[0]), w.options());
		expect(run.error('Send Reminder')).toBeUndefined();
		expect(twilio.messages.slice(before).map((message) => message.to)).toEqual([john.mobile]);
		const store = await w.store();
		try {
			const [next] = await store.steps({ journeyId });
			expect(next).toMatchObject({ step: 'Escalation', state: 'scheduled', attempt: 0 });
			const types = (await store.journal({ journeyId })).map((entry) => entry.type);
			expect(types).toEqual(expect.arrayContaining(['step.resumed', 'touch.sent', 'wait.scheduled']));
		} finally {
			await store.close();
		}
	});

	it('ends the step when the Booking Check finds the follow-up booked: nothing is sent, nothing resumes again', async () => {
		const w = world();
		const { journeyId, patientId } = await admittedAndScheduled(w);
		await bookFhirFollowUp(sandbox.fhir, patientId, DateTime.utc().plus({ days: 10 }).toISO() as string);
		await makeDue(w, journeyId, 'Reminder', 1);
		trigger = await startTrigger(triggerFixture(['Reminder']), w.options(), 'Journey Due Trigger');
		const [outputs] = await trigger.emits(1);
		const before = twilio.messages.length;
		const run = await runWorkflow(stageTwo(outputs[0]), w.options());
		expect(run.output('Booked?', 1)).toHaveLength(1);
		expect(twilio.messages.length).toBe(before);
		const store = await w.store();
		try {
			expect(await store.steps({ journeyId })).toEqual([]);
			expect((await store.journal({ journeyId, type: 'step.completed' }))[0]).toMatchObject({ code: 'followup.booked' });
		} finally {
			await store.close();
		}
	});

	it('resumes a recall journey by its ServiceRequest id, and ends it when the recall was completed meanwhile', async () => {
		const w = world();
		const zone = zoneWhereNowIsBetween(9, 19);
		const patientId = await ensureFhirPatient(sandbox.fhir, { ...john, key: `recall-${Math.random().toString(36).slice(2)}` }, zone);
		const dueDate = DateTime.utc().plus({ days: 30 }).toISODate() as string;
		const recalls = await Promise.all(['open', 'completed'].map(async () =>
			await createResource(sandbox.fhir.repo, {
				resourceType: 'ServiceRequest',
				status: 'active',
				intent: 'order',
				subject: { reference: `Patient/${patientId}` },
				code: { coding: [{ system: 'http://snomed.info/sct', code: '390906007' }], text: 'Annual check-up' },
				occurrenceDateTime: `${dueDate}T15:00:00Z`,
			}),
		));
		const store = await w.store();
		try {
			for (const recall of recalls) {
				const journeyId = `recall:fhir:${recall.id}`;
				await store.recordJourney({ journeyId, patientKey: `fhir:${patientId}`, kind: 'recall', ehr: 'fhir', patientId, sourceId: recall.id!, sourceType: 'recall', anchorAt: `${dueDate}T05:00:00.000Z`, startedAt: new Date().toISOString(), zone });
				await store.scheduleStep({ journeyId, patientKey: `fhir:${patientId}`, workflowId, step: 'Nudge', dueAt: new Date(Date.now() - 60_000).toISOString(), at: new Date().toISOString() });
			}
			await sandbox.fhir.repo.updateResource({ ...recalls[1], status: 'completed' } as never);
			trigger = await startTrigger(triggerFixture(['Nudge']), w.options(), 'Journey Due Trigger');
			const [outputs] = await trigger.emits(1);
			expect(outputs[0].map((item) => item.json)).toEqual([expect.objectContaining({ kind: 'recall', recallId: recalls[0].id, dueDate })]);
			expect(await store.steps({ journeyId: `recall:fhir:${recalls[1].id}` })).toEqual([]);
			expect(await store.journal({ journeyId: `recall:fhir:${recalls[1].id}`, type: 'journey.ended' })).toHaveLength(1);
		} finally {
			await store.close();
		}
	});

	it('hands a step out again when its lease ran out with no node acting on it, and to staff after the last attempt', async () => {
		const w = world();
		const { journeyId } = await admittedAndScheduled(w);
		await makeDue(w, journeyId, 'Reminder', 1);
		const store = await w.store();
		try {
			// Two earlier executions took the step and never acted on it (n8n killed mid-batch, say).
			for (const token of ['lost-1', 'lost-2']) {
				const claimed = await store.claimDueSteps({ workflowId, steps: ['Reminder'], now: new Date(Date.now() + 60 * 60_000 * (token === 'lost-1' ? 0 : 1)).toISOString(), limit: 10, leaseMs: 60 * 60_000 - 1000, leaseToken: token, includeHeldUntilResume: true });
				expect(claimed).toHaveLength(1);
			}
			await store.retryStep(journeyId, workflowId, 'lost-2', DateTime.utc().minus({ minutes: 1 }).toISO() as string, 'leaseExpired');
		} finally {
			await store.close();
		}
		trigger = await startTrigger(triggerFixture(['Reminder'], { maxAttempts: 2 }), w.options(), 'Journey Due Trigger');
		const [outputs] = await trigger.emits(1);
		expect(outputs.map((output) => output.length)).toEqual([0, 1]);
		expect(outputs[1][0].json.staff).toMatchObject({ reason: 'attemptsUsedUp', summary: expect.stringMatching(/^A person takes over: step "Reminder" was handed out 2 times/) });
		const check = await w.store();
		try {
			expect((await check.steps({ journeyId }))[0]).toMatchObject({ state: 'failed', code: 'attemptsUsedUp' });
		} finally {
			await check.close();
		}
	});

	it('leaves journeys alone in an execution that held them past its lease: the newer execution carries them', async () => {
		const w = world();
		const { journeyId } = await admittedAndScheduled(w);
		await makeDue(w, journeyId, 'Reminder', 1);
		trigger = await startTrigger(triggerFixture(['Reminder'], { leaseMinutes: 1 }), w.options(), 'Journey Due Trigger');
		const [stale] = await trigger.emits(1);
		await trigger.close();
		trigger = undefined;
		const store = await w.store();
		try {
			// The first execution was slow: its lease ran out and the step went to another execution.
			const [newer] = await store.claimDueSteps({ workflowId, steps: ['Reminder'], now: DateTime.utc().plus({ minutes: 2 }).toISO() as string, limit: 1, leaseMs: 10 * 60_000, leaseToken: 'newer', includeHeldUntilResume: true });
			expect(newer.attempt).toBe(2);
			const before = twilio.messages.length;
			const run = await runWorkflow(stageTwo(stale[0]), w.options());
			expect(run.error('Booked?')).toBeUndefined();
			expect(run.output('Booked?', 0)).toEqual([]);
			expect(run.output('Booked?', 1)).toEqual([]);
			expect(twilio.messages.length).toBe(before);
			expect(await store.journal({ journeyId, type: 'step.superseded' })).toEqual([expect.objectContaining({ code: 'leaseLost' })]);
			expect((await store.steps({ journeyId }))[0]).toMatchObject({ state: 'claimed', attempt: 2 });
		} finally {
			await store.close();
		}
	});

	it('journals a due step whose name no output carries as orphaned, once, and leaves it for a person', async () => {
		const w = world();
		const { journeyId } = await admittedAndScheduled(w);
		await makeDue(w, journeyId, 'Renamed Step', 1);
		trigger = await startTrigger(triggerFixture(['Reminder']), w.options(), 'Journey Due Trigger');
		const store = await w.store();
		try {
			const deadline = Date.now() + 10_000;
			while ((await store.journal({ journeyId, type: 'step.orphaned' })).length === 0 && Date.now() < deadline) {
				await new Promise((resolve) => setTimeout(resolve, 100));
			}
			await new Promise((resolve) => setTimeout(resolve, 1500));
			expect(await store.journal({ journeyId, type: 'step.orphaned' })).toHaveLength(1);
			expect((await store.steps({ journeyId }))[0]).toMatchObject({ state: 'orphaned', step: 'Renamed Step' });
			expect(trigger.emitted).toHaveLength(0);
		} finally {
			await store.close();
		}
	});

	it('hands a step more than the practice\'s limit late to staff when the catch-up rule says so', async () => {
		const w = world();
		const { journeyId } = await admittedAndScheduled(w);
		await makeDue(w, journeyId, 'Reminder', 3 * 60);
		const profile = { catchUpRule: 'handToStaff', catchUpMaxLateHours: 2 };
		trigger = await startTrigger(triggerFixture(['Reminder'], { backlogPerMinute: 0 }), w.options(profile), 'Journey Due Trigger');
		const [outputs] = await trigger.emits(1);
		expect(outputs[1][0].json.staff).toMatchObject({ reason: 'late' });
	});
});

describe('Outreach Paused (practice profile)', () => {
	it('holds the message, turns the hold into a step due at resume, and releases it only after the switch is off', async () => {
		const w = world();
		const { journeyId } = await admittedAndScheduled(w);
		await makeDue(w, journeyId, 'Reminder', 1);
		const paused = w.options({ outreachPaused: true });
		trigger = await startTrigger(triggerFixture(['Reminder', 'Reminder Held']), paused, 'Journey Due Trigger');
		const [outputs] = await trigger.emits(1);
		await trigger.close();
		const before = twilio.messages.length;
		const held = await runWorkflow(
			chain(outputs[0].map((item) => item.json), [
				['Booked?', 'bookingCheck', { ehr: 'fhir' }],
				['Route Reminder', 'channelRouter', { stage: 2 }],
				['Send Reminder', 'patientMessage', { stage: 2 }],
				['Wait for Window', 'cadenceWait', { step: 'Reminder Held', anchor: 'nextAllowed' }, 2],
			], [0, 0, 1]),
			paused,
		);
		expect(held.output('Send Reminder', 1)[0].delivery).toMatchObject({ held: { reason: 'outreachPaused' } });
		expect(held.output('Wait for Window', 1)[0].wait).toMatchObject({ step: 'Reminder Held', outcome: 'scheduled' });
		expect(twilio.messages.length).toBe(before);

		const store = await w.store();
		try {
			expect((await store.steps({ journeyId }))[0]).toMatchObject({ step: 'Reminder Held', untilResume: true, state: 'scheduled' });
		} finally {
			await store.close();
		}
		trigger = await startTrigger(triggerFixture(['Reminder', 'Reminder Held']), paused, 'Journey Due Trigger');
		await new Promise((resolve) => setTimeout(resolve, 2500));
		expect(trigger.emitted).toHaveLength(0);
		await trigger.close();

		trigger = await startTrigger(triggerFixture(['Reminder', 'Reminder Held']), w.options(), 'Journey Due Trigger');
		const [resumed] = await trigger.emits(1);
		expect(resumed.map((output) => output.length)).toEqual([0, 1, 0]);
	});
});

describe('test mode on resumed journeys', () => {
	it('ends the journey of a patient not on the list, and a step of it resumed after test mode is off sends nothing', async () => {
		const w = world();
		const { journeyId } = await admittedAndScheduled(w);
		await makeDue(w, journeyId, 'Reminder', 1);
		const testMode = w.options({ testModeSendOnlyTo: '+1 512 555 0000, staff.member@riverside.test' });
		trigger = await startTrigger(triggerFixture(['Reminder']), testMode, 'Journey Due Trigger');
		const [outputs] = await trigger.emits(1);
		await trigger.close();
		const before = twilio.messages.length;
		const beforeEmails = smtp.messages.length;
		const run = await runWorkflow(stageTwo(outputs[0]), testMode);
		expect(run.error('Send Reminder')).toBeUndefined();
		expect([0, 1, 2].map((output) => run.output('Send Reminder', output))).toEqual([[], [], []]);
		expect(run.output('Wait 7 Days', 1)).toEqual([]);

		const store = await w.store();
		try {
			const suppressed = await store.journal({ journeyId, type: 'touch.suppressed' });
			expect(suppressed.map((entry) => [entry.channel, entry.code]).sort()).toEqual([['email', 'testMode'], ['sms', 'testMode']]);
			const [ended] = await store.journal({ journeyId, type: 'journey.ended' });
			expect(ended).toMatchObject({ code: 'testMode', stage: 2 });
			expect(await store.steps({ journeyId })).toEqual([]);
			// A step of the same journey due later (another workflow's, or one scheduled before test mode went on).
			await store.scheduleStep({ journeyId, patientKey: ended.patientKey, workflowId, step: 'Reminder', dueAt: new Date(Date.now() - 60_000).toISOString(), at: new Date().toISOString() });
		} finally {
			await store.close();
		}
		trigger = await startTrigger(triggerFixture(['Reminder']), w.options(), 'Journey Due Trigger');
		await new Promise((resolve) => setTimeout(resolve, 2500));
		expect(trigger.emitted).toHaveLength(0);
		expect(twilio.messages.length).toBe(before);
		expect(smtp.messages.length).toBe(beforeEmails);
		const after = await w.store();
		try {
			expect(await after.steps({ journeyId })).toEqual([]);
			expect((await after.journal({ journeyId, type: 'step.completed' })).map((entry) => entry.code)).toEqual(['testMode', 'testMode']);
		} finally {
			await after.close();
		}
	});
});

describe('a manual run ("Execute workflow") shows and never acts', () => {
	it('previews due steps without claiming them; Patient Message and Cadence Wait send and schedule nothing; the live run still sends', async () => {
		const w = world();
		const { journeyId } = await admittedAndScheduled(w);
		await makeDue(w, journeyId, 'Reminder', 1);
		const store = await w.store();
		const snapshot = async () => ({ steps: await store.steps({ journeyId }), journal: await store.journal({ journeyId }) });
		try {
			const before = await snapshot();
			const manual = await startTrigger(triggerFixture(['Reminder', 'Escalation']), w.options({}, 'manual'), 'Journey Due Trigger');
			const outputs = await manual.manual();
			await manual.close();
			expect(outputs[0]).toHaveLength(1);
			expect((outputs[0][0].json.journey as unknown as JourneyTrail).resumedFrom?.leaseToken).toBeUndefined();
			const sms = twilio.messages.length;
			const emails = smtp.messages.length;
			const run = await runWorkflow(stageTwo(outputs[0]), w.options({}, 'manual'));
			expect(run.error('Send Reminder')).toBeUndefined();
			expect((run.output('Send Reminder', 0)[0].delivery as { results: Array<{ status: string; text?: string }> }).results[0]).toMatchObject({ status: 'preview', text: expect.any(String) });
			expect(String((run.output('Wait 7 Days', 1)[0].wait as IDataObject).summary)).toMatch(/manual run: nothing was scheduled/);
			expect([twilio.messages.length, smtp.messages.length]).toEqual([sms, emails]);
			expect(await snapshot()).toEqual(before);

			trigger = await startTrigger(triggerFixture(['Reminder', 'Escalation']), w.options(), 'Journey Due Trigger');
			const [live] = await trigger.emits(1);
			await runWorkflow(stageTwo(live[0]), w.options());
			expect(twilio.messages.length).toBe(sms + 1);
		} finally {
			await store.close();
		}
	});
});
