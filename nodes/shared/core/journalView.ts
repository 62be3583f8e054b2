import { DateTime } from 'luxon';

import { DomainError } from './errors';
import type { JournalEntry } from './journal';

/*
 * The journal as ops read it: one flat row per entry, or one row per journey summarising where it stands.
 * Rows are flat (strings, numbers, booleans, null; the same columns every time) so n8n's stock Data Table
 * node can insert them as they are.
 */

/** What the store knows of a journey's start (the journey store's JourneyRecord fits). */
export interface ViewJourneyFacts {
	journeyId: string;
	patientKey: string;
	kind: 'visit' | 'recall';
	ehr: string;
	departmentId?: string;
	sourceId: string;
	anchorAt: string;
	startedAt: string;
	zone: string;
}

/**
 * A journey's next step in one workflow as the journey store schedules it (the store's ScheduledStep fits):
 * scheduled (waiting for its time), claimed (handed to an execution under a lease), failed (set aside for a
 * person), orphaned (due, and its workflow's trigger has no output of its name).
 */
export interface ViewStep {
	journeyId: string;
	patientKey: string;
	workflowId: string;
	step: string;
	dueAt: string;
	untilResume: boolean;
	state: 'scheduled' | 'claimed' | 'failed' | 'orphaned';
	attempt: number;
	leaseUntil?: string;
	code?: string;
	scheduledAt: string;
	updatedAt: string;
}

export interface JournalRow {
	[column: string]: string | number | boolean | null;
	/** A stable key of the entry (time, journey, type, stage, channel, provider id), for an upsert that skips repeats. */
	entryKey: string;
	at: string;
	journeyId: string;
	patientKey: string;
	type: string;
	stage: number | null;
	channel: string | null;
	code: string | null;
	providerId: string | null;
	templateId: string | null;
	/** The entry's small detail object as compact JSON, or null. */
	detail: string | null;
}

export type JourneyState =
	| 'booked'
	| 'done'
	| 'cancelled'
	| 'escalated'
	| 'waiting'
	| 'held'
	| 'toStaff'
	| 'inProgress'
	/** A step held while the practice's outreach is paused: it falls due when outreach resumes. */
	| 'paused'
	/** A step handed to an execution right now (claimed under a lease). */
	| 'resuming'
	/** A step set aside for a person (attempts used up, too late, the journey gone): see `stepCode`. */
	| 'setAside'
	/** A step due, but its workflow's Journey Due Trigger has no output of its name (a renamed step). */
	| 'orphaned'
	/** The EHR says the journey is no longer due (the visit is no longer completed, the recall closed). */
	| 'ended'
	/** Only event-level entries (a duplicate delivery, a visit not completed): no journey started. */
	| 'eventOnly';

export interface JourneySummaryRow {
	[column: string]: string | number | boolean | null;
	journeyId: string;
	patientKey: string;
	kind: string;
	ehr: string | null;
	departmentId: string | null;
	sourceId: string | null;
	zone: string | null;
	anchorAt: string | null;
	startedAt: string | null;
	state: JourneyState;
	/** Stages that had a message sent, e.g. "1,2". */
	stagesSent: string;
	/** Channels that carried a message, e.g. "email,sms". */
	channels: string;
	firstSentAt: string | null;
	booked: boolean;
	bookedAt: string | null;
	/** The last Booking Check's answer: open, booked, done, visitCancelled, noShow. */
	lastBookingCheck: string | null;
	taskId: string | null;
	taskAt: string | null;
	/** A send is in the crash window or was reported unknown: a person should check whether it went out. */
	checkNeeded: boolean;
	optOutsRecorded: number;
	lastEventType: string;
	lastEventAt: string;
	/** When a waiting or held journey is due to continue: its scheduled step's due time, or what the journal says. */
	nextAt: string | null;
	entries: number;
	/** The journey's step in the journey store (the most pressing one, when several workflows hold one). */
	step: string | null;
	stepWorkflowId: string | null;
	stepState: ViewStep['state'] | null;
	stepAttempt: number | null;
	stepDueAt: string | null;
	/** Why the step was retried or set aside, e.g. attemptsUsedUp, late, unknownJourney. */
	stepCode: string | null;
	/** Only with the overdue rule: why the journey needs a person, e.g. "set aside: attemptsUsedUp". */
	overdueReason: string | null;
	/** Only with the overdue rule: when it became overdue (due time + grace, or when it was set aside). */
	overdueSince: string | null;
}

