/**
 * BENCHMARKS.md's parts about journeys resumed from the journey store: waiting at scale with Cadence Wait version 2
 * beside version 1, stage 2 resumed by the Journey Due Trigger, what Delivery Status costs per visit, and n8n's lazy
 * expression isolates off and on.
 */
import { cpuCategories } from './lib/cpuProfile';
import { fmt, mdTable, s, stampLine } from './lib/markdown';
import type { Row } from './lib/markdown';
import type { Distribution } from './lib/stats';
import type { BenchResults } from './run';
import type { ScheduledResult, ScheduledScale } from './scenarios/scheduled';
import type { CpuBreakdown, StageOneResult } from './scenarios/stageOne';
import type { StageTwoRun } from './scenarios/stageTwo';

const targets = { stageTwoPerSecond: 200, deliveryStatusRatio: 1.5, latenessAtSendSeconds: 60, rssGrowthMB: 50, rssGrowthAtJourneys: 100_000 };

const spread = (d: Pick<Distribution, 'p50' | 'p99' | 'max'>) => `${d.p50} / ${d.p99} / ${d.max} s`;
const ratio = (value: number) => Math.round(value * 100) / 100;
const round1 = (value: number) => Math.round(value * 10) / 10;

/** Main-thread CPU per visit with Twilio's status callbacks to the Delivery Status workflow ÷ without. */
function deliveryStatusRatio(cpu: CpuBreakdown): { on: number; off: number; ratio: number } | undefined {
	const on = cpu.variants.oursWithDeliveryStatus?.mainThreadBusyMsPerVisit;
	const off = cpu.variants.ours?.mainThreadBusyMsPerVisit;
	return on !== undefined && off ? { on, off, ratio: ratio(on / off) } : undefined;
}

export function deliveryStatusLine(cpu: CpuBreakdown): string {
	const measured = deliveryStatusRatio(cpu);
	if (!measured) return '';
	return (
		`\n\n**Delivery Status:** with the status callbacks on, n8n's main thread spends ${measured.on} ms per visit against ${measured.off} ms without: ` +
		`${measured.ratio}× (target ≤ ${targets.deliveryStatusRatio}×). Delivered and sent statuses are recorded by the Delivery Status Trigger's webhook without an execution; each callback still crosses n8n's webhook phase (see the notes).`
	);
}

function scheduledRows(scale: ScheduledScale): Row[] {
	const label = `Waiting at scale, version 2 (${fmt(scale.journeys)})`;
	const send = scale.latenessAtSendSeconds;
	const rssTarget = scale.journeys >= targets.rssGrowthAtJourneys;
	return [
		{ benchmark: label, figure: 'lateness at send p50 / p99', target: '', result: `${s(send.p50)} / ${s(send.p99)}` },
		{ benchmark: label, figure: 'lateness at send max', target: `≤ ${targets.latenessAtSendSeconds} s`, result: s(send.max), met: send.max <= targets.latenessAtSendSeconds && scale.notSent === 0 },
		{
			benchmark: label,
			figure: 'n8n RSS growth kept (all scheduled, after all resumed)',
			target: rssTarget ? `≤ ${targets.rssGrowthMB} MB` : '',
			result: `${scale.rssMiB.growth} MiB`,
			met: rssTarget ? scale.rssMiB.growth * 1.048576 <= targets.rssGrowthMB : undefined,
		},
		{ benchmark: label, figure: 'n8n RSS growth at the peak while resuming', target: '', result: `${scale.rssMiB.peakGrowth} MiB` },
		{ benchmark: label, figure: 'journey store with all scheduled', target: '', result: `${scale.journeyStoreMiB.allScheduled} MiB` },
	];
}

