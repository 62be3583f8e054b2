import { join } from 'node:path';

import { parseSearchRequest } from '@medplum/core';
import type { Patient, Task } from '@medplum/fhirtypes';
import { DateTime } from 'luxon';
import { WebhookContext } from 'n8n-core';
import type { ICredentialDataDecryptedObject, IDataObject, IWebhookData } from 'n8n-workflow';
import twilio from 'twilio';

import { ChannelRouter } from '../../nodes/ChannelRouter/ChannelRouter.node';
import { DeliveryStatusTrigger } from '../../nodes/DeliveryStatusTrigger/DeliveryStatusTrigger.node';
import { EhrTask } from '../../nodes/EhrTask/EhrTask.node';
import { FollowUpReport } from '../../nodes/FollowUpReport/FollowUpReport.node';
import { PatientMessage } from '../../nodes/PatientMessage/PatientMessage.node';
import { RecordDelivery } from '../../nodes/RecordDelivery/RecordDelivery.node';
import { VisitDetails } from '../../nodes/VisitDetails/VisitDetails.node';
import { parseTwilioStatusCallback } from '../../nodes/shared/core/deliveryStatus';
import { journeyIdentifierSystem } from '../../nodes/shared/ehr/fhir/adapter';
import { openJourneyStore } from '../../nodes/shared/store';
import type { DemoPatient } from '../../sandbox/demo-patients';
import { buildDsn } from '../../sandbox/dsn';
import { closeFhirVisit, ensureFhirPatient, fhirBackportNotification } from '../../sandbox/fhir-demo';
import { startSmtpSink } from '../../sandbox/smtp-sink';
import type { SmtpSink } from '../../sandbox/smtp-sink';
import { startTwilioApi } from '../../sandbox/twilio-api';
import type { TwilioApiSandbox } from '../../sandbox/twilio-api';
import { post, useEhrSandboxes } from '../helpers/ehrSandboxes';
import { createEngine, runWorkflow, single } from '../helpers/engine';
import type { WorkflowFixture } from '../helpers/engine';
import { journeyStoreCredential, packCredentialTypes, practiceProfileCredential, tempDir, testContactHashSecret, zoneWhereNowIsBetween } from '../helpers/fixtures';
import { capturingResponse, webhookRequestOf } from '../helpers/webhookStandIns';
import type { CapturedResponse } from '../helpers/webhookStandIns';

const secret = 'whsec-delivery-status-0123456789';
const accountSid = 'AC' + '7'.repeat(32);
const authToken = 'delivery-status-auth-token';
const sandbox = useEhrSandboxes({ webhookSecret: secret });

let twilioApi: TwilioApiSandbox;
let smtp: SmtpSink;

beforeAll(async () => {
	twilioApi = await startTwilioApi({ accountSid, authToken });
	smtp = await startSmtpSink({ disableStartTls: true });
});
afterAll(async () => {
	await twilioApi.close();
	await smtp.close();
});
beforeEach(() => {
	twilioApi.reset();
	smtp.reset();
});

const nodeTypes = {
	visitDetails: new VisitDetails(),
	channelRouter: new ChannelRouter(),
	patientMessage: new PatientMessage(),
	recordDelivery: new RecordDelivery(),
	ehrTask: new EhrTask(),
};

function credentials(storePath: string): Record<string, ICredentialDataDecryptedObject> {
	return {
		...sandbox.credentials('fhir'),
		journeyStoreApi: journeyStoreCredential(storePath),
		// One message a day: the fallback of a stage must not count as a second touch of that stage.
		practiceProfileApi: practiceProfileCredential({ perPatientPerDay: 1 }),
		postVisitTwilioApi: { authType: 'authToken', accountSid, authToken, from: '+15125550199', apiBaseUrl: twilioApi.url },
		postVisitSmtpApi: { host: '127.0.0.1', port: smtp.port, security: 'none', fromEmail: 'care@riverside.test', fromName: 'Riverside' },
	};
}

const run = async (fixture: WorkflowFixture, storePath: string) =>
	await runWorkflow(fixture, { nodeTypes, credentials: credentials(storePath), credentialTypes: packCredentialTypes() });

const main = (node: string) => [{ node, type: 'main' as const, index: 0 }];
const fixtureNode = (items: unknown[]) => ({ name: 'Fixture', type: 'test.fixture', parameters: { items: JSON.stringify(items) } });

let visitCounter = 0;

