/**
 * `npm run bench` (scripts/bench.sh builds the pack and this folder, then runs this file):
 *   node .sandbox/bench/build/bench/run.js --tarball <pack.tgz> [core] [footprint] [stage-one] [stage-one-eager] [stage-two] [waiting] [scheduled]
 * BENCH_PROFILE=quick|full (default full). Prints a table, writes bench/results/<profile>.json and, for a
 * full run (or a quick one when no full results exist yet), bench/results/latest.json and BENCHMARKS.md.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { n8nRuntime, projectRoot } from '../sandbox/n8n';
import { installSignalHandlers, stopAll } from './lib/cleanup';
import { describeMachine } from './lib/machine';
import type { MachineInfo } from './lib/machine';
import { selectProfile } from './lib/profile';
import { renderMarkdown, renderTable } from './report';
import { runCoreBenchmark } from './scenarios/core';
import { runFootprint } from './scenarios/footprint';
import { runScheduled } from './scenarios/scheduled';
import { runStageOne } from './scenarios/stageOne';
import { runStageTwo } from './scenarios/stageTwo';
import { runWaiting } from './scenarios/waiting';

export const scenarioNames = ['core', 'footprint', 'stage-one', 'stage-one-eager', 'stage-two', 'waiting', 'scheduled'] as const;
export type ScenarioName = (typeof scenarioNames)[number];

/** Every figure carries where and when it was taken. */
export interface Stamp {
	date: string;
	profile: string;
	machine: MachineInfo;
	n8nVersion: string;
	packVersion: string;
	durationSeconds: number;
}

export interface BenchResults {
	core?: { stamp: Stamp; result: ReturnType<typeof runCoreBenchmark> };
	footprint?: { stamp: Stamp; result: Awaited<ReturnType<typeof runFootprint>> };
	'stage-one'?: { stamp: Stamp; result: Awaited<ReturnType<typeof runStageOne>> };
	/** The template's stage 1 with n8n's lazy expression isolates off, beside 'stage-one' (on). */
	'stage-one-eager'?: { stamp: Stamp; result: Awaited<ReturnType<typeof runStageOne>> };
	'stage-two'?: { stamp: Stamp; result: Awaited<ReturnType<typeof runStageTwo>> };
	waiting?: { stamp: Stamp; result: Awaited<ReturnType<typeof runWaiting>> };
	scheduled?: { stamp: Stamp; result: Awaited<ReturnType<typeof runScheduled>> };
}

function parseArgs(argv: string[]): { tarball: string; only: ScenarioName[] } {
	let tarball = '';
	const only: ScenarioName[] = [];
	for (let i = 0; i < argv.length; i++) {
		if (argv[i] === '--tarball') tarball = argv[++i] ?? '';
		else if ((scenarioNames as readonly string[]).includes(argv[i])) only.push(argv[i] as ScenarioName);
		else throw new Error(`unknown argument ${argv[i]}; scenarios: ${scenarioNames.join(', ')}`);
	}
	if (!tarball) throw new Error('--tarball <n8n-nodes-post-visit-*.tgz> is required (scripts/bench.sh passes it)');
	return { tarball, only: only.length ? only : [...scenarioNames] };
}

function readJson<T>(path: string): T | undefined {
	return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as T) : undefined;
}

async function main(): Promise<void> {
	const { tarball, only } = parseArgs(process.argv.slice(2));
	const profile = selectProfile();
	const machine = describeMachine();
	const n8nVersion = JSON.parse(readFileSync(join(n8nRuntime, 'node_modules', 'n8n', 'package.json'), 'utf8')).version as string;
	const packVersion = JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')).version as string;
	const log = (line: string) => console.log(`[bench] ${line}`);
	installSignalHandlers(log);
	log(`profile ${profile.name}; ${machine.summary}; load average ${machine.loadAverageAtStart}; n8n ${n8nVersion}`);

	const resultsDir = join(projectRoot, 'bench', 'results');
	mkdirSync(resultsDir, { recursive: true });
	const profileFile = join(resultsDir, `${profile.name}.json`);
	const results: BenchResults = readJson<BenchResults>(profileFile) ?? {};
	const stampFor = (startedAt: number): Stamp => ({
		date: new Date().toISOString(),
		profile: profile.name,
		machine,
		n8nVersion,
		packVersion,
		durationSeconds: Math.round((Date.now() - startedAt) / 1000),
	});
	const save = () => writeFileSync(profileFile, JSON.stringify(results, null, '\t') + '\n');

	for (const name of only) {
		const startedAt = Date.now();
		log(`── ${name}`);
		if (name === 'core') results.core = { result: runCoreBenchmark(profile, log), stamp: stampFor(startedAt) };
		if (name === 'footprint') results.footprint = { result: await runFootprint(profile, tarball, log), stamp: stampFor(startedAt) };
		if (name === 'stage-one') results['stage-one'] = { result: await runStageOne(profile, tarball, log), stamp: stampFor(startedAt) };
		if (name === 'stage-one-eager') {
			results['stage-one-eager'] = { result: await runStageOne(profile, tarball, log, { lazyIsolates: false }), stamp: stampFor(startedAt) };
		}
		if (name === 'stage-two') results['stage-two'] = { result: await runStageTwo(profile, tarball, log), stamp: stampFor(startedAt) };
		if (name === 'waiting') results.waiting = { result: await runWaiting(profile, tarball, log), stamp: stampFor(startedAt) };
		if (name === 'scheduled') results.scheduled = { result: await runScheduled(profile, tarball, log), stamp: stampFor(startedAt) };
		save();
	}

	console.log('\n' + renderTable(results));
	const latestFile = join(resultsDir, 'latest.json');
	const latest = readJson<BenchResults>(latestFile);
	const latestIsFull = Object.values(latest ?? {}).some((entry) => entry?.stamp.profile === 'full');
	if (profile.name === 'full' || !latestIsFull) {
		writeFileSync(latestFile, JSON.stringify(results, null, '\t') + '\n');
		writeFileSync(join(projectRoot, 'BENCHMARKS.md'), renderMarkdown(results));
		log(`wrote bench/results/latest.json and BENCHMARKS.md (and bench/results/${profile.name}.json)`);
	} else {
		log(`wrote bench/results/${profile.name}.json; latest.json and BENCHMARKS.md keep the full profile's results`);
	}
}

main().catch(async (error) => {
	console.error(error);
	await stopAll();
	process.exit(1);
});
