import type { VisitEvent } from '../../../nodes/shared/core/schemas';
import { createDrChronoAdapter } from '../../../nodes/shared/ehr/drchrono';
import { EhrHttpError } from '../../../nodes/shared/ehr/http';
import type { FollowUpStatus } from '../../../nodes/shared/ehr/types';
import type { SandboxAppointment } from '../../../sandbox/drchrono-server';
import { fetchHttpClient, instantRetryPolicy } from '../../helpers/fetchHttpClient';
import { requestRounds } from '../../helpers/requestRounds';
import { addAppointment, apiCalls, context, startFixture, TOKEN } from './fixtures';
import type { Fixture } from './fixtures';

/** The demo visit 9001: scheduled 09:00, completed 10:00 local on 2026-03-10 (Chicago). */
async function completedVisit(fixture: Fixture): Promise<VisitEvent> {
	const result = await fixture.adapter().resolveVisit(await fixture.completeDemoVisit(), context);
	if (result.status !== 'completed' || result.event.kind !== 'visit') throw new Error('visit not completed');
	return result.event;
}

type Later = Partial<SandboxAppointment> & Pick<SandboxAppointment, 'scheduled_time'>;

describe('DrChrono findFollowUp', () => {
	let fixture: Fixture;
	let visit: VisitEvent;
	beforeEach(async () => {
		fixture = await startFixture();
		visit = await completedVisit(fixture);
	});
	afterEach(async () => {
		await fixture.server.close();
	});

	const booked: Later = { id: '9101', scheduled_time: '2026-03-24T09:30:00', created_at: '2026-03-10T10:05:00', status: 'Confirmed' };

	it.each<[string, Later[], FollowUpStatus]>([
		[
			'nothing booked → open, naming the windows searched',
			[],
			{ status: 'open', checked: ['appointments 2026-03-10/2026-06-07', 'appointments 2026-06-08/2026-09-05', 'appointments 2026-09-06/2026-09-06'] },
		],
		[
			'a follow-up booked after the visit → booked',
			[booked],
			{ status: 'booked', appointmentId: '9101', start: '2026-03-24T09:30:00-05:00', detail: 'booked for 2026-03-24 (status "Confirmed")' },
		],
		[
			'a follow-up booked at checkout, before the status flipped to Complete → booked',
			[{ ...booked, created_at: '2026-03-10T09:45:00', status: '' }],
			{ status: 'booked', appointmentId: '9101', start: '2026-03-24T09:30:00-05:00', detail: 'booked for 2026-03-24 (status "none")' },
		],
		[
			'the earliest of two bookings',
			[booked, { ...booked, id: '9102', scheduled_time: '2026-03-17T14:00:00' }],
			{ status: 'booked', appointmentId: '9102', start: '2026-03-17T14:00:00-05:00', detail: 'booked for 2026-03-17 (status "Confirmed")' },
		],
		[
			'an appointment booked before the visit (a standing series) → open',
			[{ ...booked, created_at: '2026-02-01T12:00:00' }],
			expect.objectContaining({ status: 'open' }),
		],
		['a cancelled follow-up → open', [{ ...booked, status: 'Cancelled' }], expect.objectContaining({ status: 'open' })],
		['a rescheduled follow-up → open', [{ ...booked, status: 'Rescheduled' }], expect.objectContaining({ status: 'open' })],
		['a deleted follow-up → open', [{ ...booked, deleted_flag: true }], expect.objectContaining({ status: 'open' })],
		['a break → open', [{ ...booked, patient: null, appt_is_break: true }], expect.objectContaining({ status: 'open' })],
		[
			'a follow-up the patient did not come to → noShow',
			[{ ...booked, status: 'No Show' }],
			{ status: 'noShow', appointmentId: '9101', detail: 'follow-up appointment of 2026-03-24 is No Show' },
		],
		[
			'a no-show, then a new booking → booked',
			[{ ...booked, status: 'No Show' }, { ...booked, id: '9103', scheduled_time: '2026-04-02T08:00:00', created_at: '2026-03-25T11:00:00' }],
			expect.objectContaining({ status: 'booked', appointmentId: '9103' }),
		],
		[
			'a follow-up that already took place → done',
			[{ ...booked, status: 'Complete' }],
			{ status: 'done', detail: 'follow-up appointment 9101 is Complete' },
		],
		[
			'a booking in the last window (day 170)',
			[{ ...booked, scheduled_time: '2026-08-27T10:00:00' }],
			expect.objectContaining({ status: 'booked', appointmentId: '9101' }),
		],
		[
			'a booking beyond the search window (day 200) → open',
			[{ ...booked, scheduled_time: '2026-09-26T10:00:00' }],
			expect.objectContaining({ status: 'open' }),
		],
	])('%s', async (_label, later, expected) => {
		for (const appointment of later) addAppointment(fixture.server, appointment);
		expect(await fixture.adapter().findFollowUp(visit, {})).toEqual(expected);
	});

	it('splits the 180-day search into date_range windows no longer than maxDateRangeDays', async () => {
		await fixture.adapter({ maxDateRangeDays: 60 }).findFollowUp(visit, {});
		const ranges = apiCalls(fixture.server, '/api/appointments').map((call) => call.query.date_range);
		expect(ranges).toEqual(['2026-03-10/2026-05-08', '2026-05-09/2026-07-07', '2026-07-08/2026-09-05', '2026-09-06/2026-09-06']);
		expect(apiCalls(fixture.server, '/api/appointments').every((call) => call.query.patient === '5001')).toBe(true);
	});

	it('reports a window DrChrono refuses as an EhrHttpError (the real cap is undocumented)', async () => {
		const error = await fixture.adapter({ maxDateRangeDays: 120 }).findFollowUp(visit, {}).catch((caught: unknown) => caught);
		expect(error).toBeInstanceOf(EhrHttpError);
		expect(error).toMatchObject({
			status: 400,
			vendorMessage: "listing the patient's appointments: rejected the request (date_range may span at most 90 days)",
		});
	});

	it.each([
		['matching', ['302'], 'booked'],
		['other', ['301', '303'], 'open'],
		['no', [], 'booked'],
	])('filters by appointment profile (%s profile ids)', async (_label, appointmentTypes, status) => {
		addAppointment(fixture.server, { ...booked, profile: 302 });
		expect(await fixture.adapter().findFollowUp(visit, { appointmentTypes })).toMatchObject({ status });
	});

	it.each<[string, Partial<SandboxAppointment> | 'delete', FollowUpStatus]>([
		['cancelled after completion', { status: 'Cancelled' }, { status: 'visitCancelled', detail: 'the visit appointment is now Cancelled' }],
		['deleted in DrChrono', 'delete', { status: 'visitCancelled', detail: 'the visit appointment was deleted in DrChrono' }],
	])('reports the visit %s as visitCancelled', async (_label, change, expected) => {
		addAppointment(fixture.server, booked);
		const appointment = fixture.server.state.appointments.get('9001')!;
		if (change === 'delete') appointment.deleted_flag = true;
		else Object.assign(appointment, change);
		expect(await fixture.adapter().findFollowUp(visit, {})).toEqual(expected);
	});

	it('refuses a visit of another EHR', async () => {
		await expect(fixture.adapter().findFollowUp({ ...visit, ehr: 'fhir' }, {})).rejects.toMatchObject({ field: 'ehr' });
	});

	/** The adapter over requestRounds: answers held back a little and each request's round noted. */
	function recordingAdapter(refuse?: (path: string) => boolean) {
		const recorded = requestRounds(fetchHttpClient(fixture.server.url, () => ({ authorization: `Bearer ${TOKEN}` })), refuse);
		return { ...recorded, adapter: createDrChronoAdapter({ http: recorded.http, retry: instantRetryPolicy() }) };
	}

	it('reads the visit and every date_range window at once', async () => {
		const { adapter, rounds } = recordingAdapter();
		expect((await adapter.findFollowUp(visit, {})).status).toBe('open');
		expect(rounds()).toEqual([['/api/appointments', '/api/appointments', '/api/appointments', '/api/appointments/9001']]);
	});

	it('a cancelled visit decides even when listing the appointments fails', async () => {
		fixture.server.state.appointments.get('9001')!.status = 'Cancelled';
		const { adapter } = recordingAdapter((path) => path === '/api/appointments');
		expect(await adapter.findFollowUp(visit, {})).toEqual({ status: 'visitCancelled', detail: 'the visit appointment is now Cancelled' });
	});

	it('a failed listing fails the check when the visit stands', async () => {
		const { adapter } = recordingAdapter((path) => path === '/api/appointments');
		await expect(adapter.findFollowUp(visit, {})).rejects.toBeInstanceOf(EhrHttpError);
	});
});
