import { createAthenaAdapter, parseAthenaNotification } from '../../../nodes/shared/ehr/athenahealth';
import { closeDemoVisit, notSubscribedMessage, startAthenaServer } from '../../../sandbox/athenahealth-server';
import type { AthenaSandbox } from '../../../sandbox/athenahealth-server';
import { fetchHttpClient, instantRetryPolicy } from '../../helpers/fetchHttpClient';
import { clientId, clientSecret, context, practiceId, serverNow } from './helpers';

describe('local athenahealth server', () => {
	let server: AthenaSandbox;

	beforeEach(async () => {
		server = await startAthenaServer({ practiceId, clientId, clientSecret, now: () => serverNow, seedDemo: true });
	});

	afterEach(async () => {
		await server.close();
	});

	it('closes a demo visit with a signed check-out delivery that the adapter turns into a full visit', async () => {
		const secret = 'demo-webhook-secret-0123456789';
		const delivery = closeDemoVisit(server, { appointmentId: '5001', secret, at: new Date('2025-03-10T14:30:00Z') });
		const parsed = parseAthenaNotification(
			{ method: 'POST', headers: delivery.headers, query: {}, rawBody: Buffer.from(delivery.body) },
			{ current: secret },
		);
		if (parsed.kind !== 'events') throw new Error(`expected events, got ${parsed.kind}`);
		expect(parsed.events[0]?.eventId).toBe(delivery.eventIds[0]);

		const token = server.issueToken();
		const adapter = createAthenaAdapter({
			http: fetchHttpClient(server.url, () => ({ authorization: `Bearer ${token}` })),
			practiceId,
			retry: instantRetryPolicy(),
		});
		const result = await adapter.resolveVisit(parsed.events[0]!, context);
		if (result.status !== 'completed' || result.event.kind !== 'visit') throw new Error('visit did not resolve');
		expect(result.event).toMatchObject({ visitId: '5001', completedAt: '2025-03-10T14:30:00.000Z', patient: { language: 'es' } });
		expect(result.event.actionItems.map((item) => item.type)).toEqual(['imaging', 'prescription']);
	});

	it.each([
		['an API call without a token', 'GET', `/v1/${practiceId}/departments`, {}, 401, { error: 'Unauthorized', detailedmessage: 'The access token is invalid or has expired.' }],
		['the changed feed before subscribing', 'GET', `/v1/${practiceId}/appointments/changed`, { bearer: true }, 403, { error: notSubscribedMessage }],
		['another practice', 'GET', '/v1/1/departments', { bearer: true }, 403, { error: 'Invalid practice.' }],
		['an unknown patient', 'GET', `/v1/${practiceId}/patients/42`, { bearer: true }, 404, { error: 'The patient ID is invalid.' }],
		['a token request without Basic auth', 'POST', '/oauth2/v1/token', {}, 401, { error: 'invalid_client', error_description: 'Client authentication failed.' }],
	])('answers %s like athena', async (_name, method, path, auth, status, body) => {
		const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
		if ('bearer' in auth) headers.authorization = `Bearer ${server.issueToken()}`;
		const response = await fetch(`${server.url}${path}`, { method, headers, body: method === 'POST' ? 'grant_type=client_credentials' : undefined });
		expect(response.status).toBe(status);
		expect(await response.json()).toEqual(body);
	});

	it('answers single resources as one-element arrays, as athena does', async () => {
		const response = await fetch(`${server.url}/v1/${practiceId}/departments/1`, { headers: { authorization: `Bearer ${server.issueToken()}` } });
		expect(await response.json()).toEqual([expect.objectContaining({ departmentid: '1', timezonename: 'US/Eastern', timezoneoffset: -5 })]);
	});
});
