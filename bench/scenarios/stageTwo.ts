import type { JourneyDueOptions, Sandbox } from '../../sandbox/environment';
import { zoneWhereNowIsBetween } from '../../sandbox/zones';
import { cpuCategories, keepCpuProfile, packTimeByArea, summarizeCpuProfile } from '../lib/cpuProfile';
import type { CpuCategory, CpuProfile } from '../lib/cpuProfile';
import { InspectorSession } from '../lib/inspector';
import { executionsAfter, lastExecutionId } from '../lib/n8nDatabase';
import { ownCpuSeconds, TreeSampler } from '../lib/procstat';
import type { BenchProfile } from '../lib/profile';
import { ReminderJourneys } from '../lib/reminders';
import { startBenchSandbox } from '../lib/sandbox';
import { round, sleep } from '../lib/stats';
import { latestExecutionError } from '../lib/workflows';

export const stageTwoPorts = { n8n: 5780, broker: 5781, inspector: 5784 };

/**
 * The Journey Due Trigger as a practice with a large backlog would set it: a check every second, so the check
 * interval does not set the pace (the default, 15 s with 5 batches of 100 in flight, caps it at about 33 journeys/s).
 */
export const stageTwoTrigger: JourneyDueOptions = { checkEverySeconds: 1, batchSize: 100, batchesInFlight: 5 };

/** The share of the backlog measured: from the 10 % to the 90 % reminder, leaving out the ramp up and down. */
const measuredShare = { from: 0.1, to: 0.9 };
/** A backlog making no progress for this long has stalled: what is left is counted as not sent. */
const stallMs = 60_000;

export interface StageTwoPerJourney {
	/** n8n's main thread, busy milliseconds (V8 sampling profiler), and by category. */
	mainThreadMs: number;
	mainThreadByCategory: Record<CpuCategory, number>;
	/** Of the pack's own time on the main thread ("workflow nodes"), where it goes (cpuProfile.packTimeByArea). */
	packByArea: Record<string, number>;
	/** /proc CPU of n8n's processes (all threads), by process. */
	n8nProcessMs: Record<string, number>;
	/** /proc CPU of the benchmark process: the FHIR server, the Twilio-shaped API and the SMTP sink (and the load's own polling). */
	doublesMs: number;
	fhirRequests: number;
	executions: number;
	savedDataKiB: number;
}

/** One backlog measured. */
export interface StageTwoRun {
	journeys: number;
	measuredJourneys: number;
	windowSeconds: number;
	journeysPerSecond: number;
	notSent: number;
	n8nCpuCores: number;
	/** How much of the measured span n8n's main thread was busy (1 = saturated: CPU, not waiting, sets the pace). */
	mainThreadBusyShare: number;
	doublesCpuCores: number;
	perJourney: StageTwoPerJourney;
	/** Journeys/s if n8n had the machine to itself: its main thread is one core; all its threads share two. */
	ceiling: { mainThread: number; allThreads: number };
}

export interface StageTwoResult {
	mode: string;
	trigger: JourneyDueOptions;
	/** The test doubles on loopback, answering in about a millisecond. */
	loopback: StageTwoRun;
	/** The same with every FHIR answer `ehrLatencyMs` late, as an EHR across a network is. */
	ehrLatencyMs: number;
	withEhrLatency: StageTwoRun;
}

/** What one measured window collected, before it is divided by the journeys it saw. */
interface WindowUsage {
	seconds: number;
	journeys: number;
	profile: CpuProfile;
	n8nCores: Record<string, number>;
	doublesSeconds: number;
	fhirRequests: number;
}

/**
 * Stage 2 throughput: a backlog of journeys of the published three-stage template, all falling due at once in the
 * journey store, resumed by its Journey Due Trigger (EHR fetched again, trail rebuilt) into Booking Check →
 * Channel Router → Patient Message → the next Cadence Wait; counted as the Twilio-shaped API accepts each reminder.
 * n8n's CPU is profiled over the middle of the backlog and reported per journey, apart from the test doubles'.
 */
