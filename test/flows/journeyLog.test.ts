import { join } from 'node:path';

import { overdueReasons } from '../../nodes/shared/core/journalView';
import type { JourneySummaryRow, StepRow } from '../../nodes/shared/core/journalView';
import { readJourneyLog } from '../../nodes/shared/flows/journeyLog';
import type { JourneyLogQuery } from '../../nodes/shared/flows/journeyLog';
import { openJourneyStore } from '../../nodes/shared/store';
import type { JournalEntry, JourneyStore, StepSchedule } from '../../nodes/shared/store/types';
import { tempDir, testContactHashSecret } from '../helpers/fixtures';

/*
 * The Journey Log's reads of the scheduled steps, over a real SQLite store, at a fixed "now": what each journey
 * waits for (one store query), where each journey stands, and what the watchdog reports.
 */

const now = '2026-06-12T18:00:00.000Z';
const hoursBefore = (hours: number) => new Date(Date.parse(now) - hours * 3_600_000).toISOString();
const visits = 'wf-visits';
const recalls = 'wf-recalls';

const id = (name: string) => `visit:fhir:${name}`;
const key = (name: string) => `fhir:pat-${name}`;

function schedule(name: string, fields: Partial<StepSchedule> = {}): StepSchedule {
	return { journeyId: id(name), patientKey: key(name), workflowId: visits, step: 'Reminder', dueAt: hoursBefore(-24), at: hoursBefore(48), ...fields };
}

function entry(name: string, at: string, type: string, fields: Partial<JournalEntry> = {}): JournalEntry {
	return { at, journeyId: id(name), patientKey: key(name), type, ...fields };
}

/** Schedules a step, then takes it as the Journey Due Trigger would at `claimAt`, and sets it aside at `asideAt`. */
async function setAside(store: JourneyStore, name: string, code: string, claimAt: string, asideAt: string): Promise<void> {
	const claimMs = Date.parse(claimAt);
	await store.scheduleStep(schedule(name, { dueAt: new Date(claimMs - 3_600_000).toISOString(), at: new Date(claimMs - 86_400_000).toISOString() }));
	const [claimed] = await store.claimDueSteps({ workflowId: visits, steps: ['Reminder'], now: claimAt, limit: 10, leaseMs: 600_000, leaseToken: `lease-${name}`, includeHeldUntilResume: true });
	expect(claimed?.journeyId).toBe(id(name));
	expect(await store.setStepAside(id(name), visits, `lease-${name}`, code, asideAt)).toBe(true);
	await store.append(entry(name, asideAt, 'step.failed', { code }));
}

let store: JourneyStore;
beforeAll(async () => {
	store = await openJourneyStore({ backend: 'sqlite', path: join(tempDir(), 'journey.sqlite'), contactHashSecret: testContactHashSecret });
	const v2Wait = (name: string, dueAt: string, workflowId = visits, step = 'Reminder') =>
		entry(name, hoursBefore(48), 'wait.scheduled', { detail: { due: dueAt, sendAt: dueAt, step, workflowId, untilResume: false } });
	// Waiting for tomorrow: nothing to report.
	await store.scheduleStep(schedule('tomorrow'));
	await store.append(v2Wait('tomorrow', hoursBefore(-24)));
	// Its workflow was deleted (or switched off) before the reminder was due 3 h ago.
	await store.scheduleStep(schedule('deleted-workflow', { workflowId: 'wf-deleted', dueAt: hoursBefore(3) }));
	await store.append(entry('deleted-workflow', hoursBefore(50), 'touch.sent', { stage: 1, channel: 'sms' }));
	await store.append(v2Wait('deleted-workflow', hoursBefore(3), 'wf-deleted'));
	// The recall workflow's step was renamed: its trigger marked it orphaned.
	await store.scheduleStep(schedule('renamed', { workflowId: recalls, step: 'Old Name', dueAt: hoursBefore(4) }));
	await store.append(v2Wait('renamed', hoursBefore(4), recalls, 'Old Name'));
	expect(await store.markOrphanedSteps(recalls, ['New Name'], hoursBefore(3.9), 10)).toHaveLength(1);
	// Set aside for staff an hour ago, and two days ago (reported by an earlier check).
	await setAside(store, 'set-aside', 'attemptsUsedUp', hoursBefore(1.5), hoursBefore(1));
	await setAside(store, 'set-aside-earlier', 'unknownJourney', hoursBefore(49), hoursBefore(48));
	// Held while outreach is paused: deliberate, not overdue.
	await store.scheduleStep(schedule('paused', { dueAt: hoursBefore(30), untilResume: true }));
	await store.append(entry('paused', hoursBefore(30), 'touch.held', { stage: 2, code: 'outreachPaused' }));
	// Cadence Wait version 1: only the journal knows; its n8n execution was lost 2 h after it was due.
	await store.append(entry('v1-lost', hoursBefore(50), 'wait.scheduled', { detail: { sendAt: hoursBefore(3) } }));
	// Version 2, resumed and finished: its journal ends at the wait's bookkeeping, and no step is left.
	await store.append(v2Wait('finished', hoursBefore(5)));
	await store.append(entry('finished', hoursBefore(4.9), 'step.resumed', { detail: { step: 'Reminder', workflowId: visits, attempt: 1 } }));
	await store.append(entry('finished', hoursBefore(4.9), 'step.completed', { code: 'alreadySent', detail: { step: 'Reminder', workflowId: visits, attempt: 1 } }));
});
afterAll(async () => await store.close());

