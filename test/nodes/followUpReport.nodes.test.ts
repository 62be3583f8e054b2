import { join } from 'node:path';

import { DateTime } from 'luxon';
import type { IDataObject, INodeParameters } from 'n8n-workflow';

import { CadenceWait } from '../../nodes/CadenceWait/CadenceWait.node';
import { FollowUpReport } from '../../nodes/FollowUpReport/FollowUpReport.node';
import type { RecallDue } from '../../nodes/shared/core/schemas';
import { openJourneyStore } from '../../nodes/shared/store';
import type { JournalEntry, JourneyRecord } from '../../nodes/shared/store/types';
import { runWorkflow, single } from '../helpers/engine';
import { journeyStoreCredential, practiceProfileCredential, tempDir, testContactHashSecret, visitEvent } from '../helpers/fixtures';

const nodeTypes = { followUpReport: new FollowUpReport(), cadenceWait: new CadenceWait() };
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/*
 * Every time is relative to a day 20 days ago (15:00 UTC), so the 7-day windows of those visits have closed
 * whenever the suite runs; the report's "as of" is the node's own clock.
 */
const base = DateTime.utc().startOf('day').minus({ days: 20 }).set({ hour: 15 });
const at = (offsetMs: number) => base.plus({ milliseconds: offsetMs }).toISO() as string;
const period = { period: 'custom', from: base.startOf('day').toISO() as string, to: base.startOf('day').plus({ days: 1 }).toISO() as string };

function record(id: string, fields: Partial<JourneyRecord> = {}): JourneyRecord {
	return {
		journeyId: `visit:fhir:${id}`,
		patientKey: `fhir:pat-${id}`,
		kind: 'visit',
		ehr: 'fhir',
		departmentId: '1',
		patientId: `pat-${id}`,
		sourceId: id,
		sourceType: 'encounter',
		anchorAt: at(0),
		startedAt: at(1000),
		zone: 'America/Chicago',
		...fields,
	};
}

function entry(id: string, offsetMs: number, type: string, fields: Partial<JournalEntry> = {}): JournalEntry {
	return { at: at(offsetMs), journeyId: `visit:fhir:${id}`, patientKey: `fhir:pat-${id}`, type, ...fields };
}

async function storeWith(records: JourneyRecord[], entries: JournalEntry[]): Promise<string> {
	const path = join(tempDir(), 'journey.sqlite');
	const store = await openJourneyStore({ backend: 'sqlite', path, contactHashSecret: testContactHashSecret });
	try {
		for (const r of records) await store.recordJourney(r);
		for (const e of entries) await store.append(e);
	} finally {
		await store.close();
	}
	return path;
}

async function report(storePath: string, parameters: INodeParameters, node: IDataObject = {}) {
	const result = await runWorkflow(single('Follow-Up Report', 'followUpReport', parameters, [{}], node), {
		nodeTypes,
		credentials: { journeyStoreApi: journeyStoreCredential(storePath) },
	});
	return { ...result, out: result.output('Follow-Up Report') };
}

const records = [record('a'), record('b'), record('c', { departmentId: '2' }), record('old', { anchorAt: at(-3 * DAY) })];
const entries = [
	// a: SMS + email within a minute, booked at the 48 h check.
	entry('a', 60_000, 'touch.sent', { stage: 1, channel: 'sms', providerId: 'SM-a' }),
	entry('a', 60_000, 'touch.sent', { stage: 1, channel: 'email', providerId: '<a@x>' }),
	entry('a', 2 * DAY, 'followup.booked', { detail: { appointmentId: 'ap-a' } }),
	// b: email 3 h late, open at 48 h and at day 7, task created.
	entry('b', 3 * HOUR, 'touch.sent', { stage: 1, channel: 'email', providerId: '<b@x>' }),
	entry('b', 2 * DAY, 'followup.open'),
	entry('b', 7 * DAY + 60_000, 'followup.open'),
	entry('b', 7 * DAY + 61_000, 'task.created', { stage: 3, channel: 'task', providerId: 'Task/b' }),
	// c (department 2): SMS within minutes, booked on day 3.
	entry('c', 120_000, 'touch.sent', { stage: 1, channel: 'sms', providerId: 'SM-c' }),
	entry('c', 3 * DAY, 'followup.booked'),
];

