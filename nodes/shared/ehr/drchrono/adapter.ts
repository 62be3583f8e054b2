import { DateTime } from 'luxon';
import { z } from 'zod';
import type { ZodType, ZodTypeDef } from 'zod';

import { DomainError, fromZodError } from '../../core/errors';
import { visitEventSchema } from '../../core/schemas';
import type { ActionItem, ActionItemType, RecallDue, VisitEvent } from '../../core/schemas';
import { EhrHttpError, EhrResponseError, parseVendor, sendWithRetry } from '../http';
import type { RetryPolicy } from '../http';
import type {
	EhrAdapter,
	Escalation,
	FollowUpQuery,
	FollowUpStatus,
	HttpClient,
	HttpRequest,
	HttpResponse,
	NotificationEvent,
	PollCursor,
	PollResult,
	ResolveContext,
	ResolveResult,
	SmsConsentResult,
	SmsConsentUpdate,
	TaskResult,
} from '../types';
import {
	EHR,
	fillLink,
	isValidZone,
	isoDateOf,
	isoOf,
	languageOf,
	naiveLocal,
	phonesOf,
	vendorDateTime,
	vendorErrorMessage,
} from './mapping';
import { completedStatus } from './notification';
import {
	appointmentSchema,
	carePlanSchema,
	doctorSchema,
	labOrderSchema,
	medicationSchema,
	pageSchema,
	patientSchema,
	taskNoteSchema,
	taskSchema,
	taskStatusSchema,
	userSchema,
} from './schemas';
import type {
	DrChronoAppointment,
	DrChronoDoctor,
	DrChronoLabOrder,
	DrChronoTask,
	DrChronoTaskStatus,
} from './schemas';

export type DrChronoOrderSource = 'labOrders' | 'medications' | 'carePlans';

export interface DrChronoAdapterOptions {
	/** Days after the visit date searched for a follow-up appointment (default 180). */
	followUpWindowDays?: number;
	/**
	 * Longest `date_range` sent in one request (default 90 days). DrChrono documents no cap; longer searches
	 * are split into consecutive windows of at most this many days.
	 */
	maxDateRangeDays?: number;
	/** Rows asked for per page (DrChrono caps pages at 250). */
	pageSize?: number;
	/** Pages followed through `next` before giving up (a guard against a looping `next`). */
	maxPages?: number;
	/**
	 * The practice's zone when DrChrono's doctor record has none, for the calls that have no practice profile
	 * at hand (polling, task due dates). resolveVisit uses the profile's `defaultZone` instead.
	 */
	defaultZone?: string;
	/** Where action items come from (default: all three). Lab orders need the `labs:read` scope. */
	orderSources?: DrChronoOrderSource[];
	/** Lab orders submitted up to this many days after the visit date count as the visit's (default 1). */
	labOrderGraceDays?: number;
	/**
	 * DrChrono has no "follow-up visit" order. When set, every completed visit carries a follow-up action
	 * item with this patient-facing description (e.g. "Book your follow-up visit").
	 */
	followUpAction?: { description: string };
}

export interface DrChronoAdapterConfig {
	http: HttpClient;
	retry?: RetryPolicy;
	options?: DrChronoAdapterOptions;
}

const inactiveStatuses = new Set(['Cancelled', 'No Show', 'Rescheduled']);
/** Medication order statuses that leave the patient something to pick up or fill. */
const prescriptionToFill = new Set([
	'Electronic eRx Sent',
	'Phoned into Pharmacy',
	'Faxed to Pharmacy',
	'Paper Rx',
	'Prescription Printed',
]);
const referralPlanType = '5';
const taskTitleMax = 120;
const taskNoteMax = 4000;

const descriptions = {
	lab: 'Get the lab tests your provider ordered',
	referral: 'Book the specialist visit your provider referred you to',
	prescription: (count: number) =>
		count > 1 ? 'Pick up your new prescriptions from your pharmacy' : 'Pick up your new prescription from your pharmacy',
} as const;

/** parseVendor for schemas whose input differs from their output (ids normalised to strings). */
function vendor<T>(schema: ZodType<T, ZodTypeDef, unknown>, body: unknown): T {
	return parseVendor(schema as unknown as ZodType<T>, body, EHR);
}

function truncate(text: string, max: number): string {
	const trimmed = text.trim();
	return trimmed.length <= max ? trimmed : `${trimmed.slice(0, max - 1)}…`;
}

