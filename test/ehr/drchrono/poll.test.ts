import { DomainError } from '../../../nodes/shared/core/errors';
import type { PollCursor } from '../../../nodes/shared/ehr/types';
import type { SandboxStatusTransition } from '../../../sandbox/drchrono-server';
import { addAppointment, apiCalls, context, NOW, startFixture } from './fixtures';
import type { Fixture } from './fixtures';

const completeAt = (id: string, at: string): SandboxStatusTransition[] => [
	{ appointment: id, datetime: at, from_status: 'In Session', to_status: 'Complete' },
];

/** A day of completed visits (local 08:00–09:40, CDT = UTC-5) plus noise the poller must skip. */
function seedDay(fixture: Fixture): void {
	for (const [index, minute] of [0, 10, 20, 30, 40].entries()) {
		const id = String(8100 + index);
		const at = `2026-03-10T08:${String(minute).padStart(2, '0')}:00`;
		addAppointment(fixture.server, { id, scheduled_time: '2026-03-10T07:30:00', status: 'Complete', updated_at: at, status_transitions: completeAt(id, at) });
	}
	addAppointment(fixture.server, { id: '8200', scheduled_time: '2026-03-10T09:00:00', status: 'Arrived', updated_at: '2026-03-10T09:01:00' });
	addAppointment(fixture.server, { id: '8201', scheduled_time: '2026-03-10T09:00:00', status: 'Complete', updated_at: '2026-03-10T09:02:00', patient: null, appt_is_break: true });
}

