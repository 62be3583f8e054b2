import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

import { DateTime } from 'luxon';

import type { JournalEntry, JourneyStore } from '../../nodes/shared/store/types';
import type { DemoPatient } from '../../sandbox/demo-patients';
import type { Sandbox } from '../../sandbox/environment';
import { prepareTemplate } from '../../sandbox/environment';
import { closeFhirVisit, ensureFhirPatient, fhirBackportNotification } from '../../sandbox/fhir-demo';
import { projectRoot } from '../../sandbox/n8n';
import { scheduleJourneys } from '../../sandbox/scheduled-journeys';
import { zoneWhereNowIsBetween } from '../helpers/fixtures';
import { eventually, outputOf, runManually, startE2eSandbox, withJourneyStore } from './harness';

/*
 * Journeys scheduled in the journey store, in a real n8n 2.41.1 with the published three-stage template: an edit
 * reaches journeys in flight, turning the workflow off pauses them, "Outreach Paused" holds every send, a restart
 * or a crash loses and repeats nothing, a second claimer never gets the same step, a manual run acts on nothing,
 * and Cadence Wait v1 still resumes. The trigger checks every 2 s here and leases for one minute.
 */

let sandbox: Sandbox;
let eventNumber = 0;
let zone: string;

beforeAll(async () => {
	zone = zoneWhereNowIsBetween(9, 19);
	sandbox = await startE2eSandbox('scheduling', 5712, {
		profile: { perPatientPerDay: 3, perNumberPerDay: 5 },
		journeyDue: { checkEverySeconds: 2, leaseMinutes: 1 },
		n8nProcess: { ownProcessGroup: true },
	});
}, 300_000);

afterAll(async () => {
	await sandbox?.stop();
});

const threeStage = () => sandbox.workflows.threeStage.fhir;

const withStore = <T>(work: (store: JourneyStore) => Promise<T>) => withJourneyStore(sandbox, work);

const smsTo = (number: string, since: number) => sandbox.twilio.messages.filter((m) => m.to === number && m.receivedAt >= since);

/** A patient of our own (unique number), so counts are exact whatever else the suite sent. */
function newPatient(tag: string, index = 0): DemoPatient {
	const digits = String(1000 + (eventNumber++ % 8000) + index).padStart(4, '0');
	return { key: `${tag}-${digits}-${index}`, firstName: 'Sam', lastName: 'Rivera', birthDate: '1980-05-05', mobile: `+1555555${digits}`, language: 'en', zone, preferredChannel: 'sms' };
}

/** A visit closed now in the FHIR sandbox, delivered to the three-stage workflow; resolves once `step` is scheduled. */
async function visitAwaiting(patient: DemoPatient, step = 'Reminder'): Promise<{ journeyId: string; patientId: string }> {
	const patientId = await ensureFhirPatient(sandbox.fhir, patient, zone);
	const visit = await closeFhirVisit(sandbox.fhir, patientId, { completedAt: DateTime.utc().minus({ minutes: 2 }).toISO() as string });
	const body = JSON.stringify(fhirBackportNotification(visit.encounterId, ++eventNumber));
	expect((await sandbox.deliver('fhir', body, { 'content-type': 'application/fhir+json', 'x-webhook-secret': sandbox.webhookSecret })).status).toBe(200);
	const journeyId = `visit:fhir:${visit.encounterId}`;
	await eventually(`the ${step} step in the journey store`, () =>
		withStore(async (store) => ((await store.steps({ journeyId }))[0]?.step === step ? true : undefined)),
	);
	return { journeyId, patientId };
}

/** The journey's Reminder falls due now (a test cannot wait two days). */
async function dueNow(journeyId: string, step = 'Reminder') {
	await withStore(async (store) => {
		const [current] = await store.steps({ journeyId, workflowId: threeStage().id });
		await store.scheduleStep({ ...current, step, dueAt: new Date().toISOString(), at: new Date().toISOString() });
	});
}

/** Many journeys waiting for their Reminder, put straight into the FHIR sandbox and the journey store. */
async function scheduledJourneys(tag: string, count: number, dueAt: string): Promise<Array<{ journeyId: string; mobile: string }>> {
	return await scheduleJourneys(sandbox, {
		workflowId: threeStage().id,
		step: 'Reminder',
		count,
		zone,
		patient: (index) => newPatient(tag, index),
		dueAt: () => dueAt,
		completedAt: DateTime.utc().minus({ days: 2 }).toISO() as string,
	});
}