/** The summary table's rows for these parts. */
export function schedulingRows(results: BenchResults): Row[] {
	const out: Row[] = (results.scheduled?.result.scales ?? []).flatMap(scheduledRows);
	const cpu = results['stage-one']?.result.cpu;
	const delivery = cpu && deliveryStatusRatio(cpu);
	if (delivery) {
		out.push({
			benchmark: 'Delivery Status',
			figure: 'main-thread CPU per visit, callbacks on ÷ off',
			target: `≤ ${targets.deliveryStatusRatio}×`,
			result: `${delivery.ratio}× (${delivery.on} vs ${delivery.off} ms)`,
			met: delivery.ratio <= targets.deliveryStatusRatio,
		});
	}
	const eager = results['stage-one-eager']?.result.cpu.variants.ours;
	const lazy = cpu?.variants.ours;
	if (eager && lazy) {
		out.push({ benchmark: 'n8n lazy expression isolates', figure: 'main-thread CPU per visit, false → true', target: '', result: `${eager.mainThreadBusyMsPerVisit} → ${lazy.mainThreadBusyMsPerVisit} ms` });
	}
	const stageTwo = results['stage-two']?.result;
	if (stageTwo) {
		const { loopback: run, withEhrLatency: slow } = stageTwo;
		out.push(
			{ benchmark: 'Stage 2 (resumed by the trigger)', figure: 'journeys/s on this machine', target: `≥ ${targets.stageTwoPerSecond}`, result: fmt(run.journeysPerSecond), met: run.journeysPerSecond >= targets.stageTwoPerSecond },
			{
				benchmark: 'Stage 2 (resumed by the trigger)',
				figure: 'CPU per journey: n8n main thread / all n8n / test doubles',
				target: '',
				result: `${run.perJourney.mainThreadMs} / ${sum(run.perJourney.n8nProcessMs)} / ${run.perJourney.doublesMs} ms`,
			},
			{ benchmark: 'Stage 2 (resumed by the trigger)', figure: `journeys/s, FHIR ${stageTwo.ehrLatencyMs} ms away`, target: '', result: fmt(slow.journeysPerSecond) },
		);
	}
	return out;
}

const sum = (values: Record<string, number>) => Math.round(Object.values(values).reduce((total, value) => total + value, 0) * 100) / 100;

/** The template's stage-one figures with n8n's lazy expression isolates off (n8n's default) and on. */
export function isolatesSection(results: BenchResults): string[] {
	const eager = results['stage-one-eager'];
	const lazy = results['stage-one'];
	if (!eager || !lazy) return [];
	const column = (result: StageOneResult) => {
		const ours = result.cpu.variants.ours;
		const withCallbacks = result.cpu.variants.oursWithDeliveryStatus;
		const perVisit = (measured: typeof ours) =>
			measured ? `${measured.mainThreadBusyMsPerVisit} ms (all of n8n's threads ${measured.processCpuMsPerVisit.n8n ?? '?'} ms)` : 'not measured';
		return [
			`${Math.round(result.latency.firstTouchMs.p50)} / ${Math.round(result.latency.firstTouchMs.p99)} ms`,
			`${fmt(result.throughput.visitsPerSecond)} visits/s at ${result.throughput.n8n.cpuCores} cores`,
			perVisit(ours),
			perVisit(withCallbacks),
		];
	};
	const [off, on] = [column(eager.result), column(lazy.result)];
	const labels = ['stage-1 first touch, p50 / p99', 'throughput (stage 1)', 'n8n main-thread CPU per visit', 'n8n main-thread CPU per visit, with delivery callbacks'];
	return [
		`## n8n's lazy expression isolates\n\n` +
			`The stage-one scenario twice, only \`N8N_EXPRESSION_ENGINE_LAZY_ACQUIRE\` changed (\`stage-one-eager\` runs the template alone with it \`false\`). \`true\` is the default of docker/.env.example, the compose file and the sandbox; n8n's own default is \`false\`. Either way expressions run in n8n's isolate sandbox.\n\n` +
			`- \`false\`: ${stampLine(eager.stamp)}\n- \`true\`: ${stampLine(lazy.stamp)}\n\n` +
			mdTable(['', '`false` (n8n\'s default)', '`true` (the pack\'s set-ups)'], labels.map((label, index) => [label, off[index], on[index]])),
	];
}

function stageTwoColumn(run: StageTwoRun): string[] {
	const j = run.perJourney;
	const areas = Object.entries(j.packByArea).sort(([, a], [, b]) => b - a).map(([area, ms]) => `${area} ${ms}`).join(', ');
	return [
		`**${fmt(run.journeysPerSecond)}**`,
		`${run.measuredJourneys} in ${run.windowSeconds} s (${run.journeys} in the backlog; ${run.notSent} not sent)`,
		`${Math.round(run.mainThreadBusyShare * 100)} %`,
		`**${j.mainThreadMs} ms**`,
		...cpuCategories.map((category) => `${j.mainThreadByCategory[category]} ms`),
		areas ? `${areas} ms` : '',
		Object.entries(j.n8nProcessMs).map(([name, ms]) => `${name} ${ms}`).join(', ') + ' ms',
		`${j.doublesMs} ms (${run.doublesCpuCores} cores)`,
		String(j.fhirRequests),
		String(j.executions),
		`${j.savedDataKiB} KiB`,
		`${fmt(run.ceiling.mainThread)} / ${fmt(run.ceiling.allThreads)}`,
	];
}

