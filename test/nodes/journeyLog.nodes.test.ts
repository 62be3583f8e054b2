import { join } from 'node:path';

import type { IDataObject, INodeParameters } from 'n8n-workflow';

import { JourneyLog } from '../../nodes/JourneyLog/JourneyLog.node';
import { openJourneyStore } from '../../nodes/shared/store';
import type { JournalEntry, JourneyRecord, StepSchedule } from '../../nodes/shared/store/types';
import { runWorkflow, single } from '../helpers/engine';
import { journeyStoreCredential, tempDir, testContactHashSecret } from '../helpers/fixtures';

const nodeTypes = { journeyLog: new JourneyLog() };
/** n8n's own rule for data table column names (@n8n/api-types DATA_TABLE_COLUMN_REGEX) and its system columns. */
const dataTableColumn = /^[a-zA-Z][a-zA-Z0-9_]*$/;
const systemColumns = ['id', 'createdAt', 'updatedAt'];

const ana = 'fhir:pat-ana';
const john = 'athenahealth:195900:pat-john';
const anaVisit = 'visit:fhir:enc-1';
const johnVisit = 'visit:athenahealth:77';
const johnRecall = 'recall:athenahealth:r-9';

const journal: JournalEntry[] = [
	{ at: '2026-06-01T15:00:02.000Z', journeyId: anaVisit, patientKey: ana, type: 'journey.started', detail: { zone: 'America/Chicago' } },
	{ at: '2026-06-01T15:00:05.000Z', journeyId: anaVisit, patientKey: ana, type: 'touch.sent', stage: 1, channel: 'sms', providerId: 'SM1', templateId: 'careSummary' },
	{ at: '2026-06-01T15:00:06.000Z', journeyId: anaVisit, patientKey: ana, type: 'touch.sent', stage: 1, channel: 'email', providerId: '<1@x>', templateId: 'careSummary' },
	{ at: '2026-06-01T15:00:07.000Z', journeyId: anaVisit, patientKey: ana, type: 'wait.scheduled', detail: { sendAt: '2026-06-03T15:00:00.000Z' } },
	{ at: '2026-06-02T16:00:00.000Z', journeyId: johnVisit, patientKey: john, type: 'journey.started' },
	{ at: '2026-06-02T16:00:01.000Z', journeyId: johnVisit, patientKey: john, type: 'route.staffCall', stage: 1, code: 'noContact' },
	{ at: '2026-06-02T16:00:02.000Z', journeyId: johnVisit, patientKey: john, type: 'task.created', stage: 3, channel: 'task', providerId: 'case-5', code: 'patientCase' },
	{ at: '2026-06-03T15:00:30.000Z', journeyId: anaVisit, patientKey: ana, type: 'followup.booked', detail: { appointmentId: 'ap-1' } },
	{ at: '2026-06-04T13:00:00.000Z', journeyId: johnRecall, patientKey: john, type: 'wait.scheduled', detail: { sendAt: '2026-06-20T14:00:00.000Z' } },
];
const anaRecord: JourneyRecord = {
	journeyId: anaVisit,
	patientKey: ana,
	kind: 'visit',
	ehr: 'fhir',
	patientId: 'pat-ana',
	sourceId: 'enc-1',
	sourceType: 'encounter',
	anchorAt: '2026-06-01T15:00:00.000Z',
	startedAt: '2026-06-01T15:00:02.000Z',
	zone: 'America/Chicago',
};

async function storeWith(entries: JournalEntry[], records: JourneyRecord[] = [anaRecord]): Promise<string> {
	const path = join(tempDir(), 'journey.sqlite');
	const store = await openJourneyStore({ backend: 'sqlite', path, contactHashSecret: testContactHashSecret });
	try {
		for (const entry of entries) await store.append(entry);
		for (const record of records) await store.recordJourney(record);
	} finally {
		await store.close();
	}
	return path;
}

