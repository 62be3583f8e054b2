/**
 * The real n8n the security, input and PHI sections share (ports 5750/5751, moved by RELIABILITY_PORT_OFFSET): the sandbox with the templates
 * published, n8n at debug log level, and the e-mail of every workflow going to a sink of ours that requires a
 * login (so an SMTP password exists to leak). Plus what the sections measure with: a mark before a batch
 * (newest execution, outbox sizes, log offset) and what happened since it.
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';

import { startSandbox } from '../../sandbox/environment';
import type { Sandbox, SandboxEhr } from '../../sandbox/environment';
import { projectRoot } from '../../sandbox/n8n';
import { startSmtpSink } from '../../sandbox/smtp-sink';
import type { SmtpSink } from '../../sandbox/smtp-sink';
import { reliabilityPort } from './profile';

export const SECURITY_PORT = reliabilityPort(5750);

/** Secrets of the sandbox (sandbox/environment.ts) besides the webhook secret, which is random per run. */
export const sandboxSecrets = {
	twilioAuthToken: 'sandbox-auth-token',
	ehrClientSecret: 'sandbox-client-secret',
	drchronoAccessToken: 'sandbox-drchrono-access-token',
	smtpPassword: 'Mailer-Pass-9f4c2e7b61',
} as const;
const smtpUser = 'practice-mailer';

export interface SecurityRig {
	sandbox: Sandbox;
	/** Where every e-mail goes (patient messages, staff notices, the error workflow's alert). */
	mail: SmtpSink;
	/** Where this run's part of n8n's log starts (the file is appended to across runs). */
	logStart: number;
	url(ehr: SandboxEhr): string;
	/** Every secret value the pack's credentials hold in this run. */
	secrets(): Record<string, string>;
	stop(): Promise<void>;
}

/**
 * Turns the templates' EHR Poll Trigger off in this n8n: it would find the visits these tests close and run
 * their journeys on its own clock, sending messages in the middle of a batch that must send nothing.
 */
async function disablePollTriggers(sandbox: Sandbox): Promise<void> {
	const allowedSettings = ['executionOrder', 'saveDataErrorExecution', 'saveDataSuccessExecution', 'saveManualExecutions', 'saveExecutionProgress', 'errorWorkflow', 'timezone', 'executionTimeout', 'callerPolicy'];
	for (const { id } of Object.values(sandbox.workflows.threeStage)) {
		const workflow = await sandbox.client.api('GET', `/workflows/${id}`);
		const nodes = (workflow.nodes as Array<Record<string, unknown>>).map((node) =>
			node.type === 'n8n-nodes-post-visit.ehrPollTrigger' ? { ...node, disabled: true } : node,
		);
		const settings = Object.fromEntries(Object.entries(workflow.settings ?? {}).filter(([key]) => allowedSettings.includes(key)));
		await sandbox.client.api('PUT', `/workflows/${id}`, { name: workflow.name, nodes, connections: workflow.connections, settings });
		await sandbox.client.activate(id);
	}
}

export async function startSecurityRig(zone: string): Promise<SecurityRig> {
	const tarball = process.env.POST_VISIT_TARBALL;
	if (!tarball) throw new Error('POST_VISIT_TARBALL is not set: run the suite through `npm run test:reliability`');
	const mail = await startSmtpSink({ disableStartTls: true, authOptional: false, users: { [smtpUser]: sandboxSecrets.smtpPassword } });
	const workDir = join(projectRoot, '.sandbox', 'reliability', 'security');
	const logStart = fileSize(join(workDir, 'n8n.log'));
	const smtpLogin = { host: '127.0.0.1', port: mail.port, user: smtpUser, password: sandboxSecrets.smtpPassword };
	let sandbox: Sandbox;
	try {
		sandbox = await startSandbox({
			workDir,
			tarball,
			n8nPort: SECURITY_PORT,
			brokerPort: SECURITY_PORT + 1,
			fresh: true,
			drchronoZone: zone,
			// Two touches a day for one patient are fine here: several sections send to the same demo patients.
			profile: { perPatientPerDay: 5 },
			n8nProcess: { extraEnv: { N8N_LOG_LEVEL: 'debug' } },
			credentialOverrides: {
				postVisitSmtpApi: { ...smtpLogin, security: 'none', fromEmail: 'care@riverside.example', fromName: 'Riverside Family Medicine' },
				smtp: { ...smtpLogin, secure: false, disableStartTls: true },
			},
			log: (line) => console.log(`[security] ${line}`),
		});
	} catch (error) {
		await mail.close();
		throw error;
	}
	try {
		await disablePollTriggers(sandbox);
	} catch (error) {
		await sandbox.stop();
		await mail.close();
		throw error;
	}
	return {
		sandbox,
		mail,
		logStart,
		url: (ehr) => `${sandbox.n8n.baseUrl}/webhook/${sandbox.workflows.threeStage[ehr].webhookPath}`,
		secrets: () => ({ webhookSecret: sandbox.webhookSecret, ...sandboxSecrets }),
		stop: async () => {
			await sandbox.stop();
			await mail.close();
		},
	};
}

/* ------------------------------------------------------------------------------------------------ */

export interface Mark {
	executionId: number;
	sms: number;
	calls: number;
	email: number;
	logBytes: number;
}

/** n8n's public API leaves running executions out of a list unless asked for status=running. */
const listings = ['', '&status=running'];

export async function newestExecutionId(sandbox: Sandbox): Promise<number> {
	let newest = 0;
	for (const filter of listings) {
		const page = await sandbox.client.api('GET', `/executions?limit=1${filter}`);
		if (page.data.length > 0) newest = Math.max(newest, Number(page.data[0].id));
	}
	return newest;
}

