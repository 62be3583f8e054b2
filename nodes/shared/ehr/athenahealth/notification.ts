import { DateTime } from 'luxon';
import type { ZodIssue } from 'zod';

import { headerValue, hmacSha256Hex, matchesAnySecret } from '../signature';
import type { InboundRequest, NotificationEvent, NotificationResult, WebhookSecrets } from '../types';
import {
	auditEventSchema,
	notificationBundleSchema,
	subscriptionStatusSchema,
} from './schemas';
import type { AuditEvent, FhirReference } from './schemas';

/** The topics that mean "a visit was completed"; every other topic is acknowledged and ignored. */
export const athenaCompletionTopics = ['Appointment.check-out', 'Encounter.signoff'] as const;

const signaturePattern = /^sha256=([0-9a-fA-F]{64})$/;
/** "urn:athenahealth:athenanet:appointment:195900" (README) and "…:api:appointments:195900" (sample tests). */
const identifierSystemPattern = /^urn:athenahealth:athenanet:(?:api:)?([a-z]+?)s?:(\d+)$/i;
const resourceReferencePattern = /^(Appointment|Encounter)\/a-(\d+)\.[A-Za-z]+-(\d+)$/i;
const patientReferencePattern = /^Patient\/a-(\d+)\.E-(\d+)$/;
const departmentReferencePattern = /^Organization\/a-(\d+)\.Department-(\d+)$/;
/** athenaNet ids are numeric; anything else in an identifier is not an athena record. */
const athenaIdPattern = /^\d{1,20}$/;
/** Event ids are claimed in the journey store and shown to ops: printable, bounded. */
const eventIdPattern = /^[\x21-\x7e]{1,128}$/;
const topicPattern = /^[A-Za-z][A-Za-z0-9.\-]{0,59}$/;

function reject(status: 400 | 401 | 405 | 415, reason: string): NotificationResult {
	return { kind: 'rejected', status, reason };
}

/** A zod issue as `"field" message`, never with the value. */
function describe(issue: ZodIssue | undefined): string {
	const field = issue?.path.length ? issue.path.join('.') : '(root)';
	return `"${field}" ${issue?.message ?? 'is invalid'}`;
}

interface Focus {
	resourceType: 'Appointment' | 'Encounter';
	resourceId: string;
	practiceId: string;
}

/** What a focus (identifier preferred, FHIR reference as fallback) points at; undefined for other resources. */
function focusOf(focus: FhirReference | undefined): Focus | undefined {
	const identifier = focus?.identifier;
	const system = identifier?.system ? identifierSystemPattern.exec(identifier.system) : null;
	if (system && identifier?.value && athenaIdPattern.test(identifier.value)) {
		const kind = system[1]?.toLowerCase();
		if (kind === 'appointment' || kind === 'encounter') {
			return {
				resourceType: kind === 'appointment' ? 'Appointment' : 'Encounter',
				resourceId: identifier.value,
				practiceId: system[2] as string,
			};
		}
	}
	const reference = focus?.reference ? resourceReferencePattern.exec(focus.reference) : null;
	if (reference) {
		return {
			resourceType: reference[1]?.toLowerCase() === 'appointment' ? 'Appointment' : 'Encounter',
			practiceId: reference[2] as string,
			resourceId: reference[3] as string,
		};
	}
	return undefined;
}

/** Patient and department ids from the event's additionalContext and its AuditEvent's extensions. */
function contextIds(references: FhirReference[]): { patientId?: string; departmentId?: string } {
	let patientId: string | undefined;
	let departmentId: string | undefined;
	for (const reference of references) {
		const value = reference.reference ?? '';
		patientId ??= patientReferencePattern.exec(value)?.[2];
		departmentId ??= departmentReferencePattern.exec(value)?.[2];
		const identifier = reference.identifier;
		const kind = identifier?.system ? identifierSystemPattern.exec(identifier.system)?.[1]?.toLowerCase() : undefined;
		const id = identifier?.value && athenaIdPattern.test(identifier.value) ? identifier.value : undefined;
		if (kind === 'patient' && id) patientId ??= id;
		if (kind === 'department' && id) departmentId ??= id;
	}
	return { patientId, departmentId };
}

/** ".../fhir/r4/SubscriptionTopic/Appointment.check-out" → "Appointment.check-out". */
function topicName(topic: string | undefined): string | undefined {
	if (!topic) return undefined;
	const name = topic.split('/').pop()?.trim();
	return name || undefined;
}