/** A visit closed in the FHIR sandbox, admitted by Visit Details and sent at one stage: the touch a status is about. */
async function sentTouch(patient: Partial<DemoPatient>, stage: 1 | 2 | 3) {
	const storePath = join(tempDir(), 'journey.sqlite');
	const key = `status-${++visitCounter}`;
	const demo: DemoPatient = { key, firstName: 'Jo', lastName: 'Doe', birthDate: '1970-01-01', language: 'en', zone: 'America/Chicago', ...patient };
	const patientId = await ensureFhirPatient(sandbox.fhir, demo, zoneWhereNowIsBetween(9, 20));
	if (patient.preferredChannel === 'email') {
		// FHIR's only preference signal is the contact point ranked 1.
		const resource = await sandbox.fhir.repo.readResource<Patient>('Patient', patientId);
		await sandbox.fhir.repo.updateResource({ ...resource, telecom: resource.telecom?.map((t) => (t.system === 'email' ? { ...t, rank: 1 } : t)) });
	}
	const { encounterId } = await closeFhirVisit(sandbox.fhir, patientId, { completedAt: DateTime.utc().minus({ minutes: 5 }).toISO() as string });
	const notification = sandbox.verified(
		'fhir',
		post(JSON.stringify(fhirBackportNotification(encounterId, visitCounter)), { 'content-type': 'application/fhir+json', 'x-webhook-secret': secret }),
	);
	const result = await run(
		{
			nodes: [
				fixtureNode([notification]),
				{ name: 'Visit Details', type: 'n8n-nodes-post-visit.visitDetails', parameters: { ehr: 'fhir' } },
				{ name: 'Route', type: 'n8n-nodes-post-visit.channelRouter', parameters: { stage, ...(stage === 3 ? { allowVoice: true } : {}) } },
				{ name: 'Send', type: 'n8n-nodes-post-visit.patientMessage', parameters: { stage } },
			],
			connections: { Fixture: { main: [main('Visit Details')] }, 'Visit Details': { main: [main('Route')] }, Route: { main: [main('Send')] } },
		},
		storePath,
	);
	const [sent] = result.output('Send', 0);
	if (!sent) throw new Error(`not sent: ${JSON.stringify(result.error('Send') ?? result.output('Route', 1))}`);
	const results = (sent.delivery as { results: Array<{ channel: string; status: string; providerId?: string }> }).results;
	const providerId = (channel: string) => results.find((r) => r.channel === channel && r.status === 'sent')?.providerId as string;
	return { storePath, journeyId: (sent.journey as { journeyId: string }).journeyId, patientId, results, providerId, item: sent };
}

/** Record Delivery wired as in the delivery-status template: both fallbacks, the staff task and the recorded output. */
function recordWorkflow(items: unknown[], parameters: IDataObject = { operation: 'twilioStatus', ehr: 'fhir' }): WorkflowFixture {
	return {
		nodes: [
			fixtureNode(items),
			{ name: 'Record Delivery', type: 'n8n-nodes-post-visit.recordDelivery', parameters: parameters as never },
			{ name: 'Route 1', type: 'n8n-nodes-post-visit.channelRouter', parameters: { stage: 1 } },
			{ name: 'Send 1', type: 'n8n-nodes-post-visit.patientMessage', parameters: { stage: 1 } },
			{ name: 'Route 2', type: 'n8n-nodes-post-visit.channelRouter', parameters: { stage: 2 } },
			{ name: 'Send 2', type: 'n8n-nodes-post-visit.patientMessage', parameters: { stage: 2 } },
			{
				name: 'Task',
				type: 'n8n-nodes-post-visit.ehrTask',
				parameters: { ehr: 'fhir', reason: '={{ "the stage-3 voice call was not answered (" + $json.deliveryStatus.code + ")" }}' },
			},
		],
		connections: {
			Fixture: { main: [main('Record Delivery')] },
			'Record Delivery': { main: [main('Route 1'), main('Route 2'), main('Task'), []] },
			'Route 1': { main: [main('Send 1'), main('Task')] },
			'Route 2': { main: [main('Send 2'), main('Task')] },
			'Send 1': { main: [[], [], main('Task')] },
			'Send 2': { main: [[], [], main('Task')] },
		},
	};
}

/** What the Delivery Status Trigger emits for these callback fields. */
function statusItem(params: Record<string, string>) {
	return { deliveryStatus: { ...parseTwilioStatusCallback(params), receivedAt: new Date().toISOString() } };
}

/** The fields Twilio posts to the status callback URL for a message or a call. */
const messageFields = (sid: string, status: string, to: string, extra: Record<string, string> = {}) =>
	({ AccountSid: accountSid, MessageSid: sid, SmsSid: sid, MessageStatus: status, SmsStatus: status, To: to, From: '+15125550199', ...extra });
const callFields = (sid: string, status: string, to: string, extra: Record<string, string> = {}) =>
	({ AccountSid: accountSid, CallSid: sid, CallStatus: status, To: to, Called: to, From: '+15125550199', Direction: 'outbound-api', ...extra });
const messageStatus = (sid: string, status: string, to: string, extra: Record<string, string> = {}) => statusItem(messageFields(sid, status, to, extra));
const callStatus = (sid: string, status: string, to: string) => statusItem(callFields(sid, status, to));