export async function mark(rig: SecurityRig): Promise<Mark> {
	return {
		executionId: await newestExecutionId(rig.sandbox),
		sms: rig.sandbox.twilio.messages.length,
		calls: rig.sandbox.twilio.calls.length,
		email: rig.mail.messages.length,
		logBytes: logSize(rig),
	};
}

export interface ExecutionSummary {
	id: number;
	workflowId: string;
	mode: string;
	status: string;
}

/** Executions newer than the mark, any workflow, any mode, running ones included (newest first). */
export async function executionsSince(sandbox: Sandbox, since: number): Promise<ExecutionSummary[]> {
	const byId = new Map<number, ExecutionSummary>();
	for (const filter of listings) {
		for (const execution of await listSince(sandbox, since, filter)) byId.set(execution.id, execution);
	}
	return [...byId.values()].sort((a, b) => b.id - a.id);
}

async function listSince(sandbox: Sandbox, since: number, filter: string): Promise<ExecutionSummary[]> {
	const found: ExecutionSummary[] = [];
	let cursor: string | undefined;
	for (;;) {
		const page = await sandbox.client.api('GET', `/executions?limit=250${filter}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
		const rows = (page.data as Array<{ id: string; workflowId: string; mode: string; status: string }>).map((row) => ({
			id: Number(row.id),
			workflowId: row.workflowId,
			mode: row.mode,
			status: row.status,
		}));
		const newer = rows.filter((row) => row.id > since);
		found.push(...newer);
		if (newer.length < rows.length || !page.nextCursor) return found;
		cursor = page.nextCursor;
	}
}

/**
 * What a batch of requests left behind. Executions count when they belong to a three-stage workflow (whose
 * EHR Trigger the requests hit) or are an error workflow's run; other workflows (Twilio's delivery-status
 * webhook) only react to messages, which are counted themselves.
 */
export async function since(rig: SecurityRig, before: Mark) {
	const threeStage = new Set(Object.values(rig.sandbox.workflows.threeStage).map((workflow) => workflow.id));
	const executions = (await executionsSince(rig.sandbox, before.executionId)).filter(
		(execution) => threeStage.has(execution.workflowId) || execution.mode === 'error',
	);
	return {
		executions,
		sms: rig.sandbox.twilio.messages.slice(before.sms),
		calls: rig.sandbox.twilio.calls.slice(before.calls),
		email: rig.mail.messages.slice(before.email),
		log: logSince(rig, before.logBytes),
	};
}

/* ------------------------------------------------------------------------------------------------ */

export function logFile(rig: SecurityRig): string {
	return rig.sandbox.n8n.options.logFile;
}

function fileSize(file: string): number {
	try {
		return statSync(file).size;
	} catch {
		return 0;
	}
}

function logSize(rig: SecurityRig): number {
	return fileSize(logFile(rig));
}

export function logSince(rig: SecurityRig, offset: number): string {
	const size = logSize(rig);
	if (size <= offset) return '';
	const buffer = Buffer.alloc(size - offset);
	const fd = openSync(logFile(rig), 'r');
	try {
		readSync(fd, buffer, 0, buffer.length, offset);
	} finally {
		closeSync(fd);
	}
	return buffer.toString('utf8');
}

/** Lines of n8n's log as `{ level, text }` (production debug format: `<time> | <level> | <message> <meta>`). */
export function logLines(text: string): Array<{ level: string; text: string }> {
	return text
		.replace(/\u001b\[[0-9;]*m/g, '')
		.split('\n')
		.map((line) => {
			const match = /^\S+ \| (\w+)\s*\| (.*)$/.exec(line);
			return { level: match?.[1] ?? '', text: match ? match[2] : line };
		});
}

export interface Answer {
	status: number;
	text: string;
	json?: Record<string, unknown>;
}

/** How long a request may go unanswered before the test calls it a hang (n8n answers these in milliseconds). */
export const answerTimeoutMs = 30_000;

export async function post(url: string, body: Buffer | string | undefined, headers: Record<string, string>): Promise<Answer> {
	const response = await fetch(url, {
		method: 'POST',
		headers,
		body: body === undefined ? undefined : typeof body === 'string' ? body : new Uint8Array(body),
		signal: AbortSignal.timeout(answerTimeoutMs),
	});
	const text = await response.text();
	let json: Record<string, unknown> | undefined;
	try {
		const parsed: unknown = JSON.parse(text);
		if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) json = parsed as Record<string, unknown>;
	} catch {
		// not JSON
	}
	return { status: response.status, text, json };
}

/** Runs `work` over `items` with at most `width` in flight, keeping the order of results. */
export async function inPool<T, R>(items: T[], width: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
	const results = new Array<R>(items.length);
	let next = 0;
	const lanes = Array.from({ length: Math.min(width, items.length) }, async () => {
		while (next < items.length) {
			const index = next++;
			results[index] = await work(items[index] as T, index);
		}
	});
	await Promise.all(lanes);
	return results;
}

export async function healthy(rig: SecurityRig): Promise<boolean> {
	try {
		const response = await fetch(`${rig.sandbox.n8n.baseUrl}/healthz`);
		return response.ok && rig.sandbox.n8n.pid !== undefined;
	} catch {
		return false;
	}
}

/** Polls `probe` until it returns true or `timeoutMs` passes; returns the last answer. */
export async function settle(probe: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<boolean> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		if (await probe()) return true;
		if (Date.now() > deadline) return false;
		await new Promise((resolve) => setTimeout(resolve, 250));
	}
}