const base: JourneyLogQuery = { types: [], order: 'oldest', output: 'steps' };

describe('Journey Log: what each journey is waiting for, and when', () => {
	it('lists every step in the store with one query, earliest due first, steps of a deleted workflow included', async () => {
		const steps = jest.spyOn(store, 'steps');
		const journal = jest.spyOn(store, 'journal');
		try {
			const rows = (await readJourneyLog(store, base)) as StepRow[];
			expect(rows.map((row) => [row.journeyId, row.workflowId, row.step, row.state, row.dueAt])).toEqual([
				[id('set-aside-earlier'), visits, 'Reminder', 'failed', hoursBefore(50)],
				[id('paused'), visits, 'Reminder', 'scheduled', hoursBefore(30)],
				[id('renamed'), recalls, 'Old Name', 'orphaned', hoursBefore(4)],
				[id('deleted-workflow'), 'wf-deleted', 'Reminder', 'scheduled', hoursBefore(3)],
				[id('set-aside'), visits, 'Reminder', 'failed', hoursBefore(2.5)],
				[id('tomorrow'), visits, 'Reminder', 'scheduled', hoursBefore(-24)],
			]);
			expect(steps).toHaveBeenCalledTimes(1);
			expect(journal).not.toHaveBeenCalled();
		} finally {
			steps.mockRestore();
			journal.mockRestore();
		}
	});

	it.each<[string, Partial<JourneyLogQuery>, string[]]>([
		['only steps set aside or orphaned', { stepStates: ['failed', 'orphaned'] }, ['set-aside-earlier', 'renamed', 'set-aside']],
		['only steps due before a time', { dueBefore: hoursBefore(3.5) }, ['set-aside-earlier', 'paused', 'renamed']],
		['only scheduled steps due before now', { stepStates: ['scheduled'], dueBefore: now }, ['paused', 'deleted-workflow']],
		['one journey', { journeyId: id('tomorrow') }, ['tomorrow']],
		['one patient', { patientKey: key('renamed') }, ['renamed']],
		['the latest due first, up to a limit', { order: 'newest', limit: 2 }, ['tomorrow', 'set-aside']],
		['the earliest due first, up to a limit', { limit: 1 }, ['set-aside-earlier']],
	])('filters: %s', async (_name, query, names) => {
		const rows = (await readJourneyLog(store, { ...base, ...query })) as StepRow[];
		expect(rows.map((row) => row.journeyId)).toEqual(names.map(id));
	});

	it('gives every step row the same flat columns', async () => {
		const rows = (await readJourneyLog(store, base)) as StepRow[];
		for (const row of rows) {
			expect(Object.keys(row)).toEqual(Object.keys(rows[0]));
			for (const value of Object.values(row)) expect(value === null || typeof value !== 'object').toBe(true);
		}
		expect(rows.find((row) => row.journeyId === id('set-aside'))).toMatchObject({ code: 'attemptsUsedUp', attempt: 1, leaseUntil: null });
		expect(rows.find((row) => row.journeyId === id('paused'))).toMatchObject({ untilResume: true, stepKey: `${id('paused')}|${visits}` });
	});
});

