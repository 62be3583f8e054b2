import { randomBytes, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import { DateTime } from 'luxon';

import { hmacSha256Hex } from '../nodes/shared/ehr/signature';

/**
 * A local athenahealth-shaped server for tests and the sandbox: the token endpoint (client credentials, HTTP Basic),
 * the proprietary `/v1/{practiceid}/…` endpoints the adapter uses, athena's error bodies (`{ error,
 * detailedmessage }`), and the DESTRUCTIVE appointment changed feed (a GET marks what it returns as processed;
 * showprocessedstartdatetime/enddatetime re-reads; leaveunprocessed reads without consuming; no subscription →
 * 403 "Changed messages require setup (subscription) that has not been done."). Shapes follow recorded athena
 * responses (one-element arrays for single resources, ids as strings, MM/DD/YYYY dates, Eastern timestamps).
 * Where athena's exact answer is unknown (expired-token body, wrong-practice status) the choice is marked.
 */

export type AthenaRecord = Record<string, unknown>;

export interface AthenaFault {
	/** Only requests with this method (default: any). */
	method?: string;
	/** Only requests whose path contains this string or matches this pattern (default: any /v1 path). */
	path?: string | RegExp;
	/** The status to answer with; without one (and with `delayMs`) the real answer is sent, late. */
	status?: number;
	/**
	 * Answer this much later: beyond the client's timeout it is a slow server. Without a status the request is
	 * served for real at once (a changed-feed read consumes the feed now) and only the answer is late, so a client
	 * that dies meanwhile never learns what it consumed.
	 */
	delayMs?: number;
	retryAfter?: string;
	/** With a 3xx status: where the answer sends the client (e.g. another host, which must never get the token). */
	location?: string;
	body?: unknown;
	/** How many requests it hits (default 1). */
	times?: number;
	/** Only requests whose query this accepts as well (e.g. a changed-feed read, not a re-read). */
	query?: (query: Record<string, string>) => boolean;
}

export interface ChangeEntry {
	sequence: number;
	eventName: string;
	/** The appointment as it was when it changed. */
	record: AthenaRecord;
	createdAt: Date;
	processedAt?: Date;
}

export interface TokenRequestLog {
	at: Date;
	/** The request authenticated the client with HTTP Basic. */
	basicAuth: boolean;
	clientAccepted: boolean;
	grantType?: string;
	scope?: string;
	contentType?: string;
}

export interface RequestLog {
	method: string;
	path: string;
	query: Record<string, string>;
	form?: Record<string, string>;
	authorization?: string;
}

export interface AthenaSandboxState {
	departments: Map<string, AthenaRecord>;
	patients: Map<string, AthenaRecord>;
	appointments: Map<string, AthenaRecord>;
	encounters: Map<string, AthenaRecord>;
	/** Orders by encounter id. */
	orders: Map<string, AthenaRecord[]>;
	patientCases: Map<string, AthenaRecord>;
	changedFeed: ChangeEntry[];
	subscription: { active: boolean; events: Set<string> };
	/** athenaNet usernames a patient case may be assigned to. */
	users: Set<string>;
	/** The practice's appointment types (GET /appointmenttypes), by appointmenttypeid. */
	appointmentTypes: Map<string, AthenaRecord>;
	tokens: Map<string, Date>;
	tokenRequests: TokenRequestLog[];
	requests: RequestLog[];
	faults: AthenaFault[];
	nextCaseId: number;
	nextSequence: number;
}

export interface AthenaServerOptions {
	port?: number;
	host?: string;
	practiceId: string;
	clientId: string;
	clientSecret: string;
	/** The server's clock (processed times, lastmodified, token expiry). Default: the real clock. */
	now?: () => Date;
	tokenTtlSeconds?: number;
	/** athena allows 5 token requests a minute in preview, 50 in production; unlimited when unset. */
	tokenRateLimitPerMinute?: number;
	/** Re-reads with a showprocessed window also return (and, without leaveunprocessed, consume) new changes. */
	rereadIncludesUnprocessed?: boolean;
	/** Page size when a request sends no `limit` (athena: 1500). */
	defaultPageSize?: number;
	/** Seed a demo department, patient, checked-in appointment with orders, and a coordinator user. */
	seedDemo?: boolean;
}

export interface EmitChangeInput {
	appointmentId: string;
	/** New appointmentstatus (x, f, 2, 3, 4); unchanged when omitted. */
	status?: string;
	at?: Date;
	/** Changed-feed event name; derived from the status when omitted. */
	eventName?: string;
	/** Fields to set on the appointment as well. */
	fields?: AthenaRecord;
}

export interface AthenaSandbox {
	url: string;
	practiceId: string;
	state: AthenaSandboxState;
	close(): Promise<void>;
	injectFault(fault: AthenaFault): void;
	/** Every issued token stops working (athena answers 401 until a new token is fetched). */
	expireTokens(): void;
	/** A valid token without going through the token endpoint (not counted in tokenRequests). */
	issueToken(): string;
	addDepartment(department: AthenaRecord & { departmentid: string }): AthenaRecord;
	addPatient(patient: AthenaRecord & { patientid: string }): AthenaRecord;
	addAppointment(appointment: AthenaRecord & { appointmentid: string }): AthenaRecord;
	addEncounter(encounter: AthenaRecord & { encounterid: string }): AthenaRecord;
	setOrders(encounterId: string, orders: AthenaRecord[]): void;
	addUser(username: string): void;
	addAppointmentType(type: AthenaRecord & { appointmenttypeid: string; name: string }): AthenaRecord;
	/** Changes an appointment and queues a changed-feed record (only while subscribed, as athena does). */
	emitChange(input: EmitChangeInput): ChangeEntry | undefined;
	/** Checks an appointment out (status 3, checkoutdatetime) and queues the change. */
	checkOut(appointmentId: string, at?: Date): ChangeEntry | undefined;
}

export const athenaEastern = 'America/New_York';

/** The athenaNet usernames of the demo practice's staff (the practice profile's staff directory names them). */
export const athenaDemoUsers = { coordinator: 'jcoordinator' };

/**
 * A practice's appointment types as athena lists them (recorded responses: strings throughout, `generic`,
 * `patient` and `templatetypeonly` as "true"/"false"). The demo visit is type 2.
 */
export const defaultAppointmentTypes: Array<AthenaRecord & { appointmenttypeid: string; name: string }> = [
	{ appointmenttypeid: '2', name: 'Follow-Up Visit', shortname: 'FU', duration: '15', patientdisplayname: 'Follow-up visit', generic: 'false', patient: 'true', templatetypeonly: 'false' },
	{ appointmenttypeid: '4', name: 'Physical Exam', shortname: 'PE', duration: '30', patientdisplayname: 'Physical exam', generic: 'false', patient: 'true', templatetypeonly: 'false' },
	{ appointmenttypeid: '21', name: 'Allergy Test', shortname: 'ALLG', duration: '30', patientdisplayname: 'Allergy test', generic: 'false', patient: 'true', templatetypeonly: 'false' },
	{ appointmenttypeid: '82', name: 'Any 15', shortname: 'ANY15', duration: '15', patientdisplayname: 'Any 15', generic: 'true', patient: 'true', templatetypeonly: 'false' },
	{ appointmenttypeid: '90', name: 'Lunch Block', shortname: 'LUNCH', duration: '60', patientdisplayname: 'Lunch', generic: 'false', patient: 'false', templatetypeonly: 'true' },
];

/** Holds back what the handler writes by `delayMs` (the answer is computed, and its effects happen, now). */
function deferAnswer(response: ServerResponse, delayMs: number): void {
	const end = response.end.bind(response) as (...args: unknown[]) => ServerResponse;
	response.end = ((...args: unknown[]) => {
		setTimeout(() => {
			if (!response.destroyed) end(...args);
		}, delayMs).unref();
		return response;
	}) as ServerResponse['end'];
}
/** The exact body athena's gateway sends for an expired token is not documented (the 401 is). */
const expiredTokenBody = { error: 'Unauthorized', detailedmessage: 'The access token is invalid or has expired.' };
export const notSubscribedMessage = 'Changed messages require setup (subscription) that has not been done.';
export const changedFeedEvents = [
	'ScheduleAppointment',
	'CheckIn',
	'CheckOut',
	'UpdateAppointment',
	'CancelAppointment',
	'UpdateReminderCall',
	'UpdateSuggestedOverbooking',
	'FreezeAppointment',
	'UnfreezeAppointment',
	'DeleteAppointment',
	'AddAppointmentSlot',
];

export function easternStamp(instant: Date): string {
	return DateTime.fromJSDate(instant).setZone(athenaEastern).toFormat('MM/dd/yyyy HH:mm:ss');
}

function parseEastern(value: string | undefined): Date | undefined {
	if (!value) return undefined;
	const parsed = DateTime.fromFormat(value, 'MM/dd/yyyy HH:mm:ss', { zone: athenaEastern });
	return parsed.isValid ? parsed.toJSDate() : undefined;
}

function athenaDateToIso(value: unknown): string | undefined {
	if (typeof value !== 'string') return undefined;
	const parsed = DateTime.fromFormat(value, 'MM/dd/yyyy', { zone: 'utc' });
	return parsed.isValid ? (parsed.toISODate() as string) : undefined;
}

function eventNameFor(status: string | undefined, previous: string | undefined): string {
	switch (status) {
		case 'x':
			return 'CancelAppointment';
		case '2':
			return 'CheckIn';
		case '3':
			return 'CheckOut';
		case 'f':
			return previous === undefined || previous === 'o' ? 'ScheduleAppointment' : 'UpdateAppointment';
		default:
			return 'UpdateAppointment';
	}
}

const isTrue = (value: string | undefined) => ['true', 'y', 'yes', '1'].includes((value ?? '').toLowerCase());

function send(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
	const text = body === undefined ? '' : JSON.stringify(body);
	response.writeHead(status, { 'content-type': 'application/json', ...headers });
	response.end(text);
}

function athenaError(response: ServerResponse, status: number, error: string, detailedmessage?: string): void {
	send(response, status, detailedmessage ? { error, detailedmessage } : { error });
}

async function readBody(request: IncomingMessage): Promise<string> {
	const chunks: Buffer[] = [];
	for await (const chunk of request) chunks.push(chunk as Buffer);
	return Buffer.concat(chunks).toString('utf8');
}

function pageOf<T>(
	items: T[],
	query: Record<string, string>,
	defaultLimit = 1500,
): { page: T[]; offset: number; limit: number } {
	const limit = Math.min(Math.max(Number(query.limit ?? defaultLimit) || defaultLimit, 1), 5000);
	const offset = Math.max(Number(query.offset ?? 0) || 0, 0);
	return { page: items.slice(offset, offset + limit), offset, limit };
}

function withQuery(path: string, query: Record<string, string>): string {
	const search = new URLSearchParams(query).toString();
	return search ? `${path}?${search}` : path;
}

/** Starts the server on 127.0.0.1 (port 0 = any free port). */
export async function startAthenaServer(options: AthenaServerOptions): Promise<AthenaSandbox> {
	const now = options.now ?? (() => new Date());
	const practiceId = options.practiceId;
	const state: AthenaSandboxState = {
		departments: new Map(),
		patients: new Map(),
		appointments: new Map(),
		encounters: new Map(),
		orders: new Map(),
		patientCases: new Map(),
		changedFeed: [],
		subscription: { active: false, events: new Set() },
		users: new Set(),
		appointmentTypes: new Map(defaultAppointmentTypes.map((type) => [type.appointmenttypeid, { ...type }])),
		tokens: new Map(),
		tokenRequests: [],
		requests: [],
		faults: [],
		nextCaseId: 491696,
		nextSequence: 1,
	};

	function issueToken(): string {
		const token = randomBytes(24).toString('base64url');
		state.tokens.set(token, new Date(now().getTime() + (options.tokenTtlSeconds ?? 3600) * 1000));
		return token;
	}

	function takeFault(method: string, path: string, query: Record<string, string> = {}): AthenaFault | undefined {
		const index = state.faults.findIndex((fault) => {
			if (fault.method && fault.method.toUpperCase() !== method) return false;
			if (fault.query && !fault.query(query)) return false;
			if (fault.path === undefined) return path.startsWith('/v1/');
			return typeof fault.path === 'string' ? path.includes(fault.path) : fault.path.test(path);
		});
		if (index < 0) return undefined;
		const fault = state.faults[index] as AthenaFault;
		const remaining = (fault.times ?? 1) - 1;
		if (remaining <= 0) state.faults.splice(index, 1);
		else fault.times = remaining;
		return fault;
	}

	function handleToken(request: IncomingMessage, response: ServerResponse, body: string): void {
		const authorization = request.headers.authorization ?? '';
		const basic = /^Basic\s+(.+)$/i.exec(authorization);
		let clientAccepted = false;
		if (basic) {
			const decoded = Buffer.from(basic[1] as string, 'base64').toString('utf8');
			const separator = decoded.indexOf(':');
			const [id, secret] = [decoded.slice(0, separator), decoded.slice(separator + 1)];
			clientAccepted = id === options.clientId && secret === options.clientSecret;
		}
		const form = new URLSearchParams(body);
		const at = now();
		state.tokenRequests.push({
			at,
			basicAuth: Boolean(basic),
			clientAccepted,
			grantType: form.get('grant_type') ?? undefined,
			scope: form.get('scope') ?? undefined,
			contentType: request.headers['content-type'],
		});
		const limit = options.tokenRateLimitPerMinute;
		if (limit !== undefined) {
			const recent = state.tokenRequests.filter((entry) => at.getTime() - entry.at.getTime() < 60_000).length;
			if (recent > limit) {
				const body = { error: 'rate_limit_exceeded', error_description: 'Too many token requests' };
				send(response, 429, body, { 'retry-after': '60' });
				return;
			}
		}
		if (!clientAccepted) {
			send(response, 401, { error: 'invalid_client', error_description: 'Client authentication failed.' });
			return;
		}
		if (form.get('grant_type') !== 'client_credentials') {
			send(response, 400, { error: 'unsupported_grant_type', error_description: 'grant_type must be client_credentials' });
			return;
		}
		const expiresIn = options.tokenTtlSeconds ?? 3600;
		send(response, 200, {
			access_token: issueToken(),
			token_type: 'Bearer',
			expires_in: expiresIn,
			scope: form.get('scope') ?? 'athena/service/Athenanet.MDP.*',
		});
	}

	function tokenValid(authorization: string | undefined): boolean {
		const bearer = /^Bearer\s+(.+)$/i.exec(authorization ?? '');
		const expiresAt = bearer ? state.tokens.get(bearer[1] as string) : undefined;
		return expiresAt !== undefined && expiresAt.getTime() > now().getTime();
	}

	function queueChange(appointment: AthenaRecord, eventName: string, at: Date): ChangeEntry | undefined {
		if (!state.subscription.active) return undefined;
		if (state.subscription.events.size > 0 && !state.subscription.events.has(eventName)) return undefined;
		const entry: ChangeEntry = { sequence: state.nextSequence++, eventName, record: { ...appointment }, createdAt: at };
		state.changedFeed.push(entry);
		return entry;
	}

	function emitChange(input: EmitChangeInput): ChangeEntry | undefined {
		const appointment = state.appointments.get(input.appointmentId);
		if (!appointment) throw new Error(`sandbox: no appointment ${input.appointmentId}`);
		const at = input.at ?? now();
		const previous = appointment.appointmentstatus as string | undefined;
		Object.assign(appointment, input.fields ?? {});
		if (input.status !== undefined) appointment.appointmentstatus = input.status;
		if (input.status === 'x') appointment.cancelleddatetime = easternStamp(at);
		appointment.lastmodified = easternStamp(at);
		appointment.lastmodifiedby = 'SANDBOX';
		return queueChange(appointment, input.eventName ?? eventNameFor(input.status, previous), at);
	}

	function changedFeed(query: Record<string, string>, response: ServerResponse): void {
		if (!state.subscription.active) {
			athenaError(response, 403, notSubscribedMessage);
			return;
		}
		const leave = isTrue(query.leaveunprocessed);
		const windowStart = parseEastern(query.showprocessedstartdatetime);
		const windowEnd = parseEastern(query.showprocessedenddatetime);
		const rereading = windowStart !== undefined || windowEnd !== undefined;
		const inWindow = (entry: ChangeEntry) =>
			entry.processedAt !== undefined &&
			(!windowStart || entry.processedAt.getTime() >= windowStart.getTime()) &&
			(!windowEnd || entry.processedAt.getTime() <= windowEnd.getTime());
		const matches = (entry: ChangeEntry) =>
			(!query.departmentid || String(entry.record.departmentid) === query.departmentid) &&
			(!query.patientid || String(entry.record.patientid) === query.patientid);
		const selected = state.changedFeed.filter((entry) => {
			if (!matches(entry)) return false;
			const unprocessed = entry.processedAt === undefined;
			if (rereading) return inWindow(entry) || (options.rereadIncludesUnprocessed === true && unprocessed);
			return unprocessed;
		});
		const { page, offset, limit } = pageOf(selected, query, options.defaultPageSize);
		const processedAt = now();
		for (const entry of page) if (!leave && entry.processedAt === undefined) entry.processedAt = processedAt;
		const consumed = !leave && !rereading;
		const more = consumed ? selected.length > page.length : offset + limit < selected.length;
		// Consumed records drop out of the feed, so the next page of a destructive read starts at 0 again.
		const nextOffset = consumed ? '0' : String(offset + limit);
		const next = more ? withQuery(`/v1/${practiceId}/appointments/changed`, { ...query, offset: nextOffset }) : undefined;
		const appointments = page.map((entry) => entry.record);
		send(response, 200, { appointments, totalcount: selected.length, ...(next ? { next } : {}) });
	}

	function patientAppointments(patientId: string, query: Record<string, string>, response: ServerResponse): void {
		const today = DateTime.fromJSDate(now()).setZone(athenaEastern).toISODate() as string;
		const showPast = isTrue(query.showpast);
		const showCancelled = isTrue(query.showcancelled);
		const items = [...state.appointments.values()].filter((appointment) => {
			if (String(appointment.patientid) !== patientId) return false;
			if (appointment.appointmentstatus === 'x' && !showCancelled) return false;
			const date = athenaDateToIso(appointment.date);
			return showPast || (date !== undefined && date >= today);
		});
		const { page, offset, limit } = pageOf(items, query, options.defaultPageSize);
		const next = offset + limit < items.length
			? withQuery(`/v1/${practiceId}/patients/${patientId}/appointments`, { ...query, offset: String(offset + limit) })
			: undefined;
		send(response, 200, { appointments: page, totalcount: items.length, ...(next ? { next } : {}) });
	}

	/** athena's list: every field a string, template-only types hidden on request, paged with `next`. */
	function appointmentTypes(query: Record<string, string>, response: ServerResponse): void {
		const items = [...state.appointmentTypes.values()].filter((type) => {
			if (isTrue(query.hidetemplatetypeonly) && isTrue(String(type.templatetypeonly))) return false;
			if (isTrue(query.hidenonpatient) && !isTrue(String(type.patient))) return false;
			if (isTrue(query.hidegeneric) && isTrue(String(type.generic))) return false;
			return true;
		});
		const { page, offset, limit } = pageOf(items, query, options.defaultPageSize);
		const next = offset + limit < items.length
			? withQuery(`/v1/${practiceId}/appointmenttypes`, { ...query, offset: String(offset + limit) })
			: undefined;
		send(response, 200, { appointmenttypes: page, totalcount: items.length, ...(next ? { next } : {}) });
	}

	function bookedAppointments(query: Record<string, string>, response: ServerResponse): void {
		const start = athenaDateToIso(query.startdate);
		const end = athenaDateToIso(query.enddate);
		if (!start || !end) {
			athenaError(response, 400, 'Additional fields are required.', 'startdate and enddate (mm/dd/yyyy) are required');
			return;
		}
		const scheduledStart = athenaDateToIso(query.scheduledstartdate);
		const scheduledEnd = athenaDateToIso(query.scheduledenddate);
		const items = [...state.appointments.values()].filter((appointment) => {
			const date = athenaDateToIso(appointment.date);
			if (!date || date < start || date > end) return false;
			if (appointment.appointmentstatus === 'o') return false;
			if (appointment.appointmentstatus === 'x' && !isTrue(query.showcancelled)) return false;
			if (query.patientid && String(appointment.patientid) !== query.patientid) return false;
			if (query.departmentid && String(appointment.departmentid) !== query.departmentid) return false;
			if (query.appointmenttypeid && String(appointment.appointmenttypeid) !== query.appointmenttypeid) return false;
			if (query.appointmentstatus && appointment.appointmentstatus !== query.appointmentstatus) return false;
			const scheduledAt = appointment.scheduleddatetime;
			const scheduled = typeof scheduledAt === 'string' ? athenaDateToIso(scheduledAt.slice(0, 10)) : undefined;
			if (scheduledStart && (!scheduled || scheduled < scheduledStart)) return false;
			if (scheduledEnd && (!scheduled || scheduled > scheduledEnd)) return false;
			return true;
		});
		const { page, offset, limit } = pageOf(items, query, options.defaultPageSize);
		const next = offset + limit < items.length
			? withQuery(`/v1/${practiceId}/appointments/booked`, { ...query, offset: String(offset + limit) })
			: undefined;
		send(response, 200, { appointments: page, totalcount: items.length, ...(next ? { next } : {}) });
	}

	/**
	 * GET /chart/{patientid}/encounters as two public clients describe it: departmentid required, startdate/enddate
	 * optional (inclusive, MM/DD/YYYY), only VISIT and ORDERSONLY encounters in OPEN, CLOSED or REVIEW status unless
	 * showalltypes/showallstatuses, answered as `{ encounters, totalcount }`.
	 */
	function patientEncounters(patientId: string, query: Record<string, string>, response: ServerResponse): void {
		if (!query.departmentid) {
			athenaError(response, 400, 'Additional fields are required.', 'departmentid is required');
			return;
		}
		const start = athenaDateToIso(query.startdate);
		const end = athenaDateToIso(query.enddate);
		const items = [...state.encounters.values()].filter((encounter) => {
			if (String(encounter.patientid) !== patientId || String(encounter.departmentid) !== query.departmentid) return false;
			const date = athenaDateToIso(encounter.encounterdate);
			if ((start && (!date || date < start)) || (end && (!date || date > end))) return false;
			const type = String(encounter.encountertype ?? 'VISIT');
			if (!isTrue(query.showalltypes) && !['VISIT', 'ORDERSONLY'].includes(type)) return false;
			return isTrue(query.showallstatuses) || ['OPEN', 'CLOSED', 'REVIEW'].includes(String(encounter.status));
		});
		const { page, offset, limit } = pageOf(items, query, options.defaultPageSize);
		const next = offset + limit < items.length
			? withQuery(`/v1/${practiceId}/chart/${patientId}/encounters`, { ...query, offset: String(offset + limit) })
			: undefined;
		send(response, 200, { encounters: page, totalcount: items.length, ...(next ? { next } : {}) });
	}

	function createPatientCase(patientId: string, form: Record<string, string>, response: ServerResponse): void {
		if (!state.patients.has(patientId)) {
			athenaError(response, 404, 'The patient ID is invalid.');
			return;
		}
		const missing = ['departmentid', 'documentsource', 'documentsubclass'].filter((field) => !form[field]);
		if (missing.length > 0) {
			athenaError(response, 400, 'Additional fields are required.', `Missing: ${missing.join(', ')}`);
			return;
		}
		if (!state.departments.has(form.departmentid as string)) {
			athenaError(response, 400, 'The department ID is invalid.');
			return;
		}
		if ((form.internalnote ?? '').length > 4000) {
			athenaError(response, 400, 'internalnote is limited to 4000 characters.');
			return;
		}
		if (form.priority && !['1', '2'].includes(form.priority)) {
			athenaError(response, 400, 'priority must be 1 or 2.');
			return;
		}
		if (form.callbacknumber && form.callbacknumbertype) {
			athenaError(response, 400, 'callbacknumber and callbacknumbertype are mutually exclusive.');
			return;
		}
		const patientCaseId = String(state.nextCaseId++);
		state.patientCases.set(patientCaseId, {
			patientcaseid: patientCaseId,
			patientid: patientId,
			...form,
			status: 'REVIEW',
			createddatetime: easternStamp(now()),
		});
		send(response, 200, { success: true, patientcaseid: Number(patientCaseId) });
	}

	function assignPatientCase(
		patientId: string,
		caseId: string,
		form: Record<string, string>,
		response: ServerResponse,
	): void {
		const patientCase = state.patientCases.get(caseId);
		if (!patientCase || patientCase.patientid !== patientId) {
			athenaError(response, 404, 'The patient case ID is invalid.');
			return;
		}
		if (!form.username) {
			athenaError(response, 400, 'Additional fields are required.', 'Missing: username');
			return;
		}
		// athena usernames are case-sensitive.
		if (!state.users.has(form.username)) {
			athenaError(response, 400, 'The username is not valid for assignment.');
			return;
		}
		patientCase.assignedto = form.username;
		send(response, 200, { success: true });
	}

	function one(map: Map<string, AthenaRecord>, id: string, response: ServerResponse, error: string): void {
		const record = map.get(id);
		if (!record) athenaError(response, 404, error);
		else send(response, 200, [record]);
	}

	function route(
		method: string,
		path: string,
		query: Record<string, string>,
		form: Record<string, string>,
		response: ServerResponse,
	): void {
		const segments = path.split('/').filter(Boolean).map(decodeURIComponent);
		const [v1, practice, ...rest] = segments;
		if (v1 !== 'v1') {
			athenaError(response, 404, 'Not found');
			return;
		}
		// athena's answer for a practice the client may not use is not documented; 403 with athena's error shape.
		if (practice !== practiceId) {
			athenaError(response, 403, 'Invalid practice.');
			return;
		}
		const isId = (segment: string, index: number) => index > 0 && /^\d+$/.test(segment);
		const key = `${method} /${rest.map((segment, index) => (isId(segment, index) ? ':id' : segment)).join('/')}`;
		const ids = rest.filter(isId);
		switch (key) {
			case 'GET /departments': {
				const { page } = pageOf([...state.departments.values()], query);
				send(response, 200, { departments: page, totalcount: state.departments.size });
				return;
			}
			case 'GET /departments/:id':
				return one(state.departments, ids[0] as string, response, 'The department ID is invalid.');
			case 'GET /appointments/changed/subscription/events':
				send(response, 200, { subscriptions: changedFeedEvents.map((eventname) => ({ eventname })) });
				return;
			case 'GET /appointments/changed/subscription': {
				const events = state.subscription.events.size > 0 ? [...state.subscription.events] : changedFeedEvents;
				send(response, 200, {
					status: state.subscription.active ? 'ACTIVE' : 'INACTIVE',
					subscriptions: events.map((eventname) => ({ eventname })),
				});
				return;
			}
			case 'POST /appointments/changed/subscription': {
				if (form.eventname && !changedFeedEvents.includes(form.eventname)) {
					athenaError(response, 400, 'Invalid event name.');
					return;
				}
				if (form.eventname) state.subscription.events.add(form.eventname);
				else state.subscription.events.clear();
				state.subscription.active = true;
				send(response, 200, { success: true });
				return;
			}
			case 'DELETE /appointments/changed/subscription':
				state.subscription.active = false;
				state.subscription.events.clear();
				send(response, 200, { success: true });
				return;
			case 'GET /appointmenttypes':
				return appointmentTypes(query, response);
			case 'GET /appointments/changed':
				return changedFeed(query, response);
			case 'GET /appointments/booked':
				return bookedAppointments(query, response);
			case 'GET /appointments/:id':
				return one(state.appointments, ids[0] as string, response, 'The appointment ID is invalid.');
			case 'GET /patients/:id':
				return one(state.patients, ids[0] as string, response, 'The patient ID is invalid.');
			case 'GET /patients/:id/appointments':
				return patientAppointments(ids[0] as string, query, response);
			case 'GET /chart/:id/encounters':
				return patientEncounters(ids[0] as string, query, response);
			case 'GET /chart/encounter/:id':
				return one(state.encounters, ids[0] as string, response, 'The encounter ID is invalid.');
			case 'GET /chart/encounter/:id/orders': {
				if (!state.encounters.has(ids[0] as string)) {
					athenaError(response, 404, 'The encounter ID is invalid.');
					return;
				}
				send(response, 200, [{ diagnosisicd: [], orders: state.orders.get(ids[0] as string) ?? [] }]);
				return;
			}
			case 'POST /patients/:id/documents/patientcase':
				return createPatientCase(ids[0] as string, form, response);
			case 'GET /patients/:id/documents/patientcase/:id':
				return one(state.patientCases, ids[1] as string, response, 'The patient case ID is invalid.');
			case 'PUT /patients/:id/documents/patientcase/:id/assign':
				return assignPatientCase(ids[0] as string, ids[1] as string, form, response);
			default:
				athenaError(response, 404, 'The requested resource does not exist.');
		}
	}

	const server = createServer((request, response) => {
		void (async () => {
			const url = new URL(request.url ?? '/', 'http://127.0.0.1');
			const method = (request.method ?? 'GET').toUpperCase();
			const body = await readBody(request);
			const query = Object.fromEntries(url.searchParams.entries());
			const isForm = /application\/x-www-form-urlencoded/i.test(request.headers['content-type'] ?? '');
			const form = isForm ? Object.fromEntries(new URLSearchParams(body).entries()) : {};
			state.requests.push({
				method,
				path: url.pathname,
				query,
				...(isForm ? { form } : {}),
				authorization: request.headers.authorization,
			});

			const fault = takeFault(method, url.pathname, query);
			if (fault?.delayMs && fault.status === undefined) deferAnswer(response, fault.delayMs);
			if (fault?.delayMs && fault.status !== undefined) await new Promise((resolve) => setTimeout(resolve, fault.delayMs).unref());
			if (fault?.status !== undefined) {
				const body = fault.body ?? (fault.status === 401 ? expiredTokenBody : { error: 'Service temporarily unavailable.' });
				send(response, fault.status, body, {
					...(fault.retryAfter ? { 'retry-after': fault.retryAfter } : {}),
					...(fault.location ? { location: fault.location } : {}),
				});
				return;
			}
			if (method === 'POST' && url.pathname === '/oauth2/v1/token') {
				handleToken(request, response, body);
				return;
			}
			if (!tokenValid(request.headers.authorization)) {
				send(response, 401, expiredTokenBody);
				return;
			}
			route(method, url.pathname, query, form, response);
		})().catch((error: unknown) => {
			send(response, 500, { error: 'Internal sandbox error', detailedmessage: String(error) });
		});
	});
	await new Promise<void>((resolve) => server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve));
	const address = server.address() as AddressInfo;

	const sandbox: AthenaSandbox = {
		url: `http://${options.host ?? '127.0.0.1'}:${address.port}`,
		practiceId,
		state,
		close: async () => {
			server.closeAllConnections();
			await new Promise<void>((resolve) => server.close(() => resolve()));
		},
		injectFault: (fault) => state.faults.push({ ...fault }),
		expireTokens: () => state.tokens.clear(),
		issueToken,
		addDepartment: (department) => {
			const record = {
				timezonename: 'US/Eastern',
				timezoneoffset: -5,
				timezone: -4,
				doesnotobservedst: false,
				name: `Department ${department.departmentid}`,
				...department,
			};
			state.departments.set(department.departmentid, record);
			return record;
		},
		addPatient: (patient) => {
			const record = { status: 'active', ...patient };
			state.patients.set(patient.patientid, record);
			return record;
		},
		addAppointment: (appointment) => {
			const defaults = { appointmentstatus: 'f', duration: 30, appointmenttype: 'Office Visit', appointmenttypeid: '2' };
			const record = { ...defaults, ...appointment };
			state.appointments.set(appointment.appointmentid, record);
			return record;
		},
		addEncounter: (encounter) => {
			const record = { status: 'OPEN', ...encounter };
			state.encounters.set(encounter.encounterid, record);
			return record;
		},
		setOrders: (encounterId, orders) => state.orders.set(encounterId, orders),
		addUser: (username) => state.users.add(username),
		addAppointmentType: (type) => {
			state.appointmentTypes.set(type.appointmenttypeid, type);
			return type;
		},
		emitChange,
		checkOut: (appointmentId, at) => {
			const when = at ?? now();
			const fields = { checkoutdatetime: easternStamp(when), encounterstatus: 'CHECKEDOUT' };
			return emitChange({ appointmentId, status: '3', at: when, fields });
		},
	};
	if (options.seedDemo) seedDemoPractice(sandbox, now());
	return sandbox;
}

