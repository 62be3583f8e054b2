import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';

import type { BenchProfile } from '../lib/profile';

export interface CoreResult {
	itemsPerSecond: number;
	microsPerItem: number;
	items: number;
	/** Each step alone (items/s), to see which one limits the path. */
	parts: Record<'cadence' | 'guard' | 'routing' | 'composition', { itemsPerSecond: number; microsPerItem: number }>;
	pinnedToOneCore: boolean;
	targetItemsPerSecond: number;
}

function hasTaskset(): boolean {
	try {
		execFileSync('taskset', ['-c', '0', 'true'], { stdio: 'ignore' });
		return true;
	} catch {
		return false;
	}
}

/**
 * Runs coreWorker.js in a child Node process pinned to one CPU (taskset), so its GC threads share that core
 * too. BENCH_CPU_PROF=<dir> writes a V8 CPU profile of it there.
 */
export function runCoreBenchmark(profile: BenchProfile, log: (line: string) => void): CoreResult {
	const worker = join(__dirname, 'coreWorker.js');
	const pinned = hasTaskset();
	const nodeArgs = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
	const args = [...nodeArgs, worker, JSON.stringify(profile.core)];
	log(`core decision path: ${profile.core.measureMs / 1000} s on ${pinned ? 'CPU 1 (taskset)' : 'one thread'}`);
	const run = pinned
		? spawnSync('taskset', ['-c', '1', process.execPath, ...args], { encoding: 'utf8' })
		: spawnSync(process.execPath, args, { encoding: 'utf8' });
	if (run.status !== 0) throw new Error(`core benchmark failed: ${run.stderr}`);
	const result = JSON.parse(run.stdout.trim().split('\n').pop() as string);
	return { ...result.path, parts: result.parts, pinnedToOneCore: pinned, targetItemsPerSecond: 100_000 };
}