describe('Journey Log: a journey summary reads its step from the store', () => {
	it.each<[string, string, Record<string, unknown>]>([
		['waiting: the due time is the stored one', 'tomorrow', { state: 'waiting', nextAt: hoursBefore(-24), step: 'Reminder', stepWorkflowId: visits, stepState: 'scheduled', stepAttempt: 0 }],
		['set aside', 'set-aside', { state: 'setAside', nextAt: null, stepCode: 'attemptsUsedUp', stepAttempt: 1 }],
		['orphaned', 'renamed', { state: 'orphaned', step: 'Old Name', stepWorkflowId: recalls }],
		['paused', 'paused', { state: 'paused', nextAt: null }],
		['version 1, from the journal', 'v1-lost', { state: 'waiting', nextAt: hoursBefore(3), step: null }],
		['version 2, finished: not waiting any more', 'finished', { state: 'inProgress', nextAt: null, step: null, lastEventType: 'step.completed' }],
	])('%s', async (_name, name, expected) => {
		const rows = await readJourneyLog(store, { ...base, output: 'journeys', journeyId: id(name) });
		expect(rows).toEqual([expect.objectContaining({ journeyId: id(name), overdueReason: null, ...expected })]);
	});
});

describe('Journey Log: the watchdog reads the steps from the store', () => {
	const watchdog: JourneyLogQuery = {
		...base,
		output: 'journeys',
		// The template's journal filter, which finds the version-1 journeys.
		types: ['wait.scheduled', 'touch.held'],
		from: hoursBefore(400 * 24),
		to: now,
		overdue: { now, graceMinutes: 60, withinHours: 24 },
	};

	it('reports steps not resumed, orphaned, set aside, and lost version-1 waits, each once, with why', async () => {
		const rows = (await readJourneyLog(store, watchdog)) as JourneySummaryRow[];
		expect(rows.map((row) => [row.journeyId, row.state, row.overdueReason, row.overdueSince])).toEqual([
			[id('renamed'), 'orphaned', overdueReasons.orphaned, hoursBefore(3)],
			[id('deleted-workflow'), 'waiting', overdueReasons.notResumed, hoursBefore(2)],
			[id('v1-lost'), 'waiting', overdueReasons.v1Wait, hoursBefore(2)],
			[id('set-aside'), 'setAside', 'set aside: attemptsUsedUp', hoursBefore(1)],
		]);
		expect(rows[1]).toMatchObject({ step: 'Reminder', stepWorkflowId: 'wf-deleted', stepDueAt: hoursBefore(3), stagesSent: '1' });
		expect(rows[2]).toMatchObject({ step: null, stepWorkflowId: null });
	});

	it('finds the steps whatever the journal period and types, and lists the most recent first when asked', async () => {
		const rows = (await readJourneyLog(store, { ...watchdog, types: ['task.created'], order: 'newest', limit: 2 })) as JourneySummaryRow[];
		expect(rows.map((row) => row.journeyId)).toEqual([id('set-aside'), id('deleted-workflow')]);
	});

	it('reports everything overdue, whenever it became so, with a look-back of 0', async () => {
		const rows = (await readJourneyLog(store, { ...watchdog, overdue: { now, graceMinutes: 60, withinHours: 0 } })) as JourneySummaryRow[];
		expect(rows.map((row) => row.journeyId)).toEqual([id('set-aside-earlier'), id('renamed'), id('deleted-workflow'), id('v1-lost'), id('set-aside')]);
		expect(rows[0]).toMatchObject({ overdueReason: 'set aside: unknownJourney', overdueSince: hoursBefore(48) });
	});

	it('narrows to one journey', async () => {
		const rows = (await readJourneyLog(store, { ...watchdog, journeyId: id('deleted-workflow') })) as JourneySummaryRow[];
		expect(rows.map((row) => row.journeyId)).toEqual([id('deleted-workflow')]);
	});
});