export function stageTwoSection(results: BenchResults): string[] {
	const entry = results['stage-two'];
	if (!entry) return [];
	const r = entry.result;
	const labels = [
		'journeys/s',
		'measured',
		'n8n main thread busy',
		'n8n main thread per journey',
		...cpuCategories.map((category) => `– ${category}`),
		'– of the pack\'s own time, by layer',
		'n8n CPU per journey (/proc, all threads)',
		'test doubles\' CPU per journey (FHIR, Twilio, SMTP: the benchmark process)',
		'FHIR requests per journey',
		'executions per journey',
		'execution data saved per journey',
		'ceiling if n8n had the machine: main thread (1 core) / all threads (2 cores), journeys/s',
	];
	const [loopback, slow] = [stageTwoColumn(r.loopback), stageTwoColumn(r.withEhrLatency)];
	return [
		`## Stage 2 resumed by the Journey Due Trigger\n\n${stampLine(entry.stamp)}\n\n` +
			`Journeys of the published three-stage template waiting in the journey store for their Reminder (real visits in the FHIR sandbox; journey records and steps written as Visit Details and Cadence Wait write them), all made due at once: the trigger claims them in batches, fetches each visit again and rebuilds its trail, and each batch runs Booking Check → Channel Router → Patient Message (SMS) → Cadence Wait "Escalation" as one execution. Trigger: check every ${r.trigger.checkEverySeconds} s, batches of ${r.trigger.batchSize}, ${r.trigger.batchesInFlight} in flight. Counted: ${r.mode}. Status callbacks off (Delivery Status is measured with stage 1). The main thread's time is attributed as in "Where n8n's CPU goes per visit"; the pack's own time is split by the innermost layer of the pack on the stack (\`store\` includes node:sqlite's synchronous calls, \`messaging\` the twilio SDK, \`n8n\` the HTTP transport through n8n's helpers; libraries count to the layer that called them). "Busy" counts a main thread blocked in a synchronous call (a commit waiting for the disk) as busy, though /proc counts no CPU for it.\n\n` +
			mdTable(['per journey', 'test doubles on loopback', `every FHIR answer ${r.ehrLatencyMs} ms late`], labels.map((label, index) => [label, loopback[index], slow[index]])) +
			`\n\nTarget: ≥ ${targets.stageTwoPerSecond} journeys/s.`,
	];
}

function scheduledTable(scales: ScheduledScale[]): string {
	return mdTable(
		['journeys', 'load', 'due window', 'emitted / sent / not sent', 'lateness at emit p50 / p99 / max', 'lateness at send p50 / p99 / max', 'n8n RSS idle → all scheduled → peak resuming → after', 'n8n V8 heap after a full GC idle → all scheduled → after', 'n8n database idle → all scheduled → after', 'journey store all scheduled → after', 'executions', 'CPU while resuming: n8n / test doubles', 'verdict'],
		scales.map((w) => [
			fmt(w.journeys),
			`${w.loadSeconds} s (${fmt(w.loadPerSecond)}/s)${w.loadOverlappedDueWindow ? ', overlapped the due window' : ''}`,
			`${w.spreadSeconds} s`,
			`${fmt(w.emitted)} / ${fmt(w.sent)} / ${fmt(w.notSent)}`,
			spread(w.latenessAtEmitSeconds),
			spread(w.latenessAtSendSeconds),
			`${w.rssMiB.idle} → ${w.rssMiB.allScheduled} → ${w.rssMiB.peakWhileResuming} → ${w.rssMiB.afterAllResumed} MiB (kept +${w.rssMiB.growth}, peak +${w.rssMiB.peakGrowth})`,
			`${w.heapAfterGcMiB.idle} → ${w.heapAfterGcMiB.allScheduled} → ${w.heapAfterGcMiB.afterAllResumed} MiB`,
			`${w.n8nDatabaseMiB.idle} → ${w.n8nDatabaseMiB.allScheduled} → ${w.n8nDatabaseMiB.afterAllResumed} MiB`,
			`${w.journeyStoreMiB.allScheduled} → ${w.journeyStoreMiB.afterAllResumed} MiB`,
			fmt(w.executions),
			`${w.n8nCpuCoresWhileResuming} / ${w.doublesCpuCoresWhileResuming} cores`,
			w.verdict,
		]),
	);
}