describe('Follow-Up Report in n8n\'s engine', () => {
	let storePath: string;
	beforeAll(async () => {
		storePath = await storeWith(records, entries);
	});

	it('emits one summary item with the three numbers, the breakdown and an email-ready text', async () => {
		const { out, error, items } = await report(storePath, { ...period, output: 'summary' });
		expect(error('Follow-Up Report')).toBeUndefined();
		expect(out).toHaveLength(1);
		const [summary] = out as unknown as Array<Record<string, any>>; // eslint-disable-line @typescript-eslint/no-explicit-any
		expect(summary).toMatchObject({
			followUpBookingRate: '66.7%',
			recallComplianceRate: 'n/a',
			careSummariesSentRate: '66.7%',
			careSummariesDeliveredRate: '33.3%',
			department: null,
		});
		expect(summary.followUpBooking).toMatchObject({ journeys: 3, booked: 2, notBooked: 1, pending: 0, bookedTimeFrom: { ehr: 0, check: 2 } });
		expect(summary.careSummaries.byChannel).toEqual({
			sms: { sent: 2, sentWithin: 2, deliveredWithin: 0, undelivered: 0 },
			email: { sent: 2, sentWithin: 1, deliveredWithin: 1, undelivered: 0 },
		});
		expect(summary.period).toMatchObject({ from: period.from, to: period.to, zone: expect.any(String) });
		expect(summary.text).toContain('1. Follow-up booked within 7 days of visit close: 66.7% (2 of 3 decided visits; 0 pending; 3 in total)');
		expect(summary.text).toContain('No SMS delivery receipts');
		expect(Date.parse(summary.asOf)).toBeGreaterThan(base.plus({ days: 19 }).toMillis());
		expect(items('Follow-Up Report')[0].pairedItem).toEqual({ item: 0 });
	});

	it('adds the journeys waiting in the journey store and the steps set aside or orphaned, the three figures unchanged', async () => {
		const withSteps = await storeWith(records, entries);
		const store = await openJourneyStore({ backend: 'sqlite', path: withSteps, contactHashSecret: testContactHashSecret });
		const step = (id: string, workflowId: string, step: string, dueAt: string) => ({ journeyId: `visit:fhir:${id}`, patientKey: `fhir:pat-${id}`, workflowId, step, dueAt, at: at(2 * DAY) });
		try {
			await store.scheduleStep(step('a', 'wf-visits', 'Escalation', at(8 * DAY)));
			await store.scheduleStep(step('b', 'wf-visits', 'Escalation', at(7 * DAY)));
			await store.scheduleStep(step('c', 'wf-renamed', 'Old Name', at(7 * DAY)));
			// The visit of another period: not this report's.
			await store.scheduleStep(step('old', 'wf-other', 'Escalation', at(7 * DAY)));
			const [claimed] = await store.claimDueSteps({ workflowId: 'wf-visits', steps: ['Escalation'], now: at(7 * DAY + 1000), limit: 1, leaseMs: 60_000, leaseToken: 'lease-b', includeHeldUntilResume: true });
			expect(claimed?.journeyId).toBe('visit:fhir:b');
			await store.setStepAside('visit:fhir:b', 'wf-visits', 'lease-b', 'attemptsUsedUp', at(7 * DAY + 2000));
			expect(await store.markOrphanedSteps('wf-renamed', ['New Name'], at(7 * DAY + 3000), 10)).toHaveLength(1);
		} finally {
			await store.close();
		}
		const [before] = (await report(storePath, { ...period, output: 'summary' })).out;
		const [after] = (await report(withSteps, { ...period, output: 'summary' })).out;
		expect(after.scheduledSteps).toEqual({ waitingJourneys: 1, setAside: 1, orphaned: 1 });
		for (const figure of ['followUpBooking', 'recallCompliance', 'careSummaries', 'followUpBookingRate', 'recallComplianceRate', 'careSummariesSentRate', 'careSummariesDeliveredRate']) {
			expect(after[figure]).toEqual(before[figure]);
		}
		expect(before.scheduledSteps).toEqual({ waitingJourneys: 0, setAside: 0, orphaned: 0 });
		expect(String(after.text)).toContain('Steps in the journey store now: 1 journey(s) waiting · 1 set aside for staff · 1 orphaned');
	});

	it('lists how each journey counted, with "One Item per Journey"', async () => {
		const { out } = await report(storePath, { ...period, output: 'journeys' });
		expect(out.map((row) => [row.journeyId, row.outcome, row.summarySent, row.summaryDelivered, row.channels])).toEqual([
			['visit:fhir:a', 'booked', 'yes', 'yes', 'email,sms'],
			['visit:fhir:b', 'notBooked', 'no', 'no', 'email'],
			['visit:fhir:c', 'booked', 'yes', 'no', 'sms'],
		]);
	});

	it.each<[string, INodeParameters, number, string]>([
		['one department', { departments: '2' }, 1, '100.0%'],
		['two departments', { departments: '1, 2' }, 3, '66.7%'],
		['a 1-day booking window (the 48 h check still inside the 24 h grace)', { options: { bookingWindowDays: 1 } }, 3, '33.3%'],
		['a 1-day booking window without grace', { options: { bookingWindowDays: 1, checkGraceHours: 0 } }, 3, '0.0%'],
		['a 3-day booking window without grace', { options: { bookingWindowDays: 3, checkGraceHours: 0 } }, 3, '66.7%'],
	])('narrows to %s', async (_name, parameters, journeys, rate) => {
		const { out } = await report(storePath, { ...period, output: 'summary', ...parameters });
		expect([out[0].followUpBookingRate, (out[0].followUpBooking as IDataObject).journeys]).toEqual([rate, journeys]);
	});

	it('counts visits closed less than 7 days ago as pending, not as failures', async () => {
		const fresh = DateTime.utc().minus({ days: 2 });
		const path = await storeWith(
			[record('new', { anchorAt: fresh.toISO() as string, startedAt: fresh.toISO() as string })],
			[{ at: fresh.plus({ minutes: 1 }).toISO() as string, journeyId: 'visit:fhir:new', patientKey: 'fhir:pat-new', type: 'touch.sent', stage: 1, channel: 'sms' }],
		);
		const { out } = await report(path, { period: 'lastDays', days: 7, output: 'summary' });
		expect(out[0]).toMatchObject({ followUpBookingRate: 'n/a', followUpBooking: expect.objectContaining({ journeys: 1, pending: 1, notBooked: 0 }) });
		expect(String(out[0].text)).toMatch(/still inside their 7 days.*pending, not counted as failures/);
	});

	it('refuses a bad option with the field named, or emits an error item with "Continue On Fail"', async () => {
		const bad = await report(storePath, { ...period, options: { bookingWindowDays: 0 } });
		expect(bad.error('Follow-Up Report')?.message).toMatch(/"bookingWindowDays" must be a whole number/);
		const tolerated = await report(storePath, { ...period, options: { recallWindowDays: 1000 } }, { continueOnFail: true });
		expect(tolerated.out).toEqual([{ error: expect.stringMatching(/"recallWindowDays"/), details: 'Check the field "recallWindowDays".' }]);
	});
});

