import type { Task } from '@medplum/fhirtypes';

import { parseVisitEvent } from '../../../nodes/shared/core/schemas';
import type { ActionItem, VisitEvent } from '../../../nodes/shared/core/schemas';
import { createFhirAdapter, journeyIdentifierSystem } from '../../../nodes/shared/ehr/fhir';
import type { Escalation, FollowUpStatus } from '../../../nodes/shared/ehr/types';
import { createResource, startFhirServer } from '../../../sandbox/fhir-server';
import type { FhirServer } from '../../../sandbox/fhir-server';
import { fetchHttpClient, instantRetryPolicy } from '../../helpers/fetchHttpClient';
import {
	adapterRecordingRounds,
	seedAppointment,
	seedDispense,
	seedEncounter,
	seedMedicationRequest,
	seedServiceRequest,
} from './fixtures';
import type { AppointmentSeed } from './fixtures';

let server: FhirServer;

beforeAll(async () => {
	server = await startFhirServer();
});

afterAll(async () => {
	await server.close();
});

beforeEach(() => {
	server.reset();
	server.settings.refuseTaskCreate = false;
});

function adapter() {
	return createFhirAdapter({ http: fetchHttpClient(server.url), retry: instantRetryPolicy(), options: { baseUrl: server.url } });
}

function visit(overrides: Partial<VisitEvent> = {}, actionItems: Array<Partial<ActionItem>> = []): VisitEvent {
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
		...overrides,
	});
}

const followUp = (seed: Partial<AppointmentSeed>): AppointmentSeed => ({
	id: 'fu',
	patient: 'p1',
	status: 'booked',
	start: '2026-03-24T15:00:00Z',
	created: '2026-03-10T16:00:00Z',
	...seed,
});