describe('DrChrono pollChanges', () => {
	let fixture: Fixture;
	beforeEach(async () => {
		fixture = await startFixture({ defaultPageSize: 25 });
		seedDay(fixture);
	});
	afterEach(async () => {
		await fixture.server.close();
	});

	const start: PollCursor = { since: '2026-03-10T12:00:00Z' };

	it('follows `next` across pages and emits one event per completed visit', async () => {
		const result = await fixture.adapter({ pageSize: 2 }).pollChanges(start, NOW);
		expect(result.events.map((event) => event.eventId)).toEqual([
			'appointment:8100:2026-03-10T08:00:00',
			'appointment:8101:2026-03-10T08:10:00',
			'appointment:8102:2026-03-10T08:20:00',
			'appointment:8103:2026-03-10T08:30:00',
			'appointment:8104:2026-03-10T08:40:00',
		]);
		expect(result.events[0]).toMatchObject({
			ehr: 'drchrono',
			topic: 'appointment.complete',
			resourceType: 'Appointment',
			resourceId: '8100',
			patientId: '5001',
			departmentId: '2001',
			occurredAt: '2026-03-10T08:00:00-05:00',
		});
		expect(result.nextCursor).toEqual({ since: '2026-03-10T13:40:00Z', extra: { idsAtSince: '8104' } });

		const calls = apiCalls(fixture.server, '/api/appointments');
		expect(calls).toHaveLength(3);
		expect(calls[0]!.query).toEqual({ page_size: '2', since: '2026-03-09', status: 'Complete', verbose: 'true' });
		expect(calls[1]!.query.cursor).toBeDefined();
		expect(calls.every((call) => call.authorized)).toBe(true);
	});

	it('reads pages whose list key is `data` (what DrChrono\'s OpenAPI says)', async () => {
		const dataServer = await startFixture({ listKey: 'data' });
		try {
			seedDay(dataServer);
			const result = await dataServer.adapter({ pageSize: 3 }).pollChanges(start, NOW);
			expect(result.events).toHaveLength(5);
		} finally {
			await dataServer.server.close();
		}
	});

	it('emits nothing twice: the next poll with the returned cursor is empty until a new completion', async () => {
		const adapter = fixture.adapter();
		const first = await adapter.pollChanges(start, NOW);
		const second = await adapter.pollChanges(first.nextCursor, NOW);
		expect(second.events).toEqual([]);
		expect(second.nextCursor).toEqual(first.nextCursor);

		await fixture.server.completeAppointment('9001');
		const third = await adapter.pollChanges(second.nextCursor, NOW);
		expect(third.events.map((event) => event.resourceId)).toEqual(['9001']);
		expect(third.nextCursor).toEqual({ since: '2026-03-10T15:00:00Z', extra: { idsAtSince: '9001' } });
	});

	it('keeps visits updated in the same second as the cursor that it has not seen yet', async () => {
		const cursor: PollCursor = { since: '2026-03-10T13:40:00Z', extra: { idsAtSince: '8104' } };
		addAppointment(fixture.server, { id: '8105', scheduled_time: '2026-03-10T07:30:00', status: 'Complete', updated_at: '2026-03-10T08:40:00', status_transitions: completeAt('8105', '2026-03-10T08:40:00') });
		const result = await fixture.adapter().pollChanges(cursor, NOW);
		expect(result.events.map((event) => event.resourceId)).toEqual(['8105']);
		expect(result.nextCursor.extra).toEqual({ idsAtSince: '8104,8105' });
	});

	it('does not re-emit a visit completed before the cursor when it is edited later', async () => {
		const cursor: PollCursor = { since: '2026-03-10T13:45:00Z', extra: {} };
		const edited = fixture.server.state.appointments.get('8100')!;
		edited.updated_at = '2026-03-10T09:50:00';
		const result = await fixture.adapter().pollChanges(cursor, NOW);
		expect(result.events).toEqual([]);
		expect(result.nextCursor).toEqual({ since: '2026-03-10T14:50:00Z', extra: { idsAtSince: '8100' } });
	});

	it('hands the polled appointment to resolveVisit, which reads it once more from DrChrono (an item proves nothing)', async () => {
		const adapter = fixture.adapter();
		const { events } = await adapter.pollChanges(start, NOW);
		const before = apiCalls(fixture.server, '/api/appointments/8100').length;
		const resolved = await adapter.resolveVisit(events[0]!, context);
		expect(resolved).toMatchObject({ status: 'completed', event: { visitId: '8100', completedAt: '2026-03-10T08:00:00-05:00' } });
		// Issue 19: resolveVisit never takes an event's copy as the visit, whichever trigger emitted it.
		expect(apiCalls(fixture.server, '/api/appointments/8100')).toHaveLength(before + 1);
	});

	it('asks for each doctor once per adapter', async () => {
		await fixture.adapter().pollChanges(start, NOW);
		expect(apiCalls(fixture.server, '/api/doctors/1001')).toHaveLength(1);
	});

	it('never moves the cursor past now (a time ahead of the clock means a zone mismatch)', async () => {
		addAppointment(fixture.server, { id: '8300', scheduled_time: '2026-03-10T11:00:00', status: 'Complete', updated_at: '2026-03-10T11:30:00', status_transitions: completeAt('8300', '2026-03-10T11:30:00') });
		const result = await fixture.adapter().pollChanges(start, NOW);
		expect(result.events.map((event) => event.resourceId)).toContain('8300');
		expect(result.nextCursor).toEqual({ since: '2026-03-10T15:00:00Z', extra: {} });
	});

	it('needs a zone: the doctor\'s, else the adapter default', async () => {
		fixture.server.state.doctors.get(1001)!.timezone = '';
		await expect(fixture.adapter().pollChanges(start, NOW)).rejects.toBeInstanceOf(DomainError);
		const result = await fixture.adapter({ defaultZone: 'America/New_York' }).pollChanges(start, NOW);
		expect(result.events[0]?.occurredAt).toBe('2026-03-10T08:00:00-04:00');
	});

	it('refuses a cursor that is not a date-time', async () => {
		await expect(fixture.adapter().pollChanges({ since: 'yesterday' }, NOW)).rejects.toMatchObject({ code: 'invalid_input', field: 'since' });
	});
});
