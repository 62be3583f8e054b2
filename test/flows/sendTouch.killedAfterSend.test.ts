import { join } from 'node:path';

import { parsePracticeProfile } from '../../nodes/shared/core/practice';
import type { ChannelRoute } from '../../nodes/shared/core/routing';
import { journeyIdOf, patientKeyOf } from '../../nodes/shared/core/schemas';
import { startTrail } from '../../nodes/shared/core/trail';
import { sendTouch } from '../../nodes/shared/flows/sendTouch';
import { openJourneyStore } from '../../nodes/shared/store';
import type { JourneyStore } from '../../nodes/shared/store/types';
import { tempDir, testContactHashSecret, visitEvent } from '../helpers/fixtures';
import { recordingSenders } from '../helpers/senders';

/*
 * n8n killed between marking a message's claim sent and writing its journal line: the run that resumes the step
 * must not send again, and must leave the journal saying the message went out (reports and caps read it).
 */

const mobile = '+15125550101';
// Tuesday 10:00 in Chicago: inside the window.
const now = '2026-03-10T15:00:00.000Z';
const profile = parsePracticeProfile({ practiceName: 'Riverside', practicePhone: '(512) 555-0100' });
const event = visitEvent({ zone: 'America/Chicago', completedAt: '2026-03-10T14:55:00.000Z', visitDate: '2026-03-10' });
const route: ChannelRoute = { strategy: 'all', decisions: [], channels: [{ channel: 'sms', address: mobile, reason: 'practiceOrder' }] };
const journeyId = journeyIdOf(event);
const journal = { journeyId, patientKey: patientKeyOf(event), stage: 1 };

let store: JourneyStore;
beforeEach(async () => {
	store = await openJourneyStore({ backend: 'sqlite', path: join(tempDir(), 'j.sqlite'), contactHashSecret: testContactHashSecret });
});
afterEach(async () => await store.close());

async function resumeSend() {
	const recording = recordingSenders(() => 'SM-second');
	const outcome = await sendTouch({ event, trail: startTrail(journeyId, journal.patientKey), stage: 1, route, profile, store, senders: recording.senders, now, nodeName: 'Send', maxHolds: 6 });
	return { outcome, sent: recording.sent.map((message) => message.to) };
}

describe('a send cut off between its claim and its journal line', () => {
	it('is not sent again, and its missing "touch.sent" line is written once, marked recovered, with the first provider id', async () => {
		const key = `touch:${journeyId}:1:sms`;
		expect(await store.claim(key, { ...journal, channel: 'sms' }, '2026-03-10T14:56:00.000Z')).toBe(true);
		await store.markSent(key, 'SM-first', '2026-03-10T14:56:01.000Z');

		const { outcome, sent } = await resumeSend();
		expect(sent).toEqual([]);
		expect(outcome.output).toBe('sent');
		const lines = await store.journal({ journeyId, type: 'touch.sent' });
		expect(lines.map((line) => [line.channel, line.providerId, line.code])).toEqual([['sms', 'SM-first', 'recovered']]);
		expect(await store.touchesOn(journal.patientKey, '2026-03-10')).toBe(1);

		await resumeSend();
		expect(await store.journal({ journeyId, type: 'touch.sent' })).toHaveLength(1);
	});

	it('a completed send found again adds no second "touch.sent" line', async () => {
		const first = await resumeSend();
		expect(first.sent).toEqual([mobile]);
		const again = await resumeSend();
		expect(again.sent).toEqual([]);
		const lines = await store.journal({ journeyId, type: 'touch.sent' });
		expect(lines.map((line) => [line.providerId, line.code ?? null])).toEqual([['SM-second', null]]);
		expect((await store.journal({ journeyId, type: 'touch.duplicate' })).length).toBe(1);
	});
});
