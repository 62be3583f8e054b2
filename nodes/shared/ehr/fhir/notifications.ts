import { headerValue, matchesAnySecret } from '../signature';
import type { InboundRequest, NotificationEvent, NotificationResult, WebhookSecrets } from '../types';
import { absoluteReferenceUrl, isFhirId, parseReference } from './mapping';
import { appointmentSchema, encounterSchema } from './resources';

/**
 * FHIR has no standard delivery signature: the server sends `Subscription.channel.header` values as HTTP
 * headers, so the subscription carries a shared secret header and we compare it in constant time.
 */
export const defaultSecretHeader = 'X-Webhook-Secret';

export interface FhirNotificationOptions {
	secrets?: WebhookSecrets;
	/** The header carrying the secret; `Authorization` means `Authorization: Bearer <secret>`. */
	secretHeader?: string;
}

type Json = Record<string, unknown>;

interface StatusEvent {
	eventNumber?: string;
	timestamp?: string;
	focus?: string;
	additionalContext: string[];
}

interface SubscriptionStatus {
	type?: string;
	subscription?: string;
	topic?: string;
	events: StatusEvent[];
}

const visitTypes = ['Encounter', 'Appointment'] as const;
type VisitType = (typeof visitTypes)[number];
const completedStatus: Record<VisitType, string> = { Encounter: 'finished', Appointment: 'fulfilled' };

