import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import { DateTime } from 'luxon';

import type { InboundRequest } from '../nodes/shared/ehr/types';

/*
 * A local stand-in for DrChrono's v4 REST API, shaped after DrChrono's own OpenAPI
 * (APIs-guru/openapi-directory `APIs/drchrono.com/v4 (Hunt Valley)/openapi.yaml`) and its webhook prose.
 * What DrChrono does not document is marked "sandbox assumption" below; tests rely on it, DrChrono may differ.
 */

export interface SandboxStatusTransition {
	appointment: string;
	datetime: string;
	from_status: string;
	to_status: string;
}

export interface SandboxAppointment {
	id: string;
	patient: number | null;
	doctor: number;
	office: number;
	exam_room: number;
	profile: number | null;
	status: string;
	scheduled_time: string;
	duration: number;
	reason: string;
	notes: string;
	created_at: string;
	updated_at: string;
	deleted_flag: boolean;
	appt_is_break: boolean;
	status_transitions: SandboxStatusTransition[];
}

export interface SandboxPatient {
	id: number;
	doctor: number;
	first_name: string;
	last_name: string;
	nick_name: string;
	gender: string;
	date_of_birth: string | null;
	cell_phone: string;
	home_phone: string;
	office_phone: string;
	email: string;
	preferred_language: string;
	disable_sms_messages: boolean;
	patient_status: 'A' | 'I' | 'D';
	updated_at: string;
}

export interface SandboxDoctor {
	id: number;
	first_name: string;
	last_name: string;
	suffix: string;
	specialty: string;
	timezone: string;
	practice_group: number;
}

export interface SandboxOffice {
	id: number;
	doctor: number;
	name: string;
	address: string;
	city: string;
	state: string;
	zip_code: string;
	country: string;
	phone_number: string;
	start_time: string;
	end_time: string;
	online_scheduling: boolean;
	archived: boolean;
	exam_rooms: Array<{ index: number; name: string; online_scheduling: boolean }>;
}

export interface SandboxUser {
	id: string;
	username: string;
	doctor: number;
	is_doctor: boolean;
	is_staff: boolean;
	practice_group: number;
}

export interface SandboxUserGroup {
	id: number;
	name: string;
	members: string[];
	practice_group: number;
	archived: boolean;
}

export interface SandboxLabOrder {
	id: number;
	patient: number;
	doctor: number;
	sublab: number;
	status: string;
	priority: 'N' | 'S';
	timestamp: string;
	requisition_id: string;
	accession_number: string;
	notes: string;
	icd10_codes: string[];
}

export interface SandboxMedication {
	id: number;
	patient: number;
	doctor: number;
	appointment: number | null;
	name: string;
	order_status: string;
	status: 'active' | 'inactive';
	date_prescribed: string | null;
}

export interface SandboxCarePlan {
	id: number;
	patient: number;
	appointment: string | null;
	plan_type: string;
	title: string;
	description: string;
	instructions: string;
	scheduled_date: string | null;
	created_at: string;
	updated_at: string;
}

/** DrChrono's appointment type: "common kinds of appointments a doctor might have", with a duration and a colour. */
export interface SandboxAppointmentProfile {
	id: number;
	name: string;
	doctor: number;
	color: string;
	duration: number;
	reason: string;
	online_scheduling: boolean;
	sort_order: number;
	archived: boolean;
}

export interface SandboxTaskStatus {
	id: number;
	name: string;
	practice_group: number;
	status_category: 'O' | 'P' | 'H' | 'C';
	task_category: number | null;
	archived: boolean;
}

export interface SandboxTask {
	id: number;
	title: string;
	status: number;
	assignee_user: string | null;
	assignee_group: number | null;
	category: number | null;
	priority: '10' | '20' | '30' | '40';
	due_date: { time: string } | null;
	associated_items: Array<{ task: number; type: string; value: number }>;
	archived: boolean;
	created_by: string;
	assigned_by: string;
	created_at: string;
	updated_at: string;
}

export interface SandboxTaskNote {
	id: number;
	task: number;
	text: string;
	archived: boolean;
	created_by: string;
	created_at: string;
	updated_at: string;
}

export interface DrChronoState {
	users: Map<string, SandboxUser>;
	userGroups: Map<number, SandboxUserGroup>;
	doctors: Map<number, SandboxDoctor>;
	offices: Map<number, SandboxOffice>;
	patients: Map<number, SandboxPatient>;
	appointments: Map<string, SandboxAppointment>;
	labOrders: Map<number, SandboxLabOrder>;
	medications: Map<number, SandboxMedication>;
	carePlans: Map<number, SandboxCarePlan>;
	appointmentProfiles: Map<number, SandboxAppointmentProfile>;
	taskStatuses: Map<number, SandboxTaskStatus>;
	tasks: Map<number, SandboxTask>;
	taskNotes: Map<number, SandboxTaskNote>;
	/** The user every access token acts as (`/api/users/current`). */
	currentUserId: string;
	nextId: number;
}

export function emptyDrChronoState(): DrChronoState {
	return {
		users: new Map(),
		userGroups: new Map(),
		doctors: new Map(),
		offices: new Map(),
		patients: new Map(),
		appointments: new Map(),
		labOrders: new Map(),
		medications: new Map(),
		carePlans: new Map(),
		appointmentProfiles: new Map(),
		taskStatuses: new Map(),
		tasks: new Map(),
		taskNotes: new Map(),
		currentUserId: '',
		nextId: 900000,
	};
}

