import { sandboxTwilioCredential } from '../../sandbox/environment';
import type { Sandbox } from '../../sandbox/environment';
import { zoneWhereNowIsBetween } from '../../sandbox/zones';
import { cpuCategories, keepCpuProfile, summarizeCpuProfile } from '../lib/cpuProfile';
import type { CpuCategory } from '../lib/cpuProfile';
import { InspectorSession } from '../lib/inspector';
import { closedLoop, openLoop, within } from '../lib/load';
import { executionsAfter, lastExecutionId } from '../lib/n8nDatabase';
import { mib, ownCpuSeconds, TreeSampler } from '../lib/procstat';
import type { TreeUsage } from '../lib/procstat';
import type { BenchProfile } from '../lib/profile';
import { startBenchSandbox } from '../lib/sandbox';
import { distribution, round, sleep } from '../lib/stats';
import type { Distribution } from '../lib/stats';
import { firstTouchOf, VisitSource } from '../lib/visits';
import type { BenchVisit } from '../lib/visits';
import { importStockStageOne, latestExecutionError } from '../lib/workflows';

export const stageOnePorts = { n8n: 5780, broker: 5781, inspector: 5784 };
const visitTimeoutMs = 60_000;

export interface LatencyResult {
	mode: string;
	visits: number;
	completed: number;
	failed: number;
	/** Both channels accepted (first touch), SMS alone, email alone, and the webhook's answer to the EHR. */
	firstTouchMs: Distribution;
	smsMs: Distribution;
	emailMs: Distribution;
	ackMs: Distribution;
	n8n: ResourceUse;
	/** CPU of this process: load generator plus the sandbox FHIR, Twilio-shaped and SMTP servers. */
	benchProcessCpuCores: number;
}

export interface ThroughputResult {
	mode: string;
	visitsPerSecond: number;
	completedInWindow: number;
	windowSeconds: number;
	failed: number;
	firstTouchMs: Distribution;
	n8n: ResourceUse;
	benchProcessCpuCores: number;
}

export interface ResourceUse {
	cpuCores: number;
	cpuCoresByProcess: Record<string, number>;
	rssMaxMiB: number;
	rssLastMiB: number;
	rssLastMiBByProcess: Record<string, number>;
}

export interface ComparisonResult {
	rounds: number;
	order: string[];
	ours: { visitsPerSecond: number; p99Ms: number; p50Ms: number; n8nCpuCores: number; failed: number; latencySamples: number };
	stock: { visitsPerSecond: number; p99Ms: number; p50Ms: number; n8nCpuCores: number; failed: number; latencySamples: number };
	/** ours ÷ stock: ≥ 2 is the target. */
	throughputRatio: number;
	/** ours ÷ stock: ≤ 0.5 is the target. */
	p99Ratio: number;
	throughputMode: string;
	latencyMode: string;
	stockWorkflow: string;
}

/**
 * The template as measured everywhere else (no delivery tracking, like the stock workflow), the stock
 * workflow, and the template with Twilio status callbacks on, as a practice running the Delivery Status
 * workflow has it: each SMS then costs n8n a second execution.
 */
export const profiledVariants = ['ours', 'stock', 'oursWithDeliveryStatus'] as const;
export type ProfiledVariant = (typeof profiledVariants)[number];

/** Where n8n's CPU goes per visit, each workflow profiled alone under the same closed-loop load. */
export interface CpuBreakdown {
	mode: string;
	variants: Partial<Record<ProfiledVariant, CpuOfOneWorkflow>>;
}

export interface CpuOfOneWorkflow {
	visitsPerSecond: number;
	/** n8n's main thread, busy milliseconds per visit by category (V8 sampling profiler, 1 ms interval). */
	mainThreadMsPerVisit: Record<CpuCategory, number>;
	mainThreadBusyMsPerVisit: number;
	/** From /proc: all of n8n's process tree per visit (main thread, its helper threads, the JS task runner). */
	processCpuMsPerVisit: Record<string, number>;
	/** Executions n8n ran and saved per visit (a stage-1 run, plus any other workflow the visit set off). */
	executionsPerVisit: number;
	/** Size of the execution data n8n saved per visit (all executions of the visit), in KiB. */
	savedDataKiBPerVisit: number;
}

export interface StageOneResult {
	zone: string;
	latency: LatencyResult;
	throughput: ThroughputResult;
	/** Only with the stock workflow (not in the run with n8n's lazy isolates off). */
	comparison?: ComparisonResult;
	cpu: CpuBreakdown;
	/** N8N_EXPRESSION_ENGINE_LAZY_ACQUIRE as n8n ran: isolates only when an expression runs (the sandbox's default). */
	lazyIsolates: boolean;
}