/** Every one of these journeys sent its reminder and now waits for its Escalation. */
async function allAwaitingEscalation(journeyIds: string[], timeoutMs: number) {
	const wanted = new Set(journeyIds);
	return await eventually(`${journeyIds.length} journeys to wait for their Escalation`, () =>
		withStore(async (store) => {
			const steps = (await store.steps({ workflowId: threeStage().id })).filter((step) => wanted.has(step.journeyId));
			return steps.length === wanted.size && steps.every((step) => step.step === 'Escalation' && step.state === 'scheduled') ? steps : undefined;
		}),
	timeoutMs);
}

describe('journeys scheduled in the journey store, in a real n8n 2.41.1', () => {
	it('sends the reminder text as edited and published while the journey waited', async () => {
		const since = Date.now();
		const patient = newPatient('edit');
		const { journeyId } = await visitAwaiting(patient);
		await eventually('the care summary SMS', () => smsTo(patient.mobile!, since)[0]);

		const workflow = await sandbox.client.workflow(threeStage().id);
		const sendReminder = workflow.nodes.find((node) => node.name === 'Send Reminder')!;
		sendReminder.parameters.texts = {
			text: [{ template: 'actionReminder', language: 'en', text: 'EDITED after scheduling. {{firstName}}, please {{actionDescription}}: {{schedulingLink}}' }],
		};
		await sandbox.client.updateWorkflow(workflow.id, workflow);
		await sandbox.client.activate(workflow.id);

		await dueNow(journeyId);
		const reminder = await eventually('the reminder SMS', () => smsTo(patient.mobile!, since)[1], 60_000);
		expect(reminder.body).toContain('EDITED after scheduling. Sam, please');
		await withStore(async (store) => expect((await store.steps({ journeyId }))[0]).toMatchObject({ step: 'Escalation', state: 'scheduled' }));
	});

	it('pauses a journey while its workflow is off, and sends its due reminder once when it is on again', async () => {
		const since = Date.now();
		const patient = newPatient('off');
		const { journeyId } = await visitAwaiting(patient);
		await eventually('the care summary SMS', () => smsTo(patient.mobile!, since)[0]);
		await sandbox.client.deactivate(threeStage().id);
		try {
			await dueNow(journeyId);
			await new Promise((resolve) => setTimeout(resolve, 8000));
			expect(smsTo(patient.mobile!, since)).toHaveLength(1);
			await withStore(async (store) => expect((await store.steps({ journeyId }))[0]).toMatchObject({ step: 'Reminder', state: 'scheduled', attempt: 0 }));
		} finally {
			await sandbox.client.activate(threeStage().id);
		}
		await eventually('the reminder after reactivation', () => smsTo(patient.mobile!, since)[1], 60_000);
		await new Promise((resolve) => setTimeout(resolve, 6000));
		expect(smsTo(patient.mobile!, since)).toHaveLength(2);
	});

	it('holds every send while "Outreach Paused" is on, care summaries included, and releases them when it is off', async () => {
		const since = Date.now();
		const waiting = newPatient('pause-wait');
		const { journeyId } = await visitAwaiting(waiting);
		await eventually('the care summary SMS', () => smsTo(waiting.mobile!, since)[0]);
		await sandbox.client.updateCredential(sandbox.credentialIds.practiceProfileApi, { outreachPaused: true });
		const fresh = newPatient('pause-new');
		try {
			await dueNow(journeyId);
			await visitAwaiting(fresh, 'Care Summary Held');
			await eventually('the due reminder held too', () =>
				withStore(async (store) => ((await store.steps({ journeyId }))[0]?.step === 'Reminder Held' ? true : undefined)),
			);
			await new Promise((resolve) => setTimeout(resolve, 6000));
			expect(smsTo(waiting.mobile!, since)).toHaveLength(1);
			expect(smsTo(fresh.mobile!, since)).toHaveLength(0);
			const held = await withStore(async (store) => await store.steps({ workflowId: threeStage().id, states: ['scheduled'] }));
			expect(held.filter((step) => step.untilResume).map((step) => step.step)).toEqual(expect.arrayContaining(['Care Summary Held', 'Reminder Held']));
		} finally {
			await sandbox.client.updateCredential(sandbox.credentialIds.practiceProfileApi, { outreachPaused: false });
		}
		await eventually('the held reminder', () => smsTo(waiting.mobile!, since)[1], 60_000);
		await eventually('the held care summary', () => smsTo(fresh.mobile!, since)[0], 60_000);
	});

	it('never sends twice when n8n is killed in the middle of a batch: each step resumes once or ends as "unknown, check"', async () => {
		const since = Date.now();
		const journeys = await scheduledJourneys('crash', 300, new Date().toISOString());
		await eventually('n8n to be mid-batch', () => (sandbox.twilio.messages.filter((m) => m.receivedAt >= since).length >= 30 ? true : undefined), 120_000);
		await sandbox.n8n.kill();
		const sentBeforeKill = sandbox.twilio.messages.filter((m) => m.receivedAt >= since).length;
		expect(sentBeforeKill).toBeLessThan(300);
		await sandbox.n8n.start();
		await sandbox.client.signIn();
		const ids = journeys.map((journey) => journey.journeyId);
		// The killed batches' leases run out after a minute; then each step is handed out once more.
		await eventually('every step to be settled (next step scheduled, or handed to staff)', () =>
			withStore(async (store) => {
				const open = (await store.steps({ workflowId: threeStage().id })).filter((step) => ids.includes(step.journeyId) && step.step === 'Reminder');
				return open.length === 0 ? true : undefined;
			}),
		240_000);
		await withStore(async (store) => {
			for (const { journeyId, mobile } of journeys) {
				const reminders = smsTo(mobile, since);
				const journal = await store.journal({ journeyId });
				const unknown = journal.some((entry: JournalEntry) => entry.type === 'touch.unknown' || entry.type === 'claim.unknown');
				const sent = journal.some((entry) => entry.type === 'touch.sent' && entry.stage === 2);
				// Sent and recorded, or cut off between Twilio's answer and the record: then "unknown, check", never twice.
				const settledOnce = reminders.length <= 1 && (sent || unknown);
				// On a failure, the journey's journal says what happened to it.
				const story = settledOnce ? [] : journal.map((entry) => [entry.type, entry.code ?? '', JSON.stringify(entry.detail ?? {})].join(' '));
				expect({ journeyId, reminders: reminders.length, settledOnce, story }).toEqual({ journeyId, reminders: reminders.length, settledOnce: true, story: [] });
			}
			const stuck = await store.steps({ workflowId: threeStage().id, states: ['claimed', 'failed'] });
			expect(stuck.filter((step) => ids.includes(step.journeyId))).toEqual([]);
		});
	});

	it('gives no step to two claimers at once: a second process claiming from the same store', async () => {
		const since = Date.now();
		const journeys = await scheduledJourneys('claimers', 200, DateTime.utc().plus({ seconds: 5 }).toISO() as string);
		const worker = spawn(process.execPath, [
			'--experimental-transform-types',
			'--disable-warning=ExperimentalWarning',
			'--disable-warning=MODULE_TYPELESS_PACKAGE_JSON',
			join(projectRoot, 'test', 'store', 'claimWorker.mjs'),
			JSON.stringify({ backend: 'sqlite', path: sandbox.journeyStorePath }),
		], { stdio: ['pipe', 'pipe', 'inherit'] });
		const replies = createInterface({ input: worker.stdout! })[Symbol.asyncIterator]();
		const next = async () => JSON.parse(String((await replies.next()).value)) as { ready?: boolean; steps?: string[] };
		expect((await next()).ready).toBe(true);
		const claimedByWorker: string[] = [];
		const deadline = Date.now() + 20_000;
		while (Date.now() < deadline) {
			worker.stdin!.write(`steps ${threeStage().id} ${new Date().toISOString()} 7 worker-${Date.now()}\n`);
			claimedByWorker.push(...((await next()).steps ?? []));
			await new Promise((resolve) => setTimeout(resolve, 150));
		}
		worker.stdin!.end('exit\n');
		expect(claimedByWorker.length).toBeGreaterThan(0);
		// The worker never acts: its steps come back to n8n when its one-minute leases run out.
		await eventually('a reminder for every journey', () => (journeys.every((journey) => smsTo(journey.mobile, since).length >= 1) ? true : undefined), 240_000);
		await withStore(async (store) => {
			for (const { journeyId, mobile } of journeys) {
				expect([journeyId, smsTo(mobile, since).length]).toEqual([journeyId, 1]);
				const resumed = await store.journal({ journeyId, type: 'step.resumed' });
				const attempts = resumed.map((entry) => Number(entry.detail?.attempt));
				expect([journeyId, attempts]).toEqual([journeyId, [claimedByWorker.includes(journeyId) ? 2 : 1]]);
			}
		});
	});

	it('acts on nothing in a manual run ("Execute workflow"): no message, no claim, no journal line; the live run sends afterwards', async () => {
		const since = Date.now();
		const patient = newPatient('manual');
		const { journeyId } = await visitAwaiting(patient);
		await eventually('the care summary SMS', () => smsTo(patient.mobile!, since)[0]);
		// Its delivery report lands in the journal on its own time: let it, so only the manual run could change it.
		await eventually('the care summary\'s delivery recorded', () =>
			withStore(async (store) => ((await store.journal({ journeyId, type: 'touch.delivered' })).length > 0 ? true : undefined)),
		);
		await sandbox.client.deactivate(threeStage().id);
		try {
			await dueNow(journeyId);
			const before = await withStore(async (store) => ({ steps: await store.steps({ journeyId }), journal: await store.journal({ journeyId }) }));
			const execution = await runManually(sandbox.client, threeStage().id, 'Journey Due Trigger');
			expect(execution.status).toBe('success');
			const results = outputOf(execution, 'Send Reminder')[0]?.delivery?.results ?? [];
			expect(results.map((result: { status: string }) => result.status)).toEqual(['preview']);
			expect(String(outputOf(execution, 'Wait 7 Days', 1)[0].wait.summary)).toMatch(/manual run: nothing was scheduled/);
			expect(smsTo(patient.mobile!, since)).toHaveLength(1);
			const after = await withStore(async (store) => ({ steps: await store.steps({ journeyId }), journal: await store.journal({ journeyId }) }));
			expect(after).toEqual(before);
		} finally {
			await sandbox.client.activate(threeStage().id);
		}
		await eventually('the live reminder', () => smsTo(patient.mobile!, since)[1], 60_000);
	});

	it('resumes 1,000 steps once each after a restart, and a Cadence Wait v1 journey still resumes from n8n\'s own wait', async () => {
		const since = Date.now();
		// A workflow built with version 1 of Cadence Wait (stage 2 held in n8n as a waiting execution).
		const v1Path = 'post-visit/fhir/v1-visit-completed';
		const template = prepareTemplate(await sandbox.client.workflow(threeStage().id) as never, {
			name: 'Post-Visit: Cadence Wait v1 (e2e)', ehr: 'fhir', webhookPath: v1Path, credentialIds: sandbox.credentialIds,
		});
		const nodes = template.nodes.map(({ id: _id, webhookId, ...node }) => ({
			...node,
			...(webhookId ? { webhookId: randomUUID() } : {}),
			...(node.name === 'Wait 2 Days' ? { typeVersion: 1, parameters: { anchor: 'visitClose', amount: 48, unit: 'hours' } } : {}),
			...(node.type === 'n8n-nodes-post-visit.journeyDueTrigger' ? { disabled: true } : {}),
		}));
		const v1 = await sandbox.client.createWorkflow({ ...template, nodes: nodes as never[] });
		await sandbox.client.activate(v1.id);
		const v1Patient = newPatient('v1');
		const patientId = await ensureFhirPatient(sandbox.fhir, v1Patient, zone);
		const visit = await closeFhirVisit(sandbox.fhir, patientId, { completedAt: DateTime.utc().minus({ hours: 48 }).plus({ seconds: 70 }).toISO() as string });
		const body = JSON.stringify(fhirBackportNotification(visit.encounterId, ++eventNumber));
		const delivered = await fetch(`${sandbox.n8n.baseUrl}/webhook/${v1Path}`, { method: 'POST', body, headers: { 'content-type': 'application/fhir+json', 'x-webhook-secret': sandbox.webhookSecret } });
		expect(delivered.status).toBe(200);
		await eventually('the v1 journey waiting in n8n', async () => ((await sandbox.client.executions(v1.id)).some((e) => e.status === 'waiting') ? true : undefined));

		const journeys = await scheduledJourneys('restart', 1000, DateTime.utc().plus({ seconds: 20 }).toISO() as string);
		await sandbox.n8n.restart();
		await sandbox.client.signIn();

		await eventually('1,000 reminders', () => (journeys.every((journey) => smsTo(journey.mobile, since).length >= 1) ? true : undefined), 600_000);
		await eventually('the v1 journey\'s reminder', () => smsTo(v1Patient.mobile!, since)[1], 240_000);
		await withStore(async (store) => {
			for (const { journeyId, mobile } of journeys) {
				expect([journeyId, smsTo(mobile, since).length]).toEqual([journeyId, 1]);
				expect([journeyId, (await store.journal({ journeyId, type: 'step.resumed' })).length]).toEqual([journeyId, 1]);
			}
		});
		await allAwaitingEscalation(journeys.map((journey) => journey.journeyId), 120_000);
	});
});
