import { join } from 'node:path';

import { DateTime } from 'luxon';
import type { ICredentialDataDecryptedObject, IDataObject, INodeParameters } from 'n8n-workflow';

import { TimelinePreview } from '../../nodes/TimelinePreview/TimelinePreview.node';
import type { RecallDue, VisitEvent } from '../../nodes/shared/core/schemas';
import { openJourneyStore } from '../../nodes/shared/store';
import { openAthenaVisit } from '../../sandbox/athena-demo';
import { startAthenaServer } from '../../sandbox/athenahealth-server';
import { demoPatients } from '../../sandbox/demo-patients';
import { closeFhirVisit, ensureFhirPatient } from '../../sandbox/fhir-demo';
import { createResource } from '../../sandbox/fhir-server';
import { athenaClient, useEhrSandboxes } from '../helpers/ehrSandboxes';
import { runWorkflow, single } from '../helpers/engine';
import { athenaCredential, journeyStoreCredential, packCredentialTypes, practiceProfileCredential, tempDir, testContactHashSecret, visitEvent } from '../helpers/fixtures';

const sandbox = useEhrSandboxes();
const nodeTypes = { timelinePreview: new TimelinePreview() };
const CHI = 'America/Chicago';

/** Wednesday 2026-06-10, 10:00 in Chicago. */
const visit: VisitEvent = visitEvent({ zone: CHI, completedAt: '2026-06-10T15:00:00.000Z', visitDate: '2026-06-10' });
const recall: RecallDue = {
	kind: 'recall',
	schemaVersion: 1,
	ehr: 'fhir',
	patientId: 'pat-2',
	zone: CHI,
	zoneSource: 'patient',
	patient: { firstName: 'John', phones: [{ number: '+15125550102', kind: 'mobile' }], email: 'john@example.test', language: 'en' },
	consent: { sms: true, email: true, voice: true },
	recallId: 'sr-recall-1',
	dueDate: '2026-07-15',
	actionItem: { type: 'followUpVisit', description: 'Book your annual exam', done: false },
};

async function preview(
	parameters: INodeParameters,
	items: unknown[] = [{}],
	options: { storePath?: string; credentials?: Record<string, ICredentialDataDecryptedObject>; profile?: Record<string, unknown>; node?: IDataObject } = {},
) {
	const storePath = options.storePath ?? join(tempDir(), 'journey.sqlite');
	const result = await runWorkflow(single('Timeline Preview', 'timelinePreview', parameters, items, options.node), {
		nodeTypes,
		credentials: { journeyStoreApi: journeyStoreCredential(storePath), practiceProfileApi: practiceProfileCredential(options.profile), ...options.credentials },
		credentialTypes: packCredentialTypes(),
	});
	return { ...result, storePath, touches: result.output('Timeline Preview') };
}

const brief = (touches: IDataObject[]) => touches.map((t) => [t.journeyId, t.stage, t.channel, t.action, t.at, t.rule, t.template]);