async function journalOf(storePath: string, journeyId: string) {
	const store = await openJourneyStore({ backend: 'sqlite', path: storePath, contactHashSecret: testContactHashSecret });
	try {
		return await store.journal({ journeyId });
	} finally {
		await store.close();
	}
}

describe('Record Delivery (Twilio status) in n8n\'s engine, against the FHIR, Twilio and SMTP sandboxes', () => {
	it('falls back to email when a stage-2 SMS is reported undelivered (30003), once, however often Twilio repeats it', async () => {
		const touch = await sentTouch({ mobile: '+15125550301', email: 'reminder@patients.test', preferredChannel: 'sms' }, 2);
		expect(touch.results.map((r) => [r.channel, r.status])).toEqual([['sms', 'sent']]);
		const sid = touch.providerId('sms');
		const undelivered = messageStatus(sid, 'undelivered', '+15125550301', { ErrorCode: '30003' });

		const first = await run(recordWorkflow([undelivered]), touch.storePath);
		expect(first.error('Record Delivery')).toBeUndefined();
		const [fallback] = first.output('Record Delivery', 1);
		expect(fallback.deliveryStatus).toMatchObject({ outcome: 'undelivered', code: '30003', stage: 2, channel: 'sms', providerId: sid, journalType: 'touch.undelivered' });
		expect((fallback.deliveryStatus as IDataObject).summary).toBe('SMS of stage 2 undelivered (30003): trying the next channel of the same stage');
		expect((fallback.journey as { steps: unknown[] }).steps).toEqual([
			expect.objectContaining({ outcome: 'failed', channel: 'sms', address: '+15125550301', reason: 'undelivered', stage: 2 }),
		]);
		const sent = first.output('Send 2', 0);
		expect((sent[0].delivery as { results: unknown[] }).results).toEqual([expect.objectContaining({ channel: 'email', status: 'sent' })]);
		expect(smtp.messages.map((m) => m.to)).toEqual([['reminder@patients.test']]);

		const repeated = await run(recordWorkflow([undelivered, undelivered]), touch.storePath);
		expect(repeated.output('Record Delivery', 1)).toHaveLength(0);
		expect(repeated.output('Record Delivery', 3).map((item) => (item.deliveryStatus as IDataObject).recorded)).toEqual(['duplicate', 'duplicate']);
		expect(repeated.output('Record Delivery', 3).map((item) => (item.deliveryStatus as IDataObject).summary)).toEqual([
			expect.stringMatching(/: already recorded \(the provider sent it again\)$/),
			expect.stringMatching(/: already recorded \(the provider sent it again\)$/),
		]);
		expect(smtp.messages).toHaveLength(1);
		expect(twilioApi.messages).toHaveLength(1);

		const journal = await journalOf(touch.storePath, touch.journeyId);
		const undeliveredEntries = journal.filter((entry) => entry.type === 'touch.undelivered');
		expect(undeliveredEntries).toEqual([
			expect.objectContaining({ stage: 2, channel: 'sms', code: '30003', providerId: sid, detail: { status: 'undelivered', next: 'fallback', reason: 'undelivered', addressHash: expect.stringMatching(/^[0-9a-f]{64}$/) } }),
		]);
		expect(journal.filter((entry) => entry.type === 'touch.sent').map((entry) => entry.channel)).toEqual(['sms', 'email']);
	});

	it('sends no second copy when the care summary already went by email and only the SMS was undelivered', async () => {
		const touch = await sentTouch({ mobile: '+15125550302', email: 'summary@patients.test' }, 1);
		expect(touch.results.map((r) => [r.channel, r.status])).toEqual([['sms', 'sent'], ['email', 'sent']]);
		const result = await run(recordWorkflow([messageStatus(touch.providerId('sms'), 'failed', '+15125550302', { ErrorCode: '30008' })]), touch.storePath);
		expect(result.output('Record Delivery', 0)).toHaveLength(1);
		const [resend] = result.output('Send 1', 0);
		expect((resend.delivery as { results: unknown[] }).results).toEqual([expect.objectContaining({ channel: 'email', status: 'alreadySent' })]);
		expect(smtp.messages).toHaveLength(1);
	});

	it('hands an undelivered care summary with no channel left to staff (Channel Router "Staff Call" → EHR Task)', async () => {
		const touch = await sentTouch({ mobile: '+15125550303' }, 1);
		const result = await run(recordWorkflow([messageStatus(touch.providerId('sms'), 'undelivered', '+15125550303', { ErrorCode: '30003' })]), touch.storePath);
		const [staffCall] = result.output('Route 1', 1);
		expect(staffCall.staffCall).toEqual({ reason: 'allFailed', stage: 1 });
		expect(result.output('Task', 0)).toHaveLength(1);
	});

	it('records nothing when the EHR cannot be reached for the fallback, so a retry of the execution does it all', async () => {
		const touch = await sentTouch({ mobile: '+15125550309', email: 'retry@patients.test', preferredChannel: 'sms' }, 2);
		const undelivered = messageStatus(touch.providerId('sms'), 'undelivered', '+15125550309', { ErrorCode: '30003' });
		sandbox.fhir.injectFaults(...Array.from({ length: 8 }, () => ({ status: 503 as const })));
		const failed = await run(recordWorkflow([undelivered]), touch.storePath);
		expect(failed.error('Record Delivery')).toBeDefined();
		expect((await journalOf(touch.storePath, touch.journeyId)).filter((entry) => entry.type === 'touch.undelivered')).toEqual([]);
		sandbox.fhir.clearFaults();
		const retried = await run(recordWorkflow([undelivered]), touch.storePath);
		expect(retried.output('Send 2', 0)).toHaveLength(1);
		expect(smtp.messages.map((m) => m.to)).toEqual([['retry@patients.test']]);
		expect((await journalOf(touch.storePath, touch.journeyId)).filter((entry) => entry.type === 'touch.undelivered')).toHaveLength(1);
	});

	it('records delivered once, and drops intermediate statuses and SIDs it never sent', async () => {
		const touch = await sentTouch({ mobile: '+15125550304', preferredChannel: 'sms', email: 'ok@patients.test' }, 2);
		const sid = touch.providerId('sms');
		const result = await run(
			recordWorkflow([
				messageStatus(sid, 'sent', '+15125550304'),
				messageStatus(sid, 'delivered', '+15125550304'),
				messageStatus(sid, 'delivered', '+15125550304'),
				messageStatus('SM' + 'f'.repeat(32), 'undelivered', '+15125550304', { ErrorCode: '30003' }),
			]),
			touch.storePath,
		);
		expect(result.output('Record Delivery', 3).map((item) => (item.deliveryStatus as IDataObject).recorded)).toEqual([
			'intermediate',
			'recorded',
			'duplicate',
			'unknownTouch',
		]);
		const journal = await journalOf(touch.storePath, touch.journeyId);
		expect(journal.filter((entry) => entry.type === 'touch.delivered')).toEqual([
			expect.objectContaining({ stage: 2, channel: 'sms', code: 'delivered', providerId: sid, templateId: 'actionReminder' }),
		]);
		expect(smtp.messages).toHaveLength(0);
	});
});