describe('findFollowUp', () => {
	beforeEach(async () => {
		await seedEncounter(server.repo, { id: 'e1', patient: 'p1', end: '2026-03-10T15:30:00Z' });
	});

	it.each<[string, FollowUpStatus['status'], AppointmentSeed[]]>([
		['nothing booked', 'open', []],
		['a booked follow-up', 'booked', [followUp({})]],
		['a pending follow-up', 'booked', [followUp({ status: 'pending' })]],
		['an arrived follow-up', 'booked', [followUp({ status: 'arrived' })]],
		['a checked-in follow-up', 'booked', [followUp({ status: 'checked-in' })]],
		['a follow-up already fulfilled', 'booked', [followUp({ status: 'fulfilled' })]],
		['a follow-up booked without a created date', 'booked', [followUp({ created: undefined })]],
		['only a cancelled follow-up', 'open', [followUp({ status: 'cancelled' })]],
		['an appointment booked months before the visit', 'open', [followUp({ created: '2026-01-05T10:00:00Z' })]],
		['an appointment earlier on the visit day', 'open', [followUp({ start: '2026-03-10T13:00:00Z' })]],
		['another patient booked', 'open', [followUp({ patient: 'p2' })]],
		['a no-show of the follow-up', 'noShow', [followUp({ status: 'noshow' })]],
		['a no-show, then a rebooking', 'booked', [followUp({ id: 'fu1', status: 'noshow' }), followUp({ id: 'fu2', start: '2026-03-31T15:00:00Z' })]],
	])('%s → %s', async (_name, expected, appointments) => {
		for (const appointment of appointments) await seedAppointment(server.repo, appointment);
		const result = await adapter().findFollowUp(visit(), {});
		expect(result.status).toBe(expected);
	});

	it('reports the booked appointment and searches with a full patient reference and an explicit date', async () => {
		await seedAppointment(server.repo, followUp({ id: 'later', start: '2026-04-07T15:00:00Z' }));
		await seedAppointment(server.repo, followUp({ id: 'sooner', status: 'pending' }));
		expect(await adapter().findFollowUp(visit(), {})).toEqual({
			status: 'booked',
			appointmentId: 'sooner',
			start: '2026-03-24T15:00:00Z',
			detail: 'Appointment/sooner is pending',
		});
		const search = server.requests.find((request) => request.path === '/Appointment');
		expect(search?.query).toMatchObject({ patient: ['Patient/p1'], date: ['ge2026-03-10T15:30:00.000Z'] });
	});

	it('lists what it checked when nothing is found', async () => {
		expect(await adapter().findFollowUp(visit(), {})).toEqual({
			status: 'open',
			checked: ['Encounter/e1 is finished', 'Appointment search from 2026-03-10T15:30:00.000Z: 0 found, none booked'],
		});
	});

	it.each([
		['FOLLOWUP', ['FOLLOWUP'], 'booked'],
		['ROUTINE', ['FOLLOWUP'], 'open'],
		['ROUTINE', [], 'booked'],
	])('an appointment of type %s with wanted types %j → %s', async (type, wanted, expected) => {
		await seedAppointment(server.repo, followUp({ type }));
		expect((await adapter().findFollowUp(visit(), { appointmentTypes: wanted })).status).toBe(expected);
	});

	it.each(['cancelled', 'entered-in-error'] as const)('a visit now %s → visitCancelled', async (status) => {
		await seedEncounter(server.repo, { id: 'e1', patient: 'p1', status });
		await seedAppointment(server.repo, followUp({}));
		expect(await adapter().findFollowUp(visit(), {})).toEqual({ status: 'visitCancelled', detail: `Encounter/e1 is now ${status}` });
	});

	it('a visit deleted from the EHR → visitCancelled', async () => {
		await server.repo.deleteResource('Encounter', 'e1');
		expect(await adapter().findFollowUp(visit(), {})).toEqual({ status: 'visitCancelled', detail: 'Encounter/e1 no longer exists' });
	});

	it('an appointment-based visit does not count itself and notices its cancellation', async () => {
		await seedAppointment(server.repo, { id: 'a-visit', patient: 'p1', status: 'fulfilled', start: '2026-03-10T15:30:00Z' });
		const appointmentVisit = visit({ visitId: 'a-visit', visitType: 'appointment' });
		expect((await adapter().findFollowUp(appointmentVisit, {})).status).toBe('open');
		await seedAppointment(server.repo, { id: 'a-visit', patient: 'p1', status: 'cancelled', start: '2026-03-10T15:30:00Z' });
		expect((await adapter().findFollowUp(appointmentVisit, {})).status).toBe('visitCancelled');
	});

	describe('action items', () => {
		beforeEach(async () => {
			await seedServiceRequest(server.repo, { id: 'sr-lab', patient: 'p1', encounter: 'e1', category: '108252007', status: 'completed' });
			await seedMedicationRequest(server.repo, { id: 'mr1', patient: 'p1', encounter: 'e1' });
		});

		const items = [
			{ type: 'lab' as const, orderId: 'sr-lab' },
			{ type: 'prescription' as const, orderId: 'mr1', description: 'Pick up your prescription' },
		];

		it('done when every order is completed and the prescription dispensed', async () => {
			await seedDispense(server.repo, { id: 'md1', patient: 'p1', prescription: 'mr1', status: 'completed' });
			expect(await adapter().findFollowUp(visit({}, items), {})).toEqual({ status: 'done', detail: 'all 2 action item(s) completed' });
		});

		it('open while the prescription is not dispensed, naming what was checked', async () => {
			await seedDispense(server.repo, { id: 'md1', patient: 'p1', prescription: 'mr1', status: 'in-progress' });
			const result = await adapter().findFollowUp(visit({}, items), {});
			expect(result).toEqual({
				status: 'open',
				checked: [
					'Encounter/e1 is finished',
					'Appointment search from 2026-03-10T15:30:00.000Z: 0 found, none booked',
					'ServiceRequest/sr-lab is completed',
					'MedicationDispense for MedicationRequest/mr1: none completed',
				],
			});
		});

		it('an item without an order id cannot be confirmed done', async () => {
			await seedDispense(server.repo, { id: 'md1', patient: 'p1', prescription: 'mr1', status: 'completed' });
			const result = await adapter().findFollowUp(visit({}, [...items, { type: 'referral', description: 'See a specialist' }]), {});
			expect(result.status).toBe('open');
		});
	});
});

// Reads that do not depend on each other go out together, so a journey waits for fewer round trips to an EHR
// across a network.
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
		const { adapter, rounds } = adapterRecordingRounds(server);
		expect(await adapter.findFollowUp(visit({}, items), {})).toEqual({
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
		const { adapter, rounds } = adapterRecordingRounds(server);
		expect((await adapter.findFollowUp(visit({}, items), {})).status).toBe('booked');
		expect(rounds()).toEqual([['/Appointment', '/Encounter/e1']]);
	});

	it('a cancelled visit ends the check even when the appointment search fails', async () => {
		await seedEncounter(server.repo, { id: 'e1', patient: 'p1', status: 'cancelled' });
		const { adapter } = adapterRecordingRounds(server, (path) => path === '/Appointment');
		expect(await adapter.findFollowUp(visit({}, items), {})).toEqual({ status: 'visitCancelled', detail: 'Encounter/e1 is now cancelled' });
	});

	it('a failed appointment search fails the check when the visit stands', async () => {
		const { adapter, sent } = adapterRecordingRounds(server, (path) => path === '/Appointment');
		await expect(adapter.findFollowUp(visit({}, items), {})).rejects.toMatchObject({ name: 'EhrHttpError' });
		expect(sent.map((request) => request.path).filter((path) => path !== '/Appointment')).toEqual(['/Encounter/e1']);
	});
});