function numericId(value: string, field: string): number {
	if (!/^\d+$/.test(value)) {
		throw new DomainError(`DrChrono expects a numeric id in "${field}"`, 'invalid_input', field);
	}
	return Number(value);
}

/** The DrChrono path of a `next` link, so the token only ever goes to the credential's own base URL. */
function nextRequest(next: string): HttpRequest {
	const url = new URL(next, 'https://app.drchrono.com');
	if (!url.pathname.startsWith('/api/')) throw new EhrResponseError(EHR, 'next', 'is not an API link');
	return { method: 'GET', url: `${url.pathname}${url.search}` };
}

/** When a completed appointment was completed: its last transition to Complete, else its last update. */
function completionOf(appointment: DrChronoAppointment, zone: string): { at: DateTime; fromTransition: boolean } {
	const transitions = (appointment.status_transitions ?? [])
		.filter((transition) => transition.to_status === completedStatus)
		.map((transition) => vendorDateTime(transition.datetime, zone, 'status_transitions.datetime'))
		.sort((a, b) => a.toMillis() - b.toMillis());
	const last = transitions.at(-1);
	if (last) return { at: last, fromTransition: true };
	const fallback = appointment.updated_at ?? appointment.scheduled_time;
	return { at: vendorDateTime(fallback, zone, appointment.updated_at ? 'updated_at' : 'scheduled_time'), fromTransition: false };
}

/**
 * DrChrono (v4 REST API, OAuth2) behind the EhrAdapter interface. Paths are relative to the credential's
 * base URL (https://app.drchrono.com). Lookups made during one adapter's life (doctors, task statuses, the
 * current user) are remembered by this instance only: create one adapter per execution.
 */
