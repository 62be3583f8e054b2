import type { JourneyDueOptions, Sandbox } from '../../sandbox/environment';
import { zoneWhereNowIsBetween } from '../../sandbox/zones';
import { InspectorSession } from '../lib/inspector';
import { fileMiB, JournalWatcher } from '../lib/journal';
import { executionsAfter, lastExecutionId, n8nDatabasePath } from '../lib/n8nDatabase';
import { mib, ownCpuSeconds, TreeSampler, treeRss } from '../lib/procstat';
import type { BenchProfile } from '../lib/profile';
import { ReminderJourneys } from '../lib/reminders';
import { startBenchSandbox } from '../lib/sandbox';
import { distribution, round, sleep } from '../lib/stats';
import type { Distribution } from '../lib/stats';
import { stageTwoTrigger } from './stageTwo';

export const scheduledPorts = { n8n: 5782, broker: 5783, inspector: 5785 };

const targets = { maxLatenessAtSendSeconds: 60, rssGrowthMB: 50 };
/** Journeys scheduled a day ahead to time the load before the measured ones are placed (they never fall due here). */
const rateProbeJourneys = 200;

export interface ScheduledScale {
	journeys: number;
	/** The Journey Due Trigger's options in this run, in words. */
	trigger: string;
	loadSeconds: number;
	loadPerSecond: number;
	/** The last journey was scheduled after the first one fell due (the load was slower than its probe said). */
	loadOverlappedDueWindow: boolean;
	spreadSeconds: number;
	drainSeconds: number;
	emitted: number;
	sent: number;
	/** Reminders the Twilio-shaped API had not accepted `drainSeconds` after the last due time. */
	notSent: number;
	/** The journal's `step.resumed` time (the batch's claim) minus the due time, in seconds. */
	latenessAtEmitSeconds: Distribution;
	/** The Twilio-shaped API accepting the reminder minus the due time, in seconds. */
	latenessAtSendSeconds: Distribution;
	/**
	 * n8n's RSS (all its processes). `growth`: what n8n keeps, the higher of "all scheduled" and "after all resumed"
	 * minus idle (what the target is about). `peakGrowth`: the highest while resuming minus idle, the working set of
	 * the batches in flight.
	 */
	rssMiB: {
		idle: number;
		afterLoad: number;
		allScheduled: number;
		peakWhileResuming: number;
		afterAllResumed: number;
		growth: number;
		peakGrowth: number;
	};
	heapAfterGcMiB: { idle: number; allScheduled: number; afterAllResumed: number };
	n8nDatabaseMiB: { idle: number; allScheduled: number; afterAllResumed: number };
	journeyStoreMiB: { allScheduled: number; afterAllResumed: number };
	/** Executions n8n ran and saved while resuming (one per batch, plus any other workflow's). */
	executions: number;
	n8nCpuCoresWhileResuming: number;
	doublesCpuCoresWhileResuming: number;
	/** The benchmark process's V8 heap with every visit in the FHIR sandbox (Medplum's in-memory repository). */
	benchHeapMiBWithAllVisits: number;
	verdict: string;
}

export interface ScheduledResult {
	scales: ScheduledScale[];
	targets: typeof targets;
}

/** What the trigger hands out at most with its default options: 5 batches of 100 per 15-second check. */
const defaultTriggerPerSecond = (5 * 100) / 15;

/**
 * The trigger as docs/journey-store.md tells a practice to set it: its defaults, unless more journeys fall due a
 * second than they hand out; then a check every second, as for a backlog (the stage-two scenario's options).
 */
function triggerFor(journeys: number, spreadMs: number): { options?: JourneyDueOptions; words: string } {
	if (journeys / (spreadMs / 1000) <= defaultTriggerPerSecond) {
		return { words: 'the template\'s Journey Due Trigger with its default options: a check every 15 s, batches of 100, 5 batches in flight, backlog (more than 15 minutes late) released at 60 a minute' };
	}
	const { checkEverySeconds, batchSize, batchesInFlight } = stageTwoTrigger;
	return {
		options: stageTwoTrigger,
		words: `the template's Journey Due Trigger set for more than its defaults hand out (about ${Math.floor(defaultTriggerPerSecond)} a second): a check every ${checkEverySeconds} s, batches of ${batchSize}, ${batchesInFlight} batches in flight`,
	};
}