export interface SandboxFault {
	/** 401: the token is refused (as when it expired); 403: not allowed; 404: no such record. */
	status?: 401 | 403 | 404 | 429 | 500 | 502 | 503;
	/**
	 * Wait this long before answering (beyond the client's timeout: a slow server). Without a status the real
	 * answer follows the delay.
	 */
	delayMs?: number;
	/** Seconds sent in Retry-After (429/503). */
	retryAfterSeconds?: number;
	/** How many matching requests get the fault (default 1). */
	times?: number;
	method?: string;
	/** Only requests whose path starts with this get the fault (default: every /api request). */
	pathPrefix?: string;
}

export interface RecordedRequest {
	method: string;
	path: string;
	query: Record<string, string>;
	body?: unknown;
	authorized: boolean;
}

export interface DrChronoWebhookSettings {
	secret: string;
	/** Where `completeAppointment` delivers APPOINTMENT_MODIFY; nothing is sent without it. */
	callbackUrl?: string;
	/** DrChrono documents the raw secret in X-drchrono-signature; "hmac" signs the body instead. */
	signature?: 'secret' | 'hmac';
}

export interface DrChronoServerOptions {
	port?: number;
	host?: string;
	/** Always accepted as a Bearer token, besides the ones the OAuth endpoints issue. */
	accessToken: string;
	clientId?: string;
	clientSecret?: string;
	/** The zone of the naive datetimes (DrChrono writes office-local times without an offset). */
	zone?: string;
	now?: () => Date;
	/** The list key: DrChrono's clients read `results`, its OpenAPI says `data`. */
	listKey?: 'results' | 'data';
	/** Sandbox assumption: DrChrono documents no cap on `date_range`; the sandbox enforces this one. */
	maxDateRangeDays?: number;
	defaultPageSize?: number;
	webhook?: DrChronoWebhookSettings;
	/** Fill the state with the demo practice (default true). */
	seedDemo?: boolean;
}

export interface DrChronoServer {
	url: string;
	state: DrChronoState;
	requests: RecordedRequest[];
	/** The first matching /api requests are answered with this fault instead of the real answer. */
	injectFault(fault: SandboxFault): void;
	/** Local naive time now, as DrChrono writes it. */
	localNow(): string;
	/** Marks a visit Complete (a status transition, updated_at) and, with a callback URL, delivers the webhook. */
	completeAppointment(
		id: string,
		options?: { deliver?: boolean },
	): Promise<{ appointment: SandboxAppointment; delivery?: InboundRequest & { headers: Record<string, string> }; deliveredStatus?: number }>;
	/**
	 * The access token stops working (401 until the client refreshes), and `refreshToken` becomes a refresh
	 * token of this OAuth client that a refresh grant accepts once.
	 */
	expireAccessToken(accessToken: string, refresh: { refreshToken: string; clientId: string; clientSecret: string }): void;
	/** Drops injected faults not yet used. */
	clearFaults(): void;
	close(): Promise<void>;
}

/* ------------------------------------------------------------------------------------------------ */
/* Webhook deliveries                                                                                */
/* ------------------------------------------------------------------------------------------------ */

export interface DrChronoDeliveryInput {
	secret: string;
	event: string;
	object: unknown;
	deliveryId?: string;
	receiver?: unknown;
	signature?: 'secret' | 'hmac';
}

/** A signed DrChrono webhook POST, in the shape the trigger sees (headers, exact body bytes). */
export function buildDrChronoDelivery(input: DrChronoDeliveryInput): InboundRequest & { headers: Record<string, string> } {
	const rawBody = Buffer.from(
		JSON.stringify({
			receiver: input.receiver ?? { id: 1, callback_url: 'https://n8n.example/webhook/drchrono', events: [input.event] },
			object: input.object,
		}),
		'utf8',
	);
	const signature =
		input.signature === 'hmac' ? createHmac('sha256', input.secret).update(rawBody).digest('hex') : input.secret;
	return {
		method: 'POST',
		headers: {
			'content-type': 'application/json',
			'x-drchrono-event': input.event,
			'x-drchrono-signature': signature,
			'x-drchrono-delivery': input.deliveryId ?? randomUUID(),
		},
		query: {},
		rawBody,
	};
}

/** DrChrono's "Verify webhook" request: `GET <callback>?msg=<random>`. */
export function buildDrChronoHandshake(msg: string = randomBytes(16).toString('hex')): InboundRequest {
	return { method: 'GET', headers: {}, query: { msg }, rawBody: Buffer.alloc(0) };
}

/** Posts a delivery to a callback URL, as DrChrono would; returns the status (only 2xx counts as delivered). */
export async function sendDrChronoDelivery(callbackUrl: string, delivery: InboundRequest): Promise<number> {
	const headers: Record<string, string> = {};
	for (const [key, value] of Object.entries(delivery.headers)) {
		if (typeof value === 'string') headers[key] = value;
	}
	const response = await fetch(callbackUrl, { method: 'POST', headers, body: new Uint8Array(delivery.rawBody), redirect: 'manual' });
	await response.arrayBuffer();
	return response.status;
}

