import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { parseSearchRequest } from '@medplum/core';
import type { Patient, Task } from '@medplum/fhirtypes';
import { DateTime } from 'luxon';
import twilio from 'twilio';

import { journeyIdentifierSystem } from '../../nodes/shared/ehr/fhir/adapter';
import { openJourneyStore } from '../../nodes/shared/store';
import type { JournalEntry } from '../../nodes/shared/store/types';
import type { DemoPatient } from '../../sandbox/demo-patients';
import { buildDsn } from '../../sandbox/dsn';
import { deliveryStatusPath, prepareTemplate } from '../../sandbox/environment';
import type { Sandbox } from '../../sandbox/environment';
import { closeFhirVisit, ensureFhirPatient, fhirBackportNotification } from '../../sandbox/fhir-demo';
import { projectRoot } from '../../sandbox/n8n';
import { zoneWhereNowIsBetween } from '../helpers/fixtures';
import { eventually, startE2eSandbox } from './harness';

/*
 * The delivery-status template in a real n8n 2.41.1: the sandbox's Twilio-shaped API posts signed status callbacks
 * (queued → sent → delivered / undelivered 30003; a call's completed / no-answer) to the StatusCallback URL the
 * Twilio credential gives, exactly as Twilio does; bounces are RFC 3464 DSNs built from the mail the SMTP sink got.
 */

let sandbox: Sandbox;
let eventNumber = 0;
const voiceWebhookPath = 'post-visit/fhir/voice-visit-completed';
const bounceWebhookPath = 'post-visit/test/bounces';

type Template = { name: string; nodes: Array<Record<string, unknown>>; connections: Record<string, unknown>; settings?: Record<string, unknown> };
const templateFile = (file: string) => JSON.parse(readFileSync(join(projectRoot, 'workflows-templates', file), 'utf8')) as Template;

beforeAll(async () => {
	// Stage 2 and 3 follow stage 1 within seconds here (visits closed days ago): allow that, as an ops lead could.
	sandbox = await startE2eSandbox('delivery-status', 5800, { profile: { perPatientPerDay: 3, perNumberPerDay: 5 } });

	// The three-stage template with the stage-3 voice message turned on, on a webhook path of its own.
	const threeStage = templateFile('post-visit-three-stage.json');
	threeStage.nodes = threeStage.nodes.map((node) =>
		node.name === 'Route Stage 3' ? { ...node, parameters: { ...(node.parameters as object), allowVoice: true } } : node,
	);
	const voice = await sandbox.client.createWorkflow(
		prepareTemplate(threeStage, { name: 'Three-Stage with Voice (test)', ehr: 'fhir', webhookPath: voiceWebhookPath, credentialIds: sandbox.credentialIds }),
	);
	await sandbox.client.activate(voice.id);

	// The delivery-status template's bounce path, fed by a webhook instead of an IMAP mailbox (the sandbox has none).
	const bounces = templateFile('delivery-status.json');
	bounces.nodes = bounces.nodes
		.filter((node) => node.name !== 'Delivery Status Trigger')
		.map((node) => {
			if (node.name === 'Email Trigger (IMAP)') {
				return { ...node, type: 'n8n-nodes-base.webhook', typeVersion: 2, disabled: false, parameters: { httpMethod: 'POST', path: bounceWebhookPath, responseMode: 'onReceived', options: {} } };
			}
			if (node.name === 'Record Email Bounce') return { ...node, parameters: { ...(node.parameters as object), message: '={{ $json.body.raw }}' } };
			return node;
		});
	delete bounces.connections['Delivery Status Trigger'];
	const bounceWorkflow = await sandbox.client.createWorkflow(
		prepareTemplate(bounces, { name: 'Bounces by Webhook (test)', ehr: 'fhir', webhookPath: '', credentialIds: sandbox.credentialIds }),
	);
	await sandbox.client.activate(bounceWorkflow.id);
}, 300_000);

afterAll(async () => {
	await sandbox?.stop();
});

let patientNumber = 0;

