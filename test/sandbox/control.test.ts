import { request as httpRequest } from 'node:http';

import { DateTime } from 'luxon';
import nodemailer from 'nodemailer';

import { createAthenaAdapter, parseAthenaNotification } from '../../nodes/shared/ehr/athenahealth';
import { createDrChronoAdapter, parseDrChronoNotification } from '../../nodes/shared/ehr/drchrono';
import { createFhirAdapter, parseFhirNotification } from '../../nodes/shared/ehr/fhir';
import { completionRules, createHl7v2Adapter, startMllpListener } from '../../nodes/shared/ehr/hl7v2';
import type { MllpListener } from '../../nodes/shared/ehr/hl7v2';
import { createPacer, createTebraAdapter } from '../../nodes/shared/ehr/tebra';
import type { EhrAdapter, InboundRequest, NotificationEvent, ResolveContext } from '../../nodes/shared/ehr/types';
import { acceptHl7Frame } from '../../nodes/shared/flows/hl7v2Intake';
import type { VisitEvent } from '../../nodes/shared/core/schemas';
import { startAthenaServer } from '../../sandbox/athenahealth-server';
import { escapeHtml, startControlServer } from '../../sandbox/control';
import type { ControlServer, ControlTarget } from '../../sandbox/control';
import { demoPatients } from '../../sandbox/demo-patients';
import { startDrChronoServer } from '../../sandbox/drchrono-server';
import type { DemoEhr, SandboxEhr } from '../../sandbox/environment';
import { ensureFhirPatient } from '../../sandbox/fhir-demo';
import { createResource, startFhirServer } from '../../sandbox/fhir-server';
import { zoneWhereNowIsBetween } from '../../sandbox/zones';
import { startSmtpSink } from '../../sandbox/smtp-sink';
import { tebraPatientId, tebraSandboxAccount } from '../../sandbox/tebra-demo';
import { startTebraServer } from '../../sandbox/tebra-server';
import { startTwilioApi } from '../../sandbox/twilio-api';
import { fetchHttpClient, instantRetryPolicy } from '../helpers/fetchHttpClient';

const secret = 'control-test-webhook-secret';
const practiceId = '195900';
const drchronoToken = 'control-test-drchrono-token';
// Any hour the suite runs, the DrChrono doctor's zone is inside the send window (no wall-clock dependence).
const drchronoZone = zoneWhereNowIsBetween(9, 20);
const twilioAccount = { accountSid: 'AC' + '0'.repeat(32), authToken: 'control-test-token' };
const context: ResolveContext = {
	defaultZone: 'America/Chicago',
	defaultLanguage: 'en',
	schedulingLinks: { default: 'https://book.example.test/{orderId}' },
};

interface Delivery {
	ehr: SandboxEhr;
	body: string;
	headers: Record<string, string>;
}

let target: ControlTarget;
let control: ControlServer;
let mllp: MllpListener;
let adapters: Record<DemoEhr, EhrAdapter>;
const deliveries: Delivery[] = [];
/** What the HL7 v2 Trigger's intake emitted for the frames the control API sent over MLLP. */
const hl7Events: NotificationEvent[] = [];

