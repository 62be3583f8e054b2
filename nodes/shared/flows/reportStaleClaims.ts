import type { JourneyStore } from '../store/types';

/** A send takes seconds; a claim still open after this long was left by a crash between claim and send. */
export const staleClaimMinutes = 10;

/**
 * Surfaces the crash window: every claim still "claimed" (not sent, not released) after `staleClaimMinutes`
 * gets one `claim.unknown` journal entry — "unknown, check whether it went out" — instead of being silently
 * skipped. Reported once per claim; the claim itself stays, so nothing is sent twice.
 */
export async function reportStaleClaims(store: JourneyStore, now: string): Promise<number> {
	const cutoff = new Date(Date.parse(now) - staleClaimMinutes * 60_000).toISOString();
	let reported = 0;
	for (const claim of await store.staleClaims(cutoff)) {
		const earlier = await store.journal({ journeyId: claim.journeyId, type: 'claim.unknown' });
		if (earlier.some((entry) => entry.detail?.claimKey === claim.key)) continue;
		await store.append({
			at: now,
			journeyId: claim.journeyId,
			patientKey: claim.patientKey,
			type: 'claim.unknown',
			stage: claim.stage,
			channel: claim.channel,
			code: 'claimedNotConfirmed',
			detail: { claimKey: claim.key, claimedAt: claim.claimedAt },
		});
		reported++;
	}
	return reported;
}
