import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

import type { Encounter, Patient, ServiceRequest, Task } from '@medplum/fhirtypes';
import { DateTime } from 'luxon';
import { WebhookContext, WorkflowExecute } from 'n8n-core';
import { createRunExecutionData } from 'n8n-workflow';
import type { ICredentialDataDecryptedObject, IDataObject, IWebhookData, IWebhookResponseData } from 'n8n-workflow';
import twilio from 'twilio';

import { PostVisitMessageTextsApi } from '../../credentials/PostVisitMessageTextsApi.credentials';
import { EhrTask } from '../../nodes/EhrTask/EhrTask.node';
import { PatientReplyTrigger } from '../../nodes/PatientReplyTrigger/PatientReplyTrigger.node';
import { consentExtensionUrl } from '../../nodes/shared/ehr/fhir';
import { openJourneyStore } from '../../nodes/shared/store';
import type { JourneyRecord, JourneyStore } from '../../nodes/shared/store/types';
import { demoPatients } from '../../sandbox/demo-patients';
import { closeFhirVisit, ensureFhirPatient } from '../../sandbox/fhir-demo';
import { startFhirServer, updateResource } from '../../sandbox/fhir-server';
import type { FhirServer } from '../../sandbox/fhir-server';
import { startSmtpSink } from '../../sandbox/smtp-sink';
import type { SmtpSink } from '../../sandbox/smtp-sink';
import { createEngine } from '../helpers/engine';
import type { RunResult } from '../helpers/engine';
import { fhirCredential, packCredentialTypes, practiceProfileCredential, tempDir, testContactHashSecret } from '../helpers/fixtures';
import { capturingResponse, webhookRequestOf } from '../helpers/webhookStandIns';

/*
 * The Patient Reply Trigger in n8n-core's own WebhookContext (URL, parameters and credentials as n8n computes
 * them), then the items it emits run through n8n-core's WorkflowExecute into the EHR Task node, as n8n runs a
 * webhook execution. Real journey store (SQLite), local FHIR server (Medplum's router), local SMTP sink; requests
 * are signed with the twilio SDK's own signing function.
 */

const authToken = 'reply-test-auth-token-0123456789';
const accountSid = 'AC' + 'ab12'.repeat(8);
const practiceNumber = '+15125550199';
const webhookPath = 'post-visit/patient-replies';
const webhookUrl = `http://127.0.0.1/webhook/${webhookPath}`;
const coordinatorEmail = 'maria@example.test';
const ana = demoPatients.find((patient) => patient.key === 'ana')!;
const john = demoPatients.find((patient) => patient.key === 'john')!;
const stranger = '+15125550177';

const trigger = new PatientReplyTrigger();
const ehrTask = new EhrTask();
const outputs = ['Opted Out', 'Opted In', 'Help', 'Book', 'Staff'];

let fhir: FhirServer;
let smtp: SmtpSink;
let storePath: string;
let store: JourneyStore;
let messageNumber = 0;

beforeAll(async () => {
	fhir = await startFhirServer();
	smtp = await startSmtpSink({ disableStartTls: true });
});

afterAll(async () => {
	await fhir?.close();
	await smtp?.close();
});

beforeEach(async () => {
	storePath = join(tempDir(), 'journey.sqlite');
	store = await openJourneyStore({ backend: 'sqlite', path: storePath, contactHashSecret: testContactHashSecret });
	smtp.reset();
	fhir.clearFaults();
});

afterEach(async () => {
	await store.close();
});

function credentials(overrides: Record<string, ICredentialDataDecryptedObject> = {}): Record<string, ICredentialDataDecryptedObject> {
	return {
		postVisitTwilioApi: { authType: 'authToken', accountSid, authToken, from: practiceNumber, apiBaseUrl: 'http://127.0.0.1:9' },
		journeyStoreApi: { backend: 'sqlite', sqlitePath: storePath, contactHashSecret: testContactHashSecret },
		practiceProfileApi: practiceProfileCredential(),
		fhirR4Api: fhirCredential(fhir),
		postVisitSmtpApi: { host: '127.0.0.1', port: smtp.port, security: 'none', fromEmail: 'care@riverside.test', fromName: 'Riverside' },
		...overrides,
	};
}