/** One scheduled step as a flat table row: what a journey waits for, in which workflow, and when. */
export interface StepRow {
	[column: string]: string | number | boolean | null;
	/** Journey and workflow: a step's key in the store, for an upsert. */
	stepKey: string;
	journeyId: string;
	patientKey: string;
	workflowId: string;
	step: string;
	state: ViewStep['state'];
	dueAt: string;
	untilResume: boolean;
	attempt: number;
	leaseUntil: string | null;
	code: string | null;
	scheduledAt: string;
	updatedAt: string;
}

const typePattern = /^[A-Za-z0-9_.-]+\*?$/;

/** Parses "touch.*, followup.booked" into patterns; a trailing `*` matches a prefix. Empty text: every type. */
export function parseTypeFilter(text: string | undefined): string[] {
	const patterns = String(text ?? '')
		.split(/[,\s]+/)
		.map((part) => part.trim())
		.filter(Boolean);
	for (const pattern of patterns) {
		if (!typePattern.test(pattern)) {
			throw new DomainError('"types" must be journal types such as touch.sent or touch.* (comma-separated)', 'invalid_input', 'types');
		}
	}
	return patterns;
}

/** True when the type matches one of the patterns (or there are none). */
export function typeMatches(patterns: readonly string[], type: string): boolean {
	if (patterns.length === 0) return true;
	return patterns.some((pattern) => (pattern.endsWith('*') ? type.startsWith(pattern.slice(0, -1)) : type === pattern));
}

/** The one exact type a store query can filter on, when the patterns name exactly one. */
export function exactType(patterns: readonly string[]): string | undefined {
	return patterns.length === 1 && !patterns[0].endsWith('*') ? patterns[0] : undefined;
}

/** A journal entry as a flat table row; missing fields are null so every row has the same columns. */
export function journalRowOf(entry: JournalEntry): JournalRow {
	return {
		entryKey: [
			DateTime.fromISO(entry.at, { setZone: true }).toMillis(),
			entry.journeyId,
			entry.type,
			entry.stage ?? '',
			entry.channel ?? '',
			entry.providerId ?? '',
		].join('|'),
		at: entry.at,
		journeyId: entry.journeyId,
		patientKey: entry.patientKey,
		type: entry.type,
		stage: entry.stage ?? null,
		channel: entry.channel ?? null,
		code: entry.code ?? null,
		providerId: entry.providerId ?? null,
		templateId: entry.templateId ?? null,
		detail: entry.detail && Object.keys(entry.detail).length ? JSON.stringify(entry.detail) : null,
	};
}

/** Entries ordered by time, then as given (the store's insertion order), newest or oldest first. */
export function orderEntries<T extends { at: string }>(entries: readonly T[], order: 'newest' | 'oldest'): T[] {
	const indexed = entries.map((entry, index) => ({ entry, index, ms: DateTime.fromISO(entry.at, { setZone: true }).toMillis() }));
	indexed.sort((a, b) => a.ms - b.ms || a.index - b.index);
	const sorted = indexed.map((x) => x.entry);
	return order === 'newest' ? sorted.reverse() : sorted;
}

const kindOfJourneyId = (journeyId: string) =>
	journeyId.startsWith('visit:') ? 'visit' : journeyId.startsWith('recall:') ? 'recall' : 'event';

/** The journal entries the scheduler writes about a step; the step itself (in the store) says where it stands. */
const isStepBookkeeping = (entry: JournalEntry) => entry.type.startsWith('step.');

