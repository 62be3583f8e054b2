import { vendorErrorMessage } from '../../../nodes/shared/ehr/drchrono/mapping';
import { EhrHttpError, EhrResponseError } from '../../../nodes/shared/ehr/http';
import { appointmentEvent, apiCalls, context, startFixture } from './fixtures';
import type { Fixture } from './fixtures';

describe('DrChrono transport errors', () => {
	let fixture: Fixture;
	beforeEach(async () => {
		fixture = await startFixture();
		await fixture.server.completeAppointment('9001');
	});
	afterEach(async () => {
		await fixture.server.close();
	});

	it('waits as long as a 429 Retry-After says, then succeeds', async () => {
		fixture.server.injectFault({ status: 429, retryAfterSeconds: 7, pathPrefix: '/api/patients/' });
		const result = await fixture.adapter().resolveVisit(appointmentEvent('9001'), context);
		expect(result.status).toBe('completed');
		expect(fixture.waits).toEqual([7000]);
		expect(apiCalls(fixture.server, '/api/patients/5001')).toHaveLength(2);
	});

	it('backs off exponentially on 503 pages without Retry-After', async () => {
		fixture.server.injectFault({ status: 503, times: 2, pathPrefix: '/api/appointments/9001' });
		await fixture.adapter().resolveVisit(appointmentEvent('9001'), context);
		expect(fixture.waits).toEqual([500, 1000]);
	});

	it('retries a POST answered 429 (DrChrono throttles before acting) without creating two tasks', async () => {
		fixture.server.injectFault({ status: 429, retryAfterSeconds: 2, method: 'POST', pathPrefix: '/api/tasks' });
		const result = await fixture.adapter().createTask({
			journeyId: 'visit:drchrono:9001',
			patientId: '5001',
			visitId: '9001',
			visitType: 'appointment',
			title: 'Follow-up not booked – call patient',
			note: 'No follow-up booked after 7 days.',
			dueAt: '2026-03-17T22:00:00Z',
			priority: 'routine',
			assigneeId: 'carecoord',
		});
		expect(result.created).toBe(true);
		expect(fixture.server.state.tasks.size).toBe(1);
		expect(fixture.waits).toEqual([2000]);
	});

	it('gives up after the policy\'s attempts with a retryable EhrHttpError', async () => {
		fixture.server.injectFault({ status: 429, retryAfterSeconds: 1, times: 10 });
		const error = await fixture.adapter().resolveVisit(appointmentEvent('9001'), context).catch((caught: unknown) => caught);
		expect(error).toBeInstanceOf(EhrHttpError);
		expect(error).toMatchObject({ status: 429, retryable: true });
		expect(fixture.waits).toEqual([1000, 1000, 1000]);
	});

	it('does not retry a 401 and says what to do', async () => {
		fixture.server.injectFault({ status: 401 });
		const error = await fixture.adapter().resolveVisit(appointmentEvent('9001'), context).catch((caught: unknown) => caught);
		expect(error).toMatchObject({
			status: 401,
			retryable: false,
			vendorMessage:
				'reading the appointment: did not accept the access token (expired or revoked): reconnect the DrChrono credential (Authentication credentials were not provided.)',
		});
		expect(fixture.waits).toEqual([]);
	});

	it('maps a bad query to a 400 with DrChrono\'s detail', async () => {
		const error = await fixture.adapter({ maxDateRangeDays: 365 }).findFollowUp(
			{
				kind: 'visit',
				schemaVersion: 1,
				ehr: 'drchrono',
				patientId: '5001',
				zone: 'America/Chicago',
				zoneSource: 'practice',
				patient: { firstName: 'Maria', phones: [], language: 'es' },
				consent: { sms: true, email: true, voice: true },
				visitId: '9001',
				visitType: 'appointment',
				completedAt: '2026-03-10T10:00:00-05:00',
				visitDate: '2026-03-10',
				actionItems: [],
			},
			{},
		).catch((caught: unknown) => caught);
		expect(error).toMatchObject({ status: 400, vendorMessage: expect.stringContaining('date_range may span at most 90 days') });
	});

	it('refuses a response of the wrong shape with an EhrResponseError naming the field', async () => {
		fixture.server.state.appointments.get('9001')!.scheduled_time = '';
		const error = await fixture.adapter().resolveVisit(appointmentEvent('9001'), context).catch((caught: unknown) => caught);
		expect(error).toBeInstanceOf(EhrResponseError);
		expect(error).toMatchObject({ field: 'scheduled_time' });
	});
});

describe('DrChrono error bodies → PHI-free messages', () => {
	it.each<[string, number, unknown, string]>([
		['a DRF detail', 404, { detail: 'Not found.' }, 'reading: does not know this record (Not found.)'],
		[
			'a detail echoing names, phones and e-mails',
			400,
			{ detail: 'Patient "Maria Lopez" (512) 555-0142 maria.lopez@example.org is invalid' },
			'reading: rejected the request (Patient "…" … … is invalid)',
		],
		[
			'field errors echoing the value',
			400,
			{ first_name: ['"Maria" is too long.'], cell_phone: ['Enter a valid phone number.'] },
			'reading: rejected the request (fields: first_name, cell_phone)',
		],
		['an HTML error page', 502, '<html><body>Maria Lopez</body></html>', 'reading: failed with status 502'],
		['no body', 403, undefined, "reading: refused permission (check the credential's scopes and the user's DrChrono permissions)"],
		['a throttle detail', 429, { detail: 'Request was throttled. Expected available in 12 seconds.' }, 'reading: failed with status 429 (Request was throttled. Expected available in 12 seconds.)'],
	])('%s', (_label, status, body, expected) => {
		const message = vendorErrorMessage(status, body, 'reading');
		expect(message).toBe(expected);
		expect(message).not.toMatch(/Maria|Lopez|555-0142|example\.org/);
	});
});
