import { DateTime } from 'luxon';

import { localTimeLabel } from './cadence';
import { DomainError } from './errors';
import type { JournalEntry } from './journal';
import { orderEntries, summariseJourney } from './journalView';
import type { JourneyState, ViewJourneyFacts, ViewStep } from './journalView';

/*
 * A journey's journal as an ops person reads it on a screen: one line per event in plain words, in the journey's
 * zone. Built from the journal only (ids, channels, codes, times), so it carries no name, number or address; a
 * caller that shows a name looks it up from the EHR at view time.
 */

/** What a lookup form asks: a patient, a day, or both. */
export interface LookupRequest {
	patientId?: string;
	/** A local date, YYYY-MM-DD (a form's date field), or an ISO date-time whose date counts. */
	day?: string;
	ehr: string;
	practiceId?: string;
}

/** What to read from the journal for a lookup: the patient's entries, the day's entries, or the patient's on that day. */
export interface LookupFilter {
	patientKey?: string;
	/** Inclusive. */
	from?: string;
	/** Exclusive. */
	to?: string;
	/** The words a "nothing found" answer repeats. */
	described: string;
}

/** The journal filter of a lookup by patient or day; the day runs midnight to midnight in `zone`. */
export function lookupFilterOf(request: LookupRequest, zone: string): LookupFilter {
	const patientId = request.patientId?.trim() ?? '';
	const dayText = request.day?.trim() ?? '';
	if (!patientId && !dayText) throw new DomainError('Give a "Patient ID" or a "Day" to look up', 'invalid_input', 'patientId');
	const filter: LookupFilter = { described: '' };
	const described: string[] = [];
	if (patientId) {
		filter.patientKey = [request.ehr, request.practiceId?.trim(), patientId].filter(Boolean).join(':');
		described.push(`patient ${patientId}`);
	}
	if (dayText) {
		const day = DateTime.fromISO(dayText, { zone, setZone: false });
		if (!day.isValid) throw new DomainError('"Day" must be a date such as 2026-12-07', 'invalid_input', 'day');
		const start = day.setZone(zone).startOf('day');
		filter.from = start.toUTC().toISO() as string;
		filter.to = start.plus({ days: 1 }).toUTC().toISO() as string;
		described.push(`on ${start.toISODate() as string}`);
	}
	filter.described = described.join(' ');
	return filter;
}

const stageNames: Record<'visit' | 'recall', Record<number, string>> = {
	visit: { 1: 'care summary', 2: 'reminder', 3: 'final touch' },
	recall: { 1: 'recall nudge', 2: 'recall reminder', 3: 'final touch' },
};
const channelNames: Record<string, string> = { sms: 'SMS', email: 'email', voice: 'voice call', task: 'EHR task' };

interface LineContext {
	entry: JournalEntry;
	/** "care summary", or "message" when the entry names no stage. */
	stage: string;
	/** " by SMS", or "" when the entry names no channel. */
	by: string;
	/** " (outsideWindow)", or "" when the entry has no code. */
	why: string;
	zone: string;
}

const detailTime = (context: LineContext, key: string): string | undefined => {
	const value = context.entry.detail?.[key];
	return typeof value === 'string' ? timeIn(value, context.zone) : undefined;
};

const unknownWhetherSent = ({ stage, by }: LineContext): string => `Unknown whether the ${stage}${by} went out: check with the provider`;

/** The words of each journal type; a type not listed is shown by its name. Step bookkeeping is left out. */
const phrases: Record<string, (context: LineContext) => string> = {
	'journey.started': ({ entry }) => (entry.journeyId.startsWith('recall:') ? 'Recall journey started' : 'Visit closed in the EHR; follow-up journey started'),
	'journey.alreadyStarted': () => 'The visit was reported again; its journey had already started',
	'journey.ended': ({ why }) => `Journey ended${why}`,
	'event.duplicate': () => 'The same EHR notification arrived again; ignored',
	'event.notCompleted': () => 'The EHR event was not a completed visit; nothing sent',
	'event.refused': ({ why }) => `The EHR event was refused${why}`,
	'route.send': ({ stage, by }) => `Chose to send the ${stage}${by}`,
	'route.staffCall': ({ stage, why }) => `No channel left for the ${stage}${why}: a staff phone call is needed`,
	'wait.scheduled': (context) => `Waiting to send the next message until ${detailTime(context, 'sendAt') ?? 'its time'}`,
	'wait.passedThrough': () => 'Its time had come: went straight on',
	'touch.sent': ({ stage, by }) => `${capitalised(stage)} sent${by}`,
	'touch.delivered': ({ stage, by }) => `${capitalised(stage)} delivered${by}`,
	'touch.undelivered': ({ stage, by, why }) => `${capitalised(stage)} not delivered${by}${why}`,
	'touch.held': (context) => `${capitalised(context.stage)} held${context.why}${detailTime(context, 'retryAt') ? `, to go at ${detailTime(context, 'retryAt')}` : ''}`,
	'touch.notSent': ({ stage, why }) => `${capitalised(stage)} not sent${why}`,
	'touch.failed': ({ stage, by, why }) => `${capitalised(stage)} failed${by}${why}`,
	'touch.skipped': ({ stage, by, why }) => `Skipped sending the ${stage}${by}${why}`,
	'touch.suppressed': ({ stage, by, why }) => `${capitalised(stage)} not sent${by}: suppressed${why}`,
	'touch.duplicate': ({ stage, by }) => `${capitalised(stage)}${by} was already sent; not sent twice`,
	'touch.unknown': unknownWhetherSent,
	'claim.unknown': unknownWhetherSent,
	'followup.open': () => 'Checked the EHR: nothing booked yet',
	'followup.booked': () => 'Checked the EHR: follow-up booked',
	'followup.done': () => 'Checked the EHR: the action is done',
	'followup.visitCancelled': () => 'Checked the EHR: the visit was cancelled',
	'followup.noShow': () => 'Checked the EHR: the patient did not come',
	'task.created': () => 'Staff task created in the EHR',
	'task.assigned': () => 'Staff task assigned',
	'task.assignmentFailed': ({ why }) => `Staff task could not be assigned${why}`,
	'reply.received': ({ by }) => `The patient replied${by}`,
	'reply.answered': ({ by }) => `Answered the patient's reply${by}`,
	'reply.suppressed': ({ why }) => `The patient's reply got no answer${why}`,
	'optout.recorded': ({ by }) => `The patient opted out${by}`,
	'optin.recorded': ({ by }) => `The patient opted in again${by}`,
	'node.failed': ({ why }) => `A step of the workflow failed${why}: see the Error Alert`,
	'step.failed': ({ why }) => `The next step was set aside for staff${why}`,
	'step.orphaned': () => 'The next step has no output of its name in the Journey Due Trigger: a person must look',
};