/** The template's shape: the trigger's five outputs, Staff wired to an EHR Task. */
function repliesWorkflow(parameters: IDataObject = {}) {
	return {
		nodes: [
			{ name: 'Patient Reply Trigger', type: 'n8n-nodes-post-visit.patientReplyTrigger', webhookId: 'a1b2c3d4-0000-4000-8000-000000000010', parameters: { ehr: 'fhir', ...parameters } },
			{ name: 'Staff Task', type: 'n8n-nodes-post-visit.ehrTask', parameters: { ehr: 'fhir', assignee: 'care-coordinator' } },
		],
		connections: { 'Patient Reply Trigger': { main: [[], [], [], [], [{ node: 'Staff Task', type: 'main' as const, index: 0 }]] } },
	};
}

interface TextIn {
	from: string;
	body: string;
	messageSid?: string;
	signature?: string;
	parameters?: IDataObject;
	credentials?: Record<string, ICredentialDataDecryptedObject>;
}

interface Answer {
	statusCode?: number;
	body?: unknown;
	headers: Record<string, string>;
	warnings: string[];
	errors: string[];
	/** The FHIR server's request log when the answer was sent. */
	fhirRequestsAtAnswer?: string[];
}

/** A patient's text as Twilio posts it: form-encoded, signed for the node's URL. */
async function textIn(input: TextIn) {
	const params: Record<string, string> = {
		ToCountry: 'US',
		SmsMessageSid: input.messageSid ?? `SM${String(++messageNumber).padStart(32, '0')}`,
		NumMedia: '0',
		From: input.from,
		To: practiceNumber,
		Body: input.body,
		AccountSid: accountSid,
		ApiVersion: '2010-04-01',
	};
	params.MessageSid = params.SmsMessageSid;
	const raw = Buffer.from(new URLSearchParams(params).toString());
	const engine = createEngine(repliesWorkflow(input.parameters), {
		nodeTypes: { patientReplyTrigger: trigger, ehrTask },
		credentials: input.credentials ?? credentials(),
		credentialTypes: packCredentialTypes(),
	});
	const answer: Answer = { headers: {}, warnings: [], errors: [] };
	const request = {
		...webhookRequestOf({
			method: 'POST',
			headers: {
				'content-type': 'application/x-www-form-urlencoded',
				'content-length': String(raw.length),
				'x-twilio-signature': input.signature ?? twilio.getExpectedTwilioSignature(authToken, webhookUrl, params),
			},
			rawBody: raw,
		}),
		url: `/webhook/${webhookPath}`,
	};
	const response = capturingResponse(answer, {
		onSend: () => (answer.fhirRequestsAtAnswer = fhir.requests.map((r) => `${r.method} ${r.path}`)),
	});
	const node = engine.node('Patient Reply Trigger');
	const webhookData = {
		httpMethod: 'POST',
		node: node.name,
		path: webhookPath,
		webhookDescription: trigger.description.webhooks![0],
		workflowId: engine.workflow.id,
		webhookId: node.webhookId,
	} as unknown as IWebhookData;
	const additionalData = { ...engine.additionalData, httpRequest: request, httpResponse: response };
	const context = new WebhookContext(engine.workflow, node, additionalData as never, 'webhook', webhookData, [], null);
	Object.defineProperty(context, 'logger', {
		value: { warn: (m: string) => answer.warnings.push(m), error: (m: string) => answer.errors.push(m), debug() {}, info() {} },
	});
	const result: IWebhookResponseData = await trigger.webhook.call(context);
	let execution: RunResult | undefined;
	if (result.workflowData) {
		// As n8n starts a webhook execution: the trigger's items are its output, the rest runs from there.
		const runExecutionData = createRunExecutionData({
			executionData: { nodeExecutionStack: [{ node, data: { main: result.workflowData }, source: null }] },
		});
		const run = await new WorkflowExecute(engine.additionalData, 'webhook', runExecutionData).processRunExecutionData(engine.workflow);
		const runData = run.data.resultData.runData;
		const items = (name: string, index = 0) => runData[name]?.at(-1)?.data?.main?.[index] ?? [];
		execution = {
			run,
			status: run.status,
			items,
			output: (name, index = 0) => items(name, index).map((item) => item.json),
			error: (name) => {
				const error = runData[name]?.at(-1)?.error;
				return error ? { message: error.message, description: error.description } : undefined;
			},
			nodeError: (name) => runData[name]?.at(-1)?.error,
		};
	}
	/** The one output the trigger used, by name, and its item. */
	const emitted = () => {
		const used = (result.workflowData ?? []).map((items, index) => ({ index, items })).filter(({ items }) => items.length > 0);
		expect(used).toHaveLength(1);
		return { output: outputs[used[0].index], item: used[0].items[0] };
	};
	return { result, answer, execution, emitted, twiml: String(answer.body ?? '') };
}