beforeAll(async () => {
	const fhir = await startFhirServer();
	const athena = await startAthenaServer({ practiceId, clientId: 'c', clientSecret: 's' });
	// No callback URL: completeAppointment hands the signed delivery back, and the control API delivers it.
	const drchrono = await startDrChronoServer({ accessToken: drchronoToken, zone: drchronoZone, webhook: { secret } });
	const twilio = await startTwilioApi(twilioAccount);
	const smtp = await startSmtpSink({ disableStartTls: true });
	// The Tebra practice in the same zone as the DrChrono doctor; the pacer below never waits, so neither does Tebra.
	const tebraPractice = { ...tebraSandboxAccount.practice, zone: drchronoZone };
	const tebra = await startTebraServer({ login: tebraSandboxAccount.login, practice: tebraPractice, enforceRateLimits: false });
	// The HL7 v2 Trigger's own intake behind a real MLLP listener (no journey store: nothing is claimed).
	mllp = await startMllpListener({
		port: 0,
		host: '127.0.0.1',
		answer: async (frameEvent) =>
			(
				await acceptHl7Frame(frameEvent, {
					rules: completionRules({}),
					now: () => new Date(),
					nextControlId: () => 'CONTROLTEST',
					emit: async (notification) => void hl7Events.push(notification),
				})
			).ack,
	});
	for (const patient of demoPatients) await ensureFhirPatient(fhir, patient);
	target = {
		fhir,
		athena,
		drchrono,
		tebra,
		mllpPort: mllp.port,
		twilio,
		smtp,
		webhookSecret: secret,
		deliver: async (ehr, body, headers) => {
			deliveries.push({ ehr, body, headers });
			return new Response('{"received":true}', { status: 200 });
		},
	};
	const athenaToken = athena.issueToken();
	adapters = {
		fhir: createFhirAdapter({ http: fetchHttpClient(fhir.url), retry: instantRetryPolicy() }),
		athenahealth: createAthenaAdapter({
			http: fetchHttpClient(athena.url, () => ({ authorization: `Bearer ${athenaToken}` })),
			practiceId,
			retry: instantRetryPolicy(),
		}),
		drchrono: createDrChronoAdapter({
			http: fetchHttpClient(drchrono.url, () => ({ authorization: `Bearer ${drchronoToken}` })),
			retry: instantRetryPolicy(),
		}),
		tebra: createTebraAdapter({
			http: fetchHttpClient(tebra.url),
			login: tebraSandboxAccount.login,
			options: { endpoint: tebra.endpoint, practiceName: tebraPractice.name, zone: tebraPractice.zone },
			retry: instantRetryPolicy(),
			pacer: createPacer(() => 0, async () => {}),
		}),
		hl7v2: createHl7v2Adapter({ http: fetchHttpClient(fhir.url), options: { baseUrl: fhir.url } }),
	};
	control = await startControlServer(target, { zones: 'nowWindow', drchronoZone, tebraZone: drchronoZone, editorUrl: 'http://127.0.0.1:5678/' });
}, 60_000);

afterAll(async () => {
	await control?.close();
	await mllp?.close();
	await Promise.all([
		target?.fhir.close(),
		target?.athena.close(),
		target?.drchrono.close(),
		target?.tebra.close(),
		target?.twilio.close(),
		target?.smtp.close(),
	]);
});

