import type { EhrKind, JourneyEvent, RecallDue, VisitEvent } from '../core/schemas';
import type { PracticeProfile } from '../core/practice';

/** One HTTP call an adapter wants made. `url` is relative to the credential's base URL unless absolute. */
export interface HttpRequest {
	method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
	url: string;
	qs?: Record<string, string | number | boolean | Array<string | number>>;
	/** JSON body. */
	body?: unknown;
	/** application/x-www-form-urlencoded body (athenahealth). */
	form?: Record<string, string>;
	headers?: Record<string, string>;
}

export interface HttpResponse {
	status: number;
	headers: Record<string, string>;
	body: unknown;
}

/**
 * The adapters' only way out. In n8n it wraps `httpRequestWithAuthentication` (so tokens stay in the
 * credential); in tests it is plain fetch against a local server. It must NOT throw on HTTP error statuses:
 * the adapter decides (retry 429/5xx, map 4xx).
 */
export type HttpClient = (request: HttpRequest) => Promise<HttpResponse>;

/** An inbound webhook request as the trigger saw it. `rawBody` is the exact bytes that were signed. */
export interface InboundRequest {
	method: string;
	headers: Record<string, string | string[] | undefined>;
	/** As n8n parses it: a repeated parameter is an array, `a[b]=c` an object. */
	query: Record<string, unknown>;
	rawBody: Buffer;
}

/** A verified, vendor-neutral "something happened to this visit" event, before it is resolved. */
export interface NotificationEvent {
	ehr: EhrKind;
	/** The vendor's event or delivery id; Visit Details claims it so a duplicate delivery ends there. */
	eventId: string;
	/** The vendor's topic/event name, e.g. Appointment.check-out, APPOINTMENT_MODIFY, encounter-complete. */
	topic: string;
	resourceType: 'Appointment' | 'Encounter';
	resourceId: string;
	patientId?: string;
	practiceId?: string;
	departmentId?: string;
	/** The full resource when the vendor sent it (full-resource payloads, DrChrono objects). */
	resource?: unknown;
	/**
	 * When the event happened, by the vendor's own clock (athena's and the FHIR Backport's event timestamp, a
	 * classic FHIR resource's lastUpdated, a poll's change time). The EHR Trigger refuses pushed events older than
	 * its maximum age by it (replays); DrChrono's deliveries carry none.
	 */
	occurredAt?: string;
	/**
	 * The absolute URL the notification named the resource by (a FHIR focus reference given in full). The adapter
	 * refuses one that is not under its credential's base URL.
	 */
	resourceUrl?: string;
}

export type NotificationResult =
	| { kind: 'events'; events: NotificationEvent[] }
	/** A handshake/verification the vendor expects answered exactly so; nothing is emitted. */
	| { kind: 'handshake'; status: number; body: unknown }
	| { kind: 'heartbeat' }
	/** Valid and signed, but not a completed visit (e.g. appointment booked): acknowledged, nothing emitted. */
	| { kind: 'ignored'; reason: string }
	/** 400 malformed, 401 bad/missing signature, 415 wrong content type. The reason carries no PHI. */
	| { kind: 'rejected'; status: 400 | 401 | 405 | 415; reason: string };

/** Secrets a trigger verifies with; `previous` stays valid during a rotation grace window. */
export interface WebhookSecrets {
	current: string;
	previous?: string;
}

/** What an adapter needs from the practice profile to build a full event. */
export type ResolveContext = Pick<PracticeProfile, 'defaultZone' | 'defaultLanguage' | 'schedulingLinks'>;

export type ResolveResult =
	| { status: 'completed'; event: JourneyEvent }
	/** The resource is not (or no longer) a completed visit; the reason says which status it had. */
	| { status: 'notCompleted'; reason: string };

export interface PollCursor {
	/** ISO instant; changes at or after it are read. */
	since: string;
	/** Vendor-specific extra state (e.g. athena's last processed window). */
	extra?: Record<string, string>;
}

export interface PollResult {
	events: NotificationEvent[];
	nextCursor: PollCursor;
}

export type FollowUpStatus =
	| { status: 'open'; checked: string[] }
	| { status: 'booked'; appointmentId: string; start?: string; detail: string }
	| { status: 'done'; detail: string }
	| { status: 'visitCancelled'; detail: string }
	| { status: 'noShow'; appointmentId: string; detail: string };

export interface FollowUpQuery {
	/** Only appointments of these vendor type ids/codes count (empty = any). */
	appointmentTypes?: string[];
	/**
	 * Whether to re-read the visit itself (cancelled, no-show). Default true; false for recalls, whose
	 * "visit" is only the date the recall journey started.
	 */
	checkVisitStatus?: boolean;
}

export interface Escalation {
	journeyId: string;
	/**
	 * Tells apart several tasks of one journey (one per patient reply) where an adapter de-duplicates re-runs by
	 * the journey (FHIR Task.identifier); absent → the journey id.
	 */
	taskKey?: string;
	/** Absent only for a reply from a number no journey reached: adapters that cannot file a task without a patient refuse it. */
	patientId?: string;
	practiceId?: string;
	departmentId?: string;
	/** The visit's appointment or encounter id, when there is one. */
	visitId?: string;
	visitType?: 'appointment' | 'encounter';
	orderIds?: string[];
	title: string;
	/** The note a coordinator reads: who, what is open, what was tried. No diagnosis text. */
	note: string;
	dueAt: string;
	priority: 'routine' | 'urgent';
	/** The assignee's id in the EHR (athena username, DrChrono user id, FHIR reference). */
	assigneeId?: string;
	/** A phone the staff member should call back (athena callback number). */
	callbackNumber?: string;
}

