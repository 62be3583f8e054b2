import { DateTime } from 'luxon';

import type { EhrAdapter, PollCursor, ResolveContext } from '../ehr/types';

/** What the poll trigger keeps in the node's static data between runs. */
export interface PollState {
	cursor?: PollCursor;
	/** Recalls: the last due date already emitted (YYYY-MM-DD). */
	recallsThrough?: string;
}

export interface PollEhrInput {
	adapter: EhrAdapter;
	event: 'visitCompleted' | 'recallDue';
	state: PollState | undefined;
	now: string;
	/** "Fetch test event" in the editor: look back a week, return one item, move no cursor. */
	manual: boolean;
	recallLeadDays: number;
	context: ResolveContext;
}

/** One poll: the new items and the state to keep (undefined: keep the old state). */
export async function pollEhr(input: PollEhrInput): Promise<{ items: unknown[]; state?: PollState }> {
	const now = DateTime.fromISO(input.now, { zone: 'utc' });
	if (input.event === 'visitCompleted') {
		if (input.manual) {
			// leaveUnprocessed: a test fetch must not consume athena's destructive feed (other EHRs ignore it).
			const result = await input.adapter.pollChanges(
				{ since: now.minus({ days: 7 }).toISO() as string, extra: { leaveUnprocessed: 'true' } },
				now.toJSDate(),
			);
			return { items: result.events.slice(-1) };
		}
		if (!input.state?.cursor) {
			// First activation: start from now, so turning the pack on does not message every past visit. The first
			// read is made and dropped, so a feed that queues changes (athena) starts empty too.
			const first = await input.adapter.pollChanges({ since: input.now }, now.toJSDate());
			return { items: [], state: { ...input.state, cursor: first.nextCursor } };
		}
		const result = await input.adapter.pollChanges(input.state.cursor, now.toJSDate());
		return { items: result.events, state: { ...input.state, cursor: result.nextCursor } };
	}
	const zone = input.context.defaultZone ?? 'UTC';
	const horizon = now.setZone(zone).plus({ days: input.recallLeadDays }).toISODate() as string;
	if (input.manual) {
		const recalls = await input.adapter.pollRecalls({ from: now.setZone(zone).toISODate() as string, to: horizon }, input.context);
		return { items: recalls.slice(0, 1) };
	}
	if (!input.state?.recallsThrough) {
		// First activation: recalls already inside the lead time are not chased retroactively.
		return { items: [], state: { ...input.state, recallsThrough: horizon } };
	}
	if (input.state.recallsThrough >= horizon) return { items: [] };
	const from = DateTime.fromISO(input.state.recallsThrough).plus({ days: 1 }).toISODate() as string;
	const recalls = await input.adapter.pollRecalls({ from, to: horizon }, input.context);
	return { items: recalls, state: { ...input.state, recallsThrough: horizon } };
}