async function journeyLog(storePath: string, parameters: INodeParameters, items: unknown[] = [{}], node: IDataObject = {}) {
	const result = await runWorkflow(single('Journey Log', 'journeyLog', { period: 'any', ...parameters }, items, node), {
		nodeTypes,
		credentials: { journeyStoreApi: journeyStoreCredential(storePath) },
	});
	return { ...result, rows: result.output('Journey Log') };
}

let storePath: string;
beforeAll(async () => {
	storePath = await storeWith(journal);
});

describe('Journey Log: one item per journal row', () => {
	it('lists the newest rows first, up to the limit, as flat rows a data table takes as they are', async () => {
		const { rows, items, error } = await journeyLog(storePath, { find: 'all', order: 'newest', returnAll: false, limit: 3 });
		expect(error('Journey Log')).toBeUndefined();
		expect(rows.map((row) => [row.at, row.type])).toEqual([
			['2026-06-04T13:00:00.000Z', 'wait.scheduled'],
			['2026-06-03T15:00:30.000Z', 'followup.booked'],
			['2026-06-02T16:00:02.000Z', 'task.created'],
		]);
		expect(rows[2]).toEqual({
			entryKey: `${Date.parse('2026-06-02T16:00:02.000Z')}|${johnVisit}|task.created|3|task|case-5`,
			at: '2026-06-02T16:00:02.000Z',
			journeyId: johnVisit,
			patientKey: john,
			type: 'task.created',
			stage: 3,
			channel: 'task',
			code: 'patientCase',
			providerId: 'case-5',
			templateId: null,
			detail: null,
		});
		expect(items('Journey Log').every((item) => (item.pairedItem as { item: number }).item === 0)).toBe(true);
	});

	it('gives every row the same columns, each a valid data table column with a plain value', async () => {
		const { rows } = await journeyLog(storePath, { find: 'all', order: 'oldest', returnAll: true });
		expect(rows).toHaveLength(journal.length);
		const columns = Object.keys(rows[0]);
		for (const row of rows) {
			expect(Object.keys(row)).toEqual(columns);
			for (const value of Object.values(row)) expect(['string', 'number', 'boolean', 'object']).toContain(typeof value);
			for (const value of Object.values(row)) if (typeof value === 'object') expect(value).toBeNull();
		}
		for (const column of columns) {
			expect(column).toMatch(dataTableColumn);
			expect(systemColumns).not.toContain(column);
		}
		expect(rows[0].detail).toBe('{"zone":"America/Chicago"}');
	});

	it.each<[string, INodeParameters, string[]]>([
		['one patient by EHR, practice and patient ID', { find: 'patient', patientBy: 'ehrId', patientEhr: 'athenahealth', practiceId: '195900', patientId: 'pat-john' }, [johnVisit, johnVisit, johnVisit, johnRecall]],
		['one patient by patient key, message rows only', { find: 'patient', patientBy: 'patientKey', patientKey: ana, types: 'touch.*' }, [anaVisit, anaVisit]],
		['one visit by EHR and visit ID', { find: 'journey', journeyBy: 'visit', journeyEhr: 'fhir', sourceId: 'enc-1' }, [anaVisit, anaVisit, anaVisit, anaVisit, anaVisit]],
		['one recall by EHR and recall ID', { find: 'journey', journeyBy: 'recall', journeyEhr: 'athenahealth', sourceId: 'r-9' }, [johnRecall]],
		['one journey by its ID, one exact type', { find: 'journey', journeyBy: 'journeyId', journeyId: johnVisit, types: 'task.created' }, [johnVisit]],
		['a custom period: [from, to)', { find: 'all', period: 'custom', from: '2026-06-02T00:00:00Z', to: '2026-06-03T15:00:30Z' }, [johnVisit, johnVisit, johnVisit]],
	])('finds %s', async (_name, parameters, journeys) => {
		const { rows, error } = await journeyLog(storePath, { order: 'oldest', returnAll: true, ...parameters });
		expect(error('Journey Log')).toBeUndefined();
		expect(rows.map((row) => row.journeyId)).toEqual(journeys);
	});

	it('reads the last N days up to now', async () => {
		const now = Date.now();
		const recent = await storeWith([
			{ at: new Date(now - 3 * 86_400_000).toISOString(), journeyId: anaVisit, patientKey: ana, type: 'touch.sent', stage: 1, channel: 'sms' },
			{ at: new Date(now - 3_600_000).toISOString(), journeyId: anaVisit, patientKey: ana, type: 'followup.open' },
		]);
		const { rows } = await journeyLog(recent, { find: 'all', period: 'lastDays', days: 1, returnAll: true });
		expect(rows.map((row) => row.type)).toEqual(['followup.open']);
	});

	it('runs once per input item, pairing each row with the item that asked', async () => {
		const parameters = { find: 'patient', patientBy: 'ehrId', patientEhr: 'fhir', practiceId: '', patientId: '={{ $json.patientId }}', types: 'journey.started', returnAll: true };
		const { rows, items } = await journeyLog(storePath, parameters, [{ patientId: 'pat-nobody' }, { patientId: 'pat-ana' }]);
		expect(rows.map((row) => row.patientKey)).toEqual([ana]);
		expect(items('Journey Log')[0].pairedItem).toEqual({ item: 1 });
	});
});