export async function runStageTwo(profile: BenchProfile, tarball: string, log: (line: string) => void): Promise<StageTwoResult> {
	// Delivery tracking is measured in the stage-one scenario's CPU table; here it would only add executions.
	const sandbox = await startBenchSandbox({ name: 'stage-two', tarball, ports: stageTwoPorts, log, deliveryStatusCallbacks: false, journeyDue: stageTwoTrigger });
	const inspector = await InspectorSession.connect(stageTwoPorts.inspector);
	try {
		const reminders = new ReminderJourneys(sandbox, zoneWhereNowIsBetween(9, 20), 'stage2');
		const p = profile.stageTwo;
		log(`  warm-up: ${p.warmupJourneys} journeys due at once`);
		const warmup = await reminders.schedule(p.warmupJourneys, () => new Date().toISOString());
		await untilSent(reminders, warmup.length);
		const sent = warmup.filter((journey) => reminders.smsAt.has(journey.journeyId));
		if (sent.length < warmup.length) {
			const accepted = sandbox.twilio.messages;
			throw new Error(`stage 2 sent ${sent.length} of ${warmup.length} reminders (the Twilio-shaped API accepted ${accepted.length}${accepted.length ? `, e.g. to ${accepted[0].to}` : ''}): ${await latestExecutionError(sandbox)}`);
		}
		if (!reminders.smsBody.get(warmup[0].journeyId)?.includes(`order=${warmup[0].orderId}`)) throw new Error('the reminder lacks the scheduling link');
		reminders.trimLogs();

		const loopback = await oneBacklog(sandbox, inspector, reminders, p.journeys, log);
		sandbox.fhir.settings.latencyMs = p.ehrLatencyMs;
		const withEhrLatency = await oneBacklog(sandbox, inspector, reminders, p.latencyJourneys, log);
		return {
			mode: 'a backlog of journeys due at once; journeys/s from the 10 % to the 90 % reminder accepted, n8n\'s CPU over the same span',
			trigger: stageTwoTrigger,
			loopback,
			ehrLatencyMs: p.ehrLatencyMs,
			withEhrLatency,
		};
	} finally {
		inspector.close();
		await sandbox.stop();
	}
}

/** Schedules `count` journeys, makes them all due at once and measures the middle of the backlog. */
async function oneBacklog(sandbox: Sandbox, inspector: InspectorSession, reminders: ReminderJourneys, count: number, log: (line: string) => void): Promise<StageTwoRun> {
	const latency = sandbox.fhir.settings.latencyMs ? `, every FHIR answer ${sandbox.fhir.settings.latencyMs} ms late` : '';
	log(`  ${count} journeys scheduled, then all due at once${latency}`);
	const journeys = await reminders.schedule(count, () => new Date(Date.now() + 86_400_000).toISOString());
	const firstExecution = lastExecutionId(sandbox);
	await reminders.reschedule(journeys, new Date().toISOString());
	const usage = await measureWindow(sandbox, inspector, reminders, journeys.length);
	const expected = usage.sentBefore + journeys.length;
	const notSent = expected - (await untilSent(reminders, expected));
	const run = stageTwoRun(usage.window, journeys.length, notSent, executionsAfter(sandbox, firstExecution));
	reminders.trimLogs();
	log(`    ${run.journeysPerSecond} journeys/s; n8n main thread ${run.perJourney.mainThreadMs} ms per journey (busy ${Math.round(run.mainThreadBusyShare * 100)} %), test doubles ${run.perJourney.doublesMs} ms`);
	return run;
}

/** Waits until `total` reminders have arrived in all, or nothing arrived for `stallMs`; returns how many arrived. */
async function untilSent(reminders: ReminderJourneys, total: number): Promise<number> {
	let lastProgress = Date.now();
	let arrived = reminders.collect();
	while (arrived < total && Date.now() - lastProgress < stallMs) {
		await sleep(100);
		const now = reminders.collect();
		if (now > arrived) lastProgress = Date.now();
		arrived = now;
	}
	return arrived;
}