function isObject(value: unknown): value is Json {
	return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function str(value: unknown): string | undefined {
	return typeof value === 'string' && value.length > 0 ? value : undefined;
}

function numberOrString(value: unknown): string | undefined {
	if (typeof value === 'number' && Number.isFinite(value)) return String(value);
	return str(value);
}

function refOf(value: unknown): string | undefined {
	return isObject(value) ? str(value.reference) : undefined;
}

/** A resourceType is echoed in a reason only when it looks like one (never arbitrary input). */
function safeType(value: unknown): string {
	return typeof value === 'string' && /^[A-Za-z]{1,64}$/.test(value) ? value : '(unknown)';
}

function safeCode(value: string): string {
	return /^[a-z-]{1,32}$/.test(value) ? value : '(unknown)';
}

function rejected(status: 400 | 401 | 405, reason: string): NotificationResult {
	return { kind: 'rejected', status, reason };
}

function authenticate(request: InboundRequest, options: FhirNotificationOptions): NotificationResult | undefined {
	const secrets = options.secrets;
	if (!secrets?.current && !secrets?.previous) return rejected(401, 'no webhook secret is configured for this trigger');
	const headerName = options.secretHeader?.trim() || defaultSecretHeader;
	const candidates = [headerValue(request.headers, headerName), headerValue(request.headers, 'Authorization')]
		.filter((value): value is string => typeof value === 'string' && value.length > 0)
		.map((value) => value.trim().replace(/^Bearer\s+/i, ''));
	if (candidates.length === 0) return rejected(401, `missing ${headerName} header`);
	// Every candidate is compared, so the timing does not tell which header or secret matched.
	let matched = false;
	for (const candidate of candidates) {
		if (matchesAnySecret(secrets, candidate, (secret) => secret)) matched = true;
	}
	return matched ? undefined : rejected(401, `wrong secret in ${headerName} header`);
}

function fromParameters(parameters: Json): SubscriptionStatus {
	const list = Array.isArray(parameters.parameter) ? parameters.parameter.filter(isObject) : [];
	const value = (name: string, ...keys: string[]) => {
		const parameter = list.find((candidate) => candidate.name === name);
		for (const key of keys) {
			const found = parameter?.[key];
			if (found !== undefined) return found;
		}
		return undefined;
	};
	const events = list
		.filter((parameter) => parameter.name === 'notification-event')
		.map((parameter): StatusEvent => {
			const parts = Array.isArray(parameter.part) ? parameter.part.filter(isObject) : [];
			const part = (name: string) => parts.find((candidate) => candidate.name === name);
			return {
				eventNumber: numberOrString(
					part('event-number')?.valueString ?? part('event-number')?.valueUnsignedInt ?? part('event-number')?.valueInteger64,
				),
				timestamp: str(part('timestamp')?.valueInstant ?? part('timestamp')?.valueDateTime),
				focus: refOf(part('focus')?.valueReference),
				additionalContext: parts
					.filter((candidate) => candidate.name === 'additional-context')
					.map((candidate) => refOf(candidate.valueReference))
					.filter((reference): reference is string => reference !== undefined),
			};
		});
	return {
		type: str(value('type', 'valueCode', 'valueString')),
		subscription: refOf(value('subscription', 'valueReference')),
		topic: str(value('topic', 'valueCanonical', 'valueUri', 'valueString')),
		events,
	};
}

function fromSubscriptionStatus(status: Json): SubscriptionStatus {
	const events = (Array.isArray(status.notificationEvent) ? status.notificationEvent.filter(isObject) : []).map(
		(event): StatusEvent => ({
			eventNumber: numberOrString(event.eventNumber),
			timestamp: str(event.timestamp),
			focus: refOf(event.focus),
			additionalContext: (Array.isArray(event.additionalContext) ? event.additionalContext : [])
				.map(refOf)
				.filter((reference): reference is string => reference !== undefined),
		}),
	);
	return { type: str(status.type), subscription: refOf(status.subscription), topic: str(status.topic), events };
}

function patientOf(resource: Json | undefined, context: string[]): string | undefined {
	const fromContext = context.map(parseReference).find((parsed) => parsed?.type === 'Patient')?.id;
	if (!resource) return fromContext;
	const subject = parseReference(refOf(resource.subject));
	if (subject?.type === 'Patient') return subject.id;
	const participants = Array.isArray(resource.participant) ? resource.participant.filter(isObject) : [];
	for (const participant of participants) {
		const actor = parseReference(refOf(participant.actor));
		if (actor?.type === 'Patient') return actor.id;
	}
	return fromContext;
}

/** The bundle entry holding the focus resource, matched by fullUrl or by type and id. */
function focusResource(entries: Json[], focus: { type: string; id: string }): Json | undefined {
	for (const entry of entries) {
		const resource = isObject(entry.resource) ? entry.resource : undefined;
		if (resource?.resourceType === focus.type && resource.id === focus.id) return resource;
		const byUrl = parseReference(str(entry.fullUrl));
		if (resource && byUrl?.type === focus.type && byUrl.id === focus.id && resource.resourceType === focus.type) {
			return resource;
		}
	}
	return undefined;
}

/**
 * What of a pushed resource travels on in the event: the fields the schemas declare (ids, status, patient, period).
 * A full resource may also carry reasons, diagnoses and notes, which would otherwise sit in every execution's data.
 */
function visitSummary(resource: Json | undefined): unknown {
	if (!resource) return undefined;
	const parsed = (resource.resourceType === 'Appointment' ? appointmentSchema : encounterSchema).safeParse(resource);
	return parsed.success ? parsed.data : undefined;
}

/** FHIR's status is a required code: a resource without one is malformed, not merely "not completed". */
function statusProblem(type: VisitType, resource: Json): string | undefined {
	return typeof resource.status === 'string' && resource.status.length > 0 ? undefined : `${type} has no status code`;
}

function notCompletedReason(type: VisitType, resource: Json): string | undefined {
	const status = typeof resource.status === 'string' ? resource.status : undefined;
	if (status === completedStatus[type]) return undefined;
	return `${type} status is ${status ? safeCode(status) : 'missing'}, not ${completedStatus[type]}`;
}

function backportEvents(bundle: Json, status: SubscriptionStatus, entries: Json[]): NotificationResult {
	switch (status.type) {
		case 'handshake':
			return { kind: 'handshake', status: 200, body: {} };
		case 'heartbeat':
			return { kind: 'heartbeat' };
		case 'event-notification':
			break;
		case undefined:
			return rejected(400, 'subscription status has no notification type');
		default:
			return { kind: 'ignored', reason: `notification type ${safeCode(status.type)} carries no event` };
	}
	if (status.events.length === 0) {
		return rejected(400, 'event-notification has no notification-event (use payload id-only or full-resource)');
	}
	const subscriptionId = parseReference(status.subscription)?.id;
	const bundleId = str(bundle.id);
	const events: NotificationEvent[] = [];
	const skipped: string[] = [];
	for (const [index, event] of status.events.entries()) {
		if (!event.focus) return rejected(400, 'notification-event has no focus reference');
		const focus = parseReference(event.focus);
		if (!focus) return rejected(400, 'notification-event focus is not a resource reference');
		if (!(visitTypes as readonly string[]).includes(focus.type)) {
			skipped.push(`focus is a ${focus.type}, not an Encounter or Appointment`);
			continue;
		}
		const type = focus.type as VisitType;
		const resource = focusResource(entries, focus);
		const malformed = resource ? statusProblem(type, resource) : undefined;
		if (malformed) return rejected(400, malformed);
		const notCompleted = resource ? notCompletedReason(type, resource) : undefined;
		if (notCompleted) {
			skipped.push(notCompleted);
			continue;
		}
		const patientId = patientOf(resource, event.additionalContext);
		if (resource && !patientId) return rejected(400, `${type} names no patient (subject or a Patient participant)`);
		let eventId: string;
		if (subscriptionId && event.eventNumber) eventId = `${subscriptionId}#${event.eventNumber}`;
		else if (bundleId) eventId = status.events.length > 1 ? `${bundleId}#${index}` : bundleId;
		else eventId = `${type}/${focus.id}@${event.timestamp ?? 'notification'}`;
		const resourceUrl = absoluteReferenceUrl(event.focus);
		events.push({
			ehr: 'fhir',
			eventId,
			topic: status.topic ?? 'subscription-notification',
			resourceType: type,
			resourceId: focus.id,
			patientId,
			resource: visitSummary(resource),
			occurredAt: event.timestamp,
			// The adapter refuses a resource named on another server than its credential's (it knows the base URL).
			...(resourceUrl ? { resourceUrl } : {}),
		});
	}
	if (events.length === 0) return { kind: 'ignored', reason: skipped[0] ?? 'no completed visit in the notification' };
	return { kind: 'events', events };
}

function classicEvent(resource: Json, topic: string): NotificationEvent | { skip: string } | { invalid: string } {
	const type = resource.resourceType as VisitType;
	const id = str(resource.id);
	if (!id || !isFhirId(id)) return { invalid: `${type} has no valid id` };
	const malformed = statusProblem(type, resource);
	if (malformed) return { invalid: malformed };
	const notCompleted = notCompletedReason(type, resource);
	if (notCompleted) return { skip: notCompleted };
	const patientId = patientOf(resource, []);
	// A journey needs a patient; the whole resource is here, so a visit without one is refused now, not mid-journey.
	if (!patientId) return { invalid: `${type} names no patient (subject or a Patient participant)` };
	const meta = isObject(resource.meta) ? resource.meta : {};
	const version = str(meta.versionId);
	const lastUpdated = str(meta.lastUpdated);
	const eventId = version
		? `${type}/${id}/_history/${version}`
		: lastUpdated
			? `${type}/${id}@${lastUpdated}`
			: `${type}/${id}`;
	return {
		ehr: 'fhir',
		eventId,
		topic,
		resourceType: type,
		resourceId: id,
		patientId,
		resource: visitSummary(resource),
		occurredAt: lastUpdated,
	};
}

function classicEvents(resources: Json[]): NotificationResult {
	const events: NotificationEvent[] = [];
	const skipped: string[] = [];
	for (const resource of resources) {
		const result = classicEvent(resource, 'rest-hook');
		if ('invalid' in result) return rejected(400, result.invalid);
		if ('skip' in result) skipped.push(result.skip);
		else events.push(result);
	}
	if (events.length === 0) return { kind: 'ignored', reason: skipped[0] ?? 'no completed visit in the notification' };
	return { kind: 'events', events };
}

/**
 * Verifies and classifies one FHIR rest-hook delivery. Accepted shapes:
 * - Subscriptions Backport (R4): a `history` Bundle whose first entry is a `Parameters` status;
 *   R4B: the same with a `SubscriptionStatus` — handshake → answered 200 `{}`, heartbeat → acknowledged,
 *   event-notification → one event per `notification-event` whose focus is an Encounter or Appointment.
 *   With full-resource payloads the focus resource rides along and must be finished/fulfilled; with id-only
 *   payloads the event is passed on and Visit Details (resolveVisit) reads the resource and decides.
 * - Classic R4 criteria subscriptions: the posted Encounter/Appointment (or a Bundle of them).
 * - A classic empty-body ping (payload omitted on the subscription): acknowledged but ignored, because
 *   nothing in it names a visit. Configure the subscription with a payload, or poll instead.
 * The secret header is checked first (401), then the JSON (400); reasons never contain body values.
 * Event ids: `{subscription id}#{event number}` (numbers are per subscription), else the notification
 * Bundle's id, else `{type}/{id}/_history/{versionId}` for classic payloads.
 */
export function parseFhirNotification(request: InboundRequest, options: FhirNotificationOptions): NotificationResult {
	const refusal = authenticate(request, options);
	if (refusal) return refusal;
	const method = request.method.toUpperCase();
	if (method === 'GET' || method === 'HEAD') return { kind: 'ignored', reason: 'GET probe acknowledged' };
	if (method !== 'POST' && method !== 'PUT') return rejected(405, `method ${safeType(method)} is not accepted`);

	const text = request.rawBody.toString('utf8').trim();
	if (text.length === 0) {
		return { kind: 'ignored', reason: 'empty-body ping: a classic subscription without payload names no visit' };
	}
	let body: unknown;
	try {
		body = JSON.parse(text);
	} catch {
		return rejected(400, 'body is not valid JSON');
	}
	if (!isObject(body)) return rejected(400, 'body is not a FHIR resource');

	const resourceType = body.resourceType;
	if (resourceType === 'Encounter' || resourceType === 'Appointment') return classicEvents([body]);
	if (resourceType !== 'Bundle') return rejected(400, `unexpected resourceType ${safeType(resourceType)}`);

	const entries = (Array.isArray(body.entry) ? body.entry : []).filter(isObject);
	const first = isObject(entries[0]?.resource) ? entries[0].resource : undefined;
	if (first?.resourceType === 'Parameters') return backportEvents(body, fromParameters(first), entries.slice(1));
	if (first?.resourceType === 'SubscriptionStatus') {
		return backportEvents(body, fromSubscriptionStatus(first), entries.slice(1));
	}
	const visits = entries
		.map((entry) => entry.resource)
		.filter(isObject)
		.filter((resource) => resource.resourceType === 'Encounter' || resource.resourceType === 'Appointment');
	if (visits.length > 0) return classicEvents(visits);
	return rejected(400, 'Bundle has neither a subscription status nor an Encounter or Appointment');
}