/** The TwiML message text, unescaped, or undefined for an empty <Response/>. */
function messageOf(twiml: string): string | undefined {
	const match = /<Message>([\s\S]*)<\/Message>/.exec(twiml);
	return match?.[1].replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&');
}

/**
 * A journey whose stage 1 went out by SMS, recorded as the pack records it (Visit Details' journey record,
 * Patient Message's contact and touch.sent), over a real finished encounter with a follow-up order in FHIR.
 */
async function texted(patient: typeof ana, language: string | undefined = patient.language) {
	const patientId = await ensureFhirPatient(fhir, patient, 'America/Chicago');
	const completedAt = DateTime.utc().minus({ hours: 2 }).toISO() as string;
	const visit = await closeFhirVisit(fhir, patientId, { completedAt });
	const record: JourneyRecord = {
		journeyId: `visit:fhir:${visit.encounterId}`,
		patientKey: `fhir:${patientId}`,
		kind: 'visit',
		ehr: 'fhir',
		patientId,
		sourceId: visit.encounterId,
		sourceType: 'encounter',
		anchorAt: completedAt,
		startedAt: completedAt,
		zone: 'America/Chicago',
	};
	const at = DateTime.utc().minus({ hours: 1 }).toISO() as string;
	await store.recordJourney(record);
	await store.recordContact({ channel: 'sms', address: patient.mobile!, journeyId: record.journeyId, patientKey: record.patientKey, at });
	await store.append({
		journeyId: record.journeyId,
		patientKey: record.patientKey,
		at,
		type: 'touch.sent',
		stage: 1,
		channel: 'sms',
		providerId: `SM${'f'.repeat(32)}`,
		templateId: 'careSummary',
		detail: { language, segments: 2 },
	});
	return { record, visit, patientId };
}

async function smsConsentInFhir(patientId: string): Promise<boolean | undefined> {
	const patient = (await fhir.repo.readResource('Patient', patientId)) as Patient;
	const consent = patient.extension?.find((extension) => extension.url === consentExtensionUrl);
	return consent?.extension?.find((part) => part.url === 'sms')?.valueBoolean;
}

async function journalTypes(journeyId: string) {
	return (await store.journal({ journeyId })).map((entry) => `${entry.type}:${entry.code ?? ''}`);
}