describe('Record Delivery (voice outcomes)', () => {
	it('creates the EHR task when the stage-3 call is not answered, and tells the coordinator', async () => {
		const touch = await sentTouch({ landline: '+15125550305' }, 3);
		const sid = touch.providerId('voice');
		expect(sid).toMatch(/^CA/);
		const result = await run(recordWorkflow([callStatus(sid, 'no-answer', '+15125550305')]), touch.storePath);
		expect(result.error('Task')).toBeUndefined();
		const [task] = result.output('Task', 0);
		expect(task.deliveryStatus).toMatchObject({ outcome: 'unanswered', code: 'no-answer', stage: 3, channel: 'voice', journalType: 'call.unanswered' });
		expect((task.deliveryStatus as IDataObject).summary).toMatch(/^Call of stage 3 .*: a person takes over$/);
		const tasks = (await sandbox.fhir.repo.searchResources(
			parseSearchRequest(`Task?identifier=${encodeURIComponent(`${journeyIdentifierSystem}|${touch.journeyId}`)}`),
		)) as Task[];
		expect(tasks).toHaveLength(1);
		expect(tasks[0].description).toMatch(/the stage-3 voice call was not answered \(no-answer\)/);
		expect(smtp.messages.map((m) => m.to)).toEqual([['maria@example.test']]);
		const journal = await journalOf(touch.storePath, touch.journeyId);
		expect(journal.filter((entry) => entry.type === 'call.unanswered')).toEqual([
			expect.objectContaining({ stage: 3, channel: 'voice', code: 'no-answer', providerId: sid }),
		]);
	});

	it('records an answered call and creates no task', async () => {
		const touch = await sentTouch({ mobile: '+15125550306' }, 3);
		const sid = touch.providerId('voice');
		const result = await run(recordWorkflow([callStatus(sid, 'completed', '+15125550306')]), touch.storePath);
		expect(result.output('Record Delivery', 3)).toEqual([expect.objectContaining({ deliveryStatus: expect.objectContaining({ recorded: 'recorded', outcome: 'answered' }) })]);
		expect(result.output('Task', 0)).toHaveLength(0);
		const journal = await journalOf(touch.storePath, touch.journeyId);
		expect(journal.filter((entry) => entry.type === 'call.answered')).toEqual([expect.objectContaining({ code: 'completed', stage: 3, channel: 'voice' })]);
	});
});