export interface StageOneOptions {
	/**
	 * false: n8n runs with N8N_EXPRESSION_ENGINE_LAZY_ACQUIRE=false (n8n's own default) and only the template is
	 * measured, for the two settings side by side.
	 */
	lazyIsolates?: boolean;
}

function resources(usage: TreeUsage): ResourceUse {
	return {
		cpuCores: round(usage.cpuCores, 2),
		cpuCoresByProcess: Object.fromEntries(Object.entries(usage.cpuCoresByProcess).map(([k, v]) => [k, round(v, 2)])),
		rssMaxMiB: mib(usage.rssMaxBytes),
		rssLastMiB: mib(usage.rssLastBytes),
		rssLastMiBByProcess: Object.fromEntries(Object.entries(usage.rssLastByProcess).map(([k, v]) => [k, mib(v)])),
	};
}

interface Run {
	source: VisitSource;
	sandbox: Sandbox;
	log: (line: string) => void;
}

/** Starts one visit: closes it in the FHIR sandbox, posts the notification, and resolves when both channels accepted it (or it timed out). */
async function oneVisit(run: Run, webhookPath: string, scheduledAt?: number): Promise<BenchVisit> {
	const visit = await run.source.prepare();
	await run.source.deliver(visit, webhookPath, scheduledAt);
	await within(visit.done, visitTimeoutMs);
	return visit;
}

const completedOf = (visits: BenchVisit[]) => visits.filter((visit) => firstTouchOf(visit) !== undefined);

/** Waits until nothing is in flight (or the timeout), then empties the outboxes. */
async function drain(run: Run, timeoutMs = visitTimeoutMs): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while (run.source.pendingCount > 0 && Date.now() < deadline) await sleep(100);
	const lost = run.source.abandonPending();
	if (lost.length) run.log(`  ${lost.length} visit(s) never reached both channels within ${timeoutMs / 1000} s`);
	run.source.resetOutboxes();
}

function latencyOf(visits: BenchVisit[]) {
	const touches = visits.map(firstTouchOf).filter((touch) => touch !== undefined);
	return {
		firstTouchMs: distribution(touches.map((t) => t.both)),
		smsMs: distribution(touches.map((t) => t.sms)),
		emailMs: distribution(touches.map((t) => t.email)),
	};
}

async function openLoopRun(run: Run, webhookPath: string, count: number, rate: number) {
	const n8nPid = run.sandbox.n8n.pid as number;
	const sampler = new TreeSampler(n8nPid);
	const cpu0 = ownCpuSeconds();
	const t0 = performance.now();
	sampler.start();
	const visits: BenchVisit[] = [];
	const acks: number[] = [];
	const started = await openLoop({
		ratePerSecond: rate,
		count,
		start: async (_index, dueAt) => {
			const visit = await run.source.prepare();
			visits.push(visit);
			await run.source.deliver(visit, webhookPath, dueAt);
			acks.push(Date.now() - (visit.postedAt as number));
			await within(visit.done, visitTimeoutMs);
		},
	});
	await Promise.all(started);
	const usage = sampler.stop();
	const benchCpu = (ownCpuSeconds() - cpu0) / ((performance.now() - t0) / 1000);
	await drain(run);
	const completed = completedOf(visits);
	return { visits, completed, acks, usage, benchCpu };
}

/** Called as the measured window opens (after the warm-up) and as the load stops. */
interface WindowHooks {
	opened: () => Promise<void>;
	closing: () => Promise<void>;
}

async function closedLoopRun(run: Run, webhookPath: string, concurrency: number, warmupMs: number, measureMs: number, hooks?: WindowHooks) {
	const n8nPid = run.sandbox.n8n.pid as number;
	const visits: BenchVisit[] = [];
	const startedAt = Date.now();
	const windowStart = startedAt + warmupMs;
	const windowEnd = windowStart + measureMs;
	const sampler = new TreeSampler(n8nPid);
	let cpuAtWindow = 0;
	let windowOpened: Promise<void> = Promise.resolve();
	const samplerTimer = setTimeout(() => {
		sampler.start();
		cpuAtWindow = ownCpuSeconds();
		if (hooks) windowOpened = hooks.opened();
	}, warmupMs);
	await closedLoop({
		concurrency,
		durationMs: warmupMs + measureMs,
		runOne: async () => {
			visits.push(await oneVisit(run, webhookPath));
		},
	});
	clearTimeout(samplerTimer);
	await windowOpened;
	await hooks?.closing();
	const usage = sampler.stop();
	const benchCpu = (ownCpuSeconds() - cpuAtWindow) / ((Date.now() - windowStart) / 1000);
	await drain(run);
	const finishedAt = (visit: BenchVisit) => Math.max(visit.smsAt ?? Infinity, visit.emailAt ?? Infinity);
	const inWindow = completedOf(visits).filter((visit) => finishedAt(visit) >= windowStart && finishedAt(visit) < windowEnd);
	return {
		visits,
		inWindow,
		failed: visits.length - completedOf(visits).length,
		visitsPerSecond: inWindow.length / (measureMs / 1000),
		usage,
		benchCpu,
	};
}