describe('Patient Reply Trigger: keywords', () => {
	it.each([
		['STOP', john, 'STOP', /you are unsubscribed and will get no more texts from us\. Reply START/],
		['Stop texting me', john, 'STOP', /you are unsubscribed/],
		['CANCEL', john, 'CANCEL', /you are unsubscribed/],
		['¡Alto!', ana, 'ALTO', /ya no le enviaremos mensajes de texto\. Responda COMENZAR/],
		['stop', ana, 'STOP', /ya no le enviaremos mensajes/],
	])('%j from a texted patient → Opted Out: store opt-out, EHR consent off, one confirmation in their language', async (body, patient, keyword, confirmation) => {
		const { record, patientId } = await texted(patient);
		const { answer, emitted, twiml } = await textIn({ from: patient.mobile!, body });
		expect(answer.statusCode).toBe(200);
		expect(answer.headers['content-type']).toMatch(/^text\/xml/);
		expect(messageOf(twiml)).toMatch(confirmation);
		expect(twiml.match(/<Message>/g)).toHaveLength(1);
		const { output, item } = emitted();
		expect(output).toBe('Opted Out');
		expect(item.pairedItem).toEqual({ item: 0 });
		expect(item.json).toMatchObject({
			classification: 'optOut',
			keyword,
			sender: 'known',
			from: patient.mobile,
			text: body,
			journeyRecord: { journeyId: record.journeyId, patientId },
			ehrConsent: [{ patientId, status: 'updated', detail: expect.stringContaining(consentExtensionUrl) }],
		});
		expect(await store.optedOut('sms', [patient.mobile!])).toEqual([patient.mobile]);
		expect(await smsConsentInFhir(patientId)).toBe(false);
		expect(await journalTypes(record.journeyId)).toEqual(expect.arrayContaining(['reply.received:optOut', `optout.recorded:${keyword}`]));
	});

	it('START after STOP → Opted In: the store and the EHR allow texts again, confirmed once', async () => {
		const { record, patientId } = await texted(john);
		await textIn({ from: john.mobile!, body: 'STOP' });
		const { emitted, twiml } = await textIn({ from: john.mobile!, body: 'START' });
		expect(messageOf(twiml)).toMatch(/you will get texts about your care from us again/);
		expect(emitted().output).toBe('Opted In');
		expect(emitted().item.json).toMatchObject({ classification: 'optIn', keyword: 'START', ehrConsent: [{ status: 'updated' }] });
		expect(await store.optedOut('sms', [john.mobile!])).toEqual([]);
		expect(await smsConsentInFhir(patientId)).toBe(true);
		expect(await journalTypes(record.journeyId)).toEqual(expect.arrayContaining(['optin.recorded:START']));
	});

	it('HELP → Help with the practice name and phone from the practice profile', async () => {
		await texted(john);
		const { emitted, twiml } = await textIn({ from: john.mobile!, body: 'help' });
		expect(emitted().output).toBe('Help');
		expect(messageOf(twiml)).toBe(
			'Riverside Family Medicine care messages. For questions or to book, call (512) 555-0100. Reply STOP to opt out. Msg&data rates may apply.',
		);
		expect(twiml).toContain('Msg&amp;data');
	});

	it.each([
		['YES', john, /^Riverside Family Medicine: book your follow-up visit here: https:\/\/schedule\.example\.test\/book\?order=(\S+) Or call \(512\) 555-0100\.$/],
		['Sí', ana, /^Riverside Family Medicine: agende su cita de seguimiento: https:\/\/schedule\.example\.test\/book\?order=(\S+) O llame al \(512\) 555-0100\.$/],
		['book', john, /book\?order=(\S+) Or call/],
	])('%j → Book with the scheduling link of the open action, composed by the core', async (body, patient, expected) => {
		const { visit } = await texted(patient);
		const { emitted, twiml } = await textIn({ from: patient.mobile!, body });
		const text = messageOf(twiml)!;
		expect(text).toMatch(expected);
		expect(expected.exec(text)![1]).toBe(visit.orderId);
		expect(emitted().output).toBe('Book');
		expect(emitted().item.json).toMatchObject({
			classification: 'book',
			booking: { answer: 'link', schedulingLink: `https://schedule.example.test/book?order=${visit.orderId}` },
		});
	});

	it('YES for an order the EHR names "HIV-1 viral load" → the answer names the action type, never the order text', async () => {
		const { visit } = await texted(john);
		const order = (await fhir.repo.readResource('ServiceRequest', visit.orderId)) as ServiceRequest & { id: string };
		await updateResource(fhir.repo, {
			...order,
			category: [{ coding: [{ system: 'http://snomed.info/sct', code: '108252007' }] }],
			code: { text: 'HIV-1 viral load, quantitative' },
			patientInstruction: 'Viral load draw, fasting',
		});
		const { emitted, twiml } = await textIn({ from: john.mobile!, body: 'YES' });
		expect(messageOf(twiml)).toBe(
			`Riverside Family Medicine: book your lab test here: https://schedule.example.test/book?order=${visit.orderId} Or call (512) 555-0100.`,
		);
		expect(twiml).not.toMatch(/viral|HIV/i);
		expect(emitted().item.json).toMatchObject({ classification: 'book', booking: { answer: 'link' } });
	});

	it('YES for a visit the EHR shows cancelled since → asks to call, and says why on the item', async () => {
		const { visit } = await texted(john);
		const encounter = (await fhir.repo.readResource('Encounter', visit.encounterId)) as Encounter & { id: string };
		await updateResource(fhir.repo, { ...encounter, status: 'cancelled' });
		const { emitted, twiml } = await textIn({ from: john.mobile!, body: 'YES' });
		expect(messageOf(twiml)).toBe('Riverside Family Medicine: to book, please call (512) 555-0100. Thank you!');
		expect(emitted().item.json).toMatchObject({ classification: 'book', booking: { answer: 'noLink' } });
	});

	it('YES while the EHR is down → still answers at once (call us), the failure on the item', async () => {
		await texted(john);
		fhir.injectFaults(...Array.from({ length: 8 }, () => ({ status: 503 as const, path: '/Encounter' })));
		const { emitted, twiml } = await textIn({ from: john.mobile!, body: 'yes' });
		expect(messageOf(twiml)).toMatch(/to book, please call/);
		expect(emitted().item.json).toMatchObject({ booking: { answer: 'ehrUnavailable', problem: expect.stringMatching(/503/) } });
	});
});

