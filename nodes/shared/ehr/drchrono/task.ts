import { DateTime } from 'luxon';

import { DomainError } from '../../core/errors';
import type { Escalation, TaskResult } from '../types';
import { numericId, truncate, vendor } from './client';
import { missingZone } from './lookups';
import { naiveLocal } from './mapping';
import type { DrChronoShared } from './options';
import { taskNoteSchema, taskSchema } from './schemas';
import type { DrChronoTask, DrChronoTaskStatus } from './schemas';

const taskTitleMax = 120;
const taskNoteMax = 4000;

function assigneeOf(assigneeId: string | undefined): { assignee_user: string } | { assignee_group: number } {
	const value = assigneeId?.trim();
	if (!value) {
		throw new DomainError(
			'A DrChrono task needs an assignee: set the staff member\'s DrChrono user id, or "group:<id>" for a user group',
			'missing_assignee',
			'assigneeId',
		);
	}
	if (value.toLowerCase().startsWith('group:')) {
		return { assignee_group: numericId(value.slice('group:'.length).trim(), 'assigneeId') };
	}
	return { assignee_user: value };
}

function isSameEscalation(task: DrChronoTask, escalation: Escalation, title: string): boolean {
	if (task.archived) return false;
	const items = task.associated_items ?? [];
	const has = (type: string, value: string) => items.some((item) => item.type === type && item.value === value);
	const anchored =
		escalation.visitType === 'appointment' && escalation.visitId
			? has('Appointment', escalation.visitId)
			: escalation.patientId !== undefined && has('Patient', escalation.patientId);
	// The title too: a task staff made by hand on the same appointment is not ours.
	return anchored && (task.title ?? '').trim() === title;
}

function associatedItemsOf(escalation: Escalation): Array<{ type: string; value: number }> {
	// A text from a number no journey reached has no patient: the task stands alone in the worklist.
	const items = escalation.patientId === undefined ? [] : [{ type: 'Patient', value: numericId(escalation.patientId, 'patientId') }];
	if (escalation.visitType === 'appointment' && escalation.visitId) {
		items.push({ type: 'Appointment', value: numericId(escalation.visitId, 'visitId') });
	}
	for (const orderId of escalation.orderIds ?? []) {
		const lab = /^lab-(\d+)$/.exec(orderId);
		if (lab) items.push({ type: 'Lab order', value: Number(lab[1]) });
	}
	return items;
}

/**
 * createTask of the DrChrono adapter: an open task with the same title on the same appointment (or patient) is
 * returned instead of a second one, so a create whose answer was lost may run again; the note goes in a task note.
 */
export function createTaskCreator({ client, lookups, defaultZone }: DrChronoShared) {
	async function ensureNote(task: DrChronoTask, note: string): Promise<void> {
		const notes = task.notes ?? (await client.listAll('/api/task_notes', { task: task.id }, taskNoteSchema, 'listing task notes'));
		if (notes.some((existing) => !existing.archived && (existing.text ?? '').trim() === note)) return;
		await client.send({ method: 'POST', url: '/api/task_notes', body: { task: numericId(task.id, 'taskId'), text: note } }, 'adding the task note');
	}

	async function existingTask(statuses: DrChronoTaskStatus[], escalation: Escalation, title: string): Promise<DrChronoTask | undefined> {
		const unfinished = statuses.filter((status) => ['O', 'P', 'H'].includes(status.status_category ?? ''));
		for (const status of unfinished) {
			const tasks = await client.listAll('/api/tasks', { status: status.id, verbose: true }, taskSchema, 'listing open tasks');
			const existing = tasks.find((task) => isSameEscalation(task, escalation, title));
			if (existing) return existing;
		}
		return undefined;
	}

	return async function createTask(escalation: Escalation): Promise<TaskResult> {
		const assignee = assigneeOf(escalation.assigneeId);
		const associatedItems = associatedItemsOf(escalation);
		const dueAt = DateTime.fromISO(escalation.dueAt, { setZone: true });
		if (!dueAt.isValid) throw new DomainError('Escalation: "dueAt" must be an ISO date-time', 'invalid_input', 'dueAt');
		const title = truncate(escalation.title, taskTitleMax);
		const note = truncate(escalation.note, taskNoteMax);
		if (!title) throw new DomainError('Escalation: "title" is empty', 'invalid_input', 'title');

		const statuses = (await lookups.taskStatuses()).filter((status) => !status.archived);
		const openStatuses = statuses.filter((status) => status.status_category === 'O');
		const openStatus = openStatuses.find((status) => !status.task_category) ?? openStatuses[0];
		if (!openStatus) {
			throw new DomainError('DrChrono has no open task status (category O): add one under Tasks settings', 'missing_task_status', 'status');
		}
		const existing = await existingTask(statuses, escalation, title);
		if (existing) {
			if (note) await ensureNote(existing, note);
			return { taskId: existing.id, kind: 'task', created: false };
		}

		const zone = (await lookups.accountZone()) ?? defaultZone;
		if (!zone) throw missingZone('defaultZone');
		const body = {
			title,
			status: /^\d+$/.test(openStatus.id) ? Number(openStatus.id) : openStatus.id,
			...assignee,
			priority: escalation.priority === 'urgent' ? '30' : '20',
			due_date: { time: naiveLocal(dueAt, zone) },
			associated_items: associatedItems,
		};
		const created = vendor(taskSchema, await client.send({ method: 'POST', url: '/api/tasks', body }, 'creating the task'));
		if (note) {
			await client.send(
				{ method: 'POST', url: '/api/task_notes', body: { task: numericId(created.id, 'taskId'), text: note } },
				'adding the task note',
			);
		}
		return { taskId: created.id, kind: 'task', created: true };
	};
}
