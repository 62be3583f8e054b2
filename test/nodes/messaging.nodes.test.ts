import { join } from 'node:path';

import type { IDataObject } from 'n8n-workflow';

import { ChannelRouter } from '../../nodes/ChannelRouter/ChannelRouter.node';
import { PatientMessage } from '../../nodes/PatientMessage/PatientMessage.node';
import { localTimeLabel } from '../../nodes/shared/core/cadence';
import { openJourneyStore } from '../../nodes/shared/store';
import { startSmtpSink } from '../../sandbox/smtp-sink';
import type { SmtpSink } from '../../sandbox/smtp-sink';
import { startTwilioApi } from '../../sandbox/twilio-api';
import type { TwilioApiSandbox } from '../../sandbox/twilio-api';
import { runWorkflow } from '../helpers/engine';
import { practiceProfileCredential, tempDir, testContactHashSecret, visitEvent, zoneWhereNowIsAtNight, zoneWhereNowIsBetween } from '../helpers/fixtures';

const accountSid = 'AC' + '1'.repeat(32);
const authToken = 'sandbox-token';

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
beforeEach(() => {
	twilio.reset();
	smtp.reset();
});

function credentials(storePath: string, profile: Record<string, unknown> = {}) {
	return {
		journeyStoreApi: { backend: 'sqlite', sqlitePath: storePath, contactHashSecret: testContactHashSecret },
		practiceProfileApi: practiceProfileCredential(profile),
		postVisitTwilioApi: { authType: 'authToken', accountSid, authToken, from: '+15125550199', apiBaseUrl: twilio.url },
		postVisitSmtpApi: { host: '127.0.0.1', port: smtp.port, security: 'none', fromEmail: 'care@riverside.test', fromName: 'Riverside' },
	};
}

const stage1 = {
	nodes: [
		{ name: 'Fixture', type: 'test.fixture', parameters: { items: '[]' } },
		{ name: 'Route', type: 'n8n-nodes-post-visit.channelRouter', parameters: { stage: 1 } },
		{ name: 'Send', type: 'n8n-nodes-post-visit.patientMessage', parameters: { stage: 1 } },
	],
	connections: {
		Fixture: { main: [[{ node: 'Route', type: 'main' as const, index: 0 }]] },
		Route: { main: [[{ node: 'Send', type: 'main' as const, index: 0 }], []] },
	},
};

function withItems(items: IDataObject[]) {
	const nodes = stage1.nodes.map((node) => (node.name === 'Fixture' ? { ...node, parameters: { items: JSON.stringify(items) } } : node));
	return { ...stage1, nodes };
}

const nodeTypes = { channelRouter: new ChannelRouter(), patientMessage: new PatientMessage() };