/**
 * Event → first touch, throughput and the stock-node comparison, in one real n8n with the sandbox: the
 * published three-stage template (FHIR) and bench/workflows/stock-stage-one.json side by side.
 */
export async function runStageOne(profile: BenchProfile, tarball: string, log: (line: string) => void, options: StageOneOptions = {}): Promise<StageOneResult> {
	const lazyIsolates = options.lazyIsolates ?? true;
	// Like for like with the stock workflow, which tracks no delivery: no Delivery Status execution per SMS. The
	// inspector lets the CPU breakdown profile each workflow alone in this n8n.
	const sandbox = await startBenchSandbox({
		name: lazyIsolates ? 'stage-one' : 'stage-one-eager',
		tarball,
		ports: stageOnePorts,
		log,
		deliveryStatusCallbacks: false,
		extraEnv: lazyIsolates ? {} : { N8N_EXPRESSION_ENGINE_LAZY_ACQUIRE: 'false' },
	});
	try {
		const stock = lazyIsolates ? await importStockStageOne(sandbox) : undefined;
		const ours = sandbox.workflows.threeStage.fhir;
		const paths = { ours: ours.webhookPath, ...(stock ? { stock: stock.webhookPath } : {}) };
		const zone = zoneWhereNowIsBetween(9, 20);
		const source = new VisitSource(sandbox, zone, 'bench');
		const run: Run = { source, sandbox, log };
		try {
			await smokeTest(run, paths);
			log(`  warming up ${stock ? 'both workflows' : 'the template'}`);
			for (const path of Object.values(paths)) {
				await closedLoop({ concurrency: 4, durationMs: 3_000, runOne: async () => void (await oneVisit(run, path)) });
				await drain(run);
			}

			const tp = profile.throughput;
			log(`  throughput: closed loop, ${tp.concurrency} visits in flight, ${tp.warmupMs / 1000} s warm-up + ${tp.measureMs / 1000} s`);
			const closed = await closedLoopRun(run, ours.webhookPath, tp.concurrency, tp.warmupMs, tp.measureMs);
			const throughput: ThroughputResult = {
				mode: `closed loop, ${tp.concurrency} visits in flight (a visit is done when SMS and email are both accepted)`,
				visitsPerSecond: round(closed.visitsPerSecond, 1),
				completedInWindow: closed.inWindow.length,
				windowSeconds: tp.measureMs / 1000,
				failed: closed.failed,
				firstTouchMs: latencyOf(closed.inWindow).firstTouchMs,
				n8n: resources(closed.usage),
				benchProcessCpuCores: round(closed.benchCpu, 2),
			};
			log(`    ${throughput.visitsPerSecond} visits/s, n8n CPU ${throughput.n8n.cpuCores} cores, RSS ${throughput.n8n.rssMaxMiB} MiB`);

			const latencyVisits = profile.firstTouch.visits;
			// Latency is measured at half the capacity just measured (capped at the profile's rate), so it shows the
			// path's own delay rather than a queue growing without bound.
			const ratePerSecond = openLoopRate(profile.firstTouch.ratePerSecond, throughput.visitsPerSecond);
			log(`  event → first touch: ${latencyVisits} visits, open loop at ${ratePerSecond}/s`);
			const open = await openLoopRun(run, ours.webhookPath, latencyVisits, ratePerSecond);
			const latency: LatencyResult = {
				mode: `open loop, ${ratePerSecond} visits/s (a new visit every ${Math.round(1000 / ratePerSecond)} ms whatever n8n does; half the throughput measured just before, at most ${profile.firstTouch.ratePerSecond}/s)`,
				visits: open.visits.length,
				completed: open.completed.length,
				failed: open.visits.length - open.completed.length,
				...latencyOf(open.completed),
				ackMs: distribution(open.acks),
				n8n: resources(open.usage),
				benchProcessCpuCores: round(open.benchCpu, 2),
			};
			log(`    p50 ${latency.firstTouchMs.p50} ms, p99 ${latency.firstTouchMs.p99} ms, failed ${latency.failed}`);

			const comparisonRate = openLoopRate(profile.comparison.latencyRatePerSecond, throughput.visitsPerSecond);
			const comparison = stock ? await compare(run, profile, ours.webhookPath, stock.webhookPath, comparisonRate) : undefined;
			const cpu = await cpuBreakdown(run, profile, paths, lazyIsolates ? 'stage-one' : 'stage-one-eager');
			return { zone, latency, throughput, comparison, cpu, lazyIsolates };
		} finally {
			source.close();
		}
	} finally {
		await sandbox.stop();
	}
}

