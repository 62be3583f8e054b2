import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

import { endJourneyStorePools, openJourneyStore, type JourneyStoreConfig } from '../../nodes/shared/store/open';
import { useTestPostgres } from './postgresHarness';

/**
 * Claims across processes: each worker is a separate Node process running the store's own TypeScript
 * (claimWorker.mjs), as separate n8n workers in queue mode, or n8n beside a second instance, would.
 */
const WORKERS = 20;
const workerArgs = [
	'--experimental-transform-types',
	'--disable-warning=ExperimentalWarning',
	'--disable-warning=MODULE_TYPELESS_PACKAGE_JSON',
	join(__dirname, 'claimWorker.mjs'),
];

interface Reply {
	ready?: boolean;
	key?: string;
	claimed?: boolean;
	steps?: string[];
}

class Worker {
	private readonly child: ChildProcess;
	private readonly replies: Reply[] = [];
	private readonly waiting: Array<{ resolve: (reply: Reply) => void; reject: (error: Error) => void }> = [];
	private stderr = '';
	readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

	constructor(config: JourneyStoreConfig) {
		this.child = spawn(process.execPath, [...workerArgs, JSON.stringify(config)], {
			stdio: ['pipe', 'pipe', 'pipe'],
		});
		this.child.stderr!.on('data', (chunk) => (this.stderr += chunk));
		createInterface({ input: this.child.stdout! }).on('line', (line) => {
			const reply = JSON.parse(line) as Reply;
			const waiter = this.waiting.shift();
			if (waiter) waiter.resolve(reply);
			else this.replies.push(reply);
		});
		this.exited = new Promise((resolve) => {
			this.child.on('exit', (code, signal) => {
				for (const waiter of this.waiting.splice(0)) {
					waiter.reject(new Error(`claim worker exited (${code ?? signal}) before replying: ${this.stderr}`));
				}
				resolve({ code, signal });
			});
		});
	}

	next(): Promise<Reply> {
		const reply = this.replies.shift();
		if (reply) return Promise.resolve(reply);
		if (this.child.exitCode !== null || this.child.signalCode !== null) {
			return Promise.reject(new Error(`claim worker already exited: ${this.stderr}`));
		}
		return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
	}

	send(line: string): void {
		this.child.stdin!.write(`${line}\n`);
	}

	end(): void {
		this.child.stdin!.end('exit\n');
	}

	kill(): void {
		if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
	}
}

const sqliteDir = mkdtempSync(join(tmpdir(), 'pv-store-processes-'));
let stores = 0;
const postgres = useTestPostgres();
afterAll(() => rmSync(sqliteDir, { recursive: true, force: true }));
afterAll(() => endJourneyStorePools());

const freshConfig: Record<'sqlite' | 'postgres', () => JourneyStoreConfig> = {
	sqlite: () => ({ backend: 'sqlite', path: join(sqliteDir, `journey-${++stores}.sqlite`) }),
	postgres: () => ({ ...postgres(), schema: `processes_${++stores}` }),
};

describe.each(['sqlite', 'postgres'] as const)('claims across processes: %s', (backend) => {
	const workers: Worker[] = [];
	afterEach(() => {
		for (const worker of workers.splice(0)) worker.kill();
	});

	const startWorkers = async (config: JourneyStoreConfig, count: number) => {
		const started = Array.from({ length: count }, () => new Worker(config));
		workers.push(...started);
		// Every worker opens (and migrates) the same fresh store at once; each says ready when done.
		const ready = await Promise.all(started.map((worker) => worker.next()));
		expect(ready.every((reply) => reply.ready)).toBe(true);
		return started;
	};

	const claimAll = async (group: Worker[], key: string, at: string) => {
		for (const worker of group) worker.send(`claim ${key} ${at}`);
		return Promise.all(group.map((worker) => worker.next()));
	};

	it(`gives a key to exactly one of ${WORKERS} processes, and after release to exactly one again`, async () => {
		const config = freshConfig[backend]();
		const group = await startWorkers(config, WORKERS);

		const first = await claimAll(group, 'visit:fhir:enc-processes:1:sms', '2025-03-10T14:00:00Z');
		expect(first.filter((reply) => reply.claimed === true)).toHaveLength(1);
		expect(first.filter((reply) => reply.claimed === false)).toHaveLength(WORKERS - 1);

		const store = await openJourneyStore(config, { reusePool: false });
		try {
			await store.release('visit:fhir:enc-processes:1:sms', '2025-03-10T14:01:00Z');
			const second = await claimAll(group, 'visit:fhir:enc-processes:1:sms', '2025-03-10T14:02:00Z');
			expect(second.filter((reply) => reply.claimed === true)).toHaveLength(1);
			expect((await store.getClaim('visit:fhir:enc-processes:1:sms'))?.state).toBe('claimed');
		} finally {
			await store.close();
		}

		for (const worker of group) worker.end();
		const exits = await Promise.all(group.map((worker) => worker.exited));
		expect(exits.every((exit) => exit.code === 0)).toBe(true);
	}, 120_000);

	it(`hands each due step to exactly one of ${WORKERS} processes claiming batches at once`, async () => {
		const config = freshConfig[backend]();
		const store = await openJourneyStore(config, { reusePool: false });
		try {
			for (let index = 0; index < 300; index++) {
				await store.scheduleStep({
					journeyId: `visit:fhir:enc-${index}`,
					patientKey: `fhir:pat-${index}`,
					workflowId: 'wf-1',
					step: 'Reminder',
					dueAt: '2025-03-10T14:00:00Z',
					at: '2025-03-10T13:00:00Z',
				});
			}
		} finally {
			await store.close();
		}
		const group = await startWorkers(config, WORKERS);
		const claimed: string[] = [];
		for (let round = 0; round < 3; round++) {
			group.forEach((worker, index) => worker.send(`steps wf-1 2025-03-10T14:01:00Z 7 lease-${round}-${index}`));
			for (const reply of await Promise.all(group.map((worker) => worker.next()))) claimed.push(...(reply.steps ?? []));
		}
		expect(new Set(claimed).size).toBe(claimed.length);
		expect(claimed).toHaveLength(300);
		for (const worker of group) worker.end();
		await Promise.all(group.map((worker) => worker.exited));
	}, 120_000);

	it('shows a process that died between claim and send as a stale claim, and never re-grants the key', async () => {
		const config = freshConfig[backend]();
		const [worker] = await startWorkers(config, 1);
		worker.send('crash visit:fhir:enc-crash:1:sms 2025-03-10T14:00:00Z');
		expect((await worker.exited).signal).toBe('SIGKILL');

		const store = await openJourneyStore(config, { reusePool: false });
		try {
			const stale = await store.staleClaims('2025-03-10T14:15:00Z');
			expect(stale).toEqual([
				expect.objectContaining({ key: 'visit:fhir:enc-crash:1:sms', state: 'claimed', claimedAt: '2025-03-10T14:00:00Z' }),
			]);
			expect(await store.claim('visit:fhir:enc-crash:1:sms', stale[0], '2025-03-10T14:20:00Z')).toBe(false);
		} finally {
			await store.close();
		}
	}, 60_000);
});