describe('Record Delivery (email bounce)', () => {
	it('matches a DSN to the email touch by its Message-ID, records 5.1.1 and falls back to SMS', async () => {
		const touch = await sentTouch({ mobile: '+15125550307', email: 'gone@patients.test', preferredChannel: 'email' }, 2);
		expect(touch.results.map((r) => [r.channel, r.status])).toEqual([['email', 'sent']]);
		const [sentEmail] = smtp.messages;
		expect(sentEmail.messageId).toBe(touch.providerId('email'));
		const dsn = buildDsn({ recipient: 'gone@patients.test', original: { raw: sentEmail.raw }, to: 'care@riverside.test', form: 'body' });

		const result = await run(recordWorkflow([{ raw: dsn }], { operation: 'emailBounce', ehr: 'fhir', message: '={{ $json.raw }}' }), touch.storePath);
		expect(result.error('Record Delivery')).toBeUndefined();
		const [fallback] = result.output('Record Delivery', 1);
		expect(fallback.deliveryStatus).toMatchObject({ provider: 'smtp', outcome: 'undelivered', code: '5.1.1', channel: 'email', stage: 2 });
		expect((fallback.journey as { steps: unknown[] }).steps).toEqual([expect.objectContaining({ channel: 'email', address: 'gone@patients.test', reason: 'bounce' })]);
		expect(twilioApi.messages.map((m) => m.to)).toEqual(['+15125550307']);

		const again = await run(recordWorkflow([{ raw: dsn }], { operation: 'emailBounce', ehr: 'fhir', message: '={{ $json.raw }}' }), touch.storePath);
		expect((again.output('Record Delivery', 3)[0].deliveryStatus as IDataObject).recorded).toBe('duplicate');
		expect(twilioApi.messages).toHaveLength(1);
		const journal = await journalOf(touch.storePath, touch.journeyId);
		expect(journal.filter((entry) => entry.type === 'touch.undelivered')).toEqual([
			expect.objectContaining({ channel: 'email', code: '5.1.1', providerId: sentEmail.messageId, detail: { status: 'failed', next: 'fallback', reason: 'bounce', addressHash: expect.stringMatching(/^[0-9a-f]{64}$/) } }),
		]);
	});

	it('lets mail that is not a bounce leave by "Recorded"', async () => {
		const storePath = join(tempDir(), 'journey.sqlite');
		const result = await run(
			recordWorkflow([{ raw: 'From: a@b.test\r\nSubject: Out of office\r\nContent-Type: text/plain\r\n\r\nAway.' }], { operation: 'emailBounce', ehr: 'fhir', message: '={{ $json.raw }}' }),
			storePath,
		);
		expect(result.output('Record Delivery', 3)).toEqual([
			expect.objectContaining({ deliveryStatus: expect.objectContaining({ recorded: 'notABounce' }) }),
		]);
	});

	it('refuses an item that is not a delivery status, naming the field', async () => {
		const storePath = join(tempDir(), 'journey.sqlite');
		const result = await run(recordWorkflow([{ hello: 'world' }]), storePath);
		expect(result.error('Record Delivery')?.message).toMatch(/not a delivery status/);
		expect(result.error('Record Delivery')?.description).toMatch(/deliveryStatus/);
	});
});