/** n8n's RSS (all its processes) and V8 heap after a full collection, and the database sizes, at one moment. */
async function snapshot(sandbox: Sandbox, inspector: InspectorSession) {
	const memory = await inspector.memoryAfterGarbageCollection();
	return {
		rss: mib(treeRss(sandbox.n8n.pid as number).total),
		heap: mib(memory.heapUsed),
		n8nDatabase: fileMiB(n8nDatabasePath(sandbox)),
		journeyStore: fileMiB(sandbox.journeyStorePath),
	};
}

const secondsOf = (values: number[]) => {
	const d = distribution(values.map((ms) => ms / 1000));
	return { ...d, p50: round(d.p50, 2), p95: round(d.p95, 2), p99: round(d.p99, 2), max: round(d.max, 2), mean: round(d.mean, 2) };
};

/**
 * Puts `journeys` into the store, due times spread over the profile's window, which opens after the whole load is
 * in: a probe times the load first. Returns each journey's due time.
 */
async function load(reminders: ReminderJourneys, journeys: number, spreadMs: number, log: (line: string) => void) {
	const probeStart = performance.now();
	await reminders.schedule(rateProbeJourneys, () => new Date(Date.now() + 86_400_000).toISOString());
	const perJourneyMs = (performance.now() - probeStart) / rateProbeJourneys;
	const firstDue = Date.now() + journeys * perJourneyMs * 1.3 + 60_000;
	const lead = Math.round((firstDue - Date.now()) / 1000);
	log(`  ${journeys} journeys: about ${round(perJourneyMs, 2)} ms each to schedule, so due times run from +${lead} s over ${spreadMs / 1000} s`);
	const loadStart = performance.now();
	const dueAt = (index: number) => new Date(firstDue + (journeys > 1 ? Math.round((index * spreadMs) / (journeys - 1)) : 0)).toISOString();
	const scheduled = await reminders.schedule(journeys, dueAt, (done) => log(`    ${done} scheduled`));
	const loadSeconds = (performance.now() - loadStart) / 1000;
	return { scheduled, firstDue, loadSeconds, overlapped: Date.now() > firstDue };
}

