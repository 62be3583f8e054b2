import type { ICredentialDataDecryptedObject, IExecuteFunctions, IPollFunctions, ITriggerFunctions } from 'n8n-workflow';

import type { PracticeProfile } from '../core/practice';
import { reportStaleClaims } from '../flows/reportStaleClaims';
import { DEFAULT_RETENTION_DAYS, pruneCutoff } from '../store';
import { dryRunStore } from '../store/dryRun';
import type { JourneyStore } from '../store/types';
import { nowIso } from './clock';
import { executionCredential } from './credentials';
import { practiceProfileFromCredential } from './profile';
import { journeyStoreConfigFrom, openStoreFrom } from './store';

type CredentialContext = IExecuteFunctions | IPollFunctions | ITriggerFunctions;

/** A run started from the editor ("Execute workflow", "Execute step", a test event): it shows, it never acts. */
export function isManualRun(context: CredentialContext): boolean {
	return context.getMode() === 'manual';
}

export async function practiceProfileFor(context: CredentialContext): Promise<PracticeProfile> {
	return practiceProfileFromCredential(await executionCredential(context, 'practiceProfileApi'));
}

/**
 * The stale-claim report and the retention prune scan the store; a claim is stale only after ten minutes and
 * retention is counted in days, so once per store, process and interval is enough (not on every visit).
 */
export const housekeepingIntervalMs = 5 * 60_000;
const lastHousekeeping = new Map<string, number>();

/** True (and noted) when this process has not done the store's housekeeping within the interval. */
export function housekeepingDue(storeKey: string, nowMs: number): boolean {
	const last = lastHousekeeping.get(storeKey);
	if (last !== undefined && nowMs - last < housekeepingIntervalMs && nowMs >= last) return false;
	lastHousekeeping.set(storeKey, nowMs);
	return true;
}

function storeKeyOf(credential: ICredentialDataDecryptedObject): string {
	const config = journeyStoreConfigFrom(credential);
	return config.backend === 'sqlite' ? `sqlite:${config.path}` : `postgres:${config.host}:${config.port}/${config.database}`;
}

/**
 * Runs `work` with the practice's journey store open, and closes it after (Postgres pools stay cached). In a
 * manual run the store only reads: nothing is claimed, journaled or scheduled, and no housekeeping runs.
 * With `prune` (Visit Details asks for it, so this runs as journeys start; at most once per store and process
 * every `housekeepingIntervalMs`): claims left open by a crash are reported in the journal as unknown, and
 * rows older than the credential's retention are deleted.
 */
export async function withJourneyStore<T>(
	context: CredentialContext,
	work: (store: JourneyStore) => Promise<T>,
	options: { prune?: boolean } = {},
): Promise<T> {
	const credential = await executionCredential(context, 'journeyStoreApi');
	const store = await openStoreFrom(credential);
	const manual = isManualRun(context);
	try {
		const result = await work(manual ? dryRunStore(store) : store);
		const now = nowIso();
		if (options.prune && !manual && housekeepingDue(storeKeyOf(credential), Date.parse(now))) {
			await reportStaleClaims(store, now);
			await store.prune(pruneCutoff(now, Number(credential.retentionDays ?? DEFAULT_RETENTION_DAYS)));
		}
		return result;
	} finally {
		await store.close();
	}
}
