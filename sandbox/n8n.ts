import { spawn, execFileSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { delimiter, dirname, join, resolve } from 'node:path';

function findProjectRoot(from: string): string {
	for (let dir = from; dir !== resolve(dir, '..'); dir = resolve(dir, '..')) {
		const manifest = join(dir, 'package.json');
		if (existsSync(manifest) && JSON.parse(readFileSync(manifest, 'utf8')).name === 'n8n-nodes-post-visit') return dir;
	}
	throw new Error(`no n8n-nodes-post-visit package above ${from}`);
}

/** The checkout (this file runs from sandbox/ under ts-jest and from .build/sandbox/ when compiled). */
export const projectRoot = findProjectRoot(__dirname);
/** Where scripts/install-n8n.sh puts the pinned n8n. */
export const n8nRuntime = join(projectRoot, '.runtime', 'n8n');
export const n8nBin = join(n8nRuntime, 'node_modules', 'n8n', 'bin', 'n8n');

/** The n8n commands that serve: the main process, a queue-mode worker, a queue-mode webhook processor. */
export type N8nCommand = 'start' | 'worker' | 'webhook';

export interface N8nOptions {
	userFolder: string;
	/** The HTTP port (main and webhook processor); a worker serves nothing on it but gets it all the same. */
	port: number;
	/** The task-runner broker's port (main and workers; every process on a host needs its own). */
	brokerPort: number;
	logFile: string;
	encryptionKey?: string;
	extraEnv?: Record<string, string>;
	/** Default 'start'. 'worker' and 'webhook' need queue-mode env (see `queueModeEnv`). */
	command?: N8nCommand;
	/**
	 * Runs n8n through this program instead of directly (e.g. the Docker image's entrypoint wrapper), as
	 * `<launcher…> <command>`; it must end by exec-ing n8n with the arguments it got.
	 */
	launcher?: string[];
	/** A worker's health server (QUEUE_HEALTH_CHECK_PORT): its /healthz/readiness is what `start` waits on. */
	healthPort?: number;
	/**
	 * Spawns n8n as the leader of a process group of its own and signals the whole group on stop, so its
	 * task-runner child cannot outlive it.
	 */
	ownProcessGroup?: boolean;
}

export const owner = {
	email: 'ops@example-practice.test',
	firstName: 'Practice',
	lastName: 'Ops',
	password: 'PostVisit-Sandbox-1',
};

/** The env of an offline, loopback-only n8n: nothing calls out, nothing listens beyond 127.0.0.1. */
export function n8nEnv(options: N8nOptions): Record<string, string> {
	const base = `http://127.0.0.1:${options.port}/`;
	return {
		// jest sets NODE_ENV=test, under which n8n exits at once without a word.
		NODE_ENV: 'production',
		N8N_USER_FOLDER: options.userFolder,
		N8N_LISTEN_ADDRESS: '127.0.0.1',
		N8N_HOST: '127.0.0.1',
		N8N_PORT: String(options.port),
		N8N_PROTOCOL: 'http',
		N8N_WEBHOOK_URL: base,
		N8N_EDITOR_BASE_URL: base,
		N8N_RUNNERS_BROKER_LISTEN_ADDRESS: '127.0.0.1',
		N8N_RUNNERS_BROKER_PORT: String(options.brokerPort),
		N8N_SECURE_COOKIE: 'false',
		N8N_ENCRYPTION_KEY: options.encryptionKey ?? 'post-visit-sandbox-key-0123456789abcdef',
		N8N_DIAGNOSTICS_ENABLED: 'false',
		N8N_VERSION_NOTIFICATIONS_ENABLED: 'false',
		N8N_VERSION_NOTIFICATIONS_WHATS_NEW_ENABLED: 'false',
		N8N_TEMPLATES_ENABLED: 'false',
		N8N_PERSONALIZATION_ENABLED: 'false',
		N8N_HIRING_BANNER_ENABLED: 'false',
		N8N_DYNAMIC_BANNERS_ENABLED: 'false',
		N8N_AI_ENABLED: 'false',
		N8N_LICENSE_AUTO_RENEW_ENABLED: 'false',
		N8N_DISABLED_MODULES: 'mcp-registry',
		N8N_ENFORCE_SETTINGS_FILE_PERMISSIONS: 'false',
		DB_TYPE: 'sqlite',
		EXTERNAL_FRONTEND_HOOKS_URLS: '',
		N8N_LOG_LEVEL: 'info',
		// Isolates only when an expression runs (the templates' hot path has none): docker/.env.example's default too.
		N8N_EXPRESSION_ENGINE_LAZY_ACQUIRE: 'true',
		...(options.healthPort === undefined
			? {}
			: {
					QUEUE_HEALTH_CHECK_ACTIVE: 'true',
					QUEUE_HEALTH_CHECK_PORT: String(options.healthPort),
					N8N_WORKER_SERVER_ADDRESS: '127.0.0.1',
				}),
		...options.extraEnv,
	};
}

/** Where the queue-mode processes find their shared Postgres database and Redis. */
export interface QueueModeServices {
	redis: { host: string; port: number };
	postgres: { host: string; port: number; database: string; user: string; password: string };
	/** The public base URL of the webhook processor(s), which every process puts into webhook URLs. */
	webhookUrl: string;
}

/**
 * The env every process of a queue-mode n8n shares (main, workers, webhook processors): queue mode, the
 * Bull queue in Redis, n8n's database in Postgres, one webhook URL. Pair it with one N8N_ENCRYPTION_KEY.
 */
export function queueModeEnv(services: QueueModeServices): Record<string, string> {
	return {
		EXECUTIONS_MODE: 'queue',
		QUEUE_BULL_REDIS_HOST: services.redis.host,
		QUEUE_BULL_REDIS_PORT: String(services.redis.port),
		DB_TYPE: 'postgresdb',
		DB_POSTGRESDB_HOST: services.postgres.host,
		DB_POSTGRESDB_PORT: String(services.postgres.port),
		DB_POSTGRESDB_DATABASE: services.postgres.database,
		DB_POSTGRESDB_USER: services.postgres.user,
		DB_POSTGRESDB_PASSWORD: services.postgres.password,
		N8N_WEBHOOK_URL: services.webhookUrl,
	};
}

/** Installs a packed tarball the way Settings → Community Nodes and our Dockerfile do. */
export function installPack(userFolder: string, tarball: string, env: NodeJS.ProcessEnv = process.env): void {
	const nodesDir = join(userFolder, '.n8n', 'nodes');
	mkdirSync(nodesDir, { recursive: true });
	const manifest = join(nodesDir, 'package.json');
	if (!existsSync(manifest)) {
		writeFileSync(manifest, JSON.stringify({ name: 'installed-nodes', private: true, dependencies: {} }));
	}
	execFileSync(
		'npm',
		['install', '--no-audit', '--no-fund', '--legacy-peer-deps', '--ignore-scripts', '--loglevel=error', tarball],
		{ cwd: nodesDir, stdio: ['ignore', 'ignore', 'inherit'], env },
	);
}

/** A child killed by a signal (e.g. SIGTERM before n8n installed its handlers) keeps exitCode null. */
function hasExited(child: ChildProcess): boolean {
	return child.exitCode !== null || child.signalCode !== null;
}

export class N8nProcess {
	private child?: ChildProcess;

	constructor(readonly options: N8nOptions) {}

	get baseUrl(): string {
		return `http://127.0.0.1:${this.options.port}`;
	}

	/** What `start` polls: a worker's health server, else the HTTP server's readiness. */
	get readinessUrl(): string {
		const { command = 'start', healthPort } = this.options;
		if (command === 'worker') {
			if (healthPort === undefined) throw new Error('an n8n worker needs a healthPort to report readiness');
			return `http://127.0.0.1:${healthPort}/healthz/readiness`;
		}
		return `${this.baseUrl}/healthz/readiness`;
	}

	/** The running child's process id (the n8n process itself: a launcher must exec it). */
	get pid(): number | undefined {
		return this.child && !hasExited(this.child) ? this.child.pid : undefined;
	}

	async start(timeoutMs = 120_000): Promise<void> {
		const readinessUrl = this.readinessUrl;
		mkdirSync(this.options.userFolder, { recursive: true });
		const log = createWriteStream(this.options.logFile, { flags: 'a' });
		const command = this.options.command ?? 'start';
		const [program, ...args] = this.options.launcher ? [...this.options.launcher, command] : [process.execPath, n8nBin, command];
		// A launcher finds `node` on PATH (n8n's bin is a `#!/usr/bin/env node` script): make it this Node.
		const path = this.options.launcher ? { PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ''}` } : {};
		this.child = spawn(program, args, {
			env: { ...process.env, ...path, ...n8nEnv(this.options) },
			stdio: ['ignore', 'pipe', 'pipe'],
			detached: this.options.ownProcessGroup ?? false,
		});
		this.child.stdout?.pipe(log);
		this.child.stderr?.pipe(log);
		const deadline = Date.now() + timeoutMs;
		while (Date.now() < deadline) {
			if (hasExited(this.child)) {
				throw new Error(`n8n ${command} exited with ${this.child.exitCode ?? this.child.signalCode}; see ${this.options.logFile}`);
			}
			try {
				const response = await fetch(readinessUrl);
				if (response.ok) return;
			} catch {
				// not listening yet
			}
			await new Promise((r) => setTimeout(r, 500));
		}
		throw new Error(`n8n ${command} was not ready within ${timeoutMs} ms; see ${this.options.logFile}`);
	}

	async stop(): Promise<void> {
		const child = this.child;
		if (!child || hasExited(child)) return;
		const group = this.options.ownProcessGroup && child.pid !== undefined ? child.pid : undefined;
		const signal = (name: NodeJS.Signals) => {
			if (group === undefined) {
				child.kill(name);
				return;
			}
			try {
				process.kill(-group, name);
			} catch {
				// the group is gone already
			}
		};
		const exited = new Promise<void>((r) => child.once('exit', () => r()));
		signal('SIGTERM');
		const timer = setTimeout(() => signal('SIGKILL'), 30_000);
		await exited;
		clearTimeout(timer);
		// Whatever of the group outlived n8n (a task runner mid-shutdown) goes too.
		if (group !== undefined) signal('SIGKILL');
	}

	async restart(): Promise<void> {
		await this.stop();
		await this.start();
	}

	/** Kills n8n at once (SIGKILL: no shutdown, as a crash or an OOM kill would), then waits for it to be gone. */
	async kill(): Promise<void> {
		const child = this.child;
		if (!child || hasExited(child)) return;
		const exited = new Promise<void>((r) => child.once('exit', () => r()));
		const group = this.options.ownProcessGroup && child.pid !== undefined ? child.pid : undefined;
		if (group === undefined) child.kill('SIGKILL');
		else process.kill(-group, 'SIGKILL');
		await exited;
	}

	logText(): string {
		return existsSync(this.options.logFile) ? readFileSync(this.options.logFile, 'utf8') : '';
	}
}

/** A logged-in client of n8n's REST and public API. */
export class N8nClient {
	private cookie = '';
	private apiKey = '';

	constructor(readonly baseUrl: string) {}

	private async call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
		const response = await fetch(this.baseUrl + path, {
			method,
			headers: {
				'content-type': 'application/json',
				...(this.cookie ? { cookie: this.cookie } : {}),
				...headers,
			},
			body: body === undefined ? undefined : JSON.stringify(body),
		});
		const auth = response.headers.getSetCookie().find((c) => c.startsWith('n8n-auth='));
		if (auth) this.cookie = auth.split(';')[0];
		const text = await response.text();
		let json: unknown = text;
		try {
			json = JSON.parse(text);
		} catch {
			// plain text answer
		}
		if (!response.ok) throw new Error(`${method} ${path} -> ${response.status}: ${text.slice(0, 500)}`);
		return json as any; // eslint-disable-line @typescript-eslint/no-explicit-any
	}

	rest(method: string, path: string, body?: unknown) {
		return this.call(method, `/rest${path}`, body);
	}

	api(method: string, path: string, body?: unknown) {
		return this.call(method, `/api/v1${path}`, body, { 'X-N8N-API-KEY': this.apiKey });
	}

	/** Creates the owner on a fresh database, else logs in; then makes an API key. */
	async signIn(): Promise<void> {
		const settings = await this.rest('GET', '/settings');
		if (settings.data?.userManagement?.showSetupOnFirstLoad) {
			await this.rest('POST', '/owner/setup', owner);
		} else {
			await this.rest('POST', '/login', { emailOrLdapLoginId: owner.email, password: owner.password });
		}
		const scopes = (await this.rest('GET', '/api-keys/scopes')).data;
		const key = await this.rest('POST', '/api-keys', { label: `post-visit-${Date.now()}`, scopes, expiresAt: null });
		this.apiKey = key.data.rawApiKey;
	}

	async nodeTypes(): Promise<Array<{ name: string }>> {
		return await this.call('GET', '/types/nodes.json');
	}

	async credentialTypes(): Promise<Array<{ name: string }>> {
		return await this.call('GET', '/types/credentials.json');
	}

	async createCredential(name: string, type: string, data: Record<string, unknown>): Promise<{ id: string; name: string }> {
		return await this.api('POST', '/credentials', { name, type, data });
	}

	async createWorkflow(workflow: { name: string; nodes: unknown[]; connections: unknown; settings?: unknown }) {
		return await this.api('POST', '/workflows', {
			name: workflow.name,
			nodes: workflow.nodes,
			connections: workflow.connections,
			settings: workflow.settings ?? { executionOrder: 'v1' },
		});
	}

	/** Publishes and waits until the triggers are live (publication is asynchronous in 2.x). */
	async activate(workflowId: string, timeoutMs = 30_000): Promise<void> {
		await this.api('POST', `/workflows/${workflowId}/activate`, {});
		const deadline = Date.now() + timeoutMs;
		while (Date.now() < deadline) {
			const status = (await this.rest('GET', `/workflows/${workflowId}/publication-status`)).data;
			if (status?.status === 'published') return;
			if (status?.status === 'failed' || status?.status === 'partial') {
				throw new Error(`publication of ${workflowId} failed: ${JSON.stringify(status)}`);
			}
			await new Promise((r) => setTimeout(r, 200));
		}
		throw new Error(`workflow ${workflowId} not published within ${timeoutMs} ms`);
	}

	async workflow(workflowId: string): Promise<{ id: string; name: string; nodes: Array<Record<string, any>>; connections: unknown; settings?: unknown }> { // eslint-disable-line @typescript-eslint/no-explicit-any
		return await this.api('GET', `/workflows/${workflowId}`);
	}

	/** Saves a new draft of the workflow (publish it with `activate` for it to go live). */
	async updateWorkflow(workflowId: string, workflow: { name: string; nodes: unknown[]; connections: unknown; settings?: unknown }) {
		return await this.api('PUT', `/workflows/${workflowId}`, {
			name: workflow.name,
			nodes: workflow.nodes,
			connections: workflow.connections,
			settings: workflow.settings ?? { executionOrder: 'v1' },
		});
	}

	/** Unpublishes and waits until the triggers are down (asynchronous in 2.x). */
	async deactivate(workflowId: string, timeoutMs = 30_000): Promise<void> {
		await this.api('POST', `/workflows/${workflowId}/deactivate`, {});
		const deadline = Date.now() + timeoutMs;
		while (Date.now() < deadline) {
			const status = (await this.rest('GET', `/workflows/${workflowId}/publication-status`)).data;
			if (status?.status === 'not_published') return;
			await new Promise((r) => setTimeout(r, 200));
		}
		throw new Error(`workflow ${workflowId} not unpublished within ${timeoutMs} ms`);
	}

	/** Changes some fields of a credential, keeping the others (the ops person's edit in the credential dialog). */
	async updateCredential(credentialId: string, data: Record<string, unknown>): Promise<void> {
		await this.api('PATCH', `/credentials/${credentialId}`, { data, isPartialData: true });
	}

	async executions(workflowId: string, limit = 50): Promise<any[]> { // eslint-disable-line @typescript-eslint/no-explicit-any
		const page = await this.api('GET', `/executions?workflowId=${workflowId}&includeData=true&limit=${limit}`);
		return page.data;
	}
}