async function oneScale(sandbox: Sandbox, journeys: number, trigger: string, profile: BenchProfile, log: (line: string) => void): Promise<ScheduledScale> {
	const { spreadMs, drainMs } = profile.scheduled;
	const inspector = await InspectorSession.connect(scheduledPorts.inspector);
	const resumed = new JournalWatcher(sandbox.journeyStorePath, 'step.resumed', (row) => row.at_ms);
	try {
		// Let n8n's start-up garbage go before the baseline (RSS right after start is several hundred MiB higher).
		await sleep(20_000);
		const idle = await snapshot(sandbox, inspector);
		const reminders = new ReminderJourneys(sandbox, zoneWhereNowIsBetween(9, 20), `scale${journeys}`);
		const loaded = await load(reminders, journeys, spreadMs, log);
		const dueMs = new Map(loaded.scheduled.map((journey) => [journey.journeyId, Date.parse(journey.dueAt)]));
		const afterLoadRss = mib(treeRss(sandbox.n8n.pid as number).total);
		const benchHeap = mib(process.memoryUsage().heapUsed);
		reminders.trimLogs();
		log(`  loaded in ${round(loaded.loadSeconds, 1)} s; n8n RSS ${idle.rss} → ${afterLoadRss} MiB`);
		log(`  this process's heap ${benchHeap} MiB with every visit in the FHIR sandbox`);

		await sleep(Math.max(0, loaded.firstDue - 3_000 - Date.now()));
		const allScheduled = await snapshot(sandbox, inspector);
		log(`  just before the first due time: n8n RSS ${allScheduled.rss} MiB (heap after GC ${allScheduled.heap} MiB)`);
		const firstExecution = lastExecutionId(sandbox);
		const sampler = new TreeSampler(sandbox.n8n.pid as number, 1000);
		sampler.start();
		const cpu0 = ownCpuSeconds();
		const resumeStart = performance.now();
		const deadline = loaded.firstDue + spreadMs + drainMs;
		let lastReport = Date.now();
		while (Date.now() < deadline && reminders.collect() < journeys) {
			await sleep(1_000);
			resumed.poll();
			// The doubles' logs (and this process's memory) would grow with every reminder.
			if (sandbox.twilio.messages.length > 20_000) reminders.trimLogs();
			if (Date.now() - lastReport > 60_000) {
				lastReport = Date.now();
				log(`    ${resumed.instants.size} emitted, ${reminders.smsAt.size} sent; n8n RSS ${mib(treeRss(sandbox.n8n.pid as number).total)} MiB`);
			}
		}
		const usage = sampler.stop();
		const resumeSeconds = (performance.now() - resumeStart) / 1000;
		const doublesCores = (ownCpuSeconds() - cpu0) / resumeSeconds;
		await sleep(3_000);
		resumed.poll();
		reminders.collect();
		const after = await snapshot(sandbox, inspector);
		const latenessOf = (at: Map<string, number>) => [...at].filter(([id]) => dueMs.has(id)).map(([id, ms]) => ms - (dueMs.get(id) as number));
		const sent = [...reminders.smsAt.keys()].filter((id) => dueMs.has(id)).length;
		const peak = mib(usage.rssMaxBytes);
		const growth = round(Math.max(allScheduled.rss, after.rss) - idle.rss, 1);
		const atSend = secondsOf(latenessOf(reminders.smsAt));
		const problems = [
			sent < journeys ? `${journeys - sent} not sent ${drainMs / 1000} s after the last due time` : '',
			atSend.max > targets.maxLatenessAtSendSeconds ? `max lateness at send ${atSend.max} s > ${targets.maxLatenessAtSendSeconds} s` : '',
			growth * 1.048576 > targets.rssGrowthMB ? `RSS kept ${growth} MiB > ${targets.rssGrowthMB} MB` : '',
		].filter(Boolean);
		return {
			journeys,
			trigger,
			loadSeconds: round(loaded.loadSeconds, 1),
			loadPerSecond: round(journeys / loaded.loadSeconds, 1),
			loadOverlappedDueWindow: loaded.overlapped,
			spreadSeconds: spreadMs / 1000,
			drainSeconds: drainMs / 1000,
			emitted: latenessOf(resumed.instants).length,
			sent,
			notSent: journeys - sent,
			latenessAtEmitSeconds: secondsOf(latenessOf(resumed.instants)),
			latenessAtSendSeconds: atSend,
			rssMiB: {
				idle: idle.rss,
				afterLoad: afterLoadRss,
				allScheduled: allScheduled.rss,
				peakWhileResuming: peak,
				afterAllResumed: after.rss,
				growth,
				peakGrowth: round(peak - idle.rss, 1),
			},
			heapAfterGcMiB: { idle: idle.heap, allScheduled: allScheduled.heap, afterAllResumed: after.heap },
			n8nDatabaseMiB: { idle: idle.n8nDatabase, allScheduled: allScheduled.n8nDatabase, afterAllResumed: after.n8nDatabase },
			journeyStoreMiB: { allScheduled: allScheduled.journeyStore, afterAllResumed: after.journeyStore },
			executions: executionsAfter(sandbox, firstExecution).reduce((sum, entry) => sum + entry.executions, 0),
			n8nCpuCoresWhileResuming: round(usage.cpuCores, 2),
			doublesCpuCoresWhileResuming: round(doublesCores, 2),
			benchHeapMiBWithAllVisits: benchHeap,
			verdict: problems.length ? `misses: ${problems.join('; ')}` : 'holds',
		};
	} finally {
		resumed.close();
		inspector.close();
	}
}

/**
 * Journeys scheduled in the journey store at scale (Cadence Wait version 2): N journeys of the published
 * three-stage template waiting for their Reminder (real visits in the FHIR sandbox, journey records and steps in
 * the store, as Visit Details and Cadence Wait write them), due times spread over a window that opens after the
 * whole load is in; the template's Journey Due Trigger (triggerFor) resumes them into stage 2.
 */
export async function runScheduled(profile: BenchProfile, tarball: string, log: (line: string) => void): Promise<ScheduledResult> {
	const scales: ScheduledScale[] = [];
	for (const journeys of profile.scheduled.journeys) {
		// Delivery tracking is measured in the stage-one scenario's CPU table. The inspector reads n8n's heap.
		const name = `scheduled-${journeys}`;
		const trigger = triggerFor(journeys, profile.scheduled.spreadMs);
		const sandbox = await startBenchSandbox({ name, tarball, ports: scheduledPorts, log, deliveryStatusCallbacks: false, journeyDue: trigger.options });
		try {
			const scale = await oneScale(sandbox, journeys, trigger.words, profile, log);
			const { latenessAtSendSeconds: send } = scale;
			log(`  ${journeys}: lateness at send p50 ${send.p50} s, p99 ${send.p99} s, max ${send.max} s; RSS growth ${scale.rssMiB.growth} MiB — ${scale.verdict}`);
			scales.push(scale);
		} finally {
			await sandbox.stop();
		}
	}
	return { scales, targets };
}
