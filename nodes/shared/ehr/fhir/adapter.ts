import { DateTime } from 'luxon';

import { schedulingLinkFor } from '../../core/compose/links';
import { DomainError } from '../../core/errors';
import { parseRecallDue, parseVisitEvent } from '../../core/schemas';
import type { ActionItem, ActionItemType, RecallDue, VisitEvent } from '../../core/schemas';
import { EhrResponseError } from '../http';
import type { RetryPolicy } from '../http';
import type {
	EhrAdapter,
	Escalation,
	FollowUpQuery,
	FollowUpStatus,
	HttpClient,
	HttpResponse,
	NotificationEvent,
	PollCursor,
	PollResult,
	RecallWindow,
	ResolveContext,
	ResolveResult,
	SmsConsentResult,
	SmsConsentUpdate,
	TaskResult,
} from '../types';
import { createFhirClient, isUnsupported, parseResource } from './client';
import type { FhirClient, Schema, SearchParams } from './client';
import {
	actionTypeOf,
	consentExtensionUrl,
	consentOf,
	descriptionOf,
	dueOf,
	emailOf,
	firstNameOf,
	languageOf,
	localDate,
	parseReference,
	phonesOf,
	preferredChannelOf,
	referenceId,
	withSmsConsent,
	zoneFromExtensions,
} from './mapping';
import {
	appointmentSchema,
	createdSchema,
	EHR,
	encounterSchema,
	locationSchema,
	medicationDispenseSchema,
	medicationRequestSchema,
	organizationSchema,
	patientSchema,
	serviceRequestSchema,
} from './resources';
import type { Appointment, Encounter, Patient, ServiceRequest } from './resources';

/** Identifier system of the Tasks/Communications we create; its value is the journey id (idempotency key). */
export const journeyIdentifierSystem = 'urn:n8n-post-visit:journey';

export type FhirPollMode = 'encounter' | 'appointment' | 'perPatient';

export interface FhirAdapterOptions {
	/** The FHIR base URL: makes Task links, and keeps paging links on the same server. */
	baseUrl?: string;
	/**
	 * How pollChanges finds completed visits:
	 * - `encounter` (default): `Encounter?status=finished&_lastUpdated=ge…&_sort=_lastUpdated` server-wide;
	 * - `appointment`: the same over `Appointment?status=fulfilled`;
	 * - `perPatient`: for servers that refuse searches without a patient (Epic): the day's patients come from
	 *   `pollPatients`, or from `Appointment?date=ge{yesterday}&date=lt{tomorrow}` narrowed by `perPatient`'s
	 *   practitioner/location, then `Encounter?patient=…&status=finished&date=ge{yesterday}` per patient.
	 */
	pollMode?: FhirPollMode;
	pageSize?: number;
	/** Pages read per search before stopping (the cursor resumes where it stopped). */
	maxPages?: number;
	perPatient?: { practitioner?: string; location?: string; zone?: string };
	/** Patient ids to poll in perPatient mode (e.g. from a patient list); replaces the appointment lookup. */
	pollPatients?: (now: Date) => Promise<string[]>;
	/** Country code for national-format phone numbers; default "1" (NANP). */
	defaultCountryCode?: string;
	/** What a ServiceRequest the mapping does not recognise becomes; default `skip`. */
	unmappedOrders?: 'skip' | ActionItemType;
	/** `code` tokens (`system|code`) that mark a ServiceRequest as a recall. Default: SNOMED follow-up visit codes. */
	recallCodes?: string[];
	/** `category` tokens that mark a ServiceRequest as a recall; given alone, they replace the default codes. */
	recallCategories?: string[];
}

export interface FhirAdapterConfig {
	http: HttpClient;
	retry?: RetryPolicy;
	options?: FhirAdapterOptions;
}

const defaultRecallCodes = ['http://snomed.info/sct|390906007', 'http://snomed.info/sct|185389009'];
const openTaskStatuses = ['requested', 'received', 'accepted', 'ready', 'in-progress', 'on-hold'];
const bookedStatuses = new Set(['booked', 'pending', 'arrived', 'checked-in', 'fulfilled']);
const cancelledVisitStatuses = new Set(['cancelled', 'entered-in-error']);
const activeOrderStatuses = 'active,completed';
const skippedOrderIntents = new Set(['proposal', 'option', 'plan', 'directive']);

