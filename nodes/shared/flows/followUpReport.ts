import { computeFollowUpReport } from '../core/report';
import type { JournalEntry } from '../core/journal';
import type { FollowUpReport, JourneyOutcomeRow, ReportPeriod, ReportRules } from '../core/report';
import type { JourneyRecord, JourneyStore } from '../store/types';

export interface FollowUpReportQuery {
	period: ReportPeriod;
	/** Department ids to include; empty: every department. */
	departments: string[];
	/** When the report runs: nothing journaled after it is read. */
	asOf: string;
	rules?: Partial<ReportRules>;
}

/**
 * The three numbers from the journey store, read-only: the journeys anchored in the period (visit close or
 * recall due date; one query per department), then each journey's whole journal, then core/report.ts. The steps
 * those journeys hold in the store (waiting, set aside, orphaned) come from one query.
 */
export async function buildFollowUpReport(
	store: JourneyStore,
	query: FollowUpReportQuery,
): Promise<{ report: FollowUpReport; journeys: JourneyOutcomeRow[] }> {
	const journeys: JourneyRecord[] = [];
	const seen = new Set<string>();
	for (const departmentId of query.departments.length ? query.departments : [undefined]) {
		for (const journey of await store.journeys({ anchorFrom: query.period.from, anchorTo: query.period.to, departmentId })) {
			if (seen.has(journey.journeyId)) continue;
			seen.add(journey.journeyId);
			journeys.push(journey);
		}
	}
	journeys.sort((a, b) => Date.parse(a.anchorAt) - Date.parse(b.anchorAt));
	const entriesByJourney: Record<string, JournalEntry[]> = {};
	for (const journey of journeys) entriesByJourney[journey.journeyId] = await store.journal({ journeyId: journey.journeyId });
	const steps = journeys.length ? await store.steps({}) : [];
	return computeFollowUpReport({
		journeys,
		entriesByJourney,
		period: query.period,
		asOf: query.asOf,
		department: query.departments.length ? query.departments.join(',') : undefined,
		rules: query.rules,
		steps,
	});
}
