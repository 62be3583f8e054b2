import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client } from 'pg';

import type { PostgresStoreConfig } from '../../nodes/shared/store/open';

const repoRoot = resolve(__dirname, '../..');

/**
 * A throwaway Postgres for one test file: scripts/postgres.sh starts (installing it if need be) a cluster on
 * 55432 + the jest worker id, so parallel workers never share one; each file gets a database of its own,
 * dropped afterwards. If Postgres cannot be started the suite fails with the script's reason: never skipped.
 */
export function useTestPostgres(): () => Omit<PostgresStoreConfig, 'schema'> {
	const port = 55432 + Number(process.env.JEST_WORKER_ID ?? '1');
	const dataDir = join(tmpdir(), `n8n-post-visit-pg-${port}`);
	const database = `pv_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
	const admin = { host: '127.0.0.1', port, user: 'postgres', password: '', database: 'postgres' };
	let ready = false;

	beforeAll(async () => {
		try {
			execFileSync('bash', ['scripts/postgres.sh', 'start', dataDir, String(port)], {
				cwd: repoRoot,
				stdio: ['ignore', 'pipe', 'pipe'],
				timeout: 600_000,
			});
		} catch (error) {
			const reason = String(error.stderr ?? error.message).trim();
			throw new Error(`The Postgres store tests need a local PostgreSQL; scripts/postgres.sh failed: ${reason}`);
		}
		await withClient(admin, (client) => client.query(`CREATE DATABASE ${database}`));
		ready = true;
	}, 600_000);

	afterAll(async () => {
		try {
			if (ready) await withClient(admin, (client) => client.query(`DROP DATABASE ${database} WITH (FORCE)`));
		} finally {
			execFileSync('bash', ['scripts/postgres.sh', 'stop', dataDir], { cwd: repoRoot, stdio: 'pipe' });
		}
	}, 120_000);

	return () => {
		if (!ready) throw new Error('The test Postgres is not running (see the beforeAll failure above)');
		return { backend: 'postgres', host: '127.0.0.1', port, database, user: 'postgres', password: '', ssl: false };
	};
}

export async function withClient<T>(
	connection: { host: string; port: number; user: string; password: string; database: string },
	use: (client: Client) => Promise<T>,
): Promise<T> {
	const client = new Client(connection);
	await client.connect();
	try {
		return await use(client);
	} finally {
		await client.end();
	}
}