export function createDrChronoAdapter(config: DrChronoAdapterConfig): EhrAdapter {
	const { http, retry } = config;
	const options = config.options ?? {};
	const followUpWindowDays = options.followUpWindowDays ?? 180;
	const maxDateRangeDays = Math.max(1, options.maxDateRangeDays ?? 90);
	const pageSize = Math.min(250, Math.max(1, options.pageSize ?? 100));
	const maxPages = options.maxPages ?? 200;
	const orderSources = new Set<DrChronoOrderSource>(options.orderSources ?? ['labOrders', 'medications', 'carePlans']);
	const labOrderGraceDays = options.labOrderGraceDays ?? 1;
	if (options.defaultZone !== undefined && options.defaultZone !== '' && !isValidZone(options.defaultZone)) {
		throw new DomainError('DrChrono adapter: "defaultZone" must be an IANA time zone', 'invalid_input', 'defaultZone');
	}
	const defaultZone = options.defaultZone || undefined;

	const doctors = new Map<string, Promise<DrChronoDoctor>>();
	let taskStatuses: Promise<DrChronoTaskStatus[]> | undefined;
	let currentUserZone: Promise<string | undefined> | undefined;

	async function sendRaw(request: HttpRequest): Promise<HttpResponse> {
		return await sendWithRetry(http, request, EHR, retry);
	}

	function failure(response: HttpResponse, action: string): EhrHttpError {
		return new EhrHttpError(EHR, response.status, vendorErrorMessage(response.status, response.body, action), false);
	}

	async function send(request: HttpRequest, action: string): Promise<unknown> {
		const response = await sendRaw(request);
		if (response.status >= 200 && response.status < 300) return response.body;
		throw failure(response, action);
	}

	async function getOne<T>(
		url: string,
		schema: ZodType<T, ZodTypeDef, unknown>,
		action: string,
		qs?: HttpRequest['qs'],
	): Promise<T> {
		return vendor(schema, await send({ method: 'GET', url, qs }, action));
	}

	async function listAll<T>(
		url: string,
		qs: HttpRequest['qs'],
		schema: ZodType<T, ZodTypeDef, unknown>,
		action: string,
	): Promise<T[]> {
		const items: T[] = [];
		let request: HttpRequest = { method: 'GET', url, qs: { page_size: pageSize, ...qs } };
		for (let page = 0; page < maxPages; page++) {
			const body = vendor(pageSchema, await send(request, action));
			const rows = body.results ?? body.data;
			if (!rows) throw new EhrResponseError(EHR, 'results', 'a list page has neither "results" nor "data"');
			items.push(...vendor(z.array(schema), rows));
			if (!body.next) return items;
			request = nextRequest(body.next);
		}
		throw new EhrResponseError(EHR, 'next', `more than ${maxPages} pages`);
	}

	function remember<T>(cache: Map<string, Promise<T>>, key: string, load: () => Promise<T>): Promise<T> {
		const known = cache.get(key);
		if (known) return known;
		const loading = load().catch((error: unknown) => {
			cache.delete(key);
			throw error;
		});
		cache.set(key, loading);
		return loading;
	}

	function getDoctor(doctorId: string): Promise<DrChronoDoctor> {
		return remember(doctors, doctorId, () =>
			getOne(`/api/doctors/${encodeURIComponent(doctorId)}`, doctorSchema, 'reading the provider'),
		);
	}

	async function doctorZone(doctorId: string | undefined): Promise<string | undefined> {
		if (!doctorId) return undefined;
		const timezone = (await getDoctor(doctorId)).timezone;
		return isValidZone(timezone) ? timezone : undefined;
	}

	function missingZone(field: string): DomainError {
		return new DomainError(
			'DrChrono gives no valid time zone for this provider and no default zone is set: set "Default Time Zone" in the practice profile',
			'missing_zone',
			field,
		);
	}

	/** The zone of the user the credential belongs to (their doctor's setting), for task due dates. */
	function accountZone(): Promise<string | undefined> {
		currentUserZone ??= (async () => {
			const user = await getOne('/api/users/current', userSchema, 'reading the connected user');
			return await doctorZone(user.doctor);
		})().catch((error: unknown) => {
			currentUserZone = undefined;
			throw error;
		});
		return currentUserZone;
	}

	async function appointmentOf(event: NotificationEvent): Promise<DrChronoAppointment> {
		// A webhook object is used as is when it carries the verbose fields; otherwise the appointment is read.
		const sent = event.resource === undefined ? undefined : appointmentSchema.safeParse(event.resource);
		if (sent?.success && sent.data.id === event.resourceId && sent.data.status_transitions) return sent.data;
		return await getOne(
			`/api/appointments/${encodeURIComponent(event.resourceId)}`,
			appointmentSchema,
			'reading the appointment',
			{ verbose: true },
		);
	}

	function linkFor(type: ActionItemType, context: ResolveContext, ids: { orderId?: string; patientId: string; visitId: string }) {
		const links = context.schedulingLinks ?? {};
		return fillLink(links[type] ?? links.default, ids);
	}

	async function labItem(appointment: DrChronoAppointment, visitDay: DateTime, zone: string): Promise<ActionItem[]> {
		if (!appointment.doctor) return [];
		const orders = await listAll(
			'/api/lab_orders',
			{ doctor: appointment.doctor, since: isoDateOf(visitDay) },
			labOrderSchema,
			'listing lab orders',
		);
		const lastDay = visitDay.plus({ days: labOrderGraceDays }).endOf('day');
		const ofVisit = orders.filter((order: DrChronoLabOrder) => {
			if (order.patient !== appointment.patient || order.status === 'E' || !order.timestamp) return false;
			const submitted = vendorDateTime(order.timestamp, zone, 'lab_orders.timestamp');
			return submitted >= visitDay && submitted <= lastDay;
		});
		if (ofVisit.length === 0) return [];
		const open = ofVisit.filter((order) => order.status !== 'R');
		return [
			{
				type: 'lab',
				description: descriptions.lab,
				orderId: `lab-${(open[0] ?? ofVisit[0])!.id}`,
				done: open.length === 0,
			},
		];
	}

	async function prescriptionItem(appointment: DrChronoAppointment): Promise<ActionItem[]> {
		const medications = await listAll(
			'/api/medications',
			{ patient: appointment.patient! },
			medicationSchema,
			'listing medications',
		);
		const toFill = medications.filter(
			(medication) =>
				medication.appointment === appointment.id &&
				medication.status !== 'inactive' &&
				prescriptionToFill.has(medication.order_status ?? ''),
		);
		if (toFill.length === 0) return [];
		return [
			{
				type: 'prescription',
				description: descriptions.prescription(toFill.length),
				orderId: `medication-${toFill[0]!.id}`,
				done: false,
			},
		];
	}

	async function referralItem(appointment: DrChronoAppointment): Promise<ActionItem[]> {
		const plans = await listAll(
			'/api/care_plans',
			{ patient: appointment.patient!, plan_type: referralPlanType },
			carePlanSchema,
			'listing care plans',
		);
		const referrals = plans
			.filter((plan) => plan.appointment === appointment.id && plan.plan_type === referralPlanType)
			.sort((a, b) => (a.scheduled_date ?? '9999').localeCompare(b.scheduled_date ?? '9999'));
		const first = referrals[0];
		if (!first) return [];
		const dueBy = first.scheduled_date?.slice(0, 10);
		return [
			{
				type: 'referral',
				description: descriptions.referral,
				orderId: `careplan-${first.id}`,
				dueBy: dueBy && /^\d{4}-\d{2}-\d{2}$/.test(dueBy) ? dueBy : undefined,
				done: false,
			},
		];
	}

	async function actionItemsOf(
		appointment: DrChronoAppointment,
		visitStart: DateTime,
		zone: string,
		context: ResolveContext,
	): Promise<ActionItem[]> {
		const visitDay = visitStart.startOf('day');
		const [labs, prescriptions, referrals] = await Promise.all([
			orderSources.has('labOrders') ? labItem(appointment, visitDay, zone) : [],
			orderSources.has('medications') ? prescriptionItem(appointment) : [],
			orderSources.has('carePlans') ? referralItem(appointment) : [],
		]);
		const items: ActionItem[] = [];
		if (options.followUpAction) {
			items.push({
				type: 'followUpVisit',
				description: options.followUpAction.description,
				orderId: `visit-${appointment.id}`,
				done: false,
			});
		}
		items.push(...referrals, ...labs, ...prescriptions);
		const ids = { patientId: appointment.patient!, visitId: appointment.id };
		return items.map((item) => {
			const schedulingLink = linkFor(item.type, context, { ...ids, orderId: item.orderId });
			return schedulingLink ? { ...item, schedulingLink } : item;
		});
	}

	async function resolveVisit(event: NotificationEvent, context: ResolveContext): Promise<ResolveResult> {
		if (event.resourceType !== 'Appointment') {
			throw new DomainError('DrChrono visits are appointments', 'invalid_input', 'resourceType');
		}
		const appointment = await appointmentOf(event);
		if (appointment.deleted_flag) return { status: 'notCompleted', reason: 'appointment is deleted' };
		if (appointment.appt_is_break || !appointment.patient) {
			return { status: 'notCompleted', reason: 'a calendar break, not a visit' };
		}
		if (appointment.status !== completedStatus) {
			return { status: 'notCompleted', reason: `appointment status is "${appointment.status || '(none)'}"` };
		}
		const [patient, doctor] = await Promise.all([
			getOne(`/api/patients/${encodeURIComponent(appointment.patient)}`, patientSchema, 'reading the patient'),
			appointment.doctor ? getDoctor(appointment.doctor) : Promise.resolve(undefined),
		]);
		const zone = isValidZone(doctor?.timezone) ? doctor.timezone : context.defaultZone;
		if (!isValidZone(zone)) throw missingZone('defaultZone');

		const visitStart = vendorDateTime(appointment.scheduled_time, zone, 'scheduled_time');
		const completed = completionOf(appointment, zone).at;
		const firstName = truncate(patient.nick_name ?? patient.first_name ?? '', 60);
		if (!firstName) {
			throw new DomainError('The DrChrono patient record has no first name', 'missing_first_name', 'patient.first_name');
		}
		const email = patient.email && z.string().email().safeParse(patient.email.trim()).success ? patient.email.trim() : undefined;
		const deceased = patient.patient_status === 'D';
		const providerName = doctor
			? [doctor.first_name, doctor.last_name, doctor.suffix].filter(Boolean).join(' ').slice(0, 120) || undefined
			: undefined;

		const candidate = {
			kind: 'visit',
			ehr: EHR,
			departmentId: appointment.office,
			patientId: appointment.patient,
			zone,
			zoneSource: 'practice',
			patient: {
				firstName,
				phones: phonesOf(patient),
				email,
				language: languageOf(patient.preferred_language, context.defaultLanguage || 'en'),
			},
			consent: {
				sms: !deceased && patient.disable_sms_messages !== true,
				email: !deceased,
				voice: !deceased,
			},
			visitId: appointment.id,
			visitType: 'appointment',
			completedAt: isoOf(completed),
			visitDate: isoDateOf(visitStart),
			providerName,
			actionItems: await actionItemsOf(appointment, visitStart, zone, context),
		};
		const parsed = visitEventSchema.safeParse(candidate);
		if (!parsed.success) throw fromZodError(parsed.error, 'DrChrono visit');
		return { status: 'completed', event: parsed.data };
	}

	async function pollChanges(cursor: PollCursor, now: Date): Promise<PollResult> {
		const since = DateTime.fromISO(cursor.since, { setZone: true });
		if (!since.isValid) throw new DomainError('Poll cursor: "since" must be an ISO date-time', 'invalid_input', 'since');
		const seenAtSince = new Set((cursor.extra?.idsAtSince ?? '').split(',').filter(Boolean));
		// `since` is sent as a date a day early: DrChrono compares it with its naive local times.
		const rows = await listAll(
			'/api/appointments',
			{ since: since.toUTC().minus({ days: 1 }).toFormat('yyyy-MM-dd'), status: completedStatus, verbose: true },
			appointmentSchema,
			'listing changed appointments',
		);

		const events: NotificationEvent[] = [];
		let newest = since;
		let idsAtNewest = new Set(seenAtSince);
		for (const row of rows) {
			if (row.status !== completedStatus || row.deleted_flag || row.appt_is_break || !row.patient) continue;
			const zone = (await doctorZone(row.doctor)) ?? defaultZone;
			if (!zone) throw missingZone('defaultZone');
			const updatedText = row.updated_at ?? row.scheduled_time;
			const updated = vendorDateTime(updatedText, zone, 'updated_at');
			if (updated < since || (updated.toMillis() === since.toMillis() && seenAtSince.has(row.id))) continue;

			if (updated > newest) {
				newest = updated;
				idsAtNewest = new Set([row.id]);
			} else if (updated.toMillis() === newest.toMillis()) {
				idsAtNewest.add(row.id);
			}
			const completion = completionOf(row, zone);
			// A later edit (billing, notes) of a visit completed before the cursor is not a new completion.
			if (completion.fromTransition && completion.at < since) continue;
			events.push({
				ehr: EHR,
				eventId: `appointment:${row.id}:${updatedText}`,
				topic: 'appointment.complete',
				resourceType: 'Appointment',
				resourceId: row.id,
				patientId: row.patient,
				departmentId: row.office,
				resource: row,
				occurredAt: isoOf(completion.at),
			});
		}

		const nowTime = DateTime.fromJSDate(now);
		// A time ahead of the clock means a zone mismatch: never move the cursor past now.
		if (newest > nowTime) return { events, nextCursor: { since: isoOf(nowTime.toUTC()), extra: {} } };
		return {
			events,
			nextCursor: { since: isoOf(newest.toUTC()), extra: { idsAtSince: [...idsAtNewest].sort().join(',') } },
		};
	}

	async function findFollowUp(visit: VisitEvent, query: FollowUpQuery): Promise<FollowUpStatus> {
		if (visit.ehr !== EHR) throw new DomainError('This visit is not a DrChrono visit', 'invalid_input', 'ehr');
		const response = await sendRaw({ method: 'GET', url: `/api/appointments/${encodeURIComponent(visit.visitId)}` });
		if (response.status === 404) return { status: 'visitCancelled', detail: 'the visit appointment was deleted in DrChrono' };
		if (response.status < 200 || response.status >= 300) throw failure(response, 'reading the visit');
		const visitAppointment = vendor(appointmentSchema, response.body);
		if (visitAppointment.deleted_flag || visitAppointment.status === 'Cancelled') {
			return { status: 'visitCancelled', detail: `the visit appointment is now ${visitAppointment.deleted_flag ? 'deleted' : 'Cancelled'}` };
		}

		const zone = visit.zone;
		const visitStart = vendorDateTime(visitAppointment.scheduled_time, zone, 'scheduled_time');
		const completedAt = DateTime.fromISO(visit.completedAt, { setZone: true });
		// Booked at check-in or checkout, before the status flip, still counts: the bar is the visit's start.
		const bookedAfter = completedAt.isValid && completedAt < visitStart ? completedAt : visitStart;
		const firstDay = DateTime.fromISO(visit.visitDate, { zone });
		const lastDay = firstDay.plus({ days: followUpWindowDays });
		const types = new Set(query.appointmentTypes ?? []);

		const checked: string[] = [];
		const candidates: Array<{ appointment: DrChronoAppointment; start: DateTime }> = [];
		for (let from = firstDay; from <= lastDay; from = from.plus({ days: maxDateRangeDays })) {
			const to = DateTime.min(from.plus({ days: maxDateRangeDays - 1 }), lastDay);
			const range = `${isoDateOf(from)}/${isoDateOf(to)}`;
			checked.push(`appointments ${range}`);
			const rows = await listAll(
				'/api/appointments',
				{ patient: visit.patientId, date_range: range },
				appointmentSchema,
				'listing the patient\'s appointments',
			);
			for (const appointment of rows) {
				if (appointment.id === visit.visitId || appointment.deleted_flag || appointment.appt_is_break) continue;
				if (types.size > 0 && !(appointment.profile && types.has(appointment.profile))) continue;
				if (!appointment.created_at) continue;
				const created = vendorDateTime(appointment.created_at, zone, 'created_at');
				const start = vendorDateTime(appointment.scheduled_time, zone, 'scheduled_time');
				if (created <= bookedAfter || start <= visitStart) continue;
				candidates.push({ appointment, start });
			}
		}
		candidates.sort((a, b) => a.start.toMillis() - b.start.toMillis());

		const completed = candidates.find(({ appointment }) => appointment.status === completedStatus);
		if (completed) {
			return { status: 'done', detail: `follow-up appointment ${completed.appointment.id} is Complete` };
		}
		const booked = candidates.find(
			({ appointment }) => !inactiveStatuses.has(appointment.status) && appointment.status !== completedStatus,
		);
		if (booked) {
			return {
				status: 'booked',
				appointmentId: booked.appointment.id,
				start: isoOf(booked.start),
				detail: `booked for ${isoDateOf(booked.start)} (status "${booked.appointment.status || 'none'}")`,
			};
		}
		const noShow = candidates.filter(({ appointment }) => appointment.status === 'No Show').at(-1);
		if (noShow) {
			return {
				status: 'noShow',
				appointmentId: noShow.appointment.id,
				detail: `follow-up appointment of ${isoDateOf(noShow.start)} is No Show`,
			};
		}
		return { status: 'open', checked };
	}

	function loadTaskStatuses(): Promise<DrChronoTaskStatus[]> {
		taskStatuses ??= listAll('/api/task_statuses', {}, taskStatusSchema, 'listing task statuses').catch(
			(error: unknown) => {
				taskStatuses = undefined;
				throw error;
			},
		);
		return taskStatuses;
	}

	function assigneeOf(assigneeId: string | undefined): { assignee_user: string } | { assignee_group: number } {
		const value = assigneeId?.trim();
		if (!value) {
			throw new DomainError(
				'A DrChrono task needs an assignee: set the staff member\'s DrChrono user id, or "group:<id>" for a user group',
				'missing_assignee',
				'assigneeId',
			);
		}
		if (value.toLowerCase().startsWith('group:')) {
			return { assignee_group: numericId(value.slice('group:'.length).trim(), 'assigneeId') };
		}
		return { assignee_user: value };
	}

	function isSameEscalation(task: DrChronoTask, escalation: Escalation, title: string): boolean {
		if (task.archived) return false;
		const items = task.associated_items ?? [];
		const has = (type: string, value: string) => items.some((item) => item.type === type && item.value === value);
		const anchored =
			escalation.visitType === 'appointment' && escalation.visitId
				? has('Appointment', escalation.visitId)
				: escalation.patientId !== undefined && has('Patient', escalation.patientId);
		// The title too: a task staff made by hand on the same appointment is not ours.
		return anchored && (task.title ?? '').trim() === title;
	}

	async function ensureNote(task: DrChronoTask, note: string): Promise<void> {
		const notes =
			task.notes ??
			(await listAll('/api/task_notes', { task: task.id }, taskNoteSchema, 'listing task notes'));
		if (notes.some((existing) => !existing.archived && (existing.text ?? '').trim() === note)) return;
		await send(
			{ method: 'POST', url: '/api/task_notes', body: { task: numericId(task.id, 'taskId'), text: note } },
			'adding the task note',
		);
	}

	async function createTask(escalation: Escalation): Promise<TaskResult> {
		const assignee = assigneeOf(escalation.assigneeId);
		// A text from a number no journey reached has no patient: the task stands alone in the worklist.
		const patientId = escalation.patientId === undefined ? undefined : numericId(escalation.patientId, 'patientId');
		const dueAt = DateTime.fromISO(escalation.dueAt, { setZone: true });
		if (!dueAt.isValid) throw new DomainError('Escalation: "dueAt" must be an ISO date-time', 'invalid_input', 'dueAt');
		const title = truncate(escalation.title, taskTitleMax);
		const note = truncate(escalation.note, taskNoteMax);
		if (!title) throw new DomainError('Escalation: "title" is empty', 'invalid_input', 'title');

		const statuses = (await loadTaskStatuses()).filter((status) => !status.archived);
		const openStatuses = statuses.filter((status) => status.status_category === 'O');
		const openStatus = openStatuses.find((status) => !status.task_category) ?? openStatuses[0];
		if (!openStatus) {
			throw new DomainError('DrChrono has no open task status (category O): add one under Tasks settings', 'missing_task_status', 'status');
		}
		const unfinished = statuses.filter((status) => ['O', 'P', 'H'].includes(status.status_category ?? ''));
		for (const status of unfinished) {
			const tasks = await listAll('/api/tasks', { status: status.id, verbose: true }, taskSchema, 'listing open tasks');
			const existing = tasks.find((task) => isSameEscalation(task, escalation, title));
			if (existing) {
				if (note) await ensureNote(existing, note);
				return { taskId: existing.id, kind: 'task', created: false };
			}
		}

		const zone = (await accountZone()) ?? defaultZone;
		if (!zone) throw missingZone('defaultZone');
		const associatedItems: Array<{ type: string; value: number }> = patientId === undefined ? [] : [{ type: 'Patient', value: patientId }];
		if (escalation.visitType === 'appointment' && escalation.visitId) {
			associatedItems.push({ type: 'Appointment', value: numericId(escalation.visitId, 'visitId') });
		}
		for (const orderId of escalation.orderIds ?? []) {
			const lab = /^lab-(\d+)$/.exec(orderId);
			if (lab) associatedItems.push({ type: 'Lab order', value: Number(lab[1]) });
		}
		const created = vendor(
			taskSchema,
			await send(
				{
					method: 'POST',
					url: '/api/tasks',
					body: {
						title,
						status: /^\d+$/.test(openStatus.id) ? Number(openStatus.id) : openStatus.id,
						...assignee,
						priority: escalation.priority === 'urgent' ? '30' : '20',
						due_date: { time: naiveLocal(dueAt, zone) },
						associated_items: associatedItems,
					},
				},
				'creating the task',
			),
		);
		if (note) {
			await send(
				{ method: 'POST', url: '/api/task_notes', body: { task: numericId(created.id, 'taskId'), text: note } },
				'adding the task note',
			);
		}
		return { taskId: created.id, kind: 'task', created: true };
	}

	async function pollRecalls(): Promise<RecallDue[]> {
		throw new DomainError(
			'DrChrono\'s API (v4) has no recall list: recalls cannot be read from DrChrono. Keep recall dates in another source or use the FHIR adapter.',
			'not_supported',
			'ehr',
		);
	}

	/**
	 * DrChrono's per-patient switch `disable_sms_messages` ("suppress SMS/Txt messages to this patient even if we
	 * have a cell phone #"), written with PATCH /api/patients/{id} (scope patients:write); resolveVisit reads it.
	 */
	async function updateSmsConsent(update: SmsConsentUpdate): Promise<SmsConsentResult> {
		const id = numericId(update.patientId, 'patientId');
		const patient = await getOne(`/api/patients/${id}`, patientSchema, 'reading the patient');
		const disabled = !update.allowed;
		if ((patient.disable_sms_messages === true) === disabled) {
			return { status: 'unchanged', detail: `DrChrono patient disable_sms_messages was already ${disabled}` };
		}
		await send({ method: 'PATCH', url: `/api/patients/${id}`, body: { disable_sms_messages: disabled } }, "updating the patient's SMS setting");
		return { status: 'updated', detail: `DrChrono patient disable_sms_messages set to ${disabled}` };
	}

	return { kind: EHR, resolveVisit, pollChanges, findFollowUp, createTask, findsEarlierTasks: true, pollRecalls, updateSmsConsent };
}
