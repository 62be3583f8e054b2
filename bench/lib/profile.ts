/** What each benchmark does, per profile: `full` is the numbers, `quick` a few minutes for development. */
export interface BenchProfile {
	name: 'quick' | 'full';
	core: { warmupMs: number; measureMs: number };
	footprint: { timedStarts: number };
	/** The open-loop rate is min(ratePerSecond, half the throughput measured just before): latency, not queueing. */
	firstTouch: { visits: number; ratePerSecond: number };
	throughput: { concurrency: number; warmupMs: number; measureMs: number };
	comparison: {
		rounds: number;
		concurrency: number;
		warmupMs: number;
		measureMs: number;
		/** Open loop per segment, at min(latencyRatePerSecond, half the pack's measured throughput). */
		latencySeconds: number;
		latencyRatePerSecond: number;
	};
	/** Each workflow alone with n8n's CPU profiled (stage-one scenario). */
	cpuProfile: { concurrency: number; warmupMs: number; measureMs: number };
	waiting: { journeys: number[]; spreadMs: number; loadConcurrency: number };
}

export const profiles: Record<BenchProfile['name'], BenchProfile> = {
	full: {
		name: 'full',
		core: { warmupMs: 2_000, measureMs: 10_000 },
		footprint: { timedStarts: 3 },
		firstTouch: { visits: 1_000, ratePerSecond: 10 },
		throughput: { concurrency: 16, warmupMs: 10_000, measureMs: 60_000 },
		comparison: { rounds: 2, concurrency: 16, warmupMs: 5_000, measureMs: 25_000, latencySeconds: 40, latencyRatePerSecond: 5 },
		cpuProfile: { concurrency: 16, warmupMs: 5_000, measureMs: 20_000 },
		waiting: { journeys: [10_000], spreadMs: 10 * 60_000, loadConcurrency: 16 },
	},
	quick: {
		name: 'quick',
		core: { warmupMs: 500, measureMs: 2_000 },
		footprint: { timedStarts: 1 },
		firstTouch: { visits: 100, ratePerSecond: 5 },
		throughput: { concurrency: 16, warmupMs: 5_000, measureMs: 15_000 },
		comparison: { rounds: 1, concurrency: 16, warmupMs: 3_000, measureMs: 10_000, latencySeconds: 10, latencyRatePerSecond: 5 },
		cpuProfile: { concurrency: 16, warmupMs: 3_000, measureMs: 8_000 },
		waiting: { journeys: [200], spreadMs: 60_000, loadConcurrency: 16 },
	},
};

/** BENCH_PROFILE picks the profile (default full); BENCH_WAIT_JOURNEYS="10000,20000" overrides the waiting scales. */
export function selectProfile(env: NodeJS.ProcessEnv = process.env): BenchProfile {
	const name = (env.BENCH_PROFILE ?? 'full') as BenchProfile['name'];
	const profile = profiles[name];
	if (!profile) throw new Error(`BENCH_PROFILE must be quick or full, not ${env.BENCH_PROFILE}`);
	const scales = env.BENCH_WAIT_JOURNEYS?.split(',').map((value) => Number(value.trim()));
	if (scales && scales.some((value) => !Number.isInteger(value) || value < 1)) {
		throw new Error('BENCH_WAIT_JOURNEYS must be a comma-separated list of whole numbers, e.g. 10000,20000');
	}
	return scales ? { ...profile, waiting: { ...profile.waiting, journeys: scales } } : profile;
}
