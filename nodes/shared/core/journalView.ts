import { DateTime } from 'luxon';

import { DomainError } from './errors';

/*
 * The journal as ops read it: one flat row per entry, or one row per journey summarising where it stands.
 * Rows are flat (strings, numbers, booleans, null; the same columns every time) so n8n's stock Data Table
 * node can insert them as they are.
 */

/** One journal line (the journey store's JournalEntry fits). */
export interface ViewJournalEntry {
	at: string;
	journeyId: string;
	patientKey: string;
	type: string;
	stage?: number;
	channel?: string;
	code?: string;
	providerId?: string;
	templateId?: string;
	detail?: Record<string, string | number | boolean | null>;
}

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
	/** When a waiting or held journey is due to continue, if the journal says. */
	nextAt: string | null;
	entries: number;
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
export function journalRowOf(entry: ViewJournalEntry): JournalRow {
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

/**
 * Where one journey stands, from all its journal entries (any order) and its start record when the store has
 * one. State, first match wins: booked/done, cancelled, escalated (task created), then by the last entry:
 * waiting (a wait was scheduled), held, toStaff (routed to a staff call or not sent), else inProgress.
 */
export function summariseJourney(journeyId: string, entries: readonly ViewJournalEntry[], facts?: ViewJourneyFacts): JourneySummaryRow {
	if (entries.length === 0 && !facts) {
		throw new DomainError('A journey summary needs the journey\'s entries or its record', 'invalid_input', 'journeyId');
	}
	const ordered = orderEntries(entries, 'oldest');
	const last = ordered.at(-1);
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
	else if (last?.type === 'wait.scheduled') state = 'waiting';
	else if (last?.type === 'touch.held') state = 'held';
	else if (last?.type === 'route.staffCall' || last?.type === 'touch.notSent') state = 'toStaff';
	else state = 'inProgress';
	const nextAt =
		state === 'waiting' ? stringDetail(last, 'sendAt') : state === 'held' ? stringDetail(last, 'retryAt') : null;
	const unknown = ordered.some((e) => e.type === 'touch.unknown' || e.type === 'claim.unknown');
	return {
		journeyId,
		patientKey: facts?.patientKey ?? ordered[0]?.patientKey ?? '',
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
		lastEventAt: last?.at ?? facts?.startedAt ?? '',
		nextAt,
		entries: ordered.length,
	};
}

function stringDetail(entry: ViewJournalEntry | undefined, key: string): string | null {
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

/**
 * A journey that should have continued and did not: it is waiting or held, and the time it was due to go on
 * passed more than `graceMinutes` ago with nothing written since. The execution that held it is gone (n8n
 * crashed while resuming it, or it was deleted), so no follow-up will come unless a person acts. `withinHours`
 * lets a daily check report each such journey once.
 */
export function isOverdue(row: Pick<JourneySummaryRow, 'state' | 'nextAt'>, rule: OverdueRule): boolean {
	if ((row.state !== 'waiting' && row.state !== 'held') || !row.nextAt) return false;
	const overdueAt = Date.parse(row.nextAt) + rule.graceMinutes * 60_000;
	const now = Date.parse(rule.now);
	if (overdueAt >= now) return false;
	return rule.withinHours <= 0 || overdueAt >= now - rule.withinHours * 3_600_000;
}