/** A Cadence Wait version 1 wait: the journey is held by an n8n waiting execution, so only the journal knows it. */
export const isV1Wait = (entry: JournalEntry | undefined) => entry?.type === 'wait.scheduled' && entry.detail?.step === undefined;

/** Which step a person should look at first: set aside, orphaned, being resumed, waiting; then the earliest due. */
const stepRank: Record<ViewStep['state'], number> = { failed: 0, orphaned: 1, claimed: 2, scheduled: 3 };

export function primaryStep(steps: readonly ViewStep[]): ViewStep | undefined {
	return [...steps].sort((a, b) => stepRank[a.state] - stepRank[b.state] || Date.parse(a.dueAt) - Date.parse(b.dueAt))[0];
}

function stateOfStep(step: ViewStep): JourneyState {
	if (step.state === 'failed') return 'setAside';
	if (step.state === 'orphaned') return 'orphaned';
	if (step.state === 'claimed') return 'resuming';
	return step.untilResume ? 'paused' : 'waiting';
}

/** Where a journey without a step in the store stands, by its last entry that is not the scheduler's bookkeeping. */
function stateOfJournal(last: JournalEntry | undefined): JourneyState {
	// A version-2 wait without its step in the store: the step was resumed and finished (or replaced) since.
	if (last?.type === 'wait.scheduled') return isV1Wait(last) ? 'waiting' : 'inProgress';
	if (last?.type === 'touch.held') return 'held';
	if (last?.type === 'route.staffCall' || last?.type === 'touch.notSent') return 'toStaff';
	if (last?.type === 'journey.ended') return 'ended';
	return 'inProgress';
}

function nextAtOf(state: JourneyState, step: ViewStep | undefined, last: JournalEntry | undefined): string | null {
	if (state === 'waiting') return step ? step.dueAt : stringDetail(last, 'sendAt');
	return state === 'held' ? stringDetail(last, 'retryAt') : null;
}

/** The step columns of a summary row, filled from one step (or null). */
export function stepColumns(step: ViewStep | undefined): Pick<
	JourneySummaryRow,
	'step' | 'stepWorkflowId' | 'stepState' | 'stepAttempt' | 'stepDueAt' | 'stepCode'
> {
	return {
		step: step?.step ?? null,
		stepWorkflowId: step?.workflowId ?? null,
		stepState: step?.state ?? null,
		stepAttempt: step?.attempt ?? null,
		stepDueAt: step?.dueAt ?? null,
		stepCode: step?.code ?? null,
	};
}

/**
 * Where one journey stands, from all its journal entries (any order), its start record when the store has one,
 * and its steps in the store. State, first match wins: booked/done, cancelled, escalated (task created); then the
 * journey's step in the store: waiting (scheduled), paused (until outreach resumes), resuming (claimed), setAside
 * (failed), orphaned; then, without a step, the last entry that is not a step.* entry: waiting (a version-1
 * wait), held, toStaff (routed to a staff call or not sent), ended, else inProgress.
 */