describe('Delivery Status Trigger in n8n-core\'s WebhookContext', () => {
	const path = 'post-visit/twilio-status';
	const webhookUrl = `http://127.0.0.1/webhook/${path}`;
	const testWebhookUrl = `http://127.0.0.1/webhook-test/${path}`;

	interface DeliverOptions {
		/** The journey store the trigger's credential names (default: an empty one of its own). */
		storePath?: string;
		/** 'manual': the editor listening for a test event, at the /webhook-test/ URL. */
		mode?: 'webhook' | 'manual';
	}

	async function deliver(params: Record<string, string>, signature: string | undefined, options: DeliverOptions = {}) {
		const mode = options.mode ?? 'webhook';
		const trigger = new DeliveryStatusTrigger();
		const engine = createEngine(
			{ nodes: [{ name: 'Delivery Status Trigger', type: 'n8n-nodes-post-visit.deliveryStatusTrigger', webhookId: 'status-hook', parameters: {} }], connections: {} },
			{
				nodeTypes: { deliveryStatusTrigger: trigger },
				credentials: {
					postVisitTwilioApi: { authType: 'authToken', accountSid, authToken },
					journeyStoreApi: journeyStoreCredential(options.storePath ?? join(tempDir(), 'journey.sqlite')),
				},
				credentialTypes: packCredentialTypes(),
			},
		);
		const raw = Buffer.from(new URLSearchParams(params).toString());
		const captured: CapturedResponse & { warnings: string[]; errors: string[] } = { warnings: [], errors: [] };
		const request = {
			...webhookRequestOf({
				method: 'POST',
				headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': String(raw.length), ...(signature ? { 'x-twilio-signature': signature } : {}) },
				rawBody: raw,
			}),
			url: `/${mode === 'manual' ? 'webhook-test' : 'webhook'}/${path}`,
		};
		const response = capturingResponse(captured);
		const node = engine.node('Delivery Status Trigger');
		const webhookData = {
			httpMethod: 'POST',
			node: node.name,
			path,
			webhookDescription: trigger.description.webhooks![0],
			workflowId: engine.workflow.id,
			webhookId: node.webhookId,
			isTest: mode === 'manual',
		} as unknown as IWebhookData;
		const context = new WebhookContext(engine.workflow, node, { ...engine.additionalData, httpRequest: request, httpResponse: response } as never, mode, webhookData, [], null);
		const logger = { warn: (message: string) => captured.warnings.push(message), error: (message: string) => captured.errors.push(message), debug() {}, info() {} };
		Object.defineProperty(context, 'logger', { value: logger });
		return { result: await trigger.webhook.call(context), captured };
	}

	const sign = (params: Record<string, string>, token = authToken, url = webhookUrl) => twilio.getExpectedTwilioSignature(token, url, params);
	const undelivered = { AccountSid: accountSid, MessageSid: 'SM' + 'c'.repeat(32), MessageStatus: 'undelivered', ErrorCode: '30003', To: '+15125550101', From: '+15125550199' };

	it('starts an execution for an undelivered SMS, with the report the Record Delivery node reads', async () => {
		const { result, captured } = await deliver(undelivered, sign(undelivered));
		expect(captured.statusCode).toBeUndefined();
		expect(result.webhookResponse).toEqual({ received: true });
		expect(result.workflowData?.[0][0].json.deliveryStatus).toMatchObject({
			provider: 'twilio',
			kind: 'message',
			providerIds: [undelivered.MessageSid],
			final: true,
			outcome: 'undelivered',
			code: '30003',
			receivedAt: expect.any(String),
		});
	});

	it.each(['queued', 'sent'])('answers an intermediate "%s" 200 at once and starts nothing', async (status) => {
		const params = { ...undelivered, MessageStatus: status };
		delete (params as Record<string, string>).ErrorCode;
		const { result, captured } = await deliver(params, sign(params));
		expect(result).toEqual({ noWebhookResponse: true });
		expect(captured.statusCode).toBe(200);
	});

	it.each([
		['no signature', undefined],
		['a signature made with another token', sign(undelivered, 'not-the-token')],
	])('refuses %s with 403 and starts nothing', async (_label, signature) => {
		const { result, captured } = await deliver(undelivered, signature);
		expect(result).toEqual({ noWebhookResponse: true });
		expect(captured.statusCode).toBe(403);
		expect(captured.warnings.join(' ')).not.toContain('+15125550101');
	});

	it('answers a signed request that is not a status callback with 400, naming the field', async () => {
		const params = { AccountSid: accountSid, Body: 'hello', From: '+15125550101' };
		const { result, captured } = await deliver(params, sign(params));
		expect(result).toEqual({ noWebhookResponse: true });
		expect(captured.statusCode).toBe(400);
		expect(captured.warnings[0]).toMatch(/MessageSid/);
	});

	it.each([
		['a failed SMS', messageFields('SM' + 'c'.repeat(32), 'failed', '+15125550101', { ErrorCode: '30008' }), 'undelivered'],
		['a busy call', callFields('CA' + 'c'.repeat(32), 'busy', '+15125550101'), 'unanswered'],
		['a call not answered', callFields('CA' + 'c'.repeat(32), 'no-answer', '+15125550101'), 'unanswered'],
		['a failed call', callFields('CA' + 'c'.repeat(32), 'failed', '+15125550101'), 'unanswered'],
		['a call taken by an answering machine', callFields('CA' + 'c'.repeat(32), 'completed', '+15125550101', { AnsweredBy: 'machine_end_beep' }), 'unanswered'],
	])('starts an execution for %s, as before', async (_label, params, outcome) => {
		const { result, captured } = await deliver(params, sign(params));
		expect(captured.statusCode).toBeUndefined();
		expect(result.workflowData?.[0][0].json.deliveryStatus).toMatchObject({ final: true, outcome });
	});

	it('leaves an undelivered SMS to the workflow: records nothing itself, and Record Delivery falls back', async () => {
		const touch = await sentTouch({ mobile: '+15125550311', email: 'fallback@patients.test', preferredChannel: 'sms' }, 2);
		const params = messageFields(touch.providerId('sms'), 'undelivered', '+15125550311', { ErrorCode: '30003' });
		const { result } = await deliver(params, sign(params), { storePath: touch.storePath });
		expect(await journalOf(touch.storePath, touch.journeyId)).not.toContainEqual(expect.objectContaining({ type: 'touch.undelivered' }));
		const items = result.workflowData?.[0].map((item) => item.json) ?? [];
		const execution = await run(recordWorkflow(items), touch.storePath);
		expect(execution.output('Send 2', 0)).toHaveLength(1);
		expect(smtp.messages.map((m) => m.to)).toEqual([['fallback@patients.test']]);
	});

	it('records a delivered SMS in the journey store itself, answers 200 and starts no execution', async () => {
		const touch = await sentTouch({ mobile: '+15125550312' }, 1);
		const sid = touch.providerId('sms');
		const params = messageFields(sid, 'delivered', '+15125550312');
		const { result, captured } = await deliver(params, sign(params), { storePath: touch.storePath });
		expect(result).toEqual({ noWebhookResponse: true });
		expect(captured).toMatchObject({ statusCode: 200, body: { received: true, recorded: 'recorded' } });
		const journal = await journalOf(touch.storePath, touch.journeyId);
		const [sent] = journal.filter((entry) => entry.type === 'touch.sent' && entry.channel === 'sms');
		expect(journal.filter((entry) => entry.type === 'touch.delivered')).toEqual([
			expect.objectContaining({ stage: 1, channel: 'sms', code: 'delivered', providerId: sid, templateId: sent.templateId, detail: { status: 'delivered' } }),
		]);
	});

	it('records an answered call itself (call.answered) and starts no execution', async () => {
		const touch = await sentTouch({ mobile: '+15125550313' }, 3);
		const sid = touch.providerId('voice');
		const params = callFields(sid, 'completed', '+15125550313', { CallDuration: '31' });
		const { result, captured } = await deliver(params, sign(params), { storePath: touch.storePath });
		expect(result.workflowData).toBeUndefined();
		expect(captured.statusCode).toBe(200);
		expect((await journalOf(touch.storePath, touch.journeyId)).filter((entry) => entry.type === 'call.answered')).toEqual([
			expect.objectContaining({ stage: 3, channel: 'voice', code: 'completed', providerId: sid, detail: { status: 'completed', durationSeconds: 31 } }),
		]);
	});

	it('records a repeated delivered callback once, and Record Delivery in a workflow built before finds it recorded', async () => {
		const touch = await sentTouch({ mobile: '+15125550314' }, 1);
		const sid = touch.providerId('sms');
		const params = messageFields(sid, 'delivered', '+15125550314');
		await deliver(params, sign(params), { storePath: touch.storePath });
		const repeat = await deliver(params, sign(params), { storePath: touch.storePath });
		expect(repeat.result.workflowData).toBeUndefined();
		expect(repeat.captured).toMatchObject({ statusCode: 200, body: { received: true, recorded: 'duplicate' } });

		const older = await run(recordWorkflow([messageStatus(sid, 'delivered', '+15125550314')]), touch.storePath);
		expect(older.output('Record Delivery', 3).map((item) => (item.deliveryStatus as IDataObject).recorded)).toEqual(['duplicate']);
		expect((await journalOf(touch.storePath, touch.journeyId)).filter((entry) => entry.type === 'touch.delivered')).toHaveLength(1);
	});

	it('answers 503 and records nothing when the journey store cannot be opened; Twilio\'s retry then records it once', async () => {
		const touch = await sentTouch({ mobile: '+15125550315' }, 1);
		const params = messageFields(touch.providerId('sms'), 'delivered', '+15125550315');
		// A path below a file: the store cannot be opened.
		const unreachable = join(touch.storePath, 'journey.sqlite');
		const { result, captured } = await deliver(params, sign(params), { storePath: unreachable });
		expect(result).toEqual({ noWebhookResponse: true });
		expect(captured.statusCode).toBe(503);
		expect(captured.errors).toEqual([expect.stringMatching(/could not record a message status \(delivered\) in the journey store/)]);
		expect(captured.errors.join(' ')).not.toContain('+15125550315');
		expect((await journalOf(touch.storePath, touch.journeyId)).filter((entry) => entry.type === 'touch.delivered')).toEqual([]);

		const retried = await deliver(params, sign(params), { storePath: touch.storePath });
		expect(retried.captured.statusCode).toBe(200);
		expect((await journalOf(touch.storePath, touch.journeyId)).filter((entry) => entry.type === 'touch.delivered')).toHaveLength(1);
	});

	it('shows a delivered status as a test event while the editor listens, and records nothing', async () => {
		const touch = await sentTouch({ mobile: '+15125550316' }, 1);
		const sid = touch.providerId('sms');
		const params = messageFields(sid, 'delivered', '+15125550316');
		const { result, captured } = await deliver(params, sign(params, authToken, testWebhookUrl), { storePath: touch.storePath, mode: 'manual' });
		expect(captured.statusCode).toBeUndefined();
		expect(result.webhookResponse).toEqual({ received: true });
		expect(result.workflowData?.[0][0].json.deliveryStatus).toMatchObject({ providerIds: [sid], final: true, outcome: 'delivered' });
		// The test execution runs in mode 'manual' too: Record Delivery shows what it would do and writes nothing.
		const shown = await runWorkflow(recordWorkflow(result.workflowData?.[0].map((item) => item.json) ?? []), {
			nodeTypes,
			credentials: credentials(touch.storePath),
			credentialTypes: packCredentialTypes(),
			mode: 'manual',
		});
		expect(shown.output('Record Delivery', 3)).toEqual([expect.objectContaining({ deliveryStatus: expect.objectContaining({ recorded: 'recorded', outcome: 'delivered' }) })]);
		expect((await journalOf(touch.storePath, touch.journeyId)).filter((entry) => entry.type === 'touch.delivered')).toEqual([]);
	});

	it('leaves the Follow-Up Report\'s "delivered within 2 hours" figure as Record Delivery made it', async () => {
		const byTrigger = await sentTouch({ mobile: '+15125550321' }, 1);
		const byRecordDelivery = await sentTouch({ mobile: '+15125550322' }, 1);
		const params = messageFields(byTrigger.providerId('sms'), 'delivered', '+15125550321');
		expect((await deliver(params, sign(params), { storePath: byTrigger.storePath })).captured.body).toEqual({ received: true, recorded: 'recorded' });
		const recorded = await run(recordWorkflow([messageStatus(byRecordDelivery.providerId('sms'), 'delivered', '+15125550322')]), byRecordDelivery.storePath);
		expect(recorded.output('Record Delivery', 3).map((item) => (item.deliveryStatus as IDataObject).recorded)).toEqual(['recorded']);

		const period = { period: 'custom', from: DateTime.utc().minus({ days: 1 }).toISO() as string, to: DateTime.utc().plus({ days: 1 }).toISO() as string };
		const careSummaries = async (storePath: string) => {
			const report = await runWorkflow(single('Follow-Up Report', 'followUpReport', { ...period, output: 'summary' }, [{}]), {
				nodeTypes: { followUpReport: new FollowUpReport() },
				credentials: { journeyStoreApi: journeyStoreCredential(storePath) },
			});
			const [summary] = report.output('Follow-Up Report');
			return { rate: summary.careSummariesDeliveredRate, figures: summary.careSummaries as IDataObject };
		};
		const fromTrigger = await careSummaries(byTrigger.storePath);
		expect(fromTrigger.rate).toBe('100.0%');
		expect(fromTrigger.figures).toMatchObject({ byChannel: { sms: { sent: 1, sentWithin: 1, deliveredWithin: 1, undelivered: 0 } }, smsStatusSeen: true });
		expect(await careSummaries(byRecordDelivery.storePath)).toEqual(fromTrigger);
	});
});