/* ------------------------------------------------------------------------------------------------ */
/* Demo practice                                                                                     */
/* ------------------------------------------------------------------------------------------------ */

export const demoIds = {
	doctor: 1001,
	office: 2001,
	currentUser: 'drgrey',
	coordinator: 'carecoord',
	coordinatorGroup: 41,
	patientSpanish: 5001,
	patientNoSms: 5002,
	visitInSession: '9001',
	openTaskStatus: 11,
} as const;

/** A small practice: one doctor, one office, two patients, a visit in session, task statuses. */
export function seedDrChronoDemo(state: DrChronoState, zone: string, now: DateTime): void {
	const local = (dt: DateTime) => dt.setZone(zone).toFormat("yyyy-MM-dd'T'HH:mm:ss");
	const today = now.setZone(zone).startOf('day');
	state.doctors.set(demoIds.doctor, {
		id: demoIds.doctor,
		first_name: 'Ana',
		last_name: 'Grey',
		suffix: 'MD',
		specialty: 'Family Medicine',
		timezone: zone,
		practice_group: 77,
	});
	state.offices.set(demoIds.office, {
		id: demoIds.office,
		doctor: demoIds.doctor,
		name: 'Main Street Clinic',
		address: '100 Main St',
		city: 'Austin',
		state: 'TX',
		zip_code: '78701',
		country: 'US',
		phone_number: '(512) 555-0100',
		start_time: '08:00:00',
		end_time: '18:00:00',
		online_scheduling: true,
		archived: false,
		exam_rooms: [{ index: 1, name: 'Room 1', online_scheduling: true }],
	});
	state.users.set(demoIds.currentUser, {
		id: demoIds.currentUser,
		username: 'drgrey',
		doctor: demoIds.doctor,
		is_doctor: true,
		is_staff: false,
		practice_group: 77,
	});
	state.users.set(demoIds.coordinator, {
		id: demoIds.coordinator,
		username: 'carecoord',
		doctor: demoIds.doctor,
		is_doctor: false,
		is_staff: true,
		practice_group: 77,
	});
	state.userGroups.set(demoIds.coordinatorGroup, {
		id: demoIds.coordinatorGroup,
		name: 'Care coordinators',
		members: [demoIds.coordinator],
		practice_group: 77,
		archived: false,
	});
	state.currentUserId = demoIds.currentUser;
	state.patients.set(demoIds.patientSpanish, {
		id: demoIds.patientSpanish,
		doctor: demoIds.doctor,
		first_name: 'Maria',
		last_name: 'Lopez',
		nick_name: '',
		gender: 'Female',
		date_of_birth: '1980-04-02',
		cell_phone: '(512) 555-0142',
		home_phone: '512-555-0143',
		office_phone: '',
		email: 'maria.lopez@example.org',
		preferred_language: 'spa',
		disable_sms_messages: false,
		patient_status: 'A',
		updated_at: local(today.minus({ days: 30 })),
	});
	state.patients.set(demoIds.patientNoSms, {
		id: demoIds.patientNoSms,
		doctor: demoIds.doctor,
		first_name: 'Robert',
		last_name: 'Hale',
		nick_name: 'Bob',
		gender: 'Male',
		date_of_birth: '1962-11-20',
		cell_phone: '512.555.0177',
		home_phone: '',
		office_phone: '(512) 555-0178 x12',
		email: 'not-an-email',
		preferred_language: 'eng',
		disable_sms_messages: true,
		patient_status: 'A',
		updated_at: local(today.minus({ days: 30 })),
	});
	const start = today.plus({ hours: 9 });
	state.appointments.set(demoIds.visitInSession, {
		id: demoIds.visitInSession,
		patient: demoIds.patientSpanish,
		doctor: demoIds.doctor,
		office: demoIds.office,
		exam_room: 1,
		profile: 301,
		status: 'In Session',
		scheduled_time: local(start),
		duration: 30,
		reason: 'Follow-up',
		notes: '',
		created_at: local(today.minus({ days: 14 })),
		updated_at: local(start),
		deleted_flag: false,
		appt_is_break: false,
		status_transitions: [
			{ appointment: demoIds.visitInSession, datetime: local(start.minus({ minutes: 10 })), from_status: '', to_status: 'Arrived' },
			{ appointment: demoIds.visitInSession, datetime: local(start), from_status: 'Arrived', to_status: 'In Session' },
		],
	});
	// The demo visit's profile (301) and the practice's other kinds of appointment; an archived one is not offered.
	for (const profile of [
		{ id: 301, name: 'Follow-up', color: '#4CAF50', duration: 30, reason: 'Follow-up', sort_order: 1, archived: false },
		{ id: 302, name: 'Annual physical', color: '#2196F3', duration: 45, reason: 'Annual physical', sort_order: 2, archived: false },
		{ id: 303, name: 'Lab draw', color: '#9C27B0', duration: 15, reason: 'Lab draw', sort_order: 3, archived: false },
		{ id: 304, name: 'Old consult', color: '#9E9E9E', duration: 60, reason: '', sort_order: 9, archived: true },
	]) {
		state.appointmentProfiles.set(profile.id, { ...profile, doctor: demoIds.doctor, online_scheduling: true });
	}
	for (const status of [
		{ id: demoIds.openTaskStatus, name: 'Open', status_category: 'O' as const },
		{ id: 12, name: 'In progress', status_category: 'P' as const },
		{ id: 13, name: 'Done', status_category: 'C' as const },
	]) {
		state.taskStatuses.set(status.id, { ...status, practice_group: 77, task_category: null, archived: false });
	}
}