export function summariseJourney(
	journeyId: string,
	entries: readonly JournalEntry[],
	facts?: ViewJourneyFacts,
	steps: readonly ViewStep[] = [],
): JourneySummaryRow {
	if (entries.length === 0 && !facts && steps.length === 0) {
		throw new DomainError('A journey summary needs the journey\'s entries, record or steps', 'invalid_input', 'journeyId');
	}
	const ordered = orderEntries(entries, 'oldest');
	const last = ordered.at(-1);
	const lastRelevant = ordered.filter((e) => !isStepBookkeeping(e)).at(-1);
	const step = primaryStep(steps);
	const sends = ordered.filter((e) => e.type === 'touch.sent');
	const bookingChecks = ordered.filter((e) => e.type.startsWith('followup.'));
	const booking = bookingChecks.find((e) => e.type === 'followup.booked' || e.type === 'followup.done');
	const task = ordered.find((e) => e.type === 'task.created');
	const started = ordered.find((e) => e.type === 'journey.started');
	const kind = facts?.kind ?? kindOfJourneyId(journeyId);
	let state: JourneyState;
	if (booking) state = booking.type === 'followup.done' ? 'done' : 'booked';
	else if (bookingChecks.some((e) => e.type === 'followup.visitCancelled')) state = 'cancelled';
	else if (task) state = 'escalated';
	else if (kind === 'event') state = 'eventOnly';
	else if (step) state = stateOfStep(step);
	else state = stateOfJournal(lastRelevant);
	const unknown = ordered.some((e) => e.type === 'touch.unknown' || e.type === 'claim.unknown');
	return {
		journeyId,
		patientKey: facts?.patientKey ?? ordered[0]?.patientKey ?? step?.patientKey ?? '',
		kind,
		ehr: facts?.ehr ?? null,
		departmentId: facts?.departmentId ?? null,
		sourceId: facts?.sourceId ?? null,
		zone: facts?.zone ?? null,
		anchorAt: facts?.anchorAt ?? null,
		startedAt: facts?.startedAt ?? started?.at ?? null,
		state,
		stagesSent: [...new Set(sends.map((e) => e.stage).filter((s): s is number => s !== undefined))].sort().join(','),
		channels: [...new Set(sends.map((e) => e.channel).filter((c): c is string => !!c))].sort().join(','),
		firstSentAt: sends[0]?.at ?? null,
		booked: booking !== undefined,
		bookedAt: booking ? (stringDetail(booking, 'bookedAt') ?? booking.at) : null,
		lastBookingCheck: bookingChecks.at(-1)?.type.slice('followup.'.length) ?? null,
		taskId: task?.providerId ?? null,
		taskAt: task?.at ?? null,
		checkNeeded: unknown,
		optOutsRecorded: ordered.filter((e) => e.type === 'optout.recorded').length,
		lastEventType: last?.type ?? 'journey.recorded',
		lastEventAt: last?.at ?? facts?.startedAt ?? step?.scheduledAt ?? '',
		nextAt: nextAtOf(state, step, lastRelevant),
		entries: ordered.length,
		...stepColumns(step),
		overdueReason: null,
		overdueSince: null,
	};
}

/** A scheduled step as a flat row; missing fields are null so every row has the same columns. */
export function stepRowOf(step: ViewStep): StepRow {
	return {
		stepKey: `${step.journeyId}|${step.workflowId}`,
		journeyId: step.journeyId,
		patientKey: step.patientKey,
		workflowId: step.workflowId,
		step: step.step,
		state: step.state,
		dueAt: step.dueAt,
		untilResume: step.untilResume,
		attempt: step.attempt,
		leaseUntil: step.leaseUntil ?? null,
		code: step.code ?? null,
		scheduledAt: step.scheduledAt,
		updatedAt: step.updatedAt,
	};
}

function stringDetail(entry: JournalEntry | undefined, key: string): string | null {
	const value = entry?.detail?.[key];
	return typeof value === 'string' ? value : null;
}

export interface OverdueRule {
	now: string;
	/** How long past its time a journey may still be on its way. */
	graceMinutes: number;
	/** Only journeys that became overdue (due time + grace) within this many hours before `now`; 0: any time. */
	withinHours: number;
}

/** A journey a person should look at, and why (the watchdog's line). */
export interface Overdue {
	/** When it became overdue: due time + grace, or when its step was set aside. */
	since: string;
	reason: string;
	/** The step it is about; absent for a journey held by an n8n waiting execution (Cadence Wait version 1). */
	step?: ViewStep;
}

/** The reasons a journey is reported overdue, short enough for an email line. */
export const overdueReasons = {
	notResumed: 'step not resumed: workflow off, deleted or renamed step',
	leaseRanOut: 'step not finished: its lease ran out and nobody took it again (workflow off or deleted)',
	orphaned: 'step orphaned: its trigger has no output of that name',
	setAside: (code: string | undefined) => `set aside: ${code ?? 'unknown'}`,
	v1Wait: 'v1 wait not resumed: its n8n execution was lost',
	held: 'held send not resumed: nothing written since',
} as const;