/** A patient of the FHIR sandbox with contacts of this test's own (so other tests' messages never mix in). */
async function newPatient(contacts: Pick<DemoPatient, 'mobile' | 'email' | 'landline'>, options: { preferEmail?: boolean } = {}) {
	patientNumber += 1;
	const demo: DemoPatient = { key: `ds-${patientNumber}`, firstName: 'Sam', lastName: 'Rivera', birthDate: '1975-05-05', language: 'en', zone: 'America/Chicago', ...contacts };
	const patientId = await ensureFhirPatient(sandbox.fhir, demo, zoneWhereNowIsBetween(9, 20));
	if (options.preferEmail) {
		// FHIR's only preference signal: the contact point ranked 1.
		const resource = await sandbox.fhir.repo.readResource<Patient>('Patient', patientId);
		await sandbox.fhir.repo.updateResource({ ...resource, telecom: resource.telecom?.map((t) => (t.system === 'email' ? { ...t, rank: 1 } : t)) });
	}
	return patientId;
}

/** Closes a visit and delivers the signed FHIR notification to the EHR Trigger at `path`. */
async function closeVisit(patientId: string, completedAt: DateTime, path = `post-visit/fhir/visit-completed`) {
	const visit = await closeFhirVisit(sandbox.fhir, patientId, { completedAt: completedAt.toUTC().toISO() as string });
	eventNumber += 1;
	const response = await fetch(`${sandbox.n8n.baseUrl}/webhook/${path}`, {
		method: 'POST',
		body: JSON.stringify(fhirBackportNotification(visit.encounterId, eventNumber)),
		headers: { 'content-type': 'application/fhir+json', 'x-webhook-secret': sandbox.webhookSecret },
	});
	expect(response.status).toBe(200);
	return visit;
}

async function journal(filter: (entry: JournalEntry) => boolean): Promise<JournalEntry[]> {
	const store = await openJourneyStore({ backend: 'sqlite', path: sandbox.journeyStorePath });
	try {
		return (await store.journal({})).filter(filter);
	} finally {
		await store.close();
	}
}

const smsTo = (number: string) => sandbox.twilio.messages.filter((m) => m.to === number);
const callsTo = (number: string) => sandbox.twilio.calls.filter((c) => c.to === number);
const emailsTo = (address: string) => sandbox.smtp.messages.filter((m) => m.to.includes(address));
const callbacksOf = (sid: string) => sandbox.twilio.statusCallbacks.filter((c) => c.sid === sid);
const deliveryExecutions = async () => await sandbox.client.executions(sandbox.workflows.deliveryStatus.id, 250);
const settle = async (ms: number) => await new Promise((resolve) => setTimeout(resolve, ms));

async function fhirTasksOf(journeyId: string): Promise<Task[]> {
	return (await sandbox.fhir.repo.searchResources(
		parseSearchRequest(`Task?identifier=${encodeURIComponent(`${journeyIdentifierSystem}|${journeyId}`)}`),
	)) as Task[];
}