describe('createTask', () => {
	const escalation: Escalation = {
		journeyId: 'visit:fhir:e1',
		patientId: 'p1',
		visitId: 'e1',
		visitType: 'encounter',
		orderIds: ['sr-follow-up'],
		title: 'Follow-up not booked after 7 days',
		note: 'Two messages sent (SMS 10 Mar, email 12 Mar); no appointment found. Please call the patient.',
		dueAt: '2026-03-19T17:00:00.000Z',
		priority: 'urgent',
		assigneeId: 'coordinator-7',
		callbackNumber: '+15125550199',
	};

	it('creates a Task the server validates, with identifier, owner, focus and due date', async () => {
		const result = await adapter().createTask(escalation);
		expect(result).toMatchObject({ kind: 'task', created: true });
		expect(result.url).toBe(`${server.url}/Task/${result.taskId}`);
		const task = await server.repo.readResource<Task>('Task', result.taskId);
		expect(task).toMatchObject({
			status: 'requested',
			intent: 'order',
			priority: 'urgent',
			identifier: [{ system: journeyIdentifierSystem, value: 'visit:fhir:e1' }],
			code: { text: escalation.title },
			description: escalation.note,
			for: { reference: 'Patient/p1' },
			focus: { reference: 'Encounter/e1' },
			encounter: { reference: 'Encounter/e1' },
			owner: { reference: 'Practitioner/coordinator-7' },
			restriction: { period: { end: escalation.dueAt } },
			note: [{ text: 'Call back: +15125550199' }],
		});
	});

	it('is idempotent: an open task for the journey is returned, not duplicated', async () => {
		const first = await adapter().createTask(escalation);
		const second = await adapter().createTask({ ...escalation, note: 'retried' });
		expect(second).toEqual({ ...first, created: false });
		const search = server.requests.filter((request) => request.path === '/Task' && request.method === 'GET').at(-1);
		expect(search?.query).toMatchObject({
			identifier: [`${journeyIdentifierSystem}|visit:fhir:e1`],
			patient: ['Patient/p1'],
		});
		const tasks = await server.repo.search({ resourceType: 'Task' });
		expect(tasks.entry).toHaveLength(1);
	});

	it('creates a new task when the earlier one was completed', async () => {
		const first = await adapter().createTask(escalation);
		const task = await server.repo.readResource<Task>('Task', first.taskId);
		await createResource(server.repo, { ...task, status: 'completed', meta: undefined });
		const second = await adapter().createTask(escalation);
		expect(second.created).toBe(true);
		expect(second.taskId).not.toBe(first.taskId);
	});

	it('keeps a full owner reference as given', async () => {
		const result = await adapter().createTask({ ...escalation, assigneeId: 'PractitionerRole/care-coordination' });
		expect((await server.repo.readResource<Task>('Task', result.taskId)).owner).toEqual({ reference: 'PractitionerRole/care-coordination' });
	});

	describe('on a server that refuses Task create (Epic mode)', () => {
		beforeEach(() => {
			server.settings.refuseTaskCreate = true;
		});

		it('sends a Communication to the assignee about the visit', async () => {
			const result = await adapter().createTask(escalation);
			expect(result).toMatchObject({ kind: 'communication', created: true });
			expect(result.url).toBe(`${server.url}/Communication/${result.taskId}`);
			const message = await server.repo.readResource('Communication', result.taskId);
			expect(message).toMatchObject({
				status: 'in-progress',
				priority: 'urgent',
				identifier: [{ system: journeyIdentifierSystem, value: 'visit:fhir:e1' }],
				subject: { reference: 'Patient/p1' },
				recipient: [{ reference: 'Practitioner/coordinator-7' }],
				about: [{ reference: 'Encounter/e1' }],
				payload: [{ contentString: `${escalation.title}\n${escalation.note}\nCall back: +15125550199` }],
			});
			expect(server.requests.some((request) => request.method === 'POST' && request.path === '/Task' && request.status === 403)).toBe(true);
		});

		it('is idempotent too', async () => {
			const first = await adapter().createTask(escalation);
			const second = await adapter().createTask(escalation);
			expect(second).toEqual({ ...first, created: false });
			expect((await server.repo.search({ resourceType: 'Communication' })).entry).toHaveLength(1);
		});
	});

	it('a refusal that is not "unsupported" is an error, not a Communication', async () => {
		await expect(adapter().createTask({ ...escalation, dueAt: 'not-a-date' })).rejects.toMatchObject({
			name: 'EhrHttpError',
			status: 400,
		});
		expect((await server.repo.search({ resourceType: 'Communication' })).entry).toBeUndefined();
	});
});
