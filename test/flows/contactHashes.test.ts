import { createHash } from 'node:crypto';
import { join } from 'node:path';

import { parseTwilioStatusCallback } from '../../nodes/shared/core/deliveryStatus';
import { parsePracticeProfile } from '../../nodes/shared/core/practice';
import type { ChannelRoute } from '../../nodes/shared/core/routing';
import { journeyIdOf, patientKeyOf } from '../../nodes/shared/core/schemas';
import { startTrail } from '../../nodes/shared/core/trail';
import { recordDelivery } from '../../nodes/shared/flows/recordDelivery';
import { resumedTrail } from '../../nodes/shared/flows/resumeSteps';
import { sendTouch } from '../../nodes/shared/flows/sendTouch';
import type { MessageSenders } from '../../nodes/shared/flows/sendTouch';
import { openJourneyStore } from '../../nodes/shared/store';
import type { JourneyStore, ScheduledStep } from '../../nodes/shared/store/types';
import { tempDir, testContactHashSecret, visitEvent } from '../helpers/fixtures';

/*
 * Issue 19, finding 3: the address hashes in the journal are the journey store's keyed ones (its Contact Hash
 * Secret), written by Patient Message and Record Delivery and matched back to the patient's current addresses when
 * the Journey Due Trigger resumes a journey; lines written before the secret existed (unkeyed SHA-256) still match.
 * Fixed instants: nothing here reads the clock.
 */

const mobile = '+15125550101';
const second = '+15125550102';
const now = '2026-03-10T15:00:00.000Z';
const profile = parsePracticeProfile({ practiceName: 'Riverside', practicePhone: '(512) 555-0100', caps: { perPatientPerDay: 5 } });
const event = visitEvent({
	zone: 'America/Chicago',
	completedAt: '2026-03-10T14:00:00.000Z',
	visitDate: '2026-03-10',
	patient: {
		firstName: 'Ana',
		phones: [
			{ number: mobile, kind: 'mobile' },
			{ number: second, kind: 'mobile' },
		],
		email: 'ana@example.test',
		language: 'en',
	},
});
const journeyId = journeyIdOf(event);
const patientKey = patientKeyOf(event);
const unkeyed = (canonical: string) => createHash('sha256').update(canonical).digest('hex');

let store: JourneyStore;
beforeEach(async () => {
	store = await openJourneyStore({ backend: 'sqlite', path: join(tempDir(), 'journey.sqlite'), contactHashSecret: testContactHashSecret });
});
afterEach(async () => await store.close());

const step: ScheduledStep = {
	journeyId,
	patientKey,
	workflowId: 'wf-1',
	step: 'Stage 2',
	dueAt: now,
	untilResume: false,
	state: 'claimed',
	attempt: 1,
	scheduledAt: now,
	updatedAt: now,
};

describe('the journal carries the store\'s keyed address hash', () => {
	it('Patient Message: a landline refusal is journaled under the keyed hash, not the unkeyed SHA-256', async () => {
		const senders: MessageSenders = {
			sms: async () => ({ status: 'rejected', code: 21614, permanent: true, fallback: 'landline', message: 'not a mobile number' }),
		};
		const route: ChannelRoute = { strategy: 'firstSuccess', decisions: [], channels: [{ channel: 'sms', address: mobile, reason: 'preferred' }] };
		await sendTouch({ event, trail: startTrail(journeyId, patientKey), stage: 1, route, profile, store, senders, now, nodeName: 'Send', maxHolds: 6 });
		const [failed] = await store.journal({ journeyId, type: 'touch.failed' });
		expect(failed?.detail).toEqual({ fallback: 'landline', addressHash: store.addressHash('sms', mobile) });
		expect(failed?.detail?.addressHash).not.toBe(unkeyed(mobile));
	});

	it('Record Delivery: an undelivered SMS is journaled under the keyed hash, and only the reported number is marked failed', async () => {
		const sid = 'SM' + 'c3'.repeat(16);
		await store.recordJourney({ journeyId, patientKey, kind: 'visit', ehr: 'fhir', patientId: 'pat-1', sourceId: 'enc-1', sourceType: 'encounter', anchorAt: now, startedAt: now, zone: 'America/Chicago' });
		await store.append({ at: now, journeyId, patientKey, type: 'touch.sent', stage: 1, channel: 'sms', providerId: sid, templateId: 'careSummary' });
		// A Twilio-compatible provider that reports the number in national form.
		const report = parseTwilioStatusCallback({ MessageSid: sid, MessageStatus: 'undelivered', ErrorCode: '30003', To: '(512) 555-0102' });
		const outcome = await recordDelivery({
			report,
			store,
			now: '2026-03-10T15:05:00.000Z',
			nodeName: 'Record Delivery',
			reload: async () => ({ outcome: 'reloaded', record: (await store.getJourney(journeyId))!, event }),
		});
		expect(outcome).toMatchObject({ output: 'fallback', entry: { detail: { reason: 'undelivered', addressHash: store.addressHash('sms', second) } } });
		const failed = outcome.output === 'fallback' ? outcome.trail.steps.filter((trailStep) => trailStep.outcome === 'failed') : [];
		expect(failed.map((trailStep) => trailStep.address)).toEqual([second]);
	});
});

describe('a resumed journey finds the failed address behind a journal hash', () => {
	it.each([
		['keyed (written since the secret)', () => store.addressHash('sms', second)],
		['unkeyed (written before the secret existed)', () => unkeyed(second)],
	])('%s', async (_when, hashOf) => {
		await store.append({ at: now, journeyId, patientKey, type: 'touch.failed', stage: 1, channel: 'sms', code: '21614', detail: { fallback: 'landline', addressHash: hashOf() } });
		const trail = await resumedTrail(store, step, event, undefined);
		expect(trail.steps).toEqual([expect.objectContaining({ outcome: 'failed', channel: 'sms', reason: 'landline', address: second })]);
	});

	it('a hash of neither kind matches no current address', async () => {
		await store.append({ at: now, journeyId, patientKey, type: 'touch.failed', stage: 1, channel: 'sms', code: '21614', detail: { fallback: 'landline', addressHash: 'f'.repeat(64) } });
		const trail = await resumedTrail(store, step, event, undefined);
		expect(trail.steps).toEqual([expect.not.objectContaining({ address: expect.anything() })]);
	});
});