/** Overdue at `sinceMs` by the rule: in the past, and within the look-back when there is one. */
function overdueAt(sinceMs: number, rule: OverdueRule, alreadyPast = false): boolean {
	const now = Date.parse(rule.now);
	if (alreadyPast ? sinceMs > now : sinceMs >= now) return false;
	return rule.withinHours <= 0 || sinceMs >= now - rule.withinHours * 3_600_000;
}

/**
 * A journey held by an n8n waiting execution (Cadence Wait version 1), or held for the send window, that should
 * have continued and did not: the time it was due to go on passed more than `graceMinutes` ago with nothing
 * written since. The execution that held it is gone (n8n crashed while resuming it, or it was deleted), so no
 * follow-up will come unless a person acts. `withinHours` lets a daily check report each such journey once.
 */
export function isOverdue(row: Pick<JourneySummaryRow, 'state' | 'nextAt'>, rule: OverdueRule): boolean {
	if ((row.state !== 'waiting' && row.state !== 'held') || !row.nextAt) return false;
	return overdueAt(Date.parse(row.nextAt) + rule.graceMinutes * 60_000, rule);
}

/**
 * Whether a step in the store needs a person: scheduled or orphaned and not resumed `graceMinutes` after its due
 * time (its workflow is off or deleted, or its trigger has no output of that name), claimed and its lease ran out
 * that long ago, or set aside (failed; no grace: that already is a person's job). A step held until outreach
 * resumes is not overdue: the pause is deliberate.
 */
export function stepOverdue(step: ViewStep, rule: OverdueRule): Overdue | undefined {
	const grace = rule.graceMinutes * 60_000;
	const due = Date.parse(step.dueAt);
	let sinceMs: number;
	let reason: string;
	if (step.state === 'failed') {
		const setAside = Date.parse(step.updatedAt);
		return overdueAt(setAside, rule, true)
			? { since: new Date(setAside).toISOString(), reason: overdueReasons.setAside(step.code), step }
			: undefined;
	}
	if (step.state === 'claimed') {
		sinceMs = Math.max(due, step.leaseUntil ? Date.parse(step.leaseUntil) : due) + grace;
		reason = overdueReasons.leaseRanOut;
	} else if (step.state === 'orphaned') {
		sinceMs = due + grace;
		reason = overdueReasons.orphaned;
	} else {
		if (step.untilResume) return undefined;
		sinceMs = due + grace;
		reason = overdueReasons.notResumed;
	}
	return overdueAt(sinceMs, rule) ? { since: new Date(sinceMs).toISOString(), reason, step } : undefined;
}

/**
 * Why a journey needs a person, if it does: by its steps in the store when it has any (the one overdue longest),
 * else by the journal rule for journeys still held in n8n by Cadence Wait version 1 (see isOverdue).
 */
export function journeyOverdue(
	row: Pick<JourneySummaryRow, 'state' | 'nextAt'>,
	steps: readonly ViewStep[],
	rule: OverdueRule,
): Overdue | undefined {
	if (steps.length > 0) {
		return steps
			.map((step) => stepOverdue(step, rule))
			.filter((overdue): overdue is Overdue => overdue !== undefined)
			.sort((a, b) => Date.parse(a.since) - Date.parse(b.since))[0];
	}
	if (!isOverdue(row, rule)) return undefined;
	const since = new Date(Date.parse(row.nextAt as string) + rule.graceMinutes * 60_000).toISOString();
	return { since, reason: row.state === 'held' ? overdueReasons.held : overdueReasons.v1Wait };
}

/** A summary row as the watchdog reports it: why, since when, and the step it is about. */
export function withOverdue(row: JourneySummaryRow, overdue: Overdue): JourneySummaryRow {
	return {
		...row,
		...(overdue.step ? stepColumns(overdue.step) : {}),
		overdueReason: overdue.reason,
		overdueSince: overdue.since,
	};
}
