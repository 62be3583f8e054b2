import type { JourneyStore } from './types';

/**
 * The journey store as a manual run ("Execute workflow", "Execute step") sees it: every read is real, no write
 * happens. A claim answers as the live run would (true unless the key is already held), so each node shows what
 * it would do; nothing is recorded, so the live run afterwards finds the store as it was.
 */
export function dryRunStore(store: JourneyStore): JourneyStore {
	const nothing = async () => undefined;
	return {
		backend: store.backend,
		migrate: async () => await store.migrate(),
		claim: async (key) => {
			const existing = await store.getClaim(key);
			return existing === undefined || existing.state === 'released';
		},
		markSent: nothing,
		recordSend: nothing,
		release: nothing,
		getClaim: async (key) => await store.getClaim(key),
		staleClaims: async (olderThan) => await store.staleClaims(olderThan),
		append: nothing,
		appendAll: nothing,
		journal: async (query) => await store.journal(query),
		addressHash: (channel, address) => store.addressHash(channel, address),
		addressHashes: (channel, address) => store.addressHashes(channel, address),
		setOptOut: nothing,
		clearOptOut: nothing,
		optedOut: async (channel, addresses) => await store.optedOut(channel, addresses),
		recordTouch: nothing,
		touchesOn: async (patientKey, localDate) => await store.touchesOn(patientKey, localDate),
		patientTouchesOn: async (patientKey, localDate) => await store.patientTouchesOn(patientKey, localDate),
		recordNumberTouch: nothing,
		numberTouchesOn: async (address, localDate) => await store.numberTouchesOn(address, localDate),
		touchesOfJourney: async (journeyId) => await store.touchesOfJourney(journeyId),
		recordJourney: nothing,
		getJourney: async (journeyId) => await store.getJourney(journeyId),
		journeys: async (query) => await store.journeys(query),
		recordContact: nothing,
		journeysContactedAt: async (channel, address) => await store.journeysContactedAt(channel, address),
		scheduleStep: nothing,
		claimDueSteps: async () => [],
		completeStep: async () => false,
		renewStepLease: async () => true,
		holdsStepLease: async () => true,
		retryStep: async () => false,
		setStepAside: async () => false,
		markOrphanedSteps: async () => [],
		stepsInFlight: async (workflowId, now) => await store.stepsInFlight(workflowId, now),
		steps: async (query) => await store.steps(query),
		prune: async () => 0,
		close: async () => await store.close(),
	};
}
