import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { projectRoot } from '../sandbox/n8n';
import { cpuCategories } from './lib/cpuProfile';
import { fmt, mdTable, ms, s, stampLine } from './lib/markdown';
import type { Row } from './lib/markdown';
import { deliveryStatusLine, isolatesSection, schedulingRows, scheduledSection, stageTwoSection } from './reportScheduling';
import type { BenchResults } from './run';
import { profiledVariants } from './scenarios/stageOne';
import type { CpuBreakdown, CpuOfOneWorkflow, ProfiledVariant } from './scenarios/stageOne';

const verdict = (met?: boolean) => (met === undefined ? '' : met ? 'met' : '**missed**');

function rows(results: BenchResults): Row[] {
	const out: Row[] = [];
	const stage = results['stage-one']?.result;
	if (stage) {
		const l = stage.latency;
		out.push(
			{ benchmark: 'Event → first touch', figure: `p50 (${l.completed} visits)`, target: '≤ 250 ms', result: ms(l.firstTouchMs.p50), met: l.firstTouchMs.p50 <= 250 },
			{ benchmark: 'Event → first touch', figure: 'p95', target: '', result: ms(l.firstTouchMs.p95) },
			{ benchmark: 'Event → first touch', figure: 'p99', target: '≤ 1 s', result: ms(l.firstTouchMs.p99), met: l.firstTouchMs.p99 <= 1000 },
		);
		const t = stage.throughput;
		out.push(
			{ benchmark: 'Throughput (stage 1)', figure: `visits/s over ${t.windowSeconds} s`, target: '≥ 50', result: fmt(t.visitsPerSecond), met: t.visitsPerSecond >= 50 },
			{ benchmark: 'Throughput (stage 1)', figure: 'n8n CPU (cores) / max RSS', target: '', result: `${t.n8n.cpuCores} / ${t.n8n.rssMaxMiB} MiB` },
		);
		const c = stage.comparison;
		if (c) out.push(
			{ benchmark: 'Against stock nodes', figure: 'throughput ours ÷ stock', target: '≥ 2×', result: `${c.throughputRatio}× (${c.ours.visitsPerSecond} vs ${c.stock.visitsPerSecond}/s)`, met: c.throughputRatio >= 2 },
			{ benchmark: 'Against stock nodes', figure: 'p99 ours ÷ stock', target: '≤ ½', result: `${c.p99Ratio} (${ms(c.ours.p99Ms)} vs ${ms(c.stock.p99Ms)})`, met: c.p99Ratio <= 0.5 },
		);
	}
	for (const scale of results.waiting?.result.scales ?? []) {
		const label = `Waiting at scale, version 1 (${fmt(scale.journeys)})`;
		out.push(
			{ benchmark: label, figure: 'lateness p50 / p99', target: '', result: `${s(scale.latenessSeconds.p50)} / ${s(scale.latenessSeconds.p99)}` },
			{ benchmark: label, figure: 'lateness max', target: '≤ 90 s', result: s(scale.latenessSeconds.max), met: scale.latenessSeconds.max <= 90 && scale.neverResumed === 0 },
			{ benchmark: label, figure: 'n8n RSS growth while waiting', target: '≤ 200 MB', result: `${scale.rssMiB.growthWhileWaiting} MiB`, met: scale.rssMiB.growthWhileWaiting * 1.048576 <= 200 },
			{ benchmark: label, figure: 'n8n database with all waiting', target: '', result: `${scale.databaseMiB.allWaiting} MiB` },
		);
	}
	out.push(...schedulingRows(results));
	const core = results.core?.result;
	if (core) {
		out.push({ benchmark: 'Core decision path', figure: 'items/s on one core', target: '≥ 100,000', result: fmt(Math.round(core.itemsPerSecond)), met: core.itemsPerSecond >= 100_000 });
	}
	const footprint = results.footprint?.result;
	if (footprint) {
		out.push(
			{ benchmark: 'Footprint', figure: 'installed (pack + runtime deps)', target: '', result: `${footprint.installed.apparentMiB} MiB, ${footprint.installed.packages} packages` },
			{ benchmark: 'Footprint', figure: 'n8n start-up with ÷ without pack', target: '', result: `${footprint.startup.medianWith} s ÷ ${footprint.startup.medianWithout} s = ${footprint.startup.ratio}` },
		);
	}
	return out;
}

