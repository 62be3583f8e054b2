import { spawn, execFileSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

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

export interface N8nOptions {
	userFolder: string;
	port: number;
	brokerPort: number;
	logFile: string;
	encryptionKey?: string;
	extraEnv?: Record<string, string>;
}

export const owner = {
	email: 'ops@example-practice.test',
	firstName: 'Practice',
	lastName: 'Ops',
	password: 'PostVisit-Sandbox-1',
};

/** The env of an offline, loopback-only n8n (research/n8n-platform.md). */
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
		WEBHOOK_URL: base,
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
		...options.extraEnv,
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

export class N8nProcess {
	private child?: ChildProcess;

	constructor(readonly options: N8nOptions) {}

	get baseUrl(): string {
		return `http://127.0.0.1:${this.options.port}`;
	}

	async start(timeoutMs = 120_000): Promise<void> {
		mkdirSync(this.options.userFolder, { recursive: true });
		const log = createWriteStream(this.options.logFile, { flags: 'a' });
		this.child = spawn(process.execPath, [n8nBin, 'start'], {
			env: { ...process.env, ...n8nEnv(this.options) },
			stdio: ['ignore', 'pipe', 'pipe'],
		});
		this.child.stdout?.pipe(log);
		this.child.stderr?.pipe(log);
		const deadline = Date.now() + timeoutMs;
		while (Date.now() < deadline) {
			if (this.child.exitCode !== null) {
				throw new Error(`n8n exited with ${this.child.exitCode}; see ${this.options.logFile}`);
			}
			try {
				const response = await fetch(`${this.baseUrl}/healthz/readiness`);
				if (response.ok) return;
			} catch {
				// not listening yet
			}
			await new Promise((r) => setTimeout(r, 500));
		}
		throw new Error(`n8n was not ready within ${timeoutMs} ms; see ${this.options.logFile}`);
	}

	async stop(): Promise<void> {
		const child = this.child;
		if (!child || child.exitCode !== null) return;
		const exited = new Promise<void>((r) => child.once('exit', () => r()));
		child.kill('SIGTERM');
		const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
		await exited;
		clearTimeout(timer);
	}

	async restart(): Promise<void> {
		await this.stop();
		await this.start();
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

	async executions(workflowId: string, limit = 50): Promise<any[]> { // eslint-disable-line @typescript-eslint/no-explicit-any
		const page = await this.api('GET', `/executions?workflowId=${workflowId}&includeData=true&limit=${limit}`);
		return page.data;
	}
}