describe('Timeline Preview over visits given as items or JSON', () => {
	it('plans every touch of each input visit and recall, paired with its item, with local time and rule', async () => {
		const { touches, items, error } = await preview({ source: 'inputItems' }, [visit, recall]);
		expect(error('Timeline Preview')).toBeUndefined();
		expect(brief(touches)).toEqual([
			['visit:fhir:enc-1', 1, 'sms', 'send', '2026-06-10T15:00:00.000Z', 'onTime', 'careSummary'],
			['visit:fhir:enc-1', 1, 'email', 'send', '2026-06-10T15:00:00.000Z', 'onTime', 'careSummary'],
			['visit:fhir:enc-1', 2, 'sms', 'send', '2026-06-12T15:00:00.000Z', 'onTime', 'actionReminder'],
			['visit:fhir:enc-1', 3, 'task', 'task', '2026-06-17T15:00:00.000Z', 'escalation', null],
			['recall:fhir:sr-recall-1', 1, 'sms', 'send', '2026-06-15T14:00:00.000Z', 'beforeWindow', 'recallNudge'],
			['recall:fhir:sr-recall-1', 1, 'email', 'send', '2026-06-15T14:00:00.000Z', 'beforeWindow', 'recallNudge'],
			['recall:fhir:sr-recall-1', 2, 'sms', 'send', '2026-07-01T14:00:00.000Z', 'beforeWindow', 'recallReminder'],
			['recall:fhir:sr-recall-1', 3, 'task', 'task', '2026-07-08T14:00:00.000Z', 'escalation', null],
		]);
		expect(touches[0]).toMatchObject({ localTime: '2026-06-10 10:00', zone: CHI, sourceId: 'enc-1', patientId: 'pat-1', condition: 'always', step: 'careSummary' });
		expect(touches[2]).toMatchObject({ condition: 'ifNotBooked', fallbacks: 'email' });
		expect(items('Timeline Preview').map((item) => (item.pairedItem as { item: number }).item)).toEqual([0, 0, 0, 0, 1, 1, 1, 1]);
		for (const touch of touches) for (const value of Object.values(touch)) expect(value === null || typeof value !== 'object').toBe(true);
	});

	it('shows the segments and encoding of each SMS (the built-in text with smart encoding), none for other channels', async () => {
		const spanish = { ...visit, visitId: 'enc-es', patient: { ...visit.patient, language: 'es-MX' } };
		const { touches } = await preview({ source: 'inputItems' }, [visit, spanish], { profile: { practiceName: 'Clínica Familiar del Río' } });
		const lengths = touches.map((t) => [t.journeyId, t.stage, t.channel, t.segments, t.encoding]);
		expect(lengths).toEqual(expect.arrayContaining([
			['visit:fhir:enc-1', 1, 'sms', 2, 'GSM-7'],
			['visit:fhir:enc-1', 1, 'email', null, null],
			['visit:fhir:enc-1', 2, 'sms', 1, 'GSM-7'],
			['visit:fhir:enc-1', 3, 'task', null, null],
			['visit:fhir:enc-es', 1, 'sms', 2, 'GSM-7'],
			['visit:fhir:enc-es', 2, 'sms', 2, 'GSM-7'],
		]));
	});

	it('takes a pasted JSON list the same way', async () => {
		const { touches } = await preview({ source: 'json', visitsJson: JSON.stringify([visit]) });
		expect(touches.map((t) => [t.stage, t.channel, t.at])).toEqual([
			[1, 'sms', '2026-06-10T15:00:00.000Z'],
			[1, 'email', '2026-06-10T15:00:00.000Z'],
			[2, 'sms', '2026-06-12T15:00:00.000Z'],
			[3, 'task', '2026-06-17T15:00:00.000Z'],
		]);
	});

	it('applies the waits given on the node and a voice stage 3', async () => {
		const { touches } = await preview({ source: 'inputItems', cadence: { reminderAmount: 3, reminderUnit: 'days', escalationAmount: 10, escalationUnit: 'days', stage3: 'voice' } }, [visit]);
		expect(touches.slice(2).map((t) => [t.stage, t.channel, t.action, t.at, t.template])).toEqual([
			[2, 'sms', 'send', '2026-06-13T15:00:00.000Z', 'actionReminder'],
			[3, 'voice', 'send', '2026-06-20T15:00:00.000Z', 'voiceReminder'],
		]);
	});

	it('applies the practice profile: closed weekends move the Friday visit\'s reminder to Monday', async () => {
		const friday = { ...visit, visitId: 'enc-fri', completedAt: '2026-06-12T15:00:00.000Z', visitDate: '2026-06-12' };
		const { touches } = await preview({ source: 'inputItems' }, [friday], { profile: { closedWeekdays: 'sat,sun' } });
		expect(touches[2]).toMatchObject({ stage: 2, at: '2026-06-15T14:00:00.000Z', localTime: '2026-06-15 09:00', rule: 'closedDay', timingRule: 'closedDay' });
	});

	it('reads the opt-outs of the journey store and writes nothing to it', async () => {
		const storePath = join(tempDir(), 'journey.sqlite');
		const store = await openJourneyStore({ backend: 'sqlite', path: storePath, contactHashSecret: testContactHashSecret });
		await store.setOptOut({ channel: 'sms', address: '+15125550101', at: '2026-06-01T12:00:00.000Z', source: 'reply:STOP' });
		await store.close();
		const { touches } = await preview({ source: 'inputItems' }, [visit], { storePath });
		expect(touches.map((t) => [t.stage, t.channel, t.rule])).toEqual([
			[1, 'email', 'sms:optedOut→email'],
			[2, 'email', 'sms:optedOut→email'],
			[3, 'task', 'escalation'],
		]);
		const after = await openJourneyStore({ backend: 'sqlite', path: storePath, contactHashSecret: testContactHashSecret });
		try {
			expect(await after.journal({})).toEqual([]);
			expect(await after.getClaim('touch:visit:fhir:enc-1:1:email')).toBeUndefined();
			expect(await after.touchesOfJourney('visit:fhir:enc-1')).toEqual([]);
			expect(await after.getJourney('visit:fhir:enc-1')).toBeUndefined();
		} finally {
			await after.close();
		}
	});

	it('keeps the due time of a step already scheduled in the store (an edit of the Cadence Wait does not move it) and writes nothing', async () => {
		const storePath = join(tempDir(), 'journey.sqlite');
		const step = { journeyId: 'visit:fhir:enc-1', patientKey: 'fhir:pat-1', workflowId: 'wf-visits', step: 'Reminder', dueAt: '2026-06-12T15:00:00.000Z', at: '2026-06-10T15:00:07.000Z' };
		const store = await openJourneyStore({ backend: 'sqlite', path: storePath, contactHashSecret: testContactHashSecret });
		await store.scheduleStep(step);
		await store.close();
		// The reminder's Cadence Wait now says 72 h; the journey's step was computed at 48 h and stays there.
		const edited = { reminderAmount: 72, reminderUnit: 'hours', reminderStep: ' reminder ' };
		const { touches, error } = await preview({ source: 'inputItems', cadence: edited }, [visit], { storePath });
		expect(error('Timeline Preview')).toBeUndefined();
		expect(touches.map((t) => [t.stage, t.at, t.timingRule, t.scheduledStep])).toEqual([
			[1, '2026-06-10T15:00:00.000Z', 'onTime', null],
			[1, '2026-06-10T15:00:00.000Z', 'onTime', null],
			[2, '2026-06-12T15:00:00.000Z', 'alreadyScheduled', 'Reminder'],
			[3, '2026-06-17T15:00:00.000Z', 'onTime', null],
		]);
		expect(touches[2].why).toContain('an edit of the Cadence Wait does not move it');
		const after = await openJourneyStore({ backend: 'sqlite', path: storePath, contactHashSecret: testContactHashSecret });
		try {
			expect(await after.journal({})).toEqual([]);
			const { at, ...stored } = step;
			expect(await after.steps({})).toEqual([{ ...stored, untilResume: false, state: 'scheduled', attempt: 0, scheduledAt: at, updatedAt: at }]);
		} finally {
			await after.close();
		}
	});

	it('says so on the node: a due time already computed stays as it is', () => {
		const notices = new TimelinePreview().description.properties.filter((property) => property.type === 'notice');
		expect(notices.map((notice) => notice.displayName).join(' ')).toMatch(/due time already computed stays as it is.*does not move it/);
	});

	it('names the visit and the field of a bad item, or skips it with "Continue On Fail"', async () => {
		const broken = { ...visit, zone: 'Mars/Olympus' };
		const failed = await preview({ source: 'inputItems' }, [visit, broken]);
		expect(failed.error('Timeline Preview')?.message).toMatch(/Visit 1: .*"zone"/);
		const tolerated = await preview({ source: 'inputItems' }, [visit, broken], { node: { continueOnFail: true } });
		expect(tolerated.error('Timeline Preview')).toBeUndefined();
		expect(tolerated.touches[0]).toEqual({ error: expect.stringMatching(/"zone"/), details: expect.any(String) });
		expect(tolerated.touches.slice(1).every((t) => t.journeyId === 'visit:fhir:enc-1')).toBe(true);
		expect(tolerated.items('Timeline Preview')[0].pairedItem).toEqual({ item: 1 });
	});

	it.each<[string, unknown, RegExp]>([
		['text that is not JSON', '[{', /"Visits \(JSON\)" is not valid JSON/],
		['an object, not a list', '{"kind":"visit"}', /must be an array/],
	])('refuses %s in the JSON list', async (_name, visitsJson, message) => {
		const { error } = await preview({ source: 'json', visitsJson: visitsJson as string });
		expect(error('Timeline Preview')?.message).toMatch(message);
	});
});

