import type { IExecuteFunctions, IPollFunctions } from 'n8n-workflow';

import type { PracticeProfile } from '../core/practice';
import { reportStaleClaims } from '../flows/reportStaleClaims';
import { DEFAULT_RETENTION_DAYS, pruneCutoff } from '../store';
import type { JourneyStore } from '../store/types';
import { nowIso } from './clock';
import { practiceProfileFromCredential } from './profile';
import { openStoreFrom } from './store';

type CredentialContext = IExecuteFunctions | IPollFunctions;

export async function practiceProfileFor(context: CredentialContext): Promise<PracticeProfile> {
	return practiceProfileFromCredential(await context.getCredentials('practiceProfileApi'));
}

/**
 * Runs `work` with the practice's journey store open, and closes it after (Postgres pools stay cached).
 * With `prune` (Visit Details asks for it, so this runs as journeys start): claims left open by a crash are
 * reported in the journal as unknown, and rows older than the credential's retention are deleted.
 */
export async function withJourneyStore<T>(
	context: CredentialContext,
	work: (store: JourneyStore) => Promise<T>,
	options: { prune?: boolean } = {},
): Promise<T> {
	const credential = await context.getCredentials('journeyStoreApi');
	const store = await openStoreFrom(credential);
	try {
		const result = await work(store);
		if (options.prune) {
			await reportStaleClaims(store, nowIso());
			await store.prune(pruneCutoff(nowIso(), Number(credential.retentionDays ?? DEFAULT_RETENTION_DAYS)));
		}
		return result;
	} finally {
		await store.close();
	}
}
