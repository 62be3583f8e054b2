import { execFile, execFileSync, spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { n8nBin, n8nEnv, N8nProcess, projectRoot, queueModeEnv } from '../../sandbox/n8n';
import type { N8nCommand, N8nOptions, QueueModeServices } from '../../sandbox/n8n';
import { testContactHashSecret } from '../helpers/contactHashSecret';

/**
 * The queue-mode topology of docker/docker-compose.yml's `queue` profile, without Docker: one Postgres
 * cluster (n8n's database + the journey store's), a private Redis, n8n main, two workers and a webhook
 * processor, each n8n process with a user folder of its own that starts empty (like a fresh volume) and
 * launched through the image's entrypoint wrapper, which installs the baked pack before n8n starts.
 */
export const ports = {
	postgres: 5730,
	redis: 5731,
	main: 5732,
	mainBroker: 5733,
	webhook: 5734,
	/** Reserved only: a webhook processor runs no task runner. */
	webhookBroker: 5741,
	workers: [
		{ port: 5735, broker: 5736, health: 5737 },
		{ port: 5738, broker: 5739, health: 5740 },
	],
};

export const workDir = join(projectRoot, '.sandbox', 'queue');
/** Where the Dockerfile bakes the pack (/opt/post-visit/nodes), here below the work dir. */
export const bakedNodes = join(workDir, 'opt', 'post-visit', 'nodes');
export const postgresDataDir = join(tmpdir(), `n8n-post-visit-queue-pg-${ports.postgres}`);
export const encryptionKey = 'post-visit-queue-test-key-0123456789abcdef';
export const entrypointWrapper = join(projectRoot, 'docker', 'post-visit-entrypoint.sh');
export const initScript = join(projectRoot, 'docker', 'init', 'init.sh');

export const n8nDatabase = 'n8n';
/** Made by docker/postgres/init-journey-store.sh, as in the compose postgres service. */
export const journeyStoreRole = { database: 'post_visit', user: 'post_visit', password: 'post-visit-queue-test-password' };

export const services: QueueModeServices = {
	redis: { host: '127.0.0.1', port: ports.redis },
	postgres: { host: '127.0.0.1', port: ports.postgres, database: n8nDatabase, user: 'postgres', password: '' },
	webhookUrl: `http://127.0.0.1:${ports.webhook}/`,
};

export const journeyStoreCredential = {
	backend: 'postgres',
	host: '127.0.0.1',
	port: ports.postgres,
	database: journeyStoreRole.database,
	user: journeyStoreRole.user,
	password: journeyStoreRole.password,
	ssl: 'off',
	retentionDays: 400,
};

/** Env of every n8n process here: queue mode, and the wrapper told where the pack is baked and how to start n8n. */
export function sharedEnv(): Record<string, string> {
	return {
		...queueModeEnv(services),
		POST_VISIT_BAKED_NODES: bakedNodes,
		// In the image the wrapper hands over to /docker-entrypoint.sh, which runs `n8n "$@"`; here, n8n's bin.
		POST_VISIT_NEXT_ENTRYPOINT: n8nBin,
		N8N_LOG_LEVEL: 'info',
	};
}

/** The Dockerfile's build step: `sh docker/install-pack.sh <tarball> /opt/post-visit/nodes`. */
export function bakePack(tarball: string): void {
	execFileSync('sh', [join(projectRoot, 'docker', 'install-pack.sh'), tarball, bakedNodes], {
		cwd: projectRoot,
		stdio: ['ignore', 'ignore', 'pipe'],
		timeout: 300_000,
	});
}

function postgres(...args: string[]): string {
	return execFileSync('bash', [join(projectRoot, 'scripts', 'postgres.sh'), ...args], {
		cwd: projectRoot,
		encoding: 'utf8',
		stdio: ['ignore', 'pipe', 'pipe'],
		timeout: 600_000,
	});
}

/**
 * A fresh throwaway cluster with n8n's database, then the journey store's role and database made by the
 * compose postgres service's init script (docker/postgres/init-journey-store.sh).
 */
export function startPostgres(): void {
	postgres('purge', postgresDataDir);
	postgres('start', postgresDataDir, String(ports.postgres), n8nDatabase);
	execFileSync('sh', [join(projectRoot, 'docker', 'postgres', 'init-journey-store.sh')], {
		env: {
			...process.env,
			PGHOST: '127.0.0.1',
			PGPORT: String(ports.postgres),
			POSTGRES_USER: 'postgres',
			POSTGRES_DB: n8nDatabase,
			POST_VISIT_DB_USER: journeyStoreRole.user,
			POST_VISIT_DB_NAME: journeyStoreRole.database,
			POST_VISIT_DB_PASSWORD: journeyStoreRole.password,
		},
		stdio: ['ignore', 'ignore', 'pipe'],
	});
}

export function stopPostgres(): void {
	postgres('stop', postgresDataDir);
}

async function redisAnswersPing(port: number): Promise<boolean> {
	return await new Promise((resolve) => {
		const socket = connect({ host: '127.0.0.1', port }, () => socket.write('PING\r\n'));
		socket.setTimeout(1000);
		socket.once('data', (data) => {
			socket.destroy();
			resolve(data.toString().startsWith('+PONG'));
		});
		socket.once('error', () => resolve(false));
		socket.once('timeout', () => {
			socket.destroy();
			resolve(false);
		});
	});
}

/** A private, memory-only Redis on 127.0.0.1 (no RDB snapshots, no AOF). */
export class RedisProcess {
	private child?: ChildProcess;

	constructor(readonly port: number, readonly logFile: string) {}

	async start(timeoutMs = 30_000): Promise<void> {
		const found = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' });
		if (found.status !== 0) throw new Error('redis-server is not installed: run the suite through `npm run test:queue`');
		const log = createWriteStream(this.logFile, { flags: 'a' });
		this.child = spawn(
			'redis-server',
			['--port', String(this.port), '--bind', '127.0.0.1', '--protected-mode', 'yes', '--save', '', '--appendonly', 'no', '--dir', workDir],
			{ stdio: ['ignore', 'pipe', 'pipe'] },
		);
		this.child.stdout?.pipe(log);
		this.child.stderr?.pipe(log);
		const deadline = Date.now() + timeoutMs;
		while (Date.now() < deadline) {
			if (this.child.exitCode !== null || this.child.signalCode !== null) throw new Error(`redis-server exited; see ${this.logFile}`);
			if (await redisAnswersPing(this.port)) return;
			await new Promise((r) => setTimeout(r, 200));
		}
		throw new Error(`redis-server was not ready within ${timeoutMs} ms; see ${this.logFile}`);
	}

	async stop(): Promise<void> {
		const child = this.child;
		if (!child || child.exitCode !== null || child.signalCode !== null) return;
		const exited = new Promise<void>((r) => child.once('exit', () => r()));
		child.kill('SIGTERM');
		const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
		await exited;
		clearTimeout(timer);
	}
}

/** Options of one n8n process of the topology, started through the entrypoint wrapper. */
export function processOptions(
	name: string,
	command: N8nCommand,
	network: { port: number; brokerPort: number; healthPort?: number },
	extraEnv: Record<string, string> = {},
): N8nOptions {
	return {
		userFolder: join(workDir, name),
		port: network.port,
		brokerPort: network.brokerPort,
		healthPort: network.healthPort,
		logFile: join(workDir, `${name}.log`),
		encryptionKey,
		command,
		launcher: ['sh', entrypointWrapper],
		ownProcessGroup: true,
		extraEnv: { ...sharedEnv(), ...extraEnv },
	};
}

export function workerProcess(index: number): N8nProcess {
	const worker = ports.workers[index];
	return new N8nProcess(
		processOptions(
			`worker-${index + 1}`,
			'worker',
			{ port: worker.port, brokerPort: worker.broker, healthPort: worker.health },
			// One job at a time per worker, so simultaneous deliveries spread over both workers (the suite checks it).
			{ N8N_CONCURRENCY_PRODUCTION_LIMIT: '1' },
		),
	);
}

export function webhookProcess(): N8nProcess {
	return new N8nProcess(processOptions('webhook', 'webhook', { port: ports.webhook, brokerPort: ports.webhookBroker }));
}

/**
 * Runs docker/init/init.sh as the compose `n8n-init` service does (n8n CLI against n8n's database), with
 * the journey store credential from env. Returns its output. Asynchronous on purpose: blocking the event
 * loop for its ~15 s would leave the API client's keep-alive sockets closed under it.
 */
export async function runInit(): Promise<string> {
	const env = {
		...process.env,
		...n8nEnv({ userFolder: join(workDir, 'init'), port: 5799, brokerPort: 5798, logFile: '', encryptionKey, extraEnv: sharedEnv() }),
		N8N_CLI: `${process.execPath} ${n8nBin}`,
		POST_VISIT_JOURNEY_STORE_BACKEND: 'postgres',
		POST_VISIT_JOURNEY_STORE_HOST: '127.0.0.1',
		POST_VISIT_JOURNEY_STORE_PORT: String(ports.postgres),
		POST_VISIT_JOURNEY_STORE_DATABASE: journeyStoreRole.database,
		POST_VISIT_JOURNEY_STORE_USER: journeyStoreRole.user,
		POST_VISIT_JOURNEY_STORE_PASSWORD: journeyStoreRole.password,
		POST_VISIT_CONTACT_HASH_SECRET: testContactHashSecret,
	};
	return await new Promise((resolve, reject) => {
		execFile('sh', [initScript], { cwd: projectRoot, env, encoding: 'utf8', timeout: 180_000, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
			const output = `${stdout}\n${stderr}`;
			if (error) reject(new Error(`docker/init/init.sh failed (${error.code ?? error.signal}):\n${output.slice(-3000)}`));
			else resolve(output);
		});
	});
}

export interface WorkerJob {
	worker: string;
	executionId: string;
	jobId: string;
}

/** "Worker started execution <id> (job <job>)" lines of each worker's log: who ran what. */
export function jobsStartedBy(workers: Array<{ name: string; logFile: string }>): WorkerJob[] {
	const jobs: WorkerJob[] = [];
	for (const worker of workers) {
		const text = existsSync(worker.logFile) ? readFileSync(worker.logFile, 'utf8') : '';
		for (const match of text.matchAll(/Worker started execution (\S+) \(job (\S+)\)/g)) {
			jobs.push({ worker: worker.name, executionId: match[1], jobId: match[2] });
		}
	}
	return jobs;
}
