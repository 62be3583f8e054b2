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
 * Found by the compliance run (test/reliability/compliance.rel.test.ts): Patient Message re-used the channels the
 * Channel Router chose before a hold, and the guard looked only at the first one, so an opt-out that arrived
 * during the hold (overnight, outside the window) did not stop the send. Every target is checked at sending now.
 */

const mobile = '+15125550101';
const email = 'ana@example.test';
// Tuesday 10:00 in Chicago: inside the window, so nothing holds.
const now = '2026-03-10T15:00:00.000Z';
const profile = parsePracticeProfile({ practiceName: 'Riverside', practicePhone: '(512) 555-0100', caps: { perPatientPerDay: 5 } });
const event = visitEvent({ zone: 'America/Chicago', completedAt: '2026-03-10T14:00:00.000Z', visitDate: '2026-03-10' });
const trail = startTrail(journeyIdOf(event), patientKeyOf(event));

const routes: Record<string, ChannelRoute> = {
	'stage 1, SMS and email': {
		strategy: 'all',
		decisions: [],
		channels: [
			{ channel: 'sms', address: mobile, reason: 'practiceOrder' },
			{ channel: 'email', address: email, reason: 'practiceOrder' },
		],
	},
};

let store: JourneyStore;
beforeEach(async () => {
	store = await openJourneyStore({ backend: 'sqlite', path: join(tempDir(), 'j.sqlite'), contactHashSecret: testContactHashSecret });
});
afterEach(async () => await store.close());

describe('Patient Message checks opt-outs again at sending (the route may be hours old)', () => {
	it.each<[string, Array<{ channel: 'sms' | 'email'; address: string }>, string[]]>([
		['email opted out after routing: SMS only', [{ channel: 'email', address: email }], ['sms']],
		['SMS opted out after routing (the first channel): email only', [{ channel: 'sms', address: mobile }], ['email']],
		['the number written differently in the opt-out', [{ channel: 'sms', address: '+1 (512) 555-0101' }], ['email']],
		['the email in another case', [{ channel: 'email', address: 'ANA@Example.test' }], ['sms']],
		['no opt-out: both', [], ['sms', 'email']],
	])('%s', async (_label, optOuts, expected) => {
		for (const optOut of optOuts) await store.setOptOut({ ...optOut, at: '2026-03-10T03:00:00.000Z', source: 'reply:STOP' });
		const { sent, senders } = recordingSenders();
		const outcome = await sendTouch({ event, trail, stage: 1, route: routes['stage 1, SMS and email']!, profile, store, senders, now, nodeName: 'Send', maxHolds: 6 });
		expect(outcome.output).toBe('sent');
		expect(sent.map((s) => s.channel)).toEqual(expected);
		const skipped = await store.journal({ journeyId: trail.journeyId, type: 'touch.skipped' });
		expect(skipped.map((entry) => [entry.channel, entry.code])).toEqual(optOuts.map((o) => [o.channel, 'optedOut']));
	});

	it('every routed target opted out: "Not Sent" (to staff) with the reason, nothing sent, no hold first', async () => {
		await store.setOptOut({ channel: 'sms', address: mobile, at: '2026-03-10T03:00:00.000Z', source: 'reply:STOP' });
		const { sent, senders } = recordingSenders();
		const route: ChannelRoute = { strategy: 'firstSuccess', decisions: [], channels: [{ channel: 'sms', address: mobile, reason: 'preferred' }] };
		// 02:00 in Chicago: outside the window, yet holding would only delay the same answer.
		const outcome = await sendTouch({ event, trail, stage: 2, route, profile, store, senders, now: '2026-03-10T08:00:00.000Z', nodeName: 'Send', maxHolds: 6 });
		expect(outcome).toMatchObject({ output: 'notSent', reason: 'optedOut', results: [] });
		expect(sent).toEqual([]);
	});

	it('a STOP by text also stops a stage-3 call to that number', async () => {
		await store.setOptOut({ channel: 'sms', address: mobile, at: '2026-03-10T03:00:00.000Z', source: 'reply:STOP' });
		const { sent, senders } = recordingSenders();
		const route: ChannelRoute = { strategy: 'firstSuccess', decisions: [], channels: [{ channel: 'voice', address: mobile, reason: 'voiceChosen' }] };
		const outcome = await sendTouch({ event, trail, stage: 3, route, profile, store, senders, now, nodeName: 'Send', maxHolds: 6 });
		expect(outcome.output).toBe('notSent');
		expect(sent).toEqual([]);
	});
});

describe('a re-run after the opt-out still reports what was sent before it (no staff task for a touch that went out)', () => {
	it('SMS sent, then STOP, then the same stage runs again: alreadySent, nothing new', async () => {
		const route: ChannelRoute = { strategy: 'firstSuccess', decisions: [], channels: [{ channel: 'sms', address: mobile, reason: 'preferred' }] };
		const first = recordingSenders();
		expect((await sendTouch({ event, trail, stage: 2, route, profile, store, senders: first.senders, now, nodeName: 'Send', maxHolds: 6 })).output).toBe('sent');
		await store.setOptOut({ channel: 'sms', address: mobile, at: '2026-03-10T15:05:00.000Z', source: 'reply:STOP' });
		const again = recordingSenders();
		const outcome = await sendTouch({ event, trail, stage: 2, route, profile, store, senders: again.senders, now: '2026-03-10T15:10:00.000Z', nodeName: 'Send', maxHolds: 6 });
		expect(outcome).toMatchObject({ output: 'sent', results: [expect.objectContaining({ channel: 'sms', status: 'alreadySent' })] });
		expect(again.sent).toEqual([]);
	});
});
