import { DateTime } from 'luxon';

import type { Sandbox } from '../../sandbox/environment';
import { demoPatients } from '../../sandbox/demo-patients';
import { closeAthenaVisit, openAthenaVisit } from '../../sandbox/athena-demo';
import { openDrChronoVisit } from '../../sandbox/drchrono-demo';
import { bookFhirFollowUp, closeFhirVisit, ensureFhirPatient, fhirBackportNotification } from '../../sandbox/fhir-demo';
import { createResource } from '../../sandbox/fhir-server';
import { zoneWhereNowIsBetween } from '../helpers/fixtures';
import { smsSegments } from '../../nodes/shared/core/compose';
import type { JourneyStore } from '../../nodes/shared/store/types';
import { eventually, startE2eSandbox, withJourneyStore } from './harness';

let sandbox: Sandbox;
let eventNumber = 0;

const patient = (key: string) => demoPatients.find((p) => p.key === key)!;

beforeAll(async () => {
	// Stage 2 may follow stage 1 within minutes in these tests: allow it, as an ops lead could (the daily cap has its own tests).
	sandbox = await startE2eSandbox('journey', 5702, {
		profile: { perPatientPerDay: 3, perNumberPerDay: 5 },
		drchronoZone: zoneWhereNowIsBetween(9, 20),
		journeyDue: { checkEverySeconds: 2 },
	});
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

function smsTo(number: string, since = 0) {
	return sandbox.twilio.messages.filter((m) => m.to === number && m.receivedAt >= since);
}

function emailsTo(address: string, since = 0) {
	return sandbox.smtp.messages.filter((m) => m.to.includes(address) && m.receivedAt >= since);
}

const withStore = <T>(work: (store: JourneyStore) => Promise<T>) => withJourneyStore(sandbox, work);

async function executionsOf(workflowId: string) {
	return await sandbox.client.executions(workflowId);
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
		expect(await response.json()).toEqual({ received: true, events: 1 });
		const sms = await eventually('the care summary SMS', () => smsTo(ana.mobile!)[0]);
		const email = await eventually('the care summary email', () => emailsTo(ana.email!)[0]);
		expect(sms.body).toContain('Siguiente paso: su cita de seguimiento.');
		expect(sms.body).not.toContain('Book your 2-week follow-up visit');
		expect(sms.body).toContain(`https://riverside.example/schedule?order=${visit.orderId}`);
		expect(sms.body).toMatch(/ALTO/);
		// Short and cheap: GSM-7 (smart encoding), at most two segments.
		expect(smsSegments(sms.body)).toMatchObject({ encoding: 'GSM-7', segments: expect.any(Number) });
		expect(smsSegments(sms.body).segments).toBeLessThanOrEqual(2);
		expect(email.text).toContain(`https://riverside.example/schedule?order=${visit.orderId}`);
		expect(email.subject).toMatch(/Riverside/);
	});

	it('plans in the patient\'s own local time, from the ZIP code of their address, not the practice\'s zone', async () => {
		const since = Date.now();
		const mobile = '+15555550188';
		// No timezone extension: the address (Honolulu, 96813) is all the EHR says of where the patient is.
		const resource = {
			resourceType: 'Patient' as const,
			name: [{ given: ['Kai'], family: 'Akana' }],
			birthDate: '1977-04-09',
			telecom: [{ system: 'phone' as const, use: 'mobile' as const, value: mobile }],
			address: [{ use: 'home' as const, line: ['1 Ala Moana Blvd'], city: 'Honolulu', state: 'HI', postalCode: '96813', country: 'US' }],
		};
		const patientId = (await createResource(sandbox.fhir.repo, resource)).id as string;
		const visit = await closeFhirVisit(sandbox.fhir, patientId, { completedAt: DateTime.utc().minus({ minutes: 1 }).toISO() as string });
		eventNumber += 1;
		const body = JSON.stringify(fhirBackportNotification(visit.encounterId, eventNumber));
		expect((await sandbox.deliver('fhir', body, { 'content-type': 'application/fhir+json', 'x-webhook-secret': sandbox.webhookSecret })).status).toBe(200);
		const journeyId = `visit:fhir:${visit.encounterId}`;
		const journey = await eventually('the journey', () => withStore(async (store) => await store.getJourney(journeyId)));
		expect({ zone: journey.zone, zoneSource: journey.zoneSource }).toEqual({ zone: 'Pacific/Honolulu', zoneSource: 'zip' });
		// The care summary obeys Honolulu's send window (09:00-20:00): sent now, or held to its next opening.
		const hour = DateTime.utc().setZone('Pacific/Honolulu').hour;
		if (hour >= 9 && hour < 20) {
			await eventually('the care summary SMS', () => smsTo(mobile, since)[0]);
		} else {
			const held = await eventually('the held care summary', () => withStore(async (store) => (await store.steps({ journeyId }))[0]));
			expect(held.step).toBe('Care Summary Held');
			expect(DateTime.fromISO(held.dueAt).setZone('Pacific/Honolulu').toFormat('HH:mm')).toBe('09:00');
			expect(smsTo(mobile, since)).toEqual([]);
		}
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

	it('tells the practice manager through the error workflow when the EHR keeps failing, and keeps the event retryable', async () => {
		const since = Date.now();
		const visit = await closeVisit('ray', DateTime.utc().minus({ minutes: 3 }));
		// Visit Details tries the EHR four times (capped backoff) before it gives up.
		sandbox.fhir.injectFaults(...Array.from({ length: 4 }, () => ({ status: 503 as const })));
		expect((await visit.deliver()).status).toBe(200);
		const alert = await eventually('the error-workflow email', () => emailsTo('practice-manager@example-practice.test', since)[0], 120_000);
		expect(alert.subject).toContain('Post-Visit: Three-Stage Follow-Up (fhir sandbox)');
		expect(alert.text).toContain('Visit Details');
		expect(alert.text).not.toMatch(/Ray|Patel/);
		// The event claim was released, so the EHR's redelivery is processed rather than dropped as a duplicate.
		expect((await visit.deliver()).status).toBe(200);
		const executions = await eventually('the redelivery to pass Visit Details', async () => {
			const list = await executionsOfThreeStage();
			return list.find((e) => e.status !== 'error' && Date.parse(e.startedAt) >= since && e.data?.resultData?.runData?.['Route Care Summary']) ?? undefined;
		});
		expect(executions).toBeDefined();
	});

	it('runs the same journey from a signed athenahealth check-out (X-Hub-Signature) with the imaging link', async () => {
		const since = Date.now();
		const ana = patient('ana');
		const visit = openAthenaVisit(sandbox.athena, ana, zoneWhereNowIsBetween(9, 20));
		const delivery = closeAthenaVisit(sandbox.athena, visit.appointmentId, sandbox.webhookSecret);
		const response = await sandbox.deliver('athenahealth', delivery.body, delivery.headers);
		expect(response.status).toBe(200);
		const sms = await eventually('the athenahealth care summary SMS', () => smsTo(ana.mobile!, since)[0]);
		expect(sms.body).toMatch(/https:\/\/riverside\.example\/imaging\?order=/);
		// Spanish throughout: the action is the practice's Spanish phrase, never athena's English order name.
		expect(sms.body).toContain('estudio de imagen');
		expect(sms.body).not.toMatch(/Schedule|appointment|imaging appointment/i);
		expect(smsSegments(sms.body)).toMatchObject({ encoding: 'GSM-7' });
		expect(smsSegments(sms.body).segments).toBeLessThanOrEqual(2);
		await eventually('the athenahealth care summary email', () => emailsTo(ana.email!, since)[0]);
		const forged = { ...delivery.headers, 'x-hub-signature': 'sha256=' + '0'.repeat(64) };
		expect((await sandbox.deliver('athenahealth', delivery.body, forged)).status).toBe(401);
	});

	it('runs the same journey from a DrChrono APPOINTMENT_MODIFY webhook and answers its verification handshake', async () => {
		const since = Date.now();
		const leilani = patient('leilani');
		const handshake = await fetch(`${sandbox.n8n.baseUrl}/webhook/${sandbox.workflows.threeStage.drchrono.webhookPath}?msg=abc123`);
		expect(handshake.status).toBe(200);
		expect(((await handshake.json()) as { secret_token: string }).secret_token).toMatch(/^[0-9a-f]{64}$/);
		const visit = openDrChronoVisit(sandbox.drchrono, leilani);
		const completed = await sandbox.drchrono.completeAppointment(visit.appointmentId);
		expect(completed.deliveredStatus).toBe(200);
		const email = await eventually('the DrChrono care summary email', () => emailsTo(leilani.email!, since)[0]);
		expect(email.text).toContain('Leilani');
	});

	it('keeps stage 2 and stage 3 in the journey store across an n8n restart, re-checks booking, then reminds or escalates', async () => {
		const since = Date.now();
		const dueIn = { seconds: 75 };
		const john = patient('john');
		const leilani = patient('leilani');
		const ana = patient('ana');
		// John: stage 2 falls due in 75 s. Leilani: the same, but she books meanwhile. Ana: stage 3 falls due in 75 s.
		const reminded = await closeVisit('john', DateTime.utc().minus({ days: 2 }).plus(dueIn));
		const booked = await closeVisit('leilani', DateTime.utc().minus({ days: 2 }).plus(dueIn));
		const escalated = await closeVisit('ana', DateTime.utc().minus({ days: 7 }).plus(dueIn));
		for (const visit of [reminded, booked, escalated]) expect((await visit.deliver()).status).toBe(200);
		await eventually('stage 1 for all three', () => (smsTo(john.mobile!, since).length && emailsTo(leilani.email!, since).length && smsTo(ana.mobile!, since).length >= 2 ? true : undefined));
		await bookFhirFollowUp(sandbox.fhir, booked.patientId, DateTime.utc().plus({ days: 5 }).toISO() as string);

		const workflowId = sandbox.workflows.threeStage.fhir.id;
		const journeyOf = (visit: { encounterId: string }) => `visit:fhir:${visit.encounterId}`;
		// Each journey's next step waits in the journey store (ids only); nothing waits in n8n.
		const steps = await eventually('three steps scheduled in the journey store', () =>
			withStore(async (store) => {
				const found = await Promise.all([reminded, booked, escalated].map(async (visit) => (await store.steps({ journeyId: journeyOf(visit) }))[0]));
				return found.every(Boolean) ? found : undefined;
			}),
		);
		expect(steps.map((step) => [step.step, step.workflowId, step.state])).toEqual([
			['Reminder', workflowId, 'scheduled'],
			['Reminder', workflowId, 'scheduled'],
			['Escalation', workflowId, 'scheduled'],
		]);
		for (const step of steps) expect(Date.parse(step.dueAt)).toBeGreaterThan(Date.now());
		expect((await executionsOf(workflowId)).filter((e) => e.status === 'waiting')).toEqual([]);

		await sandbox.n8n.restart();
		await sandbox.client.signIn();

		const reminder = await eventually('John\'s stage-2 reminder', () => smsTo(john.mobile!, since)[1], 240_000);
		expect(reminder.body).toContain('about your follow-up visit.');
		const coordinatorMail = await eventually(
			'the coordinator notified of the stage-3 task',
			() => emailsTo('maria.lopez@riverside.example', since)[0],
			240_000,
		);
		expect(coordinatorMail.text).toMatch(/task/i);
		const tasks = await sandbox.fhir.repo.searchResources({ resourceType: 'Task', filters: [{ code: 'patient', operator: 'eq' as never, value: `Patient/${escalated.patientId}` }] });
		expect(tasks.length).toBe(1);
		// John's journey waits again (for day 7); Leilani's ended at Booking Check; Ana's ended with the task.
		const after = await eventually('the three steps to settle', () =>
			withStore(async (store) => {
				const [johns, leilanis, anas] = await Promise.all([reminded, booked, escalated].map(async (visit) => await store.steps({ journeyId: journeyOf(visit) })));
				return johns[0]?.step === 'Escalation' && leilanis.length === 0 && anas.length === 0 ? johns[0] : undefined;
			}),
		60_000);
		expect(Date.parse(after.dueAt)).toBeGreaterThan(Date.now() + 4 * 24 * 3600_000);
		expect(emailsTo(leilani.email!, since)).toHaveLength(1);
		expect(smsTo(john.mobile!, since)).toHaveLength(2);
	});
});