interface VisitFacts {
	type: 'Encounter' | 'Appointment';
	id: string;
	status: string;
	patientId?: string;
	completedAt?: string;
	locationIds: string[];
	organizationIds: string[];
	providerName?: string;
}

function encounterFacts(encounter: Encounter): VisitFacts {
	const attending = encounter.participant?.find((participant) =>
		participant.type?.some((type) => type.coding?.some((coding) => coding.code === 'ATND' || coding.code === 'PPRF')),
	);
	const practitioner =
		attending?.individual ??
		encounter.participant?.find((participant) => parseReference(participant.individual?.reference)?.type === 'Practitioner')
			?.individual;
	return {
		type: 'Encounter',
		id: encounter.id,
		status: encounter.status,
		patientId: referenceId(encounter.subject, 'Patient'),
		completedAt: encounter.period?.end ?? encounter.meta?.lastUpdated,
		locationIds: (encounter.location ?? [])
			.map((entry) => referenceId(entry.location, 'Location'))
			.filter((value): value is string => value !== undefined),
		organizationIds: [referenceId(encounter.serviceProvider, 'Organization')].filter(
			(value): value is string => value !== undefined,
		),
		providerName: practitioner?.display,
	};
}

function appointmentFacts(appointment: Appointment): VisitFacts {
	const actors = (appointment.participant ?? []).map((participant) => participant.actor);
	const ofType = (type: string) =>
		actors.map((actor) => referenceId(actor, type)).filter((value): value is string => value !== undefined);
	return {
		type: 'Appointment',
		id: appointment.id,
		status: appointment.status,
		patientId: ofType('Patient')[0],
		completedAt: appointment.end ?? appointment.meta?.lastUpdated ?? appointment.start,
		locationIds: ofType('Location'),
		organizationIds: [],
		providerName: actors.find((actor) => parseReference(actor?.reference)?.type === 'Practitioner')?.display,
	};
}

const completedStatusOf = { Encounter: 'finished', Appointment: 'fulfilled' } as const;

function toInstant(value: string, zone: string): string | undefined {
	const parsed = DateTime.fromISO(value, { zone, setZone: true });
	return parsed.isValid ? (parsed.toUTC().toISO() ?? undefined) : undefined;
}

function millis(value: string | undefined): number | undefined {
	if (!value) return undefined;
	const parsed = Date.parse(value);
	return Number.isNaN(parsed) ? undefined : parsed;
}

function ownerReference(assigneeId: string): string {
	return /^[A-Z][A-Za-z]+\/[A-Za-z0-9\-.]{1,64}$/.test(assigneeId) ? assigneeId : `Practitioner/${assigneeId}`;
}

function versionedEventId(type: string, resource: { id: string; meta?: { versionId?: string; lastUpdated?: string } }): string {
	if (resource.meta?.versionId) return `${type}/${resource.id}/_history/${resource.meta.versionId}`;
	if (resource.meta?.lastUpdated) return `${type}/${resource.id}@${resource.meta.lastUpdated}`;
	return `${type}/${resource.id}`;
}

function splitList(value: string | undefined): string[] {
	return (value ?? '').split(',').filter(Boolean);
}

/**
 * The FHIR R4 adapter (generic servers, Epic by polling). Reads go through `sendWithRetry` (429/5xx with
 * backoff and Retry-After); other 4xx become EhrHttpError with the OperationOutcome's masked text.
 * References are always sent in full (`Patient/123`) and dates as explicit `ge`/`lt` ranges: servers such as
 * Medplum match neither bare ids nor partial dates reliably (research/ehr-apis.md §5.1).
 */
