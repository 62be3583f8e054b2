/**
 * A minimal Chrome DevTools Protocol client for n8n's inspector (n8n started with --inspect on a local port):
 * starts and stops V8's sampling profiler around one measured segment, so each workflow is profiled alone in
 * the same n8n without restarting it, and reads n8n's heap after a full garbage collection.
 */
import type { CpuProfile } from './cpuProfile';

interface Pending {
	resolve: (value: unknown) => void;
	reject: (error: Error) => void;
}

export class InspectorSession {
	private nextId = 1;
	private readonly pending = new Map<number, Pending>();

	private constructor(private readonly socket: WebSocket) {
		socket.addEventListener('message', (event) => {
			const message = JSON.parse(String(event.data)) as { id?: number; result?: unknown; error?: { message: string } };
			const waiter = message.id === undefined ? undefined : this.pending.get(message.id);
			if (!waiter) return;
			this.pending.delete(message.id as number);
			if (message.error) waiter.reject(new Error(`inspector: ${message.error.message}`));
			else waiter.resolve(message.result);
		});
		socket.addEventListener('close', () => {
			for (const waiter of this.pending.values()) waiter.reject(new Error('inspector: connection closed'));
			this.pending.clear();
		});
	}

	/** Connects to the first target the inspector at host:port lists (n8n's main thread). */
	static async connect(port: number, host = '127.0.0.1'): Promise<InspectorSession> {
		const targets = (await (await fetch(`http://${host}:${port}/json/list`)).json()) as Array<{ webSocketDebuggerUrl: string }>;
		if (!targets.length) throw new Error(`inspector at ${host}:${port} lists no target`);
		const socket = new WebSocket(targets[0].webSocketDebuggerUrl);
		await new Promise<void>((resolve, reject) => {
			socket.addEventListener('open', () => resolve(), { once: true });
			socket.addEventListener('error', () => reject(new Error(`inspector: cannot connect to ${targets[0].webSocketDebuggerUrl}`)), { once: true });
		});
		return new InspectorSession(socket);
	}

	send<T = unknown>(method: string, params: Record<string, unknown> = {}): Promise<T> {
		const id = this.nextId++;
		return new Promise<T>((resolve, reject) => {
			this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
			this.socket.send(JSON.stringify({ id, method, params }));
		});
	}

	async startProfiling(samplingIntervalMicros = 1_000): Promise<void> {
		await this.send('Profiler.enable');
		await this.send('Profiler.setSamplingInterval', { interval: samplingIntervalMicros });
		await this.send('Profiler.start');
	}

	async stopProfiling(): Promise<CpuProfile> {
		const { profile } = await this.send<{ profile: CpuProfile }>('Profiler.stop');
		await this.send('Profiler.disable');
		return profile;
	}

	/** process.memoryUsage() of the inspected process, in bytes. */
	async memoryUsage(): Promise<NodeJS.MemoryUsage> {
		const { result } = await this.send<{ result: { value: string } }>('Runtime.evaluate', {
			expression: 'JSON.stringify(process.memoryUsage())',
			returnByValue: true,
		});
		return JSON.parse(result.value) as NodeJS.MemoryUsage;
	}

	/** The same right after a full garbage collection: what the process really retains. */
	async memoryAfterGarbageCollection(): Promise<NodeJS.MemoryUsage> {
		await this.send('HeapProfiler.collectGarbage');
		return await this.memoryUsage();
	}

	close(): void {
		this.socket.close();
	}
}
