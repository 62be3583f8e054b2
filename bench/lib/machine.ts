import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';

export interface MachineInfo {
	/** One line for the tables: "2 vCPU AMD EPYC (family 26 model 2) @ 2.1 GHz, 24 GiB, Linux 6.1, Node 24.21.0". */
	summary: string;
	cpuModel: string;
	vcpus: number;
	mhz: number;
	memoryGiB: number;
	kernel: string;
	os: string;
	node: string;
	/** 1-minute load average when the run started: the machine is shared, so a busy one distorts every figure. */
	loadAverageAtStart: number;
}

function cpuinfoField(text: string, name: string): string | undefined {
	return new RegExp(`^${name}\\s*:\\s*(.+)$`, 'm').exec(text)?.[1]?.trim();
}

function osName(): string {
	try {
		const release = readFileSync('/etc/os-release', 'utf8');
		return /^PRETTY_NAME="?([^"\n]+)"?$/m.exec(release)?.[1] ?? 'Linux';
	} catch {
		return 'Linux';
	}
}

/** What the machine is, read off /proc and the OS, so every figure says where it was taken. */
export function describeMachine(): MachineInfo {
	const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
	const model = cpuinfoField(cpuinfo, 'model name') ?? cpus()[0]?.model ?? 'unknown CPU';
	const family = cpuinfoField(cpuinfo, 'cpu family');
	const modelNumber = cpuinfoField(cpuinfo, 'model');
	const mhz = Math.round(Number(cpuinfoField(cpuinfo, 'cpu MHz') ?? cpus()[0]?.speed ?? 0));
	const vcpus = Number(execFileSync('nproc', { encoding: 'utf8' }).trim()) || cpus().length;
	const memoryGiB = Math.round(totalmem() / 2 ** 30);
	const kernel = execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim();
	const os = osName();
	const loadAverageAtStart = Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
	const cpuModel = family ? `${model} (family ${family} model ${modelNumber})` : model;
	return {
		summary: `${vcpus} vCPU ${cpuModel} @ ${(mhz / 1000).toFixed(1)} GHz, ${memoryGiB} GiB, ${os}, Linux ${kernel}, Node ${process.versions.node}`,
		cpuModel,
		vcpus,
		mhz,
		memoryGiB,
		kernel,
		os,
		node: process.versions.node,
		loadAverageAtStart,
	};
}
