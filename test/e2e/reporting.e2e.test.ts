import { DateTime } from 'luxon';

import { openJourneyStore } from '../../nodes/shared/store';
import type { JournalEntry } from '../../nodes/shared/store/types';
import { demoPatients } from '../../sandbox/demo-patients';
import type { Sandbox } from '../../sandbox/environment';
import { bookFhirFollowUp, closeFhirVisit, ensureFhirPatient, fhirBackportNotification } from '../../sandbox/fhir-demo';
import { zoneWhereNowIsBetween } from '../helpers/fixtures';
import { eventually, outputOf, runManually as runManuallyIn, startE2eSandbox } from './harness';

/*
 * The journal view, the three numbers and the dry run in a real n8n 2.41.1, over journeys driven through the
 * published three-stage template exactly as in journey.e2e.test.ts.
 *
 * How workflows are run: the weekly report (Schedule Trigger) and the timeline preview (Manual Trigger) are run
 * the way an ops person tests them in the editor, "Execute workflow": n8n's internal REST endpoint
 * POST /rest/workflows/:id/run with the trigger to start from, as the signed-in owner. n8n's public API has no
 * "run a workflow" call, and giving the templates a webhook only for the tests would test a different workflow
 * than the one ops import. The Journey Log and the ad-hoc Follow-Up Report run the same way in a small workflow
 * this test creates (they are nodes, not templates of their own).
 */

let sandbox: Sandbox;
let eventNumber = 0;
/** A zone where it is 10:00–18:59 now: sends go out at once, and today's midnight lies ≥ 10 h back. */
let zone: string;
let today: DateTime;

const patient = (key: string) => demoPatients.find((p) => p.key === key)!;

interface Drive {
	patientId: string;
	encounterId: string;
	completedAt: string;
	journeyId: string;
}

const driven: Record<'booked' | 'escalated' | 'pendingEmail' | 'today', Drive> = {} as never;

beforeAll(async () => {
	// Stage 1, stage 2, the staff task and a second visit may reach Ana on one day here: allow it.
	sandbox = await startE2eSandbox('reporting', 5810, { profile: { perPatientPerDay: 5, perNumberPerDay: 5 } });
	zone = zoneWhereNowIsBetween(9, 20);
	today = DateTime.now().setZone(zone).startOf('day');
}, 300_000);

afterAll(async () => {
	await sandbox?.stop();
});

async function closeAndDeliver(key: string, completedAt: DateTime, options: { book?: boolean } = {}): Promise<Drive> {
	const patientId = await ensureFhirPatient(sandbox.fhir, patient(key), zone);
	const visit = await closeFhirVisit(sandbox.fhir, patientId, { completedAt: completedAt.toUTC().toISO() as string });
	if (options.book) await bookFhirFollowUp(sandbox.fhir, patientId, DateTime.utc().plus({ days: 5 }).toISO() as string);
	eventNumber += 1;
	const body = JSON.stringify(fhirBackportNotification(visit.encounterId, eventNumber));
	const response = await sandbox.deliver('fhir', body, { 'content-type': 'application/fhir+json', 'x-webhook-secret': sandbox.webhookSecret });
	expect(response.status).toBe(200);
	return { patientId, encounterId: visit.encounterId, completedAt: completedAt.toUTC().toISO() as string, journeyId: `visit:fhir:${visit.encounterId}` };
}

const deliveryStatusTypes = ['touch.delivered', 'touch.undelivered', 'call.answered', 'call.unanswered'];

async function journalOf(journeyId?: string): Promise<JournalEntry[]> {
	const store = await openJourneyStore({ backend: 'sqlite', path: sandbox.journeyStorePath });
	try {
		return await store.journal(journeyId ? { journeyId } : {});
	} finally {
		await store.close();
	}
}

async function hasEntry(journeyId: string, type: string): Promise<true | undefined> {
	return (await journalOf(journeyId)).some((entry) => entry.type === type) ? true : undefined;
}

/** "Execute workflow" in the editor: runs the saved workflow from a trigger, then waits for the execution to finish. */
const runManually = (workflowId: string, trigger: string) => runManuallyIn(sandbox.client, workflowId, trigger);