describe('Patient Reply Trigger: messages for a person', () => {
	it('a question goes to Staff and EHR Task files it in the worklist with the text; the journal never holds it', async () => {
		const { record, patientId, visit } = await texted(john);
		const body = 'can I move my appointment to Friday?';
		const { emitted, twiml, execution } = await textIn({ from: john.mobile!, body });
		expect(messageOf(twiml)).toMatch(/thank you, we got your message and will get back to you\. If it is urgent, call \(512\) 555-0100\. In an emergency, call 911\./);
		expect(emitted().output).toBe('Staff');
		expect(execution?.status).toBe('success');
		const [taskItem] = execution!.items('Staff Task');
		expect(taskItem.pairedItem).toEqual({ item: 0 });
		expect(taskItem.json).toMatchObject({ classification: 'staff', text: body, task: { kind: 'task', created: true, staffNotified: { channel: 'email', status: 'sent' } } });
		const task = (await fhir.repo.readResource('Task', String((taskItem.json.task as IDataObject).taskId))) as Task;
		expect(task.for?.reference).toBe(`Patient/${patientId}`);
		expect(task.focus?.reference).toBe(`Encounter/${visit.encounterId}`);
		expect(task.code?.text).toBe('Patient replied by text: read and answer');
		expect(task.description).toContain(`"${body}"`);
		expect(task.description).toContain(`from ${john.mobile}`);
		expect(smtp.messages.map((m) => m.to)).toEqual([[coordinatorEmail]]);
		expect(smtp.messages[0].text).not.toContain('Friday');
		const journal = await store.journal({ journeyId: record.journeyId });
		expect(journal.map((e) => `${e.type}:${e.code ?? ''}`)).toEqual(
			expect.arrayContaining(['reply.received:staff', 'task.created:task', 'staff.notified:sent']),
		);
		expect(JSON.stringify(journal)).not.toMatch(/Friday|appointment to/);
		// Not a touch: the reply task counts toward no cap.
		expect(await store.touchesOfJourney(record.journeyId)).toEqual([]);
	});

	it('a second question on the same journey gets a task of its own (FHIR tasks are keyed by message, not journey)', async () => {
		await texted(john);
		const first = await textIn({ from: john.mobile!, body: 'Is the lab open Saturday?' });
		const second = await textIn({ from: john.mobile!, body: 'Also, do I need to fast?' });
		const ids = [first, second].map((r) => (r.execution!.output('Staff Task')[0].task as IDataObject).taskId);
		expect(new Set(ids).size).toBe(2);
	});

	it.each([
		['Cancel my appointment', 'a longer message about cancelling'],
		['Yes I would like to book it next week', 'more than a keyword'],
	])('%j (%s) reaches a person, not a keyword handler', async (body) => {
		await texted(john);
		const { emitted } = await textIn({ from: john.mobile!, body });
		expect(emitted().output).toBe('Staff');
		expect(await store.optedOut('sms', [john.mobile!])).toEqual([]);
	});

	it('a number no journey reached: HELP answered, STOP recorded (in Spanish for ALTO), anything else a task for an unknown sender', async () => {
		const help = await textIn({ from: stranger, body: 'HELP' });
		expect(help.emitted()).toMatchObject({ output: 'Help', item: { json: { sender: 'unknown', journeyRecord: null } } });
		const stop = await textIn({ from: stranger, body: 'ALTO' });
		expect(messageOf(stop.twiml)).toMatch(/ya no le enviaremos mensajes de texto/);
		expect(stop.emitted().item.json).toMatchObject({ classification: 'optOut', sender: 'unknown', ehrConsent: [] });
		expect(await store.optedOut('sms', [stranger])).toEqual([stranger]);
		const yes = await textIn({ from: stranger, body: 'YES' });
		expect(yes.emitted().output).toBe('Staff');
		const task = (await fhir.repo.readResource('Task', String((yes.execution!.output('Staff Task')[0].task as IDataObject).taskId))) as Task;
		expect(task.for).toBeUndefined();
		expect(task.code?.text).toBe('Text from an unknown number: read and answer');
		expect(task.description).toMatch(/sender is unknown/);
		expect((await store.journal({ journeyId: 'unknown-sender' })).map((e) => e.type)).toEqual(
			expect.arrayContaining(['reply.received', 'optout.recorded', 'task.created']),
		);
	});

	it('the journal of a reply holds the classification and ids, never the text', async () => {
		const { record } = await texted(john);
		await textIn({ from: john.mobile!, body: 'STOP all these texts' });
		const received = (await store.journal({ journeyId: record.journeyId, type: 'reply.received' }))[0];
		expect(received).toMatchObject({ code: 'optOut', channel: 'sms', providerId: expect.stringMatching(/^SM/), detail: { keyword: 'STOP', sender: 'known', language: 'en' } });
		expect(JSON.stringify(await store.journal({ journeyId: record.journeyId }))).not.toMatch(/these texts/);
	});
});