function capitalised(text: string): string {
	return text.charAt(0).toUpperCase() + text.slice(1);
}

function timeIn(instant: string, zone: string): string {
	try {
		return localTimeLabel(instant, zone);
	} catch {
		return instant;
	}
}

/** Entries the scheduler writes about its own bookkeeping: the lines above already say what they mean. */
const shownSteps = new Set(['step.failed', 'step.orphaned']);
export const isShownInTimeline = (entry: JournalEntry): boolean => !entry.type.startsWith('step.') || shownSteps.has(entry.type);

/** One journal entry in plain words, prefixed with its time in `zone`: "Mon 2026-12-07 09:14 America/Chicago: Care summary sent by SMS". */
export function timelineLineOf(entry: JournalEntry, zone: string): string {
	const kind = entry.journeyId.startsWith('recall:') ? 'recall' : 'visit';
	const context: LineContext = {
		entry,
		stage: (entry.stage !== undefined && stageNames[kind][entry.stage]) || 'message',
		by: entry.channel ? ` by ${channelNames[entry.channel] ?? entry.channel}` : '',
		why: entry.code ? ` (${entry.code})` : '',
		zone,
	};
	const phrase = phrases[entry.type]?.(context) ?? `${entry.type}${context.why}`;
	return `${timeIn(entry.at, zone)}: ${phrase}`;
}

const stateWords: Record<JourneyState, string> = {
	booked: 'follow-up booked',
	done: 'action done',
	cancelled: 'visit cancelled',
	escalated: 'handed to staff (task created)',
	waiting: 'waiting for its next message',
	held: 'message held for the send window',
	toStaff: 'needs a staff phone call',
	inProgress: 'in progress',
	paused: 'paused while outreach is paused',
	resuming: 'continuing right now',
	setAside: 'set aside for staff',
	orphaned: 'stuck: its next step has no trigger output',
	ended: 'ended',
	eventOnly: 'no journey started',
};

export interface JourneyTimelineRow {
	[column: string]: string | number | boolean | null | string[];
	journeyId: string;
	patientKey: string;
	/** The patient's id in the EHR (the last part of the patient key), for a look-up of the name at view time. */
	patientId: string;
	kind: string;
	state: JourneyState;
	/** One line per event, oldest first. */
	lines: string[];
	/** A heading line, then the lines, as one text. */
	timeline: string;
}

/**
 * A journey's whole journal as a timeline: a heading (what, and where it stands by its journal and its steps in the
 * store) and one plain line per event, oldest first.
 */
export function journeyTimeline(
	journeyId: string,
	entries: readonly JournalEntry[],
	facts: (ViewJourneyFacts & { patientId?: string }) | undefined,
	fallbackZone: string,
	steps: readonly ViewStep[] = [],
): JourneyTimelineRow {
	const summary = summariseJourney(journeyId, entries, facts, steps);
	const zone = facts?.zone ?? fallbackZone;
	const lines = orderEntries(entries, 'oldest').filter(isShownInTimeline).map((entry) => timelineLineOf(entry, zone));
	const what = summary.kind === 'recall' ? 'Recall' : summary.kind === 'visit' ? 'Visit' : 'EHR event';
	const heading = `${what} ${summary.sourceId ?? journeyId}: ${stateWords[summary.state]}`;
	return {
		journeyId,
		patientKey: summary.patientKey,
		patientId: facts?.patientId ?? summary.patientKey.split(':').at(-1) ?? '',
		kind: summary.kind,
		state: summary.state,
		lines,
		timeline: [heading, ...lines].join('\n'),
	};
}

/** The one item a lookup that found nothing answers with, so a form still shows a page. */
export function nothingFound(filter: LookupFilter): JourneyTimelineRow {
	const text = `No journey found for ${filter.described}.`;
	return { journeyId: '', patientKey: filter.patientKey ?? '', patientId: '', kind: '', state: 'eventOnly', lines: [], timeline: text };
}
