import type { Patient, Task } from '@medplum/fhirtypes';
import { DateTime } from 'luxon';

import { consentExtensionUrl } from '../../nodes/shared/ehr/fhir';
import { openJourneyStore } from '../../nodes/shared/store';
import type { JourneyStore } from '../../nodes/shared/store/types';
import { demoPatients, demoPractice } from '../../sandbox/demo-patients';
import type { Sandbox } from '../../sandbox/environment';
import { closeFhirVisit, ensureFhirPatient, fhirBackportNotification } from '../../sandbox/fhir-demo';
import { zoneWhereNowIsBetween } from '../helpers/fixtures';
import { eventually, startE2eSandbox } from './harness';

/*
 * Patients answer the practice's texts, in a real n8n 2.41.1 with the pack installed as a community package:
 * the sandbox Twilio posts each text to the published "Patient Replies" workflow exactly as Twilio does
 * (form-encoded, X-Twilio-Signature) and keeps the TwiML answer, which Twilio would text back.
 */

let sandbox: Sandbox;
let store: JourneyStore;
let eventNumber = 0;
const patient = (key: string) => demoPatients.find((p) => p.key === key)!;
const john = patient('john');
const ana = patient('ana');
const stranger = '+15125550177';

beforeAll(async () => {
	// Stage 2 follows stage 1 within minutes here: allow it, as an ops lead could (the daily cap has its own tests).
	sandbox = await startE2eSandbox('replies', 5790, { profile: { perPatientPerDay: 3, perNumberPerDay: 5 } });
	store = await openJourneyStore({ backend: 'sqlite', path: sandbox.journeyStorePath, contactHashSecret: demoPractice.contactHashSecret });
}, 300_000);

afterAll(async () => {
	await store?.close();
	await sandbox?.stop();
});

/** A visit closes in the FHIR sandbox and its signed notification reaches the three-stage workflow. */
async function closeVisit(key: string, completedAt: DateTime) {
	const patientId = await ensureFhirPatient(sandbox.fhir, patient(key), zoneWhereNowIsBetween(9, 20));
	const visit = await closeFhirVisit(sandbox.fhir, patientId, { completedAt: completedAt.toUTC().toISO() as string });
	eventNumber += 1;
	const response = await sandbox.deliver('fhir', JSON.stringify(fhirBackportNotification(visit.encounterId, eventNumber)), {
		'content-type': 'application/fhir+json',
		'x-webhook-secret': sandbox.webhookSecret,
	});
	expect(response.status).toBe(200);
	return { patientId, ...visit, journeyId: `visit:fhir:${visit.encounterId}` };
}

const smsTo = (number: string, since = 0) => sandbox.twilio.messages.filter((m) => m.to === number && m.receivedAt >= since);
const emailsTo = (address: string, since = 0) => sandbox.smtp.messages.filter((m) => m.to.includes(address) && m.receivedAt >= since);

async function repliesExecutions() {
	return await sandbox.client.executions(sandbox.workflows.patientReplies.fhir.id);
}

async function smsConsent(patientId: string): Promise<boolean | undefined> {
	const resource = (await sandbox.fhir.repo.readResource('Patient', patientId)) as Patient;
	return resource.extension?.find((e) => e.url === consentExtensionUrl)?.extension?.find((e) => e.url === 'sms')?.valueBoolean;
}

