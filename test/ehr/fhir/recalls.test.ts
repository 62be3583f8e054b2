import { DomainError } from '../../../nodes/shared/core/errors';
import { parseRecallDue } from '../../../nodes/shared/core/schemas';
import { createFhirAdapter } from '../../../nodes/shared/ehr/fhir';
import type { FhirAdapterOptions } from '../../../nodes/shared/ehr/fhir';
import { startFhirServer } from '../../../sandbox/fhir-server';
import type { FhirServer } from '../../../sandbox/fhir-server';
import { fetchHttpClient, instantRetryPolicy } from '../../helpers/fetchHttpClient';
import { context, seedLocation, seedPatient, seedServiceRequest, snomed } from './fixtures';

let server: FhirServer;

beforeAll(async () => {
	server = await startFhirServer();
});

afterAll(async () => {
	await server.close();
});

const followUpCode = { system: snomed, code: '390906007' };
const followUpVisitCode = { system: snomed, code: '185389009' };
const april = { from: '2026-04-01', to: '2026-04-30' };

function adapter(options: FhirAdapterOptions = {}) {
	return createFhirAdapter({ http: fetchHttpClient(server.url), retry: instantRetryPolicy(), options: { pageSize: 3, ...options } });
}

beforeEach(async () => {
	server.reset();
	await seedLocation(server.repo, 'loc-denver', 'America/Denver');
	await seedPatient(server.repo, { id: 'p1', zone: 'America/Chicago' });
	// Without a US number or address, p2 and p3 take their zone from the EHR's location or the practice.
	const emailOnly = [{ system: 'email' as const, value: 'maria@example.test' }];
	await seedPatient(server.repo, { id: 'p2', telecom: emailOnly });
	await seedPatient(server.repo, { id: 'p3', consent: { voice: false }, telecom: emailOnly });
	await seedServiceRequest(server.repo, { id: 'r1', patient: 'p1', code: followUpCode, occurrenceDateTime: '2026-04-15T15:00:00Z' });
	// 03:00Z on 1 May is still 30 April in Chicago; 03:00Z on 1 April is 31 March there.
	await seedServiceRequest(server.repo, { id: 'r2', patient: 'p1', code: followUpCode, occurrenceDateTime: '2026-05-01T03:00:00Z' });
	await seedServiceRequest(server.repo, { id: 'r3', patient: 'p1', code: followUpCode, occurrenceDateTime: '2026-04-01T03:00:00Z' });
	await seedServiceRequest(server.repo, {
		id: 'r4',
		patient: 'p2',
		code: followUpVisitCode,
		occurrencePeriod: { start: '2026-04-10', end: '2026-04-24' },
		location: 'loc-denver',
	});
	await seedServiceRequest(server.repo, {
		id: 'r5',
		patient: 'p3',
		category: '108252007',
		code: { system: 'http://loinc.org', code: '4548-4' },
		occurrenceDateTime: '2026-04-12T15:00:00Z',
	});
	await seedServiceRequest(server.repo, { id: 'r6', patient: 'p3', code: followUpCode, status: 'completed', occurrenceDateTime: '2026-04-12T15:00:00Z' });
	await seedServiceRequest(server.repo, { id: 'r7', patient: 'p3', code: followUpCode, occurrenceDateTime: '2026-06-01T15:00:00Z' });
	await seedServiceRequest(server.repo, {
		id: 'r8',
		patient: 'p3',
		code: followUpCode,
		patientInstruction: 'Book your annual check-up',
		occurrenceDateTime: '2026-04-20T15:00:00Z',
	});
});

describe('pollRecalls', () => {
	it('returns active recall ServiceRequests due in the window, in patient-local dates', async () => {
		const recalls = await adapter().pollRecalls(april, context);
		expect(recalls.map((recall) => [recall.recallId, recall.dueDate, recall.zone, recall.zoneSource])).toEqual([
			['r1', '2026-04-15', 'America/Chicago', 'patient'],
			['r2', '2026-04-30', 'America/Chicago', 'patient'],
			['r4', '2026-04-10', 'America/Denver', 'location'],
			['r8', '2026-04-20', 'America/Chicago', 'practice'],
		]);
		for (const recall of recalls) expect(parseRecallDue(recall)).toEqual(recall);
		expect(recalls.find((recall) => recall.recallId === 'r8')).toMatchObject({
			kind: 'recall',
			ehr: 'fhir',
			patientId: 'p3',
			consent: { sms: true, email: true, voice: false },
			patient: { firstName: 'Maria', language: 'es' },
			actionItem: {
				type: 'followUpVisit',
				description: 'Book your annual check-up',
				orderId: 'r8',
				dueBy: '2026-04-20',
				schedulingLink: 'https://book.example-practice.test/follow-up?order=r8&patient=p3',
				done: false,
			},
		});
	});

	it('searches with explicit date bounds and the recall codes, across pages', async () => {
		await adapter().pollRecalls(april, context);
		const searches = server.requests.filter((request) => request.path === '/ServiceRequest');
		expect(searches.length).toBeGreaterThan(1);
		expect(searches[0].query).toMatchObject({
			status: ['active'],
			occurrence: ['ge2026-03-31', 'lt2026-05-02'],
			code: ['http://snomed.info/sct|390906007,http://snomed.info/sct|185389009'],
		});
		// One read per patient, not per recall.
		expect(server.requests.filter((request) => request.path === '/Patient/p1')).toHaveLength(1);
	});

	it('uses the practice’s own recall codes when configured', async () => {
		const recalls = await adapter({ recallCodes: ['http://loinc.org|4548-4'] }).pollRecalls(april, context);
		expect(recalls.map((recall) => [recall.recallId, recall.actionItem.type])).toEqual([['r5', 'lab']]);
	});

	it('fails with no_zone when a recall patient has no zone and the practice none', async () => {
		await expect(adapter().pollRecalls(april, { ...context, defaultZone: undefined })).rejects.toMatchObject({ code: 'no_zone' });
	});

	it('refuses an inverted window', async () => {
		await expect(adapter().pollRecalls({ from: '2026-04-30', to: '2026-04-01' }, context)).rejects.toBeInstanceOf(DomainError);
	});
});

describe('resolveRecall: a recall journey fetched again by its ids (journeys resumed from the journey store)', () => {
	it('returns the same recall the poll found, with the patient\'s contact read afresh', async () => {
		const [polled] = (await adapter().pollRecalls(april, context)).filter((recall) => recall.recallId === 'r1');
		const resolved = await adapter().resolveRecall!({ recallId: 'r1', patientId: 'p1' }, context);
		expect(resolved).toEqual({ status: 'open', event: polled });
	});

	it('finds a recall outside any polling window: a resumed journey is due whenever its recall is', async () => {
		const resolved = await adapter().resolveRecall!({ recallId: 'r7', patientId: 'p3' }, context);
		expect(resolved.status === 'open' && resolved.event.dueDate).toBe('2026-06-01');
	});

	it('ends the journey of a recall that was completed meanwhile', async () => {
		const resolved = await adapter().resolveRecall!({ recallId: 'r6', patientId: 'p3' }, context);
		expect(resolved).toEqual({ status: 'closed', reason: expect.stringMatching(/status is completed/) });
	});

	it('reports a recall the server no longer has as an EHR error, not as a closed journey', async () => {
		await expect(adapter().resolveRecall!({ recallId: 'gone', patientId: 'p1' }, context)).rejects.toThrow(/404|not found/i);
	});
});