describe('Journey Log: one item per journey', () => {
	it('summarises each journey with a matching row from its whole journal, most recent activity first', async () => {
		const { rows, error } = await journeyLog(storePath, { find: 'all', output: 'journeys', order: 'newest', period: 'custom', from: '2026-06-01T00:00:00Z', to: '2026-06-03T00:00:00Z', returnAll: true });
		expect(error('Journey Log')).toBeUndefined();
		expect(rows.map((row) => [row.journeyId, row.state])).toEqual([
			[johnVisit, 'escalated'],
			// The booking came after the period, but the summary reads the whole journal.
			[anaVisit, 'booked'],
		]);
		expect(rows[1]).toMatchObject({ kind: 'visit', ehr: 'fhir', anchorAt: anaRecord.anchorAt, startedAt: anaRecord.startedAt, stagesSent: '1', channels: 'email,sms', booked: true, bookedAt: '2026-06-03T15:00:30.000Z', entries: 5 });
		expect(rows[0]).toMatchObject({ ehr: null, taskId: 'case-5', stagesSent: '', channels: '', startedAt: '2026-06-02T16:00:00.000Z' });
		for (const row of rows) for (const column of Object.keys(row)) expect(column).toMatch(dataTableColumn);
	});

	it('limits the number of journeys, not rows', async () => {
		const { rows } = await journeyLog(storePath, { find: 'patient', patientBy: 'patientKey', patientKey: john, output: 'journeys', order: 'oldest', returnAll: false, limit: 1 });
		expect(rows.map((row) => [row.journeyId, row.state, row.entries])).toEqual([[johnVisit, 'escalated', 3]]);
	});

	it('shows a waiting recall and when it continues', async () => {
		const { rows } = await journeyLog(storePath, { find: 'journey', journeyBy: 'journeyId', journeyId: johnRecall, output: 'journeys', returnAll: true });
		expect(rows).toEqual([expect.objectContaining({ kind: 'recall', state: 'waiting', nextAt: '2026-06-20T14:00:00.000Z' })]);
	});
});

