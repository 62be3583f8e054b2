import { parseAthenaNotification } from '../../../nodes/shared/ehr/athenahealth';
import type { InboundRequest, NotificationResult } from '../../../nodes/shared/ehr/types';
import { buildAthenaDelivery, signAthenaBody } from '../../../sandbox/athenahealth-server';
import { checkOutNotification, practiceId } from './helpers';

const secret = 'current-secret-0123456789abcdef';
const previous = 'previous-secret-0123456789abcdef';

function inbound(body: string, headers: Record<string, string | undefined>, method = 'POST'): InboundRequest {
	return { method, headers, query: {}, rawBody: Buffer.from(body, 'utf8') };
}

function signed(body: unknown, key = secret): InboundRequest {
	const text = typeof body === 'string' ? body : JSON.stringify(body);
	return inbound(text, { 'content-type': 'application/fhir+json', 'x-hub-signature': signAthenaBody(key, text) });
}

function checkOut(eventId = 'evt-1') {
	return buildAthenaDelivery({
		practiceId,
		secret,
		timestamp: '2025-03-10T15:05:00Z',
		events: [{ topic: 'Appointment.check-out', appointmentId: '5001', patientId: '1001', departmentId: '1', eventId }],
	});
}

function expectRejected(result: NotificationResult, status: number): string {
	expect(result.kind).toBe('rejected');
	if (result.kind !== 'rejected') throw new Error('not rejected');
	expect(result.status).toBe(status);
	return result.reason;
}

describe('parseAthenaNotification: signature', () => {
	it('accepts a check-out signed with the current secret and names the visit', () => {
		const delivery = checkOut();
		const result = parseAthenaNotification(inbound(delivery.body, delivery.headers), { current: secret });
		expect(result).toEqual({
			kind: 'events',
			events: [checkOutNotification({ patientId: '1001', departmentId: '1', occurredAt: '2025-03-10T15:05:00Z' })],
		});
	});

	it.each([
		['a forged signature (another secret)', (body: string) => ({ 'x-hub-signature': signAthenaBody('attacker-secret', body) })],
		['a missing header', () => ({})],
		['the sha1 method', (body: string) => ({ 'x-hub-signature': signAthenaBody(secret, body).replace('sha256=', 'sha1=') })],
		['no method prefix', (body: string) => ({ 'x-hub-signature': signAthenaBody(secret, body).replace('sha256=', '') })],
		['a truncated digest', (body: string) => ({ 'x-hub-signature': signAthenaBody(secret, body).slice(0, 40) })],
	])('refuses %s with 401', (_name, headersFor) => {
		const { body } = checkOut();
		const result = parseAthenaNotification(inbound(body, { 'content-type': 'application/fhir+json', ...headersFor(body) }), {
			current: secret,
		});
		expectRejected(result, 401);
	});

	it('refuses a replayed signature over an altered body', () => {
		const original = checkOut();
		const altered = original.body.replace('"value":"5001"', '"value":"5002"');
		expect(altered).not.toBe(original.body);
		const result = parseAthenaNotification(inbound(altered, original.headers), { current: secret });
		expectRejected(result, 401);
	});

	it.each([
		['the current secret', 'events', secret],
		['the previous secret during rotation', 'events', previous],
		['a secret that was rotated out', 'rejected', 'retired-secret-0123456789abcdef'],
	])('with current+previous configured, a delivery signed with %s gives %s', (_name, kind, signingSecret) => {
		const delivery = buildAthenaDelivery({
			practiceId,
			secret: signingSecret,
			events: [{ topic: 'Appointment.check-out', appointmentId: '5001', eventId: 'evt-r' }],
		});
		const result = parseAthenaNotification(inbound(delivery.body, delivery.headers), { current: secret, previous });
		expect(result.kind).toBe(kind);
	});

	it('accepts an upper-case hex digest (the comparison is on the digest value)', () => {
		const delivery = checkOut();
		const header = `sha256=${delivery.headers['x-hub-signature']?.slice('sha256='.length).toUpperCase()}`;
		const result = parseAthenaNotification(inbound(delivery.body, { ...delivery.headers, 'x-hub-signature': header }), {
			current: secret,
		});
		expect(result.kind).toBe('events');
	});

	it('checks the signature before reading the body, so an unsigned malformed body is a 401, not a 400', () => {
		const result = parseAthenaNotification(inbound('{not json', { 'content-type': 'application/json' }), { current: secret });
		expectRejected(result, 401);
	});
});