/**
 * Profiles n8n's main thread and samples every process's CPU while the backlog's reminders go from 10 % to 90 %
 * sent. `sentBefore`: the reminders that had arrived before this backlog.
 */
async function measureWindow(sandbox: Sandbox, inspector: InspectorSession, reminders: ReminderJourneys, backlog: number) {
	const sentBefore = reminders.collect();
	const reached = async (share: number) => {
		const target = sentBefore + Math.ceil(backlog * share);
		if ((await untilSent(reminders, target)) < target) throw new Error(`stage 2 stalled before ${share * 100} % of the backlog was sent: ${await latestExecutionError(sandbox)}`);
	};
	await reached(measuredShare.from);
	const sampler = new TreeSampler(sandbox.n8n.pid as number, 500);
	const start = { at: performance.now(), sent: reminders.collect(), cpu: ownCpuSeconds(), fhir: sandbox.fhir.requests.length };
	sampler.start();
	await inspector.startProfiling();
	await reached(measuredShare.to);
	const profile = await inspector.stopProfiling();
	const usage = sampler.stop();
	const seconds = (performance.now() - start.at) / 1000;
	keepCpuProfile(sandbox.fhir.settings.latencyMs ? 'stage-two-ehr-latency' : 'stage-two', profile);
	const measured: WindowUsage = {
		seconds,
		journeys: reminders.collect() - start.sent,
		profile,
		n8nCores: usage.cpuCoresByProcess,
		doublesSeconds: ownCpuSeconds() - start.cpu,
		fhirRequests: sandbox.fhir.requests.length - start.fhir,
	};
	return { sentBefore, window: measured };
}

function stageTwoRun(window: WindowUsage, journeys: number, notSent: number, saved: ReturnType<typeof executionsAfter>): StageTwoRun {
	const profiledSeconds = (window.profile.endTime - window.profile.startTime) / 1e6;
	const rate = window.journeys / window.seconds;
	/** Milliseconds per journey of something measured in ms over the profiled time. */
	const profiledMs = (ms: number) => round(ms / profiledSeconds / rate, 2);
	const summary = summarizeCpuProfile(window.profile);
	const n8nCores = Object.values(window.n8nCores).reduce((sum, cores) => sum + cores, 0);
	const mainThreadMs = profiledMs(summary.busyMs);
	const n8nMs = Object.fromEntries(Object.entries(window.n8nCores).map(([name, cores]) => [name, round((cores * 1000) / rate, 2)]));
	const allThreadsMs = Object.values(n8nMs).reduce((sum, ms) => sum + ms, 0);
	const executions = saved.reduce((sum, entry) => sum + entry.executions, 0);
	const savedBytes = saved.reduce((sum, entry) => sum + entry.executions * entry.averageDataBytes, 0);
	return {
		journeys,
		measuredJourneys: window.journeys,
		windowSeconds: round(window.seconds, 1),
		journeysPerSecond: round(rate, 1),
		notSent,
		n8nCpuCores: round(n8nCores, 2),
		mainThreadBusyShare: round(summary.busyMs / 1000 / profiledSeconds, 2),
		doublesCpuCores: round(window.doublesSeconds / window.seconds, 2),
		perJourney: {
			mainThreadMs,
			mainThreadByCategory: Object.fromEntries(cpuCategories.map((category) => [category, profiledMs(summary.byCategory[category])])) as Record<CpuCategory, number>,
			packByArea: Object.fromEntries(Object.entries(packTimeByArea(window.profile)).map(([area, ms]) => [area, profiledMs(ms)])),
			n8nProcessMs: n8nMs,
			doublesMs: round((window.doublesSeconds * 1000) / window.journeys, 2),
			fhirRequests: round(window.fhirRequests / window.journeys, 1),
			executions: round(executions / journeys, 3),
			savedDataKiB: round(savedBytes / 1024 / journeys, 1),
		},
		ceiling: { mainThread: round(1000 / Math.max(mainThreadMs, 0.001), 0), allThreads: round(2000 / Math.max(allThreadsMs, 0.001), 0) },
	};
}
