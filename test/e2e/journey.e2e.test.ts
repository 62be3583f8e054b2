import { DateTime } from 'luxon';

import type { Sandbox } from '../../sandbox/environment';
import { demoPatients } from '../../sandbox/demo-patients';
import { closeFhirVisit, ensureFhirPatient, fhirBackportNotification } from '../../sandbox/fhir-demo';
import { zoneWhereNowIsBetween } from '../helpers/fixtures';
import { eventually, startE2eSandbox } from './harness';

let sandbox: Sandbox;
let eventNumber = 0;

const patient = (key: string) => demoPatients.find((p) => p.key === key)!;

beforeAll(async () => {
	// Stage 2 may follow stage 1 within minutes in these tests: allow it, as an ops lead could (the daily cap has its own tests).
	sandbox = await startE2eSandbox('journey', 5702, { profile: { perPatientPerDay: 3 } });
}, 300_000);

afterAll(async () => {
	await sandbox?.stop();
});

/** Closes a visit for a demo patient in the FHIR sandbox and delivers the signed notification. */
async function closeVisit(key: string, completedAt: DateTime, options: { secret?: string } = {}) {
	const zone = zoneWhereNowIsBetween(9, 20);
	const patientId = await ensureFhirPatient(sandbox.fhir, patient(key), zone);
	const visit = await closeFhirVisit(sandbox.fhir, patientId, { completedAt: completedAt.toUTC().toISO() as string });
	eventNumber += 1;
	const body = JSON.stringify(fhirBackportNotification(visit.encounterId, eventNumber));
	const deliver = () =>
		sandbox.deliver('fhir', body, { 'content-type': 'application/fhir+json', 'x-webhook-secret': options.secret ?? sandbox.webhookSecret });
	return { patientId, ...visit, body, deliver };
}

async function executionsOfThreeStage() {
	return await sandbox.client.executions(sandbox.workflows.threeStage.fhir.id);
}

function smsTo(number: string) {
	return sandbox.twilio.messages.filter((m) => m.to === number);
}

function emailsTo(address: string) {
	return sandbox.smtp.messages.filter((m) => m.to.includes(address));
}

describe('the pack in a real n8n 2.41.1', () => {
	it('loads as a community package with every node and credential registered', async () => {
		const nodeTypes = (await sandbox.client.nodeTypes()).map((t) => t.name);
		for (const name of ['ehrTrigger', 'ehrPollTrigger', 'visitDetails', 'cadenceWait', 'bookingCheck', 'channelRouter', 'patientMessage', 'ehrTask']) {
			expect(nodeTypes).toContain(`n8n-nodes-post-visit.${name}`);
		}
		const credentialTypes = (await sandbox.client.credentialTypes()).map((t) => t.name);
		for (const name of ['fhirR4Api', 'athenahealthApi', 'drChronoOAuth2Api', 'ehrWebhookApi', 'journeyStoreApi', 'practiceProfileApi', 'postVisitTwilioApi', 'postVisitSmtpApi']) {
			expect(credentialTypes).toContain(name);
		}
	});

	it('sends the care summary by SMS and email for a signed FHIR notification, in Spanish for a Spanish speaker', async () => {
		const ana = patient('ana');
		const visit = await closeVisit('ana', DateTime.utc().minus({ minutes: 2 }));
		const response = await visit.deliver();
		expect(response.status).toBe(200);
		const sms = await eventually('the care summary SMS', () => smsTo(ana.mobile!)[0]);
		const email = await eventually('the care summary email', () => emailsTo(ana.email!)[0]);
		expect(sms.body).toContain('Book your 2-week follow-up visit');
		expect(sms.body).toContain(`https://riverside.example/schedule?order=${visit.orderId}`);
		expect(sms.body).toMatch(/ALTO/);
		expect(email.text).toContain(`https://riverside.example/schedule?order=${visit.orderId}`);
		expect(email.subject).toMatch(/Riverside/);
	});

	it('collapses a duplicate delivery into one care summary and refuses a forged secret with 401 and no execution', async () => {
		const john = patient('john');
		const visit = await closeVisit('john', DateTime.utc().minus({ minutes: 1 }));
		const before = (await executionsOfThreeStage()).length;
		const forged = await closeVisit('john', DateTime.utc(), { secret: 'not-the-secret-at-all' });
		expect((await forged.deliver()).status).toBe(401);
		const [first, second] = await Promise.all([visit.deliver(), visit.deliver()]);
		expect([first.status, second.status]).toEqual([200, 200]);
		await eventually('the care summary SMS', () => smsTo(john.mobile!)[0]);
		await eventually('both executions to finish', async () => {
			const executions = await executionsOfThreeStage();
			return executions.length >= before + 2 && executions.slice(0, 2).every((e) => e.status !== 'running' && e.status !== 'new') ? true : undefined;
		});
		await new Promise((resolve) => setTimeout(resolve, 2000));
		expect(smsTo(john.mobile!)).toHaveLength(1);
		expect(emailsTo(john.email!)).toHaveLength(1);
		const executions = await executionsOfThreeStage();
		expect(executions.length).toBe(before + 2);
	});
});
