import { createFhirAdapter } from '../../../nodes/shared/ehr/fhir';
import type { FhirAdapterOptions } from '../../../nodes/shared/ehr/fhir';
import type { PollCursor, PollResult } from '../../../nodes/shared/ehr/types';
import { createResource, startFhirServer } from '../../../sandbox/fhir-server';
import type { FhirServer } from '../../../sandbox/fhir-server';
import { fetchHttpClient, instantRetryPolicy } from '../../helpers/fetchHttpClient';
import { seedAppointment, seedEncounter } from './fixtures';

let server: FhirServer;
const now = new Date('2026-03-10T20:00:00Z');

beforeAll(async () => {
	server = await startFhirServer();
});

afterAll(async () => {
	await server.close();
});

beforeEach(() => {
	server.reset();
	server.settings.requirePatientFor = [];
});

function adapter(options: FhirAdapterOptions = {}) {
	return createFhirAdapter({
		http: fetchHttpClient(server.url),
		retry: instantRetryPolicy(),
		options: { baseUrl: server.url, pageSize: 2, ...options },
	});
}

const at = (minute: number) => `2026-03-10T15:${String(minute).padStart(2, '0')}:00.000Z`;

async function drain(poll: (cursor: PollCursor) => Promise<PollResult>, start: PollCursor, rounds: number) {
	const cursors = [start];
	const ids: string[] = [];
	let cursor = start;
	for (let round = 0; round < rounds; round++) {
		const result = await poll(cursor);
		ids.push(...result.events.map((event) => event.resourceId));
		cursor = result.nextCursor;
		cursors.push(cursor);
	}
	return { cursors, ids };
}

describe('pollChanges, server-wide Encounter mode', () => {
	beforeEach(async () => {
		for (const [id, minute] of [['e1', 1], ['e2', 2], ['e3', 3], ['e4', 4], ['e5', 5], ['e6', 6], ['e7', 6]] as const) {
			await seedEncounter(server.repo, { id, patient: `p-${id}`, lastUpdated: at(minute) });
		}
		await seedEncounter(server.repo, { id: 'open', patient: 'p-open', status: 'in-progress', lastUpdated: at(4) });
		await seedEncounter(server.repo, { id: 'old', patient: 'p-old', lastUpdated: '2026-03-09T10:00:00.000Z' });
	});

	it('follows Bundle.link next across pages and returns every finished encounter once', async () => {
		const result = await adapter().pollChanges({ since: at(0) }, now);
		expect(result.events.map((event) => event.resourceId)).toEqual(['e1', 'e2', 'e3', 'e4', 'e5', 'e6', 'e7']);
		expect(result.events[0]).toMatchObject({
			ehr: 'fhir',
			topic: 'poll:Encounter',
			resourceType: 'Encounter',
			patientId: 'p-e1',
			occurredAt: at(1),
		});
		expect(result.events[0].eventId).toMatch(/^Encounter\/e1\/_history\/.+/);
		expect(result.nextCursor.since).toBe(at(6));
		expect(result.nextCursor.extra?.seenAtSince?.split(',').sort()).toEqual(
			result.events.filter((event) => event.occurredAt === at(6)).map((event) => event.eventId).sort(),
		);
		const pages = server.requests.filter((request) => request.path === '/Encounter');
		expect(pages).toHaveLength(4);
		expect(pages[0].query).toMatchObject({ status: ['finished'], _lastUpdated: [`ge${at(0)}`], _sort: ['_lastUpdated'], _count: ['2'] });
		expect(pages.slice(1).map((page) => page.query._offset)).toEqual([['2'], ['4'], ['6']]);
	});

	it('keeps the cursor when nothing changed and never moves it backwards', async () => {
		const first = await adapter().pollChanges({ since: at(0) }, now);
		const second = await adapter().pollChanges(first.nextCursor, now);
		expect(second.events).toEqual([]);
		expect(second.nextCursor).toEqual(first.nextCursor);
	});

	it('picks up a resource stamped at the cursor instant that arrived after the last poll', async () => {
		const first = await adapter().pollChanges({ since: at(0) }, now);
		await seedEncounter(server.repo, { id: 'e8', patient: 'p-e8', lastUpdated: at(6) });
		const second = await adapter().pollChanges(first.nextCursor, now);
		expect(second.events.map((event) => event.resourceId)).toEqual(['e8']);
		expect(second.nextCursor.since).toBe(at(6));
		const third = await adapter().pollChanges(second.nextCursor, now);
		expect(third.events).toEqual([]);
	});

	it('resumes after a page limit without skipping anything, with a monotonic cursor', async () => {
		const limited = adapter({ maxPages: 1 });
		const { cursors, ids } = await drain((cursor) => limited.pollChanges(cursor, now), { since: at(0) }, 6);
		expect(ids).toEqual(['e1', 'e2', 'e3', 'e4', 'e5', 'e6', 'e7']);
		const times = cursors.map((cursor) => Date.parse(cursor.since));
		expect(times).toEqual([...times].sort((a, b) => a - b));
	});

	it('emits a new version of an encounter finished again as a new event id', async () => {
		const first = await adapter().pollChanges({ since: at(0) }, now);
		const e3 = await server.repo.readResource('Encounter', 'e3');
		await createResource(server.repo, { ...e3, meta: { lastUpdated: at(20) } });
		const second = await adapter().pollChanges(first.nextCursor, now);
		expect(second.events.map((event) => event.resourceId)).toEqual(['e3']);
		expect(second.events[0].eventId).not.toBe(first.events.find((event) => event.resourceId === 'e3')?.eventId);
		expect(second.nextCursor.since).toBe(at(20));
	});
});

