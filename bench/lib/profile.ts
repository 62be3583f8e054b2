import { join } from 'node:path';

import { projectRoot } from '../../sandbox/n8n';

/**
 * Where a scenario keeps its n8n user folder, n8n's database and the journey store: `.sandbox/bench/<name>`, or
 * below BENCH_WORK_DIR (e.g. a tmpfs, to tell what the disk's commits cost from what the CPU does).
 */
export function benchWorkDir(name: string, env: NodeJS.ProcessEnv = process.env): string {
	return join(env.BENCH_WORK_DIR ?? join(projectRoot, '.sandbox', 'bench'), name);
}

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
	/**
	 * Journeys scheduled in the journey store (Cadence Wait version 2), due times spread over `spreadMs`; a reminder
	 * not sent `drainMs` after the last due time counts as not sent.
	 */
	scheduled: { journeys: number[]; spreadMs: number; drainMs: number };
	/**
	 * Stage 2 resumed by the Journey Due Trigger: a warm-up backlog, the measured one, then `latencyJourneys` with
	 * every FHIR answer `ehrLatencyMs` late.
	 */
	stageTwo: { warmupJourneys: number; journeys: number; latencyJourneys: number; ehrLatencyMs: number };
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
		scheduled: { journeys: [10_000, 100_000], spreadMs: 10 * 60_000, drainMs: 10 * 60_000 },
		stageTwo: { warmupJourneys: 500, journeys: 6_000, latencyJourneys: 3_000, ehrLatencyMs: 100 },
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
		scheduled: { journeys: [1_000], spreadMs: 60_000, drainMs: 2 * 60_000 },
		stageTwo: { warmupJourneys: 200, journeys: 1_500, latencyJourneys: 600, ehrLatencyMs: 100 },
	},
};

/** A comma-separated list of whole numbers from the environment (scales of a scenario), or undefined. */
function scalesFrom(env: NodeJS.ProcessEnv, name: string): number[] | undefined {
	const scales = env[name]?.split(',').map((value) => Number(value.trim()));
	if (scales && scales.some((value) => !Number.isInteger(value) || value < 1)) {
		throw new Error(`${name} must be a comma-separated list of whole numbers, e.g. 10000,20000`);
	}
	return scales;
}

/**
 * BENCH_PROFILE picks the profile (default full); BENCH_WAIT_JOURNEYS="10000,20000" overrides the waiting scales and
 * BENCH_SCHEDULED_JOURNEYS those of the scheduled scenario.
 */
export function selectProfile(env: NodeJS.ProcessEnv = process.env): BenchProfile {
	const name = (env.BENCH_PROFILE ?? 'full') as BenchProfile['name'];
	const profile = profiles[name];
	if (!profile) throw new Error(`BENCH_PROFILE must be quick or full, not ${env.BENCH_PROFILE}`);
	const waiting = scalesFrom(env, 'BENCH_WAIT_JOURNEYS');
	const scheduled = scalesFrom(env, 'BENCH_SCHEDULED_JOURNEYS');
	return {
		...profile,
		waiting: { ...profile.waiting, journeys: waiting ?? profile.waiting.journeys },
		scheduled: { ...profile.scheduled, journeys: scheduled ?? profile.scheduled.journeys },
	};
}
