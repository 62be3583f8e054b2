import { parseFhirNotification } from '../../../nodes/shared/ehr/fhir';
import type { InboundRequest, NotificationResult } from '../../../nodes/shared/ehr/types';

const secret = 'fhir-delivery-secret-0123456789';
const previous = 'fhir-delivery-secret-previous-42';
const options = { secrets: { current: secret } };
const topic = 'http://hl7.org/fhir/uv/subscriptions-backport/SubscriptionTopic/r4-encounter-complete';

function request(body: unknown, headers: Record<string, string> = { 'x-webhook-secret': secret }, method = 'POST'): InboundRequest {
	const raw = body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body);
	return { method, headers: { 'content-type': 'application/fhir+json', ...headers }, query: {}, rawBody: Buffer.from(raw) };
}

function r4Status(type: string, events: Array<{ number: string; focus?: string; context?: string[] }> = []) {
	return {
		resourceType: 'Parameters',
		parameter: [
			{ name: 'subscription', valueReference: { reference: 'https://ehr.example.test/fhir/Subscription/sub-1' } },
			{ name: 'topic', valueCanonical: topic },
			{ name: 'status', valueCode: 'active' },
			{ name: 'type', valueCode: type },
			{ name: 'events-since-subscription-start', valueString: '12' },
			...events.map((event) => ({
				name: 'notification-event',
				part: [
					{ name: 'event-number', valueString: event.number },
					{ name: 'timestamp', valueInstant: '2026-03-10T15:31:00Z' },
					...(event.focus ? [{ name: 'focus', valueReference: { reference: event.focus } }] : []),
					...(event.context ?? []).map((reference) => ({ name: 'additional-context', valueReference: { reference } })),
				],
			})),
		],
	};
}

function r4Bundle(status: unknown, resources: unknown[] = []) {
	return {
		resourceType: 'Bundle',
		id: 'notification-abc',
		type: 'history',
		timestamp: '2026-03-10T15:31:00Z',
		entry: [
			{ fullUrl: 'urn:uuid:status', resource: status, request: { method: 'GET', url: 'Subscription/sub-1/$status' }, response: { status: '200' } },
			...resources.map((resource) => {
				const typed = resource as { resourceType: string; id: string };
				return {
					fullUrl: `https://ehr.example.test/fhir/${typed.resourceType}/${typed.id}`,
					resource,
					request: { method: 'PUT', url: `${typed.resourceType}/${typed.id}` },
					response: { status: '200' },
				};
			}),
		],
	};
}

function r4bBundle(type: string, events: Array<{ number: number; focus: string }>, resources: unknown[] = []) {
	return r4Bundle(
		{
			resourceType: 'SubscriptionStatus',
			status: 'active',
			type,
			eventsSinceSubscriptionStart: '7',
			subscription: { reference: 'Subscription/sub-b' },
			topic,
			notificationEvent: events.map((event) => ({
				eventNumber: event.number,
				timestamp: '2026-03-10T15:31:00Z',
				focus: { reference: event.focus },
			})),
		},
		resources,
	);
}

const encounter = (status: string, id = 'enc-1') => ({
	resourceType: 'Encounter',
	id,
	meta: { versionId: '3', lastUpdated: '2026-03-10T15:30:59Z' },
	status,
	subject: { reference: 'Patient/pat-1', display: 'Maria Garcia' },
});

const appointment = (status: string) => ({
	resourceType: 'Appointment',
	id: 'apt-1',
	meta: { versionId: '9' },
	status,
	participant: [{ actor: { reference: 'Patient/pat-2' } }, { actor: { reference: 'Location/loc-1' } }],
});