/**
 * Verifies and classifies one athenahealth Event Subscription Platform delivery (FHIR Subscriptions Backport,
 * id-only payload). Pure: no clock, no I/O.
 * - Authenticity first: `X-Hub-Signature: sha256=<hex HMAC-SHA256(secret, raw body)>` compared in constant time
 *   against the current and the previous secret; missing, another method, or a mismatch → 401.
 * - Body: a `history` Bundle whose entry[0] is a SubscriptionStatus. handshake/heartbeat are answered (athena does
 *   not document them; the Backport IG defines them). `Appointment.check-out` and `Encounter.signoff` events become
 *   NotificationEvents (eventId = notificationEvent.id, which is also the AuditEvent's id); a batched bundle
 *   yields one per event; other topics are acknowledged and ignored.
 * - Anything malformed → 400 with a reason naming the field, never a value.
 */
export function parseAthenaNotification(request: InboundRequest, secrets: WebhookSecrets): NotificationResult {
	if (request.method.toUpperCase() !== 'POST') return reject(405, 'athenahealth delivers notifications with POST');

	const signature = headerValue(request.headers, 'x-hub-signature');
	if (!signature) return reject(401, 'X-Hub-Signature header is missing');
	const match = signaturePattern.exec(signature.trim());
	if (!match) return reject(401, 'X-Hub-Signature is not of the form sha256=<hex>');
	const provided = (match[1] as string).toLowerCase();
	if (!matchesAnySecret(secrets, provided, (secret) => hmacSha256Hex(secret, request.rawBody))) {
		return reject(401, 'X-Hub-Signature does not match the body');
	}

	const contentType = headerValue(request.headers, 'content-type');
	if (contentType && !/json/i.test(contentType)) {
		return reject(415, 'Content-Type must be application/fhir+json or application/json');
	}

	let json: unknown;
	try {
		json = JSON.parse(request.rawBody.toString('utf8'));
	} catch {
		return reject(400, 'body is not JSON');
	}
	const bundle = notificationBundleSchema.safeParse(json);
	if (!bundle.success) return reject(400, `not a history Bundle: ${describe(bundle.error.issues[0])}`);
	const status = subscriptionStatusSchema.safeParse(bundle.data.entry[0]?.resource);
	if (!status.success) {
		return reject(400, `entry.0.resource is not a SubscriptionStatus: ${describe(status.error.issues[0])}`);
	}

	switch (status.data.type) {
		case 'handshake':
			return { kind: 'handshake', status: 200, body: { received: true } };
		case 'heartbeat':
			return { kind: 'heartbeat' };
		case 'query-status':
		case 'query-event':
			return { kind: 'ignored', reason: `SubscriptionStatus type ${status.data.type} carries no event` };
		case 'event-notification':
			break;
	}

	const auditEvents = new Map<string, AuditEvent>();
	for (const entry of bundle.data.entry.slice(1)) {
		const audit = auditEventSchema.safeParse(entry.resource);
		if (audit.success) auditEvents.set(audit.data.id, audit.data);
	}

	const notificationEvents = status.data.notificationEvent ?? [];
	if (notificationEvents.length === 0) return reject(400, 'SubscriptionStatus.notificationEvent is empty');

	const events: NotificationEvent[] = [];
	const ignoredTopics = new Set<string>();
	for (const [index, notificationEvent] of notificationEvents.entries()) {
		const field = `notificationEvent.${index}`;
		if (!notificationEvent.id) return reject(400, `${field}.id is missing`);
		if (!eventIdPattern.test(notificationEvent.id)) return reject(400, `${field}.id is not a printable id of at most 128 characters`);
		const audit = auditEvents.get(notificationEvent.id);
		const topic = audit?.type?.code ?? topicName(status.data.topic);
		if (!topic) return reject(400, `${field}: no topic (SubscriptionStatus.topic or AuditEvent.type.code)`);
		if (!(athenaCompletionTopics as readonly string[]).includes(topic)) {
			ignoredTopics.add(topicPattern.test(topic) ? topic : '(unrecognised)');
			continue;
		}
		const focus = focusOf(notificationEvent.focus);
		if (!focus) return reject(400, `${field}.focus names no athena appointment or encounter`);
		const references = [
			...(notificationEvent.additionalContext ?? []),
			...(audit?.extension ?? []).flatMap(({ valueReference }) => (valueReference ? [valueReference] : [])),
		];
		const { patientId, departmentId } = contextIds(references);
		const timestamp = notificationEvent.timestamp;
		events.push({
			ehr: 'athenahealth',
			eventId: notificationEvent.id,
			topic,
			resourceType: focus.resourceType,
			resourceId: focus.resourceId,
			practiceId: focus.practiceId,
			...(patientId ? { patientId } : {}),
			...(departmentId ? { departmentId } : {}),
			...(timestamp && DateTime.fromISO(timestamp, { setZone: true }).isValid ? { occurredAt: timestamp } : {}),
		});
	}

	if (events.length > 0) return { kind: 'events', events };
	return { kind: 'ignored', reason: `topic ${[...ignoredTopics].join(', ')} is not a completed visit` };
}
