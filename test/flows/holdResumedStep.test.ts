import { join } from 'node:path';

import type { JourneyTrail } from '../../nodes/shared/core/trail';
import { holdResumedStep } from '../../nodes/shared/flows/steps';
import { openJourneyStore } from '../../nodes/shared/store';
import type { ClaimedStep, JourneyStore } from '../../nodes/shared/store/types';
import { tempDir, testContactHashSecret } from '../helpers/fixtures';

const workflowId = 'wf-three-stage';
const journeyId = 'visit:fhir:enc-1';
const claimedAt = Date.parse('2026-03-02T15:00:00.000Z');
const leaseMs = 60_000;
const at = (secondsAfterClaim: number) => new Date(claimedAt + secondsAfterClaim * 1000).toISOString();

let store: JourneyStore;
let step: ClaimedStep;

beforeEach(async () => {
	store = await openJourneyStore({ backend: 'sqlite', path: join(tempDir(), 'journey.sqlite'), contactHashSecret: testContactHashSecret });
	await store.scheduleStep({ journeyId, patientKey: 'fhir:pat-1', workflowId, step: 'Reminder', dueAt: at(-60), at: at(-3600) });
	[step] = await store.claimDueSteps({ workflowId, steps: ['Reminder'], now: at(0), limit: 10, leaseMs, leaseToken: 'batch-1', includeHeldUntilResume: true });
});

afterEach(async () => {
	await store.close();
});

function resumedTrail(): JourneyTrail {
	return {
		journeyId,
		patientKey: 'fhir:pat-1',
		stage: 1,
		holds: 0,
		steps: [],
		resumedFrom: { name: 'Reminder', workflowId, dueAt: step.dueAt, attempt: step.attempt, leaseToken: step.leaseToken, leaseMs, leaseUntil: step.leaseUntil },
	};
}

describe('holding a resumed step before a node acts on it', () => {
	it('reads, without renewing, while more than half of the lease is left', async () => {
		const renew = jest.spyOn(store, 'renewStepLease');
		expect(await holdResumedStep(store, resumedTrail(), at(10))).toBe(true);
		expect(await holdResumedStep(store, resumedTrail(), at(29))).toBe(true);
		expect(renew).not.toHaveBeenCalled();
		expect((await store.steps({ journeyId }))[0].leaseUntil).toBe(at(60));
	});

	it('renews once half of the lease has passed, so a slow execution keeps its step', async () => {
		const renew = jest.spyOn(store, 'renewStepLease');
		expect(await holdResumedStep(store, resumedTrail(), at(45))).toBe(true);
		expect(renew).toHaveBeenCalledTimes(1);
		expect((await store.steps({ journeyId }))[0].leaseUntil).toBe(at(105));
		// Past the trigger's first lease, still held: the renewal moved it on.
		expect(await store.claimDueSteps({ workflowId, steps: ['Reminder'], now: at(90), limit: 10, leaseMs, leaseToken: 'batch-2', includeHeldUntilResume: true })).toEqual([]);
	});

	it('lets go, journaled, of a step handed to a newer execution, whether it reads or renews', async () => {
		await store.claimDueSteps({ workflowId, steps: ['Reminder'], now: at(61), limit: 10, leaseMs, leaseToken: 'batch-2', includeHeldUntilResume: true });
		expect(await holdResumedStep(store, resumedTrail(), at(62))).toBe(false);
		const early = { ...resumedTrail(), resumedFrom: { ...resumedTrail().resumedFrom!, leaseUntil: at(600) } };
		expect(await holdResumedStep(store, early, at(62))).toBe(false);
		const superseded = await store.journal({ journeyId, type: 'step.superseded' });
		expect(superseded.map((entry) => entry.code)).toEqual(['leaseLost', 'leaseLost']);
	});

	it('renews on every call for a trail that does not say when its lease runs out (resumed before this field)', async () => {
		const { leaseUntil: _unknown, ...older } = resumedTrail().resumedFrom!;
		const renew = jest.spyOn(store, 'renewStepLease');
		expect(await holdResumedStep(store, { ...resumedTrail(), resumedFrom: older }, at(5))).toBe(true);
		expect(renew).toHaveBeenCalledTimes(1);
	});
});