describe('Patient Message asks Twilio for the outcome of calls', () => {
	it('passes the credential\'s Status Callback URL on messages, and on calls with the completed event', async () => {
		const url = 'https://n8n.example.org/webhook/post-visit/twilio-status';
		const withCallback = (storePath: string) => {
			const creds = credentials(storePath);
			return { ...creds, postVisitTwilioApi: { ...creds.postVisitTwilioApi, statusCallbackUrl: url } };
		};
		for (const stage of [1, 3] as const) {
			const storePath = join(tempDir(), 'journey.sqlite');
			const patientId = await ensureFhirPatient(sandbox.fhir, { key: `callback-${stage}`, firstName: 'Al', lastName: 'Bo', birthDate: '1970-01-01', language: 'en', zone: 'America/Chicago', mobile: '+15125550308' }, zoneWhereNowIsBetween(9, 20));
			const { encounterId } = await closeFhirVisit(sandbox.fhir, patientId, { completedAt: DateTime.utc().minus({ minutes: 5 }).toISO() as string });
			const notification = sandbox.verified('fhir', post(JSON.stringify(fhirBackportNotification(encounterId, ++visitCounter)), { 'content-type': 'application/fhir+json', 'x-webhook-secret': secret }));
			await runWorkflow(
				{
					nodes: [
						fixtureNode([notification]),
						{ name: 'Visit Details', type: 'n8n-nodes-post-visit.visitDetails', parameters: { ehr: 'fhir' } },
						{ name: 'Route', type: 'n8n-nodes-post-visit.channelRouter', parameters: { stage, ...(stage === 3 ? { allowVoice: true } : {}) } },
						{ name: 'Send', type: 'n8n-nodes-post-visit.patientMessage', parameters: { stage } },
					],
					connections: { Fixture: { main: [main('Visit Details')] }, 'Visit Details': { main: [main('Route')] }, Route: { main: [main('Send')] } },
				},
				{ nodeTypes, credentials: withCallback(storePath), credentialTypes: packCredentialTypes() },
			);
		}
		expect(twilioApi.messages.map((m) => m.statusCallback)).toEqual([url]);
		expect(twilioApi.calls).toEqual([expect.objectContaining({ statusCallback: url, statusCallbackEvents: ['completed'] })]);
	});
});