describe('patients text back, in a real n8n', () => {
	let johnsVisit: Awaited<ReturnType<typeof closeVisit>>;
	let since = 0;

	it('STOP from a patient the journey texted: opted out in the store and the EHR, one confirmation as TwiML', async () => {
		since = Date.now();
		// Stage 2 of this journey falls due in about 60 s.
		johnsVisit = await closeVisit('john', DateTime.utc().minus({ hours: 48 }).plus({ seconds: 60 }));
		await eventually('the care summary SMS', () => smsTo(john.mobile!, since)[0]);
		const sent = await sandbox.twilio.textIn({ from: john.mobile!, body: 'STOP' });
		expect(sent.answer).toBe(200);
		expect(sent.reply).toBe(
			'Riverside Family Medicine: you are unsubscribed and will get no more texts from us. Reply START to resubscribe. Questions? Call (512) 555-0100.',
		);
		expect(sent.twiml!.match(/<Message>/g)).toHaveLength(1);
		expect(await store.optedOut('sms', [john.mobile!])).toEqual([john.mobile]);
		// The answer goes out before the EHR is written (Twilio waits 15 s at most): the consent follows.
		await eventually('SMS consent off in the EHR', async () => ((await smsConsent(johnsVisit.patientId)) === false ? true : undefined));
		const journal = await eventually('the opt-out in the journal', async () => {
			const entries = (await store.journal({ journeyId: johnsVisit.journeyId })).map((e) => `${e.type}:${e.code ?? ''}`);
			return entries.includes('optout.recorded:STOP') ? entries : undefined;
		});
		expect(journal).toEqual(expect.arrayContaining(['reply.received:optOut', 'optout.recorded:STOP']));
		const execution = await eventually('the replies execution', async () => (await repliesExecutions()).find((e) => e.status === 'success'));
		expect(execution.data.resultData.runData['Opt-Out Recorded']).toHaveLength(1);
	});

	it('the journey\'s later stage skips SMS for the opted-out number and reaches the patient by email', async () => {
		const reminder = await eventually(
			'the stage-2 reminder by email',
			() => emailsTo(john.email!, since).find((m) => /reminder/i.test(m.subject)),
			240_000,
		);
		expect(reminder.text).toContain('one step is still open: follow-up visit.');
		const stage2 = await eventually('stage 2 in the journal', async () => {
			const sentNow = (await store.journal({ journeyId: johnsVisit.journeyId, type: 'touch.sent' })).filter((e) => e.stage === 2);
			return sentNow.length ? sentNow : undefined;
		});
		expect(stage2.map((e) => e.channel)).toEqual(['email']);
		expect(smsTo(john.mobile!, since)).toHaveLength(1);
	});

	it('ALTO from a Spanish-speaking patient: the confirmation comes back in Spanish', async () => {
		const anaSince = Date.now();
		await closeVisit('ana', DateTime.utc().minus({ minutes: 2 }));
		await eventually('Ana\'s care summary SMS', () => smsTo(ana.mobile!, anaSince)[0]);
		const sent = await sandbox.twilio.textIn({ from: ana.mobile!, body: '¡Alto!' });
		expect(sent.reply).toBe(
			'Riverside Family Medicine: ya no le enviaremos mensajes de texto. Responda COMENZAR para volver a recibirlos. Preguntas: llame al (512) 555-0100.',
		);
		expect(await store.optedOut('sms', [ana.mobile!])).toEqual([ana.mobile]);
	});

	it('START re-subscribes: the store and the EHR allow texts again', async () => {
		const sent = await sandbox.twilio.textIn({ from: john.mobile!, body: 'START' });
		expect(sent.reply).toMatch(/you will get texts about your care from us again/);
		expect(await store.optedOut('sms', [john.mobile!])).toEqual([]);
		await eventually('SMS consent back on in the EHR', async () => ((await smsConsent(johnsVisit.patientId)) === true ? true : undefined));
	});

	it('HELP answers with the practice name and phone', async () => {
		const sent = await sandbox.twilio.textIn({ from: john.mobile!, body: 'help' });
		expect(sent.reply).toBe(
			'Riverside Family Medicine care messages. For questions or to book, call (512) 555-0100. Reply STOP to opt out. Msg&data rates may apply.',
		);
	});

	it('YES gets the scheduling link of the patient\'s open action', async () => {
		const sent = await sandbox.twilio.textIn({ from: john.mobile!, body: 'YES' });
		expect(sent.reply).toBe(
			`Riverside Family Medicine: book your follow-up visit here: https://riverside.example/schedule?order=${johnsVisit.orderId} Or call (512) 555-0100.`,
		);
	});

	it('a real question becomes a task in the EHR worklist with the text, and the coordinator is told', async () => {
		const taskSince = Date.now();
		const text = 'can I move my appointment to Friday?';
		const sent = await sandbox.twilio.textIn({ from: john.mobile!, body: text });
		expect(sent.reply).toMatch(/thank you, we got your message and will get back to you/);
		const task = await eventually('the reply task in the FHIR sandbox', async () => {
			const tasks = (await sandbox.fhir.repo.searchResources({ resourceType: 'Task' })) as Task[];
			return tasks.find((t) => t.description?.includes(text));
		});
		expect(task.for?.reference).toBe(`Patient/${johnsVisit.patientId}`);
		expect(task.code?.text).toBe('Patient replied by text: read and answer');
		const mail = await eventually('the coordinator notified', () => emailsTo('maria.lopez@riverside.example', taskSince)[0]);
		expect(mail.text).not.toContain('Friday');
		const journal = JSON.stringify(await store.journal({ journeyId: johnsVisit.journeyId }));
		expect(journal).not.toContain('Friday');
	});

	it('a text from a number the practice never wrote to still reaches a person, as an unknown sender', async () => {
		const sent = await sandbox.twilio.textIn({ from: stranger, body: 'Who is this?' });
		expect(sent.answer).toBe(200);
		const task = await eventually('the unknown-sender task', async () => {
			const tasks = (await sandbox.fhir.repo.searchResources({ resourceType: 'Task' })) as Task[];
			return tasks.find((t) => t.description?.includes('Who is this?'));
		});
		expect(task.for).toBeUndefined();
		expect(task.description).toMatch(/sender is unknown/);
	});

	it('a forged signature is refused with 403 and starts no execution', async () => {
		// Every text so far started one execution; wait until the last of them is saved, then count.
		const texted = sandbox.twilio.inbound.length;
		const before = await eventually('every earlier reply execution saved', async () => {
			const list = await repliesExecutions();
			return list.length === texted && list.every((e) => e.status !== 'running' && e.status !== 'new') ? list.length : undefined;
		});
		const forged = await sandbox.twilio.textIn({ from: john.mobile!, body: 'STOP', signature: 'bm90LXR3aWxpbw==' });
		expect(forged.answer).toBe(403);
		expect(forged.reply).toBeUndefined();
		await new Promise((resolve) => setTimeout(resolve, 2000));
		expect((await repliesExecutions()).length).toBe(before);
		expect(await store.optedOut('sms', [john.mobile!])).toEqual([]);
	});
});
