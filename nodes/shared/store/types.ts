import type { JournalEntry } from '../core/journal';
import type { Channel, EhrKind, ZoneSource } from '../core/schemas';

export type { JournalDetail, JournalEntry } from '../core/journal';

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
	/** Where `zone` came from (absent for journeys started before the store recorded it). */
	zoneSource?: ZoneSource;
	/**
	 * The other zones of a multi-zone ZIP code or area code, as the journey started. For the record only: a resumed
	 * journey's send window uses the event fetched again from the EHR, whose zones are derived again.
	 */
	extraZones?: string[];
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

/** A message (SMS or voice) a journey stage sent to a phone number, for the per-number daily cap. */
export interface NumberTouchRecord {
	/** The phone number (any spelling the normaliser reads); stored only as its keyed hash. */
	address: string;
	journeyId: string;
	stage: number;
	/** The patient's local calendar date (YYYY-MM-DD) on which the message went out. */
	localDate: string;
	at: string;
}

/** One journey stage that touched a patient or a number on a local date. */
export interface DayTouch {
	journeyId: string;
	stage: number;
}

/**
 * The next step of a journey in one workflow, by ids only (never contact details or clinical text): a Cadence
 * Wait wrote it, and the workflow's Journey Due Trigger resumes it when it falls due. One row per journey and
 * workflow: scheduling the next step replaces the one the execution was resumed from.
 */
export interface StepSchedule {
	journeyId: string;
	patientKey: string;
	workflowId: string;
	/** The step's name (the Cadence Wait's "Step"), which is also the trigger output that resumes it. */
	step: string;
	dueAt: string;
	/** Held while the practice's outreach was paused: it falls due when outreach resumes, not before. */
	untilResume?: boolean;
	/** When it was scheduled. */
	at: string;
}

/**
 * scheduled: waiting for its due time; claimed: handed to an execution under a lease; failed: set aside for a
 * person (attempts used up, journey gone); orphaned: due, but the workflow's trigger has no output of its name.
 */
export type StepState = 'scheduled' | 'claimed' | 'failed' | 'orphaned';

export interface ScheduledStep {
	journeyId: string;
	patientKey: string;
	workflowId: string;
	step: string;
	dueAt: string;
	untilResume: boolean;
	state: StepState;
	/** How many times it was handed to an execution. */
	attempt: number;
	/** Until when the execution it was handed to holds it (claimed only). */
	leaseUntil?: string;
	/** Why it was retried or set aside, e.g. ehrUnreachable, attemptsUsedUp, unknownJourney. */
	code?: string;
	scheduledAt: string;
	/** When the row last changed (scheduled, claimed, retried, set aside). */
	updatedAt: string;
}

export interface SendRecord {
	claim?: { key: string; providerId?: string; at: string };
	touch: TouchRecord;
	contact: ContactRecord;
	numberTouch?: NumberTouchRecord;
	entry: JournalEntry;
}

/** A step handed to one execution; only that execution's token completes it. */
export interface ClaimedStep extends ScheduledStep {
	leaseToken: string;
	leaseUntil: string;
}

export interface StepClaimQuery {
	workflowId: string;
	/** Only steps of these names: the trigger's outputs. */
	steps: string[];
	now: string;
	/** Only steps due after this instant (exclusive) and at or before `now`; absent: any due time up to now. */
	dueAfter?: string;
	/** Only steps due at or before this instant (default `now`). */
	dueBefore?: string;
	limit: number;
	leaseMs: number;
	leaseToken: string;
	/** False while outreach is paused: steps held until resume stay where they are. */
	includeHeldUntilResume: boolean;
}

