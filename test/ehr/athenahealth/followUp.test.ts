import type { VisitEvent } from '../../../nodes/shared/core/schemas';
import { createAthenaAdapter } from '../../../nodes/shared/ehr/athenahealth';
import type { AthenaAdapterOptions } from '../../../nodes/shared/ehr/athenahealth';
import type { FollowUpStatus } from '../../../nodes/shared/ehr/types';
import type { AthenaRecord } from '../../../sandbox/athenahealth-server';
import { fetchHttpClient, instantRetryPolicy } from '../../helpers/fetchHttpClient';
import { requestRounds } from '../../helpers/requestRounds';
import type { Harness } from './helpers';
import { context, practiceId, seedVisit, startHarness } from './helpers';

/** The visit: appointment 5001 on Monday 10 March 2025, 09:00 Eastern, checked out 10:40 Eastern. */
async function resolvedVisit(harness: Harness): Promise<VisitEvent> {
	seedVisit(harness.server);
	harness.server.checkOut('5001', new Date('2025-03-10T14:40:00Z'));
	const result = await harness.adapter.resolveVisit(
		{ ehr: 'athenahealth', eventId: 'e', topic: 'Appointment.check-out', resourceType: 'Appointment', resourceId: '5001', practiceId },
		context,
	);
	if (result.status !== 'completed' || result.event.kind !== 'visit') throw new Error('visit did not resolve');
	return result.event;
}

const later = (fields: AthenaRecord & { appointmentid: string }): AthenaRecord & { appointmentid: string } => ({
	patientid: '1001',
	departmentid: '1',
	appointmentstatus: 'f',
	appointmenttypeid: '2',
	...fields,
});

