import { createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

import { parseDrChronoNotification } from '../../../nodes/shared/ehr/drchrono';
import type { InboundRequest, NotificationResult, WebhookSecrets } from '../../../nodes/shared/ehr/types';
import { buildDrChronoDelivery, buildDrChronoHandshake, startDrChronoServer } from '../../../sandbox/drchrono-server';
import { NOW, PREVIOUS_SECRET, SECRET, TOKEN, ZONE } from './fixtures';

const secrets: WebhookSecrets = { current: SECRET };
const rotating: WebhookSecrets = { current: SECRET, previous: PREVIOUS_SECRET };

const completedObject = {
	id: '9001',
	patient: 5001,
	doctor: 1001,
	office: 2001,
	status: 'Complete',
	scheduled_time: '2026-03-10T09:00:00',
	updated_at: '2026-03-10T10:00:00',
	notes: 'Maria Lopez, hypertension follow-up',
	status_transitions: [{ appointment: '9001', datetime: '2026-03-10T10:00:00', from_status: 'In Session', to_status: 'Complete' }],
};

function delivery(overrides: { event?: string; object?: unknown; secret?: string; signature?: 'secret' | 'hmac'; deliveryId?: string } = {}) {
	return buildDrChronoDelivery({
		secret: overrides.secret ?? SECRET,
		event: overrides.event ?? 'APPOINTMENT_MODIFY',
		object: overrides.object ?? completedObject,
		signature: overrides.signature,
		deliveryId: overrides.deliveryId ?? 'delivery-1',
	});
}

function withHeaders(request: InboundRequest, headers: Record<string, string | undefined>): InboundRequest {
	return { ...request, headers: { ...request.headers, ...headers } };
}

const hmacHex = (key: string, payload: string | Buffer) => createHmac('sha256', key).update(payload).digest('hex');

describe('DrChrono verification handshake', () => {
	it.each([
		['a single secret', secrets],
		['a rotation (answers with the current secret)', rotating],
	])('answers GET ?msg= with hex HMAC-SHA256(secret, msg) — %s', (_label, webhookSecrets) => {
		const msg = 'q8Zt1mXc0Rk3';
		expect(parseDrChronoNotification(buildDrChronoHandshake(msg), webhookSecrets)).toEqual({
			kind: 'handshake',
			status: 200,
			body: { secret_token: hmacHex(SECRET, msg) },
		});
	});

	it('matches the Python example of DrChrono\'s documentation (hmac.new(secret, msg, sha256).hexdigest())', () => {
		// Known-answer: HMAC-SHA256(key="key", "The quick brown fox jumps over the lazy dog") (RFC 4231 style vector).
		const result = parseDrChronoNotification(
			buildDrChronoHandshake('The quick brown fox jumps over the lazy dog'),
			{ current: 'key' },
		);
		expect(result).toMatchObject({
			body: { secret_token: 'f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8' },
		});
	});

	it.each([
		['no msg', buildDrChronoHandshake(''), 400],
		['a msg that is a JSON object (would make the handshake sign forged bodies)', buildDrChronoHandshake(delivery().rawBody.toString('utf8')), 400],
		['a JSON object behind whitespace', buildDrChronoHandshake(` \n{"object":{"id":1}}`), 400],
	])('refuses a handshake with %s', (_label, request, status) => {
		expect(parseDrChronoNotification(request, secrets)).toMatchObject({ kind: 'rejected', status });
	});

	it.each([
		['twice', ['q8Zt1mXc0Rk3', 'q8Zt1mXc0Rk3']],
		['with two values', ['a1', 'b2']],
		['as an object (msg[x]=1)', { x: '1' }],
	])('refuses a handshake whose msg is repeated %s with 400, not a TypeError', (_label, msg) => {
		const request = { ...buildDrChronoHandshake('unused'), query: { msg } } as unknown as InboundRequest;
		expect(parseDrChronoNotification(request, secrets)).toEqual({
			kind: 'rejected',
			status: 400,
			reason: 'verification msg must be given once, as text',
		});
	});

	it('the handshake refusal closes the signing oracle: a forged body cannot get a valid HMAC signature', () => {
		const forged = buildDrChronoDelivery({ secret: 'attacker-does-not-know', event: 'APPOINTMENT_MODIFY', object: completedObject });
		const oracle = parseDrChronoNotification(buildDrChronoHandshake(forged.rawBody.toString('utf8')), secrets);
		expect(oracle.kind).toBe('rejected');
		const unsigned = withHeaders(forged, { 'x-drchrono-signature': hmacHex('attacker-does-not-know', forged.rawBody) });
		expect(parseDrChronoNotification(unsigned, secrets)).toMatchObject({ kind: 'rejected', status: 401 });
	});
});

describe('DrChrono delivery signature', () => {
	const base = delivery();
	it.each<[string, 'events' | 401, InboundRequest, WebhookSecrets]>([
		['the raw secret token (what DrChrono documents)', 'events', base, secrets],
		['hex HMAC-SHA256(secret, body)', 'events', delivery({ signature: 'hmac' }), secrets],
		['upper-case hex HMAC', 'events', withHeaders(base, { 'x-drchrono-signature': hmacHex(SECRET, base.rawBody).toUpperCase() }), secrets],
		['"sha256=" + hex HMAC', 'events', withHeaders(base, { 'x-drchrono-signature': `sha256=${hmacHex(SECRET, base.rawBody)}` }), secrets],
		['the previous secret token during a rotation', 'events', delivery({ secret: PREVIOUS_SECRET }), rotating],
		['an HMAC with the previous secret during a rotation', 'events', delivery({ secret: PREVIOUS_SECRET, signature: 'hmac' }), rotating],
		['the previous secret once the rotation is over', 401, delivery({ secret: PREVIOUS_SECRET }), secrets],
		['a forged token', 401, delivery({ secret: 'forged-secret-token-0000000000' }), rotating],
		['an HMAC of another body', 401, withHeaders(base, { 'x-drchrono-signature': hmacHex(SECRET, Buffer.from('{}')) }), secrets],
		['a body changed after signing', 401, { ...delivery({ signature: 'hmac' }), rawBody: Buffer.from(base.rawBody.toString('utf8').replace('9001', '9002')) }, secrets],
		['no signature header', 401, withHeaders(base, { 'x-drchrono-signature': undefined }), secrets],
		['an empty signature header', 401, withHeaders(base, { 'x-drchrono-signature': '' }), secrets],
	])('%s → %s', (_label, expected, request, webhookSecrets) => {
		const result = parseDrChronoNotification(request, webhookSecrets);
		if (expected === 'events') expect(result.kind).toBe('events');
		else expect(result).toMatchObject({ kind: 'rejected', status: 401 });
	});

	it('rejects everything when no secret is configured', () => {
		expect(parseDrChronoNotification(base, { current: '' })).toMatchObject({ kind: 'rejected', status: 401 });
		expect(parseDrChronoNotification(buildDrChronoHandshake('abc'), { current: '' })).toMatchObject({ status: 401 });
	});

	it('reads header names case-insensitively, as Node and n8n hand them over', () => {
		const upper: InboundRequest = {
			...base,
			headers: {
				'X-Drchrono-Event': 'APPOINTMENT_MODIFY',
				'X-DRCHRONO-SIGNATURE': SECRET,
				'x-drchrono-delivery': ['delivery-9', 'ignored'],
			},
		};
		expect(parseDrChronoNotification(upper, secrets)).toMatchObject({ kind: 'events', events: [{ eventId: 'delivery-9' }] });
	});
});

describe('DrChrono "Body HMAC Only" signature mode (the stronger option)', () => {
	it.each<[string, InboundRequest, 'events' | 401]>([
		['hex HMAC-SHA256(secret, body)', delivery({ signature: 'hmac' }), 'events'],
		['the raw secret token, which anyone who saw one delivery\'s headers has', delivery(), 401],
		['an HMAC of another body under a captured header', withHeaders(delivery(), { 'x-drchrono-signature': hmacHex(SECRET, Buffer.from('{}')) }), 401],
	])('%s → %s', (_label, request, expected) => {
		const result = parseDrChronoNotification(request, secrets, 'hmacOnly');
		if (expected === 'events') expect(result.kind).toBe('events');
		else expect(result).toMatchObject({ kind: 'rejected', status: 401 });
	});
});

describe('DrChrono delivery classification', () => {
	it('turns a completed appointment into one event keyed by the delivery id', () => {
		const result = parseDrChronoNotification(delivery({ deliveryId: 'dlv-77' }), secrets);
		expect(result).toEqual<NotificationResult>({
			kind: 'events',
			events: [
				{
					ehr: 'drchrono',
					eventId: 'dlv-77',
					topic: 'APPOINTMENT_MODIFY',
					resourceType: 'Appointment',
					resourceId: '9001',
					patientId: '5001',
					departmentId: '2001',
					// The declared fields only: the visit's notes (clinical text) stay out of the event.
					resource: {
						id: '9001',
						patient: '5001',
						doctor: '1001',
						office: '2001',
						status: 'Complete',
						scheduled_time: '2026-03-10T09:00:00',
						updated_at: '2026-03-10T10:00:00',
						status_transitions: [{ datetime: '2026-03-10T10:00:00', from_status: 'In Session', to_status: 'Complete' }],
					},
				},
			],
		});
	});

	it.each<[string, InboundRequest, NotificationResult]>([
		['PING', delivery({ event: 'PING', object: {} }), { kind: 'ignored', reason: 'ping' }],
		['APPOINTMENT_CREATE already Complete', delivery({ event: 'APPOINTMENT_CREATE' }), { kind: 'events', events: [expect.objectContaining({ topic: 'APPOINTMENT_CREATE' })] }],
		['a patient change', delivery({ event: 'PATIENT_MODIFY', object: { id: 5001, first_name: 'Maria' } }), { kind: 'ignored', reason: 'event PATIENT_MODIFY is not an appointment change' }],
		['a task change', delivery({ event: 'TASK_MODIFY', object: { id: 3 } }), { kind: 'ignored', reason: 'event TASK_MODIFY is not an appointment change' }],
		['an appointment still in session', delivery({ object: { ...completedObject, status: 'In Session' } }), { kind: 'ignored', reason: 'appointment status is "In Session", not Complete' }],
		['an appointment without status', delivery({ object: { ...completedObject, status: '' } }), { kind: 'ignored', reason: 'appointment status is "(none)", not Complete' }],
		['a cancelled appointment', delivery({ object: { ...completedObject, status: 'Cancelled' } }), { kind: 'ignored', reason: 'appointment status is "Cancelled", not Complete' }],
		['a calendar break', delivery({ object: { ...completedObject, patient: null, appt_is_break: true } }), { kind: 'ignored', reason: 'a calendar break, not a visit' }],
		['a deleted appointment', delivery({ object: { ...completedObject, deleted_flag: true } }), { kind: 'ignored', reason: 'appointment is deleted' }],
	])('%s', (_label, request, expected) => {
		expect(parseDrChronoNotification(request, secrets)).toEqual(expected);
	});

	const signedRaw = (rawBody: string, headers: Record<string, string | undefined> = {}): InboundRequest =>
		withHeaders({ ...delivery(), rawBody: Buffer.from(rawBody) }, headers);

	it.each<[string, InboundRequest, number, string]>([
		['a body that is not JSON', signedRaw('Maria Lopez <not json'), 400, 'body is not valid JSON'],
		['a body without object', signedRaw(JSON.stringify({ receiver: {} })), 400, 'body field "object" is missing or invalid'],
		['an object without id', signedRaw(JSON.stringify({ object: { patient: 5001, first_name: 'Maria' } })), 400, 'body field "object.id" is missing or invalid'],
		['an appointment without scheduled_time', signedRaw(JSON.stringify({ object: { id: 1, status: 'Complete', patient: 2 } })), 400, 'appointment field "scheduled_time" is missing or invalid'],
		['no delivery id', withHeaders(delivery(), { 'x-drchrono-delivery': undefined }), 400, 'missing X-drchrono-delivery header'],
		['no event name', withHeaders(delivery(), { 'x-drchrono-event': undefined }), 400, 'missing X-drchrono-event header'],
		['a PUT', { ...delivery(), method: 'PUT' }, 405, 'method PUT is not used by DrChrono'],
	])('rejects %s with a PHI-free reason', (_label, request, status, reason) => {
		const result = parseDrChronoNotification(request, secrets);
		expect(result).toEqual({ kind: 'rejected', status, reason });
		expect(JSON.stringify(result)).not.toMatch(/Maria|Lopez|5001/);
	});
});

describe('the sandbox "close a demo visit" command', () => {
	it('completes the visit and delivers a signed APPOINTMENT_MODIFY the parser accepts', async () => {
		const received: NotificationResult[] = [];
		const receiver = createServer((request, response) => {
			const chunks: Buffer[] = [];
			request.on('data', (chunk: Buffer) => chunks.push(chunk));
			request.on('end', () => {
				const result = parseDrChronoNotification(
					{ method: request.method ?? 'POST', headers: request.headers, query: {}, rawBody: Buffer.concat(chunks) },
					secrets,
				);
				received.push(result);
				response.writeHead(result.kind === 'rejected' ? result.status : 200).end();
			});
		});
		await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
		const callbackUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/webhook`;
		const server = await startDrChronoServer({ accessToken: TOKEN, zone: ZONE, now: () => NOW, webhook: { secret: SECRET, callbackUrl } });
		try {
			const response = await fetch(`${server.url}/_sandbox/appointments/9001/complete`, { method: 'POST' });
			const body = (await response.json()) as { deliveredStatus: number; appointment: { status: string } };
			expect(body).toMatchObject({ deliveredStatus: 200, appointment: { status: 'Complete' } });
			expect(received).toEqual([
				{ kind: 'events', events: [expect.objectContaining({ resourceId: '9001', patientId: '5001', topic: 'APPOINTMENT_MODIFY' })] },
			]);
		} finally {
			await server.close();
			await new Promise<void>((resolve) => receiver.close(() => resolve()));
		}
	});
});
