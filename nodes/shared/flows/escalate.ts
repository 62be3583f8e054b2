import { DateTime } from 'luxon';

import { localDateOf } from '../core/cadence';
import { composeMessage } from '../core/compose';
import { DomainError } from '../core/errors';
import { assigneeIdFor } from '../core/practice';
import type { PracticeProfile, StaffMember } from '../core/practice';
import type { JourneyEvent } from '../core/schemas';
import { withStep } from '../core/trail';
import type { JourneyTrail } from '../core/trail';
import { EhrUnreachableError } from '../ehr/http';
import type { EhrAdapter, Escalation, TaskResult } from '../ehr/types';
import type { JourneyStore } from '../store/types';
import { primaryAction } from './messageVars';
import { unknownSender } from './patientReply';
import type { PatientReplyItem } from './patientReply';
import type { DeliveryOutcome, MessageSenders } from './sendTouch';
import { completeResumedStep } from './steps';

export interface EscalateInput {
	event: JourneyEvent;
	trail: JourneyTrail;
	adapter: EhrAdapter;
	store: JourneyStore;
	profile: PracticeProfile;
	senders: MessageSenders;
	/** The staff directory key of the assignee. */
	assigneeKey: string;
	dueInHours: number;
	priority: 'routine' | 'urgent';
	/** Why a person must act, e.g. "not booked after 7 days", "no reachable channel". */
	reason: string;
	now: string;
	nodeName: string;
	/** A manual run: show the task, create nothing, tell nobody. */
	preview?: boolean;
}

export interface EscalateOutcome {
	/** `preview`: a manual run's task, not created. */
	task: TaskResult & { existing: boolean; preview?: { title: string; note: string; dueAt: string; assignee: string } };
	notified: { channel: 'email' | 'sms'; status: DeliveryOutcome['status'] | 'skipped'; providerId?: string };
	trail: JourneyTrail;
}

function assigneeFrom(profile: PracticeProfile, key: string): StaffMember {
	const member = profile.staff.find((staff) => staff.key === key);
	if (!member) {
		throw new DomainError(`No staff member with key "${key}" in the practice profile's staff directory`, 'unknown_assignee', 'assignee');
	}
	return member;
}

/** The note a coordinator reads in the worklist: what is open, what was tried, why a person is needed. */
export function escalationNote(event: JourneyEvent, trail: JourneyTrail, reason: string): string {
	const action = primaryAction(event);
	const tried = trail.steps
		.filter((step) => step.outcome === 'sent' || step.outcome === 'failed')
		.map((step) => `stage ${step.stage ?? '?'} ${step.channel ?? ''} ${step.outcome} ${step.at.slice(0, 16).replace('T', ' ')} UTC`);
	const visitLine = event.kind === 'visit' ? `Visit completed ${event.visitDate}.` : `Recall due ${event.dueDate}.`;
	return [
		`${visitLine} Reason for this task: ${reason}.`,
		action ? `Open item: ${action.description}${action.orderId ? ` (order ${action.orderId})` : ''}.` : 'No open item was named by the EHR.',
		tried.length ? `Automated contact so far: ${tried.join('; ')}.` : 'No automated message reached the patient.',
		`Please call the patient (preferred language: ${event.patient.language}) and book it.`,
	].join('\n');
}

async function notifyAssignee(
	member: StaffMember,
	senders: MessageSenders,
	vars: Record<string, string | undefined>,
): Promise<EscalateOutcome['notified']> {
	const order: Array<'email' | 'sms'> = member.notifyBy === 'sms' ? ['sms', 'email'] : ['email', 'sms'];
	let last: EscalateOutcome['notified'] = { channel: order[0], status: 'skipped' };
	for (const channel of order) {
		const address = channel === 'email' ? member.email : member.phone;
		const send = senders[channel];
		if (!address || !send) continue;
		const message = composeMessage({ template: 'staffNotification', channel, language: 'en', vars });
		const outcome =
			channel === 'email'
				? await (send as NonNullable<MessageSenders['email']>)(address, message.subject ?? '', message.text, message.html)
				: await (send as NonNullable<MessageSenders['sms']>)(address, message.text);
		last = { channel, status: outcome.status, providerId: outcome.status === 'sent' ? outcome.providerId : undefined };
		if (outcome.status === 'sent') return last;
	}
	return last;
}