export interface StepQuery {
	workflowId?: string;
	journeyId?: string;
	patientKey?: string;
	states?: StepState[];
	/** Due strictly before this instant. */
	dueBefore?: string;
	/** Changed at or after this instant (e.g. set aside since yesterday's check). */
	updatedFrom?: string;
	limit?: number;
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
	/**
	 * Everything a send leaves, in one transaction: the claim marked sent (as markSent; absent when it already is),
	 * recordTouch, recordContact, recordNumberTouch (SMS and voice) and the journal line.
	 */
	recordSend(send: SendRecord): Promise<void>;
	/** The send failed for sure; the key may be claimed again (fallback or retry). */
	release(key: string, at: string): Promise<void>;
	getClaim(key: string): Promise<Claim | undefined>;
	/** Claims still "claimed" (not sent, not released) since before `olderThan`: the crash window, surfaced as unknown. */
	staleClaims(olderThan: string): Promise<Claim[]>;
	append(entry: JournalEntry): Promise<void>;
	/** Several journal lines in one transaction (one commit), or none when one is refused. */
	appendAll(entries: JournalEntry[]): Promise<void>;
	journal(query: JournalQuery): Promise<JournalEntry[]>;
	/**
	 * The hash the store records an address under (HMAC-SHA256 with the credential's Contact Hash Secret): what a
	 * journal line may carry instead of the address. Throws when no key is set or the address is not one.
	 */
	addressHash(channel: Channel, address: string): string;
	/** Every hash the address may be recorded under: the keyed one, then the unkeyed one of rows from before the key. */
	addressHashes(channel: Channel, address: string): string[];
	setOptOut(optOut: OptOut): Promise<void>;
	clearOptOut(channel: Channel, address: string, at: string, source: string): Promise<void>;
	/** The subset of these addresses that opted out on the channel. */
	optedOut(channel: Channel, addresses: string[]): Promise<string[]>;
	recordTouch(touch: TouchRecord): Promise<void>;
	/** Distinct journey stages that touched the patient on that local date. */
	touchesOn(patientKey: string, localDate: string): Promise<number>;
	/** The distinct journey stages `touchesOn` counts: which ones, so a caller can leave out a stage of its own. */
	patientTouchesOn(patientKey: string, localDate: string): Promise<DayTouch[]>;
	/** Idempotent per number, journey, stage and local date; needs the Contact Hash Secret (the number is kept as its keyed hash). */
	recordNumberTouch(touch: NumberTouchRecord): Promise<void>;
	/** Journey stages that sent an SMS or a voice message to this number on that local date, whichever patient (the per-number cap). */
	numberTouchesOn(address: string, localDate: string): Promise<DayTouch[]>;
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
	/**
	 * Records the journey's next step in a workflow, replacing the step that workflow had for it (if any); with
	 * `entry`, its journal line in the same transaction.
	 */
	scheduleStep(schedule: StepSchedule, entry?: JournalEntry): Promise<void>;
	/**
	 * Hands due steps of one workflow to the caller under a lease, each to exactly one caller however many claim
	 * at once: scheduled or orphaned steps that are due, and claimed steps whose lease ran out. Adds one attempt.
	 */
	claimDueSteps(query: StepClaimQuery): Promise<ClaimedStep[]>;
	/** The step this lease holds is done (a node acted on it); false when the lease is no longer the holder. */
	completeStep(journeyId: string, workflowId: string, leaseToken: string): Promise<boolean>;
	/**
	 * Extends the lease this token holds to `leaseUntil` (a node is acting on the step); false when the step was
	 * handed to another execution meanwhile (this lease ran out), or completed or replaced.
	 */
	renewStepLease(journeyId: string, workflowId: string, leaseToken: string, leaseUntil: string): Promise<boolean>;
	/**
	 * A read, no write: whether this token still holds the step with its lease running at `now`. A node checks this
	 * instead of renewing while more than half of the lease is left (a renewal is a commit).
	 */
	holdsStepLease(journeyId: string, workflowId: string, leaseToken: string, now: string): Promise<boolean>;
	/** Gives a claimed step back to fall due again at `dueAt` (attempts kept); false when the lease is no longer the holder. */
	retryStep(journeyId: string, workflowId: string, leaseToken: string, dueAt: string, code: string): Promise<boolean>;
	/** Sets a claimed step aside for a person ('failed'); never claimed again until rescheduled. */
	setStepAside(journeyId: string, workflowId: string, leaseToken: string, code: string, at: string): Promise<boolean>;
	/** Marks due steps of a workflow whose names are not in `steps` as orphaned, and returns those newly marked. */
	markOrphanedSteps(workflowId: string, steps: string[], now: string, limit: number): Promise<ScheduledStep[]>;
	/** Steps of a workflow handed to executions whose lease still runs: the batches in flight. */
	stepsInFlight(workflowId: string, now: string): Promise<number>;
	/** Steps matching every given filter, by due time (earliest first): what each journey is waiting for, and when. */
	steps(query: StepQuery): Promise<ScheduledStep[]>;
	/** Deletes journal rows, touches, journeys, contacts and finished claims older than the retention; returns rows removed. */
	prune(olderThan: string): Promise<number>;
	close(): Promise<void>;
}
