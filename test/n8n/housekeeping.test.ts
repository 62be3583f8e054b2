import { join } from 'node:path';

import type { IExecuteFunctions } from 'n8n-workflow';

import { housekeepingDue, housekeepingIntervalMs, withJourneyStore } from '../../nodes/shared/n8n/resources';
import { openJourneyStore } from '../../nodes/shared/store';
import { tempDir, testContactHashSecret } from '../helpers/fixtures';

describe('journey-store housekeeping (stale-claim report and retention prune)', () => {
	it('is due once per store and interval, and again once the interval has passed', () => {
		const t0 = Date.parse('2026-03-02T15:00:00.000Z');
		expect(housekeepingDue('sqlite:/a.sqlite', t0)).toBe(true);
		expect(housekeepingDue('sqlite:/a.sqlite', t0 + 1_000)).toBe(false);
		expect(housekeepingDue('sqlite:/b.sqlite', t0 + 1_000)).toBe(true);
		expect(housekeepingDue('sqlite:/a.sqlite', t0 + housekeepingIntervalMs - 1)).toBe(false);
		expect(housekeepingDue('sqlite:/a.sqlite', t0 + housekeepingIntervalMs)).toBe(true);
	});

	it('is due again when the clock went back (a corrected system clock must not stop it for the gap)', () => {
		const t0 = Date.parse('2026-03-02T16:00:00.000Z');
		expect(housekeepingDue('sqlite:/c.sqlite', t0)).toBe(true);
		expect(housekeepingDue('sqlite:/c.sqlite', t0 - 60_000)).toBe(true);
	});

	it('runs when a node asks for it on a store this process has not tidied yet: a crash-left claim is reported', async () => {
		const sqlitePath = join(tempDir(), 'journey.sqlite');
		const store = await openJourneyStore({ backend: 'sqlite', path: sqlitePath, contactHashSecret: testContactHashSecret });
		const info = { journeyId: 'visit:fhir:enc-h1', patientKey: 'fhir:pat-h1', stage: 1, channel: 'sms' as const };
		expect(await store.claim('touch:visit:fhir:enc-h1:1:sms', info, new Date(Date.now() - 60 * 60_000).toISOString())).toBe(true);
		await store.close();

		const context = { getNode: () => ({ name: 'Visit Details' }), getCredentials: async () => ({ backend: 'sqlite', sqlitePath, contactHashSecret: testContactHashSecret }), getMode: () => 'trigger' } as unknown as IExecuteFunctions;
		const answer = await withJourneyStore(context, async () => 'worked', { prune: true });
		expect(answer).toBe('worked');

		const reopened = await openJourneyStore({ backend: 'sqlite', path: sqlitePath, contactHashSecret: testContactHashSecret });
		expect(await reopened.journal({ journeyId: 'visit:fhir:enc-h1', type: 'claim.unknown' })).toHaveLength(1);
		await reopened.close();
	});
});