type TaskJournal = { journeyId: string; patientKey: string; stage?: number };

/**
 * Creates an EHR task once per claim key: a re-run finds the task the first run created, and a claim another
 * execution holds (or a crash left) is reported rather than risking a second task. A failed create releases the
 * claim, except when the EHR may have created the task without our hearing back (a timed-out write) and cannot
 * find it again (athenahealth): then the claim stays, exactly as after a crash, and the error says to check the
 * worklist.
 */
async function createTaskOnce(
	store: JourneyStore,
	adapter: EhrAdapter,
	key: string,
	journal: TaskJournal,
	now: string,
	what: 'journey' | 'reply',
	create: () => Promise<TaskResult>,
	recordCreated: (created: TaskResult) => Promise<void>,
): Promise<EscalateOutcome['task']> {
	if (!(await store.claim(key, { ...journal, channel: 'task' }, now))) {
		const existing = await store.getClaim(key);
		if (existing?.state !== 'sent' || !existing.providerId) {
			throw new DomainError(
				`A task for this ${what} was being created by another execution (or it crashed meanwhile): check the EHR worklist before retrying`,
				'task_unknown',
				'task',
			);
		}
		return { taskId: existing.providerId, kind: 'task', created: false, existing: true };
	}
	let created: TaskResult;
	try {
		created = await create();
	} catch (error) {
		if (error instanceof EhrUnreachableError && error.uncertain && !adapter.findsEarlierTasks) {
			// The entry the stale-claim report would write later, now: ops see the open question at once.
			await store.append({ ...journal, at: now, type: 'claim.unknown', channel: 'task', code: error.code, detail: { claimKey: key, claimedAt: now } });
			throw new DomainError(
				`${error.message} while creating the task for this ${what}: it may be in the EHR worklist. Check the worklist; this ${what} will not get a second task from a retry.`,
				'task_uncertain',
				'task',
			);
		}
		await store.release(key, now);
		throw error;
	}
	await store.markSent(key, created.taskId, now);
	await recordCreated(created);
	return { ...created, existing: !created.created };
}

/** Whether this task's last assignment, by the journal, failed (a retry then assigns it again). */
async function assignmentFailedBefore(store: JourneyStore, journal: TaskJournal, taskId: string): Promise<boolean> {
	const entries = await store.journal({ journeyId: journal.journeyId, providerId: taskId });
	const last = entries.filter((entry) => entry.type === 'task.assignmentFailed' || entry.type === 'task.assigned').pop();
	return last?.type === 'task.assignmentFailed';
}

/**
 * The task reached its assignee, or this fails: an unassigned task sits in no one's worklist, so its failed
 * assignment is journaled and thrown (error output, Error Alert) and nobody is told a task is waiting. The task
 * itself stays single: a retry finds it by its claim and only assigns it again (after the username is fixed).
 */
async function assignedOrThrow(
	input: Pick<EscalateInput, 'adapter' | 'store' | 'now'>,
	member: StaffMember,
	journal: TaskJournal,
	task: EscalateOutcome['task'],
	escalation: Escalation,
): Promise<void> {
	const { adapter, store, now } = input;
	let assignment: TaskResult['assignment'] = task.assignment;
	const retried = task.existing && adapter.assignTask !== undefined && (await assignmentFailedBefore(store, journal, task.taskId));
	if (retried) {
		assignment = (await adapter.assignTask!(task.taskId, escalation)).assignment;
		task.assignment = assignment;
	}
	if (assignment === 'failed') {
		await store.append({ ...journal, at: now, type: 'task.assignmentFailed', channel: 'task', providerId: task.taskId, code: 'assignmentFailed' });
		throw new DomainError(
			`Task ${task.taskId} is in the EHR worklist but could not be assigned to ${member.name} (EHR user id "${escalation.assigneeId ?? ''}"), so ${member.name} was not told about it. Check their EHR user id in the practice profile's staff directory, then retry: the task will not be created twice.`,
			'task_not_assigned',
			'assignee',
		);
	}
	if (retried) await store.append({ ...journal, at: now, type: 'task.assigned', channel: 'task', providerId: task.taskId });
}