export interface TaskResult {
	taskId: string;
	/**
	 * What was made: a FHIR Task, a FHIR Communication (servers refusing Task create), an athena patient case, a
	 * DrChrono task; for an EHR without a worklist (Tebra, eClinicalWorks without writeback) nothing in the EHR
	 * (`staffNotice`: the staff notification is the task) or a patient alert (`patientAlert`, Tebra).
	 */
	kind: 'task' | 'communication' | 'patientCase' | 'staffNotice' | 'patientAlert';
	/** False when an open task for the same visit already existed and was returned instead. */
	created: boolean;
	url?: string;
	/** Where staff find it when there is no link: the EHR's ids to look the patient up by (no PHI). */
	reference?: string;
	/**
	 * Where the EHR assigns a task in a second call (athenahealth): whether it was. The task exists either way;
	 * "failed" means it is unassigned and `assignmentError` says why (the EHR's answer, no PHI).
	 */
	assignment?: TaskAssignment['assignment'] | 'notRequested';
	assignmentError?: string;
}

export interface TaskAssignment {
	assignment: 'assigned' | 'failed';
	assignmentError?: string;
}

/** Visits dated on or after `from` and on or before `to` (local dates, YYYY-MM-DD). */
export interface VisitDateWindow {
	from: string;
	to: string;
}

export interface CompletedVisitList {
	events: NotificationEvent[];
	/** What was read and what it held, in plain words and without PHI, so that an empty answer explains itself. */
	read: string;
}

export interface RecallWindow {
	/** Recalls due on or after this local date (YYYY-MM-DD)… */
	from: string;
	/** …and on or before this one. */
	to: string;
}

/** The ids a recall journey is found again by (the journey store keeps nothing else). */
export interface RecallReference {
	recallId: string;
	patientId: string;
	practiceId?: string;
	departmentId?: string;
}

export type RecallResolveResult =
	| { status: 'open'; event: RecallDue }
	/** The recall was done, cancelled or removed since: its journey ends. */
	| { status: 'closed'; reason: string };

/** A patient's SMS consent as a reply changed it: STOP and its variants → false, START → true. */
export interface SmsConsentUpdate {
	patientId: string;
	practiceId?: string;
	departmentId?: string;
	allowed: boolean;
}

export interface SmsConsentResult {
	/** updated: the EHR record now says so; unchanged: it already did; notSupported: this EHR offers no way. */
	status: 'updated' | 'unchanged' | 'notSupported';
	/** What was written where (field or resource), or why it is not supported; never a value from the record. */
	detail: string;
}

/**
 * An appointment type the EHR lists, for the Booking Check's picker: `value` is what findFollowUp matches an
 * appointment by (athenahealth appointmenttypeid, DrChrono appointment profile id, FHIR appointmentType code).
 */
export interface AppointmentTypeOption {
	value: string;
	name: string;
	/** A short line for the picker: duration, short name, code system. */
	description?: string;
}

/** One EHR behind one interface. Every method validates vendor JSON with zod at the boundary. */
export interface EhrAdapter {
	readonly kind: EhrKind;
	resolveVisit(event: NotificationEvent, context: ResolveContext): Promise<ResolveResult>;
	pollChanges(cursor: PollCursor, now: Date): Promise<PollResult>;
	findFollowUp(visit: VisitEvent, query: FollowUpQuery): Promise<FollowUpStatus>;
	createTask(escalation: Escalation): Promise<TaskResult>;
	/**
	 * createTask finds a task an earlier call created for the same journey (or reply) and returns it instead of
	 * a second one, so a create whose answer was lost (a timeout) may be run again. athenahealth cannot: patient
	 * cases are not searchable by our key.
	 */
	readonly findsEarlierTasks: boolean;
	/** Assigns a task created earlier again (after its assignment failed), where assigning is a call of its own. */
	assignTask?(taskId: string, escalation: Escalation): Promise<TaskAssignment>;
	pollRecalls(window: RecallWindow, context: ResolveContext): Promise<RecallDue[]>;
	/**
	 * The visits completed in a date window, read with GETs only: no subscription, no feed consumed, no cursor moved
	 * (optional capability, for Timeline Preview). An adapter whose poll is a plain search needs none; athena's poll
	 * reads a destructive feed and may subscribe, so athena lists the booked appointments instead.
	 */
	listCompletedVisits?(window: VisitDateWindow): Promise<CompletedVisitList>;
	/** Fetches one recall again by its ids, for a journey resumed from the journey store (EHRs with a recall API). */
	resolveRecall?(recall: RecallReference, context: ResolveContext): Promise<RecallResolveResult>;
	/** Records a patient's SMS opt-out/opt-in in the EHR, where the vendor documents a way (optional capability). */
	updateSmsConsent?(update: SmsConsentUpdate): Promise<SmsConsentResult>;
	/**
	 * The practice's appointment types, where the vendor documents a list (optional capability); an empty list
	 * when the EHR has none to offer, so the types are typed by hand.
	 */
	listAppointmentTypes?(): Promise<AppointmentTypeOption[]>;
}
