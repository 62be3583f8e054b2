import { DomainError } from '../../../nodes/shared/core/errors';
import { EhrHttpError } from '../../../nodes/shared/ehr/http';
import type { Escalation } from '../../../nodes/shared/ehr/types';
import { addTaskStatus, apiCalls, context, startFixture } from './fixtures';
import type { Fixture } from './fixtures';

const escalation: Escalation = {
	journeyId: 'visit:drchrono:9001',
	patientId: '5001',
	visitId: '9001',
	visitType: 'appointment',
	orderIds: ['lab-77', 'medication-501'],
	title: 'Follow-up not booked – call patient',
	note: 'Stage 3: no follow-up booked 7 days after the visit of 2026-03-10. SMS on day 0 and day 2, no reply.',
	dueAt: '2026-03-17T22:00:00Z',
	priority: 'urgent',
	assigneeId: 'carecoord',
};

describe('DrChrono createTask', () => {
	let fixture: Fixture;
	beforeEach(async () => {
		fixture = await startFixture();
	});
	afterEach(async () => {
		await fixture.server.close();
	});

	const onlyTask = () => {
		const tasks = [...fixture.server.state.tasks.values()];
		expect(tasks).toHaveLength(1);
		return tasks[0]!;
	};
	const notesOf = (taskId: number) => [...fixture.server.state.taskNotes.values()].filter((note) => note.task === taskId);

	it('creates an open task on the patient and the appointment, then adds the note', async () => {
		const result = await fixture.adapter().createTask(escalation);
		const task = onlyTask();
		expect(result).toEqual({ taskId: String(task.id), kind: 'task', created: true });
		expect(task).toMatchObject({
			title: 'Follow-up not booked – call patient',
			status: 11,
			assignee_user: 'carecoord',
			assignee_group: null,
			priority: '30',
			// 22:00Z is 17:00 in the connected doctor's zone (CDT), written naive as DrChrono does.
			due_date: { time: '2026-03-17T17:00:00' },
			associated_items: [
				{ task: task.id, type: 'Patient', value: 5001 },
				{ task: task.id, type: 'Appointment', value: 9001 },
				{ task: task.id, type: 'Lab order', value: 77 },
			],
		});
		expect(notesOf(task.id).map((note) => note.text)).toEqual([escalation.note]);
		expect(apiCalls(fixture.server, '/api/users/current')).toHaveLength(1);
	});

	it('is idempotent: the second call finds the open task, adds no second task and no second note', async () => {
		const adapter = fixture.adapter();
		const first = await adapter.createTask(escalation);
		const second = await adapter.createTask(escalation);
		expect(second).toEqual({ taskId: first.taskId, kind: 'task', created: false });
		expect(notesOf(onlyTask().id)).toHaveLength(1);
		expect(apiCalls(fixture.server, '/api/task_statuses')).toHaveLength(1);
		expect(apiCalls(fixture.server, '/api/tasks', 'POST')).toHaveLength(1);
	});

	it('finds the task with a fresh adapter too (a re-run), and adds the note a crash left out', async () => {
		await fixture.adapter().createTask(escalation);
		const task = onlyTask();
		for (const note of notesOf(task.id)) fixture.server.state.taskNotes.delete(note.id);

		const again = await fixture.adapter().createTask(escalation);
		expect(again).toEqual({ taskId: String(task.id), kind: 'task', created: false });
		expect(notesOf(task.id).map((note) => note.text)).toEqual([escalation.note]);
	});

	it.each([
		['in progress (P)', false, 12],
		['on hold (H)', false, 14],
		['complete (C)', true, 13],
	])('with the earlier task %s, a new task is created: %s', async (_label, createsNew, statusId) => {
		addTaskStatus(fixture.server, { id: 14, status_category: 'H' });
		await fixture.adapter().createTask(escalation);
		onlyTask().status = statusId;
		const again = await fixture.adapter().createTask(escalation);
		expect(again.created).toBe(createsNew);
		expect(fixture.server.state.tasks.size).toBe(createsNew ? 2 : 1);
	});

	it('does not mistake a staff task on the same appointment for the escalation', async () => {
		await fixture.adapter().createTask({ ...escalation, title: 'Scan insurance card' });
		const result = await fixture.adapter().createTask(escalation);
		expect(result.created).toBe(true);
		expect(fixture.server.state.tasks.size).toBe(2);
	});

	it('ignores an archived task', async () => {
		await fixture.adapter().createTask(escalation);
		onlyTask().archived = true;
		expect((await fixture.adapter().createTask(escalation)).created).toBe(true);
	});

	it('assigns a user group for "group:<id>" and routine priority as Medium (20)', async () => {
		await fixture.adapter().createTask({ ...escalation, assigneeId: 'group:41', priority: 'routine' });
		expect(onlyTask()).toMatchObject({ assignee_user: null, assignee_group: 41, priority: '20' });
	});

	it('anchors on the patient when the visit is not an appointment', async () => {
		const byPatient: Escalation = { ...escalation, visitId: undefined, visitType: undefined, orderIds: [] };
		const first = await fixture.adapter().createTask(byPatient);
		expect(onlyTask().associated_items.map((item) => item.type)).toEqual(['Patient']);
		expect(await fixture.adapter().createTask(byPatient)).toEqual({ ...first, created: false });
	});

	it('prefers a global open status over one tied to a task category', async () => {
		fixture.server.state.taskStatuses.clear();
		addTaskStatus(fixture.server, { id: 21, status_category: 'O', task_category: 5 });
		addTaskStatus(fixture.server, { id: 22, status_category: 'O' });
		await fixture.adapter().createTask(escalation);
		expect(onlyTask().status).toBe(22);
	});

	it('truncates a long note instead of failing', async () => {
		await fixture.adapter().createTask({ ...escalation, note: 'x'.repeat(5000) });
		const [note] = notesOf(onlyTask().id);
		expect(note!.text).toHaveLength(4000);
		expect(note!.text.endsWith('…')).toBe(true);
	});

	it('uses the adapter default zone when the connected doctor has none', async () => {
		fixture.server.state.doctors.get(1001)!.timezone = '';
		await expect(fixture.adapter().createTask(escalation)).rejects.toMatchObject({ code: 'missing_zone' });
		await fixture.adapter({ defaultZone: 'America/New_York' }).createTask(escalation);
		expect(onlyTask().due_date).toEqual({ time: '2026-03-17T18:00:00' });
	});

	it.each<[string, Partial<Escalation>, string]>([
		['no assignee', { assigneeId: undefined }, 'missing_assignee'],
		['a blank assignee', { assigneeId: '  ' }, 'missing_assignee'],
		['a group that is not a number', { assigneeId: 'group:coordinators' }, 'invalid_input'],
		['a patient id that is not a number', { patientId: 'a-1' }, 'invalid_input'],
		['a due time that is not a date-time', { dueAt: 'next week' }, 'invalid_input'],
	])('refuses %s with a DomainError', async (_label, change, code) => {
		const error = await fixture.adapter().createTask({ ...escalation, ...change }).catch((caught: unknown) => caught);
		expect(error).toBeInstanceOf(DomainError);
		expect(error).toMatchObject({ code });
		expect(fixture.server.state.tasks.size).toBe(0);
	});

	it('says so when DrChrono has no open task status', async () => {
		fixture.server.state.taskStatuses.clear();
		addTaskStatus(fixture.server, { id: 13, status_category: 'C' });
		await expect(fixture.adapter().createTask(escalation)).rejects.toMatchObject({ code: 'missing_task_status' });
	});

	it('maps DrChrono field errors to field names only (no submitted values)', async () => {
		const error = await fixture.adapter().createTask({ ...escalation, assigneeId: 'maria.lopez@example.org' }).catch((caught: unknown) => caught);
		expect(error).toBeInstanceOf(EhrHttpError);
		expect(error).toMatchObject({ status: 400, vendorMessage: 'creating the task: rejected the request (fields: assignee_user)' });
		expect((error as Error).message).not.toContain('maria');
	});
});

describe('DrChrono pollRecalls', () => {
	it('is not supported: DrChrono\'s v4 API has no recall list', async () => {
		const fixture = await startFixture();
		try {
			const error = await fixture.adapter().pollRecalls({ from: '2026-04-01', to: '2026-04-30' }, context).catch((caught: unknown) => caught);
			expect(error).toBeInstanceOf(DomainError);
			expect(error).toMatchObject({ code: 'not_supported', message: expect.stringContaining('no recall list') });
			expect(fixture.server.requests).toHaveLength(0);
		} finally {
			await fixture.server.close();
		}
	});
});