describe('Journey Log finds journeys whose n8n execution was lost (the watchdog)', () => {
	const ago = (minutes: number) => new Date(Date.now() - minutes * 60_000).toISOString();
	const entry = (journeyId: string, minutesAgo: number, type: string, detail?: JournalEntry['detail']): JournalEntry => ({
		at: ago(minutesAgo),
		journeyId,
		patientKey: `fhir:${journeyId}`,
		type,
		...(detail ? { detail } : {}),
	});
	const lost = 'visit:fhir:lost-day-7';
	const lostHold = 'visit:fhir:lost-hold';
	const onTime = 'visit:fhir:resumed';
	const justDue = 'visit:fhir:just-due';
	const future = 'visit:fhir:day-2-ahead';
	const entries = [
		entry(lost, 3 * 24 * 60, 'touch.sent'),
		entry(lost, 3 * 24 * 60 - 1, 'wait.scheduled', { sendAt: ago(180) }),
		entry(lostHold, 400, 'touch.held', { retryAt: ago(120) }),
		entry(onTime, 3000, 'wait.scheduled', { sendAt: ago(240) }),
		entry(onTime, 239, 'followup.open'),
		entry(onTime, 238, 'touch.sent'),
		entry(onTime, 237, 'wait.scheduled', { sendAt: ago(-5 * 24 * 60) }),
		entry(justDue, 200, 'wait.scheduled', { sendAt: ago(10) }),
		entry(future, 60, 'wait.scheduled', { sendAt: ago(-47 * 60) }),
	];

	it('keeps only journeys waiting or held past their time by more than the grace, with nothing since', async () => {
		const path = await storeWith(entries, []);
		const { rows } = await journeyLog(path, { find: 'all', period: 'lastDays', days: 30, output: 'journeys', onlyOverdue: true, overdueGraceMinutes: 60, order: 'oldest', returnAll: true });
		expect(rows.map((row) => [row.journeyId, row.state])).toEqual([
			[lost, 'waiting'],
			[lostHold, 'held'],
		]);
		expect(rows[0]).toMatchObject({ nextAt: entries[1]!.detail!.sendAt, lastEventType: 'wait.scheduled' });
	});

	it('counts the grace from the time the journey was due', async () => {
		const path = await storeWith(entries, []);
		const { rows } = await journeyLog(path, { find: 'all', period: 'lastDays', days: 30, output: 'journeys', onlyOverdue: true, overdueGraceMinutes: 5, order: 'oldest', returnAll: true });
		expect(rows.map((row) => row.journeyId)).toEqual([lost, lostHold, justDue]);
	});

	it('reports a journey once from a daily check: only those that became overdue in the last N hours', async () => {
		const path = await storeWith(entries, []);
		const daily = { find: 'all', period: 'lastDays', days: 30, output: 'journeys', onlyOverdue: true, overdueGraceMinutes: 60, order: 'oldest', returnAll: true };
		// Overdue since 120 − 60 = 60 min (held) and 180 − 60 = 120 min (day 7): a 1.5-hour look-back sees only the hold.
		expect((await journeyLog(path, { ...daily, overdueWithinHours: 1.5 })).rows.map((row) => row.journeyId)).toEqual([lostHold]);
		expect((await journeyLog(path, { ...daily, overdueWithinHours: 24 })).rows.map((row) => row.journeyId)).toEqual([lost, lostHold]);
	});
});

