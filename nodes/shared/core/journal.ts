/** A journal line's small structured detail: flat, short scalars only (the journey store enforces the limits). */
export type JournalDetail = Record<string, string | number | boolean | null>;

/**
 * One line of the journey store's audit trail: ids, channels, times, statuses, codes and template ids, never
 * message bodies or clinical text. The one type the store writes and every reader (the journal view, the
 * follow-up report, a resumed journey's trail) reads.
 */
export interface JournalEntry {
	at: string;
	journeyId: string;
	patientKey: string;
	/** e.g. event.received, event.duplicate, touch.sent, touch.held, touch.failed, touch.unknown, followup.booked, task.created */
	type: string;
	stage?: number;
	channel?: string;
	/** Machine-readable reason or outcome code, e.g. outsideWindow, twilio:21610. */
	code?: string;
	providerId?: string;
	templateId?: string;
	/** Small structured detail (ids, counts, times); the store rejects values that look like free text bodies. */
	detail?: JournalDetail;
}

/**
 * Why a journey ended for good: no later step of it may send, whatever the settings are by then. A journey ended
 * because the visit is no longer completed is not among them: a resumed step asks the EHR again anyway.
 */
export const endedForGoodCodes: ReadonlySet<string> = new Set(['testMode']);

/** The code of the journey's end for good, from its journal entries, or undefined while it may go on. */
export function endedForGood(entries: readonly JournalEntry[]): string | undefined {
	return entries.find((entry) => entry.type === 'journey.ended' && entry.code !== undefined && endedForGoodCodes.has(entry.code))?.code;
}

