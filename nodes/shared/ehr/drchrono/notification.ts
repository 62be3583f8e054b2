import { headerValue, hmacSha256Hex, matchesAnySecret, secretsToTry } from '../signature';
import type { InboundRequest, NotificationEvent, NotificationResult, WebhookSecrets } from '../types';
import { EHR } from './mapping';
import { appointmentSchema, webhookBodySchema } from './schemas';

export const drChronoHeaders = {
	event: 'X-drchrono-event',
	signature: 'X-drchrono-signature',
	delivery: 'X-drchrono-delivery',
} as const;

const appointmentEvents = new Set(['APPOINTMENT_CREATE', 'APPOINTMENT_MODIFY']);
export const completedStatus = 'Complete';

/** Ids travel into the journey store, EHR URLs and ops' views: DrChrono's are numeric or short tokens. */
const drChronoIdPattern = /^[A-Za-z0-9_-]{1,64}$/;
/** Echoed in reasons (response and log) only when they look like DrChrono's own words. */
const eventNamePattern = /^[A-Z][A-Z_]{0,63}$/;
const statusWordPattern = /^[A-Za-z][A-Za-z -]{0,31}$/;

/** JSON may only start with these before its first token; a body that parses as an object starts with "{". */
const jsonWhitespace = /^[ \t\n\r]*/;

/**
 * The verification handshake answers HMAC(secret, msg) for any `msg`. Because deliveries signed as
 * HMAC(secret, body) are also accepted, an unrestricted handshake would sign a forged body for anyone who
 * asks. A delivery body must be a JSON object, so a `msg` that could be one ("{" after JSON whitespace) is
 * refused; DrChrono's own `msg` is a random token.
 */
function isHandshakeToken(msg: string): boolean {
	return msg.length > 0 && msg.length <= 1024 && !msg.replace(jsonWhitespace, '').startsWith('{');
}

/**
 * What X-drchrono-signature may be: `tokenOrHmac` (default) accepts the secret token itself, as DrChrono
 * documents it, or hex HMAC-SHA256(secret, body), as some receivers see it; `hmacOnly` accepts only the body
 * HMAC, so a captured delivery's headers cannot carry another body.
 */
export type DrChronoSignatureMode = 'tokenOrHmac' | 'hmacOnly';

function signatureMatches(secrets: WebhookSecrets, provided: string, rawBody: Buffer, mode: DrChronoSignatureMode): boolean {
	const asToken = matchesAnySecret(secrets, provided, (secret) => secret);
	const hex = provided.trim().replace(/^sha256=/i, '').toLowerCase();
	const asBodyHmac = matchesAnySecret(secrets, hex, (secret) => hmacSha256Hex(secret, rawBody));
	return asBodyHmac || (mode === 'tokenOrHmac' && asToken);
}

/**
 * Verifies and classifies one request to the DrChrono webhook URL. Pure: no I/O, no clock.
 * - GET `?msg=` → the handshake answer `{secret_token: hex HMAC-SHA256(current secret, msg)}`.
 * - POST with a valid `X-drchrono-signature` (raw secret token or hex HMAC of the body, or the HMAC only in
 *   `hmacOnly` mode; current or previous secret) → PING is ignored; APPOINTMENT_CREATE/MODIFY with status "Complete" is one event keyed by the
 *   delivery id; anything else is ignored with the reason. Reasons never carry PHI.
 */
export function parseDrChronoNotification(
	request: InboundRequest,
	secrets: WebhookSecrets,
	signatureMode: DrChronoSignatureMode = 'tokenOrHmac',
): NotificationResult {
	const method = request.method.toUpperCase();
	if (secretsToTry(secrets).length === 0) {
		return { kind: 'rejected', status: 401, reason: 'no webhook secret token is configured' };
	}

	if (method === 'GET') {
		const msg = request.query.msg;
		if (msg === undefined || msg === '') {
			return { kind: 'rejected', status: 400, reason: 'verification request without a msg parameter' };
		}
		if (typeof msg !== 'string') return { kind: 'rejected', status: 400, reason: 'verification msg must be given once, as text' };
		if (!isHandshakeToken(msg)) {
			return { kind: 'rejected', status: 400, reason: 'verification msg is not a token' };
		}
		return { kind: 'handshake', status: 200, body: { secret_token: hmacSha256Hex(secrets.current, msg) } };
	}
	if (method !== 'POST') return { kind: 'rejected', status: 405, reason: `method ${method} is not used by DrChrono` };

	const signature = headerValue(request.headers, drChronoHeaders.signature);
	if (!signature) return { kind: 'rejected', status: 401, reason: 'missing X-drchrono-signature header' };
	if (!signatureMatches(secrets, signature, request.rawBody, signatureMode)) {
		return { kind: 'rejected', status: 401, reason: 'X-drchrono-signature does not match the secret token' };
	}

	const eventName = headerValue(request.headers, drChronoHeaders.event)?.trim();
	if (!eventName) return { kind: 'rejected', status: 400, reason: 'missing X-drchrono-event header' };
	if (eventName.toUpperCase() === 'PING') return { kind: 'ignored', reason: 'ping' };

	const deliveryId = headerValue(request.headers, drChronoHeaders.delivery)?.trim();
	if (!deliveryId) return { kind: 'rejected', status: 400, reason: 'missing X-drchrono-delivery header' };

	let json: unknown;
	try {
		json = JSON.parse(request.rawBody.toString('utf8'));
	} catch {
		return { kind: 'rejected', status: 400, reason: 'body is not valid JSON' };
	}
	const body = webhookBodySchema.safeParse(json);
	if (!body.success) {
		const field = body.error.issues[0]?.path.join('.') || '(root)';
		return { kind: 'rejected', status: 400, reason: `body field "${field}" is missing or invalid` };
	}

	if (!appointmentEvents.has(eventName)) {
		const shown = eventNamePattern.test(eventName) ? eventName : '(unrecognised)';
		return { kind: 'ignored', reason: `event ${shown} is not an appointment change` };
	}
	const appointment = appointmentSchema.safeParse(body.data.object);
	if (!appointment.success) {
		const field = appointment.error.issues[0]?.path.join('.') || '(root)';
		return { kind: 'rejected', status: 400, reason: `appointment field "${field}" is missing or invalid` };
	}
	const object = appointment.data;
	for (const [field, value] of [
		['id', object.id],
		['patient', object.patient],
	] as const) {
		if (value !== undefined && !drChronoIdPattern.test(value)) {
			return { kind: 'rejected', status: 400, reason: `appointment field "${field}" is not a DrChrono id` };
		}
	}
	if (object.deleted_flag) return { kind: 'ignored', reason: 'appointment is deleted' };
	if (object.appt_is_break || !object.patient) return { kind: 'ignored', reason: 'a calendar break, not a visit' };
	if (object.status !== completedStatus) {
		const status = !object.status ? '(none)' : statusWordPattern.test(object.status) ? object.status : '(unrecognised)';
		return { kind: 'ignored', reason: `appointment status is "${status}", not Complete` };
	}

	const event: NotificationEvent = {
		ehr: EHR,
		eventId: deliveryId,
		topic: eventName,
		resourceType: 'Appointment',
		resourceId: object.id,
		patientId: object.patient,
		departmentId: object.office,
		// The declared fields only: DrChrono's object also carries the visit's reason and notes (clinical text).
		resource: object,
	};
	return { kind: 'events', events: [event] };
}