type Item = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('reporting in a real n8n 2.41.1', () => {
	it('loads the three reporting nodes', async () => {
		const nodeTypes = (await sandbox.client.nodeTypes()).map((t) => t.name);
		for (const name of ['journeyLog', 'followUpReport', 'timelinePreview']) expect(nodeTypes).toContain(`n8n-nodes-post-visit.${name}`);
	});

	it('drives four journeys through the three-stage template: booked, escalated, waiting, and one closed minutes ago', async () => {
		// Closed 3 days ago and booked before the notification: the 48 h Booking Check (due already) finds it.
		driven.booked = await closeAndDeliver('john', today.minus({ days: 3 }).plus({ hours: 1 }), { book: true });
		await eventually('John\'s booking found', () => hasEntry(driven.booked.journeyId, 'followup.booked'), 120_000);
		// Closed 30 minutes into the report's week: its 7 days have ended, so the journey runs to the staff task.
		driven.escalated = await closeAndDeliver('ana', today.minus({ days: 7 }).plus({ minutes: 30 }));
		await eventually('Ana\'s staff task', () => hasEntry(driven.escalated.journeyId, 'task.created'), 120_000);
		// Leilani (email only) closed yesterday noon: care summary now, then the execution waits for 48 h.
		driven.pendingEmail = await closeAndDeliver('leilani', today.minus({ days: 1 }).plus({ hours: 12 }));
		await eventually('Leilani\'s wait', () => hasEntry(driven.pendingEmail.journeyId, 'wait.scheduled'), 120_000);
		// Ana again, a visit closed two minutes ago: care summary within minutes.
		driven.today = await closeAndDeliver('ana', DateTime.utc().minus({ minutes: 2 }).startOf('second'));
		await eventually('Ana\'s second wait', () => hasEntry(driven.today.journeyId, 'wait.scheduled'), 120_000);
		const types = (entries: JournalEntry[]) => entries.filter((e) => e.type === 'touch.sent').map((e) => `${e.stage}:${e.channel}`);
		expect(types(await journalOf(driven.booked.journeyId))).toEqual(['1:sms', '1:email']);
		expect(types(await journalOf(driven.escalated.journeyId))).toEqual(['1:sms', '1:email', '2:sms']);
		expect(types(await journalOf(driven.pendingEmail.journeyId))).toEqual(['1:email']);
		expect(types(await journalOf(driven.today.journeyId))).toEqual(['1:sms', '1:email']);
	});

	it('runs the Journey Log and the Follow-Up Report in n8n, and the Data Table node copies the journal rows as they are', async () => {
		const dataTable = await sandbox.client.api('POST', '/data-tables', {
			name: 'post_visit_journal',
			columns: [
				...['entryKey', 'journeyId', 'patientKey', 'type', 'channel', 'code', 'providerId', 'templateId', 'detail'].map((name) => ({ name, type: 'string' })),
				{ name: 'stage', type: 'number' },
				{ name: 'at', type: 'date' },
			],
		});
		const journeyStore = { journeyStoreApi: { id: sandbox.credentialIds.journeyStoreApi, name: 'Sandbox journeyStoreApi' } };
		const node = (name: string, type: string, parameters: Item, x: number, y: number, credentials: Item = journeyStore) => ({
			id: crypto.randomUUID(),
			name,
			type,
			typeVersion: type === 'n8n-nodes-base.dataTable' ? 1.1 : 1,
			position: [x, y],
			parameters,
			credentials,
		});
		const probe = await sandbox.client.createWorkflow({
			name: 'Reporting probe',
			nodes: [
				node('Manual Trigger', 'n8n-nodes-base.manualTrigger', {}, 0, 0, {}),
				node('Report', 'n8n-nodes-post-visit.followUpReport', { period: 'lastDays', days: 10, output: 'summary' }, 300, -300),
				node('Report per Journey', 'n8n-nodes-post-visit.followUpReport', { period: 'lastDays', days: 10, output: 'journeys' }, 300, -150),
				node('Ana\'s Journal', 'n8n-nodes-post-visit.journeyLog', { find: 'patient', patientBy: 'ehrId', patientEhr: 'fhir', practiceId: '', patientId: driven.escalated.patientId, period: 'lastDays', days: 1, types: 'touch.sent', order: 'oldest', returnAll: true }, 300, 0),
				node('Journeys', 'n8n-nodes-post-visit.journeyLog', { find: 'all', period: 'lastDays', days: 1, output: 'journeys', order: 'oldest', returnAll: true }, 300, 150),
				node('John\'s Visit', 'n8n-nodes-post-visit.journeyLog', { find: 'journey', journeyBy: 'visit', journeyEhr: 'fhir', sourceId: driven.booked.encounterId, period: 'any', order: 'oldest', returnAll: true }, 300, 300),
				node('Copy to Data Table', 'n8n-nodes-base.dataTable', {
					resource: 'row',
					operation: 'insert',
					dataTableId: { __rl: true, mode: 'name', value: 'post_visit_journal' },
					columns: { mappingMode: 'autoMapInputData', value: {}, matchingColumns: [], schema: [] },
					options: {},
				}, 600, 300, {}),
			],
			connections: {
				'Manual Trigger': { main: [['Report', 'Report per Journey', 'Ana\'s Journal', 'Journeys', 'John\'s Visit'].map((target) => ({ node: target, type: 'main', index: 0 }))] },
				'John\'s Visit': { main: [[{ node: 'Copy to Data Table', type: 'main', index: 0 }]] },
			},
			settings: { executionOrder: 'v1', saveManualExecutions: true },
		});
		const execution = await runManually(probe.id, 'Manual Trigger');
		expect([execution.status, execution.data?.resultData?.error?.message]).toEqual(['success', undefined]);

		// The ad-hoc report over the last 10 days: every journey driven above.
		const [summary] = outputOf(execution, 'Report');
		expect(summary.followUpBooking).toMatchObject({ journeys: 4, booked: 1, notBooked: 1, pending: 2, cancelled: 0 });
		expect(summary.followUpBookingRate).toBe('50.0%');
		expect(summary.careSummaries).toMatchObject({ journeys: 4, sent: { numerator: 1, denominator: 4 }, delivered: { numerator: 1, denominator: 4 } });
		expect(summary.careSummaries.byChannel.email).toMatchObject({ sent: 4, sentWithin: 1, deliveredWithin: 1 });
		expect(summary.recallCompliance.journeys).toBe(0);
		const perJourney = Object.fromEntries(outputOf(execution, 'Report per Journey').map((row) => [row.journeyId, row]));
		expect(perJourney[driven.booked.journeyId]).toMatchObject({ outcome: 'booked', bookedAtSource: 'check', summarySent: 'no', channels: 'email,sms' });
		expect(perJourney[driven.escalated.journeyId]).toMatchObject({ outcome: 'notBooked', summarySent: 'no', summaryDelivered: 'no' });
		expect(perJourney[driven.pendingEmail.journeyId]).toMatchObject({ outcome: 'pending', summarySent: 'no', channels: 'email' });
		expect(perJourney[driven.today.journeyId]).toMatchObject({ outcome: 'pending', summarySent: 'yes', summaryDelivered: 'yes' });
		expect(Date.parse(perJourney[driven.today.journeyId].anchorAt)).toBe(Date.parse(driven.today.completedAt));

		// Ana's messages of today, across her two visits; and one row per journey with where it stands.
		expect(outputOf(execution, 'Ana\'s Journal').map((row) => [row.journeyId, row.stage, row.channel])).toEqual([
			[driven.escalated.journeyId, 1, 'sms'],
			[driven.escalated.journeyId, 1, 'email'],
			[driven.escalated.journeyId, 2, 'sms'],
			[driven.today.journeyId, 1, 'sms'],
			[driven.today.journeyId, 1, 'email'],
		]);
		const journeys = Object.fromEntries(outputOf(execution, 'Journeys').map((row) => [row.journeyId, row]));
		expect(journeys[driven.booked.journeyId]).toMatchObject({ state: 'booked', booked: true, stagesSent: '1', lastBookingCheck: 'booked' });
		expect(journeys[driven.escalated.journeyId]).toMatchObject({ state: 'escalated', stagesSent: '1,2', lastBookingCheck: 'open', taskId: expect.any(String) });
		expect(journeys[driven.pendingEmail.journeyId]).toMatchObject({ state: 'waiting', channels: 'email', nextAt: expect.any(String) });
		expect(Date.parse(journeys[driven.pendingEmail.journeyId].nextAt)).toBeGreaterThan(Date.now());

		// The Data Table node inserted John's journal rows exactly as the Journey Log emitted them.
		const logged = outputOf(execution, 'John\'s Visit');
		expect(logged.map((row) => row.type).filter((type) => ['journey.started', 'touch.sent', 'followup.booked'].includes(type))).toEqual([
			'journey.started',
			'touch.sent',
			'touch.sent',
			'followup.booked',
		]);
		const rows = await sandbox.client.api('GET', `/data-tables/${dataTable.id}/rows?limit=250`);
		expect(rows.data).toHaveLength(logged.length);
		const stored = new Map(rows.data.map((row: Item) => [row.entryKey, row]));
		for (const row of logged) {
			const copy = stored.get(row.entryKey) as Item;
			expect(copy).toMatchObject({ journeyId: row.journeyId, type: row.type, stage: row.stage, channel: row.channel, detail: row.detail });
			expect(Date.parse(copy.at)).toBe(Date.parse(row.at));
		}
	});

	it('runs the imported timeline-preview template: a touch per planned step, nothing sent, nothing written', async () => {
		const smsBefore = sandbox.twilio.messages.length;
		const emailsBefore = sandbox.smtp.messages.length;
		const journalBefore = (await journalOf()).length;
		const execution = await runManually(sandbox.workflows.timelinePreview.id, 'Run the Preview');
		expect([execution.status, execution.data?.resultData?.error?.message]).toEqual(['success', undefined]);
		const touches = outputOf(execution, 'Timeline Preview');
		const of = (drive: Drive) => touches.filter((t) => t.journeyId === drive.journeyId);
		// Visits completed in the last 7 days: all but the one closed 7 days and a half hour before today's midnight.
		expect(of(driven.escalated)).toEqual([]);
		for (const drive of [driven.booked, driven.pendingEmail, driven.today]) expect(of(drive).length).toBeGreaterThan(0);
		const closedAt = Date.parse(driven.today.completedAt);
		expect(of(driven.today).map((t) => [t.stage, t.channel, t.action, Date.parse(t.at) - closedAt, t.rule, t.template])).toEqual([
			[1, 'sms', 'send', 0, 'onTime', 'careSummary'],
			[1, 'email', 'send', 0, 'onTime', 'careSummary'],
			// Its Reminder is already scheduled in the journey store: the preview shows the stored time as it is.
			[2, 'sms', 'send', 48 * 3_600_000, 'alreadyScheduled', 'actionReminder'],
			[3, 'task', 'task', 7 * 24 * 3_600_000, 'escalation', null],
		]);
		expect(of(driven.today)[0]).toMatchObject({ zone, localTime: DateTime.fromISO(driven.today.completedAt).setZone(zone).toFormat('yyyy-MM-dd HH:mm'), condition: 'always' });
		expect(of(driven.pendingEmail).map((t) => [t.stage, t.channel])).toEqual([[1, 'email'], [2, 'email'], [3, 'task']]);
		expect(of(driven.pendingEmail)[0].rule).toBe('sms:noMobile→email');
		// The optional data-table copy ships switched off: n8n passes the items through it, inserting nothing.
		expect(outputOf(execution, 'Copy to Data Table')).toEqual(touches);
		await new Promise((resolve) => setTimeout(resolve, 1000));
		expect([sandbox.twilio.messages.length, sandbox.smtp.messages.length]).toEqual([smsBefore, emailsBefore]);
		// Twilio's status callbacks for earlier sends may still land meanwhile (the Delivery Status workflow records
		// them); everything else the journal gained would have come from the preview.
		const gained = (await journalOf()).slice(journalBefore);
		expect(gained.filter((entry) => !deliveryStatusTypes.includes(entry.type))).toEqual([]);
	});

	it('runs the imported weekly-report template: the practice manager gets last week\'s three numbers by email', async () => {
		const workflowId = sandbox.workflows.weeklyReport.id;
		// What the sticky note asks ops to do: Workflow settings → Timezone = the practice's zone.
		const workflow = await sandbox.client.api('GET', `/workflows/${workflowId}`);
		await sandbox.client.api('PUT', `/workflows/${workflowId}`, {
			name: workflow.name,
			nodes: workflow.nodes,
			connections: workflow.connections,
			settings: { ...workflow.settings, timezone: zone },
		});
		const since = Date.now();
		const execution = await runManually(workflowId, 'Every Monday 07:00');
		expect([execution.status, execution.data?.resultData?.error?.message]).toEqual(['success', undefined]);
		const [report] = outputOf(execution, 'Follow-Up Report (Last Week)');
		expect(report.period).toMatchObject({
			from: today.minus({ days: 7 }).toUTC().toISO(),
			to: today.toUTC().toISO(),
			zone,
		});
		// Last week holds the booked, the escalated and Leilani's visits; today's is next week's.
		expect(report.followUpBooking).toMatchObject({ journeys: 3, booked: 1, notBooked: 1, pending: 1 });
		const email = await eventually('the weekly report email', () =>
			sandbox.smtp.messages.find((m) => m.receivedAt >= since && m.to.includes('practice-manager@example-practice.test') && /^Post-visit week/.test(m.subject)),
		);
		expect(email.subject).toBe('Post-visit week: follow-ups booked 50.0% · recalls n/a · summaries delivered 0.0%');
		expect(email.text).toContain(`Post-visit follow-up report: ${today.minus({ days: 7 }).toISODate()} to ${today.minus({ days: 1 }).toISODate()} (${zone})`);
		expect(email.text).toContain('1. Follow-up booked within 7 days of visit close: 50.0% (1 of 2 decided visits; 1 pending; 3 in total)');
		expect(email.text).toContain('2. Recall compliance at 30 days: n/a (0 of 0 decided recalls; 0 pending; 0 in total)');
		expect(email.text).toContain('3. Care summaries within 2 h of visit close: sent 0.0% (0 of 3), confirmed delivered 0.0% (0 of 3)');
		expect(email.text).toMatch(/1 visit\(s\) are still inside their 7 days with nothing booked yet: pending, not counted as failures/);
		expect(email.text).not.toMatch(/Ana|John|Leilani|García|Miller|Kahale/);
		expect(email.text).not.toContain('sent automatically with n8n');
		// The optional journal copy ships switched off: the trigger's item passes through both nodes untouched.
		expect(outputOf(execution, 'Copy to Data Table')).toEqual(outputOf(execution, 'Every Monday 07:00'));
	});

	it('runs the imported journey-watchdog template: a journey whose execution was lost reaches the practice manager once', async () => {
		// What a lost execution leaves: the journal says the journey waits for stage 2, due 3 hours ago, and
		// nothing since. One lost two days ago was reported by yesterday's check; live journeys wait for later.
		const lost = `visit:fhir:lost-${Date.now()}`;
		const reportedYesterday = `visit:fhir:lost-earlier-${Date.now()}`;
		// And a step scheduled in the journey store by a workflow that was deleted since: nobody resumes it.
		const orphaned = `visit:fhir:deleted-workflow-${Date.now()}`;
		const store = await openJourneyStore({ backend: 'sqlite', path: sandbox.journeyStorePath });
		const hoursAgo = (hours: number) => DateTime.utc().minus({ hours }).toISO() as string;
		try {
			for (const [journeyId, dueHoursAgo] of [[lost, 3], [reportedYesterday, 30]] as const) {
				const base = { journeyId, patientKey: `fhir:${journeyId}` };
				await store.append({ ...base, at: hoursAgo(dueHoursAgo + 48), type: 'touch.sent', stage: 1, channel: 'sms' });
				await store.append({ ...base, at: hoursAgo(dueHoursAgo + 48), type: 'wait.scheduled', detail: { sendAt: hoursAgo(dueHoursAgo) } });
			}
			const base = { journeyId: orphaned, patientKey: `fhir:${orphaned}` };
			await store.append({ ...base, at: hoursAgo(50), type: 'touch.sent', stage: 1, channel: 'sms' });
			await store.append({ ...base, at: hoursAgo(50), type: 'wait.scheduled', detail: { sendAt: hoursAgo(2), step: 'Reminder', workflowId: 'deleted-workflow' } });
			await store.scheduleStep({ ...base, workflowId: 'deleted-workflow', step: 'Reminder', dueAt: hoursAgo(2), at: hoursAgo(50) });
		} finally {
			await store.close();
		}

		const since = Date.now();
		const execution = await runManually(sandbox.workflows.journeyWatchdog.id, 'Every Day 08:00');
		expect([execution.status, execution.data?.resultData?.error?.message]).toEqual(['success', undefined]);
		expect(outputOf(execution, 'Overdue Journeys').map((row) => [row.journeyId, row.state, row.stagesSent]).sort()).toEqual(
			[[lost, 'waiting', '1'], [orphaned, 'waiting', '1']].sort(),
		);
		const email = await eventually('the watchdog email', () =>
			sandbox.smtp.messages.find((m) => m.receivedAt >= since && m.to.includes('practice-manager@example-practice.test') && /stopped and need a person/.test(m.subject)),
		);
		expect(email.subject).toBe('Post-visit: 2 follow-up journey(s) stopped and need a person');
		expect(email.text).toContain(`- ${lost}: waiting, due `);
		expect(email.text).toContain(`- ${orphaned}: waiting, due `);
		expect(email.text).not.toContain(reportedYesterday);
		for (const drive of Object.values(driven)) expect(email.text).not.toContain(drive.journeyId);
	});
});