/** Demo data: an Eastern department, a patient who consented to texts, a checked-in visit with three orders. */
export function seedDemoPractice(
	sandbox: AthenaSandbox,
	today: Date,
): { appointmentId: string; patientId: string; departmentId: string; encounterId: string } {
	const date = DateTime.fromJSDate(today).setZone(athenaEastern).toFormat('MM/dd/yyyy');
	sandbox.addDepartment({ departmentid: '1', name: 'Main Street Clinic', timezonename: 'US/Eastern' });
	sandbox.addPatient({
		patientid: '1001',
		firstname: 'Ana',
		lastname: 'Sandbox',
		mobilephone: '5125550100',
		homephone: '5125550101',
		email: 'ana.sandbox@example.test',
		consenttotext: true,
		consenttocall: true,
		language6392code: 'spa',
		contactpreference: 'MOBILEPHONE',
		departmentid: '1',
	});
	sandbox.addAppointment({
		appointmentid: '5001',
		patientid: '1001',
		departmentid: '1',
		appointmentstatus: '2',
		date,
		starttime: '09:00',
		encounterid: '7001',
		appointmenttypeid: '2',
		providerid: '21',
	});
	sandbox.addEncounter({ encounterid: '7001', appointmentid: '5001', patientid: '1001', departmentid: '1', encounterdate: date });
	// Descriptions are clinical text, as athena's are: the adapter must never pass them to the patient.
	sandbox.setOrders('7001', [
		{ orderid: '9001', class: 'ORDER', ordertype: 'Imaging', description: 'XR chest 2 views', status: 'SUBMITTED' },
		{ orderid: '9002', class: 'PRESCRIPTION', ordertype: 'Prescription', description: 'amoxicillin 500 mg', status: 'CLOSED' },
		{ orderid: '9003', class: 'PATIENTINFO', ordertype: 'Patient Info', description: 'care instructions', status: 'CLOSED' },
	]);
	sandbox.addUser(athenaDemoUsers.coordinator);
	return { appointmentId: '5001', patientId: '1001', departmentId: '1', encounterId: '7001' };
}

