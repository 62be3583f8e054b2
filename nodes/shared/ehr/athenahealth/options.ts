import type { RetryPolicy } from '../http';
import type { EhrAdapter, Escalation, HttpClient, NotificationEvent, TaskAssignment, TaskResult } from '../types';
import type { AthenaClient } from './client';

export interface AthenaPatientCaseOptions {
	/**
	 * `documentsubclass` of the patient case (drives athenaOne's routing rules). athena's list of PATIENTCASE
	 * subclasses is not public in a form we could confirm: the default is a best guess; set the value your
	 * practice uses (Practice Manager → document subclasses) if athena refuses it.
	 */
	documentSubclass?: string;
	/** `documentsource` (default PATIENT). */
	documentSource?: string;
	/** Department used when the escalation names none. */
	departmentId?: string;
	/** The provider the case is for (`providerid`), when the practice routes cases by provider. */
	providerId?: string;
}

/** The choices of the athenahealth credential's "Follow-Up Visit Action", as its dropdown lists them. */
export const athenaFollowUpVisitOptions = [
	{
		name: 'When No Order Gives a Next Step',
		value: 'whenNoOrderItems',
		description: 'No encounter found for the visit, its orders unreadable, or none the patient must act on',
	},
	{ name: 'Every Visit', value: 'everyVisit' },
	{ name: 'Never', value: 'never' },
] as const;
export type AthenaFollowUpVisitItem = (typeof athenaFollowUpVisitOptions)[number]['value'];
export const athenaFollowUpVisitItems: readonly AthenaFollowUpVisitItem[] = athenaFollowUpVisitOptions.map((option) => option.value);
/** The credential's default, also taken when a credential saved before the field existed has no value. */
export const defaultAthenaFollowUpVisitItem: AthenaFollowUpVisitItem = 'whenNoOrderItems';

export interface AthenaAdapterOptions {
	/**
	 * The credential's base URL. When given, a `next` link athena returns must be on it (same origin) before it is
	 * followed with the token; the n8n transport checks every request against it in any case.
	 */
	baseUrl?: string;
	/**
	 * Zone in which athena's timestamps without an offset (lastmodified, checkoutdatetime) are read. athena
	 * documents Eastern time for the changed-feed parameters; the same is assumed for these. Default America/New_York.
	 */
	timestampZone?: string;
	/** Limit the changed feed to these departments (athena takes one `departmentid` per call). */
	departmentIds?: string[];
	/**
	 * Changed-feed events to subscribe to when athena says the subscription is missing (empty = all events,
	 * athena's default). Names seen in recorded responses: CheckOut, CheckIn, ScheduleAppointment, UpdateAppointment.
	 */
	subscriptionEvents?: string[];
	/** Changes whose lastmodified is this many hours older than the cursor are skipped (default 6). */
	staleChangeHours?: number;
	/** Minutes added on both sides of the recorded read window, for clock skew and paging time (default 5). */
	readWindowMarginMinutes?: number;
	/** `next` pages followed per list (default 20). */
	maxPages?: number;
	/** Where findFollowUp looks: the patient's appointment list (default) or /appointments/booked (permissioned). */
	followUpSource?: 'patientAppointments' | 'booked';
	/** Days after the visit /appointments/booked is searched (default 180). */
	followUpWindowDays?: number;
	/**
	 * When a visit gets a "book your follow-up visit" action item (athena exposes no structured follow-up):
	 * `whenNoOrderItems` when no order gave one (no encounter found, orders unreadable, none actionable),
	 * `everyVisit`, or `never` (default).
	 */
	followUpVisitItem?: AthenaFollowUpVisitItem;
	/** Consent assumed when athena returned no consenttotext/consenttocall flag (default false). */
	consentWhenUnrecorded?: boolean;
	patientCase?: AthenaPatientCaseOptions;
}

export interface AthenaAdapterConfig {
	http: HttpClient;
	practiceId: string;
	retry?: RetryPolicy;
	options?: AthenaAdapterOptions;
}

/** The changed-feed window a poll consumed, in athena's format ("MM/DD/YYYY HH:mm:ss", Eastern). */
export interface AthenaReadWindow {
	start: string;
	end: string;
}

/** A patient case: its assignment (a call of its own) is on TaskResult, as for any EHR that assigns separately. */
export type AthenaTaskResult = TaskResult;

export interface AthenaAdapter extends EhrAdapter {
	createTask(escalation: Escalation): Promise<AthenaTaskResult>;
	assignTask(taskId: string, escalation: Escalation): Promise<TaskAssignment>;
	/** Re-reads what a poll consumed (showprocessed window) without consuming anything new. */
	rereadProcessed(window: AthenaReadWindow): Promise<NotificationEvent[]>;
}

/** What every capability of the athenahealth adapter works with. */
export interface AthenaShared {
	client: AthenaClient;
	options: AthenaAdapterOptions;
	/** Zone of athena's timestamps without an offset. */
	timestampZone: string;
	departmentIds: string[];
}