/** Tells the assignee about the task and journals it; when nobody could be told, fails so the run is retried (the task stays single). */
async function notifyOrThrow(
	member: StaffMember,
	input: Pick<EscalateInput, 'senders' | 'profile' | 'store' | 'now'>,
	journal: TaskJournal,
	task: EscalateOutcome['task'],
	vars: Record<string, string | undefined>,
): Promise<EscalateOutcome['notified']> {
	const notified = await notifyAssignee(member, input.senders, {
		assigneeName: member.name,
		practiceName: input.profile.practiceName,
		taskLink: task.url ?? task.reference ?? `EHR worklist, task ${task.taskId}`,
		...vars,
	});
	await input.store.append({
		...journal,
		at: input.now,
		type: notified.status === 'sent' ? 'staff.notified' : 'staff.notifyFailed',
		channel: notified.channel,
		code: notified.status,
	});
	if (notified.status !== 'sent') {
		throw new DomainError(
			`Task ${task.taskId} is in the EHR worklist, but ${member.name} could not be notified (${notified.channel}: ${notified.status}). Check their email/phone in the staff directory and the email/SMS credentials, then retry: the task will not be created twice.`,
			'assignee_not_notified',
			'staff',
		);
	}
	return notified;
}

/**
 * Puts the journey in a person's hands: one task in the EHR worklist per journey (a claim makes re-runs
 * return the same task), then the assignee is told on their own channel so the task is not left unseen.
 */
export async function escalate(input: EscalateInput): Promise<EscalateOutcome> {
	const { event, store, now } = input;
	const member = assigneeFrom(input.profile, input.assigneeKey);
	const journal = { journeyId: input.trail.journeyId, patientKey: input.trail.patientKey, stage: 3 };
	const escalation = escalationFor(input, member);
	if (input.preview) return previewOf(input, escalation, member);
	const task = await createTaskOnce(
		store,
		input.adapter,
		`task:${input.trail.journeyId}`,
		journal,
		now,
		'journey',
		async () => await input.adapter.createTask(escalation),
		async (created) => {
			await store.recordTouch({ ...journal, localDate: localDateOf(now, event.zone), at: now });
			await store.append({ ...journal, at: now, type: 'task.created', channel: 'task', providerId: created.taskId, code: created.kind });
		},
	);
	await assignedOrThrow(input, member, journal, task, escalation);
	const action = primaryAction(event);
	const notified = await notifyOrThrow(member, input, journal, task, {
		actionType: action?.type,
		actionDescription: action?.description,
		visitDate: event.kind === 'visit' ? event.visitDate : event.dueDate,
	});
	const trail = withStep(input.trail, {
		at: now,
		node: input.nodeName,
		stage: 3,
		outcome: 'escalated',
		channel: 'task',
		providerId: task.taskId,
		reason: `${input.reason}; assignee notified by ${notified.channel}: ${notified.status}`,
	});
	// A person has the journey now: the step it was resumed from is done.
	return { task, notified, trail: await completeResumedStep(store, trail, now, 'task') };
}

/** The task as the EHR will get it: who, what is open, what was tried, by when. */
function escalationFor(input: EscalateInput, member: StaffMember): Escalation {
	const { event, now } = input;
	const action = primaryAction(event);
	return {
		journeyId: input.trail.journeyId,
		patientId: event.patientId,
		practiceId: event.practiceId,
		departmentId: event.departmentId,
		visitId: event.kind === 'visit' ? event.visitId : undefined,
		visitType: event.kind === 'visit' ? event.visitType : undefined,
		orderIds: action?.orderId ? [action.orderId] : [],
		title: event.kind === 'visit' ? 'Call patient: post-visit follow-up not done' : 'Call patient: recall due',
		note: escalationNote(event, input.trail, input.reason),
		dueAt: DateTime.fromISO(now).plus({ hours: input.dueInHours }).toUTC().toISO() as string,
		priority: input.priority,
		assigneeId: assigneeIdFor(member, event.ehr),
		callbackNumber: event.patient.phones[0]?.number,
	};
}

/** A manual run: the task that would be created and who would be told, with nothing created or sent. */
function previewOf(input: EscalateInput, escalation: Escalation, member: StaffMember): EscalateOutcome {
	const trail = withStep(input.trail, { at: input.now, node: input.nodeName, stage: 3, outcome: 'preview', channel: 'task', reason: input.reason });
	return {
		task: { taskId: '', kind: 'task', created: false, existing: false, preview: { title: escalation.title, note: escalation.note, dueAt: escalation.dueAt, assignee: member.name } },
		notified: { channel: member.notifyBy, status: 'skipped' },
		trail,
	};
}