describe('Journey Log reads the steps journeys wait for from the journey store', () => {
	const ago = (minutes: number) => new Date(Date.now() - minutes * 60_000).toISOString();
	const schedule = (name: string, workflowId: string, dueMinutesAgo: number, step = 'Reminder'): StepSchedule => ({
		journeyId: `visit:fhir:${name}`,
		patientKey: `fhir:pat-${name}`,
		workflowId,
		step,
		dueAt: ago(dueMinutesAgo),
		at: ago(3 * 24 * 60),
	});
	const waitEntry = (step: StepSchedule): JournalEntry => ({
		at: step.at,
		journeyId: step.journeyId,
		patientKey: step.patientKey,
		type: 'wait.scheduled',
		detail: { due: step.dueAt, sendAt: step.dueAt, step: step.step, workflowId: step.workflowId, untilResume: false },
	});
	const tomorrow = schedule('tomorrow', 'wf-visits', -24 * 60);
	const deleted = schedule('deleted-workflow', 'wf-deleted', 180);
	const setAside = schedule('set-aside', 'wf-visits', 120, 'Escalation');
	let path: string;

	beforeAll(async () => {
		path = join(tempDir(), 'journey.sqlite');
		const store = await openJourneyStore({ backend: 'sqlite', path, contactHashSecret: testContactHashSecret });
		try {
			for (const step of [tomorrow, deleted, setAside]) {
				await store.scheduleStep(step);
				await store.append(waitEntry(step));
			}
			const claim = { workflowId: 'wf-visits', steps: ['Escalation'], limit: 10, leaseMs: 600_000, leaseToken: 'lease-1', includeHeldUntilResume: true };
			expect(await store.claimDueSteps({ ...claim, now: ago(100) })).toHaveLength(1);
			expect(await store.setStepAside(setAside.journeyId, 'wf-visits', 'lease-1', 'attemptsUsedUp', ago(60))).toBe(true);
		} finally {
			await store.close();
		}
	});

	it('lists one item per waiting step, filtered by state and due time, as flat data table rows', async () => {
		const all = await journeyLog(path, { find: 'all', output: 'steps', order: 'oldest', returnAll: true });
		expect(all.error('Journey Log')).toBeUndefined();
		expect(all.rows.map((row) => [row.journeyId, row.workflowId, row.step, row.state])).toEqual([
			[deleted.journeyId, 'wf-deleted', 'Reminder', 'scheduled'],
			[setAside.journeyId, 'wf-visits', 'Escalation', 'failed'],
			[tomorrow.journeyId, 'wf-visits', 'Reminder', 'scheduled'],
		]);
		for (const row of all.rows) {
			expect(Object.keys(row)).toEqual(Object.keys(all.rows[0]));
			for (const column of Object.keys(row)) expect(column).toMatch(dataTableColumn);
		}
		const failed = await journeyLog(path, { find: 'all', output: 'steps', stepStates: ['failed'], order: 'oldest', returnAll: true });
		expect(failed.rows).toEqual([expect.objectContaining({ journeyId: setAside.journeyId, code: 'attemptsUsedUp', attempt: 1 })]);
		const dueBefore = await journeyLog(path, { find: 'all', output: 'steps', stepsDueBefore: ago(150), order: 'oldest', returnAll: true });
		expect(dueBefore.rows.map((row) => row.journeyId)).toEqual([deleted.journeyId]);
		const onePatient = await journeyLog(path, { find: 'patient', patientBy: 'patientKey', patientKey: tomorrow.patientKey, output: 'steps', returnAll: true });
		expect(onePatient.rows.map((row) => row.journeyId)).toEqual([tomorrow.journeyId]);
	});

	it('shows a journey waiting for its step, due when the store says', async () => {
		const { rows } = await journeyLog(path, { find: 'journey', journeyBy: 'journeyId', journeyId: tomorrow.journeyId, output: 'journeys', returnAll: true });
		expect(rows).toEqual([expect.objectContaining({ state: 'waiting', nextAt: tomorrow.dueAt, step: 'Reminder', stepWorkflowId: 'wf-visits', stepState: 'scheduled', stepAttempt: 0 })]);
	});

	it('reports, as the watchdog template asks, the step of a deleted workflow and the step set aside, saying why', async () => {
		const template = { find: 'all', period: 'lastDays', days: 400, types: 'wait.scheduled, touch.held', output: 'journeys', onlyOverdue: true, overdueGraceMinutes: 60, overdueWithinHours: 24, order: 'oldest', returnAll: true };
		const { rows, error } = await journeyLog(path, template);
		expect(error('Journey Log')).toBeUndefined();
		expect(rows.map((row) => [row.journeyId, row.state, row.overdueReason])).toEqual([
			[deleted.journeyId, 'waiting', 'step not resumed: workflow off, deleted or renamed step'],
			[setAside.journeyId, 'setAside', 'set aside: attemptsUsedUp'],
		]);
		expect(rows[0]).toMatchObject({ step: 'Reminder', stepWorkflowId: 'wf-deleted', stepDueAt: deleted.dueAt, nextAt: deleted.dueAt });
		expect(Date.parse(rows[0].overdueSince as string)).toBe(Date.parse(deleted.dueAt) + 60 * 60_000);
		expect(rows[1]).toMatchObject({ step: 'Escalation', stepState: 'failed', stepCode: 'attemptsUsedUp', nextAt: null });
	});
});