describe('parseAthenaNotification: shapes', () => {
	it('turns a batched bundle into one event per completion and skips other topics', () => {
		const delivery = buildAthenaDelivery({
			practiceId,
			secret,
			events: [
				{ topic: 'Appointment.check-out', appointmentId: '5001', patientId: '1001', eventId: 'evt-a' },
				{ topic: 'Appointment.schedule', appointmentId: '5002', patientId: '1002', eventId: 'evt-b' },
				{ topic: 'Encounter.signoff', encounterId: '7003', patientId: '1003', departmentId: '4', eventId: 'evt-c' },
			],
		});
		const result = parseAthenaNotification(inbound(delivery.body, delivery.headers), { current: secret });
		if (result.kind !== 'events') throw new Error(`expected events, got ${result.kind}`);
		expect(result.events.map((event) => [event.eventId, event.topic, event.resourceType, event.resourceId, event.patientId])).toEqual([
			['evt-a', 'Appointment.check-out', 'Appointment', '5001', '1001'],
			['evt-c', 'Encounter.signoff', 'Encounter', '7003', '1003'],
		]);
		expect(result.events[1]?.departmentId).toBe('4');
	});

	it('reads the patient and department from the AuditEvent extensions when additionalContext is absent', () => {
		// The shape of athena's own sample (aone-fhir-subscriptions), topic changed to a completion.
		const bundle = {
			resourceType: 'Bundle',
			type: 'history',
			timestamp: '2023-04-14T09:22:57.517+00:00',
			entry: [
				{
					resource: {
						resourceType: 'SubscriptionStatus',
						status: 'active',
						type: 'event-notification',
						eventsSinceSubscriptionStart: '1',
						eventsInNotification: 1,
						notificationEvent: [
							{
								id: '0901fb5b-6858-33f2-994f-6680c0c6aadb',
								eventNumber: '1',
								timestamp: '2023-04-14T09:22:56Z',
								focus: { identifier: { system: 'urn:athenahealth:athenanet:appointment:195900', value: '2' } },
							},
						],
						subscription: { reference: 'Subscription/62865e96-3fe4-3f6f-b476-b8eb87b90892' },
						topic: 'https://api.platform.athenahealth.com/fhir/r4/SubscriptionTopic/Appointment.check-out',
					},
				},
				{
					resource: {
						resourceType: 'AuditEvent',
						id: '0901fb5b-6858-33f2-994f-6680c0c6aadb',
						extension: [
							{ url: 'https://fhir.athena.io/StructureDefinition/ah-department', valueReference: { reference: 'Organization/a-195900.Department-1' } },
							{ url: 'https://hl7.org/fhir/5.0/StructureDefinition/extension-AuditEvent.patient', valueReference: { reference: 'Patient/a-195900.E-51711' } },
							{ url: 'https://fhir.athena.io/StructureDefinition/ah-chart-sharing-group', valueReference: { reference: 'Organization/a-195900.CSG-42' } },
						],
						type: { system: 'https://fhir.athena.io/CodeSystem/SubscriptionTopic', code: 'Appointment.check-out' },
					},
				},
			],
		};
		const result = parseAthenaNotification(signed(bundle), { current: secret });
		if (result.kind !== 'events') throw new Error(`expected events, got ${result.kind}`);
		expect(result.events[0]).toMatchObject({ eventId: '0901fb5b-6858-33f2-994f-6680c0c6aadb', resourceId: '2', patientId: '51711', departmentId: '1' });
	});

	it('takes the per-event topic from the AuditEvent over the SubscriptionStatus topic', () => {
		const delivery = buildAthenaDelivery({
			practiceId,
			secret,
			events: [
				{ topic: 'Appointment.schedule', appointmentId: '5002', eventId: 'evt-s' },
				{ topic: 'Appointment.check-out', appointmentId: '5001', eventId: 'evt-o' },
			],
		});
		const result = parseAthenaNotification(inbound(delivery.body, delivery.headers), { current: secret });
		if (result.kind !== 'events') throw new Error(`expected events, got ${result.kind}`);
		expect(result.events.map((event) => event.eventId)).toEqual(['evt-o']);
	});

	it.each(['Appointment.schedule', 'Appointment.check-in', 'Appointment.cancel', 'Patient.update', 'Order.signoff'])(
		'acknowledges %s without starting a journey',
		(topic) => {
			const delivery = buildAthenaDelivery({ practiceId, secret, events: [{ topic, appointmentId: '5001' }] });
			const result = parseAthenaNotification(inbound(delivery.body, delivery.headers), { current: secret });
			expect(result).toEqual({ kind: 'ignored', reason: `topic ${topic} is not a completed visit` });
		},
	);

	it.each([
		['handshake', { kind: 'handshake', status: 200, body: { received: true } }],
		['heartbeat', { kind: 'heartbeat' }],
	] as const)('answers a %s', (statusType, expected) => {
		const delivery = buildAthenaDelivery({ practiceId, secret, statusType, events: [] });
		expect(parseAthenaNotification(inbound(delivery.body, delivery.headers), { current: secret })).toEqual(expected);
	});

	it('accepts the legacy "urn:athenahealth:athenanet:api:appointments:{practice}" focus system', () => {
		const delivery = checkOut();
		const body = delivery.body.split(`urn:athenahealth:athenanet:appointment:${practiceId}`).join(`urn:athenahealth:athenanet:api:appointments:${practiceId}`);
		const result = parseAthenaNotification(signed(body), { current: secret });
		if (result.kind !== 'events') throw new Error(`expected events, got ${result.kind}`);
		expect(result.events[0]).toMatchObject({ resourceType: 'Appointment', resourceId: '5001', practiceId });
	});
});