export interface EscalateReplyInput extends Omit<EscalateInput, 'event' | 'trail' | 'reason'> {
	reply: PatientReplyItem;
}

export type EscalateReplyOutcome = Omit<EscalateOutcome, 'trail'>;

/** SMS allows 1600 characters; anything longer is not a patient's text. */
const replyTextLimit = 1600;

/** The note of a reply task: the patient's own words (EHR worklist only, never the journal), and what they answer. */
export function replyTaskNote(reply: PatientReplyItem): string {
	const received = `${reply.receivedAt.slice(0, 16).replace('T', ' ')} UTC`;
	const text = reply.text.length > replyTextLimit ? `${reply.text.slice(0, replyTextLimit - 1)}…` : reply.text;
	const journey = reply.journey;
	const about = !journey
		? 'No post-visit or recall message went to this number, so the sender is unknown: check who it is before answering.'
		: journey.kind === 'recall'
			? `It answers the recall messages (recall ${journey.sourceId}, due ${localDateOf(journey.anchorAt, journey.zone)}).`
			: `It answers the post-visit messages about ${journey.sourceType} ${journey.sourceId} (visit closed ${localDateOf(journey.anchorAt, journey.zone)}).`;
	return [
		`Text message received ${received} from ${reply.from}:`,
		`"${text}"`,
		about,
		'Please read it and answer the patient (call back or text).',
	].join('\n');
}

/**
 * A patient's text no keyword answers, put in a person's hands: one EHR task per message (claimed by MessageSid,
 * so a re-run returns the same task), then the assignee is told on their own channel. Unlike a stage-3 escalation
 * it is not a touch: it counts toward no cap and ends no journey.
 */
export async function escalateReply(input: EscalateReplyInput): Promise<EscalateReplyOutcome> {
	const { reply, store, now } = input;
	const member = assigneeFrom(input.profile, input.assigneeKey);
	const journey = reply.journey;
	const journal = { journeyId: journey?.journeyId ?? unknownSender, patientKey: journey?.patientKey ?? unknownSender };
	const escalation = replyEscalationFor(input, member, journal.journeyId);
	if (input.preview) {
		const preview = { title: escalation.title, note: escalation.note, dueAt: escalation.dueAt, assignee: member.name };
		return { task: { taskId: '', kind: 'task', created: false, existing: false, preview }, notified: { channel: member.notifyBy, status: 'skipped' } };
	}
	const task = await createTaskOnce(
		store,
		input.adapter,
		`task:reply:${reply.messageSid}`,
		journal,
		now,
		'reply',
		async () => await input.adapter.createTask(escalation),
		async (created) => {
			await store.append({
				...journal,
				at: now,
				type: 'task.created',
				channel: 'task',
				providerId: created.taskId,
				code: created.kind,
				detail: { reason: 'patientReply', replySid: reply.messageSid },
			});
		},
	);
	await assignedOrThrow(input, member, journal, task, escalation);
	const notified = await notifyOrThrow(member, input, journal, task, {});
	return { task, notified };
}

/** The worklist task of a patient's text. */
function replyEscalationFor(input: EscalateReplyInput, member: StaffMember, journeyId: string): Escalation {
	const { reply, now } = input;
	const journey = reply.journey;
	const isVisit = journey !== undefined && journey.kind === 'visit';
	return {
		journeyId,
		taskKey: `reply:${reply.messageSid}`,
		patientId: journey?.patientId,
		practiceId: journey?.practiceId,
		departmentId: journey?.departmentId,
		visitId: isVisit ? journey.sourceId : undefined,
		visitType: isVisit && journey.sourceType !== 'recall' ? journey.sourceType : undefined,
		orderIds: [],
		title: journey ? 'Patient replied by text: read and answer' : 'Text from an unknown number: read and answer',
		note: replyTaskNote(reply),
		dueAt: DateTime.fromISO(now).plus({ hours: input.dueInHours }).toUTC().toISO() as string,
		priority: input.priority,
		assigneeId: assigneeIdFor(member, input.adapter.kind),
		callbackNumber: reply.from,
	};
}