describe('Patient Reply Trigger: what is refused or done once', () => {
	it('a forged signature is answered 403 and starts nothing', async () => {
		await texted(john);
		const { result, answer } = await textIn({ from: john.mobile!, body: 'STOP', signature: 'bm90IGEgdHdpbGlvIHNpZ25hdHVyZQ==' });
		expect(answer.statusCode).toBe(403);
		expect(result.workflowData).toBeUndefined();
		expect(await store.optedOut('sms', [john.mobile!])).toEqual([]);
		expect(answer.warnings.join()).toMatch(/X-Twilio-Signature does not match/);
		expect(answer.warnings.join()).not.toContain(john.mobile);
	});

	it('the same MessageSid twice (a replayed request) is handled once: the second gets an empty answer', async () => {
		await texted(john);
		const first = await textIn({ from: john.mobile!, body: 'HELP', messageSid: `SM${'7'.repeat(32)}` });
		const again = await textIn({ from: john.mobile!, body: 'HELP', messageSid: `SM${'7'.repeat(32)}` });
		expect(messageOf(first.twiml)).toBeDefined();
		expect(again.twiml).toBe('<?xml version="1.0" encoding="UTF-8"?><Response/>');
		expect(again.result.workflowData).toBeUndefined();
	});

	it('when the EHR refuses to update the Patient, the opt-out still stands and the item says "not supported"', async () => {
		const { patientId } = await texted(john);
		fhir.injectFaults({ status: 403, method: 'PUT', path: '/Patient' });
		const { emitted, twiml } = await textIn({ from: john.mobile!, body: 'STOP' });
		expect(messageOf(twiml)).toMatch(/unsubscribed/);
		expect(emitted().item.json).toMatchObject({ ehrConsent: [{ patientId, status: 'notSupported', detail: expect.stringMatching(/403/) }] });
		expect(await store.optedOut('sms', [john.mobile!])).toEqual([john.mobile]);
	});

	it('answers an opt-out before writing the EHR (Twilio waits 15 s at most; the store already holds the opt-out)', async () => {
		const { patientId } = await texted(john);
		const before = fhir.requests.length;
		const { answer } = await textIn({ from: john.mobile!, body: 'STOP' });
		const write = `PUT /Patient/${patientId}`;
		expect(fhir.requests.slice(before).map((r) => `${r.method} ${r.path}`)).toEqual([`GET /Patient/${patientId}`, write]);
		expect(answer.fhirRequestsAtAnswer!.slice(before)).toEqual([]);
	});

	it('with "Update SMS Consent in the EHR" off, only the journey store records the opt-out', async () => {
		const { patientId } = await texted(john);
		const before = await smsConsentInFhir(patientId);
		const { emitted } = await textIn({ from: john.mobile!, body: 'STOP', parameters: { updateEhrConsent: false } });
		expect(emitted().item.json).toMatchObject({ classification: 'optOut', ehrConsent: [] });
		expect(await smsConsentInFhir(patientId)).toBe(before);
	});

	it('a journey store it cannot open: nothing is confirmed, and the text goes to Staff with the error', async () => {
		// The store's folder is a file: opening fails at once (as a full or read-only disk would).
		const notAFolder = join(tempDir(), 'not-a-folder');
		writeFileSync(notAFolder, '');
		const { emitted, twiml, answer } = await textIn({
			from: john.mobile!,
			body: 'STOP',
			credentials: credentials({ journeyStoreApi: { backend: 'sqlite', sqlitePath: join(notAFolder, 'journey.sqlite') } }),
		});
		expect(twiml).toBe('<?xml version="1.0" encoding="UTF-8"?><Response/>');
		expect(emitted()).toMatchObject({ output: 'Staff', item: { json: { classification: 'staff', text: 'STOP', error: expect.any(String) } } });
		expect(answer.errors.join()).toMatch(/could not handle the text SM/);
		expect(answer.errors.join()).not.toContain(john.mobile);
	});
});