/** A request to athena's API (the token exchange aside) that writes, or reads the destructive changed feed. */
const writesOrFeedReads = (request: { method: string; path: string }) =>
	request.path.startsWith('/v1/') && (request.method !== 'GET' || request.path.includes('/appointments/changed'));

describe('Timeline Preview over visits read from the EHR', () => {
	let patientCounter = 0;

	it('plans the FHIR visits completed in the last N days, not older ones', async () => {
		const patientId = await ensureFhirPatient(sandbox.fhir, { ...demoPatients[0]!, key: `preview-${++patientCounter}` }, CHI);
		const recent = await closeFhirVisit(sandbox.fhir, patientId, { completedAt: DateTime.utc().minus({ days: 2 }).toISO() as string });
		const old = await closeFhirVisit(sandbox.fhir, patientId, { completedAt: DateTime.utc().minus({ days: 12 }).toISO() as string });
		const { touches, error } = await preview({ source: 'ehrVisits', ehr: 'fhir', days: 7 }, [{}], { credentials: sandbox.credentials('fhir') });
		expect(error('Timeline Preview')).toBeUndefined();
		const journeys = new Set(touches.map((t) => t.journeyId));
		expect(journeys).toContain(`visit:fhir:${recent.encounterId}`);
		expect(journeys).not.toContain(`visit:fhir:${old.encounterId}`);
		const ofRecent = touches.filter((t) => t.journeyId === `visit:fhir:${recent.encounterId}`);
		expect(ofRecent.map((t) => [t.stage, t.channel])).toEqual([[1, 'sms'], [1, 'email'], [2, 'sms'], [3, 'task']]);
		expect(ofRecent[0]).toMatchObject({ sourceId: recent.encounterId, patientId, zone: CHI, template: expect.stringMatching(/^(careSummary|followUpConfirmation)$/) });
		expect(Date.parse(String(ofRecent[0].at))).toBeGreaterThanOrEqual(Date.parse(DateTime.utc().minus({ days: 2, minutes: 1 }).toISO() as string));
	});

	it('reads athenahealth\'s checked-out booked appointments and writes nothing to athena: no subscription, no feed read', async () => {
		sandbox.athena.state.subscription.active = false;
		const { appointmentId } = openAthenaVisit(sandbox.athena, demoPatients[1]!, CHI);
		sandbox.athena.checkOut(appointmentId);
		const before = sandbox.athena.state.requests.length;
		for (let run = 0; run < 2; run++) {
			const { touches, error } = await preview({ source: 'ehrVisits', ehr: 'athenahealth', days: 7 }, [{}], { credentials: sandbox.credentials('athenahealth') });
			expect(error('Timeline Preview')).toBeUndefined();
			expect(touches.some((t) => t.journeyId === `visit:athenahealth:${appointmentId}`)).toBe(true);
		}
		const requests = sandbox.athena.state.requests.slice(before);
		expect(requests.some((request) => request.path.endsWith('/appointments/booked'))).toBe(true);
		expect(requests.filter(writesOrFeedReads)).toEqual([]);
		expect(sandbox.athena.state.subscription.active).toBe(false);
	});

	it('explains an empty athenahealth preview: what it read and why nothing came', async () => {
		const athena = await startAthenaServer({ practiceId: '195900', ...athenaClient });
		try {
			athena.addDepartment({ departmentid: '3' });
			const credentials = { athenahealthApi: athenaCredential(athena, athenaClient) };
			const { touches, error } = await preview({ source: 'ehrVisits', ehr: 'athenahealth', days: 7 }, [{}], { credentials });
			expect(error('Timeline Preview')).toBeUndefined();
			expect(touches).toEqual([
				{
					notice: expect.stringMatching(
						/^No visits to preview: none completed in the last 7 days was found\. Read: athenahealth booked appointments from \d\d\/\d\d\/\d{4} to \d\d\/\d\d\/\d{4} in department 3: 0 found, 0 checked out \(status 3 or 4\)\.$/,
					),
					read: expect.any(String),
				},
			]);
			expect(athena.state.requests.filter(writesOrFeedReads)).toEqual([]);
		} finally {
			await athena.close();
		}
	});

	it('plans the FHIR recalls coming due in the next N days', async () => {
		const patientId = await ensureFhirPatient(sandbox.fhir, { ...demoPatients[1]!, key: `preview-recall-${++patientCounter}` }, CHI);
		const order = await createResource(sandbox.fhir.repo, {
			resourceType: 'ServiceRequest',
			status: 'active',
			intent: 'order',
			subject: { reference: `Patient/${patientId}` },
			code: { coding: [{ system: 'http://snomed.info/sct', code: '390906007' }], text: 'Follow-up visit' },
			occurrenceDateTime: DateTime.now().setZone(CHI).startOf('day').plus({ days: 35, hours: 10 }).toISO() as string,
		});
		const { touches, error } = await preview({ source: 'ehrRecalls', ehr: 'fhir', days: 40 }, [{}], { credentials: sandbox.credentials('fhir') });
		expect(error('Timeline Preview')).toBeUndefined();
		const ofRecall = touches.filter((t) => t.journeyId === `recall:fhir:${order.id}`);
		expect(ofRecall.map((t) => [t.stage, t.step])).toEqual([[1, 'recallNudge'], [1, 'recallNudge'], [2, 'recallReminder'], [3, 'recallEscalation']]);
	});

	it('refuses more than 90 days', async () => {
		const { error } = await preview({ source: 'ehrVisits', ehr: 'fhir', days: 120 }, [{}], { credentials: sandbox.credentials('fhir') });
		expect(error('Timeline Preview')?.message).toMatch(/"Days" must be a whole number from 1 to 90/);
	});
});
