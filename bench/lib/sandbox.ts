import { startSandbox } from '../../sandbox/environment';
import type { Sandbox, SandboxOptions } from '../../sandbox/environment';
import { whileRunning } from './cleanup';
import { benchWorkDir } from './profile';

export interface BenchPorts {
	n8n: number;
	broker: number;
	/** n8n's inspector on a local port: CPU profiles of its main thread, its heap after a full collection. */
	inspector: number;
}

/**
 * The sandbox of one scenario: a fresh n8n on the scenario's ports, in a process group of its own that is stopped
 * if the benchmark is interrupted, with its inspector on, and more Node options from BENCH_N8N_NODE_OPTIONS (e.g.
 * "--require <hook.js>" to count calls into n8n).
 */
export async function startBenchSandbox(
	options: { name: string; tarball: string; ports: BenchPorts; log: (line: string) => void; extraEnv?: Record<string, string> } & Pick<
		SandboxOptions,
		'deliveryStatusCallbacks' | 'journeyDue'
	>,
): Promise<Sandbox> {
	const nodeOptions = [`--inspect=127.0.0.1:${options.ports.inspector}`, process.env.BENCH_N8N_NODE_OPTIONS].filter(Boolean).join(' ');
	return await startSandbox({
		workDir: benchWorkDir(options.name),
		tarball: options.tarball,
		n8nPort: options.ports.n8n,
		brokerPort: options.ports.broker,
		fresh: true,
		deliveryStatusCallbacks: options.deliveryStatusCallbacks,
		journeyDue: options.journeyDue,
		n8nProcess: { ownProcessGroup: true, extraEnv: { NODE_OPTIONS: nodeOptions, ...options.extraEnv } },
		onN8nProcess: (n8n) => void whileRunning(n8n),
		log: (line) => options.log(`  ${line}`),
	});
}
