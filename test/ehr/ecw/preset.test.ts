import type { Encounter, Patient } from '@medplum/fhirtypes';

import { DomainError } from '../../../nodes/shared/core/errors';
import { createCallBudget, createFhirAdapter } from '../../../nodes/shared/ehr/fhir';
import { ecwGuard } from '../../../nodes/shared/ehr/fhir/ecw';
import type { EcwPresetOptions } from '../../../nodes/shared/ehr/fhir';
import { startEcwServer } from '../../../sandbox/ecw-server';
import type { FhirServer } from '../../../sandbox/fhir-server';
import { createResource, timezoneExtension } from '../../../sandbox/fhir-server';
import { visitEvent } from '../../helpers/fixtures';
import { fetchHttpClient, instantRetryPolicy } from '../../helpers/fetchHttpClient';

let server: FhirServer;
const now = new Date('2026-03-10T20:00:00Z');
const context = { defaultZone: 'America/New_York', defaultLanguage: 'en', schedulingLinks: {} };

beforeAll(async () => {
	server = await startEcwServer();
});
afterAll(async () => await server.close());
beforeEach(() => {
	server.reset();
	server.settings.absentResourceTypes = ['Appointment', 'Subscription', 'Task', 'Communication'];
});

function fakeBudget() {
	let clock = now.getTime();
	const waits: number[] = [];
	return {
		waits,
		budget: createCallBudget(
			() => clock,
			async (ms) => {
				waits.push(ms);
				clock += ms;
			},
		),
	};
}

function adapter(ecw: Partial<EcwPresetOptions> = {}, budget = fakeBudget().budget) {
	return createFhirAdapter({
		http: fetchHttpClient(server.url),
		retry: instantRetryPolicy(),
		budget,
		options: { baseUrl: server.url, ecw: { writeback: false, callsPerMinute: 250, zone: 'America/New_York', ...ecw } },
	});
}

async function seed(status: Encounter['status'], end: string | undefined, location = 'loc-1'): Promise<string> {
	const patient = await createResource<Patient>(server.repo, {
		resourceType: 'Patient',
		name: [{ given: ['Ana'] }],
		telecom: [{ system: 'phone', use: 'mobile', value: '+15125550101' }],
		extension: [timezoneExtension('America/New_York')],
	});
	const encounter = await createResource<Encounter>(server.repo, {
		resourceType: 'Encounter',
		status,
		class: { code: 'AMB' },
		subject: { reference: `Patient/${patient.id}` },
		location: [{ location: { reference: `Location/${location}` } }],
		period: { start: '2026-03-10T15:00:00Z', ...(end ? { end } : {}) },
	});
	return encounter.id;
}

