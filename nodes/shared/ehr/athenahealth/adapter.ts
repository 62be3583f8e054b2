import { DateTime } from 'luxon';
import type { ZodIssue, ZodType, ZodTypeDef } from 'zod';

import { schedulingLinkFor } from '../../core/compose/links';
import { DomainError } from '../../core/errors';
import { parseVisitEvent } from '../../core/schemas';
import type { ActionItem, ActionItemType, RecallDue, VisitEvent } from '../../core/schemas';
import { EhrHttpError, EhrResponseError, defaultRetryPolicy, sendWithRetry } from '../http';
import type { RetryPolicy } from '../http';
import type {
	EhrAdapter,
	Escalation,
	FollowUpStatus,
	HttpClient,
	HttpRequest,
	HttpResponse,
	NotificationEvent,
	PollCursor,
	RecallWindow,
	SmsConsentResult,
	SmsConsentUpdate,
	ResolveContext,
	ResolveResult,
	TaskResult,
} from '../types';
import {
	EHR,
	actionDescriptions,
	actionTypeOfOrder,
	appointmentStart,
	athenaDate,
	athenaDateTime,
	athenaPhone,
	athenaServerZone,
	consentOf,
	easternDateTime,
	emailOf,
	isCompletedStatus,
	isoDateFromAthena,
	languageOf,
	orderIsDone,
	phonesOf,
	preferredChannelOf,
	rawVendorError,
	statusNames,
	vendorErrorText,
	zoneOfDepartment,
} from './mapping';
import {
	appointmentListSchema,
	appointmentSchema,
	departmentSchema,
	encounterOrdersSchema,
	encounterSchema,
	oneOf,
	patientCaseCreatedSchema,
	patientSchema,
	successSchema,
} from './schemas';
import type { AthenaAppointment, AthenaDepartment, AthenaEncounter, AthenaOrder, AthenaPatient } from './schemas';

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

