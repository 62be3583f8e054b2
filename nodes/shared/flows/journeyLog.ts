import {
	exactType,
	journalRowOf,
	journeyOverdue,
	orderEntries,
	stepRowOf,
	summariseJourney,
	typeMatches,
	withOverdue,
} from '../core/journalView';
import type { JournalRow, JourneySummaryRow, OverdueRule, StepRow } from '../core/journalView';
import { journeyTimeline, nothingFound } from '../core/journeyTimeline';
import type { JourneyTimelineRow } from '../core/journeyTimeline';
import type { JourneyStore, ScheduledStep, StepState } from '../store/types';

export interface JourneyLogQuery {
	journeyId?: string;
	patientKey?: string;
	/** Inclusive. */
	from?: string;
	/** Exclusive. */
	to?: string;
	/** Type patterns (see core/journalView parseTypeFilter); empty: every type. */
	types: string[];
	order: 'newest' | 'oldest';
	/** At most this many rows (or journeys); undefined: all. */
	limit?: number;
	/**
	 * rows: one per journal entry; journeys: one per journey with a matching entry, summarised from its whole
	 * journal and its steps; steps: one per step scheduled in the journey store (the period and types do not apply);
	 * timeline: one per journey with a matching entry, its whole journal in plain words (or one item saying none).
	 */
	output: 'rows' | 'journeys' | 'steps' | 'timeline';
	/** Timeline only: the zone of a journey the store has no record of, and what "nothing found" names. */
	timeline?: { fallbackZone: string; described: string };
	/** Journeys only: keep those overdue by the rule (see core/journalView journeyOverdue). */
	overdue?: OverdueRule;
	/** Steps only: these states (absent: every state). */
	stepStates?: StepState[];
	/** Steps only: due strictly before this instant. */
	dueBefore?: string;
}

/** Every state, named so the store can read its (state, due time) index. */
const everyStepState: StepState[] = ['scheduled', 'claimed', 'failed', 'orphaned'];

/**
 * Reads the journal and the scheduled steps for ops, read-only. Rows come straight from the entries that match; a
 * journey summary is built from every entry of the journey (not only those in the period), its start record and its
 * steps in the store, so its state is current. Journeys are listed by their most recent (newest first) or earliest
 * (oldest first) matching entry; overdue journeys by when they became overdue.
 */
export async function readJourneyLog(
	store: JourneyStore,
	query: JourneyLogQuery,
): Promise<Array<JournalRow | JourneySummaryRow | StepRow | JourneyTimelineRow>> {
	if (query.output === 'steps') return await waitingSteps(store, query);
	const type = exactType(query.types);
	// The store keeps the first N by time: it can apply the limit itself only for oldest-first rows it filters fully.
	const storeLimit = query.output === 'rows' && query.order === 'oldest' && (query.types.length === 0 || type) ? query.limit : undefined;
	const entries = await store.journal({
		journeyId: query.journeyId,
		patientKey: query.patientKey,
		from: query.from,
		to: query.to,
		type,
		limit: storeLimit,
	});
	const matching = orderEntries(
		entries.filter((entry) => typeMatches(query.types, entry.type)),
		query.order,
	);
	if (query.output === 'rows') return (query.limit === undefined ? matching : matching.slice(0, query.limit)).map(journalRowOf);
	const ids = [...new Set(matching.map((entry) => entry.journeyId))];
	if (query.output === 'timeline') return await timelines(store, query, ids);
	if (query.overdue) return await overdueJourneys(store, query, query.overdue, ids);
	const summaries: JourneySummaryRow[] = [];
	for (const journeyId of ids) {
		if (query.limit !== undefined && summaries.length >= query.limit) break;
		summaries.push((await journeySummary(store, journeyId)).summary);
	}
	return summaries;
}

/** Each journey's whole journal in plain words; one item saying so when there is none, so a form still has a page. */
async function timelines(store: JourneyStore, query: JourneyLogQuery, ids: string[]): Promise<JourneyTimelineRow[]> {
	const { fallbackZone, described } = query.timeline ?? { fallbackZone: 'UTC', described: 'this search' };
	const found: JourneyTimelineRow[] = [];
	for (const journeyId of query.limit === undefined ? ids : ids.slice(0, query.limit)) {
		const [entries, record, steps] = await Promise.all([store.journal({ journeyId }), store.getJourney(journeyId), store.steps({ journeyId })]);
		found.push(journeyTimeline(journeyId, entries, record, fallbackZone, steps));
	}
	return found.length ? found : [nothingFound({ patientKey: query.patientKey, described })];
}

/** One journey from its whole journal, its start record and its steps in the store. */
async function journeySummary(store: JourneyStore, journeyId: string): Promise<{ summary: JourneySummaryRow; steps: ScheduledStep[] }> {
	const [entries, record, steps] = await Promise.all([store.journal({ journeyId }), store.getJourney(journeyId), store.steps({ journeyId })]);
	return { summary: summariseJourney(journeyId, entries, record, steps), steps };
}

/**
 * The watchdog: journeys with a step in the store that is overdue (one query finds every step already due, in any
 * workflow, whatever became of that workflow), and the journeys of the matching journal entries, for those still
 * held in n8n by Cadence Wait version 1. Each is reported with why and since when, the longest overdue first
 * (oldest) or last (newest).
 */
async function overdueJourneys(store: JourneyStore, query: JourneyLogQuery, rule: OverdueRule, matchingIds: string[]): Promise<JourneySummaryRow[]> {
	const due = await store.steps({ journeyId: query.journeyId, patientKey: query.patientKey, states: everyStepState, dueBefore: rule.now });
	const ids = [...new Set([...due.map((step) => step.journeyId), ...matchingIds])];
	const found: JourneySummaryRow[] = [];
	for (const journeyId of ids) {
		const { summary, steps } = await journeySummary(store, journeyId);
		const overdue = journeyOverdue(summary, steps, rule);
		if (overdue) found.push(withOverdue(summary, overdue));
	}
	const direction = query.order === 'oldest' ? 1 : -1;
	found.sort((a, b) => direction * (Date.parse(a.overdueSince as string) - Date.parse(b.overdueSince as string)));
	return query.limit === undefined ? found : found.slice(0, query.limit);
}

/** What each journey is waiting for, and when: one store query, earliest due first (oldest) or last (newest). */
async function waitingSteps(store: JourneyStore, query: JourneyLogQuery): Promise<StepRow[]> {
	const steps = await store.steps({
		journeyId: query.journeyId,
		patientKey: query.patientKey,
		states: query.stepStates,
		dueBefore: query.dueBefore,
		limit: query.order === 'oldest' ? query.limit : undefined,
	});
	const ordered = query.order === 'oldest' ? steps : [...steps].reverse();
	return (query.limit === undefined ? ordered : ordered.slice(0, query.limit)).map(stepRowOf);
}