describe('parseAthenaNotification: malformed deliveries', () => {
	const status = (notificationEvent: unknown[], extra: Record<string, unknown> = {}) => ({
		resourceType: 'Bundle',
		type: 'history',
		entry: [
			{
				resource: {
					resourceType: 'SubscriptionStatus',
					type: 'event-notification',
					topic: 'https://api.platform.athenahealth.com/fhir/r4/SubscriptionTopic/Appointment.check-out',
					notificationEvent,
					...extra,
				},
			},
		],
	});
	const phiFocus = { identifier: { system: 'urn:athenahealth:athenanet:patient:195900', value: '5125550100' } };

	it.each([
		['not JSON', '{"resourceType": "Bundle", ', 'body is not JSON'],
		['a searchset bundle', { resourceType: 'Bundle', type: 'searchset', entry: [{}] }, 'type'],
		['a bundle without entries', { resourceType: 'Bundle', type: 'history', entry: [] }, 'entry'],
		['entry 0 not a SubscriptionStatus', { resourceType: 'Bundle', type: 'history', entry: [{ resource: { resourceType: 'Patient', id: 'a-195900.E-1' } }] }, 'SubscriptionStatus'],
		['an event without id', status([{ focus: { identifier: { system: 'urn:athenahealth:athenanet:appointment:195900', value: '1' } } }]), 'notificationEvent.0.id'],
		['a completion focused on a patient', status([{ id: 'e1', focus: phiFocus }]), 'notificationEvent.0.focus'],
		['no events at all', status([]), 'notificationEvent is empty'],
		['no topic anywhere', status([{ id: 'e1', focus: phiFocus }], { topic: undefined }), 'no topic'],
	])('answers 400 for %s, naming the field without values', (_name, body, reasonPart) => {
		const reason = expectRejected(parseAthenaNotification(signed(body), { current: secret }), 400);
		expect(reason).toContain(reasonPart);
		expect(reason).not.toMatch(/5125550100|195900/);
	});

	it('answers 405 to a GET and 415 to a non-JSON content type', () => {
		const delivery = checkOut();
		expectRejected(parseAthenaNotification(inbound(delivery.body, delivery.headers, 'GET'), { current: secret }), 405);
		expectRejected(
			parseAthenaNotification(inbound(delivery.body, { ...delivery.headers, 'content-type': 'text/plain' }), { current: secret }),
			415,
		);
	});
});
