import { DateTime } from 'luxon';

import { demoPatients } from '../../sandbox/demo-patients';
import { journeyLookupLogin, journeyLookupPath } from '../../sandbox/environment';
import type { Sandbox } from '../../sandbox/environment';
import { closeFhirVisit, ensureFhirPatient, fhirBackportNotification } from '../../sandbox/fhir-demo';
import { zoneWhereNowIsBetween } from '../helpers/fixtures';
import { eventually, startE2eSandbox, withJourneyStore } from './harness';

/*
 * The Journey Lookup template in a real n8n 2.41.1, published by the sandbox as ops would after import: a journey
 * runs through the three-stage template, then the form is submitted the way n8n's form page does it (a multipart
 * POST to the form's production URL, then the browser follows formWaitingUrl to the completion page), and the page
 * shows the patient's first name, read from the FHIR sandbox at that moment, and the journey's events in plain
 * words. The journal holds no name.
 */

let sandbox: Sandbox;
/** A zone where it is 10:00–18:59 now: the care summary goes out at once. */
let zone: string;
const ana = demoPatients.find((patient) => patient.key === 'ana')!;
const basicAuth = `Basic ${Buffer.from(`${journeyLookupLogin.user}:${journeyLookupLogin.password}`).toString('base64')}`;
let journey: { patientId: string; journeyId: string };

beforeAll(async () => {
	sandbox = await startE2eSandbox('lookup', 5850);
	zone = zoneWhereNowIsBetween(10, 19);
}, 300_000);

afterAll(async () => {
	await sandbox?.stop();
});

/** Submits the form as n8n's form page does; answers the POST's status and, when accepted, the completion page's HTML. */
async function submitLookup(fields: { patientId: string; day: string }, authorization = basicAuth): Promise<{ status: number; page?: string }> {
	const body = new FormData();
	// The form page names its inputs field-<index>, in the order of the Form Elements.
	body.set('field-0', fields.patientId);
	body.set('field-1', fields.day);
	const response = await fetch(`${sandbox.n8n.baseUrl}/form/${journeyLookupPath}`, { method: 'POST', body, headers: { authorization } });
	if (response.status !== 200) return { status: response.status };
	const { formWaitingUrl } = (await response.json()) as { formWaitingUrl: string };
	// As the form page's script: poll the execution's status until it waits at the completion page, then open it.
	const waiting = new URL(formWaitingUrl);
	const statusUrl = new URL(waiting);
	statusUrl.pathname += '/n8n-execution-status';
	await eventually('the execution to wait at the completion page', async () => ((await (await fetch(statusUrl)).text()).trim() === 'form-waiting' ? true : undefined), 60_000);
	const completion = await fetch(waiting);
	const page = await completion.text();
	if (!page.includes('Journey timeline')) throw new Error(`no completion page (${completion.status}): ${page.slice(0, 2000)}`);
	return { status: response.status, page };
}

const text = (html: string) => html.replace(/<br\s*\/?>/g, '\n').replace(/&#39;|&#x27;/g, '\'').replace(/&amp;/g, '&');

describe('the Journey Lookup template in a real n8n 2.41.1', () => {
	it('runs a journey through the three-stage template', async () => {
		const patientId = await ensureFhirPatient(sandbox.fhir, ana, zone);
		const visit = await closeFhirVisit(sandbox.fhir, patientId, { completedAt: DateTime.utc().minus({ minutes: 2 }).toISO() as string });
		const response = await sandbox.deliver('fhir', JSON.stringify(fhirBackportNotification(visit.encounterId, 1)), {
			'content-type': 'application/fhir+json',
			'x-webhook-secret': sandbox.webhookSecret,
		});
		expect(response.status).toBe(200);
		journey = { patientId, journeyId: `visit:fhir:${visit.encounterId}` };
		await eventually(
			'the care summary sent and the wait for stage 2',
			async () => {
				const types = (await withJourneyStore(sandbox, async (store) => await store.journal({ journeyId: journey.journeyId }))).map((entry) => entry.type);
				return types.includes('touch.sent') && types.includes('wait.scheduled') ? true : undefined;
			},
			120_000,
		);
	}, 180_000);

	it('shows, for a patient ID, the name read from the EHR and the journey\'s events in plain words', async () => {
		const { status, page } = await submitLookup({ patientId: journey.patientId, day: '' });
		expect(status).toBe(200);
		const shown = text(page!);
		expect(shown).toContain(`Patient: ${ana.firstName} (ID ${journey.patientId})`);
		expect(shown).toMatch(/Visit [\w-]+: waiting for its next message/);
		expect(shown).toContain('Visit closed in the EHR; follow-up journey started');
		expect(shown).toMatch(/Care summary sent by SMS/);
		expect(shown).toMatch(/Care summary sent by email/);
		expect(shown).toMatch(/Waiting to send the next message until \w{3} \d{4}-\d{2}-\d{2} \d{2}:\d{2} /);
		// Times are in the patient's zone, as the journey planned them.
		expect(shown).toContain(zone);
	}, 120_000);

	it('finds the same journey by the day (the workflow\'s zone: n8n\'s default, America/New_York), and says when nothing is found', async () => {
		const today = DateTime.now().setZone('America/New_York').toISODate() as string;
		const byDay = text((await submitLookup({ patientId: '', day: today })).page!);
		expect(byDay).toContain(`Patient: ${ana.firstName} (ID ${journey.patientId})`);
		const nobody = text((await submitLookup({ patientId: 'no-such-patient', day: '' })).page!);
		expect(nobody).toContain('No journey found for patient no-such-patient.');
		expect(nobody).not.toContain('Patient:');
	}, 120_000);

	it('refuses a submission without the form\'s password', async () => {
		expect((await submitLookup({ patientId: journey.patientId, day: '' }, `Basic ${Buffer.from('ops:wrong').toString('base64')}`)).status).toBe(401);
	});

	it('stored no name in the journal: names are read at view time only', async () => {
		const entries = await withJourneyStore(sandbox, async (store) => await store.journal({}));
		expect(entries.length).toBeGreaterThan(0);
		const stored = JSON.stringify(entries);
		expect(stored).not.toMatch(new RegExp(`\\b${ana.firstName}\\b`));
		expect(stored).not.toContain(ana.lastName);
	});
});
