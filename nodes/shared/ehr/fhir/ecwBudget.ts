import { DomainError } from '../../core/errors';
import type { HttpClient } from '../types';

/**
 * eClinicalWorks allows 250 calls a minute per practice code (the FHIR base URL), its token endpoint included,
 * and a 429 blocks the rest of that minute. One budget per base URL and process, shared by the adapter's reads
 * and the credential's token requests (they import this same module). Several n8n processes (queue mode) each
 * keep their own: give each a share through the credential's calls-per-minute setting.
 */
export interface CallBudget {
	/** Waits for a free call in the current minute (or the next, when this one is spent or blocked), then books it. */
	take(key: string, perMinute: number): Promise<void>;
	/** A 429: nothing more is sent for this key before the next minute starts. */
	block(key: string): void;
}

const minuteMs = 60_000;

export function createCallBudget(clock: () => number, sleep: (ms: number) => Promise<void>): CallBudget {
	const minutes = new Map<string, { minute: number; used: number; blocked: boolean }>();
	return {
		async take(key, perMinute) {
			if (perMinute < 1) throw new DomainError('Calls per minute must be at least 1', 'invalid_input', 'callsPerMinute');
			for (;;) {
				const now = clock();
				const minute = Math.floor(now / minuteMs);
				const state = minutes.get(key);
				const current = state && state.minute === minute ? state : { minute, used: 0, blocked: false };
				if (!current.blocked && current.used < perMinute) {
					current.used += 1;
					minutes.set(key, current);
					return;
				}
				minutes.set(key, current);
				await sleep((minute + 1) * minuteMs - now);
			}
		},
		block(key) {
			const minute = Math.floor(clock() / minuteMs);
			const state = minutes.get(key);
			minutes.set(key, { minute, used: state?.minute === minute ? state.used : 0, blocked: true });
		},
	};
}

export const processCallBudget = createCallBudget(
	() => Date.now(),
	async (ms) => await new Promise<void>((resolve) => setTimeout(resolve, ms)),
);

/** Every request of the adapter through the budget; a 429 blocks the key for the rest of the minute. */
export function budgeted(http: HttpClient, key: string, perMinute: number, budget: CallBudget = processCallBudget): HttpClient {
	return async (request) => {
		await budget.take(key, perMinute);
		const response = await http(request);
		if (response.status === 429) budget.block(key);
		return response;
	};
}
