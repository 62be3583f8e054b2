import { join } from 'node:path';

import { reportStaleClaims } from '../../nodes/shared/flows/reportStaleClaims';
import { openJourneyStore } from '../../nodes/shared/store';
import { tempDir, testContactHashSecret } from '../helpers/fixtures';

describe('the crash window between claim and send', () => {
	it('is reported once in the journal as unknown, and the claim stays closed', async () => {
		const store = await openJourneyStore({ backend: 'sqlite', path: join(tempDir(), 'j.sqlite'), contactHashSecret: testContactHashSecret });
		const claimedAt = '2026-03-02T15:00:00.000Z';
		const info = { journeyId: 'visit:fhir:enc-9', patientKey: 'fhir:pat-9', stage: 1, channel: 'sms' as const };
		expect(await store.claim('touch:visit:fhir:enc-9:1:sms', info, claimedAt)).toBe(true);
		expect(await store.claim('touch:visit:fhir:enc-9:1:email', { ...info, channel: 'email' }, claimedAt)).toBe(true);
		await store.markSent('touch:visit:fhir:enc-9:1:email', 'msg-1', '2026-03-02T15:00:01.000Z');

		expect(await reportStaleClaims(store, '2026-03-02T15:05:00.000Z')).toBe(0);
		expect(await reportStaleClaims(store, '2026-03-02T15:30:00.000Z')).toBe(1);
		expect(await reportStaleClaims(store, '2026-03-02T16:00:00.000Z')).toBe(0);

		const unknown = await store.journal({ journeyId: 'visit:fhir:enc-9', type: 'claim.unknown' });
		expect(unknown).toHaveLength(1);
		expect(unknown[0]).toMatchObject({ stage: 1, channel: 'sms', code: 'claimedNotConfirmed', detail: { claimKey: 'touch:visit:fhir:enc-9:1:sms' } });
		expect(await store.claim('touch:visit:fhir:enc-9:1:sms', info, '2026-03-02T16:00:00.000Z')).toBe(false);
		await store.close();
	});
});
