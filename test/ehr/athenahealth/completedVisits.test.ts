import { emptyPreviewNotice, visitsFromEhr } from '../../../nodes/shared/flows/previewTimeline';
import type { Harness } from './helpers';
import { context, serverNow, startHarness, startSeededHarness } from './helpers';

/** Every request but plain reads, and every read of the destructive changed feed. */
const writesOrFeedReads = (harness: Harness) =>
	harness.server.state.requests.filter((request) => request.method !== 'GET' || request.path.includes('/appointments/changed'));

describe('athenahealth listCompletedVisits (Timeline Preview\'s read-only source)', () => {
	let harness: Harness;

	afterEach(async () => {
		await harness.server.close();
	});

	it('lists the checked-out appointments of the window in every department athena lists, with GETs only', async () => {
		harness = await startSeededHarness();
		harness.server.addDepartment({ departmentid: '2' });
		harness.server.checkOut('5001');
		harness.server.addAppointment({ appointmentid: '5002', patientid: '1001', departmentid: '2', appointmentstatus: '4', date: '03/08/2025' });
		harness.server.addAppointment({ appointmentid: '5003', patientid: '1001', departmentid: '2', appointmentstatus: 'f', date: '03/09/2025' });
		harness.server.addAppointment({ appointmentid: '5004', patientid: '1001', departmentid: '2', appointmentstatus: '3', date: '02/01/2025' });

		const list = await harness.adapter.listCompletedVisits!({ from: '2025-03-03', to: '2025-03-10' });

		expect(list.events.map((event) => [event.resourceId, event.departmentId, event.topic])).toEqual([
			['5001', '1', 'appointments/booked'],
			['5002', '2', 'appointments/booked'],
		]);
		expect(list.read).toBe('athenahealth booked appointments from 03/03/2025 to 03/10/2025 in departments 1, 2: 3 found, 2 checked out (status 3 or 4)');
		const booked = harness.server.state.requests.filter((request) => request.path.endsWith('/appointments/booked'));
		expect(booked.map((request) => request.query)).toEqual([
			{ departmentid: '1', startdate: '03/03/2025', enddate: '03/10/2025' },
			{ departmentid: '2', startdate: '03/03/2025', enddate: '03/10/2025' },
		]);
		expect(writesOrFeedReads(harness)).toEqual([]);
	});

	it('reads only the configured departments, without listing them', async () => {
		harness = await startSeededHarness({ departmentIds: ['1'] });
		const list = await harness.adapter.listCompletedVisits!({ from: '2025-03-10', to: '2025-03-10' });
		expect(list.read).toBe('athenahealth booked appointments on 03/10/2025 in department 1: 1 found, 0 checked out (status 3 or 4)');
		expect(harness.server.state.requests.map((request) => request.path)).toEqual(['/v1/195900/appointments/booked']);
	});

	it('fails naming the read when athena has not enabled the booked-appointments endpoint for the practice', async () => {
		harness = await startSeededHarness();
		harness.server.injectFault({ path: '/appointments/booked', status: 403, body: { error: 'This API is not enabled for this practice.' } });
		await expect(harness.adapter.listCompletedVisits!({ from: '2025-03-10', to: '2025-03-10' })).rejects.toThrow(/reading the booked appointments/);
		expect(writesOrFeedReads(harness)).toEqual([]);
	});
});

describe('the preview of athenahealth visits (visitsFromEhr)', () => {
	let harness: Harness;

	afterEach(async () => {
		await harness.server.close();
	});

	it('finds a visit checked out minutes ago, with no subscription, no feed read and no write', async () => {
		harness = await startSeededHarness();
		harness.server.state.subscription.active = true;
		const change = harness.server.checkOut('5001', new Date(serverNow.getTime() - 5 * 60_000));

		const { visits } = await visitsFromEhr(harness.adapter, context, { now: serverNow.toISOString(), days: 7 });

		expect(visits.map((visit) => [visit.visitId, visit.actionItems.map((item) => item.type)])).toEqual([['5001', ['imaging', 'prescription']]]);
		expect(writesOrFeedReads(harness)).toEqual([]);
		expect(change?.processedAt).toBeUndefined();
	});

	it('leaves athena without a subscription when there is none, and explains the empty result', async () => {
		harness = await startHarness();
		harness.server.addDepartment({ departmentid: '1' });

		const { visits, read } = await visitsFromEhr(harness.adapter, context, { now: serverNow.toISOString(), days: 7 });

		expect(visits).toEqual([]);
		expect(harness.server.state.subscription.active).toBe(false);
		expect(writesOrFeedReads(harness)).toEqual([]);
		// The window's dates are the practice zone's (Chicago): 10:00 on 10 March there, 3 March a week before.
		expect(emptyPreviewNotice(read, 7)).toEqual({
			notice:
				'No visits to preview: none completed in the last 7 days was found. Read: athenahealth booked appointments from 03/03/2025 to 03/10/2025 in department 1: 0 found, 0 checked out (status 3 or 4).',
			read,
		});
	});

	it('says which checked-out appointments it left out, and why', async () => {
		harness = await startSeededHarness();
		harness.server.addAppointment({ appointmentid: '5002', patientid: '1001', departmentid: '1', appointmentstatus: '3', date: '03/03/2025', checkoutdatetime: '03/03/2025 08:00:00' });

		const { visits, read } = await visitsFromEhr(harness.adapter, context, { now: serverNow.toISOString(), days: 7 });

		expect(visits).toEqual([]);
		expect(read).toBe(
			'athenahealth booked appointments from 03/03/2025 to 03/10/2025 in department 1: 2 found, 1 checked out (status 3 or 4); of these, 1 completed before the last 7 days',
		);
	});
});