export function createFhirAdapter(config: FhirAdapterConfig): EhrAdapter {
	const options = config.options ?? {};
	const pageSize = options.pageSize ?? 50;
	const client: FhirClient = createFhirClient({
		http: config.http,
		retry: config.retry,
		baseUrl: options.baseUrl,
		maxPages: options.maxPages ?? 20,
	});

	async function readVisit(type: 'Encounter' | 'Appointment', id: string): Promise<VisitFacts> {
		return type === 'Encounter'
			? encounterFacts(await client.read('Encounter', id, encounterSchema))
			: appointmentFacts(await client.read('Appointment', id, appointmentSchema));
	}

	/** A lookup the zone chain can do without: a server that hides Locations (403/404) just skips that source. */
	async function readOptional<T>(type: string, id: string, schema: Schema<T>): Promise<T | undefined> {
		const response = await client.send({ method: 'GET', url: `/${type}/${encodeURIComponent(id)}` });
		if (response.status === 403 || response.status === 404 || response.status === 410) return undefined;
		return parseResource(schema, client.ensureOk(response, `reading ${type}`).body);
	}

	/**
	 * The zone, most specific first: the patient's own `timezone` extension → the visit's Location → the
	 * managing Organization (of the visit, the location, then the patient) → the practice default.
	 */
	async function resolveZone(
		patient: Patient,
		locationIds: string[],
		organizationIds: string[],
		context: ResolveContext,
	): Promise<{ zone: string; zoneSource: VisitEvent['zoneSource'] }> {
		const own = zoneFromExtensions(patient.extension);
		if (own) return { zone: own, zoneSource: 'patient' };
		const organizations = [...organizationIds];
		for (const id of locationIds) {
			const location = await readOptional('Location', id, locationSchema);
			const zone = zoneFromExtensions(location?.extension);
			if (zone) return { zone, zoneSource: 'location' };
			const managing = referenceId(location?.managingOrganization, 'Organization');
			if (managing) organizations.push(managing);
		}
		const patientOrganization = referenceId(patient.managingOrganization, 'Organization');
		if (patientOrganization) organizations.push(patientOrganization);
		for (const id of [...new Set(organizations)]) {
			const organization = await readOptional('Organization', id, organizationSchema);
			const zone = zoneFromExtensions(organization?.extension);
			if (zone) return { zone, zoneSource: 'practice' };
		}
		if (context.defaultZone) return { zone: context.defaultZone, zoneSource: 'practice' };
		throw new DomainError(
			'No time zone for this patient: add the FHIR "timezone" extension to the Patient, Location or Organization, or set a default zone in the practice profile',
			'no_zone',
			'zone',
		);
	}

	function contactOf(patient: Patient, context: ResolveContext, what: string) {
		const firstName = firstNameOf(patient);
		if (!firstName) {
			throw new DomainError(`${what}: the Patient has no given name to greet with`, 'no_first_name', 'patient.firstName');
		}
		return {
			firstName,
			phones: phonesOf(patient, options.defaultCountryCode),
			email: emailOf(patient),
			preferredChannel: preferredChannelOf(patient),
			language: languageOf(patient, context.defaultLanguage || 'en'),
		};
	}

	function serviceRequestItem(
		request: ServiceRequest,
		zone: string,
		context: ResolveContext,
		ids: { patientId: string; visitId?: string },
		typeOverride?: ActionItemType,
	): ActionItem | undefined {
		const mapped = typeOverride ?? actionTypeOf(request);
		const type = mapped ?? (options.unmappedOrders && options.unmappedOrders !== 'skip' ? options.unmappedOrders : undefined);
		if (!type) return undefined;
		const due = dueOf(request);
		const item: ActionItem = {
			type,
			description: descriptionOf(type, request),
			orderId: request.id,
			dueBy: due ? localDate(due, zone) : undefined,
			done: request.status === 'completed',
		};
		item.schedulingLink = schedulingLinkFor(item, context.schedulingLinks, { ...ids, orderId: request.id });
		return item;
	}

	async function actionItemsOf(visit: VisitFacts, patientId: string, visitDate: string, zone: string, context: ResolveContext) {
		const byVisit: SearchParams =
			visit.type === 'Encounter' ? { encounter: `Encounter/${visit.id}` } : { patient: `Patient/${patientId}` };
		const dayStart = DateTime.fromISO(visitDate, { zone }).startOf('day').toUTC().toISO() ?? visitDate;
		const serviceRequests = await client.search(
			'ServiceRequest',
			{ ...byVisit, status: activeOrderStatuses, ...(visit.type === 'Appointment' ? { authored: `ge${dayStart}` } : {}), _count: pageSize },
			serviceRequestSchema,
		);
		const medicationRequests = await client.search(
			'MedicationRequest',
			{ ...byVisit, status: activeOrderStatuses, ...(visit.type === 'Appointment' ? { authoredon: `ge${dayStart}` } : {}), _count: pageSize },
			medicationRequestSchema,
		);
		const ids = { patientId, visitId: visit.id };
		const items: ActionItem[] = [];
		for (const request of serviceRequests) {
			if (request.intent && skippedOrderIntents.has(request.intent)) continue;
			const item = serviceRequestItem(request, zone, context, ids);
			if (item) items.push(item);
		}
		for (const request of medicationRequests) {
			if (request.intent && skippedOrderIntents.has(request.intent)) continue;
			const item: ActionItem = {
				type: 'prescription',
				// Medication names are clinical text: the patient-facing line stays generic.
				description: descriptionOf('prescription'),
				orderId: request.id,
				done: request.status === 'completed',
			};
			item.schedulingLink = schedulingLinkFor(item, context.schedulingLinks, { ...ids, orderId: request.id });
			items.push(item);
		}
		return items;
	}

	async function resolveVisit(event: NotificationEvent, context: ResolveContext): Promise<ResolveResult> {
		// Always read the visit afresh: id-only notifications carry none, and a delivered copy may be stale.
		const visit = await readVisit(event.resourceType, event.resourceId);
		const expected = completedStatusOf[visit.type];
		if (visit.status !== expected) {
			return { status: 'notCompleted', reason: `${visit.type} status is ${visit.status}, not ${expected}` };
		}
		if (!visit.patientId) {
			throw new EhrResponseError(EHR, visit.type === 'Encounter' ? 'Encounter.subject' : 'Appointment.participant', 'names no Patient');
		}
		if (!visit.completedAt) {
			throw new EhrResponseError(EHR, visit.type === 'Encounter' ? 'Encounter.period.end' : 'Appointment.end', 'is missing');
		}
		const patient = await client.read('Patient', visit.patientId, patientSchema);
		const { zone, zoneSource } = await resolveZone(patient, visit.locationIds, visit.organizationIds, context);
		const completedAt = toInstant(visit.completedAt, zone);
		if (!completedAt) throw new EhrResponseError(EHR, `${visit.type}.completedAt`, 'is not a date-time');
		const visitDate = localDate(completedAt, zone) as string;
		const event_ = {
			kind: 'visit',
			ehr: 'fhir',
			patientId: visit.patientId,
			zone,
			zoneSource,
			patient: contactOf(patient, context, `${visit.type}/${visit.id}`),
			consent: consentOf(patient),
			visitId: visit.id,
			visitType: visit.type === 'Encounter' ? 'encounter' : 'appointment',
			completedAt,
			visitDate,
			providerName: visit.providerName?.slice(0, 120),
			actionItems: await actionItemsOf(visit, visit.patientId, visitDate, zone, context),
		};
		return { status: 'completed', event: parseVisitEvent(event_) };
	}

	async function pollServerWide(cursor: PollCursor): Promise<PollResult> {
		return options.pollMode === 'appointment'
			? await pollType(cursor, 'Appointment', appointmentSchema, appointmentFacts)
			: await pollType(cursor, 'Encounter', encounterSchema, encounterFacts);
	}

	/**
	 * `_lastUpdated=ge{since}` sorted ascending. The next cursor is the newest lastUpdated seen, never the
	 * clock, plus the ids seen at exactly that instant (`extra.seenAtSince`): the next poll asks `ge` again so a
	 * resource stamped the same millisecond but committed later is not skipped, and skips only those ids.
	 * Nothing seen → the cursor stays as it was.
	 */
	async function pollType<R extends { id: string; meta?: { versionId?: string; lastUpdated?: string } }>(
		cursor: PollCursor,
		type: 'Encounter' | 'Appointment',
		schema: Schema<R>,
		factsOf: (resource: R) => VisitFacts,
	): Promise<PollResult> {
		const sinceMs = millis(cursor.since);
		const boundary = new Set(splitList(cursor.extra?.seenAtSince));
		const events: NotificationEvent[] = [];
		let max: { at: number; raw: string } | undefined;
		let atMax = new Set<string>();
		await client.searchPages(
			type,
			{ status: completedStatusOf[type], _lastUpdated: `ge${cursor.since}`, _sort: '_lastUpdated', _count: pageSize },
			schema,
			(resources) => {
				for (const resource of resources) {
					const eventId = versionedEventId(type, resource);
					const lastUpdated = resource.meta?.lastUpdated;
					const at = millis(lastUpdated);
					if (at !== undefined && sinceMs !== undefined && at < sinceMs) continue;
					if (at !== undefined && at === sinceMs && boundary.has(eventId)) continue;
					events.push({
						ehr: 'fhir',
						eventId,
						topic: `poll:${type}`,
						resourceType: type,
						resourceId: resource.id,
						patientId: factsOf(resource).patientId,
						resource,
						occurredAt: lastUpdated,
					});
					if (at === undefined || lastUpdated === undefined) continue;
					if (max === undefined || at > max.at) {
						max = { at, raw: lastUpdated };
						atMax = new Set([eventId]);
					} else if (at === max.at) {
						atMax.add(eventId);
					}
				}
			},
		);
		if (max === undefined) return { events, nextCursor: cursor };
		// Still at the same instant: the ids already skipped there stay skipped.
		if (max.at === sinceMs) for (const id of boundary) atMax.add(id);
		return { events, nextCursor: { since: max.raw, extra: { ...cursor.extra, seenAtSince: [...atMax].join(',') } } };
	}

	async function patientsToPoll(now: Date, zone: string): Promise<string[]> {
		if (options.pollPatients) return [...new Set(await options.pollPatients(now))];
		const today = DateTime.fromJSDate(now).setZone(zone).startOf('day');
		const params: SearchParams = {
			date: [`ge${today.minus({ days: 1 }).toISO()}`, `lt${today.plus({ days: 1 }).toISO()}`],
			_count: pageSize,
		};
		if (options.perPatient?.practitioner) params.practitioner = ownerReference(options.perPatient.practitioner);
		if (options.perPatient?.location) {
			const location = options.perPatient.location;
			params.location = location.startsWith('Location/') ? location : `Location/${location}`;
		}
		const appointments = await client.search('Appointment', params, appointmentSchema);
		return [...new Set(appointments.map((appointment) => appointmentFacts(appointment).patientId).filter((id): id is string => !!id))];
	}

	/**
	 * Per-patient polling cannot trust `_lastUpdated` (Epic may omit meta), so the cursor remembers which
	 * encounters it already emitted (`extra.emitted`, pruned to what the window still shows) instead of a time.
	 */
	async function pollPerPatient(cursor: PollCursor, now: Date): Promise<PollResult> {
		const zone = options.perPatient?.zone ?? 'UTC';
		const from = DateTime.fromJSDate(now).setZone(zone).startOf('day').minus({ days: 1 });
		const emitted = new Set(splitList(cursor.extra?.emitted));
		const stillVisible = new Set<string>();
		const events: NotificationEvent[] = [];
		let latest = millis(cursor.since) ?? 0;
		let latestRaw = cursor.since;
		for (const patientId of await patientsToPoll(now, zone)) {
			const encounters = await client.search(
				'Encounter',
				{ patient: `Patient/${patientId}`, status: 'finished', date: `ge${from.toISO()}`, _count: pageSize },
				encounterSchema,
			);
			for (const encounter of encounters) {
				const key = `Encounter/${encounter.id}`;
				stillVisible.add(key);
				const at = millis(encounter.meta?.lastUpdated);
				if (at !== undefined && at > latest) {
					latest = at;
					latestRaw = encounter.meta?.lastUpdated as string;
				}
				if (emitted.has(key)) continue;
				emitted.add(key);
				events.push({
					ehr: 'fhir',
					eventId: versionedEventId('Encounter', encounter),
					topic: 'poll:Encounter',
					resourceType: 'Encounter',
					resourceId: encounter.id,
					patientId,
					resource: encounter,
					occurredAt: encounter.meta?.lastUpdated ?? encounter.period?.end,
				});
			}
		}
		const kept = [...emitted].filter((key) => stillVisible.has(key));
		return { events, nextCursor: { since: latestRaw, extra: { ...cursor.extra, emitted: kept.join(',') } } };
	}

	async function pollChanges(cursor: PollCursor, now: Date): Promise<PollResult> {
		return options.pollMode === 'perPatient' ? await pollPerPatient(cursor, now) : await pollServerWide(cursor);
	}

	async function findFollowUp(visit: VisitEvent, query: FollowUpQuery): Promise<FollowUpStatus> {
		const checked: string[] = [];
		const type = visit.visitType === 'encounter' ? 'Encounter' : 'Appointment';
		// A recall has no visit of its own (its visitId is the recall's ServiceRequest id): nothing to re-read.
		if (query.checkVisitStatus !== false) {
			const own =
				type === 'Encounter'
					? await client.readIfExists('Encounter', visit.visitId, encounterSchema)
					: await client.readIfExists('Appointment', visit.visitId, appointmentSchema);
			if (!own) return { status: 'visitCancelled', detail: `${type}/${visit.visitId} no longer exists` };
			if (cancelledVisitStatuses.has(own.status)) {
				return { status: 'visitCancelled', detail: `${type}/${visit.visitId} is now ${own.status}` };
			}
			checked.push(`${type}/${visit.visitId} is ${own.status}`);
		}

		const visitDayStart = DateTime.fromISO(visit.visitDate, { zone: visit.zone }).startOf('day').toMillis();
		const wanted = new Set(query.appointmentTypes ?? []);
		const appointments = (
			await client.search(
				'Appointment',
				{ patient: `Patient/${visit.patientId}`, date: `ge${visit.completedAt}`, _sort: 'date', _count: pageSize },
				appointmentSchema,
			)
		).filter((appointment) => {
			if (type === 'Appointment' && appointment.id === visit.visitId) return false;
			const created = millis(appointment.created);
			// An appointment made before the visit day (an old annual booking) is not this visit's follow-up.
			if (created !== undefined && created < visitDayStart) return false;
			if (wanted.size === 0) return true;
			const concepts = [appointment.appointmentType, ...(appointment.serviceType ?? [])];
			return concepts.some(
				(concept) => (concept?.text && wanted.has(concept.text)) || concept?.coding?.some((coding) => coding.code && wanted.has(coding.code)),
			);
		});
		const booked = appointments
			.filter((appointment) => bookedStatuses.has(appointment.status))
			.sort((a, b) => (millis(a.start) ?? 0) - (millis(b.start) ?? 0))[0];
		if (booked) {
			return {
				status: 'booked',
				appointmentId: booked.id,
				start: booked.start,
				detail: `Appointment/${booked.id} is ${booked.status}`,
			};
		}
		const noShow = appointments.find((appointment) => appointment.status === 'noshow');
		if (noShow) return { status: 'noShow', appointmentId: noShow.id, detail: `Appointment/${noShow.id} is noshow` };
		checked.push(`Appointment search from ${visit.completedAt}: ${appointments.length} found, none booked`);

		let done = 0;
		for (const item of visit.actionItems) {
			if (item.done) {
				done++;
				continue;
			}
			if (!item.orderId) continue;
			if (item.type === 'prescription') {
				const dispenses = await client.search(
					'MedicationDispense',
					{ prescription: `MedicationRequest/${item.orderId}`, _count: pageSize },
					medicationDispenseSchema,
				);
				const dispensed = dispenses.some((dispense) => dispense.status === 'completed');
				checked.push(`MedicationDispense for MedicationRequest/${item.orderId}: ${dispensed ? 'completed' : 'none completed'}`);
				if (dispensed) done++;
				continue;
			}
			const order = await client.readIfExists('ServiceRequest', item.orderId, serviceRequestSchema);
			checked.push(`ServiceRequest/${item.orderId} is ${order?.status ?? 'missing'}`);
			if (order?.status === 'completed') done++;
		}
		if (visit.actionItems.length > 0 && done === visit.actionItems.length) {
			return { status: 'done', detail: `all ${done} action item(s) completed` };
		}
		return { status: 'open', checked };
	}

	/** A search used only to avoid duplicates: a server that refuses it (400/403/405) just means "none found". */
	async function findExisting(resourceType: string, params: SearchParams): Promise<string | undefined> {
		const response = await client.send({ method: 'GET', url: `/${resourceType}`, qs: params });
		if ([400, 403, 405, 501].includes(response.status)) return undefined;
		const bundle = client.ensureOk(response, `searching ${resourceType}`).body as { entry?: Array<{ resource?: { resourceType?: string; id?: string } }> };
		return bundle.entry?.map((entry) => entry.resource).find((resource) => resource?.resourceType === resourceType)?.id;
	}

	function createdId(response: HttpResponse, resourceType: string): string {
		const body = createdSchema.safeParse(response.body);
		if (body.success) return body.data.id;
		const location = Object.entries(response.headers).find(([key]) => key.toLowerCase() === 'location')?.[1];
		const fromLocation = parseReference(location?.split('/_history/')[0]);
		if (fromLocation?.type === resourceType) return fromLocation.id;
		throw new EhrResponseError(EHR, `${resourceType}.id`, 'the server returned no id for the created resource');
	}

	async function createTask(escalation: Escalation): Promise<TaskResult> {
		const key = escalation.taskKey ?? escalation.journeyId;
		const identifier = { system: journeyIdentifierSystem, value: key };
		const token = `${journeyIdentifierSystem}|${key}`;
		// No patient only for a text from a number no journey reached: Task.for and Communication.subject are 0..1.
		const patient = escalation.patientId ? { reference: `Patient/${escalation.patientId}` } : undefined;
		const byPatient: SearchParams = patient ? { patient: patient.reference } : {};
		const visitType = escalation.visitType === 'appointment' ? 'Appointment' : 'Encounter';
		const visit = escalation.visitId ? { reference: `${visitType}/${escalation.visitId}` } : undefined;
		const owner = escalation.assigneeId ? { reference: ownerReference(escalation.assigneeId) } : undefined;
		const link = (type: string, id: string) => (options.baseUrl ? `${options.baseUrl.replace(/\/$/, '')}/${type}/${id}` : undefined);

		const existingTask = await findExisting('Task', {
			identifier: token,
			...byPatient,
			status: openTaskStatuses.join(','),
		});
		if (existingTask) return { taskId: existingTask, kind: 'task', created: false, url: link('Task', existingTask) };

		const task = {
			resourceType: 'Task',
			identifier: [identifier],
			status: 'requested',
			intent: 'order',
			priority: escalation.priority,
			code: { text: escalation.title },
			description: escalation.note,
			for: patient,
			focus: visit,
			encounter: visitType === 'Encounter' ? visit : undefined,
			owner,
			restriction: { period: { end: escalation.dueAt } },
			note: escalation.callbackNumber ? [{ text: `Call back: ${escalation.callbackNumber}` }] : undefined,
		};
		const response = await client.send({ method: 'POST', url: '/Task', body: task, headers: { 'Content-Type': 'application/fhir+json' } });
		if (response.status >= 200 && response.status < 300) {
			const id = createdId(response, 'Task');
			return { taskId: id, kind: 'task', created: true, url: link('Task', id) };
		}
		if (!isUnsupported(response)) client.ensureOk(response, 'creating Task');

		// Servers without Task create (Epic): a Communication to the assignee, about the visit.
		const existingMessage = await findExisting('Communication', { identifier: token, ...byPatient });
		if (existingMessage) {
			return { taskId: existingMessage, kind: 'communication', created: false, url: link('Communication', existingMessage) };
		}
		const communication = {
			resourceType: 'Communication',
			identifier: [identifier],
			status: 'in-progress',
			priority: escalation.priority,
			subject: patient,
			recipient: owner ? [owner] : undefined,
			about: visit ? [visit] : undefined,
			encounter: visitType === 'Encounter' ? visit : undefined,
			topic: { text: escalation.title },
			payload: [
				{
					contentString: [escalation.title, escalation.note, escalation.callbackNumber ? `Call back: ${escalation.callbackNumber}` : '']
						.filter(Boolean)
						.join('\n'),
				},
			],
		};
		const sent = client.ensureOk(
			await client.send({ method: 'POST', url: '/Communication', body: communication, headers: { 'Content-Type': 'application/fhir+json' } }),
			'creating Communication',
		);
		const id = createdId(sent, 'Communication');
		return { taskId: id, kind: 'communication', created: true, url: link('Communication', id) };
	}

	/**
	 * Recalls are active ServiceRequests whose occurrence falls in the window, not CarePlan.activity: a
	 * ServiceRequest is one searchable order (`status`, `occurrence`, `code`, `patient` search params) with
	 * its own id, status and completion, which is what a recall journey tracks; CarePlan activities are nested
	 * inside plans, cannot be searched by their own dates, and have no id of their own; and Epic exposes
	 * ServiceRequest.Search to backend apps while its CarePlan support is narrower. Which ServiceRequests
	 * count as recalls: `recallCodes` (default: SNOMED follow-up encounter/visit) or `recallCategories`.
	 */
	async function pollRecalls(window: RecallWindow, context: ResolveContext): Promise<RecallDue[]> {
		const from = DateTime.fromISO(window.from, { zone: 'UTC' });
		const to = DateTime.fromISO(window.to, { zone: 'UTC' });
		if (!from.isValid || !to.isValid || from > to) {
			throw new DomainError('Recall window: "from" and "to" must be dates with from ≤ to', 'invalid_input', 'window');
		}
		// One day of slack on each side: the window is in patients' local dates, the server compares in UTC.
		const params: SearchParams = {
			status: 'active',
			occurrence: [`ge${from.minus({ days: 1 }).toISODate()}`, `lt${to.plus({ days: 2 }).toISODate()}`],
			_count: pageSize,
		};
		const categories = options.recallCategories ?? [];
		const codes = options.recallCodes ?? (categories.length > 0 ? [] : defaultRecallCodes);
		if (codes.length > 0) params.code = codes.join(',');
		if (categories.length > 0) params.category = categories.join(',');
		const requests = await client.search('ServiceRequest', params, serviceRequestSchema);

		const patients = new Map<string, Patient>();
		const recalls: RecallDue[] = [];
		for (const request of requests) {
			const patientId = referenceId(request.subject, 'Patient');
			const occurrence = request.occurrenceDateTime ?? request.occurrencePeriod?.start;
			if (!patientId || !occurrence) continue;
			let patient = patients.get(patientId);
			if (!patient) {
				patient = await client.read('Patient', patientId, patientSchema);
				patients.set(patientId, patient);
			}
			const locationIds = (request.locationReference ?? [])
				.map((reference) => referenceId(reference, 'Location'))
				.filter((id): id is string => id !== undefined);
			const { zone, zoneSource } = await resolveZone(patient, locationIds, [], context);
			const dueDate = localDate(occurrence, zone);
			if (!dueDate || dueDate < window.from || dueDate > window.to) continue;
			const item = serviceRequestItem(request, zone, context, { patientId }, actionTypeOf(request) ?? 'followUpVisit');
			if (!item) continue;
			recalls.push(
				parseRecallDue({
					kind: 'recall',
					ehr: 'fhir',
					patientId,
					zone,
					zoneSource,
					patient: contactOf(patient, context, `ServiceRequest/${request.id}`),
					consent: consentOf(patient),
					recallId: request.id,
					dueDate,
					actionItem: { ...item, dueBy: dueDate },
				}),
			);
		}
		return recalls;
	}

	/**
	 * The opt-out goes where consentOf reads it: the Patient's consent extension (sub-extension `sms`), written
	 * by read-modify-PUT of the whole Patient with If-Match on its version, so a concurrent edit is re-read rather
	 * than overwritten. Not a Consent resource: base R4 has no code for "SMS channel" consent, US Core profiles
	 * none, and nothing here would read it back. A server refusing Patient update (Epic: read-only Patient) answers
	 * 403/405/501 → notSupported, and the opt-out stays in the journey store only.
	 */
	async function updateSmsConsent(update: SmsConsentUpdate): Promise<SmsConsentResult> {
		const url = `/Patient/${encodeURIComponent(update.patientId)}`;
		for (let attempt = 0; attempt < 3; attempt++) {
			const read = client.ensureOk(await client.send({ method: 'GET', url }), 'reading Patient');
			const patient = read.body as Record<string, unknown> | undefined;
			if (patient?.resourceType !== 'Patient') throw new EhrResponseError(EHR, 'Patient', 'the server did not return a Patient');
			const next = withSmsConsent(patient, update.allowed);
			if (!next) return { status: 'unchanged', detail: `Patient extension ${consentExtensionUrl} already had sms=${update.allowed}` };
			const version = (patient.meta as { versionId?: string } | undefined)?.versionId;
			const headers: Record<string, string> = { 'Content-Type': 'application/fhir+json' };
			if (version) headers['If-Match'] = `W/"${version}"`;
			const response = await client.send({ method: 'PUT', url, body: next, headers });
			if (response.status >= 200 && response.status < 300) {
				return { status: 'updated', detail: `Patient extension ${consentExtensionUrl} set to sms=${update.allowed}` };
			}
			// 409/412: the Patient changed since it was read; read it again.
			if (response.status === 409 || response.status === 412) continue;
			if (isUnsupported(response)) {
				return {
					status: 'notSupported',
					detail: `the FHIR server refused to update the Patient (HTTP ${response.status}): read-only Patient, or no write scope`,
				};
			}
			client.ensureOk(response, 'updating Patient');
		}
		throw new EhrResponseError(EHR, 'Patient', 'the Patient kept changing while its SMS consent was updated; retry');
	}

	return { kind: 'fhir', resolveVisit, pollChanges, findFollowUp, createTask, findsEarlierTasks: true, pollRecalls, updateSmsConsent };
}
