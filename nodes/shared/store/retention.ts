import { DomainError } from '../core/errors';
import { instantMs } from './validation';

/**
 * How long the store keeps journal rows, touches and finished claims. It must exceed the longest journey
 * (a recall sequence starts 30 days before the due date and escalates a week later; waits can be held past
 * weekends and holidays), because pruning a claim reopens its key: after 400 days a reopened key can only
 * belong to a journey long finished, and the journal still covers a full year of metrics.
 */
export const DEFAULT_RETENTION_DAYS = 400;
/** A floor against typos (40 for 400): well past the longest journey the design allows. */
export const MIN_RETENTION_DAYS = 90;

const dayMs = 24 * 60 * 60 * 1000;

/** The `olderThan` to pass to prune(): `now` minus the retention; refuses a retention below MIN_RETENTION_DAYS. */
export function pruneCutoff(now: string, retentionDays: number = DEFAULT_RETENTION_DAYS): string {
	if (!Number.isInteger(retentionDays) || retentionDays < MIN_RETENTION_DAYS) {
		throw new DomainError(
			`Journey store: retention must be a whole number of days, at least ${MIN_RETENTION_DAYS}, ` +
				'and longer than the longest journey',
			'invalid_input',
			'retentionDays',
		);
	}
	return new Date(instantMs(now, 'now') - retentionDays * dayMs).toISOString();
}
