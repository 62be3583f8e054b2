import { exactType, isOverdue, journalRowOf, orderEntries, summariseJourney, typeMatches } from '../core/journalView';
import type { JournalRow, JourneySummaryRow, OverdueRule } from '../core/journalView';
import type { JourneyStore } from '../store/types';

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
	/** rows: one per journal entry; journeys: one per journey with a matching entry, summarised from its whole journal. */
	output: 'rows' | 'journeys';
	/** Journeys only: keep those overdue by the rule (see core/journalView isOverdue). */
	overdue?: OverdueRule;
}

/**
 * Reads the journal for ops, read-only. Rows come straight from the entries that match; a journey summary is
 * built from every entry of the journey (not only those in the period) and its start record, so its state is
 * current. Journeys are listed by their most recent (newest first) or earliest (oldest first) matching entry.
 */
export async function readJourneyLog(store: JourneyStore, query: JourneyLogQuery): Promise<Array<JournalRow | JourneySummaryRow>> {
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
	const summaries: JourneySummaryRow[] = [];
	const { overdue, limit } = query;
	for (const journeyId of ids) {
		if (limit !== undefined && summaries.length >= limit) break;
		const [all, record] = await Promise.all([store.journal({ journeyId }), store.getJourney(journeyId)]);
		const summary = summariseJourney(journeyId, all, record);
		if (!overdue || isOverdue(summary, overdue)) summaries.push(summary);
	}
	return summaries;
}
