import type { Harness } from './helpers';
import { seedVisit, serverNow, startHarness } from './helpers';

const since = '2025-03-10T14:00:00Z';
const at = (minutes: number, seconds = 0) => new Date(serverNow.getTime() + minutes * 60_000 + seconds * 1000);

/**
 * The crash window of athena's destructive changed feed with a poll every minute: a poll reads (and so consumes) a
 * check-out, then n8n dies before it saves the execution and the cursor. The reliability suite found the next poll
 * re-read only from the saved read's window end (its time + 5 minutes margin), so a crash within five minutes of the
 * last saved poll — every crash, at one poll a minute — lost the visit.
 */
describe('athenahealth pollChanges after a crash within minutes of the last saved poll', () => {
	let harness: Harness;

	beforeEach(async () => {
		harness = await startHarness();
		harness.server.state.subscription.active = true;
		seedVisit(harness.server);
	});

	afterEach(async () => {
		await harness.server.close();
	});

	it.each([
		['one minute', 1],
		['three minutes', 3],
		['ten minutes', 10],
	])('brings back what a poll %s after the saved one consumed before dying', async (_label, gap) => {
		const saved = await harness.adapter.pollChanges({ since }, harness.clock.now);
		expect(saved.events).toEqual([]);

		harness.server.checkOut('5001', at(gap - 1, 30));
		harness.clock.now = at(gap);
		const lost = await harness.adapter.pollChanges(saved.nextCursor, harness.clock.now);
		expect(lost.events.map((event) => event.resourceId)).toEqual(['5001']);
		expect(harness.server.state.changedFeed.every((entry) => entry.processedAt !== undefined)).toBe(true);

		// n8n restarts with the cursor of the saved poll.
		harness.clock.now = at(gap + 1);
		const recovered = await harness.adapter.pollChanges(saved.nextCursor, harness.clock.now);
		expect(recovered.events.map((event) => event.eventId)).toEqual(lost.events.map((event) => event.eventId));
	});

	it('does not bring back what a saved poll consumed: the next poll re-reads only after that read', async () => {
		harness.server.checkOut('5001', at(-1));
		const saved = await harness.adapter.pollChanges({ since }, harness.clock.now);
		expect(saved.events.map((event) => event.resourceId)).toEqual(['5001']);
		harness.clock.now = at(1);
		const next = await harness.adapter.pollChanges(saved.nextCursor, harness.clock.now);
		expect(next.events).toEqual([]);
	});
});
