import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

import type { Sandbox } from '../../sandbox/environment';
import { zoneWhereNowIsBetween } from '../../sandbox/zones';
import { InspectorSession } from '../lib/inspector';
import { fileMiB, JournalWatcher } from '../lib/journal';
import { closedLoop, within } from '../lib/load';
import { mib, treeRss } from '../lib/procstat';
import type { BenchProfile } from '../lib/profile';
import { startBenchSandbox } from '../lib/sandbox';
import { distribution, round, sleep } from '../lib/stats';
import type { Distribution } from '../lib/stats';
import type { VisitEvent } from '../../nodes/shared/core/schemas';
import { executionsRunning, n8nDatabasePath, waitingExecutions } from '../lib/n8nDatabase';
import { importCadenceWaitProbe } from '../lib/workflows';

export const waitingPorts = { n8n: 5782, broker: 5783, inspector: 5785 };
const hour = 3_600_000;

export interface WaitingScale {
	journeys: number;
	/** Journeys whose Cadence Wait stored them as waiting (journal `wait.scheduled`). */
	scheduled: number;
	/** Executions n8n held as waiting when the first one fell due. */
	waitingAtFirstDue: number;
	loadSeconds: number;
	loadPerSecond: number;
	spreadSeconds: number;
	resumed: number;
	neverResumed: number;
	/** Resume (the probe's HTTP request arriving) minus the due time Cadence Wait planned, in seconds. */
	latenessSeconds: Distribution;
	rssMiB: { idle: number; afterLoad: number; allWaiting: number; peakWhileResuming: number; afterAllResumed: number; growthWhileWaiting: number };
	/**
	 * n8n's V8 heap in use right after a forced full garbage collection (read after the RSS figures, through
	 * the inspector): what the process really retains, against RSS, which also holds freed-but-kept heap and
	 * native memory (isolates, buffers, malloc arenas).
	 */
	heapAfterGcMiB: { idle: number; allWaiting: number; afterAllResumed: number; externalAllWaiting: number };
	/** At the highest RSS while resuming: n8n's V8 heap (allocated) and what lies outside it (RSS − heap − external). */
	atPeakMiB: { rss: number; heapTotal: number; external: number; outsideV8: number; runningExecutions: number };
	databaseMiB: { idle: number; allWaiting: number; afterAllResumed: number };
	journeyStoreMiB: number;
	verdict: string;
}

export interface WaitingResult {
	scales: WaitingScale[];
	workflow: string;
	pollNote: string;
}