describe('athenahealth findFollowUp', () => {
	let harness: Harness;

	async function start(options: AthenaAdapterOptions = {}, serverOptions = {}) {
		harness = await startHarness(options, serverOptions);
		return await resolvedVisit(harness);
	}

	afterEach(async () => {
		await harness.server.close();
	});

	it.each<[string, Array<AthenaRecord & { appointmentid: string }>, FollowUpStatus]>([
		[
			'a future appointment two weeks later',
			[later({ appointmentid: '5010', date: '03/24/2025', starttime: '10:00' })],
			{ status: 'booked', appointmentId: '5010', start: '2025-03-24T14:00:00.000Z', detail: 'appointment 5010 is future' },
		],
		[
			'a later appointment already checked in',
			[later({ appointmentid: '5010', date: '03/11/2025', starttime: '08:00', appointmentstatus: '2' })],
			{ status: 'booked', appointmentId: '5010', start: '2025-03-11T12:00:00.000Z', detail: 'appointment 5010 is checked in' },
		],
		[
			'a later visit that already took place',
			[later({ appointmentid: '5011', date: '03/12/2025', starttime: '09:00', appointmentstatus: '3' })],
			{ status: 'done', detail: 'a later visit (appointment 5011) was completed' },
		],
		[
			'a follow-up cancelled as a no-show',
			[later({ appointmentid: '5012', date: '03/12/2025', starttime: '09:00', appointmentstatus: 'x', cancelreasonnoshow: true })],
			{ status: 'noShow', appointmentId: '5012', detail: 'the follow-up appointment was a no-show' },
		],
		[
			'a same-day appointment later than the check-out',
			[later({ appointmentid: '5014', date: '03/10/2025', starttime: '15:00' })],
			{ status: 'booked', appointmentId: '5014', start: '2025-03-10T19:00:00.000Z', detail: 'appointment 5014 is future' },
		],
		[
			'only a cancelled follow-up, an earlier same-day visit, an older booking and another patient\'s visit',
			[
				later({ appointmentid: '5015', date: '03/20/2025', starttime: '09:00', appointmentstatus: 'x' }),
				later({ appointmentid: '5013', date: '03/10/2025', starttime: '08:00', appointmentstatus: '3' }),
				later({ appointmentid: '5016', date: '03/01/2025', starttime: '09:00' }),
				later({ appointmentid: '5017', date: '03/20/2025', starttime: '09:00', patientid: '2002' }),
			],
			{ status: 'open', checked: ['visit status', 'patient appointments after the visit'] },
		],
	])('reports %s', async (_name, appointments, expected) => {
		const visit = await start();
		for (const appointment of appointments) harness.server.addAppointment(appointment);
		expect(await harness.adapter.findFollowUp(visit, {})).toEqual(expected);
	});

	it('counts only the requested appointment types', async () => {
		const visit = await start();
		harness.server.addAppointment(later({ appointmentid: '5010', date: '03/24/2025', starttime: '10:00', appointmenttypeid: '2' }));
		harness.server.addAppointment(later({ appointmentid: '5018', date: '04/24/2025', starttime: '10:00', appointmenttypeid: '7' }));
		expect(await harness.adapter.findFollowUp(visit, { appointmentTypes: ['7'] })).toMatchObject({ status: 'booked', appointmentId: '5018' });
		expect(await harness.adapter.findFollowUp(visit, { appointmentTypes: ['9'] })).toMatchObject({ status: 'open' });
	});

	it.each([
		['cancelled', {}, { status: 'visitCancelled', detail: 'the visit appointment was cancelled in athenaOne' }],
		['cancelled as a no-show', { cancelreasonnoshow: 'true' }, { status: 'noShow', appointmentId: '5001', detail: 'the visit was marked a no-show' }],
	])('reports a visit %s since', async (_name, fields, expected) => {
		const visit = await start();
		harness.server.emitChange({ appointmentId: '5001', status: 'x', fields });
		expect(await harness.adapter.findFollowUp(visit, {})).toEqual(expected);
	});

	/** The adapter over requestRounds: answers held back a little and each request's round noted. */
	function recordingAdapter(refuse?: (path: string) => boolean) {
		const token = harness.server.issueToken();
		const recorded = requestRounds(fetchHttpClient(harness.server.url, () => ({ authorization: `Bearer ${token}` })), refuse);
		return { ...recorded, adapter: createAthenaAdapter({ http: recorded.http, practiceId, retry: instantRetryPolicy() }) };
	}

	it('reads the visit and the later appointments at once', async () => {
		const visit = await start();
		const { adapter, rounds } = recordingAdapter();
		expect((await adapter.findFollowUp(visit, {})).status).toBe('open');
		expect(rounds()).toEqual([[`/v1/${practiceId}/appointments/5001`, `/v1/${practiceId}/patients/1001/appointments`]]);
	});

	it('a cancelled visit decides even when reading the appointments fails', async () => {
		const visit = await start();
		harness.server.emitChange({ appointmentId: '5001', status: 'x' });
		const { adapter } = recordingAdapter((path) => path.endsWith('/patients/1001/appointments'));
		expect(await adapter.findFollowUp(visit, {})).toEqual({ status: 'visitCancelled', detail: 'the visit appointment was cancelled in athenaOne' });
	});

	it('a failed appointment read fails the check when the visit stands', async () => {
		const visit = await start();
		const { adapter } = recordingAdapter((path) => path.endsWith('/patients/1001/appointments'));
		await expect(adapter.findFollowUp(visit, {})).rejects.toMatchObject({ name: 'EhrHttpError' });
	});

	it('skips the visit re-read when asked (recall journeys)', async () => {
		const visit = await start();
		harness.server.emitChange({ appointmentId: '5001', status: 'x' });
		const before = harness.server.state.requests.length;
		expect(await harness.adapter.findFollowUp(visit, { checkVisitStatus: false })).toEqual({
			status: 'open',
			checked: ['patient appointments after the visit'],
		});
		const paths = harness.server.state.requests.slice(before).map((request) => request.path);
		expect(paths).toEqual([`/v1/${practiceId}/patients/1001/appointments`]);
	});

	it('asks for past and cancelled appointments, and follows next pages', async () => {
		const visit = await start({}, { defaultPageSize: 1 });
		harness.server.addAppointment(later({ appointmentid: '5016', date: '03/01/2025', starttime: '09:00' }));
		harness.server.addAppointment(later({ appointmentid: '5010', date: '03/24/2025', starttime: '10:00' }));
		const before = harness.server.state.requests.length;
		expect(await harness.adapter.findFollowUp(visit, {})).toMatchObject({ status: 'booked', appointmentId: '5010' });
		const lists = harness.server.state.requests.slice(before).filter((request) => request.path.endsWith('/appointments') && request.path.includes('/patients/'));
		expect(lists[0]?.query).toEqual({ showpast: 'true', showcancelled: 'true' });
		expect(lists).toHaveLength(3);
	});

	it('can search /appointments/booked from the visit date instead', async () => {
		const visit = await start({ followUpSource: 'booked' });
		harness.server.addAppointment(later({ appointmentid: '5010', date: '03/24/2025', starttime: '10:00' }));
		harness.server.addAppointment(later({ appointmentid: '5019', date: '10/24/2025', starttime: '10:00' }));
		expect(await harness.adapter.findFollowUp(visit, {})).toMatchObject({ status: 'booked', appointmentId: '5010' });
		const booked = harness.server.state.requests.filter((request) => request.path.endsWith('/appointments/booked'));
		expect(booked[0]?.query).toEqual({ patientid: '1001', startdate: '03/10/2025', enddate: '09/06/2025', showcancelled: 'true' });
	});
});
