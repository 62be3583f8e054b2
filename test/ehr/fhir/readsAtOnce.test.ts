import { parseVisitEvent } from '../../../nodes/shared/core/schemas';
import type { ActionItem, VisitEvent } from '../../../nodes/shared/core/schemas';
import { createFhirAdapter } from '../../../nodes/shared/ehr/fhir';
import { startFhirServer } from '../../../sandbox/fhir-server';
import type { FhirServer } from '../../../sandbox/fhir-server';
import { fetchHttpClient, instantRetryPolicy } from '../../helpers/fetchHttpClient';
import { requestRounds } from '../../helpers/requestRounds';
import {
	context,
	seedAppointment,
	seedDispense,
	seedEncounter,
	seedMedicationRequest,
	seedPatient,
	seedServiceRequest,
} from './fixtures';

// Reads that do not depend on each other go out together, so a journey waits for fewer round trips to an EHR
// across a network: fetching a visit again takes two instead of four, a booking check two instead of three.

let server: FhirServer;

beforeAll(async () => {
	server = await startFhirServer();
});

afterAll(async () => {
	await server.close();
});

beforeEach(() => server.reset());

/** The sandbox's FHIR server, its answers held back a little and each request's round noted (requestRounds). */
function roundsRecorded(refuse?: (path: string) => boolean) {
	const { http, rounds, sent } = requestRounds(fetchHttpClient(server.url), refuse);
	return { adapter: createFhirAdapter({ http, retry: instantRetryPolicy(), options: { baseUrl: server.url } }), rounds, sent };
}

function visit(actionItems: Array<Partial<ActionItem>> = []): VisitEvent {
	return parseVisitEvent({
		kind: 'visit',
		ehr: 'fhir',
		patientId: 'p1',
		zone: 'America/Chicago',
		zoneSource: 'practice',
		patient: { firstName: 'Maria' },
		visitId: 'e1',
		visitType: 'encounter',
		completedAt: '2026-03-10T15:30:00.000Z',
		visitDate: '2026-03-10',
		actionItems: actionItems.map((item) => ({ type: 'lab', description: 'Get your lab work done', ...item })),
	});
}

describe('resolveVisit reads what it can at once', () => {
	beforeEach(async () => {
		await seedPatient(server.repo, { id: 'p1', zone: 'America/Chicago' });
		await seedServiceRequest(server.repo, { id: 'sr-lab', patient: 'p1', encounter: 'e1', category: '108252007' });
		await seedMedicationRequest(server.repo, { id: 'mr1', patient: 'p1', encounter: 'e1', authoredOn: '2026-03-10T16:00:00Z' });
	});

	it('an encounter: the visit, then its patient and both kinds of order together', async () => {
		await seedEncounter(server.repo, { id: 'e1', patient: 'p1', end: '2026-03-10T15:30:00Z' });
		const { adapter, rounds } = roundsRecorded();
		const result = await adapter.resolveVisit(
			{ ehr: 'fhir', eventId: 'sub1#1', topic: 'encounter-complete', resourceType: 'Encounter', resourceId: 'e1' },
			context,
		);
		expect(result.status === 'completed' && result.event.kind === 'visit' && result.event.actionItems.map((item) => item.orderId)).toEqual([
			'sr-lab',
			'mr1',
		]);
		expect(rounds()).toEqual([['/Encounter/e1'], ['/MedicationRequest', '/Patient/p1', '/ServiceRequest']]);
	});

	it('an appointment: the visit, its patient (whose zone dates the orders), then both kinds of order together', async () => {
		await seedAppointment(server.repo, { id: 'a1', patient: 'p1', status: 'fulfilled', start: '2026-03-10T15:00:00Z' });
		const { adapter, rounds } = roundsRecorded();
		const result = await adapter.resolveVisit(
			{ ehr: 'fhir', eventId: 'sub1#2', topic: 'appointment-complete', resourceType: 'Appointment', resourceId: 'a1' },
			context,
		);
		expect(result.status).toBe('completed');
		expect(rounds()).toEqual([['/Appointment/a1'], ['/Patient/p1'], ['/MedicationRequest', '/ServiceRequest']]);
	});
});

describe('findFollowUp reads what it can at once', () => {
	const items = [
		{ type: 'lab' as const, orderId: 'sr-lab' },
		{ type: 'prescription' as const, orderId: 'mr1', description: 'Pick up your prescription' },
	];

	beforeEach(async () => {
		await seedEncounter(server.repo, { id: 'e1', patient: 'p1', end: '2026-03-10T15:30:00Z' });
		await seedServiceRequest(server.repo, { id: 'sr-lab', patient: 'p1', encounter: 'e1', category: '108252007' });
		await seedMedicationRequest(server.repo, { id: 'mr1', patient: 'p1', encounter: 'e1' });
	});

	it('nothing booked: the visit and the appointments together, then every open order together', async () => {
		await seedDispense(server.repo, { id: 'md1', patient: 'p1', prescription: 'mr1', status: 'in-progress' });
		const { adapter, rounds } = roundsRecorded();
		expect(await adapter.findFollowUp(visit(items), {})).toEqual({
			status: 'open',
			checked: [
				'Encounter/e1 is finished',
				'Appointment search from 2026-03-10T15:30:00.000Z: 0 found, none booked',
				'ServiceRequest/sr-lab is active',
				'MedicationDispense for MedicationRequest/mr1: none completed',
			],
		});
		expect(rounds()).toEqual([
			['/Appointment', '/Encounter/e1'],
			['/MedicationDispense', '/ServiceRequest/sr-lab'],
		]);
	});

	it('a follow-up booked: the orders are not read', async () => {
		await seedAppointment(server.repo, { id: 'fu', patient: 'p1', status: 'booked', start: '2026-03-24T15:00:00Z', created: '2026-03-10T16:00:00Z' });
		const { adapter, rounds } = roundsRecorded();
		expect((await adapter.findFollowUp(visit(items), {})).status).toBe('booked');
		expect(rounds()).toEqual([['/Appointment', '/Encounter/e1']]);
	});

	it('a cancelled visit ends the check even when the appointment search fails', async () => {
		await seedEncounter(server.repo, { id: 'e1', patient: 'p1', status: 'cancelled' });
		const { adapter } = roundsRecorded((path) => path === '/Appointment');
		expect(await adapter.findFollowUp(visit(items), {})).toEqual({ status: 'visitCancelled', detail: 'Encounter/e1 is now cancelled' });
	});

	it('a failed appointment search fails the check when the visit stands', async () => {
		const { adapter, sent } = roundsRecorded((path) => path === '/Appointment');
		await expect(adapter.findFollowUp(visit(items), {})).rejects.toMatchObject({ name: 'EhrHttpError' });
		expect(sent.map((request) => request.path).filter((path) => path !== '/Appointment')).toEqual(['/Encounter/e1']);
	});
});