describe('Journey Log: a lookup by patient or day, as a timeline in plain words (the Journey Lookup template)', () => {
	const lookup = (parameters: INodeParameters) => journeyLog(storePath, { find: 'lookup', lookupEhr: 'fhir', output: 'timeline', order: 'oldest', returnAll: true, ...parameters });

	it('by patient: the whole journey, one line per event in the journey\'s zone, and no name (the journal has none)', async () => {
		const { rows, error } = await lookup({ lookupPatientId: 'pat-ana', lookupDay: '' });
		expect(error('Journey Log')).toBeUndefined();
		expect(rows).toEqual([
			{
				journeyId: anaVisit,
				patientKey: ana,
				patientId: 'pat-ana',
				kind: 'visit',
				state: 'booked',
				lines: [
					'Mon 2026-06-01 10:00 America/Chicago: Visit closed in the EHR; follow-up journey started',
					'Mon 2026-06-01 10:00 America/Chicago: Care summary sent by SMS',
					'Mon 2026-06-01 10:00 America/Chicago: Care summary sent by email',
					'Mon 2026-06-01 10:00 America/Chicago: Waiting to send the next message until Wed 2026-06-03 10:00 America/Chicago',
					'Wed 2026-06-03 10:00 America/Chicago: Checked the EHR: follow-up booked',
				],
				timeline: expect.stringMatching(/^Visit enc-1: follow-up booked\nMon 2026-06-01 10:00 America\/Chicago: Visit closed/),
			},
		]);
	});

	it('by day: every journey with an event that day, each with its whole journal; the patient key uses the practice ID', async () => {
		const { rows } = await lookup({ lookupDay: '2026-06-02' });
		expect(rows.map((row) => [row.journeyId, row.patientId, (row.lines as string[]).length])).toEqual([[johnVisit, 'pat-john', 3]]);
		const byPatient = await lookup({ lookupEhr: 'athenahealth', lookupPracticeId: '195900', lookupPatientId: 'pat-john' });
		expect(byPatient.rows.map((row) => row.journeyId)).toEqual([johnVisit, johnRecall]);
	});

	it('answers with one item saying nothing was found, so a form still shows a page', async () => {
		const { rows } = await lookup({ lookupPatientId: 'pat-zoe', lookupDay: '2026-06-02' });
		expect(rows).toEqual([expect.objectContaining({ journeyId: '', lines: [], timeline: 'No journey found for patient pat-zoe on 2026-06-02.' })]);
	});

	it('refuses a lookup with neither a patient nor a day, naming the field', async () => {
		const { rows, error } = await lookup({ lookupPatientId: '', lookupDay: '' });
		expect(rows).toEqual([]);
		expect(error('Journey Log')?.message).toMatch(/Give a "Patient ID" or a "Day"/);
	});
});

describe('Journey Log refuses bad input with the field named', () => {
	it.each<[string, INodeParameters, RegExp]>([
		['an empty patient ID', { find: 'patient', patientBy: 'ehrId', patientEhr: 'fhir', patientId: ' ' }, /"Patient ID" is empty/],
		['an empty journey ID', { find: 'journey', journeyBy: 'journeyId', journeyId: '' }, /"Journey ID" is empty/],
		['a type filter that is not a type', { find: 'all', types: 'touch.sent; drop' }, /"types" must be journal types/],
		['a custom period the wrong way round', { find: 'all', period: 'custom', from: '2026-06-03', to: '2026-06-01' }, /"to" must be after "from"/],
		['a due time that is not a date', { find: 'all', output: 'steps', stepsDueBefore: 'next week' }, /"stepsDueBefore" must be a date/],
	])('%s', async (_name, parameters, message) => {
		const { error, rows } = await journeyLog(storePath, { returnAll: true, ...parameters });
		expect(rows).toEqual([]);
		expect(error('Journey Log')?.message).toMatch(message);
	});

	it('emits an error item and goes on with "Continue On Fail"', async () => {
		const { rows, error } = await journeyLog(storePath, { find: 'patient', patientBy: 'patientKey', patientKey: '', returnAll: true }, [{ asked: 'nobody' }], { continueOnFail: true });
		expect(error('Journey Log')).toBeUndefined();
		expect(rows).toEqual([{ error: '"Patient Key" is empty', details: 'Check the field "patientKey".' }]);
	});
});