async function post(path: string, body: unknown, contentType = 'application/json') {
	const response = await fetch(control.url + path, {
		method: 'POST',
		headers: { 'content-type': contentType },
		body: typeof body === 'string' ? body : JSON.stringify(body),
	});
	return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

/** What the EHR trigger would make of a delivery: the verified events, by the pack's own parsers. */
function parsedEvents(delivery: Delivery) {
	const request: InboundRequest = { method: 'POST', headers: delivery.headers, query: {}, rawBody: Buffer.from(delivery.body, 'utf8') };
	const result =
		delivery.ehr === 'fhir'
			? parseFhirNotification(request, { secrets: { current: secret }, secretHeader: 'X-Webhook-Secret' })
			: delivery.ehr === 'athenahealth'
				? parseAthenaNotification(request, { current: secret })
				: parseDrChronoNotification(request, { current: secret });
	if (result.kind !== 'events') throw new Error(`delivery not accepted: ${JSON.stringify(result)}`);
	return result.events;
}

describe('the control API validates what it is asked', () => {
	it.each([
		['an unknown EHR', '/api/close-visit', 400, { ehr: 'epic', patient: 'ana' }, /unknown ehr "epic": use one of fhir, athenahealth, drchrono, tebra, hl7v2$/],
		['an unknown patient', '/api/close-visit', 400, { ehr: 'fhir', patient: 'bob' }, /unknown patient "bob": use one of ana, john, leilani, ray/],
		['a missing patient', '/api/close-visit', 400, { ehr: 'fhir' }, /patient is missing: use one of ana, john, leilani, ray/],
		['a prototype key as EHR', '/api/close-visit', 400, { ehr: 'constructor', patient: 'ana' }, /unknown ehr "constructor"/],
		['a negative hoursAgo', '/api/close-visit', 400, { ehr: 'fhir', patient: 'ana', hoursAgo: -1 }, /hoursAgo must be a number of hours from 0 to 720/],
		['a hoursAgo that is no number', '/api/close-visit', 400, { ehr: 'fhir', patient: 'ana', hoursAgo: 'soon' }, /hoursAgo must be a number/],
		['hoursAgo on a booking', '/api/book-follow-up', 400, { ehr: 'fhir', patient: 'ana', hoursAgo: 2 }, /hoursAgo applies to close-visit only/],
		['a Tebra visit older than its poll reads', '/api/close-visit', 400, { ehr: 'tebra', patient: 'ana', hoursAgo: 24 }, /hoursAgo for tebra is at most 23/],
		['an array body', '/api/close-visit', 400, [], /the body must be a JSON object/],
		['a body that is not JSON', '/api/close-visit', 400, '{ehr: fhir', /not valid JSON/],
	])('answers %s on %s with %i and a clear message, delivering nothing', async (_case, path, status, body, message) => {
		const before = deliveries.length;
		const answer = await post(path, body);
		expect(answer.status).toBe(status);
		expect(String(answer.json.error)).toMatch(message);
		expect(deliveries).toHaveLength(before);
	});

	it('refuses a form post (415): only JSON, which a foreign web page cannot send without a preflight', async () => {
		const answer = await post('/api/close-visit', 'ehr=fhir&patient=ana', 'application/x-www-form-urlencoded');
		expect(answer.status).toBe(415);
	});

	it.each([
		['GET', '/api/close-visit', 405],
		['POST', '/api/outbox', 405],
		['GET', '/nowhere', 404],
	])('answers %s %s with %i', async (method, path, status) => {
		const response = await fetch(control.url + path, { method });
		expect(response.status).toBe(status);
	});

	it('refuses a request for another host name (DNS rebinding)', async () => {
		const status = await new Promise<number>((resolve, reject) => {
			const req = httpRequest({ host: '127.0.0.1', port: control.port, path: '/api/outbox', headers: { host: 'evil.example:5699' } }, (res) => {
				res.resume();
				resolve(res.statusCode ?? 0);
			});
			req.on('error', reject);
			req.end();
		});
		expect(status).toBe(421);
	});

	it.each(['athenahealth', 'tebra'])('says a booking needs a visit first in %s, which has not seen the patient (409)', async (ehr) => {
		const answer = await post('/api/book-follow-up', { ehr, patient: 'ray' });
		expect(answer.status).toBe(409);
		expect(answer.json.error).toMatch(new RegExp(`no ${ehr} visit for ray yet`));
	});
});

describe('closing a demo visit and booking its follow-up', () => {
	it.each([
		['fhir', 'ana', 0],
		['fhir', 'john', 50],
		['athenahealth', 'ana', 0],
		['athenahealth', 'john', 50],
		['drchrono', 'ana', 0],
		['drchrono', 'john', 50],
	] as Array<[SandboxEhr, string, number]>)(
		'%s / %s, %i hours ago: a signed notification the pack accepts, a visit it resolves, then a booking its Booking Check finds',
		async (ehr, patient, hoursAgo) => {
			const before = deliveries.length;
			const closed = await post('/api/close-visit', { ehr, patient, ...(hoursAgo ? { hoursAgo } : {}) });
			expect(closed.status).toBe(200);
			expect(closed.json).toMatchObject({ action: 'close-visit', ehr, patient, delivered: 200 });
			expect(deliveries).toHaveLength(before + 1);
			const delivery = deliveries[before];
			expect(delivery.ehr).toBe(ehr);

			const [event] = parsedEvents(delivery);
			expect(String(closed.json.visitId)).toContain(event.resourceId);
			const resolved = await adapters[ehr].resolveVisit(event, context);
			if (resolved.status !== 'completed' || resolved.event.kind !== 'visit') throw new Error(`not resolved: ${JSON.stringify(resolved)}`);
			const visit = resolved.event as VisitEvent;
			expect(visit.zone).toBe(closed.json.zone);
			expect(closed.json.insideWindow).toBe(true);
			const expectedEnd = DateTime.utc().minus({ hours: hoursAgo });
			expect(Math.abs(DateTime.fromISO(visit.completedAt).diff(expectedEnd, 'minutes').minutes)).toBeLessThan(5);
			expect((await adapters[ehr].findFollowUp(visit, {})).status).toBe('open');

			const booked = await post('/api/book-follow-up', { ehr, patient });
			expect(booked.status).toBe(200);
			expect(booked.json).toMatchObject({ action: 'book-follow-up', ehr, patient });
			expect((await adapters[ehr].findFollowUp(visit, {})).status).toBe('booked');
		},
	);

	it('gives each DrChrono visit a new id, unlike the in-memory count that restarts with every run', async () => {
		const first = await post('/api/close-visit', { ehr: 'drchrono', patient: 'leilani' });
		const second = await post('/api/close-visit', { ehr: 'drchrono', patient: 'leilani' });
		expect(first.json.visitId).not.toBe(second.json.visitId);
		expect(String(first.json.visitId)).toMatch(/^appointment \d{13,}$/);
	});
});

/** The visit the pack resolves for a visit event, with the follow-up status before and after the demo booking. */
async function resolveAndBook(ehr: DemoEhr, patient: string, event: NotificationEvent) {
	const resolved = await adapters[ehr].resolveVisit(event, context);
	if (resolved.status !== 'completed' || resolved.event.kind !== 'visit') throw new Error(`not resolved: ${JSON.stringify(resolved)}`);
	const visit = resolved.event as VisitEvent;
	const before = (await adapters[ehr].findFollowUp(visit, {})).status;
	const booked = await post('/api/book-follow-up', { ehr, patient });
	expect(booked).toMatchObject({ status: 200, json: { action: 'book-follow-up', ehr, patient } });
	return { visit, before, after: (await adapters[ehr].findFollowUp(visit, {})).status };
}

describe('closing a demo visit in the EHRs that notify no webhook', () => {
	it.each([
		['ana', 0],
		['john', 5],
	])('tebra / %s, %i hours ago: checked out in Tebra for the poll to find, resolved, then booked', async (patient, hoursAgo) => {
		const pollStart = new Date();
		const cursor = (await adapters.tebra.pollChanges({ since: pollStart.toISOString() }, pollStart)).nextCursor;
		const before = deliveries.length;
		const closed = await post('/api/close-visit', { ehr: 'tebra', patient, ...(hoursAgo ? { hoursAgo } : {}) });
		expect(closed.status).toBe(200);
		expect(closed.json).toMatchObject({ action: 'close-visit', ehr: 'tebra', patient, zone: drchronoZone, insideWindow: true });
		expect(closed.json.delivered).toBeUndefined();
		expect(deliveries).toHaveLength(before);

		// The trigger's next poll, a minute on (Tebra's filter times are whole seconds).
		const polled = await adapters.tebra.pollChanges(cursor, new Date(Date.now() + 60_000));
		const event = polled.events.find((candidate) => `appointment ${candidate.resourceId}` === closed.json.visitId);
		expect(event).toMatchObject({ ehr: 'tebra', patientId: tebraPatientId(demoPatients.find((p) => p.key === patient)!) });
		const { visit, before: open, after } = await resolveAndBook('tebra', patient, event!);
		expect(visit.zone).toBe(drchronoZone);
		const expectedEnd = DateTime.utc().minus({ hours: hoursAgo });
		expect(Math.abs(DateTime.fromISO(visit.completedAt).diff(expectedEnd, 'minutes').minutes)).toBeLessThan(5);
		expect([open, after]).toEqual(['open', 'booked']);
	});

	it.each([
		['leilani', 0],
		['ray', 50],
	])('hl7v2 / %s, %i hours ago: an SIU checked-out message over MLLP, acknowledged AA, resolved with FHIR, then booked', async (patient, hoursAgo) => {
		const before = hl7Events.length;
		const closed = await post('/api/close-visit', { ehr: 'hl7v2', patient, ...(hoursAgo ? { hoursAgo } : {}) });
		expect(closed.status).toBe(200);
		expect(closed.json).toMatchObject({ action: 'close-visit', ehr: 'hl7v2', patient, acknowledged: 'AA', insideWindow: true });
		expect(hl7Events).toHaveLength(before + 1);
		const event = hl7Events[before];
		expect(`appointment ${event.resourceId}`).toBe(closed.json.visitId);
		expect(event).toMatchObject({ ehr: 'hl7v2', patientId: `demo-${patient}`, eventId: expect.stringMatching(/^EPIC\|RIVERSIDE\|DEMO\d+$/) });

		const { visit, before: open, after } = await resolveAndBook('hl7v2', patient, event);
		expect(visit).toMatchObject({ ehr: 'hl7v2', patientId: `demo-${patient}`, zone: closed.json.zone });
		expect(visit.actionItems).toEqual([expect.objectContaining({ type: 'followUpVisit', orderId: `FU-${event.resourceId}` })]);
		const expectedEnd = DateTime.utc().minus({ hours: hoursAgo });
		expect(Math.abs(DateTime.fromISO(visit.completedAt).diff(expectedEnd, 'minutes').minutes)).toBeLessThan(5);
		expect([open, after]).toEqual(['open', 'booked']);
	});
});

describe('the outbox page', () => {
	async function outboxHtml() {
		const response = await fetch(control.url + '/');
		expect(response.headers.get('content-type')).toMatch(/^text\/html/);
		return await response.text();
	}

	it('escapes what patients and staff were sent, and refreshes itself every 5 s without script', async () => {
		const hostile = '<script>alert("x")</script> & <img src=x onerror=alert(1)>';
		const form = new URLSearchParams({ To: '+15555550101', From: '+15125550199', Body: hostile });
		const sent = await fetch(`${target.twilio.url}/2010-04-01/Accounts/${twilioAccount.accountSid}/Messages.json`, {
			method: 'POST',
			headers: {
				authorization: 'Basic ' + Buffer.from(`${twilioAccount.accountSid}:${twilioAccount.authToken}`).toString('base64'),
				'content-type': 'application/x-www-form-urlencoded',
			},
			body: form.toString(),
		});
		expect(sent.status).toBe(201);
		const mailer = nodemailer.createTransport({ host: '127.0.0.1', port: target.smtp.port, secure: false, ignoreTLS: true });
		await mailer.sendMail({ from: 'care@riverside.example', to: 'john.miller@patients.example', subject: 'Your visit <b>today</b>', text: 'Hello "John" & <family>' });

		const html = await outboxHtml();
		expect(html).toContain('<meta http-equiv="refresh" content="5">');
		expect(html).not.toMatch(/<script|<img/i);
		expect(html).toContain(escapeHtml(hostile));
		expect(html).toContain('Your visit &lt;b&gt;today&lt;/b&gt;');
		expect(html).toContain('Hello &quot;John&quot; &amp; &lt;family&gt;');
		expect(html).toContain('Ana García (patient)');
	});

	it.each([
		['<', '&lt;'],
		['>', '&gt;'],
		['&', '&amp;'],
		['"', '&quot;'],
		["'", '&#39;'],
	])('escapes %s as %s', (raw, escaped) => {
		expect(escapeHtml(`a${raw}b`)).toBe(`a${escaped}b`);
	});

	it('lists messages, calls and EHR tasks newest first, in the page and in /api/outbox', async () => {
		const base = { accountSid: twilioAccount.accountSid, from: '+15125550199', messagingServiceSid: null, numSegments: 1, status: 'queued' as const, statusCallback: null, dateCreated: '' };
		// Out of order on purpose: the outbox sorts by time, not by arrival.
		target.twilio.messages.push(
			{ ...base, sid: 'SM-middle', to: '+15555550102', body: 'ORDER-middle', receivedAt: Date.UTC(2030, 0, 1, 12) },
			{ ...base, sid: 'SM-newest', to: '+15555550102', body: 'ORDER-newest', receivedAt: Date.UTC(2030, 0, 1, 13) },
			{ ...base, sid: 'SM-oldest', to: '+15555550102', body: 'ORDER-oldest', receivedAt: Date.UTC(2030, 0, 1, 11) },
		);
		await createResource(target.fhir.repo, {
			resourceType: 'Task',
			status: 'requested',
			intent: 'order',
			code: { text: 'Call Ana about her follow-up' },
			for: { reference: 'Patient/demo-ana' },
			owner: { reference: 'Practitioner/coordinator' },
		});

		const json = (await (await fetch(control.url + '/api/outbox')).json()) as {
			sms: Array<{ body: string; at: string }>;
			tasks: Array<{ ehr: string; title: string; patient: string }>;
			actions: Array<{ at: string }>;
		};
		const order = json.sms.map((m) => m.body).filter((body) => body.startsWith('ORDER-'));
		expect(order).toEqual(['ORDER-newest', 'ORDER-middle', 'ORDER-oldest']);
		for (const list of [json.sms, json.actions]) {
			const times = list.map((row) => Date.parse(row.at));
			expect(times).toEqual([...times].sort((a, b) => b - a));
		}
		expect(json.tasks).toContainEqual(expect.objectContaining({ ehr: 'fhir', title: 'Call Ana about her follow-up', patient: 'Ana García' }));

		const html = await outboxHtml();
		const positions = ['ORDER-newest', 'ORDER-middle', 'ORDER-oldest'].map((body) => html.indexOf(body));
		expect(positions.every((p) => p > 0)).toBe(true);
		expect(positions).toEqual([...positions].sort((a, b) => a - b));
		expect(html).toContain('Call Ana about her follow-up');
	});
});
