import { EhrHttpError, EhrResponseError } from '../../../nodes/shared/ehr/http';
import { createFhirAdapter, summarizeOutcome } from '../../../nodes/shared/ehr/fhir';
import type { HttpClient, NotificationEvent } from '../../../nodes/shared/ehr/types';
import { startFhirServer } from '../../../sandbox/fhir-server';
import type { FhirServer } from '../../../sandbox/fhir-server';
import { fetchHttpClient, instantRetryPolicy } from '../../helpers/fetchHttpClient';
import { context, seedEncounter, seedPatient } from './fixtures';

let server: FhirServer;

beforeAll(async () => {
	server = await startFhirServer();
});

afterAll(async () => {
	await server.close();
});

beforeEach(async () => {
	server.reset();
	server.settings.bearerToken = undefined;
	await seedPatient(server.repo, { id: 'p1', zone: 'America/Chicago' });
	await seedEncounter(server.repo, { id: 'e1', patient: 'p1' });
});

const event: NotificationEvent = { ehr: 'fhir', eventId: 'x', topic: 't', resourceType: 'Encounter', resourceId: 'e1' };

function adapterWith(http: HttpClient, waits: number[] = []) {
	return createFhirAdapter({ http, retry: instantRetryPolicy(waits), options: { baseUrl: server.url } });
}

describe('retries', () => {
	it.each([
		['429 with Retry-After: 3', [{ status: 429 as const, retryAfterSeconds: 3 }], [3000]],
		['429 with Retry-After: 0', [{ status: 429 as const, retryAfterSeconds: 0 }], [0]],
		['429 without Retry-After, then 503', [{ status: 429 as const }, { status: 503 as const }], [500, 1000]],
		['three 503s', [{ status: 503 as const }, { status: 503 as const }, { status: 503 as const }], [500, 1000, 2000]],
	])('%s: waits as told, then succeeds', async (_name, faults, expectedWaits) => {
		const waits: number[] = [];
		server.injectFaults(...faults);
		const result = await adapterWith(fetchHttpClient(server.url), waits).resolveVisit(event, context);
		expect(result.status).toBe('completed');
		expect(waits).toEqual(expectedWaits);
	});

	it('gives up after four attempts with a retryable EhrHttpError', async () => {
		server.injectFaults({ status: 503 }, { status: 503 }, { status: 503 }, { status: 503 });
		const failure = adapterWith(fetchHttpClient(server.url)).resolveVisit(event, context);
		await expect(failure).rejects.toBeInstanceOf(EhrHttpError);
		await expect(failure).rejects.toMatchObject({ status: 503, retryable: true });
	});
});

describe('4xx become EhrHttpError without PHI', () => {
	it('a missing resource: status and the OperationOutcome code, not retryable', async () => {
		const failure = adapterWith(fetchHttpClient(server.url)).resolveVisit({ ...event, resourceId: 'nope' }, context);
		await expect(failure).rejects.toMatchObject({
			name: 'EhrHttpError',
			status: 404,
			retryable: false,
			message: 'fhir answered 404: reading Encounter: not-found: Not found',
		});
	});

	it('a missing token: 401 from a server that wants one', async () => {
		server.settings.bearerToken = 'the-token';
		await expect(adapterWith(fetchHttpClient(server.url)).resolveVisit(event, context)).rejects.toMatchObject({ status: 401 });
		const authed = fetchHttpClient(server.url, () => ({ authorization: 'Bearer the-token' }));
		expect((await adapterWith(authed).resolveVisit(event, context)).status).toBe('completed');
	});

	const phiOutcome = {
		resourceType: 'OperationOutcome',
		issue: [
			{
				severity: 'error',
				code: 'processing',
				diagnostics: 'Patient "Maria Garcia" (maria@example.test, +1 512 555 0100, MRN 00012345) cannot be read',
			},
		],
	};

	it.each([
		['an OperationOutcome quoting patient data', phiOutcome, 'fhir answered 400: reading Encounter: processing: Patient "…" (…@…, …, MRN …) cannot be read'],
		['a resource body instead of an OperationOutcome', { resourceType: 'Patient', name: [{ given: ['Maria'] }] }, 'fhir answered 400: reading Encounter'],
		['an HTML error page', '<html><body>Maria Garcia not allowed</body></html>', 'fhir answered 400: reading Encounter'],
	])('%s', async (_name, body, message) => {
		const http: HttpClient = async () => ({ status: 400, headers: {}, body });
		const failure = adapterWith(http).resolveVisit(event, context);
		await expect(failure).rejects.toMatchObject({ name: 'EhrHttpError', status: 400, message });
		await expect(failure).rejects.not.toThrow(/Maria|Garcia|555|example\.test|12345/);
	});

	it('cuts long diagnostics short', () => {
		const summary = summarizeOutcome({ resourceType: 'OperationOutcome', issue: [{ code: 'invalid', diagnostics: 'x'.repeat(500) }] });
		expect(summary?.length).toBeLessThanOrEqual('invalid: '.length + 120);
	});
});

describe('responses that do not match', () => {
	it('an Encounter without status names the field', async () => {
		const http: HttpClient = async () => ({ status: 200, headers: {}, body: { resourceType: 'Encounter', id: 'e1' } });
		const failure = adapterWith(http).resolveVisit(event, context);
		await expect(failure).rejects.toBeInstanceOf(EhrResponseError);
		await expect(failure).rejects.toMatchObject({ field: 'status' });
	});

	it('a next link to another server is not followed with our credential', async () => {
		const http: HttpClient = async () => ({
			status: 200,
			headers: {},
			body: { resourceType: 'Bundle', type: 'searchset', link: [{ relation: 'next', url: 'https://elsewhere.example/fhir/Encounter?page=2' }] },
		});
		await expect(adapterWith(http).pollChanges({ since: '2026-03-10T00:00:00Z' }, new Date('2026-03-10T12:00:00Z'))).rejects.toMatchObject({
			name: 'EhrResponseError',
			field: 'Bundle.link.next',
		});
	});
});