/** The plain-text table `npm run bench` prints. */
export function renderTable(results: BenchResults): string {
	const table = rows(results).map((row) => [row.benchmark, row.figure, row.target, row.result, row.met === undefined ? '' : row.met ? 'met' : 'MISSED']);
	const header = ['Benchmark', 'Figure', 'Target', 'Result', ''];
	const widths = header.map((title, column) => Math.max(title.length, ...table.map((row) => row[column].length)));
	const line = (cells: string[]) => cells.map((cell, column) => cell.padEnd(widths[column])).join('  ').trimEnd();
	return [line(header), widths.map((w) => '─'.repeat(w)).join('  '), ...table.map(line)].join('\n');
}

function dist(d: { p50: number; p95: number; p99: number; max: number; count: number }): Array<string> {
	return [ms(d.p50), ms(d.p95), ms(d.p99), ms(d.max), String(d.count)];
}

function cpuBreakdownText(cpu: CpuBreakdown): string {
	const shown = profiledVariants.flatMap((variant) => {
		const measured = cpu.variants[variant];
		return measured ? [{ variant, measured }] : [];
	});
	const processes = [...new Set(shown.flatMap(({ measured }) => Object.keys(measured.processCpuMsPerVisit)))];
	const row = (label: string, value: (variant: CpuOfOneWorkflow) => number | string, unit = ' ms') => [label, ...shown.map(({ measured }) => `${value(measured)}${unit}`)];
	const titles: Record<ProfiledVariant, string> = {
		ours: 'pack (template)',
		stock: 'stock nodes',
		oursWithDeliveryStatus: 'pack, with Twilio status callbacks to the Delivery Status workflow',
	};
	return (
		`${cpu.mode[0].toUpperCase()}${cpu.mode.slice(1)}. The main thread's time comes from V8's sampling profiler (through n8n's inspector, started with \`--inspect\` on a local port for this scenario), attributed by the whole stack: time under n8n's expression engine (isolated-vm isolates: creation, set-up, evaluation) or its database layer (TypeORM, saving executions) counts there even when a node asked for it; the rest under a node's code counts to the workflow's nodes (the pack with its libraries, or n8n's stock nodes); the remainder is n8n's execution engine, webhook handling and Node.js. The process rows are /proc CPU of the n8n process (all its threads) and of the JS task runner that runs Code nodes. Every other table runs the template without delivery tracking, as the stock workflow has none; the last column turns the Twilio status callbacks on, as a practice running the Delivery Status workflow has them.\n\n` +
		mdTable(['per visit', ...shown.map(({ variant }) => titles[variant])], [
			row('visits/s (alone)', (v) => fmt(v.visitsPerSecond), ''),
			row('**n8n main thread, busy**', (v) => `**${v.mainThreadBusyMsPerVisit}**`),
			...cpuCategories.map((category) => row(`– ${category}`, (v) => v.mainThreadMsPerVisit[category])),
			...processes.map((name) => row(`CPU of ${name} (/proc)`, (v) => v.processCpuMsPerVisit[name] ?? 0)),
			row('executions saved', (v) => v.executionsPerVisit, ''),
			row('execution data saved', (v) => v.savedDataKiBPerVisit, ' KiB'),
		])
	);
}

