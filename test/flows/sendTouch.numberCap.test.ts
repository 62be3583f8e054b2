import { join } from 'node:path';

import { parsePracticeProfile } from '../../nodes/shared/core/practice';
import type { ChannelRoute, RoutedChannel } from '../../nodes/shared/core/routing';
import { journeyIdOf, patientKeyOf } from '../../nodes/shared/core/schemas';
import type { VisitEvent } from '../../nodes/shared/core/schemas';
import { startTrail } from '../../nodes/shared/core/trail';
import { sendTouch } from '../../nodes/shared/flows/sendTouch';
import { openJourneyStore } from '../../nodes/shared/store';
import type { JourneyStore } from '../../nodes/shared/store/types';
import { tempDir, testContactHashSecret, visitEvent } from '../helpers/fixtures';
import { recordingSenders } from '../helpers/senders';

/*
 * Shared phones (issue 18, part 7): a parent and three children on one mobile got four texts in a day, because the
 * daily cap counted per patient. Patient Message now also counts per destination number.
 */

const familyMobile = '+15125550101';
// Tuesday 10:00 in Chicago: inside the window, so only the caps can hold.
const now = '2026-03-10T15:00:00.000Z';
// Wednesday 09:00 in Chicago: the next open day's window.
const nextDay = '2026-03-11T14:00:00.000Z';
// Five per patient: only the per-number cap (default 1) is under test.
const profile = parsePracticeProfile({ practiceName: 'Riverside', practicePhone: '(512) 555-0100', caps: { perPatientPerDay: 5 } });

const sibling = (patientId: string, overrides: Partial<VisitEvent> = {}) =>
	visitEvent({ patientId, visitId: `enc-${patientId}`, zone: 'America/Chicago', completedAt: '2026-03-10T14:55:00.000Z', visitDate: '2026-03-10', ...overrides });
const parent = sibling('pat-parent');
const child = sibling('pat-child', {
	patient: { firstName: 'Leo', phones: [{ number: '(512) 555-0101', kind: 'mobile' }], email: 'parent@example.test', language: 'en' },
});
const childWithoutEmail = sibling('pat-child-2', {
	patient: { firstName: 'Mia', phones: [{ number: familyMobile, kind: 'mobile' }], language: 'en' },
});

const sms = (address = familyMobile): RoutedChannel => ({ channel: 'sms', address, reason: 'practiceOrder' });
const email = (address: string): RoutedChannel => ({ channel: 'email', address, reason: 'practiceOrder' });
const careSummaryRoute = (event: VisitEvent): ChannelRoute => ({
	strategy: 'all',
	decisions: [],
	channels: [sms(event.patient.phones[0]?.number), ...(event.patient.email ? [email(event.patient.email)] : [])],
});

async function send(event: VisitEvent, stage: 1 | 2 | 3, route: ChannelRoute, at = now) {
	const trail = startTrail(journeyIdOf(event), patientKeyOf(event));
	const recording = recordingSenders();
	const outcome = await sendTouch({ event, trail, stage, route, profile, store, senders: recording.senders, now: at, nodeName: 'Send', maxHolds: 6 });
	return { outcome, sent: recording.sent };
}

let store: JourneyStore;
beforeEach(async () => {
	store = await openJourneyStore({ backend: 'sqlite', path: join(tempDir(), 'j.sqlite'), contactHashSecret: testContactHashSecret });
	// The parent's care summary went by SMS to the family mobile this morning.
	const first = await send(parent, 1, { strategy: 'all', decisions: [], channels: [sms()] }, '2026-03-10T14:56:00.000Z');
	expect(first.sent).toEqual([{ channel: 'sms', to: familyMobile }]);
});
afterEach(async () => await store.close());

const journalOf = async (event: VisitEvent) =>
	(await store.journal({ journeyId: journeyIdOf(event) })).map((entry) => [entry.type, entry.channel ?? null, entry.code ?? null]);

describe('the per-number daily cap in Patient Message', () => {
	it('a child\'s care summary to the same mobile (written another way) goes by email at once, the SMS skipped and journaled', async () => {
		const { outcome, sent } = await send(child, 1, careSummaryRoute(child));
		expect(outcome.output).toBe('sent');
		expect(sent).toEqual([{ channel: 'email', to: 'parent@example.test' }]);
		expect(await journalOf(child)).toEqual([
			['touch.skipped', 'sms', 'numberCap'],
			['touch.sent', 'email', null],
		]);
	});

	it('a care summary with no email is held to the next open day, journaled as numberCapCareSummary', async () => {
		const { outcome, sent } = await send(childWithoutEmail, 1, careSummaryRoute(childWithoutEmail));
		expect(outcome).toMatchObject({ output: 'held', reason: 'numberCapCareSummary', retryAt: nextDay });
		expect(sent).toEqual([]);
		const held = await store.journal({ journeyId: journeyIdOf(childWithoutEmail), type: 'touch.held' });
		expect(held).toEqual([expect.objectContaining({ stage: 1, code: 'numberCapCareSummary', detail: { retryAt: nextDay } })]);
	});

	it('a reminder by SMS is held to the next open day, not moved to email', async () => {
		const route: ChannelRoute = { strategy: 'firstSuccess', decisions: [], channels: [sms(), email('parent@example.test')] };
		const { outcome, sent } = await send(child, 2, route);
		expect(outcome).toMatchObject({ output: 'held', reason: 'numberCap', retryAt: nextDay });
		expect(sent).toEqual([]);
		// The next day the number is free again.
		const later = await send(child, 2, route, nextDay);
		expect(later.sent).toEqual([{ channel: 'sms', to: familyMobile }]);
	});

	it('the sent SMS is counted per number: a third sibling the same day is capped too', async () => {
		await send(child, 1, careSummaryRoute(child));
		expect((await store.numberTouchesOn(familyMobile, '2026-03-10')).map((touch) => touch.journeyId)).toEqual([journeyIdOf(parent)]);
		const { outcome } = await send(childWithoutEmail, 1, careSummaryRoute(childWithoutEmail));
		expect(outcome).toMatchObject({ output: 'held', reason: 'numberCapCareSummary' });
	});

	it('a stage\'s own earlier send does not cap it: the same stage run again reports it as sent, not held', async () => {
		const { outcome, sent } = await send(parent, 1, { strategy: 'all', decisions: [], channels: [sms()] });
		expect(outcome).toMatchObject({ output: 'sent', results: [expect.objectContaining({ channel: 'sms', status: 'alreadySent' })] });
		expect(sent).toEqual([]);
	});

	it('a number under a higher cap takes the second text', async () => {
		const roomy = parsePracticeProfile({ practiceName: 'Riverside', practicePhone: '(512) 555-0100', caps: { perPatientPerDay: 5, perNumberPerDay: 2 } });
		const trail = startTrail(journeyIdOf(child), patientKeyOf(child));
		const recording = recordingSenders();
		const outcome = await sendTouch({ event: child, trail, stage: 1, route: careSummaryRoute(child), profile: roomy, store, senders: recording.senders, now, nodeName: 'Send', maxHolds: 6 });
		expect(outcome.output).toBe('sent');
		expect(recording.sent.map((s) => s.channel)).toEqual(['sms', 'email']);
	});
});