// ---- Webhook deliveries (athena Event Subscription Platform, FHIR Subscriptions Backport, id-only) ----

export interface AthenaDeliveryEvent {
	topic: string;
	appointmentId?: string;
	encounterId?: string;
	patientId?: string;
	departmentId?: string;
	eventId?: string;
	/** ISO instant of the event. */
	timestamp?: string;
}

export interface AthenaDelivery {
	body: string;
	headers: Record<string, string>;
	eventIds: string[];
}

const departmentExtension = 'https://fhir.athena.io/StructureDefinition/ah-department';
const patientExtension = 'https://hl7.org/fhir/5.0/StructureDefinition/extension-AuditEvent.patient';
const topicBase = 'https://api.platform.athenahealth.com/fhir/r4/SubscriptionTopic';

export function signAthenaBody(secret: string, body: string | Buffer): string {
	return `sha256=${hmacSha256Hex(secret, body)}`;
}

/**
 * A signed notification as athena posts it: Bundle(history) with the SubscriptionStatus first (topic of the first
 * event, one notificationEvent per event) and one AuditEvent per event carrying the patient and department.
 */
export function buildAthenaDelivery(input: {
	practiceId: string;
	secret: string;
	events: AthenaDeliveryEvent[];
	/** handshake/heartbeat instead of an event notification. */
	statusType?: 'event-notification' | 'handshake' | 'heartbeat';
	timestamp?: string;
}): AthenaDelivery {
	const stamp = input.timestamp ?? new Date().toISOString();
	const subscriptionId = randomUUID();
	const events = input.events.map((event) => ({
		...event,
		eventId: event.eventId ?? randomUUID(),
		timestamp: event.timestamp ?? stamp,
	}));
	const urn = (kind: string) => `urn:athenahealth:athenanet:${kind}:${input.practiceId}`;
	const focusOf = (event: AthenaDeliveryEvent) =>
		event.encounterId
			? { identifier: { system: urn('encounter'), value: event.encounterId } }
			: { identifier: { system: urn('appointment'), value: event.appointmentId ?? '' } };
	const patientRef = (event: AthenaDeliveryEvent) => ({ reference: `Patient/a-${input.practiceId}.E-${event.patientId}` });
	const departmentRef = (event: AthenaDeliveryEvent) => ({
		reference: `Organization/a-${input.practiceId}.Department-${event.departmentId}`,
	});
	const contextOf = (event: AthenaDeliveryEvent) => [
		...(event.patientId ? [patientRef(event)] : []),
		...(event.departmentId ? [departmentRef(event)] : []),
	];
	const statusType = input.statusType ?? 'event-notification';
	const bundle = {
		resourceType: 'Bundle',
		id: randomUUID(),
		meta: { profile: ['http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/backport-subscription-notification'] },
		type: 'history',
		timestamp: stamp,
		entry: [
			{
				fullUrl: `urn:uuid:${randomUUID()}`,
				resource: {
					resourceType: 'SubscriptionStatus',
					status: 'active',
					type: statusType,
					eventsSinceSubscriptionStart: String(events.length),
					eventsInNotification: events.length,
					subscription: { reference: `Subscription/${subscriptionId}` },
					topic: `${topicBase}/${events[0]?.topic ?? 'Appointment.check-out'}`,
					...(statusType === 'event-notification'
						? {
								notificationEvent: events.map((event, index) => ({
									eventNumber: String(index + 1),
									id: event.eventId,
									timestamp: event.timestamp,
									focus: focusOf(event),
									additionalContext: contextOf(event),
								})),
							}
						: {}),
				},
			},
			...(statusType === 'event-notification'
				? events.map((event) => ({
						fullUrl: `urn:uuid:${event.eventId}`,
						resource: {
							resourceType: 'AuditEvent',
							id: event.eventId,
							meta: { versionId: '0' },
							extension: [
								...(event.departmentId ? [{ url: departmentExtension, valueReference: departmentRef(event) }] : []),
								...(event.patientId ? [{ url: patientExtension, valueReference: patientRef(event) }] : []),
							],
							type: { system: 'https://fhir.athena.io/CodeSystem/SubscriptionTopic', code: event.topic },
							recorded: event.timestamp,
							agent: [{ who: { identifier: { value: 'SANDBOX' } }, requestor: true }],
							source: { observer: { reference: `Organization/a-1.Practice-${input.practiceId}` } },
							entity: [{ what: focusOf(event) }],
						},
					}))
				: []),
		],
	};
	const body = JSON.stringify(bundle);
	return {
		body,
		headers: { 'content-type': 'application/fhir+json', 'x-hub-signature': signAthenaBody(input.secret, body) },
		eventIds: events.map((event) => event.eventId),
	};
}

/** The sandbox's "close a demo visit": checks the appointment out and returns the signed check-out delivery. */
export function closeDemoVisit(
	sandbox: AthenaSandbox,
	input: { appointmentId: string; secret: string; at?: Date },
): AthenaDelivery {
	const appointment = sandbox.state.appointments.get(input.appointmentId);
	if (!appointment) throw new Error(`sandbox: no appointment ${input.appointmentId}`);
	const at = input.at ?? new Date();
	sandbox.checkOut(input.appointmentId, at);
	return buildAthenaDelivery({
		practiceId: sandbox.practiceId,
		secret: input.secret,
		timestamp: at.toISOString(),
		events: [
			{
				topic: 'Appointment.check-out',
				appointmentId: input.appointmentId,
				patientId: appointment.patientid as string | undefined,
				departmentId: appointment.departmentid as string | undefined,
			},
		],
	});
}