/* ------------------------------------------------------------------------------------------------ */
/* The server                                                                                        */
/* ------------------------------------------------------------------------------------------------ */

class HttpFailure extends Error {
	constructor(
		readonly status: number,
		readonly body: unknown,
		readonly headers: Record<string, string> = {},
	) {
		super(`HTTP ${status}`);
	}
}

const notFound = () => new HttpFailure(404, { detail: 'Not found.' });
const badRequest = (body: unknown) => new HttpFailure(400, body);

async function readBody(request: IncomingMessage): Promise<Buffer> {
	const chunks: Buffer[] = [];
	for await (const chunk of request) chunks.push(chunk as Buffer);
	return Buffer.concat(chunks);
}

function parseRequestBody(raw: Buffer, contentType: string | undefined): Record<string, unknown> {
	if (raw.length === 0) return {};
	const text = raw.toString('utf8');
	if (contentType?.includes('application/x-www-form-urlencoded')) return Object.fromEntries(new URLSearchParams(text));
	try {
		const parsed: unknown = JSON.parse(text);
		if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
	} catch {
		// fall through
	}
	throw badRequest({ detail: 'JSON parse error' });
}

function send(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
	if (typeof body === 'string') {
		response.writeHead(status, { 'content-type': 'text/html; charset=utf-8', ...headers });
		response.end(body);
		return;
	}
	const text = body === undefined ? '' : JSON.stringify(body);
	response.writeHead(status, { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers });
	response.end(text);
}

const appointmentStatuses = new Set([
	'',
	'Arrived',
	'Checked In',
	'Checked In Online',
	'In Room',
	'In Session',
	'Complete',
	'Confirmed',
	'Not Confirmed',
	'Rescheduled',
	'Cancelled',
	'No Show',
]);
const taskItemTypes = new Set(['Patient', 'Appointment', 'Lab order', 'Document', 'Message', 'Lab document', 'Lab result', 'Communication']);