/** BENCHMARKS.md: every table with its stamp, how to reproduce, and bench/notes.md. */
export function renderMarkdown(results: BenchResults): string {
	const parts: string[] = [];
	const profiles = new Set(Object.values(results).map((entry) => entry?.stamp.profile));
	parts.push('# Benchmarks');
	parts.push(
		'What the pack costs a practice and how far one n8n goes, measured in a real n8n 2.41.1 with the sandbox ' +
			'(FHIR server, Twilio-shaped API, SMTP sink) on one machine. **Generated by `npm run bench`** from ' +
			'`bench/results/latest.json`; do not edit by hand (the notes come from `bench/notes.md`).',
	);
	if (profiles.has('quick')) {
		parts.push('> **Quick profile.** These figures come from `BENCH_PROFILE=quick` (small counts, for development), not from the issue\'s full profile. Run `npm run bench` on a quiet machine for the real numbers.');
	}
	parts.push('## Summary\n\n' + mdTable(['Benchmark', 'Figure', 'Target', 'Result', ''], rows(results).map((r) => [r.benchmark, r.figure, r.target, r.result, verdict(r.met)])));

	const stage = results['stage-one'];
	if (stage) {
		const { latency: l, throughput: t, comparison: c } = stage.result;
		parts.push(`## Event → first touch\n\n${stampLine(stage.stamp)}\n\n` +
			`From the POST of a signed FHIR notification (Subscriptions-Backport, shared-secret header) to the published three-stage template, until the Twilio-shaped API accepted the SMS and the SMTP sink accepted the email (both stamp their receive time). Each visit is a new patient in a zone where it is daytime now, closed in the sandbox FHIR server just before its notification. Load: ${l.mode}.\n\n` +
			mdTable(['', 'p50', 'p95', 'p99', 'max', 'visits'], [
				['SMS and email both accepted (first touch)', ...dist(l.firstTouchMs)],
				['SMS accepted', ...dist(l.smsMs)],
				['email accepted', ...dist(l.emailMs)],
				['webhook answered the EHR', ...dist(l.ackMs)],
			]) +
			`\n\n${l.failed} of ${l.visits} visits did not reach both channels within 60 s. n8n used ${l.n8n.cpuCores} cores on average (${Object.entries(l.n8n.cpuCoresByProcess).map(([k, v]) => `${k} ${v}`).join(', ')}), max RSS ${l.n8n.rssMaxMiB} MiB; the benchmark process (load generator and sandbox servers) ${l.benchProcessCpuCores} cores.`);
		parts.push(`## Throughput\n\n${stampLine(stage.stamp)}\n\n` +
			`Stage 1 of the template (EHR Trigger → Visit Details → Channel Router → Patient Message → Cadence Wait storing the 48-hour wait). Load: ${t.mode}; counted: visits whose second channel was accepted inside the ${t.windowSeconds}-second window.\n\n` +
			mdTable(['visits/s', 'visits in window', 'first touch p50 / p99', 'n8n CPU (cores)', 'n8n RSS max', 'benchmark process CPU'], [[
				fmt(t.visitsPerSecond), String(t.completedInWindow), `${ms(t.firstTouchMs.p50)} / ${ms(t.firstTouchMs.p99)}`,
				`${t.n8n.cpuCores} (${Object.entries(t.n8n.cpuCoresByProcess).map(([k, v]) => `${k} ${v}`).join(', ')})`,
				`${t.n8n.rssMaxMiB} MiB (${Object.entries(t.n8n.rssLastMiBByProcess).map(([k, v]) => `${k} ${v}`).join(', ')} at the end)`,
				`${t.benchProcessCpuCores} cores`,
			]]) +
			`\n\nCPU and RSS are read from /proc/<pid>/stat and status for the n8n process and its descendants (the JS task runner).`);
		if (c) parts.push(`## Against the stock-node way\n\n${stampLine(stage.stamp)}\n\n` +
			`The same stage 1 built from n8n's stock nodes (\`${c.stockWorkflow}\`): Webhook with header auth (the shared-secret check) and raw body → Code (parse the notification) → four HTTP Requests to the FHIR server (Encounter, Patient, ServiceRequest and MedicationRequest searches, as Visit Details reads them) → Code (route: consent, mobile, email, language, send window; compose the SMS with its opt-out line and the email with text and HTML, scheduling link per order type) → IF → HTTP Request to the Twilio-shaped API → IF → Send Email → Wait 48 hours. Both workflows are published in the same n8n and measured alternately in one run (order ${c.order.join(', ')}). Throughput: ${c.throughputMode}. p99: ${c.latencyMode}.\n\n` +
			mdTable(['', 'visits/s', 'first touch p50', 'first touch p99', 'n8n CPU (cores)', 'failed', 'latency samples'], [
				['pack (template)', fmt(c.ours.visitsPerSecond), ms(c.ours.p50Ms), ms(c.ours.p99Ms), String(c.ours.n8nCpuCores), String(c.ours.failed), String(c.ours.latencySamples)],
				['stock nodes', fmt(c.stock.visitsPerSecond), ms(c.stock.p50Ms), ms(c.stock.p99Ms), String(c.stock.n8nCpuCores), String(c.stock.failed), String(c.stock.latencySamples)],
				['**ratio ours ÷ stock**', `**${c.throughputRatio}×**`, '', `**${c.p99Ratio}**`, '', '', ''],
			]) +
			'\n\nThe stock workflow does less than the pack: no exactly-once claims, no journal, no daily or per-journey caps, no opt-out list, no fallback across channels, no retry with backoff (see the notes).');
		const cpu = stage.result.cpu;
		if (cpu) parts.push(`## Where n8n's CPU goes per visit\n\n${stampLine(stage.stamp)}\n\n${cpuBreakdownText(cpu)}${deliveryStatusLine(cpu)}`);
	}
	parts.push(...isolatesSection(results), ...stageTwoSection(results));
	const waiting = results.waiting;
	if (waiting) {
		parts.push(`## Waiting at scale, version 1: n8n's waiting executions\n\n${stampLine(waiting.stamp)}\n\n` +
			`Cadence Wait version 1 keeps each journey as an n8n waiting execution. Journeys parked at once in the template's Cadence Wait ("Wait 48 Hours": visit close + 48 h) in n8n's default SQLite database, their visit-close times chosen so the due times spread evenly over a window that opens after the whole load is in. Each journey enters as the item stage 1 hands to that node (visit event and journey record; \`${waiting.result.workflow}\`: Webhook → Code → Cadence Wait → an HTTP request telling the benchmark it resumed), which keeps the load phase short: admission and sending are what the stage-1 benchmarks measure. Lateness = the resume's arrival minus the due time Cadence Wait planned (journal \`wait.scheduled\`). ${waiting.result.pollNote}.\n\n` +
			mdTable(['journeys', 'waiting at first due', 'load', 'due window', 'lateness p50 / p99 / max', 'never resumed', 'n8n RSS idle → after load → all waiting → peak resuming → after', 'n8n V8 heap after a full GC idle → all waiting → after', 'n8n database idle → all waiting → after', 'journey store', 'verdict'],
				waiting.result.scales.map((w) => [
					fmt(w.journeys), fmt(w.waitingAtFirstDue), `${w.loadSeconds} s (${w.loadPerSecond}/s)`, `${w.spreadSeconds} s`,
					`${w.latenessSeconds.p50} / ${w.latenessSeconds.p99} / ${w.latenessSeconds.max} s`, String(w.neverResumed),
					`${w.rssMiB.idle} → ${w.rssMiB.afterLoad ?? '?'} → ${w.rssMiB.allWaiting} → ${w.rssMiB.peakWhileResuming} → ${w.rssMiB.afterAllResumed} MiB` +
						(w.atPeakMiB?.rss ? ` (at the peak: V8 heap ${w.atPeakMiB.heapTotal}, external ${w.atPeakMiB.external}, outside V8 ${w.atPeakMiB.outsideV8} MiB; ${w.atPeakMiB.runningExecutions} executions running)` : ''),
					w.heapAfterGcMiB ? `${w.heapAfterGcMiB.idle} → ${w.heapAfterGcMiB.allWaiting} → ${w.heapAfterGcMiB.afterAllResumed} MiB` : 'not read',
					`${w.databaseMiB.idle} → ${w.databaseMiB.allWaiting} → ${w.databaseMiB.afterAllResumed} MiB`, `${w.journeyStoreMiB} MiB`, w.verdict,
				])));
	}
	parts.push(...scheduledSection(results));
	const core = results.core;
	if (core) {
		const r = core.result;
		parts.push(`## Core decision path\n\n${stampLine(core.stamp)}\n\n` +
			`In-process, ${r.pinnedToOneCore ? 'pinned to one CPU with taskset' : 'one thread'}: per journey item, cadence (planTouch: due time pushed into the send window), routing (routeChannels), guard (evaluateTouch) and composition (composeMessage for each routed channel, SMS and email for a care summary); 1,024 distinct items (8 zones, English/Spanish, preferences, consent and opt-out variations), half stage 1, half stage 2. Only \`nodes/shared/core\` (and the two pure helpers of \`flows/messageVars.ts\`).\n\n` +
			mdTable(['', 'items/s', 'µs per item'], [
				['**whole path**', `**${fmt(Math.round(r.itemsPerSecond))}**`, fmt(Math.round(r.microsPerItem * 10) / 10)],
				...Object.entries(r.parts).map(([name, part]) => [`${name} alone`, fmt(Math.round(part.itemsPerSecond)), fmt(Math.round(part.microsPerItem * 10) / 10)]),
			]) + `\n\nTarget: ≥ ${fmt(r.targetItemsPerSecond)} items/s.`);
	}
	const footprint = results.footprint;
	if (footprint) {
		const f = footprint.result;
		parts.push(`## Footprint\n\n${stampLine(footprint.stamp)}\n\n` +
			`The tarball installed into an empty \`~/.n8n/nodes\` the way n8n's community-package installer and our Dockerfile do (\`npm install --legacy-peer-deps --ignore-scripts\`, sandbox/n8n.ts installPack). Start-up = spawn of \`n8n start\` until \`/healthz/readiness\` answers, on an existing database, with and without the pack, alternating.\n\n` +
			mdTable(['', 'value'], [
				['tarball', `${f.tarballKiB} KiB`],
				['installed, pack + runtime dependencies', `${f.installed.apparentMiB} MiB apparent, ${f.installed.diskMiB} MiB on disk, ${fmt(f.installed.files)} files, ${f.installed.packages} top-level packages (install took ${f.installSeconds} s)`],
				['largest packages', f.largest.map((p) => `${p.name} ${p.apparentMiB} MiB`).join(', ')],
				['n8n start-up with the pack (median)', `${f.startup.medianWith} s (${f.startup.withPackSeconds.join(', ')})`],
				['n8n start-up without it (median)', `${f.startup.medianWithout} s (${f.startup.withoutPackSeconds.join(', ')})`],
				['ratio with ÷ without', String(f.startup.ratio)],
				['first start on an empty database (migrations), with / without', `${f.startup.firstStartWithPackSeconds} s / ${f.startup.firstStartWithoutPackSeconds} s`],
				['n8n RSS at idle after start, with / without', `${f.startup.idleRssWithPackMiB} MiB / ${f.startup.idleRssWithoutPackMiB} MiB`],
			]));
	}
	parts.push(`## How to reproduce\n\n` +
		'```bash\n' +
		'npm run bench                         # every benchmark, full profile (the issue\'s numbers): about 2 hours\n' +
		'BENCH_PROFILE=quick npm run bench     # small counts (development): about 20 minutes\n' +
		'npm run bench -- core footprint       # only some: core, footprint, stage-one, stage-one-eager, stage-two, waiting, scheduled\n' +
		'BENCH_WAIT_JOURNEYS=10000,20000 npm run bench -- waiting   # more scales (stops at the first that breaks)\n' +
		'BENCH_SCHEDULED_JOURNEYS=50000 npm run bench -- scheduled  # other scales of the journey store\n' +
		'BENCH_CPU_PROF=$PWD/.sandbox/prof npm run bench -- core stage-two  # V8 CPU profiles (core; n8n\'s main thread in stage 2)\n' +
		'BENCH_WORK_DIR=/dev/shm/bench npm run bench -- stage-two   # n8n and the journey store on a tmpfs: without the disk\'s commits\n' +
		'```\n\n' +
		'It builds and packs the pack (`scripts/pack.sh`), installs it into a fresh n8n 2.41.1 user folder, starts the sandbox (`sandbox/environment.ts` startSandbox, n8n on ports 5780–5787), and prints the summary table. Results: `bench/results/latest.json` (and `bench/results/<profile>.json`). Run it on a quiet machine: the figures are only as good as the machine is idle (the load average at the start of each run is in its stamp). Each figure names the machine, the n8n version and the date; every comparison is a ratio from one run.');
	const notesFile = join(projectRoot, 'bench', 'notes.md');
	if (existsSync(notesFile)) parts.push(readFileSync(notesFile, 'utf8').trim());
	return parts.join('\n\n') + '\n';
}