describe('pollChanges, Appointment mode', () => {
	it('polls fulfilled appointments by _lastUpdated', async () => {
		await seedAppointment(server.repo, { id: 'a1', patient: 'p1', status: 'fulfilled', start: at(0), lastUpdated: at(31) });
		await seedAppointment(server.repo, { id: 'a2', patient: 'p2', status: 'booked', start: at(0), lastUpdated: at(32) });
		const result = await adapter({ pollMode: 'appointment' }).pollChanges({ since: at(30) }, now);
		expect(result.events).toEqual([
			expect.objectContaining({ resourceType: 'Appointment', resourceId: 'a1', patientId: 'p1', topic: 'poll:Appointment' }),
		]);
		expect(result.nextCursor.since).toBe(at(31));
	});
});

describe('pollChanges, per-patient mode (servers that require a patient, like Epic)', () => {
	beforeEach(async () => {
		server.settings.requirePatientFor = ['Encounter'];
		// Today's schedule of Dr. Chen: three patients; another practitioner's patient is not polled.
		await seedAppointment(server.repo, { id: 'a1', patient: 'p1', status: 'fulfilled', start: '2026-03-10T14:00:00Z' });
		await seedAppointment(server.repo, { id: 'a2', patient: 'p2', status: 'arrived', start: '2026-03-10T15:00:00Z' });
		await seedAppointment(server.repo, { id: 'a3', patient: 'p3', status: 'booked', start: '2026-03-10T22:00:00Z' });
		await seedAppointment(server.repo, { id: 'a4', patient: 'p4', status: 'fulfilled', start: '2026-03-10T14:00:00Z', practitioner: 'dr2' });
		await seedAppointment(server.repo, { id: 'a5', patient: 'p5', status: 'fulfilled', start: '2026-03-02T14:00:00Z' });
		await seedEncounter(server.repo, { id: 'e1', patient: 'p1', end: '2026-03-10T14:40:00Z' });
		await seedEncounter(server.repo, { id: 'e2', patient: 'p2', status: 'in-progress', end: '2026-03-10T15:40:00Z' });
		await seedEncounter(server.repo, { id: 'e4', patient: 'p4', end: '2026-03-10T14:40:00Z' });
		await seedEncounter(server.repo, { id: 'e5', patient: 'p5', end: '2026-03-02T14:40:00Z' });
	});

	const perPatient = () => adapter({ pollMode: 'perPatient', perPatient: { practitioner: 'dr1', zone: 'America/Chicago' } });

	it('server-wide polling is refused by such a server', async () => {
		await expect(adapter().pollChanges({ since: at(0) }, now)).rejects.toMatchObject({ name: 'EhrHttpError', status: 400 });
	});

	it("finds the day's patients from the practitioner's appointments and polls each by patient", async () => {
		const result = await perPatient().pollChanges({ since: '2026-03-10T00:00:00.000Z' }, now);
		expect(result.events.map((event) => [event.resourceId, event.patientId])).toEqual([['e1', 'p1']]);
		const schedule = server.requests.find((request) => request.path === '/Appointment');
		expect(schedule?.query).toMatchObject({
			practitioner: ['Practitioner/dr1'],
			date: ['ge2026-03-09T00:00:00.000-05:00', 'lt2026-03-11T00:00:00.000-05:00'],
		});
		const encounterSearches = server.requests.filter((request) => request.path === '/Encounter');
		expect(encounterSearches.map((request) => request.query.patient?.[0]).sort()).toEqual(['Patient/p1', 'Patient/p2', 'Patient/p3']);
	});

	it('emits each encounter once across polls, and a later one when it finishes', async () => {
		const poller = perPatient();
		const first = await poller.pollChanges({ since: '2026-03-10T00:00:00.000Z' }, now);
		const second = await poller.pollChanges(first.nextCursor, now);
		expect(second.events).toEqual([]);
		const e2 = await server.repo.readResource('Encounter', 'e2');
		await createResource(server.repo, { ...e2, status: 'finished', meta: { lastUpdated: at(50) } } as typeof e2);
		const third = await poller.pollChanges(second.nextCursor, now);
		expect(third.events.map((event) => event.resourceId)).toEqual(['e2']);
		expect(third.nextCursor.extra?.emitted?.split(',').sort()).toEqual(['Encounter/e1', 'Encounter/e2']);
	});

	it('uses the patient list a workflow supplies instead of the schedule', async () => {
		const result = await adapter({ pollMode: 'perPatient', pollPatients: async () => ['p4', 'p4'] }).pollChanges(
			{ since: '2026-03-10T00:00:00.000Z' },
			now,
		);
		expect(result.events.map((event) => event.resourceId)).toEqual(['e4']);
		expect(server.requests.some((request) => request.path === '/Appointment')).toBe(false);
	});
});