describe('parseFhirNotification', () => {
	it.each<[string, InboundRequest, NotificationResult]>([
		[
			'R4 backport id-only event',
			request(r4Bundle(r4Status('event-notification', [{ number: '12', focus: 'Encounter/enc-1', context: ['Patient/pat-1'] }]))),
			{
				kind: 'events',
				events: [
					{
						ehr: 'fhir',
						eventId: 'sub-1#12',
						topic,
						resourceType: 'Encounter',
						resourceId: 'enc-1',
						patientId: 'pat-1',
						resource: undefined,
						occurredAt: '2026-03-10T15:31:00Z',
					},
				],
			},
		],
		[
			'R4 backport full-resource event with an absolute focus URL',
			request(r4Bundle(r4Status('event-notification', [{ number: '13', focus: 'https://ehr.example.test/fhir/Encounter/enc-1/_history/3' }]), [encounter('finished')])),
			{
				kind: 'events',
				events: [
					{
						ehr: 'fhir',
						eventId: 'sub-1#13',
						topic,
						resourceType: 'Encounter',
						resourceId: 'enc-1',
						patientId: 'pat-1',
						resource: encounter('finished'),
						occurredAt: '2026-03-10T15:31:00Z',
						// Kept so the adapter can refuse a resource named on another server than its own (issue 19).
						resourceUrl: 'https://ehr.example.test/fhir/Encounter/enc-1',
					},
				],
			},
		],
		[
			'R4 backport full-resource event for an unfinished encounter',
			request(r4Bundle(r4Status('event-notification', [{ number: '14', focus: 'Encounter/enc-1' }]), [encounter('in-progress')])),
			{ kind: 'ignored', reason: 'Encounter status is in-progress, not finished' },
		],
		[
			'R4 backport event about another resource type',
			request(r4Bundle(r4Status('event-notification', [{ number: '15', focus: 'Patient/pat-1' }]))),
			{ kind: 'ignored', reason: 'focus is a Patient, not an Encounter or Appointment' },
		],
		[
			'R4B SubscriptionStatus with two events',
			request(r4bBundle('event-notification', [{ number: 7, focus: 'Appointment/apt-1' }, { number: 8, focus: 'Encounter/enc-9' }], [appointment('fulfilled')])),
			{
				kind: 'events',
				events: [
					{
						ehr: 'fhir',
						eventId: 'sub-b#7',
						topic,
						resourceType: 'Appointment',
						resourceId: 'apt-1',
						patientId: 'pat-2',
						resource: appointment('fulfilled'),
						occurredAt: '2026-03-10T15:31:00Z',
					},
					{
						ehr: 'fhir',
						eventId: 'sub-b#8',
						topic,
						resourceType: 'Encounter',
						resourceId: 'enc-9',
						patientId: undefined,
						resource: undefined,
						occurredAt: '2026-03-10T15:31:00Z',
					},
				],
			},
		],
		['R4 handshake', request(r4Bundle(r4Status('handshake'))), { kind: 'handshake', status: 200, body: {} }],
		['R4B handshake', request(r4bBundle('handshake', [])), { kind: 'handshake', status: 200, body: {} }],
		['R4 heartbeat', request(r4Bundle(r4Status('heartbeat'))), { kind: 'heartbeat' }],
		['R4B heartbeat', request(r4bBundle('heartbeat', [])), { kind: 'heartbeat' }],
		[
			'classic criteria subscription posting a finished Encounter',
			request(encounter('finished')),
			{
				kind: 'events',
				events: [
					{
						ehr: 'fhir',
						eventId: 'Encounter/enc-1/_history/3',
						topic: 'rest-hook',
						resourceType: 'Encounter',
						resourceId: 'enc-1',
						patientId: 'pat-1',
						resource: encounter('finished'),
						occurredAt: '2026-03-10T15:30:59Z',
					},
				],
			},
		],
		[
			'classic subscription posting a fulfilled Appointment',
			request(appointment('fulfilled')),
			{
				kind: 'events',
				events: [
					{
						ehr: 'fhir',
						eventId: 'Appointment/apt-1/_history/9',
						topic: 'rest-hook',
						resourceType: 'Appointment',
						resourceId: 'apt-1',
						patientId: 'pat-2',
						resource: appointment('fulfilled'),
						occurredAt: undefined,
					},
				],
			},
		],
		['classic subscription posting a booked Appointment', request(appointment('booked')), { kind: 'ignored', reason: 'Appointment status is booked, not fulfilled' }],
		[
			'classic empty-body ping',
			request(undefined),
			{ kind: 'ignored', reason: 'empty-body ping: a classic subscription without payload names no visit' },
		],
		['a GET probe with the secret', request(undefined, { 'x-webhook-secret': secret }, 'GET'), { kind: 'ignored', reason: 'GET probe acknowledged' }],
	])('%s', (_name, inbound, expected) => {
		expect(parseFhirNotification(inbound, options)).toEqual(expected);
	});

	it('falls back to the notification Bundle id when no event number is given', () => {
		const status = r4Status('event-notification', [{ number: '', focus: 'Encounter/enc-1' }]);
		const result = parseFhirNotification(request(r4Bundle(status)), options);
		expect(result).toMatchObject({ kind: 'events', events: [{ eventId: 'notification-abc' }] });
	});

	describe('authentication', () => {
		const body = r4Bundle(r4Status('heartbeat'));
		it.each<[string, Record<string, string>, { secrets: { current: string; previous?: string }; secretHeader?: string }, NotificationResult['kind'] | 401]>([
			['current secret in the default header', { 'X-Webhook-Secret': secret }, options, 'heartbeat'],
			['previous secret during a rotation', { 'x-webhook-secret': previous }, { secrets: { current: secret, previous } }, 'heartbeat'],
			['previous secret after the rotation ended', { 'x-webhook-secret': previous }, options, 401],
			['Authorization: Bearer <secret>', { authorization: `Bearer ${secret}` }, options, 'heartbeat'],
			['a custom header name', { 'x-ehr-token': secret }, { ...options, secretHeader: 'X-EHR-Token' }, 'heartbeat'],
			['the secret in a header other than the configured one', { 'x-webhook-secret': secret }, { ...options, secretHeader: 'X-EHR-Token' }, 401],
			['a wrong secret', { 'x-webhook-secret': 'guess' }, options, 401],
			['a wrong bearer token', { authorization: 'Bearer guess' }, options, 401],
			['no secret header at all', {}, options, 401],
			['a secret prefix', { 'x-webhook-secret': secret.slice(0, -1) }, options, 401],
		])('%s', (_name, headers, opts, expected) => {
			const result = parseFhirNotification(request(body, headers), opts);
			if (expected === 401) expect(result).toMatchObject({ kind: 'rejected', status: 401 });
			else expect(result.kind).toBe(expected);
		});

		it('refuses every delivery when no secret is configured', () => {
			expect(parseFhirNotification(request(body, {}), {})).toEqual({
				kind: 'rejected',
				status: 401,
				reason: 'no webhook secret is configured for this trigger',
			});
		});

		it('checks the secret before reading the body', () => {
			expect(parseFhirNotification(request('{not json', { 'x-webhook-secret': 'guess' }), options)).toMatchObject({ status: 401 });
		});
	});

	describe('malformed deliveries are rejected with a PHI-free reason', () => {
		it.each<[string, InboundRequest, string]>([
			['invalid JSON', request('{"resourceType": "Bundle",'), 'body is not valid JSON'],
			['a JSON array', request([1, 2]), 'body is not a FHIR resource'],
			['a Patient resource', request({ resourceType: 'Patient', id: 'p', name: [{ given: ['Maria'] }] }), 'unexpected resourceType Patient'],
			['a resourceType that is not a name', request({ resourceType: 'Maria Garcia 555-0100' }), 'unexpected resourceType (unknown)'],
			['a Bundle without a status', request({ resourceType: 'Bundle', type: 'history', entry: [] }), 'Bundle has neither a subscription status nor an Encounter or Appointment'],
			['a notification without focus', request(r4Bundle(r4Status('event-notification', [{ number: '1' }]))), 'notification-event has no focus reference'],
			['a focus that is not a reference', request(r4Bundle(r4Status('event-notification', [{ number: '1', focus: 'Maria Garcia' }]))), 'notification-event focus is not a resource reference'],
			['an event-notification without events', request(r4Bundle(r4Status('event-notification'))), 'event-notification has no notification-event (use payload id-only or full-resource)'],
			['a status without type', request(r4Bundle({ resourceType: 'Parameters', parameter: [] })), 'subscription status has no notification type'],
			['a classic Encounter without id', request({ resourceType: 'Encounter', status: 'finished' }), 'Encounter has no valid id'],
		])('%s', (_name, inbound, reason) => {
			const result = parseFhirNotification(inbound, options);
			expect(result).toEqual({ kind: 'rejected', status: 400, reason });
			expect(JSON.stringify(result)).not.toMatch(/Maria|555/);
		});

		it.each(['..', '.', '...'])('a focus whose id is only dots (%s) is refused: it would become a path traversal', (id) => {
			for (const focus of [`Encounter/${id}`, `https://ehr.example.test/fhir/Encounter/${id}`]) {
				const result = parseFhirNotification(request(r4Bundle(r4Status('event-notification', [{ number: '1', focus }]))), options);
				expect(result).toEqual({ kind: 'rejected', status: 400, reason: 'notification-event focus is not a resource reference' });
			}
			const classic = parseFhirNotification(request({ ...encounter('finished'), id }), options);
			expect(classic).toEqual({ kind: 'rejected', status: 400, reason: 'Encounter has no valid id' });
		});

		it('refuses methods other than POST/PUT/GET', () => {
			expect(parseFhirNotification(request(undefined, undefined, 'DELETE'), options)).toMatchObject({ kind: 'rejected', status: 405 });
		});
	});
});
