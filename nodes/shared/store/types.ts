import type { Channel } from '../core/schemas';

/** A claim's life: claimed (about to send), then sent, or released when the send failed for sure. */
export type ClaimState = 'claimed' | 'sent' | 'released';

export interface ClaimInfo {
	journeyId: string;
	patientKey: string;
	stage?: number;
	channel?: Channel | 'task' | 'event';
}

export interface Claim extends ClaimInfo {
	key: string;
	state: ClaimState;
	claimedAt: string;
	updatedAt: string;
	providerId?: string;
}

/** One line of the audit trail: ids, channels, times, statuses, template ids. Never message bodies or clinical text. */
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
	detail?: Record<string, string | number | boolean | null>;
}

export interface JournalQuery {
	journeyId?: string;
	patientKey?: string;
	type?: string;
	from?: string;
	to?: string;
	limit?: number;
}

export interface OptOut {
	channel: Channel;
	/** The phone (E.164) or email address that opted out. */
	address: string;
	at: string;
	source: string;
}

export interface TouchRecord {
	patientKey: string;
	journeyId: string;
	stage: number;
	/** The patient's local calendar date (YYYY-MM-DD) on which the touch went out. */
	localDate: string;
	at: string;
}

/**
 * The journey store, shared by every workflow of a practice. Every method is safe under concurrency
 * across processes (SQLite file locking, Postgres transactions).
 */
export interface JourneyStore {
	readonly backend: 'sqlite' | 'postgres';
	/** Creates or migrates the schema; idempotent. */
	migrate(): Promise<void>;
	/** Atomic unique insert: true exactly once per key (also after release: a released key may be re-claimed once more). */
	claim(key: string, info: ClaimInfo, at: string): Promise<boolean>;
	/** The send for this claim went out. */
	markSent(key: string, providerId: string | undefined, at: string): Promise<void>;
	/** The send failed for sure; the key may be claimed again (fallback or retry). */
	release(key: string, at: string): Promise<void>;
	getClaim(key: string): Promise<Claim | undefined>;
	/** Claims still "claimed" (not sent, not released) since before `olderThan`: the crash window, surfaced as unknown. */
	staleClaims(olderThan: string): Promise<Claim[]>;
	append(entry: JournalEntry): Promise<void>;
	journal(query: JournalQuery): Promise<JournalEntry[]>;
	setOptOut(optOut: OptOut): Promise<void>;
	clearOptOut(channel: Channel, address: string, at: string, source: string): Promise<void>;
	/** The subset of these addresses that opted out on the channel. */
	optedOut(channel: Channel, addresses: string[]): Promise<string[]>;
	recordTouch(touch: TouchRecord): Promise<void>;
	/** Distinct journey stages that touched the patient on that local date. */
	touchesOn(patientKey: string, localDate: string): Promise<number>;
	/** Touches of one journey by stage, for the per-journey caps. */
	touchesOfJourney(journeyId: string): Promise<TouchRecord[]>;
	/** Deletes journal rows and finished claims older than the retention; returns rows removed. */
	prune(olderThan: string): Promise<number>;
	close(): Promise<void>;
}