/** Receives the probe node's POSTs: journey id → arrival (epoch ms). */
async function startProbe(): Promise<{ url: string; arrivals: Map<string, number>; close: () => Promise<void> }> {
	const arrivals = new Map<string, number>();
	const server = createServer((request, response) => {
		const at = Date.now();
		const chunks: Buffer[] = [];
		request.on('data', (chunk: Buffer) => chunks.push(chunk));
		request.on('end', () => {
			try {
				const { journeyId } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { journeyId?: string };
				if (journeyId && !arrivals.has(journeyId)) arrivals.set(journeyId, at);
			} catch {
				// not ours
			}
			response.writeHead(200, { 'content-type': 'application/json' });
			response.end('{}');
		});
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const { port } = server.address() as AddressInfo;
	return {
		url: `http://127.0.0.1:${port}/resumed`,
		arrivals,
		close: () => new Promise<void>((resolve) => server.close(() => resolve())),
	};
}

/** A journey item as it leaves stage 1 of the template (Send Care Summary → Wait 48 Hours). */
function journeyItem(scale: number, n: number, zone: string, completedAt: string): Record<string, unknown> {
	const visitId = `wait-${scale}-${n}`;
	const at = new Date().toISOString();
	const mobile = `+1617${String(4_000_000 + n).padStart(7, '0')}`;
	const event: VisitEvent = {
		kind: 'visit',
		schemaVersion: 1,
		ehr: 'fhir',
		patientId: `wait-${n}`,
		zone,
		zoneSource: 'patient',
		patient: { firstName: 'Jordan', phones: [{ number: mobile, kind: 'mobile' }], email: `wait-${n}@patients.example`, language: 'en' },
		consent: { sms: true, email: true, voice: true },
		visitId,
		visitType: 'encounter',
		completedAt,
		visitDate: completedAt.slice(0, 10),
		actionItems: [
			{ type: 'followUpVisit', description: 'Book your 2-week follow-up visit', orderId: `sr-${n}`, done: false, schedulingLink: `https://riverside.example/schedule?order=sr-${n}` },
		],
	};
	return {
		...event,
		journey: {
			journeyId: `visit:fhir:${visitId}`,
			patientKey: `fhir:wait-${n}`,
			stage: 1,
			holds: 0,
			steps: [
				{ at, node: 'Visit Details', outcome: 'admitted', reason: 'zone from patient' },
				{ at, node: 'Route Care Summary', stage: 1, outcome: 'routed', reason: 'sms:practiceOrder, email:practiceOrder' },
				{ at, node: 'Send Care Summary', stage: 1, outcome: 'sent', channel: 'sms', providerId: `SM${'0'.repeat(24)}${String(n).padStart(8, '0')}` },
				{ at, node: 'Send Care Summary', stage: 1, outcome: 'sent', channel: 'email', providerId: `<${visitId}@riverside.example>` },
			],
		},
	};
}

async function oneScale(sandbox: Sandbox, journeys: number, profile: BenchProfile, log: (line: string) => void): Promise<WaitingScale> {
	const probe = await startProbe();
	const inspector = await InspectorSession.connect(waitingPorts.inspector);
	const heapMiB = async () => {
		const memory = await inspector.memoryAfterGarbageCollection();
		return { heap: mib(memory.heapUsed), external: mib(memory.external) };
	};
	const workflow = await importCadenceWaitProbe(sandbox, probe.url);
	const n8nPid = sandbox.n8n.pid as number;
	const database = n8nDatabasePath(sandbox);
	const zone = zoneWhereNowIsBetween(9, 20);
	// The due time each journey's Cadence Wait planned.
	const journal = new JournalWatcher(sandbox.journeyStorePath, 'wait.scheduled', (row) => Date.parse((JSON.parse(row.detail ?? '{}') as { sendAt: string }).sendAt));
	const pending = new Map<string, () => void>();
	const watcher = setInterval(() => {
		for (const { journeyId } of journal.poll()) {
			pending.get(journeyId)?.();
			pending.delete(journeyId);
		}
	}, 50);
	let counter = 0;
	try {
		// Let n8n's start-up garbage go before the baseline (RSS right after start is several hundred MiB higher).
		await sleep(20_000);
		const idleRss = mib(treeRss(n8nPid).total);
		const idleDb = fileMiB(database);
		const idleHeap = await heapMiB();

		// Measure the load rate first (journeys due in an hour, outside the measurement), to place the due window
		// after the whole load: all journeys wait at once before the first falls due.
		const loadOne = async (dueAt: number): Promise<string> => {
			const item = journeyItem(journeys, ++counter, zone, new Date(dueAt - 48 * hour).toISOString());
			const journeyId = (item.journey as { journeyId: string }).journeyId;
			const scheduled = new Promise<void>((resolve) => pending.set(journeyId, resolve));
			try {
				const response = await fetch(`${sandbox.n8n.baseUrl}/webhook/${workflow.webhookPath}`, {
					method: 'POST',
					body: JSON.stringify(item),
					headers: { 'content-type': 'application/json' },
				});
				await response.arrayBuffer();
			} catch {
				// counted below as never scheduled
			}
			await within(scheduled, 60_000);
			return journeyId;
		};
		const probeStart = performance.now();
		let probed = 0;
		await closedLoop({
			concurrency: profile.waiting.loadConcurrency,
			durationMs: 5_000,
			runOne: async () => {
				await loadOne(Date.now() + hour);
				probed += 1;
			},
		});
		const rate = probed / ((performance.now() - probeStart) / 1000);
		const predictedLoadMs = (journeys / Math.max(rate, 1)) * 1000;
		const firstDue = Date.now() + predictedLoadMs * 1.25 + 30_000;
		const spread = profile.waiting.spreadMs;
		log(`  ${journeys} journeys: load rate ≈ ${round(rate, 1)}/s, so due times run from +${Math.round((firstDue - Date.now()) / 1000)} s over ${spread / 1000} s`);

		let next = 0;
		const loadStart = performance.now();
		const loaded: string[] = [];
		await Promise.all(
			Array.from({ length: profile.waiting.loadConcurrency }, async () => {
				while (next < journeys) {
					const index = next++;
					loaded.push(await loadOne(firstDue + (journeys > 1 ? (index * spread) / (journeys - 1) : 0)));
				}
			}),
		);
		const loadSeconds = (performance.now() - loadStart) / 1000;
		await sleep(2_000);
		journal.poll();
		const scheduled = loaded.filter((id) => journal.instants.has(id)).length;
		const afterLoadRss = mib(treeRss(n8nPid).total);
		let allWaitingRss = afterLoadRss;
		let allWaitingDb = fileMiB(database);
		let allWaitingHeap = { heap: -1, external: -1 };
		log(`  loaded in ${round(loadSeconds, 1)} s; ${scheduled} waiting; n8n RSS ${idleRss} → ${afterLoadRss} MiB right after the load`);

		let waitingAtFirstDue = -1;
		let peakRss = afterLoadRss;
		let atPeak: WaitingScale['atPeakMiB'] = { rss: 0, heapTotal: 0, external: 0, outsideV8: 0, runningExecutions: 0 };
		const lastDue = Math.max(...loaded.map((id) => journal.instants.get(id) ?? 0));
		const deadline = lastDue + 180_000;
		const ids = loaded.filter((id) => journal.instants.has(id));
		while (Date.now() < deadline) {
			// Just before the first is due, everything waits and the load's garbage had time to go: the "all waiting"
			// figures. The rate-probe journeys (due in an hour) wait too: they are not counted.
			if (waitingAtFirstDue < 0 && Date.now() >= firstDue - 3_000) {
				waitingAtFirstDue = waitingExecutions(sandbox) - probed;
				allWaitingRss = mib(treeRss(n8nPid).total);
				allWaitingDb = fileMiB(database);
				allWaitingHeap = await heapMiB();
				log(`  just before the first due time: ${waitingAtFirstDue} waiting, n8n RSS ${allWaitingRss} MiB (heap after GC ${allWaitingHeap.heap} MiB), database ${allWaitingDb} MiB`);
			}
			const rssNow = mib(treeRss(n8nPid).total);
			if (rssNow > peakRss) {
				peakRss = rssNow;
				const memory = await inspector.memoryUsage();
				const [heapTotal, external] = [mib(memory.heapTotal), mib(memory.external)];
				atPeak = { rss: mib(memory.rss), heapTotal, external, outsideV8: round(mib(memory.rss) - heapTotal - external, 1), runningExecutions: executionsRunning(sandbox) };
			}
			const resumed = ids.filter((id) => probe.arrivals.has(id)).length;
			if (resumed === ids.length && Date.now() > lastDue) break;
			await sleep(2_000);
		}
		await sleep(3_000);
		const lateness = ids.filter((id) => probe.arrivals.has(id)).map((id) => (probe.arrivals.get(id)! - journal.instants.get(id)!) / 1000);
		const latenessSeconds = distribution(lateness);
		const rssAfter = mib(treeRss(n8nPid).total);
		const afterHeap = await heapMiB();
		const resumed = lateness.length;
		const neverResumed = ids.length - resumed;
		const growth = round(allWaitingRss - idleRss, 1);
		const problems = [
			scheduled < journeys ? `${journeys - scheduled} journeys never reached the wait` : '',
			neverResumed > 0 ? `${neverResumed} never resumed` : '',
			latenessSeconds.max > 90 ? `max lateness ${round(latenessSeconds.max, 1)} s > 90 s` : '',
			growth > 200 ? `RSS grew ${growth} MiB > 200 MiB` : '',
		].filter(Boolean);
		return {
			journeys,
			scheduled,
			waitingAtFirstDue,
			loadSeconds: round(loadSeconds, 1),
			loadPerSecond: round(journeys / loadSeconds, 1),
			spreadSeconds: spread / 1000,
			resumed,
			neverResumed,
			latenessSeconds: {
				...latenessSeconds,
				p50: round(latenessSeconds.p50, 2),
				p95: round(latenessSeconds.p95, 2),
				p99: round(latenessSeconds.p99, 2),
				max: round(latenessSeconds.max, 2),
				mean: round(latenessSeconds.mean, 2),
			},
			rssMiB: { idle: idleRss, afterLoad: afterLoadRss, allWaiting: allWaitingRss, peakWhileResuming: peakRss, afterAllResumed: rssAfter, growthWhileWaiting: growth },
			atPeakMiB: atPeak,
			heapAfterGcMiB: { idle: idleHeap.heap, allWaiting: allWaitingHeap.heap, afterAllResumed: afterHeap.heap, externalAllWaiting: allWaitingHeap.external },
			databaseMiB: { idle: idleDb, allWaiting: allWaitingDb, afterAllResumed: fileMiB(database) },
			journeyStoreMiB: fileMiB(sandbox.journeyStorePath),
			verdict: problems.length ? `breaks: ${problems.join('; ')}` : 'holds',
		};
	} finally {
		clearInterval(watcher);
		journal.close();
		inspector.close();
		await probe.close();
	}
}

/**
 * Waiting at scale: N journeys at once in the template's "Wait 48 Hours" Cadence Wait (SQLite, n8n's
 * default), with visit-close times chosen so the due times spread evenly over a window that opens after the
 * whole load is in. Journeys enter as the item stage 1 hands to that node; each resumed journey tells the
 * benchmark by HTTP (bench/workflows/cadence-wait-probe.json).
 */
export async function runWaiting(profile: BenchProfile, tarball: string, log: (line: string) => void): Promise<WaitingResult> {
	const scales: WaitingScale[] = [];
	for (const journeys of profile.waiting.journeys) {
		// The inspector reads n8n's heap after a forced garbage collection.
		const sandbox = await startBenchSandbox({ name: `waiting-${journeys}`, tarball, ports: waitingPorts, log });
		try {
			const scale = await oneScale(sandbox, journeys, profile, log);
			log(`  ${journeys}: lateness p50 ${scale.latenessSeconds.p50} s, p99 ${scale.latenessSeconds.p99} s, max ${scale.latenessSeconds.max} s — ${scale.verdict}`);
			scales.push(scale);
			if (scale.verdict !== 'holds') break;
		} finally {
			await sandbox.stop();
		}
	}
	return {
		scales,
		workflow: 'bench/workflows/cadence-wait-probe.json',
		pollNote: "n8n's WaitTracker reads waiting executions due within 70 s from its database every 60 s (hard-coded) and sets a timer for each",
	};
}
