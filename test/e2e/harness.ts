import { join } from 'node:path';

import { startSandbox } from '../../sandbox/environment';
import type { Sandbox, SandboxOptions } from '../../sandbox/environment';
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