/** Version 1 and version 2 at the scales both ran, in the same run where the full profile ran both. */
function sideBySide(results: BenchResults): string {
	const v1 = results.waiting;
	const v2 = results.scheduled;
	if (!v1 || !v2) return '';
	const pairs = v2.result.scales.flatMap((two) => {
		const one = v1.result.scales.find((scale) => scale.journeys === two.journeys && scale.spreadSeconds === two.spreadSeconds);
		return one ? [{ one, two }] : [];
	});
	if (!pairs.length) return '';
	const body = pairs.flatMap(({ one, two }) => [
		[`**${fmt(two.journeys)} journeys, due over ${two.spreadSeconds} s**`, '', ''],
		['lateness p50 / p99 / max', `${spread(one.latenessSeconds)} (resumed)`, `${spread(two.latenessAtEmitSeconds)} at emit; ${spread(two.latenessAtSendSeconds)} at send`],
		['not resumed / not sent', String(one.neverResumed), String(two.notSent)],
		['n8n RSS growth', `${one.rssMiB.growthWhileWaiting} MiB while waiting (peak resuming ${round1(one.rssMiB.peakWhileResuming - one.rssMiB.idle)})`, `${two.rssMiB.growth} MiB kept (peak resuming ${two.rssMiB.peakGrowth})`],
		['n8n V8 heap after a full GC, idle → all waiting', one.heapAfterGcMiB ? `${one.heapAfterGcMiB.idle} → ${one.heapAfterGcMiB.allWaiting} MiB` : 'not read', `${two.heapAfterGcMiB.idle} → ${two.heapAfterGcMiB.allScheduled} MiB`],
		['n8n database with all waiting', `${one.databaseMiB.allWaiting} MiB`, `${two.n8nDatabaseMiB.allScheduled} MiB`],
		['journey store', `${one.journeyStoreMiB} MiB`, `${two.journeyStoreMiB.allScheduled} MiB with all scheduled`],
	]);
	const sameRun = Math.abs(Date.parse(v1.stamp.date) - Date.parse(v2.stamp.date)) < 6 * 3_600_000;
	return (
		`\n\nSide by side with version 1 (${sameRun ? 'the same run' : `**not the same run**: version 1 ${v1.stamp.date.slice(0, 16)} UTC, version 2 ${v2.stamp.date.slice(0, 16)} UTC`}):\n\n` +
		mdTable(['', 'version 1: n8n waiting executions', 'version 2: the journey store'], body)
	);
}

/** Each scale's trigger options in words. */
function triggersOf(result: ScheduledResult): string {
	return result.scales.map((scale) => `${scale.trigger} (${fmt(scale.journeys)} journeys)`).join('; ');
}

export function scheduledSection(results: BenchResults): string[] {
	const entry = results.scheduled;
	if (!entry) return [];
	return [
		`## Waiting at scale, version 2: the journey store\n\n${stampLine(entry.stamp)}\n\n` +
			`Cadence Wait version 2 keeps each journey as a row in the journey store; nothing waits in n8n. Journeys of the published three-stage template waiting for their Reminder (a real visit per journey in the FHIR sandbox; the journey record and the step written as Visit Details and Cadence Wait write them), due times spread evenly over a window that opens after the whole load is in, resumed by ${triggersOf(entry.result)}. Lateness at emit = the journal's \`step.resumed\` time (when the batch claimed it) minus the due time; at send = the Twilio-shaped API accepting the reminder minus the due time. Status callbacks off. RSS growth kept = the higher of n8n's RSS with all scheduled and after all resumed, minus idle (what the target is about: memory that grows with the journeys held); the peak while resuming is the working set of the batches in flight.\n\n` +
			scheduledTable(entry.result.scales) +
			sideBySide(results),
	];
}
