import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of /proc's utime and stime (USER_HZ; 100 on every Linux this runs on). */
const ticksPerSecond = 100;

export interface ProcessSample {
	pid: number;
	ppid: number;
	/** User + system CPU seconds since the process started. */
	cpuSeconds: number;
	rssBytes: number;
	label: string;
}

function readStat(pid: number): { ppid: number; cpuSeconds: number } | undefined {
	try {
		const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
		// The command name is in parentheses and may contain spaces: the fields start after the last ')'.
		const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
		return { ppid: Number(fields[1]), cpuSeconds: (Number(fields[11]) + Number(fields[12])) / ticksPerSecond };
	} catch {
		return undefined;
	}
}

function readRss(pid: number): number {
	try {
		const status = readFileSync(`/proc/${pid}/status`, 'utf8');
		const kb = /^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1];
		return kb ? Number(kb) * 1024 : 0;
	} catch {
		return 0;
	}
}

function labelOf(pid: number, rootPid: number): string {
	if (pid === rootPid) return 'n8n';
	try {
		const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
		if (/task-runner/.test(cmdline)) return 'task runner';
		if (/python/.test(cmdline)) return 'python runner';
		return cmdline.split(' ')[0].split('/').pop() || `pid ${pid}`;
	} catch {
		return `pid ${pid}`;
	}
}

/** The process and all its descendants (n8n and its task runner), read from /proc. */
export function processTree(rootPid: number): ProcessSample[] {
	const parents = new Map<number, number>();
	for (const entry of readdirSync('/proc')) {
		if (!/^\d+$/.test(entry)) continue;
		const stat = readStat(Number(entry));
		if (stat) parents.set(Number(entry), stat.ppid);
	}
	const members = new Set([rootPid]);
	let grew = true;
	while (grew) {
		grew = false;
		for (const [pid, ppid] of parents) {
			if (!members.has(pid) && members.has(ppid)) {
				members.add(pid);
				grew = true;
			}
		}
	}
	const samples: ProcessSample[] = [];
	for (const pid of members) {
		const stat = readStat(pid);
		if (!stat) continue;
		samples.push({ pid, ppid: stat.ppid, cpuSeconds: stat.cpuSeconds, rssBytes: readRss(pid), label: labelOf(pid, rootPid) });
	}
	return samples;
}

export interface TreeUsage {
	/** Average CPU over the interval, in cores (1.0 = one core fully busy). */
	cpuCores: number;
	/** Of which each process (by label). */
	cpuCoresByProcess: Record<string, number>;
	rssMaxBytes: number;
	rssLastBytes: number;
	rssLastByProcess: Record<string, number>;
	seconds: number;
}

/**
 * Samples a process tree's CPU time and RSS every `intervalMs` until stopped. CPU is the difference of
 * cumulative user+system time between the first and last sample (processes that appear later count from 0).
 */
export class TreeSampler {
	private timer?: NodeJS.Timeout;
	private first?: { at: number; cpu: Map<number, number> };
	private last?: { at: number; samples: ProcessSample[] };
	private rssMax = 0;

	constructor(private readonly rootPid: number, private readonly intervalMs = 1000) {}

	start(): void {
		const samples = processTree(this.rootPid);
		this.first = { at: performance.now(), cpu: new Map(samples.map((s) => [s.pid, s.cpuSeconds])) };
		this.record(samples);
		this.timer = setInterval(() => this.record(processTree(this.rootPid)), this.intervalMs);
	}

	private record(samples: ProcessSample[]): void {
		this.last = { at: performance.now(), samples };
		this.rssMax = Math.max(this.rssMax, samples.reduce((sum, s) => sum + s.rssBytes, 0));
	}

	stop(): TreeUsage {
		clearInterval(this.timer);
		this.record(processTree(this.rootPid));
		const first = this.first!;
		const last = this.last!;
		const seconds = (last.at - first.at) / 1000;
		const byProcess: Record<string, number> = {};
		const rssByProcess: Record<string, number> = {};
		let cpu = 0;
		for (const sample of last.samples) {
			const used = sample.cpuSeconds - (first.cpu.get(sample.pid) ?? 0);
			cpu += used;
			byProcess[sample.label] = (byProcess[sample.label] ?? 0) + used / seconds;
			rssByProcess[sample.label] = (rssByProcess[sample.label] ?? 0) + sample.rssBytes;
		}
		return {
			cpuCores: cpu / seconds,
			cpuCoresByProcess: byProcess,
			rssMaxBytes: this.rssMax,
			rssLastBytes: last.samples.reduce((sum, s) => sum + s.rssBytes, 0),
			rssLastByProcess: rssByProcess,
			seconds,
		};
	}
}

/** CPU seconds (user + system) this process has used so far: the load generator and sandbox servers. */
export function ownCpuSeconds(): number {
	const usage = process.cpuUsage();
	return (usage.user + usage.system) / 1e6;
}

export function treeRss(rootPid: number): { total: number; byProcess: Record<string, number> } {
	const byProcess: Record<string, number> = {};
	let total = 0;
	for (const sample of processTree(rootPid)) {
		byProcess[sample.label] = (byProcess[sample.label] ?? 0) + sample.rssBytes;
		total += sample.rssBytes;
	}
	return { total, byProcess };
}

export const mib = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10;