/** One visit through each workflow, checked for content, so a broken set-up fails before it is measured. */
async function smokeTest(run: Run, paths: { ours: string; stock?: string }): Promise<void> {
	for (const [name, path] of [['template', paths.ours], ['stock', paths.stock]] as const) {
		if (!path) continue;
		const visit = await oneVisit(run, path);
		if (!firstTouchOf(visit)) {
			const message = await latestExecutionError(run.sandbox);
			throw new Error(`the ${name} workflow did not send both channels (webhook answered ${visit.responseStatus}): ${message}`);
		}
		if (!visit.smsBody?.includes(`order=${visit.orderId}`)) throw new Error(`the ${name} workflow's SMS lacks the scheduling link`);
		run.log(`  smoke test: ${name} workflow sent SMS and email (${firstTouchOf(visit)?.both} ms)`);
	}
	await drain(run);
}

/** Half the measured capacity, at most `cap`, at least 0.2 visits/s, rounded to 0.1. */
function openLoopRate(cap: number, capacity: number): number {
	return Math.max(0.2, Math.min(cap, Math.round(capacity * 5) / 10));
}

async function compare(run: Run, profile: BenchProfile, oursPath: string, stockPath: string, latencyRate: number): Promise<ComparisonResult> {
	const c = profile.comparison;
	const latencyVisits = Math.max(10, Math.round(latencyRate * c.latencySeconds));
	const totals = {
		ours: { completed: 0, seconds: 0, failed: 0, latencies: [] as number[], cpu: [] as number[] },
		stock: { completed: 0, seconds: 0, failed: 0, latencies: [] as number[], cpu: [] as number[] },
	};
	const order: string[] = [];
	for (let round_ = 0; round_ < c.rounds; round_++) {
		// ABBA: the workflow measured first alternates, so warming and database growth favour neither.
		const variants: Array<'ours' | 'stock'> = round_ % 2 === 0 ? ['ours', 'stock'] : ['stock', 'ours'];
		for (const variant of variants) {
			order.push(variant);
			const path = variant === 'ours' ? oursPath : stockPath;
			run.log(`  comparison round ${round_ + 1}: ${variant}, closed loop ${c.concurrency} in flight for ${(c.warmupMs + c.measureMs) / 1000} s`);
			const closed = await closedLoopRun(run, path, c.concurrency, c.warmupMs, c.measureMs);
			totals[variant].completed += closed.inWindow.length;
			totals[variant].seconds += c.measureMs / 1000;
			totals[variant].failed += closed.failed;
			totals[variant].cpu.push(closed.usage.cpuCores);
			run.log(`    ${round(closed.visitsPerSecond, 1)} visits/s; then ${latencyVisits} visits open loop at ${latencyRate}/s`);
			const open = await openLoopRun(run, path, latencyVisits, latencyRate);
			totals[variant].failed += open.visits.length - open.completed.length;
			totals[variant].latencies.push(...open.completed.map((visit) => firstTouchOf(visit)!.both));
		}
	}
	const summary = (variant: 'ours' | 'stock') => {
		const t = totals[variant];
		const latency = distribution(t.latencies);
		return {
			visitsPerSecond: round(t.completed / t.seconds, 1),
			p99Ms: latency.p99,
			p50Ms: latency.p50,
			n8nCpuCores: round(t.cpu.reduce((a, b) => a + b, 0) / Math.max(1, t.cpu.length), 2),
			failed: t.failed,
			latencySamples: latency.count,
		};
	};
	const ours = summary('ours');
	const stock = summary('stock');
	return {
		rounds: c.rounds,
		order,
		ours,
		stock,
		throughputRatio: stock.visitsPerSecond > 0 ? round(ours.visitsPerSecond / stock.visitsPerSecond, 2) : Number.NaN,
		p99Ratio: stock.p99Ms > 0 ? round(ours.p99Ms / stock.p99Ms, 2) : Number.NaN,
		throughputMode: `closed loop, ${c.concurrency} in flight, ${c.measureMs / 1000} s per segment after ${c.warmupMs / 1000} s warm-up`,
		latencyMode: `open loop at ${latencyRate} visits/s (half the pack's measured throughput, at most ${c.latencyRatePerSecond}/s), ${latencyVisits} visits per segment`,
		stockWorkflow: 'bench/workflows/stock-stage-one.json',
	};
}

