import { DomainError } from '../../../nodes/shared/core/errors';
import { createAthenaAdapter } from '../../../nodes/shared/ehr/athenahealth';
import { EhrHttpError, EhrResponseError } from '../../../nodes/shared/ehr/http';
import { fetchHttpClient } from '../../helpers/fetchHttpClient';
import type { Harness } from './helpers';
import { checkOutNotification, context, seedVisit, startHarness, startSeededHarness } from './helpers';

const event = checkOutNotification();

async function failure(promise: Promise<unknown>): Promise<Error> {
	try {
		await promise;
	} catch (error) {
		return error as Error;
	}
	throw new Error('expected a failure');
}

describe('athenahealth error mapping', () => {
	let harness: Harness;

	afterEach(async () => {
		await harness?.server.close();
	});

	it.each([
		[
			'an unknown appointment (athena 404 body)',
			undefined,
			404,
			'athenahealth answered 404: reading the appointment: The appointment ID is invalid.',
		],
		[
			'an error text carrying a phone number and an email',
			{ status: 400, body: { error: 'Patient 5125550100 (ana@example.test) is restricted', detailedmessage: 'Ana Example DOB 01/02/1980' } },
			400,
			'athenahealth answered 400: reading the appointment: Patient # ([email]) is restricted',
		],
		[
			'an HTML error page',
			{ status: 404, body: '<html><body>Ana Example</body></html>' },
			404,
			'athenahealth answered 404: reading the appointment',
		],
	])('maps %s to a short EhrHttpError', async (_name, fault, status, message) => {
		harness = await startHarness();
		if (fault) {
			seedVisit(harness.server);
			harness.server.injectFault({ path: '/appointments/5001', ...fault });
		}
		const error = await failure(harness.adapter.resolveVisit(event, context));
		expect(error).toBeInstanceOf(EhrHttpError);
		expect(error).toMatchObject({ status, retryable: false, message });
		expect(error.message).not.toMatch(/Ana|1980|5125550100|example\.test/);
	});

	it('reports a token athena still refuses (n8n already refreshed it once) as a 401 that names the credential', async () => {
		harness = await startSeededHarness();
		harness.server.expireTokens();
		const error = await failure(harness.adapter.resolveVisit(event, context));
		expect(error).toMatchObject({ status: 401, retryable: false });
		expect(error.message).toContain("check the credential's client ID, secret, scope and practice");
	});

	it('treats the legacy 403 "Developer Over Qps" as rate limiting and retries', async () => {
		harness = await startSeededHarness();
		harness.server.checkOut('5001');
		harness.server.injectFault({ path: '/appointments/5001', status: 403, body: '<h1>Developer Over Qps</h1>' });
		const result = await harness.adapter.resolveVisit(event, context);
		expect(result.status).toBe('completed');
		expect(harness.waits).toEqual([500]);
	});

	it('gives up after four 500s with a retryable error', async () => {
		harness = await startSeededHarness();
		harness.server.injectFault({ path: '/appointments/5001', status: 500, times: 4 });
		const error = await failure(harness.adapter.resolveVisit(event, context));
		expect(error).toMatchObject({ status: 500, retryable: true, message: 'athenahealth answered 500: gave up after 4 attempts' });
	});

	it('names the field, not the value, when athena answers an unexpected shape', async () => {
		harness = await startSeededHarness();
		harness.server.injectFault({ path: '/appointments/5001', status: 200, body: [{ appointmentid: '5001', patientid: '1001' }] });
		const error = await failure(harness.adapter.resolveVisit(event, context));
		expect(error).toBeInstanceOf(EhrResponseError);
		expect(error.message).toContain('"appointment');
		expect(error.message).toContain('appointmentstatus');
		expect(error.message).not.toContain('1001');
	});

	it('says plainly that athena has no recall API', async () => {
		harness = await startHarness();
		const error = await failure(harness.adapter.pollRecalls({ from: '2025-03-10', to: '2025-04-10' }, context));
		expect(error).toBeInstanceOf(DomainError);
		expect(error).toMatchObject({ code: 'not_supported' });
		expect(harness.server.state.requests).toEqual([]);
	});

	it.each(['', 'abc', '195900/x'])('refuses the practice ID %p', (id) => {
		expect(() => createAthenaAdapter({ http: fetchHttpClient('http://127.0.0.1:1'), practiceId: id })).toThrow(DomainError);
	});
});
