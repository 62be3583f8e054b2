import { join } from 'node:path';

import { demoPractice } from '../../sandbox/demo-patients';
import { startSandbox } from '../../sandbox/environment';
import type { Sandbox, SandboxOptions } from '../../sandbox/environment';
import type { N8nClient } from '../../sandbox/n8n';
import { openJourneyStore } from '../../nodes/shared/store';
import type { JourneyStore } from '../../nodes/shared/store/types';
import { projectRoot } from '../../sandbox/n8n';

/** Polls until `probe` returns a value (not undefined), or fails with `what` after `timeoutMs`. */
export async function eventually<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 60_000): Promise<T> {
	const deadline = Date.now() + timeoutMs;
	let lastError: unknown;
	while (Date.now() < deadline) {
		try {
			const value = await probe();
			if (value !== undefined) return value;
		} catch (error) {
			lastError = error;
		}
		await new Promise((resolve) => setTimeout(resolve, 500));
	}
	throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`);
}

/** One real n8n + sandbox per e2e file, on ports of its own. */
export async function startE2eSandbox(name: string, port: number, overrides: Partial<SandboxOptions> = {}): Promise<Sandbox> {
	const tarball = process.env.POST_VISIT_TARBALL;
	if (!tarball) throw new Error('POST_VISIT_TARBALL is not set: run the e2e suite through `npm run test:e2e`');
	return await startSandbox({
		workDir: join(projectRoot, '.sandbox', 'e2e', name),
		tarball,
		n8nPort: port,
		brokerPort: port + 1,
		fresh: true,
		log: (line) => console.log(`[${name}] ${line}`),
		...overrides,
	});
}

type Item = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/**
 * "Execute workflow" from the editor: n8n's internal REST endpoint POST /rest/workflows/:id/run with the trigger to
 * start from, as the signed-in owner (n8n's public API has no "run a workflow" call). Resolves with the finished
 * execution, data included.
 */
export async function runManually(client: N8nClient, workflowId: string, trigger: string): Promise<Item> {
	const started = await client.rest('POST', `/workflows/${workflowId}/run`, { triggerToStartFrom: { name: trigger } });
	const executionId = started.data?.executionId as string | undefined;
	if (!executionId) throw new Error(`no manual execution of ${workflowId} started: ${JSON.stringify(started)}`);
	return await eventually(
		`execution ${executionId} to finish`,
		async () => {
			const execution = await client.api('GET', `/executions/${executionId}?includeData=true`);
			return ['success', 'error', 'crashed'].includes(execution.status) ? execution : undefined;
		},
		120_000,
	);
}

/** The items a node's last run put on one output of an execution (throws if the node did not run). */
export function outputOf(execution: Item, node: string, output = 0): Item[] {
	const runs = execution.data?.resultData?.runData?.[node];
	if (!runs) throw new Error(`node "${node}" did not run: ${JSON.stringify(execution.data?.resultData?.error ?? null)}`);
	return (runs.at(-1)?.data?.main?.[output] ?? []).map((item: { json: Item }) => item.json);
}

/** Runs `work` on the sandbox's SQLite journey store (a connection of its own beside n8n's, as a second process). */
export async function withJourneyStore<T>(sandbox: Pick<Sandbox, 'journeyStorePath'>, work: (store: JourneyStore) => Promise<T>): Promise<T> {
	const store = await openJourneyStore({ backend: 'sqlite', path: sandbox.journeyStorePath, contactHashSecret: demoPractice.contactHashSecret }, { reusePool: false });
	try {
		return await work(store);
	} finally {
		await store.close();
	}
}