/**
 * Each workflow alone under the same closed-loop load, with V8's sampling profiler on n8n's main thread for
 * the measured window (through the inspector, so both are profiled in the same warmed-up n8n), plus the
 * executions and execution data n8n saved for them.
 */
async function cpuBreakdown(run: Run, profile: BenchProfile, paths: { ours: string; stock?: string }, scenario: string): Promise<CpuBreakdown> {
	const c = profile.cpuProfile;
	const inspector = await InspectorSession.connect(stageOnePorts.inspector);
	try {
		const variants: CpuBreakdown['variants'] = {};
		for (const variant of profiledVariants) {
			const path = variant === 'stock' ? paths.stock : paths.ours;
			if (!path) continue;
			const withCallbacks = variant === 'oursWithDeliveryStatus';
			if (withCallbacks) await setDeliveryStatusCallbacks(run.sandbox, true);
			run.log(`  CPU profile: ${variant} alone, closed loop ${c.concurrency} in flight for ${(c.warmupMs + c.measureMs) / 1000} s`);
			let cpuProfile: ReturnType<typeof summarizeCpuProfile> | undefined;
			let profiledSeconds = 0;
			const firstExecution = lastExecutionId(run.sandbox);
			const closed = await closedLoopRun(run, path, c.concurrency, c.warmupMs, c.measureMs, {
				opened: () => inspector.startProfiling(),
				closing: async () => {
					const raw = await inspector.stopProfiling();
					keepCpuProfile(`${scenario}-${variant}`, raw);
					profiledSeconds = (raw.endTime - raw.startTime) / 1e6;
					cpuProfile = summarizeCpuProfile(raw);
				},
			});
			const visits = closed.visits.length;
			const saved = executionsAfter(run.sandbox, firstExecution);
			const perVisit = (cores: number) => round((cores * 1000) / closed.visitsPerSecond, 1);
			const summary = cpuProfile!;
			const measured: CpuOfOneWorkflow = {
				visitsPerSecond: round(closed.visitsPerSecond, 1),
				mainThreadMsPerVisit: Object.fromEntries(
					cpuCategories.map((category) => [category, perVisit(summary.byCategory[category] / 1000 / profiledSeconds)]),
				) as Record<CpuCategory, number>,
				mainThreadBusyMsPerVisit: perVisit(summary.busyMs / 1000 / profiledSeconds),
				processCpuMsPerVisit: Object.fromEntries(Object.entries(closed.usage.cpuCoresByProcess).map(([name, cores]) => [name, perVisit(cores)])),
				executionsPerVisit: round(saved.reduce((sum, entry) => sum + entry.executions, 0) / visits, 2),
				savedDataKiBPerVisit: round(saved.reduce((sum, entry) => sum + entry.executions * entry.averageDataBytes, 0) / 1024 / visits, 1),
			};
			variants[variant] = measured;
			run.log(`    ${measured.visitsPerSecond} visits/s; n8n main thread ${measured.mainThreadBusyMsPerVisit} ms per visit`);
			if (withCallbacks) await setDeliveryStatusCallbacks(run.sandbox, false);
		}
		return {
			mode: `each workflow alone, closed loop ${c.concurrency} in flight, profiled for ${c.measureMs / 1000} s after ${c.warmupMs / 1000} s warm-up; per visit = CPU ÷ visits completed per second`,
			variants,
		};
	} finally {
		inspector.close();
	}
}

/** Points the sandbox's Twilio credential's status callbacks at the Delivery Status workflow, or turns them off. */
async function setDeliveryStatusCallbacks(sandbox: Sandbox, on: boolean): Promise<void> {
	const data = sandboxTwilioCredential(sandbox.twilio.url, on ? sandbox.n8n.baseUrl : undefined);
	await sandbox.client.rest('PATCH', `/credentials/${sandbox.credentialIds.postVisitTwilioApi}`, { name: 'Sandbox postVisitTwilioApi', type: 'postVisitTwilioApi', data });
}