export async function startDrChronoServer(options: DrChronoServerOptions): Promise<DrChronoServer> {
	const zone = options.zone ?? 'America/Chicago';
	const clock = options.now ?? (() => new Date());
	const listKey = options.listKey ?? 'results';
	const maxDateRangeDays = options.maxDateRangeDays ?? 90;
	const defaultPageSize = options.defaultPageSize ?? 25;
	const clientId = options.clientId ?? 'sandbox-client-id';
	const clientSecret = options.clientSecret ?? 'sandbox-client-secret';
	const state = emptyDrChronoState();
	if (options.seedDemo !== false) seedDrChronoDemo(state, zone, DateTime.fromJSDate(clock()));
	const requests: RecordedRequest[] = [];
	const faults: Array<SandboxFault & { left: number }> = [];
	const accessTokens = new Set([options.accessToken]);
	const refreshTokens = new Map<string, string>();
	/** OAuth clients added by expireAccessToken (client id → secret), besides the configured one. */
	const extraClients = new Map<string, string>();
	const authCodes = new Map<string, { redirectUri?: string }>();
	let baseUrl = '';

	const localNow = () => DateTime.fromJSDate(clock()).setZone(zone).toFormat("yyyy-MM-dd'T'HH:mm:ss");
	const newId = () => ++state.nextId;

	/** Naive local time from a query value: a date, a naive datetime, or an ISO instant with offset. */
	function localFromQuery(value: string, field: string): string {
		if (/^\d{4}-\d{2}-\d{2}$/.test(value)) return `${value}T00:00:00`;
		const parsed = DateTime.fromISO(value, { zone, setZone: false });
		if (!parsed.isValid) throw badRequest({ [field]: ['Enter a valid date/time.'] });
		return parsed.setZone(zone).toFormat("yyyy-MM-dd'T'HH:mm:ss");
	}

	function page<T>(path: string, query: URLSearchParams, rows: T[]): Record<string, unknown> {
		const requested = Number(query.get('page_size') ?? defaultPageSize);
		const size = Number.isFinite(requested) && requested > 0 ? Math.min(250, Math.floor(requested)) : defaultPageSize;
		const offset = query.get('cursor') ? Number(Buffer.from(query.get('cursor')!, 'base64url').toString('utf8')) : 0;
		if (!Number.isInteger(offset) || offset < 0) throw badRequest({ detail: 'Invalid cursor' });
		const link = (at: number) => {
			const next = new URLSearchParams(query);
			next.set('cursor', Buffer.from(String(at), 'utf8').toString('base64url'));
			return `${baseUrl}${path}?${next.toString()}`;
		};
		return {
			previous: offset > 0 ? link(Math.max(0, offset - size)) : null,
			next: offset + size < rows.length ? link(offset + size) : null,
			[listKey]: rows.slice(offset, offset + size),
		};
	}

	function appointmentView(appointment: SandboxAppointment, verbose: boolean): Record<string, unknown> {
		const { status_transitions, ...plain } = appointment;
		return verbose ? { ...plain, status_transitions } : plain;
	}

	function taskView(task: SandboxTask, verbose: boolean): Record<string, unknown> {
		const { associated_items, ...plain } = task;
		if (!verbose) return plain;
		const notes = [...state.taskNotes.values()].filter((note) => note.task === task.id);
		return { ...plain, associated_items, notes };
	}

	function setAppointmentStatus(appointment: SandboxAppointment, status: string): void {
		const now = localNow();
		if (status !== appointment.status) {
			appointment.status_transitions.push({ appointment: appointment.id, datetime: now, from_status: appointment.status, to_status: status });
		}
		appointment.status = status;
		appointment.updated_at = now;
	}

	function listAppointments(query: URLSearchParams): SandboxAppointment[] {
		const since = query.get('since');
		const date = query.get('date');
		const dateRange = query.get('date_range');
		if (!since && !date && !dateRange) {
			throw badRequest({ detail: 'Either `since`, `date` or `date_range` parameter must be specified.' });
		}
		let rows = [...state.appointments.values()].filter((appointment) => !appointment.deleted_flag);
		if (since) {
			const from = localFromQuery(since, 'since');
			rows = rows.filter((appointment) => appointment.updated_at >= from);
		}
		if (date) rows = rows.filter((appointment) => appointment.scheduled_time.slice(0, 10) === date);
		if (dateRange) {
			const match = /^(\d{4}-\d{2}-\d{2})\/(\d{4}-\d{2}-\d{2})$/.exec(dateRange);
			if (!match) throw badRequest({ date_range: ['Enter a range as YYYY-MM-DD/YYYY-MM-DD.'] });
			const [, from, to] = match as unknown as [string, string, string];
			const days = DateTime.fromISO(to).diff(DateTime.fromISO(from), 'days').days + 1;
			if (days < 1) throw badRequest({ date_range: ['The range ends before it starts.'] });
			if (days > maxDateRangeDays) throw badRequest({ detail: `date_range may span at most ${maxDateRangeDays} days` });
			rows = rows.filter((appointment) => {
				const day = appointment.scheduled_time.slice(0, 10);
				return day >= from && day <= to;
			});
		}
		for (const [param, field] of [
			['patient', 'patient'],
			['doctor', 'doctor'],
			['office', 'office'],
		] as const) {
			const value = query.get(param);
			if (value) rows = rows.filter((appointment) => String(appointment[field]) === value);
		}
		const status = query.get('status');
		if (status) rows = rows.filter((appointment) => appointment.status === status);
		return rows.sort((a, b) => a.updated_at.localeCompare(b.updated_at) || a.id.localeCompare(b.id));
	}

	function createTask(body: Record<string, unknown>): SandboxTask {
		const errors: Record<string, string[]> = {};
		if (typeof body.title !== 'string' || !body.title.trim()) errors.title = ['This field is required.'];
		const status = Number(body.status);
		if (!state.taskStatuses.has(status)) errors.status = ['Invalid pk - object does not exist.'];
		const assigneeUser = body.assignee_user === undefined || body.assignee_user === null ? null : String(body.assignee_user);
		const assigneeGroup = body.assignee_group === undefined || body.assignee_group === null ? null : Number(body.assignee_group);
		if (assigneeUser === null && assigneeGroup === null) errors.assignee_user = ['Either assignee_user or assignee_group should be set.'];
		if (assigneeUser !== null && !state.users.has(assigneeUser)) errors.assignee_user = ['Invalid user.'];
		if (assigneeGroup !== null && !state.userGroups.has(assigneeGroup)) errors.assignee_group = ['Invalid pk - object does not exist.'];
		const priority = String(body.priority ?? '20');
		if (!['10', '20', '30', '40'].includes(priority)) errors.priority = [`"${priority}" is not a valid choice.`];
		let due: { time: string } | null = null;
		if (body.due_date !== undefined && body.due_date !== null) {
			const time = (body.due_date as { time?: unknown }).time;
			if (typeof time !== 'string' || !DateTime.fromISO(time).isValid) errors.due_date = ['Invalid datetime.'];
			else due = { time };
		}
		const items = Array.isArray(body.associated_items) ? body.associated_items : [];
		for (const item of items as Array<{ type?: unknown; value?: unknown }>) {
			if (typeof item.type !== 'string' || !taskItemTypes.has(item.type) || !Number.isInteger(item.value)) {
				errors.associated_items = ['Invalid associated item.'];
			}
		}
		if (Object.keys(errors).length > 0) throw badRequest(errors);
		const now = localNow();
		const id = newId();
		const task: SandboxTask = {
			id,
			title: String(body.title).trim(),
			status,
			assignee_user: assigneeUser,
			assignee_group: assigneeGroup,
			category: body.category === undefined ? null : Number(body.category),
			priority: priority as SandboxTask['priority'],
			due_date: due,
			associated_items: (items as Array<{ type: string; value: number }>).map((item) => ({ task: id, type: item.type, value: item.value })),
			archived: false,
			created_by: state.currentUserId,
			assigned_by: state.currentUserId,
			created_at: now,
			updated_at: now,
		};
		state.tasks.set(id, task);
		return task;
	}

	function route(method: string, path: string, query: URLSearchParams, body: Record<string, unknown>): { status: number; body?: unknown; headers?: Record<string, string> } {
		const verbose = query.get('verbose') === 'true';
		const segments = path.replace(/\/+$/, '').split('/').slice(1);
		const [api, resource, id] = segments;
		if (api !== 'api' || !resource) throw notFound();
		const only = (...allowed: string[]) => {
			if (!allowed.includes(method)) throw new HttpFailure(405, { detail: `Method "${method}" not allowed.` });
		};

		switch (resource) {
			case 'users': {
				only('GET');
				if (id === 'current') return { status: 302, headers: { location: `${baseUrl}/api/users/${encodeURIComponent(state.currentUserId)}` } };
				if (!id) return { status: 200, body: page(path, query, [...state.users.values()]) };
				const user = state.users.get(id);
				if (!user) throw notFound();
				return { status: 200, body: user };
			}
			case 'user_groups': {
				only('GET');
				if (!id) return { status: 200, body: page(path, query, [...state.userGroups.values()]) };
				const group = state.userGroups.get(Number(id));
				if (!group) throw notFound();
				return { status: 200, body: group };
			}
			case 'doctors':
			case 'offices':
			case 'patients': {
				only('GET');
				const map = resource === 'doctors' ? state.doctors : resource === 'offices' ? state.offices : state.patients;
				if (!id) return { status: 200, body: page(path, query, [...(map as Map<number, unknown>).values()]) };
				const record = (map as Map<number, unknown>).get(Number(id));
				if (!record) throw notFound();
				return { status: 200, body: record };
			}
			case 'appointments': {
				if (!id) {
					only('GET', 'POST');
					if (method === 'POST') {
						const missing = ['doctor', 'exam_room', 'office', 'patient', 'scheduled_time'].filter((field) => body[field] === undefined);
						if (missing.length > 0) throw badRequest(Object.fromEntries(missing.map((field) => [field, ['This field is required.']])));
						const now = localNow();
						const appointmentId = String(newId());
						const created: SandboxAppointment = {
							id: appointmentId,
							patient: Number(body.patient),
							doctor: Number(body.doctor),
							office: Number(body.office),
							exam_room: Number(body.exam_room),
							profile: body.profile === undefined ? null : Number(body.profile),
							status: typeof body.status === 'string' ? body.status : '',
							scheduled_time: localFromQuery(String(body.scheduled_time), 'scheduled_time'),
							duration: Number(body.duration ?? 30),
							reason: String(body.reason ?? ''),
							notes: String(body.notes ?? ''),
							created_at: now,
							updated_at: now,
							deleted_flag: false,
							appt_is_break: false,
							status_transitions: [],
						};
						state.appointments.set(appointmentId, created);
						return { status: 201, body: appointmentView(created, true) };
					}
					return { status: 200, body: page(path, query, listAppointments(query).map((row) => appointmentView(row, verbose))) };
				}
				only('GET', 'PATCH', 'DELETE');
				const appointment = state.appointments.get(id);
				if (!appointment || appointment.deleted_flag) throw notFound();
				if (method === 'DELETE') {
					appointment.deleted_flag = true;
					appointment.updated_at = localNow();
					return { status: 204 };
				}
				if (method === 'PATCH') {
					if (body.status !== undefined) {
						if (typeof body.status !== 'string' || !appointmentStatuses.has(body.status)) throw badRequest({ status: ['Invalid status.'] });
						setAppointmentStatus(appointment, body.status);
					}
					if (typeof body.scheduled_time === 'string') {
						appointment.scheduled_time = localFromQuery(body.scheduled_time, 'scheduled_time');
						appointment.updated_at = localNow();
					}
					return { status: 204 };
				}
				return { status: 200, body: appointmentView(appointment, verbose) };
			}
			case 'lab_orders': {
				only('GET');
				if (id) {
					const order = state.labOrders.get(Number(id));
					if (!order) throw notFound();
					return { status: 200, body: order };
				}
				let rows = [...state.labOrders.values()];
				const since = query.get('since');
				// Sandbox assumption: lab orders have no updated_at, so `since` filters on `timestamp`.
				if (since) rows = rows.filter((order) => order.timestamp >= localFromQuery(since, 'since'));
				const doctor = query.get('doctor');
				if (doctor) rows = rows.filter((order) => String(order.doctor) === doctor);
				return { status: 200, body: page(path, query, rows) };
			}
			case 'medications': {
				only('GET');
				let rows = [...state.medications.values()];
				for (const param of ['patient', 'doctor'] as const) {
					const value = query.get(param);
					if (value) rows = rows.filter((medication) => String(medication[param]) === value);
				}
				return { status: 200, body: page(path, query, rows) };
			}
			case 'care_plans': {
				only('GET');
				let rows = [...state.carePlans.values()];
				const patient = query.get('patient');
				if (patient) rows = rows.filter((plan) => String(plan.patient) === patient);
				const planType = query.get('plan_type');
				if (planType) rows = rows.filter((plan) => plan.plan_type === planType);
				return { status: 200, body: page(path, query, rows) };
			}
			case 'appointment_profiles': {
				only('GET');
				if (id) {
					const profile = state.appointmentProfiles.get(Number(id));
					if (!profile) throw notFound();
					return { status: 200, body: profile };
				}
				let rows = [...state.appointmentProfiles.values()].sort((a, b) => a.sort_order - b.sort_order || a.id - b.id);
				const doctor = query.get('doctor');
				if (doctor) rows = rows.filter((profile) => String(profile.doctor) === doctor);
				return { status: 200, body: page(path, query, rows) };
			}
			case 'task_statuses': {
				only('GET');
				return { status: 200, body: page(path, query, [...state.taskStatuses.values()]) };
			}
			case 'tasks': {
				if (!id) {
					only('GET', 'POST');
					if (method === 'POST') return { status: 201, body: taskView(createTask(body), true) };
					let rows = [...state.tasks.values()];
					for (const param of ['status', 'assignee_user', 'assignee_group', 'category'] as const) {
						const value = query.get(param);
						if (value) rows = rows.filter((task) => String(task[param]) === value);
					}
					const since = query.get('since');
					if (since) rows = rows.filter((task) => task.updated_at >= localFromQuery(since, 'since'));
					return { status: 200, body: page(path, query, rows.map((task) => taskView(task, verbose))) };
				}
				only('GET', 'PATCH');
				const task = state.tasks.get(Number(id));
				if (!task) throw notFound();
				if (method === 'PATCH') {
					if (body.status !== undefined) {
						if (!state.taskStatuses.has(Number(body.status))) throw badRequest({ status: ['Invalid pk - object does not exist.'] });
						task.status = Number(body.status);
					}
					if (typeof body.archived === 'boolean') task.archived = body.archived;
					task.updated_at = localNow();
					return { status: 204 };
				}
				return { status: 200, body: taskView(task, verbose) };
			}
			case 'task_notes': {
				if (!id) {
					only('GET', 'POST');
					if (method === 'POST') {
						const taskId = Number(body.task);
						if (!state.tasks.has(taskId)) throw badRequest({ task: ['Invalid pk - object does not exist.'] });
						if (typeof body.text !== 'string' || !body.text.trim()) throw badRequest({ text: ['This field is required.'] });
						const now = localNow();
						const note: SandboxTaskNote = { id: newId(), task: taskId, text: body.text, archived: false, created_by: state.currentUserId, created_at: now, updated_at: now };
						state.taskNotes.set(note.id, note);
						return { status: 201, body: note };
					}
					let rows = [...state.taskNotes.values()];
					const task = query.get('task');
					if (task) rows = rows.filter((note) => String(note.task) === task);
					return { status: 200, body: page(path, query, rows) };
				}
				only('GET');
				const note = state.taskNotes.get(Number(id));
				if (!note) throw notFound();
				return { status: 200, body: note };
			}
			default:
				throw notFound();
		}
	}

	function issueTokens(): { access_token: string; refresh_token: string; expires_in: number; token_type: string; scope: string } {
		const access = randomBytes(24).toString('hex');
		const refresh = randomBytes(24).toString('hex');
		accessTokens.add(access);
		refreshTokens.set(refresh, access);
		return {
			access_token: access,
			refresh_token: refresh,
			expires_in: 172800,
			token_type: 'Bearer',
			scope: 'user:read calendar:read calendar:write clinical:read clinical:write patients:read labs:read tasks:read tasks:write',
		};
	}

	function token(body: Record<string, unknown>, authorization: string | undefined): { status: number; body: unknown } {
		let id = body.client_id;
		let secret = body.client_secret;
		if (authorization?.startsWith('Basic ')) {
			const [user, pass] = Buffer.from(authorization.slice(6), 'base64').toString('utf8').split(':');
			id = decodeURIComponent(user ?? '');
			secret = decodeURIComponent(pass ?? '');
		}
		const knownClient = (id === clientId && secret === clientSecret) || (typeof id === 'string' && extraClients.get(id) === secret);
		if (!knownClient) return { status: 401, body: { error: 'invalid_client' } };
		if (body.grant_type === 'authorization_code') {
			const code = authCodes.get(String(body.code));
			if (!code) return { status: 400, body: { error: 'invalid_grant' } };
			authCodes.delete(String(body.code));
			if (code.redirectUri && body.redirect_uri !== code.redirectUri) return { status: 400, body: { error: 'invalid_grant' } };
			return { status: 200, body: issueTokens() };
		}
		if (body.grant_type === 'refresh_token') {
			const previousAccess = refreshTokens.get(String(body.refresh_token));
			if (!previousAccess) return { status: 400, body: { error: 'invalid_grant' } };
			// Like django-oauth-toolkit: a refresh rotates both tokens.
			refreshTokens.delete(String(body.refresh_token));
			accessTokens.delete(previousAccess);
			return { status: 200, body: issueTokens() };
		}
		return { status: 400, body: { error: 'unsupported_grant_type' } };
	}

	async function completeAppointment(id: string, completeOptions: { deliver?: boolean } = {}) {
		const appointment = state.appointments.get(id);
		if (!appointment || appointment.deleted_flag) throw new Error(`no appointment ${id} in the sandbox`);
		setAppointmentStatus(appointment, 'Complete');
		if (!options.webhook) return { appointment };
		const delivery = buildDrChronoDelivery({
			secret: options.webhook.secret,
			event: 'APPOINTMENT_MODIFY',
			object: appointmentView(appointment, true),
			signature: options.webhook.signature,
		});
		if (!options.webhook.callbackUrl || completeOptions.deliver === false) return { appointment, delivery };
		return { appointment, delivery, deliveredStatus: await sendDrChronoDelivery(options.webhook.callbackUrl, delivery) };
	}

	const server = createServer((request, response) => {
		void (async () => {
			const url = new URL(request.url ?? '/', baseUrl);
			const method = (request.method ?? 'GET').toUpperCase();
			const path = url.pathname;
			const raw = await readBody(request);
			let body: Record<string, unknown> = {};
			const authorization = request.headers.authorization;
			const bearer = authorization?.startsWith('Bearer ') ? authorization.slice(7).trim() : undefined;
			const authorized = bearer !== undefined && accessTokens.has(bearer);
			const recorded: RecordedRequest = { method, path, query: Object.fromEntries(url.searchParams), authorized };
			requests.push(recorded);
			try {
				body = parseRequestBody(raw, request.headers['content-type']);
				if (raw.length > 0) recorded.body = body;

				if (path === '/o/authorize/' && method === 'GET') {
					const redirectUri = url.searchParams.get('redirect_uri');
					if (!redirectUri || url.searchParams.get('client_id') !== clientId) throw badRequest({ error: 'invalid_request' });
					const code = randomBytes(12).toString('hex');
					authCodes.set(code, { redirectUri });
					const target = new URL(redirectUri);
					target.searchParams.set('code', code);
					const stateParam = url.searchParams.get('state');
					if (stateParam) target.searchParams.set('state', stateParam);
					send(response, 302, undefined, { location: target.toString() });
					return;
				}
				if (path === '/o/token/') {
					if (method !== 'POST') throw new HttpFailure(405, { detail: `Method "${method}" not allowed.` });
					const answer = token(body, authorization);
					send(response, answer.status, answer.body);
					return;
				}
				const complete = /^\/_sandbox\/appointments\/([^/]+)\/complete$/.exec(path);
				if (complete && method === 'POST') {
					const result = await completeAppointment(decodeURIComponent(complete[1]!));
					send(response, 200, {
						appointment: appointmentView(result.appointment, true),
						deliveredStatus: result.deliveredStatus ?? null,
						deliveryId: result.delivery?.headers['x-drchrono-delivery'] ?? null,
					});
					return;
				}
				if (!path.startsWith('/api/')) throw notFound();

				const faultIndex = faults.findIndex(
					(fault) => (!fault.method || fault.method === method) && (!fault.pathPrefix || path.startsWith(fault.pathPrefix)),
				);
				const fault = faultIndex >= 0 ? faults[faultIndex]! : undefined;
				if (fault) {
					fault.left -= 1;
					if (fault.left <= 0) faults.splice(faultIndex, 1);
					if (fault.delayMs) await new Promise((resolve) => setTimeout(resolve, fault.delayMs).unref());
				}
				if (fault?.status !== undefined) {
					const retryAfter: Record<string, string> =
						fault.retryAfterSeconds === undefined ? {} : { 'retry-after': String(fault.retryAfterSeconds) };
					if (fault.status === 429) {
						send(response, 429, { detail: `Request was throttled. Expected available in ${fault.retryAfterSeconds ?? 1} seconds.` }, retryAfter);
					} else if (fault.status === 401) {
						send(response, 401, { detail: 'Authentication credentials were not provided.' }, { 'www-authenticate': 'Bearer realm="api"' });
					} else if (fault.status === 403) {
						send(response, 403, { detail: 'You do not have permission to perform this action.' });
					} else if (fault.status === 404) {
						send(response, 404, { detail: 'Not found.' });
					} else {
						send(response, fault.status, '<html><body><h1>Service Unavailable</h1></body></html>', retryAfter);
					}
					return;
				}
				if (!authorized) {
					send(response, 401, { detail: 'Authentication credentials were not provided.' }, { 'www-authenticate': 'Bearer realm="api"' });
					return;
				}
				const answer = route(method, path, url.searchParams, body);
				send(response, answer.status, answer.body, answer.headers);
			} catch (error) {
				if (error instanceof HttpFailure) send(response, error.status, error.body, error.headers);
				else send(response, 500, { detail: 'Internal Server Error' });
			}
		})();
	});

	await new Promise<void>((resolve, reject) => {
		server.once('error', reject);
		server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
	});
	const address = server.address() as AddressInfo;
	baseUrl = `http://${options.host ?? '127.0.0.1'}:${address.port}`;

	return {
		url: baseUrl,
		state,
		requests,
		injectFault: (fault) => faults.push({ ...fault, left: fault.times ?? 1 }),
		clearFaults: () => {
			faults.length = 0;
		},
		expireAccessToken: (accessToken, refresh) => {
			accessTokens.delete(accessToken);
			extraClients.set(refresh.clientId, refresh.clientSecret);
			refreshTokens.set(refresh.refreshToken, accessToken);
		},
		localNow,
		completeAppointment,
		close: async () => {
			server.closeAllConnections();
			await new Promise<void>((resolve) => server.close(() => resolve()));
		},
	};
}
