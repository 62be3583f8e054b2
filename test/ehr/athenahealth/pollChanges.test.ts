import { lastReadWindow } from '../../../nodes/shared/ehr/athenahealth';
import type { AthenaSandbox } from '../../../sandbox/athenahealth-server';
import type { Harness } from './helpers';
import { practiceId, seedVisit, serverNow, startHarness, startSeededHarness } from './helpers';

const since = '2025-03-10T14:00:00Z';
const minutes = (n: number) => new Date(serverNow.getTime() + n * 60_000);

function addVisits(server: AthenaSandbox, ids: string[], departmentid = '1'): void {
	for (const appointmentid of ids) {
		server.addAppointment({ appointmentid, patientid: '1001', departmentid, appointmentstatus: '2', date: '03/10/2025', starttime: '09:30' });
	}
}

function requestsTo(server: AthenaSandbox, method: string, path: string) {
	return server.state.requests.filter((request) => request.method === method && request.path === `/v1/${practiceId}${path}`);
}

describe('athenahealth pollChanges (destructive changed feed)', () => {
	let harness: Harness;

	afterEach(async () => {
		await harness.server.close();
	});

	it('subscribes once when athena says the feed needs setup, then reads changes made after that', async () => {
		harness = await startSeededHarness();

		const first = await harness.adapter.pollChanges({ since }, harness.clock.now);
		expect(first.events).toEqual([]);
		expect(harness.server.state.subscription.active).toBe(true);
		expect(requestsTo(harness.server, 'POST', '/appointments/changed/subscription')).toHaveLength(1);
		expect(requestsTo(harness.server, 'POST', '/appointments/changed/subscription')[0]?.form).toEqual({});
		expect(requestsTo(harness.server, 'GET', '/appointments/changed')).toHaveLength(2);
		expect(first.nextCursor).toEqual({
			since: '2025-03-10T15:00:00.000Z',
			extra: {
				lastReadStart: '03/10/2025 10:55:00',
				lastReadEnd: '03/10/2025 11:05:00',
				// The end of the read, rounded up to the second (the read itself takes real milliseconds).
				lastReadAt: expect.stringMatching(/^03\/10\/2025 11:00:\d\d$/),
				subscriptionRequestedAt: '2025-03-10T15:00:00.000Z',
			},
		});

		harness.server.checkOut('5001', minutes(1));
		harness.clock.now = minutes(2);
		const second = await harness.adapter.pollChanges(first.nextCursor, harness.clock.now);
		expect(second.events.map((event) => event.resourceId)).toEqual(['5001']);
		expect(requestsTo(harness.server, 'POST', '/appointments/changed/subscription')).toHaveLength(1);
		expect(second.nextCursor.extra?.subscriptionRequestedAt).toBeUndefined();
	});

	it('subscribes to the configured events only, so athena queues nothing else', async () => {
		harness = await startSeededHarness({ subscriptionEvents: ['CheckOut'] });
		addVisits(harness.server, ['5002']);
		await harness.adapter.pollChanges({ since }, harness.clock.now);
		expect(requestsTo(harness.server, 'POST', '/appointments/changed/subscription')[0]?.form).toEqual({ eventname: 'CheckOut' });
		harness.server.emitChange({ appointmentId: '5002', status: 'x' });
		harness.server.checkOut('5001');
		expect(harness.server.state.changedFeed.map((entry) => entry.eventName)).toEqual(['CheckOut']);
	});

	it('emits completed visits only, consumes the feed, and re-reads the consumed window without consuming more', async () => {
		harness = await startHarness();
		harness.server.state.subscription.active = true;
		seedVisit(harness.server);
		addVisits(harness.server, ['5002', '5003', '5004']);
		harness.server.checkOut('5001', new Date('2025-03-10T14:40:00Z'));
		harness.server.emitChange({ appointmentId: '5002', status: '4', at: new Date('2025-03-10T14:45:00Z') });
		harness.server.emitChange({ appointmentId: '5003', status: 'x', at: new Date('2025-03-10T14:50:00Z') });

		const first = await harness.adapter.pollChanges({ since }, harness.clock.now);
		expect(first.events).toEqual([
			{
				ehr: 'athenahealth',
				eventId: 'appointment:5001:status:3:03/10/2025 10:40:00',
				topic: 'appointments/changed',
				resourceType: 'Appointment',
				resourceId: '5001',
				practiceId,
				patientId: '1001',
				departmentId: '1',
				resource: { appointmentid: '5001', appointmentstatus: '3', departmentid: '1', date: '03/10/2025', lastmodified: '03/10/2025 10:40:00' },
				occurredAt: '2025-03-10T14:40:00.000Z',
			},
			expect.objectContaining({ eventId: 'appointment:5002:status:4:03/10/2025 10:45:00', resourceId: '5002' }),
		]);
		// The cancellation was read (and consumed) too: athena's GET is destructive for everything it returns.
		expect(harness.server.state.changedFeed.every((entry) => entry.processedAt !== undefined)).toBe(true);

		harness.clock.now = minutes(1);
		harness.server.checkOut('5004', minutes(1));
		const window = lastReadWindow(first.nextCursor);
		expect(window).toEqual({ start: '03/10/2025 10:55:00', end: '03/10/2025 11:05:00' });
		const reread = await harness.adapter.rereadProcessed(window!);
		expect(reread.map((event) => event.eventId)).toEqual(first.events.map((event) => event.eventId));
		expect(requestsTo(harness.server, 'GET', '/appointments/changed').at(-1)?.query).toEqual({
			showprocessedstartdatetime: '03/10/2025 10:55:00',
			showprocessedenddatetime: '03/10/2025 11:05:00',
			leaveunprocessed: 'true',
		});

		harness.clock.now = minutes(2);
		const second = await harness.adapter.pollChanges(first.nextCursor, harness.clock.now);
		expect(second.events.map((event) => event.resourceId)).toEqual(['5004']);
		const third = await harness.adapter.pollChanges(second.nextCursor, minutes(3));
		expect(third.events).toEqual([]);
	});

	it('recovers what a failed poll consumed: the next poll re-reads from the end of the last saved read', async () => {
		harness = await startHarness();
		harness.server.state.subscription.active = true;
		seedVisit(harness.server);
		const saved = await harness.adapter.pollChanges({ since }, harness.clock.now);
		expect(saved.events).toEqual([]);

		harness.server.checkOut('5001', minutes(10));
		harness.clock.now = minutes(11);
		// This poll reads (and so consumes) the check-out, then the execution dies before n8n saves anything.
		const lost = await harness.adapter.pollChanges(saved.nextCursor, harness.clock.now);
		expect(lost.events.map((event) => event.resourceId)).toEqual(['5001']);
		expect(harness.server.state.changedFeed.filter((entry) => !entry.processedAt)).toHaveLength(0);

		harness.clock.now = minutes(12);
		const recovered = await harness.adapter.pollChanges(saved.nextCursor, harness.clock.now);
		expect(recovered.events.map((event) => event.eventId)).toEqual(lost.events.map((event) => event.eventId));

		harness.clock.now = minutes(13);
		const quiet = await harness.adapter.pollChanges(recovered.nextCursor, harness.clock.now);
		expect(quiet.events).toEqual([]);
	});

	it('gives a change the same event id in a re-read as in the poll that finally consumes it', async () => {
		harness = await startHarness({}, { rereadIncludesUnprocessed: true });
		harness.server.state.subscription.active = true;
		seedVisit(harness.server);
		addVisits(harness.server, ['5004']);
		harness.server.checkOut('5001', minutes(-20));
		const first = await harness.adapter.pollChanges({ since }, harness.clock.now);
		harness.server.checkOut('5004', minutes(1));

		// A server whose re-read also returns unprocessed changes: leaveunprocessed keeps them in the feed.
		const reread = await harness.adapter.rereadProcessed(lastReadWindow(first.nextCursor)!);
		const later = await harness.adapter.pollChanges(first.nextCursor, minutes(2));
		expect(reread.map((event) => event.resourceId)).toEqual(['5001', '5004']);
		expect(later.events.map((event) => event.eventId)).toEqual([reread[1]?.eventId]);
	});

	it('reads without consuming when the cursor asks for leaveunprocessed, and keeps the cursor', async () => {
		harness = await startHarness();
		harness.server.state.subscription.active = true;
		seedVisit(harness.server);
		harness.server.checkOut('5001', minutes(-5));
		const cursor = { since, extra: { leaveUnprocessed: 'true' } };
		const peek = await harness.adapter.pollChanges(cursor, harness.clock.now);
		expect(peek.events.map((event) => event.resourceId)).toEqual(['5001']);
		expect(peek.nextCursor).toEqual({ since, extra: {} });
		expect(harness.server.state.changedFeed[0]?.processedAt).toBeUndefined();
		const real = await harness.adapter.pollChanges({ since }, harness.clock.now);
		expect(real.events.map((event) => event.eventId)).toEqual(peek.events.map((event) => event.eventId));
	});

	it.each([
		['7 hours before the cursor', '2025-03-10T08:00:00Z', []],
		['5 hours before the cursor (feed latency)', '2025-03-10T10:00:00Z', ['5001']],
	])('skips or keeps a change made %s', async (_name, at, expected) => {
		harness = await startHarness();
		harness.server.state.subscription.active = true;
		seedVisit(harness.server);
		harness.server.checkOut('5001', new Date(at));
		const result = await harness.adapter.pollChanges({ since: '2025-03-10T15:00:00Z' }, harness.clock.now);
		expect(result.events.map((event) => event.resourceId)).toEqual(expected);
	});

	it('follows next pages of the feed', async () => {
		harness = await startHarness({}, { defaultPageSize: 2 });
		harness.server.state.subscription.active = true;
		seedVisit(harness.server);
		const ids = ['5002', '5003', '5004', '5005'];
		addVisits(harness.server, ids);
		for (const id of ['5001', ...ids]) harness.server.checkOut(id, minutes(-10));
		const result = await harness.adapter.pollChanges({ since }, harness.clock.now);
		expect(result.events.map((event) => event.resourceId)).toEqual(['5001', ...ids]);
		expect(requestsTo(harness.server, 'GET', '/appointments/changed')).toHaveLength(3);
	});

	it('reads each configured department with its own departmentid', async () => {
		harness = await startHarness({ departmentIds: ['1', '4'] });
		harness.server.state.subscription.active = true;
		seedVisit(harness.server);
		addVisits(harness.server, ['5002'], '4');
		addVisits(harness.server, ['5003'], '9');
		for (const id of ['5001', '5002', '5003']) harness.server.checkOut(id, minutes(-10));
		const result = await harness.adapter.pollChanges({ since }, harness.clock.now);
		expect(result.events.map((event) => [event.resourceId, event.departmentId])).toEqual([
			['5001', '1'],
			['5002', '4'],
		]);
		expect(requestsTo(harness.server, 'GET', '/appointments/changed').map((request) => request.query.departmentid)).toEqual(['1', '4']);
	});

	it('honours Retry-After on a 429 and backs off on 503s', async () => {
		harness = await startHarness();
		harness.server.state.subscription.active = true;
		seedVisit(harness.server);
		harness.server.checkOut('5001', minutes(-10));
		harness.server.injectFault({ path: '/appointments/changed', status: 429, retryAfter: '7' });
		harness.server.injectFault({ path: '/appointments/changed', status: 503, times: 2 });
		const result = await harness.adapter.pollChanges({ since }, harness.clock.now);
		expect(harness.waits).toEqual([7000, 1000, 2000]);
		expect(result.events.map((event) => event.resourceId)).toEqual(['5001']);
	});
});