describe('Channel Router → Patient Message (stage 1) in n8n\'s engine', () => {
	it('sends the care summary by SMS (real twilio SDK) and email (real nodemailer), naming the action and link', async () => {
		const dir = tempDir();
		const zone = zoneWhereNowIsBetween(9, 20);
		const result = await runWorkflow(withItems([visitEvent({ zone }) as unknown as IDataObject]), {
			nodeTypes,
			credentials: credentials(join(dir, 'journey.sqlite')),
		});
		const sent = result.output('Send', 0);
		expect(result.error('Send')).toBeUndefined();
		expect(sent).toHaveLength(1);
		const delivery = sent[0].delivery as { results: Array<{ channel: string; status: string; providerId: string; segments?: number; encoding?: string }> };
		expect(delivery.results.map((r) => [r.channel, r.status, r.segments, r.encoding])).toEqual([
			['sms', 'sent', 2, 'GSM-7'],
			['email', 'sent', undefined, undefined],
		]);
		expect(twilio.messages).toHaveLength(1);
		expect(twilio.messages[0].to).toBe('+15125550101');
		expect(twilio.messages[0].body).toContain('Next step: your follow-up visit.');
		expect(twilio.messages[0].body).not.toContain('Book your 2-week follow-up visit');
		expect(twilio.messages[0].body).toContain('https://schedule.example.test/book?order=sr-1');
		expect(twilio.messages[0].body).toMatch(/STOP/);
		expect(smtp.messages).toHaveLength(1);
		expect(smtp.messages[0].to).toEqual(['ana@example.test']);
		expect(smtp.messages[0].text).toContain('https://schedule.example.test/book?order=sr-1');
		expect(smtp.messages[0].text).toContain('Your next step: follow-up visit.');
		expect(delivery.results[0].providerId).toBe(twilio.messages[0].sid);
		expect((sent[0].route as IDataObject).summary).toMatch(/^Stage 1: send by SMS and email \(/);
		expect((sent[0].delivery as IDataObject).summary).toMatch(/^Stage 1 sent: SMS \(\d segments?\) sent, email sent$/);
	});

	it('writes Spanish for a Spanish-preferring patient', async () => {
		const dir = tempDir();
		const event = visitEvent({ zone: zoneWhereNowIsBetween(9, 20) });
		event.patient.language = 'es-MX';
		await runWorkflow(withItems([event as unknown as IDataObject]), { nodeTypes, credentials: credentials(join(dir, 'j.sqlite')) });
		expect(twilio.messages[0].body).toMatch(/ALTO/);
		expect(smtp.messages[0].subject).toMatch(/[áéíóúñ]|Resumen|visita/i);
	});

	it.each<[string, boolean, string, string]>([
		['smart encoding on (default) sends GSM-7 in 2 segments', true, 'Clinica del Rio', 'GSM-7'],
		['smart encoding off keeps the accents and sends UCS-2', false, 'Clínica del Río', 'UCS-2'],
	])('%s', async (_name, smartEncoding, practiceName, encoding) => {
		const dir = tempDir();
		const event = visitEvent({ zone: zoneWhereNowIsBetween(9, 20) });
		event.patient.language = 'es';
		const workflow = withItems([event as unknown as IDataObject]);
		workflow.nodes = workflow.nodes.map((node) => (node.name === 'Send' ? { ...node, parameters: { stage: 1, smartEncoding } } : node));
		const result = await runWorkflow(workflow, { nodeTypes, credentials: credentials(join(dir, 'j.sqlite'), { practiceName: 'Clínica del Río' }) });
		const sms = (result.output('Send', 0)[0].delivery as { results: Array<{ segments: number; encoding: string }> }).results[0];
		expect(twilio.messages[0].body).toContain(`visita a ${practiceName} el`);
		expect(sms.encoding).toBe(encoding);
		// The same text: 2 segments of 153 GSM-7 characters, or 4 of 67 UCS-2 characters.
		expect(sms.segments).toBe(encoding === 'GSM-7' ? 2 : 4);
	});

	it('puts the EHR\'s order text in the email only with Order Text in Email on, never in the SMS', async () => {
		const dir = tempDir();
		const workflow = withItems([visitEvent({ zone: zoneWhereNowIsBetween(9, 20) }) as unknown as IDataObject]);
		workflow.nodes = workflow.nodes.map((node) => (node.name === 'Send' ? { ...node, parameters: { stage: 1, orderTextInEmail: true } } : node));
		await runWorkflow(workflow, { nodeTypes, credentials: credentials(join(dir, 'j.sqlite')) });
		expect(smtp.messages[0].text).toContain('Your next step: Book your 2-week follow-up visit.');
		expect(twilio.messages[0].body).not.toContain('Book your 2-week');
	});

	it('sends nothing twice when the same journey runs again (exactly once per visit, stage and channel)', async () => {
		const dir = tempDir();
		const item = visitEvent({ zone: zoneWhereNowIsBetween(9, 20) }) as unknown as IDataObject;
		const creds = credentials(join(dir, 'j.sqlite'), { perPatientPerDay: 5 });
		await runWorkflow(withItems([item]), { nodeTypes, credentials: creds });
		const second = await runWorkflow(withItems([item]), { nodeTypes, credentials: creds });
		expect(twilio.messages).toHaveLength(1);
		expect(smtp.messages).toHaveLength(1);
		const results = (second.output('Send', 0)[0].delivery as { results: Array<{ status: string }> }).results;
		expect(results.map((r) => r.status)).toEqual(['alreadySent', 'alreadySent']);
	});

	it('holds outside the send window with a not-before time inside the next window, sending nothing', async () => {
		const dir = tempDir();
		const zone = zoneWhereNowIsAtNight();
		const result = await runWorkflow(withItems([visitEvent({ zone }) as unknown as IDataObject]), {
			nodeTypes,
			credentials: credentials(join(dir, 'j.sqlite')),
		});
		const held = result.output('Send', 1);
		expect(held).toHaveLength(1);
		const journey = held[0].journey as { notBefore: string; holds: number };
		expect(journey.holds).toBe(1);
		expect((held[0].delivery as IDataObject).summary).toBe(`Held until ${localTimeLabel(journey.notBefore, zone)}: outside the send window`);
		expect(new Date(journey.notBefore).getTime()).toBeGreaterThan(Date.now());
		expect(twilio.messages).toHaveLength(0);
		expect(smtp.messages).toHaveLength(0);
	});

	it('falls back to email when Twilio says the number is a landline (21614), and records it in the journey', async () => {
		const dir = tempDir();
		twilio.setNumberBehaviour('+15125550101', 'notMobile');
		const creds = credentials(join(dir, 'j.sqlite'));
		const event = visitEvent({ zone: zoneWhereNowIsBetween(9, 20) });
		event.patient.preferredChannel = 'sms';
		const stage2 = {
			...withItems([{ ...(event as unknown as IDataObject) }]),
		};
		stage2.nodes = stage2.nodes.map((node) => (node.name === 'Fixture' ? node : { ...node, parameters: { stage: 2 } }));
		const result = await runWorkflow(stage2, { nodeTypes, credentials: creds });
		const sent = result.output('Send', 0);
		const results = (sent[0].delivery as { results: Array<{ channel: string; status: string; code?: string }> }).results;
		expect(results.map((r) => [r.channel, r.status, r.code])).toEqual([
			['sms', 'rejected', '21614'],
			['email', 'sent', undefined],
		]);
		expect(smtp.messages).toHaveLength(1);
		twilio.setNumberBehaviour('+15125550101', undefined);
	});

	it('sends to staff ("Staff Call") when the patient opted out everywhere', async () => {
		const dir = tempDir();
		const path = join(dir, 'j.sqlite');
		const store = await openJourneyStore({ backend: 'sqlite', path, contactHashSecret: testContactHashSecret });
		const at = new Date().toISOString();
		await store.setOptOut({ channel: 'sms', address: '+15125550101', at, source: 'reply:STOP' });
		await store.setOptOut({ channel: 'email', address: 'ana@example.test', at, source: 'unsubscribe' });
		await store.close();
		const result = await runWorkflow(withItems([visitEvent({ zone: zoneWhereNowIsBetween(9, 20) }) as unknown as IDataObject]), {
			nodeTypes,
			credentials: credentials(path),
		});
		expect(result.output('Route', 0)).toHaveLength(0);
		const staff = result.output('Route', 1);
		expect(staff).toHaveLength(1);
		expect((staff[0].staffCall as { reason: string }).reason).toBe('optedOutEverywhere');
		expect(twilio.messages).toHaveLength(0);
	});

	it('places a stage-3 voice message (TwiML Say in the patient\'s language) when the practice chose voice, landlines included', async () => {
		const dir = tempDir();
		const event = visitEvent({ zone: zoneWhereNowIsBetween(9, 20) });
		event.patient.phones = [{ number: '+15125550177', kind: 'landline' }];
		event.patient.language = 'es';
		const stage3 = withItems([event as unknown as IDataObject]);
		stage3.nodes = stage3.nodes.map((node) =>
			node.name === 'Route' ? { ...node, parameters: { stage: 3, allowVoice: true } } : node.name === 'Send' ? { ...node, parameters: { stage: 3 } } : node,
		);
		const result = await runWorkflow(stage3, { nodeTypes, credentials: credentials(join(dir, 'j.sqlite')) });
		expect(result.error('Send')).toBeUndefined();
		const sent = result.output('Send', 0);
		expect((sent[0].delivery as { results: Array<{ channel: string; status: string }> }).results).toEqual([
			expect.objectContaining({ channel: 'voice', status: 'sent' }),
		]);
		expect(twilio.calls).toHaveLength(1);
		expect(twilio.calls[0].to).toBe('+15125550177');
		expect(twilio.calls[0].twiml).toMatch(/<Say[^>]*language="es-MX"/);
		expect(twilio.messages).toHaveLength(0);
	});

	it('records a Twilio 21610 (unsubscribed) as an opt-out, falls back to email, and routes later stages around SMS', async () => {
		const dir = tempDir();
		const path = join(dir, 'j.sqlite');
		twilio.setNumberBehaviour('+15125550101', 'unsubscribed');
		const event = visitEvent({ zone: zoneWhereNowIsBetween(9, 20) });
		const stage2 = withItems([event as unknown as IDataObject]);
		stage2.nodes = stage2.nodes.map((node) => (node.name === 'Fixture' ? node : { ...node, parameters: { stage: 2 } }));
		const first = await runWorkflow(stage2, { nodeTypes, credentials: credentials(path, { perPatientPerDay: 5 }) });
		const results = (first.output('Send', 0)[0].delivery as { results: Array<{ channel: string; status: string; code?: string }> }).results;
		expect(results.map((r) => [r.channel, r.status, r.code])).toEqual([
			['sms', 'rejected', '21610'],
			['email', 'sent', undefined],
		]);
		twilio.setNumberBehaviour('+15125550101', undefined);
		const store = await openJourneyStore({ backend: 'sqlite', path, contactHashSecret: testContactHashSecret });
		expect(await store.optedOut('sms', ['+1 (512) 555-0101'])).toEqual(['+1 (512) 555-0101']);
		await store.close();
		const later = await runWorkflow(withItems([visitEvent({ zone: zoneWhereNowIsBetween(9, 20), visitId: 'enc-2' }) as unknown as IDataObject]), {
			nodeTypes,
			credentials: credentials(path, { perPatientPerDay: 5 }),
		});
		const route = later.output('Send', 0)[0].route as { channels: Array<{ channel: string }> };
		expect(route.channels.map((c) => c.channel)).toEqual(['email']);
		expect(twilio.messages).toHaveLength(0);
		const reopened = await openJourneyStore({ backend: 'sqlite', path, contactHashSecret: testContactHashSecret });
		const contacted = await reopened.journeysContactedAt('email', event.patient.email as string);
		expect(contacted.map((match) => match.journeyId).sort()).toEqual([`visit:${event.ehr}:${event.visitId}`, `visit:${event.ehr}:enc-2`].sort());
		expect(await reopened.journeysContactedAt('sms', event.patient.phones[0].number)).toEqual([]);
		await reopened.close();
	});

	it('ends a journey that can never be sent after the hold limit ("Not Sent", to staff) instead of looping', async () => {
		const dir = tempDir();
		const item = { ...(visitEvent({ zone: zoneWhereNowIsAtNight() }) as unknown as IDataObject) };
		const routed = await runWorkflow(withItems([item]), { nodeTypes, credentials: credentials(join(dir, 'j.sqlite')) });
		const held = routed.output('Send', 1)[0];
		const onlySend = {
			nodes: [
				{ name: 'Fixture', type: 'test.fixture', parameters: { items: JSON.stringify([{ ...held, journey: { ...(held.journey as IDataObject), holds: 6 } }]) } },
				{ name: 'Send', type: 'n8n-nodes-post-visit.patientMessage', parameters: { stage: 1, maxHolds: 6 } },
			],
			connections: { Fixture: { main: [[{ node: 'Send', type: 'main' as const, index: 0 }]] } },
		};
		const result = await runWorkflow(onlySend, { nodeTypes, credentials: credentials(join(dir, 'j.sqlite')) });
		const notSent = result.output('Send', 2);
		expect(notSent).toHaveLength(1);
		expect((notSent[0].delivery as { notSentReason: string }).notSentReason).toBe('holdLimit');
		expect(twilio.messages).toHaveLength(0);
	});

	it('refuses an item that is not a journey with an error naming the field, and every output item is paired', async () => {
		const dir = tempDir();
		const result = await runWorkflow(withItems([{ hello: 'world' }]), { nodeTypes, credentials: credentials(join(dir, 'j.sqlite')) });
		expect(result.error('Route')?.message).toMatch(/not a journey/);
	});
});

describe('test mode (practice profile "Test Mode: Send Only To") in Patient Message', () => {
	const journal = async (storePath: string) => {
		const store = await openJourneyStore({ backend: 'sqlite', path: storePath, contactHashSecret: testContactHashSecret });
		try {
			return (await store.journal({})).map((entry) => [entry.type, entry.channel ?? null, entry.code ?? null]);
		} finally {
			await store.close();
		}
	};
	const run = async (storePath: string, profile: Record<string, unknown>, event = visitEvent({ zone: zoneWhereNowIsBetween(9, 20) })) =>
		await runWorkflow(withItems([event as unknown as IDataObject]), { nodeTypes, credentials: credentials(storePath, { perPatientPerDay: 5, ...profile }) });

	it('sends to a listed patient, whatever way the number and address are written', async () => {
		const storePath = join(tempDir(), 'j.sqlite');
		const result = await run(storePath, { testModeSendOnlyTo: '(512) 555-0101\nANA@Example.test' });
		expect(result.output('Send', 0)).toHaveLength(1);
		expect(twilio.messages.map((message) => message.to)).toEqual(['+15125550101']);
		expect(smtp.messages.map((message) => message.to)).toEqual([['ana@example.test']]);
	});

	it('suppresses an unlisted address of a listed patient, and sends the listed one', async () => {
		const storePath = join(tempDir(), 'j.sqlite');
		const result = await run(storePath, { testModeSendOnlyTo: '+15125550101' });
		const [sent] = result.output('Send', 0);
		expect((sent.delivery as { results: Array<{ channel: string }> }).results.map((r) => r.channel)).toEqual(['sms']);
		expect(twilio.messages).toHaveLength(1);
		expect(smtp.messages).toHaveLength(0);
		expect(await journal(storePath)).toEqual(expect.arrayContaining([['touch.suppressed', 'email', 'testMode'], ['touch.sent', 'sms', null]]));
		expect(await journal(storePath)).not.toContainEqual(['journey.ended', null, 'testMode']);
	});

	it('sends nothing to an unlisted patient and ends the journey for good: nothing later, even with test mode off', async () => {
		const storePath = join(tempDir(), 'j.sqlite');
		const event = visitEvent({ zone: zoneWhereNowIsBetween(9, 20) });
		const result = await run(storePath, { testModeSendOnlyTo: '+15125550000, staff@riverside.test' }, event);
		expect([0, 1, 2].map((output) => result.output('Send', output))).toEqual([[], [], []]);
		expect(result.error('Send')).toBeUndefined();
		expect(await journal(storePath)).toEqual(
			expect.arrayContaining([['touch.suppressed', 'sms', 'testMode'], ['touch.suppressed', 'email', 'testMode'], ['journey.ended', null, 'testMode']]),
		);
		const later = await run(storePath, {}, event);
		expect([0, 1, 2].map((output) => later.output('Send', output))).toEqual([[], [], []]);
		expect(twilio.messages).toHaveLength(0);
		expect(smtp.messages).toHaveLength(0);
		expect((await journal(storePath)).filter(([type]) => type === 'journey.ended')).toHaveLength(1);
	});

	it('with Outreach Paused on as well, holds everyone (listed or not) and sends nothing: the pause wins', async () => {
		for (const list of ['+15125550101, ana@example.test', '+15125550000']) {
			const storePath = join(tempDir(), 'j.sqlite');
			const result = await run(storePath, { testModeSendOnlyTo: list, outreachPaused: true });
			expect(result.output('Send', 1)[0].delivery).toMatchObject({ held: { reason: 'outreachPaused' } });
			expect(await journal(storePath)).not.toContainEqual(['journey.ended', null, 'testMode']);
		}
		expect(twilio.messages).toHaveLength(0);
		expect(smtp.messages).toHaveLength(0);
	});
});