export interface AthenaAdapterOptions {
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
	/** Add a "book your follow-up visit" action item to every visit (athena exposes no structured follow-up). */
	includeFollowUpVisit?: boolean;
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

export interface AthenaTaskResult extends TaskResult {
	/** The case exists either way; "failed" means it is unassigned and `assignmentError` says why. */
	assignment?: 'assigned' | 'failed' | 'notRequested';
	assignmentError?: string;
}

export interface AthenaAdapter extends EhrAdapter {
	createTask(escalation: Escalation): Promise<AthenaTaskResult>;
	/** Re-reads what a poll consumed (showprocessed window) without consuming anything new. */
	rereadProcessed(window: AthenaReadWindow): Promise<NotificationEvent[]>;
}

export const defaultPatientCaseSubclass = 'PATIENTCASE_SCHEDULING';
export const defaultPatientCaseSource = 'PATIENT';
const notSubscribedText = 'require setup (subscription)';
const internalNoteLimit = 4000;

/** The read window recorded in a cursor by pollChanges, if any. */
export function lastReadWindow(cursor: PollCursor | undefined): AthenaReadWindow | undefined {
	const start = cursor?.extra?.lastReadStart;
	const end = cursor?.extra?.lastReadEnd;
	return start && end ? { start, end } : undefined;
}

/**
 * athena's legacy gateway signalled rate limiting as 403 "Developer Over Qps"; treat it as the 429 it means so
 * sendWithRetry backs off. (Not confirmed for the current platform, which documents 429.)
 */
function withQpsAsRateLimit(http: HttpClient): HttpClient {
	return async (request) => {
		const response = await http(request);
		if (response.status === 403 && /over\s*(qps|rate)/i.test(rawVendorError(response.body))) {
			return { ...response, status: 429 };
		}
		return response;
	};
}

/** For a union (athena's array-or-object answers), the branch issue that got furthest into the body. */
function mostSpecificIssue(issues: ZodIssue[]): ZodIssue | undefined {
	const flat = issues.flatMap((issue) =>
		issue.code === 'invalid_union' ? issue.unionErrors.flatMap((error) => error.issues) : [issue],
	);
	return flat.reduce<ZodIssue | undefined>(
		(best, issue) => (!best || issue.path.length > best.path.length ? issue : best),
		undefined,
	);
}

function truncate(text: string, limit: number): string {
	return text.length <= limit ? text : `${text.slice(0, limit - 1)}…`;
}

function isOk(response: HttpResponse): boolean {
	return response.status >= 200 && response.status < 300;
}

function isoOf(dateTime: DateTime): string {
	return dateTime.toUTC().toISO() as string;
}

interface LinkIds {
	patientId: string;
	visitId: string;
}

interface LaterAppointment {
	appointment: AthenaAppointment;
	start: DateTime;
}

/**
 * The athenaOne (proprietary API) adapter. All paths are `/v1/{practiceid}/…` relative to the credential's base
 * URL; bodies are form-encoded; dates are MM/DD/YYYY. Tokens are the credential's business: in n8n a 401 makes
 * n8n run the credential's preAuthentication again (new token) and resend once; a 401 reaching the adapter means
 * that failed too, and is reported as such.
 */
export function createAthenaAdapter(config: AthenaAdapterConfig): AthenaAdapter {
	const options = config.options ?? {};
	const practiceId = config.practiceId.trim();
	if (!/^\d+$/.test(practiceId)) {
		throw new DomainError('athenahealth practice ID must be a number such as 195900', 'invalid_input', 'practiceId');
	}
	const http = withQpsAsRateLimit(config.http);
	const retry = config.retry ?? defaultRetryPolicy;
	const timestampZone = options.timestampZone ?? athenaServerZone;
	const maxPages = options.maxPages ?? 20;
	const departmentIds = options.departmentIds?.filter(Boolean) ?? [];
	const base = `/v1/${practiceId}`;

	const call = async (request: HttpRequest) => await sendWithRetry(http, request, EHR, retry);

	async function send(request: HttpRequest, action: string): Promise<HttpResponse> {
		const response = await call(request);
		if (isOk(response)) return response;
		throw httpError(response, action);
	}

	function httpError(response: HttpResponse, action: string): EhrHttpError {
		if (response.status === 401) {
			const hint = "check the credential's client ID, secret, scope and practice";
			return new EhrHttpError(EHR, 401, `${action}: access token refused even after a refresh; ${hint}`, false);
		}
		const detail = vendorErrorText(response.body);
		return new EhrHttpError(EHR, response.status, `${action}${detail ? `: ${detail}` : ''}`, false);
	}

	function parse<T>(schema: ZodType<T, ZodTypeDef, unknown>, body: unknown, what: string): T {
		const result = schema.safeParse(body);
		if (result.success) return result.data;
		const issue = mostSpecificIssue(result.error.issues);
		const path = issue?.path.filter((segment) => typeof segment === 'string') ?? [];
		throw new EhrResponseError(EHR, [what, ...path].join('.'), issue?.message ?? 'invalid');
	}

	async function get<T>(url: string, schema: ZodType<T, ZodTypeDef, unknown>, what: string): Promise<T> {
		const response = await send({ method: 'GET', url }, `reading the ${what}`);
		return parse(schema, response.body, what);
	}

	/** A list of appointments, following athena's `next` links (paths relative to the host). */
	async function getAll(url: string, what: string, qs: HttpRequest['qs']): Promise<AthenaAppointment[]> {
		const items: AthenaAppointment[] = [];
		let request: HttpRequest = { method: 'GET', url, qs };
		for (let page = 0; page < maxPages; page++) {
			const response = await send(request, `reading the ${what}`);
			const list = parse(appointmentListSchema, response.body, what);
			items.push(...list.appointments);
			if (!list.next || list.appointments.length === 0) break;
			request = { method: 'GET', url: list.next };
		}
		return items;
	}

	const pathOf = (...segments: string[]) => [base, ...segments.map(encodeURIComponent)].join('/');
	const readAppointment = async (id: string) =>
		await get(pathOf('appointments', id), oneOf(appointmentSchema), 'appointment');
	const readEncounter = async (id: string) =>
		await get(`${base}/chart/encounter/${encodeURIComponent(id)}`, oneOf(encounterSchema), 'encounter');
	const readPatient = async (id: string) => await get(pathOf('patients', id), oneOf(patientSchema), 'patient');

	async function readDepartment(id: string | undefined): Promise<AthenaDepartment | undefined> {
		if (!id) return undefined;
		const response = await call({ method: 'GET', url: pathOf('departments', id) });
		// An unknown department falls back to the practice zone rather than failing the visit.
		if (response.status === 404) return undefined;
		if (!isOk(response)) throw httpError(response, 'reading the department');
		return parse(oneOf(departmentSchema), response.body, 'department');
	}

	async function readOrders(encounterId: string | undefined): Promise<AthenaOrder[]> {
		if (!encounterId) return [];
		const url = `${base}/chart/encounter/${encodeURIComponent(encounterId)}/orders`;
		const response = await call({ method: 'GET', url });
		// Departments without athenaClinicals (or without the orders permission) answer 4xx: the visit still
		// gets its care summary, without order-based action items.
		if ([400, 403, 404].includes(response.status)) return [];
		if (!isOk(response)) throw httpError(response, 'reading the encounter orders');
		const groups = parse(encounterOrdersSchema, response.body, 'orders');
		const orders = new Map<string, AthenaOrder>();
		for (const order of groups.flatMap((group) => group.orders)) {
			if (!orders.has(order.orderid)) orders.set(order.orderid, order);
		}
		return [...orders.values()];
	}

	function actionItemsOf(orders: AthenaOrder[], context: ResolveContext, ids: LinkIds) {
		// One item per action type: three lab orders are one "get your lab work done" for the patient.
		const byType = new Map<ActionItemType, { orderId?: string; done: boolean }>();
		for (const order of orders) {
			const type = actionTypeOfOrder(order);
			if (!type) continue;
			const done = orderIsDone(order, type);
			const existing = byType.get(type);
			if (!existing || (existing.done && !done)) byType.set(type, { orderId: order.orderid, done });
		}
		if (options.includeFollowUpVisit && !byType.has('followUpVisit')) byType.set('followUpVisit', { done: false });
		return [...byType.entries()].map(([type, { orderId, done }]): ActionItem => {
			const item = { type, description: actionDescriptions[type], ...(orderId ? { orderId } : {}), done };
			const schedulingLink = schedulingLinkFor(item, context.schedulingLinks, ids);
			return { ...item, ...(schedulingLink ? { schedulingLink } : {}) };
		});
	}

	function zoneFor(department: AthenaDepartment | undefined, context: ResolveContext) {
		const departmentZone = zoneOfDepartment(department);
		if (departmentZone) return { zone: departmentZone, zoneSource: 'department' as const };
		if (context.defaultZone) return { zone: context.defaultZone, zoneSource: 'practice' as const };
		throw new DomainError(
			'athenahealth department has no usable time zone and the practice profile sets no default zone',
			'missing_zone',
			'defaultZone',
		);
	}

	/**
	 * When the visit ended: checkoutdatetime; else lastmodified when it falls on the visit's own day (a charge
	 * entered days later is not the visit's end); else the scheduled start plus duration in the department zone.
	 */
	function completedAtOf(appointment: AthenaAppointment, zone: string): string {
		const checkout = athenaDateTime(appointment.checkoutdatetime, timestampZone);
		if (checkout) return isoOf(checkout);
		const visitDate = isoDateFromAthena(appointment.date);
		const modified = athenaDateTime(appointment.lastmodified, timestampZone);
		if (modified && (!visitDate || modified.setZone(zone).toISODate() === visitDate)) return isoOf(modified);
		const start = appointmentStart(appointment.date, appointment.starttime, zone);
		if (!start) throw new EhrResponseError(EHR, 'appointment.date', 'no date to place the visit in time');
		return isoOf(start.plus({ minutes: typeof appointment.duration === 'number' ? appointment.duration : 0 }));
	}

	function patientContact(patient: AthenaPatient, context: ResolveContext) {
		const email = emailOf(patient);
		const preferredChannel = preferredChannelOf(patient.contactpreference);
		return {
			firstName: patient.firstname?.trim() ?? '',
			phones: phonesOf(patient),
			...(email ? { email } : {}),
			...(preferredChannel ? { preferredChannel } : {}),
			language: languageOf(patient, context.defaultLanguage || 'en'),
		};
	}

	async function buildVisit(input: {
		visitId: string;
		visitType: 'appointment' | 'encounter';
		patientId: string;
		departmentId?: string;
		encounterId?: string;
		visitDate?: string;
		completedAt: (zone: string) => string;
		context: ResolveContext;
	}): Promise<VisitEvent> {
		const [patient, department, orders] = await Promise.all([
			readPatient(input.patientId),
			readDepartment(input.departmentId),
			readOrders(input.encounterId),
		]);
		const { zone, zoneSource } = zoneFor(department, input.context);
		const completedAt = input.completedAt(zone);
		const ids = { patientId: input.patientId, visitId: input.visitId };
		return parseVisitEvent({
			kind: 'visit',
			ehr: EHR,
			practiceId,
			...(input.departmentId ? { departmentId: input.departmentId } : {}),
			patientId: input.patientId,
			zone,
			zoneSource,
			patient: patientContact(patient, input.context),
			consent: consentOf(patient, options.consentWhenUnrecorded ?? false),
			visitId: input.visitId,
			visitType: input.visitType,
			completedAt,
			visitDate: input.visitDate ?? DateTime.fromISO(completedAt).setZone(zone).toISODate(),
			actionItems: actionItemsOf(orders, input.context, ids),
		});
	}

	function isSignedOff(encounter: AthenaEncounter): boolean {
		return ['CLOSED', 'SIGNED'].includes(encounter.status?.toUpperCase() ?? '');
	}

	async function resolveAppointment(
		appointmentId: string,
		event: NotificationEvent,
		context: ResolveContext,
		encounter?: AthenaEncounter,
	): Promise<ResolveResult> {
		const appointment = await readAppointment(appointmentId);
		const status = appointment.appointmentstatus;
		if (!isCompletedStatus(status) && !(encounter && isSignedOff(encounter))) {
			return { status: 'notCompleted', reason: `appointment status ${status} (${statusNames[status] ?? 'unknown'})` };
		}
		const patientId = appointment.patientid ?? encounter?.patientid ?? event.patientId;
		if (!patientId) throw new EhrResponseError(EHR, 'appointment.patientid', 'the appointment names no patient');
		const visit = await buildVisit({
			visitId: appointment.appointmentid,
			visitType: 'appointment',
			patientId,
			departmentId: appointment.departmentid ?? encounter?.departmentid ?? event.departmentId,
			encounterId: appointment.encounterid ?? encounter?.encounterid,
			visitDate: isoDateFromAthena(appointment.date),
			completedAt: (zone) => completedAtOf(appointment, zone),
			context,
		});
		return { status: 'completed', event: visit };
	}

	async function resolveEncounter(event: NotificationEvent, context: ResolveContext): Promise<ResolveResult> {
		const encounter = await readEncounter(event.resourceId);
		// A signed-off encounter of a booked visit is the same journey as its check-out: key it by the appointment.
		if (encounter.appointmentid) return await resolveAppointment(encounter.appointmentid, event, context, encounter);
		if (!isSignedOff(encounter)) {
			return { status: 'notCompleted', reason: `encounter status ${encounter.status ?? 'unknown'}` };
		}
		const patientId = encounter.patientid ?? event.patientId;
		if (!patientId) throw new EhrResponseError(EHR, 'encounter.patientid', 'the encounter names no patient');
		const visitDate = isoDateFromAthena(encounter.encounterdate);
		const visit = await buildVisit({
			visitId: `encounter-${encounter.encounterid}`,
			visitType: 'encounter',
			patientId,
			departmentId: encounter.departmentid ?? event.departmentId,
			encounterId: encounter.encounterid,
			visitDate,
			completedAt: (zone) => {
				// Without an appointment the sign-off event's own time is the best "visit closed" there is.
				if (event.occurredAt) return isoOf(DateTime.fromISO(event.occurredAt, { setZone: true }));
				const day = visitDate ? DateTime.fromISO(visitDate, { zone }) : undefined;
				if (day?.isValid) return isoOf(day);
				throw new EhrResponseError(EHR, 'encounter.encounterdate', 'no date to place the visit in time');
			},
			context,
		});
		return { status: 'completed', event: visit };
	}

	/** One changed-feed read (all pages); 'notSubscribed' when athena says the subscription is missing. */
	async function readChanged(qs: Record<string, string>): Promise<AthenaAppointment[] | 'notSubscribed'> {
		const records: AthenaAppointment[] = [];
		let request: HttpRequest = { method: 'GET', url: `${base}/appointments/changed`, qs };
		for (let page = 0; page < maxPages; page++) {
			const response = await call(request);
			if (response.status >= 400 && rawVendorError(response.body).includes(notSubscribedText)) return 'notSubscribed';
			if (!isOk(response)) throw httpError(response, 'reading the appointment changed feed');
			const list = parse(appointmentListSchema, response.body, 'changed appointments');
			records.push(...list.appointments);
			if (!list.next || list.appointments.length === 0) break;
			request = { method: 'GET', url: list.next };
		}
		return records;
	}

	/** Each configured department (athena filters by one departmentid per call), or the whole practice. */
	function perDepartment(qs: Record<string, string>): Array<Record<string, string>> {
		return departmentIds.length > 0 ? departmentIds.map((departmentid) => ({ ...qs, departmentid })) : [qs];
	}

	async function subscribe(): Promise<void> {
		const events = options.subscriptionEvents?.filter(Boolean) ?? [];
		const action = 'subscribing to the appointment changed feed';
		for (const eventname of events.length > 0 ? events : [undefined]) {
			const form: Record<string, string> = eventname ? { eventname } : {};
			if (departmentIds.length > 0) form.departmentids = departmentIds.join(',');
			const response = await send({ method: 'POST', url: `${base}/appointments/changed/subscription`, form }, action);
			if (successSchema.safeParse(response.body).data?.success === false) {
				const detail = vendorErrorText(response.body) ?? 'refused';
				throw new EhrHttpError(EHR, response.status, `${action}: ${detail}`, false);
			}
		}
	}

	function eventsOf(records: AthenaAppointment[]): NotificationEvent[] {
		const events = new Map<string, NotificationEvent>();
		for (const record of records) {
			if (!isCompletedStatus(record.appointmentstatus)) continue;
			// Stable across re-reads: the same change always yields the same id.
			const { appointmentid, appointmentstatus, lastmodified } = record;
			const eventId = `appointment:${appointmentid}:status:${appointmentstatus}:${lastmodified ?? ''}`;
			if (events.has(eventId)) continue;
			const modified = athenaDateTime(record.lastmodified, timestampZone);
			events.set(eventId, {
				ehr: EHR,
				eventId,
				topic: 'appointments/changed',
				resourceType: 'Appointment',
				resourceId: record.appointmentid,
				practiceId,
				...(record.patientid ? { patientId: record.patientid } : {}),
				...(record.departmentid ? { departmentId: record.departmentid } : {}),
				// Only the change's own facts travel on: athena's record also carries notes and patient details.
				resource: {
					appointmentid: record.appointmentid,
					appointmentstatus: record.appointmentstatus,
					...(record.departmentid ? { departmentid: record.departmentid } : {}),
					...(record.date ? { date: record.date } : {}),
					...(record.lastmodified ? { lastmodified: record.lastmodified } : {}),
				},
				...(modified ? { occurredAt: isoOf(modified) } : {}),
			});
		}
		return [...events.values()];
	}

	async function laterAppointments(visit: VisitEvent): Promise<LaterAppointment[]> {
		let appointments: AthenaAppointment[];
		if (options.followUpSource === 'booked') {
			const days = options.followUpWindowDays ?? 180;
			const end = DateTime.fromISO(visit.visitDate, { zone: 'utc' }).plus({ days });
			appointments = await getAll(`${base}/appointments/booked`, 'booked appointments', {
				patientid: visit.patientId,
				startdate: athenaDate(visit.visitDate),
				enddate: athenaDate(end.toISODate() as string),
				showcancelled: 'true',
			});
		} else {
			// showpast=true: a follow-up that already took place (status 3/4) is in the past when this runs.
			appointments = await getAll(pathOf('patients', visit.patientId, 'appointments'), 'patient appointments', {
				showpast: 'true',
				showcancelled: 'true',
			});
		}
		const visitEnd = DateTime.fromISO(visit.completedAt, { setZone: true });
		const later: LaterAppointment[] = [];
		for (const appointment of appointments) {
			if (visit.visitType === 'appointment' && appointment.appointmentid === visit.visitId) continue;
			const start = appointmentStart(appointment.date, appointment.starttime, visit.zone);
			if (!start) continue;
			const date = start.toISODate() as string;
			if (date < visit.visitDate || (date === visit.visitDate && start < visitEnd)) continue;
			later.push({ appointment, start });
		}
		return later.sort((a, b) => a.start.toMillis() - b.start.toMillis());
	}

	function followUpOf(candidates: LaterAppointment[], checked: string[]): FollowUpStatus {
		const withStatus = (...statuses: string[]) =>
			candidates.find((candidate) => statuses.includes(candidate.appointment.appointmentstatus));
		const completed = withStatus('3', '4');
		if (completed) {
			const { appointmentid } = completed.appointment;
			return { status: 'done', detail: `a later visit (appointment ${appointmentid}) was completed` };
		}
		const booked = withStatus('f', '2');
		if (booked) {
			const { appointmentid, appointmentstatus } = booked.appointment;
			return {
				status: 'booked',
				appointmentId: appointmentid,
				start: isoOf(booked.start),
				detail: `appointment ${appointmentid} is ${statusNames[appointmentstatus]}`,
			};
		}
		const noShow = candidates.find(
			({ appointment }) => appointment.appointmentstatus === 'x' && appointment.cancelreasonnoshow === true,
		);
		if (noShow) {
			const appointmentId = noShow.appointment.appointmentid;
			return { status: 'noShow', appointmentId, detail: 'the follow-up appointment was a no-show' };
		}
		return { status: 'open', checked };
	}

	async function rereadRecords(window: AthenaReadWindow): Promise<AthenaAppointment[]> {
		const records: AthenaAppointment[] = [];
		const qs = {
			showprocessedstartdatetime: window.start,
			showprocessedenddatetime: window.end,
			// A server that also returns new changes in a re-read must not consume them here.
			leaveunprocessed: 'true',
		};
		for (const departmentQs of perDepartment(qs)) {
			const read = await readChanged(departmentQs);
			if (read !== 'notSubscribed') records.push(...read);
		}
		return records;
	}

	return {
		kind: 'athenahealth',
		findsEarlierTasks: false,

		async resolveVisit(event, context) {
			if (event.practiceId && event.practiceId !== practiceId) {
				const reason = 'the notification names another athena practice than the credential';
				return { status: 'notCompleted', reason };
			}
			return event.resourceType === 'Appointment'
				? await resolveAppointment(event.resourceId, event, context)
				: await resolveEncounter(event, context);
		},

		/*
		 * The changed feed is a DESTRUCTIVE read: a GET marks what it returns as processed, and athena does not
		 * return it again. Why nothing is lost anyway:
		 * 1. This method returns the events to the poll trigger, which hands them to n8n; n8n writes the new
		 *    execution, with these items as the trigger's output, to its database before any downstream node runs.
		 *    A workflow that fails later leaves a failed execution holding the items (retry it from the UI), and
		 *    every event is claimed in the journey store before anything is sent.
		 * 2. The remaining gap is a crash between athena's answer and n8n persisting the execution. For that the
		 *    cursor records the window this read consumed (extra.lastReadStart/lastReadEnd, Eastern, as athena wants
		 *    them); `rereadProcessed(window)` fetches those changes again with showprocessedstartdatetime/
		 *    showprocessedenddatetime (athena keeps processed messages for a short time only, so do it promptly).
		 *    Each poll does that itself before its own read: it re-reads what was processed between the end of the
		 *    last successful read (extra.lastReadAt in the cursor n8n saved; athena's clock may lag ours by less than
		 *    a poll interval) and now. Normally that is nothing; after a poll that read
		 *    the feed and then failed before n8n saved its output, it is exactly what that poll consumed.
		 * 3. Re-reading is safe: event ids are built from appointment id + status + lastmodified, so a re-read
		 *    yields the same ids, and the journey store's claims turn repeats into visible duplicates, not messages.
		 * cursor.extra.leaveUnprocessed = "true" reads without consuming (athena's leaveunprocessed; for tests and
		 * the editor's "fetch test event"); such a read leaves the cursor as it was.
		 */
		async pollChanges(cursor, now) {
			const margin = options.readWindowMarginMinutes ?? 5;
			const nowTime = DateTime.fromJSDate(now);
			const leaveUnprocessed = cursor.extra?.leaveUnprocessed === 'true';
			const windowStart = easternDateTime(nowTime.minus({ minutes: margin }));
			const readStarted = performance.now();
			const records: AthenaAppointment[] = [];
			const lost = lastReadWindow(cursor);
			// From the end of the last saved read, not of its window (+ margin): a crash minutes later must be covered.
			const rereadFrom = cursor.extra?.lastReadAt ?? lost?.start;
			if (lost && rereadFrom && !leaveUnprocessed) {
				records.push(...(await rereadRecords({ start: rereadFrom, end: easternDateTime(nowTime) })));
			}
			let subscriptionRequestedAt: string | undefined;
			for (const qs of perDepartment(leaveUnprocessed ? { leaveunprocessed: 'true' } : {})) {
				let read = await readChanged(qs);
				if (read === 'notSubscribed') {
					await subscribe();
					subscriptionRequestedAt = now.toISOString();
					// athena activates a subscription within minutes (10-15 in preview): usually nothing to read yet.
					read = await readChanged(qs);
				}
				if (read !== 'notSubscribed') records.push(...read);
			}
			const windowEnd = easternDateTime(nowTime.plus({ minutes: margin }));
			// When this read was over, rounded up to athena's whole seconds: what it consumed is stamped before it.
			const readEnd = nowTime.plus({ milliseconds: performance.now() - readStarted, seconds: 1 }).startOf('second');

			// Turning the trigger on must not replay old visits still queued in the feed.
			const since = DateTime.fromISO(cursor.since, { setZone: true });
			const staleBefore = since.isValid ? since.minus({ hours: options.staleChangeHours ?? 6 }) : undefined;
			const fresh = records.filter((record) => {
				const modified = athenaDateTime(record.lastmodified, timestampZone);
				return !staleBefore || !modified || modified >= staleBefore;
			});

			const extra: Record<string, string> = leaveUnprocessed
				? { ...(cursor.extra ?? {}) }
				: { lastReadStart: windowStart, lastReadEnd: windowEnd, lastReadAt: easternDateTime(readEnd) };
			delete extra.leaveUnprocessed;
			if (subscriptionRequestedAt) extra.subscriptionRequestedAt = subscriptionRequestedAt;
			const advance = !leaveUnprocessed && (!since.isValid || nowTime > since);
			return { events: eventsOf(fresh), nextCursor: { since: advance ? isoOf(nowTime) : cursor.since, extra } };
		},

		async rereadProcessed(window) {
			return eventsOf(await rereadRecords(window));
		},

		async findFollowUp(visit, query) {
			const checked: string[] = [];
			if (query.checkVisitStatus !== false && visit.visitType === 'appointment') {
				const current = await readAppointment(visit.visitId);
				checked.push('visit status');
				if (current.appointmentstatus === 'x') {
					return current.cancelreasonnoshow
						? { status: 'noShow', appointmentId: current.appointmentid, detail: 'the visit was marked a no-show' }
						: { status: 'visitCancelled', detail: 'the visit appointment was cancelled in athenaOne' };
				}
			}
			const candidates = await laterAppointments(visit);
			const source = options.followUpSource === 'booked' ? 'booked' : 'patient';
			checked.push(`${source} appointments after the visit`);
			const types = query.appointmentTypes?.filter(Boolean) ?? [];
			const relevant = types.length === 0
				? candidates
				: candidates.filter(({ appointment }) => types.includes(appointment.appointmenttypeid ?? ''));
			return followUpOf(relevant, checked);
		},

		/*
		 * Idempotency is the node's: athena cannot search patient cases by a key of ours, so the EHR Task node
		 * claims journey + stage in the journey store before calling this, and a retry after a crash in between is
		 * reported as "unknown — check", not repeated.
		 */
		async createTask(escalation) {
			if (!escalation.patientId) {
				throw new DomainError(
					'athenahealth files tasks as patient cases, which need a patient: a text from a number no journey reached ' +
						'cannot be filed; read it in the execution and answer by phone',
					'not_supported',
					'patientId',
				);
			}
			const caseOptions = options.patientCase ?? {};
			const departmentId = escalation.departmentId ?? caseOptions.departmentId;
			if (!departmentId) {
				throw new DomainError(
					'athenahealth patient cases need a department: none on the visit and none configured',
					'missing_department',
					'departmentId',
				);
			}
			const form: Record<string, string> = {
				departmentid: departmentId,
				documentsource: caseOptions.documentSource ?? defaultPatientCaseSource,
				documentsubclass: caseOptions.documentSubclass ?? defaultPatientCaseSubclass,
				subject: truncate(escalation.title, 100),
				internalnote: truncate(escalation.note, internalNoteLimit),
				priority: escalation.priority === 'urgent' ? '1' : '2',
				outboundonly: 'true',
			};
			if (caseOptions.providerId) form.providerid = caseOptions.providerId;
			const callback = athenaPhone(escalation.callbackNumber);
			if (callback) form.callbacknumber = callback;
			const casePath = `${pathOf('patients', escalation.patientId)}/documents/patientcase`;
			const action = 'creating the patient case';
			const response = await send({ method: 'POST', url: casePath, form }, action);
			const created = parse(patientCaseCreatedSchema, response.body, 'patientcase');
			if (created.success === false || !created.patientcaseid) {
				const detail = vendorErrorText(response.body) ?? 'athena answered without a patientcaseid';
				throw new EhrHttpError(EHR, response.status, `${action}: ${detail}`, false);
			}
			const result: AthenaTaskResult = {
				taskId: created.patientcaseid,
				kind: 'patientCase',
				created: true,
				assignment: 'notRequested',
			};
			if (!escalation.assigneeId) return result;
			// The case exists now: a refused assignment is reported on the result, not thrown, so a retry does
			// not create a second case.
			const assign = await call({
				method: 'PUT',
				url: `${casePath}/${encodeURIComponent(created.patientcaseid)}/assign`,
				form: { username: escalation.assigneeId },
			});
			if (isOk(assign) && successSchema.safeParse(assign.body).data?.success !== false) {
				return { ...result, assignment: 'assigned' };
			}
			const detail = vendorErrorText(assign.body);
			const assignmentError = `athena answered ${assign.status}${detail ? `: ${detail}` : ''}`;
			return { ...result, assignment: 'failed', assignmentError };
		},

		/**
		 * athena's FCC text consent: `consenttotext` on PUT /patients/{patientid} (form-encoded), the same flag
		 * resolveVisit reads. athena notes it can only be true with a valid mobile number on file.
		 */
		async updateSmsConsent(update: SmsConsentUpdate): Promise<SmsConsentResult> {
			const patient = await readPatient(update.patientId);
			if (patient.consenttotext === update.allowed) {
				return { status: 'unchanged', detail: `athenahealth patient consenttotext was already ${update.allowed}` };
			}
			await send(
				{ method: 'PUT', url: pathOf('patients', update.patientId), form: { consenttotext: String(update.allowed) } },
				"updating the patient's text consent",
			);
			return { status: 'updated', detail: `athenahealth patient consenttotext set to ${update.allowed}` };
		},

		async pollRecalls(_window: RecallWindow, _context: ResolveContext): Promise<RecallDue[]> {
			throw new DomainError(
				'athenahealth has no API that lists recalls (appointment ticklers), so recall journeys are not available ' +
					'for athenaOne; use post-visit journeys, or a FHIR source that holds the recall dates',
				'not_supported',
				'event',
			);
		},
	};
}