describe('eClinicalWorks preset of the FHIR adapter', () => {
	it('polls Encounter by date and location only (no status, no _lastUpdated) and emits each completed visit once', async () => {
		const finished = await seed('finished', '2026-03-10T15:30:00Z');
		const endedInProgress = await seed('in-progress', '2026-03-10T15:40:00Z');
		await seed('in-progress', undefined);
		await seed('finished', '2026-03-10T15:30:00Z', 'loc-2');
		const poll = adapter({ location: 'loc-1' });
		const first = await poll.pollChanges({ since: now.toISOString() }, now);
		expect(first.events.map((event) => event.resourceId).sort()).toEqual([finished, endedInProgress].sort());
		const search = server.requests.find((request) => request.path === '/Encounter');
		expect(Object.keys(search?.query ?? {}).sort()).toEqual(['_count', 'date', 'location']);
		expect((await poll.pollChanges(first.nextCursor, now)).events).toEqual([]);
	});

	it('the double refuses a search parameter eCW does not support, as eCW does', async () => {
		const response = await fetch(`${server.url}/Encounter?status=finished`);
		expect(response.status).toBe(400);
		expect(JSON.stringify(await response.json())).toContain('not-supported');
	});

	it.each([['status'], ['_lastUpdated'], ['subject']])('refuses locally, before sending, an Encounter search by %s', async (parameter) => {
		const sent: string[] = [];
		const guarded = ecwGuard(async (request) => {
			sent.push(request.url);
			return { status: 200, headers: {}, body: {} };
		});
		await expect(guarded({ method: 'GET', url: '/Encounter', qs: { [parameter]: 'x', date: 'ge2026-03-10' } })).rejects.toThrow(DomainError);
		expect(sent).toEqual([]);
		await guarded({ method: 'GET', url: '/Encounter', qs: { date: 'ge2026-03-10', practitioner: 'Practitioner/1', _count: 10 } });
		expect(sent).toEqual(['/Encounter']);
	});

	it('resolves a completed visit from the encounter\'s own fields', async () => {
		const id = await seed('in-progress', '2026-03-10T15:40:00Z');
		const result = await adapter().resolveVisit({ ehr: 'fhir', eventId: 'e', topic: 'poll:Encounter', resourceType: 'Encounter', resourceId: id }, context);
		expect(result.status).toBe('completed');
		expect(result.status === 'completed' && result.event.kind === 'visit' && result.event.completedAt).toBe('2026-03-10T15:40:00.000Z');
	});

	it.each([
		['planned', 'booked'],
		['finished', 'done'],
		['cancelled', 'open'],
	] as const)('the Booking Check finds a later %s encounter → %s (eCW has no Appointment)', async (status, expected) => {
		const visitId = await seed('finished', '2026-03-10T15:30:00Z');
		const visitEncounter = await server.repo.readResource<Encounter>('Encounter', visitId);
		const patientId = visitEncounter.subject?.reference?.split('/')[1] as string;
		await createResource<Encounter>(server.repo, {
			resourceType: 'Encounter',
			status,
			class: { code: 'AMB' },
			subject: { reference: `Patient/${patientId}` },
			period: { start: '2026-03-24T14:00:00Z' },
		});
		const visit = visitEvent({ patientId, visitId, visitType: 'encounter', zone: 'America/New_York', completedAt: '2026-03-10T15:30:00.000Z', visitDate: '2026-03-10' });
		expect((await adapter().findFollowUp(visit, {})).status).toBe(expected);
		expect(server.requests.some((request) => request.path === '/Appointment')).toBe(false);
	});

	it('without a writeback contract files nothing and leaves the task to the staff notification', async () => {
		const result = await adapter().createTask({ journeyId: 'visit:fhir:e1', patientId: 'p1', visitId: 'e1', title: 't', note: 'n', dueAt: now.toISOString(), priority: 'routine' });
		expect(result).toMatchObject({ kind: 'staffNotice', created: true, taskId: 'notice:visit:fhir:e1' });
		expect(server.requests.some((request) => request.method === 'POST')).toBe(false);
	});

	it('with writeback, creates the Task', async () => {
		server.settings.absentResourceTypes = ['Appointment', 'Subscription'];
		const patient = await createResource<Patient>(server.repo, { resourceType: 'Patient', name: [{ given: ['Ana'] }] });
		const result = await adapter({ writeback: true }).createTask({ journeyId: 'visit:fhir:e2', patientId: patient.id, title: 't', note: 'n', dueAt: now.toISOString(), priority: 'routine' });
		expect(result).toMatchObject({ kind: 'task', created: true });
	});

	it('keeps to the call budget: beyond it, waits for the next minute', async () => {
		await seed('finished', '2026-03-10T15:30:00Z');
		const { budget, waits } = fakeBudget();
		const poll = adapter({ callsPerMinute: 2 }, budget);
		for (let i = 0; i < 3; i++) await poll.pollChanges({ since: now.toISOString() }, now);
		expect(waits).toHaveLength(1);
		expect(waits[0]).toBe(60_000 - (now.getTime() % 60_000));
	});

	it('a 429 blocks the rest of the minute', async () => {
		const { budget, waits } = fakeBudget();
		server.injectFaults({ status: 429, path: '/Encounter' });
		await adapter({}, budget).pollChanges({ since: now.toISOString() }, now);
		expect(waits).toEqual([60_000 - (now.getTime() % 60_000)]);
	});

	it('a budget below one call a minute is a typed error', async () => {
		await expect(createCallBudget(() => 0, async () => {}).take('k', 0)).rejects.toThrow(DomainError);
	});
});