describe('recall journeys are recorded by their first Cadence Wait, and counted', () => {
	const zone = 'America/Chicago';
	const dueIn = (days: number) => DateTime.now().setZone(zone).startOf('day').plus({ days });

	function recallItem(id: string, due: DateTime): RecallDue {
		const visit = visitEvent({ zone });
		return {
			kind: 'recall',
			schemaVersion: 1,
			ehr: 'fhir',
			departmentId: '1',
			patientId: 'pat-recall',
			zone,
			zoneSource: 'patient',
			patient: visit.patient,
			consent: visit.consent,
			recallId: id,
			dueDate: due.toISODate() as string,
			actionItem: { type: 'followUpVisit', description: 'Book your annual exam', done: false },
		};
	}

	async function wait(storePath: string, item: unknown, parameters: INodeParameters) {
		return await runWorkflow(single('Wait Until 30 Days Before', 'cadenceWait', parameters, [item]), {
			nodeTypes,
			credentials: { journeyStoreApi: journeyStoreCredential(storePath), practiceProfileApi: practiceProfileCredential() },
		});
	}

	it('records the recall once (anchored at the due date\'s local midnight), journals its start once, and the report counts it as pending', async () => {
		const storePath = join(tempDir(), 'journey.sqlite');
		const due = dueIn(10);
		const item = recallItem('sr-1', due);
		const first = await wait(storePath, item, { anchor: 'recallDate', amount: 30, unit: 'days' });
		expect(first.status).not.toBe('error');
		await wait(storePath, item, { anchor: 'nextAllowed' });
		const store = await openJourneyStore({ backend: 'sqlite', path: storePath, contactHashSecret: testContactHashSecret });
		try {
			const journey = await store.getJourney('recall:fhir:sr-1');
			expect(journey).toMatchObject({ kind: 'recall', sourceType: 'recall', sourceId: 'sr-1', departmentId: '1', patientKey: 'fhir:pat-recall', zone, anchorAt: due.toUTC().toISO() });
			const journal = await store.journal({ journeyId: 'recall:fhir:sr-1' });
			// Scheduled or passed through depends on whether it is inside the send window now: either way, one start.
			expect(journal.map((e) => e.type)).toEqual(['journey.started', expect.stringMatching(/^wait\./), expect.stringMatching(/^wait\./)]);
		} finally {
			await store.close();
		}
		const counted = await report(storePath, { period: 'custom', from: due.toISODate() as string, to: due.plus({ days: 1 }).toISODate() as string, output: 'journeys' });
		expect(counted.out).toEqual([expect.objectContaining({ journeyId: 'recall:fhir:sr-1', kind: 'recall', outcome: 'pending', windowStartSource: 'journeyStart' })]);
	});

	it('leaves visit journeys to Visit Details (Cadence Wait records none)', async () => {
		const storePath = join(tempDir(), 'journey.sqlite');
		await wait(storePath, visitEvent({ visitId: 'enc-wait' }), { anchor: 'visitClose', amount: 0, unit: 'minutes' });
		const store = await openJourneyStore({ backend: 'sqlite', path: storePath, contactHashSecret: testContactHashSecret });
		try {
			expect(await store.getJourney('visit:fhir:enc-wait')).toBeUndefined();
		} finally {
			await store.close();
		}
	});
});
