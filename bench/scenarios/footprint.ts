import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';

import { installPack, N8nProcess, projectRoot } from '../../sandbox/n8n';
import { whileRunning } from '../lib/cleanup';
import { mib, treeRss } from '../lib/procstat';
import type { BenchProfile } from '../lib/profile';
import { round, sleep } from '../lib/stats';

export const footprintPorts = { withPack: 5784, withoutPack: 5786 };

export interface FootprintResult {
	tarballKiB: number;
	installSeconds: number;
	/** What `npm install` of the tarball put into ~/.n8n/nodes/node_modules (the pack and its runtime dependencies). */
	installed: { apparentMiB: number; diskMiB: number; files: number; packages: number };
	largest: Array<{ name: string; apparentMiB: number }>;
	startup: {
		/** Spawn → /healthz/readiness, on an existing database; each value one start. */
		withPackSeconds: number[];
		withoutPackSeconds: number[];
		medianWith: number;
		medianWithout: number;
		/** With ÷ without. */
		ratio: number;
		/** The first start of each, on an empty database (migrations included). */
		firstStartWithPackSeconds: number;
		firstStartWithoutPackSeconds: number;
		idleRssWithPackMiB: number;
		idleRssWithoutPackMiB: number;
	};
}

function walk(dir: string): { bytes: number; files: number } {
	let bytes = 0;
	let files = 0;
	for (const entry of readdirSync(dir, { withFileTypes: true })) {
		const path = join(dir, entry.name);
		if (entry.isDirectory()) {
			const inner = walk(path);
			bytes += inner.bytes;
			files += inner.files;
		} else if (entry.isFile()) {
			bytes += statSync(path).size;
			files += 1;
		}
	}
	return { bytes, files };
}

function packagesIn(nodeModules: string): Array<{ name: string; path: string }> {
	const found: Array<{ name: string; path: string }> = [];
	for (const entry of readdirSync(nodeModules, { withFileTypes: true })) {
		if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
		if (entry.name.startsWith('@')) {
			for (const scoped of readdirSync(join(nodeModules, entry.name))) found.push({ name: `${entry.name}/${scoped}`, path: join(nodeModules, entry.name, scoped) });
		} else {
			found.push({ name: entry.name, path: join(nodeModules, entry.name) });
		}
	}
	return found;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)];

/** Spawn → first ready answer, polled every 25 ms (N8nProcess.start polls every 500 ms, too coarse here). */
async function timedStart(n8n: N8nProcess): Promise<number> {
	const t0 = performance.now();
	let readyAt: number | undefined;
	const starting = n8n.start(180_000);
	while (readyAt === undefined) {
		try {
			const response = await fetch(n8n.readinessUrl);
			if (response.ok) readyAt = performance.now();
		} catch {
			// not listening yet
		}
		if (readyAt === undefined) await sleep(25);
	}
	await starting;
	return round((readyAt - t0) / 1000, 2);
}

/**
 * The pack's installed size (installed the way n8n's community-package installer and our Dockerfile do:
 * sandbox/n8n.ts installPack) and n8n's start-up time with and without it, alternating, on existing databases.
 */
export async function runFootprint(profile: BenchProfile, tarball: string, log: (line: string) => void): Promise<FootprintResult> {
	const root = join(projectRoot, '.sandbox', 'bench', 'footprint');
	rmSync(root, { recursive: true, force: true });
	const withPack = join(root, 'with-pack');
	const withoutPack = join(root, 'without-pack');
	mkdirSync(withoutPack, { recursive: true });

	log('installing the pack into an empty n8n user folder');
	const t0 = performance.now();
	installPack(withPack, tarball);
	const installSeconds = round((performance.now() - t0) / 1000, 1);
	const nodeModules = join(withPack, '.n8n', 'nodes', 'node_modules');
	const total = walk(nodeModules);
	const diskKiB = Number(execFileSync('du', ['-sk', nodeModules], { encoding: 'utf8' }).split('\t')[0]);
	const packages = packagesIn(nodeModules);
	const largest = packages
		.map((pkg) => ({ name: pkg.name, apparentMiB: mib(walk(pkg.path).bytes) }))
		.sort((a, b) => b.apparentMiB - a.apparentMiB)
		.slice(0, 8);
	log(`  ${mib(total.bytes)} MiB in ${packages.length} packages (${installSeconds} s)`);

	const process_ = (userFolder: string, port: number) =>
		new N8nProcess({ userFolder, port, brokerPort: port + 1, logFile: join(userFolder, 'n8n.log'), ownProcessGroup: true });
	const n8nWith = whileRunning(process_(withPack, footprintPorts.withPack));
	const n8nWithout = whileRunning(process_(withoutPack, footprintPorts.withoutPack));
	const idleRss = async (n8n: N8nProcess) => {
		await sleep(5_000);
		return mib(treeRss(n8n.pid as number).total);
	};
	try {
		log('  first starts (empty databases)');
		const firstWith = await timedStart(n8nWith);
		const idleWith = await idleRss(n8nWith);
		await n8nWith.stop();
		const firstWithout = await timedStart(n8nWithout);
		const idleWithout = await idleRss(n8nWithout);
		await n8nWithout.stop();
		const withTimes: number[] = [];
		const withoutTimes: number[] = [];
		for (let i = 0; i < profile.footprint.timedStarts; i++) {
			// Alternate which goes first, so a warming page cache favours neither.
			const pair: Array<[N8nProcess, number[]]> = i % 2 === 0 ? [[n8nWith, withTimes], [n8nWithout, withoutTimes]] : [[n8nWithout, withoutTimes], [n8nWith, withTimes]];
			for (const [n8n, times] of pair) {
				times.push(await timedStart(n8n));
				await n8n.stop();
			}
			log(`  start ${i + 1}: with pack ${withTimes.at(-1)} s, without ${withoutTimes.at(-1)} s`);
		}
		return {
			tarballKiB: Math.round(statSync(tarball).size / 1024),
			installSeconds,
			installed: { apparentMiB: mib(total.bytes), diskMiB: round(diskKiB / 1024, 1), files: total.files, packages: packages.length },
			largest,
			startup: {
				withPackSeconds: withTimes,
				withoutPackSeconds: withoutTimes,
				medianWith: median(withTimes),
				medianWithout: median(withoutTimes),
				ratio: round(median(withTimes) / median(withoutTimes), 2),
				firstStartWithPackSeconds: firstWith,
				firstStartWithoutPackSeconds: firstWithout,
				idleRssWithPackMiB: idleWith,
				idleRssWithoutPackMiB: idleWithout,
			},
		};
	} finally {
		await n8nWith.stop();
		await n8nWithout.stop();
	}
}