describe('Patient Reply Trigger: answers from the Post-Visit Message Texts credential', () => {
	/** The credential as its form saves it: every field pre-filled, some changed. */
	function messageTexts(changes: Record<string, unknown> = {}): ICredentialDataDecryptedObject {
		const defaults = Object.fromEntries(new PostVisitMessageTextsApi().properties.filter((p) => p.type !== 'notice').map((p) => [p.name, p.default]));
		return { ...defaults, ...changes } as ICredentialDataDecryptedObject;
	}
	const withTexts = (changes: Record<string, unknown>) => credentials({ postVisitMessageTextsApi: messageTexts(changes) });

	it('the node offers the credential, optional and checked by the credential test', () => {
		expect(trigger.description.credentials).toContainEqual({ name: 'postVisitMessageTextsApi', required: false, testedBy: 'messageTextsTest' });
		expect(trigger.methods.credentialTest.messageTextsTest).toBeDefined();
	});

	it('HELP and STOP are answered with the practice\'s English texts; untouched answers stay built-in', async () => {
		await texted(john);
		const texts = withTexts({ reply_en_help: '{{practiceName}} texts. Questions? {{practicePhone}}. STOP to end.' });
		const help = await textIn({ from: john.mobile!, body: 'HELP', credentials: texts });
		expect(messageOf(help.twiml)).toBe('Riverside Family Medicine texts. Questions? (512) 555-0100. STOP to end.');
		const stop = await textIn({ from: john.mobile!, body: 'STOP', credentials: texts });
		expect(messageOf(stop.twiml)).toMatch(/^Riverside Family Medicine: you are unsubscribed/);
		expect(await store.optedOut('sms', [john.mobile!])).toEqual([john.mobile]);
	});

	it('a French patient (fr-CA) gets the More Languages answers: YES with the link in French, STOP in English where French has none', async () => {
		const { visit } = await texted(john, 'fr-CA');
		const moreLanguages = JSON.stringify({
			fr: {
				replies: { bookLink: '{{practiceName}} : réservez votre {{actionType}} ici : {{schedulingLink}}' },
				actionPhrases: { followUpVisit: 'visite de suivi' },
			},
		});
		const texts = withTexts({ moreLanguages });
		const yes = await textIn({ from: john.mobile!, body: 'YES', credentials: texts });
		expect(messageOf(yes.twiml)).toBe(
			`Riverside Family Medicine : réservez votre visite de suivi ici : https://schedule.example.test/book?order=${visit.orderId}`,
		);
		expect(yes.emitted().item.json).toMatchObject({ classification: 'book', language: 'fr', booking: { answer: 'link' } });
		const stop = await textIn({ from: john.mobile!, body: 'STOP', credentials: texts });
		expect(messageOf(stop.twiml)).toMatch(/you are unsubscribed/);
		expect(await journalTypes(`visit:fhir:${visit.encounterId}`)).toEqual(expect.arrayContaining(['reply.answered:link', 'optout.recorded:STOP']));
	});

	it('an invalid credential does not hold up a STOP: recorded, answered with the built-in text, the problem by label on the item', async () => {
		await texted(ana);
		const { emitted, twiml, answer } = await textIn({ from: ana.mobile!, body: 'ALTO', credentials: withTexts({ reply_es_optOut: 'Baja {{firstName}}' }) });
		expect(messageOf(twiml)).toMatch(/ya no le enviaremos mensajes de texto/);
		expect(await store.optedOut('sms', [ana.mobile!])).toEqual([ana.mobile]);
		expect(emitted().item.json).toMatchObject({
			classification: 'optOut',
			messageTextsProblem: expect.stringContaining('Reply Answer: STOP Confirmation (Spanish)'),
		});
		expect(answer.warnings.join()).toMatch(/answers with the built-in texts: .*Reply Answer: STOP Confirmation \(Spanish\)/);
	});
});
