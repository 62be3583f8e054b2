import type { Channel, EhrKind } from '../core/schemas';

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
	/** The provider's id of a send (Twilio SID, SMTP Message-ID) or of a task: finds the touch a status report is about. */
	providerId?: string;
	from?: string;
	to?: string;
	limit?: number;
}

/**
 * What a journey started from, by ids only: enough to fetch the visit or recall again from the EHR (for a
 * reply, a delivery status, a report), never contact details or clinical text.
 */
export interface JourneyRecord {
	journeyId: string;
	patientKey: string;
	kind: 'visit' | 'recall';
	ehr: EhrKind;
	practiceId?: string;
	departmentId?: string;
	patientId: string;
	/** The EHR's id of the visit (appointment or encounter) or of the recall. */
	sourceId: string;
	/** 'appointment' or 'encounter' for visits, 'recall' for recalls. */
	sourceType: 'appointment' | 'encounter' | 'recall';
	/** What the journey's clock runs from: the visit's close, or the recall's due date (local midnight). */
	anchorAt: string;
	startedAt: string;
	/** The patient's IANA zone the journey was planned in. */
	zone: string;
}

export interface JourneyQuery {
	/** Inclusive lower bound of `anchorAt`. */
	anchorFrom?: string;
	/** Exclusive upper bound of `anchorAt`. */
	anchorTo?: string;
	kind?: JourneyRecord['kind'];
	departmentId?: string;
	patientKey?: string;
	limit?: number;
}

/** A phone or mailbox a journey's touch went to, so an inbound reply finds its journey. Stored hashed. */
export interface ContactRecord {
	channel: Channel;
	address: string;
	journeyId: string;
	patientKey: string;
	at: string;
}

export interface ContactMatch {
	journeyId: string;
	patientKey: string;
	/** When the journey last reached this address. */
	at: string;
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
	/** Records a journey's start; a second call for the same journey changes nothing. */
	recordJourney(record: JourneyRecord): Promise<void>;
	getJourney(journeyId: string): Promise<JourneyRecord | undefined>;
	/** Journeys matching every given filter, by anchor time (oldest first). */
	journeys(query: JourneyQuery): Promise<JourneyRecord[]>;
	/** Remembers that a journey reached this address (idempotent; a later time moves it forward). */
	recordContact(contact: ContactRecord): Promise<void>;
	/** Journeys that reached this address, the most recent first. */
	journeysContactedAt(channel: Channel, address: string): Promise<ContactMatch[]>;
	/** Deletes journal rows, touches, journeys, contacts and finished claims older than the retention; returns rows removed. */
	prune(olderThan: string): Promise<number>;
	close(): Promise<void>;
}