describe('delivery status in a real n8n 2.41.1', () => {
	it('registers the Delivery Status Trigger and Record Delivery nodes', async () => {
		const types = (await sandbox.client.nodeTypes()).map((t) => t.name);
		expect(types).toEqual(expect.arrayContaining(['n8n-nodes-post-visit.deliveryStatusTrigger', 'n8n-nodes-post-visit.recordDelivery']));
	});

	it('records a delivered care summary SMS once, from signed callbacks queued → sent → delivered', async () => {
		const mobile = '+15125550401';
		const patientId = await newPatient({ mobile, email: 'delivered@patients.example' });
		await closeVisit(patientId, DateTime.utc().minus({ minutes: 2 }));
		const sms = await eventually('the care summary SMS', () => smsTo(mobile)[0]);
		const delivered = await eventually('touch.delivered in the journal', async () => (await journal((e) => e.type === 'touch.delivered' && e.providerId === sms.sid))[0]);
		expect(delivered).toMatchObject({ stage: 1, channel: 'sms', code: 'delivered', templateId: 'careSummary' });
		const answers = await eventually('n8n\'s answers to the three callbacks', () => {
			const callbacks = callbacksOf(sms.sid);
			return callbacks.length === 3 && callbacks.every((c) => c.answer !== undefined) ? callbacks.map((c) => [c.params.MessageStatus, c.answer]) : undefined;
		});
		expect(answers).toEqual([
			['queued', 200],
			['sent', 200],
			['delivered', 200],
		]);
	});

	it('sends the care summary email as the fallback of an SMS reported undelivered (30003), once, though Twilio repeats the callback', async () => {
		const mobile = '+15125550402';
		const email = 'fallback@patients.example';
		const patientId = await newPatient({ mobile, email });
		// The patient's mail server defers the care summary email (it is released for a later try) and the handset
		// is unreachable: the SMS is accepted, then reported undelivered after the email attempt is over.
		sandbox.smtp.setRecipientBehaviour(email, 'defer');
		sandbox.twilio.setDeliveryBehaviour(mobile, 'undelivered');
		sandbox.twilio.setStatusCallbackDelay(2500);
		try {
			await closeVisit(patientId, DateTime.utc().minus({ minutes: 2 }));
			const sms = await eventually('the care summary SMS', () => smsTo(mobile)[0]);
			await eventually('the deferred email recorded as failed', async () => (await journal((e) => e.type === 'touch.failed' && e.channel === 'email' && e.stage === 1))[0]);
			sandbox.smtp.setRecipientBehaviour(email, undefined);
			const fallback = await eventually('the care summary email, as fallback', () => emailsTo(email)[0], 90_000);
			expect(fallback.subject).toMatch(/Riverside/);
			const undelivered = await journal((e) => e.type === 'touch.undelivered' && e.providerId === sms.sid);
			expect(undelivered).toEqual([expect.objectContaining({ stage: 1, channel: 'sms', code: '30003' })]);

			const executionsBefore = (await deliveryExecutions()).length;
			const repeat = await sandbox.twilio.repeatStatusCallback(sms.sid);
			expect(repeat.answer).toBe(200);
			await eventually('the repeat to be processed', async () => ((await deliveryExecutions()).filter((e) => e.status === 'success').length > executionsBefore ? true : undefined));
			await settle(2000);
			expect(emailsTo(email)).toHaveLength(1);
			expect(await journal((e) => e.type === 'touch.undelivered' && e.providerId === sms.sid)).toHaveLength(1);
		} finally {
			sandbox.twilio.setStatusCallbackDelay(300);
			sandbox.smtp.setRecipientBehaviour(email, undefined);
		}
	});

	it('creates the EHR task when the stage-3 voice call is not answered, and records an answered call without a task', async () => {
		const unanswered = '+15125550403';
		const answered = '+15125550404';
		sandbox.twilio.setDeliveryBehaviour(unanswered, 'noAnswer');
		const since = Date.now();
		// Visits closed 7 days ago: stages 1 and 2 are due at once, then the stage-3 voice message.
		for (const mobile of [unanswered, answered]) {
			await closeVisit(await newPatient({ mobile }), DateTime.utc().minus({ days: 7, minutes: 5 }), voiceWebhookPath);
		}
		const missedCall = await eventually('the unanswered stage-3 call', () => callsTo(unanswered)[0], 120_000);
		const answeredCall = await eventually('the answered stage-3 call', () => callsTo(answered)[0], 120_000);
		expect(missedCall.statusCallbackEvents).toEqual(['completed']);

		const [unansweredEntry] = await eventually('call.unanswered in the journal', async () => {
			const entries = await journal((e) => e.type === 'call.unanswered' && e.providerId === missedCall.sid);
			return entries.length ? entries : undefined;
		});
		expect(unansweredEntry).toMatchObject({ stage: 3, channel: 'voice', code: 'no-answer' });
		const tasks = await eventually('the FHIR task', async () => {
			const found = await fhirTasksOf(unansweredEntry.journeyId);
			return found.length ? found : undefined;
		});
		expect(tasks).toHaveLength(1);
		expect(tasks[0].description).toMatch(/the stage-3 voice call was not answered \(no-answer\)/);
		await eventually('the coordinator told', () => sandbox.smtp.messages.find((m) => m.to.includes('maria.lopez@riverside.example') && m.receivedAt >= since));

		const [answeredEntry] = await eventually('call.answered in the journal', async () => {
			const entries = await journal((e) => e.type === 'call.answered' && e.providerId === answeredCall.sid);
			return entries.length ? entries : undefined;
		});
		expect(answeredEntry).toMatchObject({ stage: 3, channel: 'voice', code: 'completed' });
		await settle(2000);
		expect(await fhirTasksOf(answeredEntry.journeyId)).toHaveLength(0);
	});

	it('records a DSN bounce of the reminder email and sends the reminder by SMS instead', async () => {
		const mobile = '+15125550405';
		const email = 'bounced@patients.example';
		const patientId = await newPatient({ mobile, email }, { preferEmail: true });
		// Closed 48 h ago: the care summary (SMS + email), then at once the reminder on the preferred channel, email.
		await closeVisit(patientId, DateTime.utc().minus({ hours: 48, minutes: 5 }));
		const reminderEmail = await eventually('the reminder email', () => emailsTo(email)[1], 90_000);
		const smsBefore = await eventually('the care summary SMS', () => (smsTo(mobile).length === 1 ? smsTo(mobile) : undefined));

		const dsn = buildDsn({ recipient: email, original: { raw: reminderEmail.raw }, to: 'care@riverside.example', form: 'body' });
		const response = await fetch(`${sandbox.n8n.baseUrl}/webhook/${bounceWebhookPath}`, {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify({ raw: dsn }),
		});
		expect(response.status).toBe(200);
		const fallbackSms = await eventually('the reminder by SMS', () => smsTo(mobile)[1], 90_000);
		expect(smsBefore).toHaveLength(1);
		expect(fallbackSms.body).toMatch(/follow-up/i);
		const [entry] = await journal((e) => e.type === 'touch.undelivered' && e.providerId === reminderEmail.messageId);
		expect(entry).toMatchObject({ stage: 2, channel: 'email', code: '5.1.1' });
	});

	it('keeps the human task as the stage-3 touch of the standard template (voice off), with its usual reason', async () => {
		const mobile = '+15125550406';
		await closeVisit(await newPatient({ mobile }), DateTime.utc().minus({ days: 7, minutes: 5 }));
		const [stage2] = await eventually('the stage-2 reminder', async () => {
			const entries = await journal((e) => e.type === 'touch.sent' && e.stage === 2 && e.providerId === smsTo(mobile)[1]?.sid);
			return entries.length ? entries : undefined;
		}, 120_000);
		const tasks = await eventually('the FHIR task', async () => {
			const found = await fhirTasksOf(stage2.journeyId);
			return found.length ? found : undefined;
		}, 120_000);
		expect(tasks[0].description).toMatch(/Reason for this task: follow-up still open after the reminders\./);
		expect(callsTo(mobile)).toHaveLength(0);
	});

	it('refuses a status callback with a forged signature with 403 and starts no execution', async () => {
		const url = `${sandbox.n8n.baseUrl}/webhook/${deliveryStatusPath}`;
		const forgedSid = 'SM' + 'e'.repeat(32);
		const params = { AccountSid: 'AC' + 'd3a0'.repeat(8), MessageSid: forgedSid, MessageStatus: 'undelivered', ErrorCode: '30003', To: '+15125550101' };
		const forged = await fetch(url, {
			method: 'POST',
			headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': twilio.getExpectedTwilioSignature('guessed-token', url, params) },
			body: new URLSearchParams(params).toString(),
		});
		expect(forged.status).toBe(403);
		const unsigned = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(params).toString() });
		expect(unsigned.status).toBe(403);
		await settle(2000);
		const executions = await deliveryExecutions();
		// Other messages of this run keep reporting meanwhile; none of their executions may carry the forged SID.
		expect(executions.filter((e) => JSON.stringify(e.data?.resultData?.runData ?? {}).includes(forgedSid))).toEqual([]);
		expect(await journal((e) => e.providerId === forgedSid)).toEqual([]);
		// And everything the callbacks of this run started went through without an error.
		expect(executions.filter((e) => e.status === 'error').map((e) => e.id)).toEqual([]);
	});
});
