import type { IExecuteFunctions, IPollFunctions } from 'n8n-workflow';

import type { PracticeProfile } from '../core/practice';
import type { JourneyStore } from '../store/types';
import { practiceProfileFromCredential } from './profile';
import { openStoreFrom } from './store';

type CredentialContext = IExecuteFunctions | IPollFunctions;

export async function practiceProfileFor(context: CredentialContext): Promise<PracticeProfile> {
	return practiceProfileFromCredential(await context.getCredentials('practiceProfileApi'));
}

/** Runs `work` with the practice's journey store open, and closes it after (Postgres pools stay cached). */
export async function withJourneyStore<T>(context: CredentialContext, work: (store: JourneyStore) => Promise<T>): Promise<T> {
	const store = await openStoreFrom(await context.getCredentials('journeyStoreApi'));
	try {
		return await work(store);
	} finally {
		await store.close();
	}
}
