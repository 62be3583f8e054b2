import pg from 'pg';

import {
	MIGRATIONS_TABLE,
	createMigrationsTable,
	latestVersion,
	pendingMigrations,
	statementFor,
} from './migrations';
import { SqlJourneyStore, type SqlDriver, type SqlRow, type SqlStatement, type SqlValue } from './sqlStore';

export interface PostgresConnection {
	host: string;
	port: number;
	database: string;
	user: string;
	password: string;
	/** false: plain TCP; true: TLS with a verified certificate; 'no-verify': TLS without checking the certificate. */
	ssl: boolean | 'no-verify';
	/** PEM of a private CA to verify the server against (with ssl: true). */
	ca?: string;
	/** A schema of its own, e.g. inside n8n's database; created on migrate. Default: the user's search_path. */
	schema?: string;
	/** Connections per pool (per process). */
	poolSize?: number;
}

/**
 * Every migrating process takes this transaction-scoped advisory lock first, so two processes that start at
 * once migrate one after the other (without it, two concurrent CREATE TABLE IF NOT EXISTS can still collide).
 * The number is the bytes of "pv_jrnl1".
 */
export const MIGRATION_LOCK_ID = '8103769490290797617';

export function createPool(connection: PostgresConnection): pg.Pool {
	const pool = new pg.Pool({
		host: connection.host,
		port: connection.port,
		database: connection.database,
		user: connection.user,
		password: connection.password,
		ssl: sslOption(connection),
		max: connection.poolSize ?? 10,
		options: connection.schema ? `-c search_path=${connection.schema}` : undefined,
		idleTimeoutMillis: 10_000,
		connectionTimeoutMillis: 10_000,
		// Cached pools must not keep a worker process alive on their own.
		allowExitOnIdle: true,
	});
	// An idle connection dropped by the server (restart, failover) is reported here; without a listener the
	// 'error' event would crash the n8n process. The pool discards the client and opens a new one on demand.
	pool.on('error', () => undefined);
	return pool;
}

function sslOption(connection: PostgresConnection): pg.PoolConfig['ssl'] {
	if (connection.ssl === 'no-verify') return { rejectUnauthorized: false };
	if (connection.ssl === true) return connection.ca ? { rejectUnauthorized: true, ca: connection.ca } : true;
	return false;
}

export class PostgresDriver implements SqlDriver {
	readonly dialect = 'postgres' as const;
	private readonly pool: pg.Pool;
	private readonly schema: string | undefined;
	private readonly ownsPool: boolean;

	/** With `ownsPool` false the pool is shared (cached per connection) and close() leaves it open. */
	constructor(pool: pg.Pool, options: { schema?: string; ownsPool: boolean }) {
		this.pool = pool;
		this.schema = options.schema;
		this.ownsPool = options.ownsPool;
	}

	async all(sql: string, params: SqlValue[]): Promise<SqlRow[]> {
		return (await this.pool.query(sql, params)).rows as SqlRow[];
	}

	async run(sql: string, params: SqlValue[]): Promise<number> {
		return (await this.pool.query(sql, params)).rowCount ?? 0;
	}

	async runTogether(statements: SqlStatement[]): Promise<number[]> {
		return await this.inTransaction(async (client) => {
			const changed: number[] = [];
			for (const { sql, params } of statements) changed.push((await client.query(sql, params)).rowCount ?? 0);
			return changed;
		});
	}

	async migrate(): Promise<void> {
		if ((await this.currentVersion()) >= latestVersion) return;
		await this.inTransaction(async (client) => {
			await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_ID]);
			if (this.schema) await client.query(`CREATE SCHEMA IF NOT EXISTS "${this.schema}"`);
			await client.query(createMigrationsTable);
			const applied = (await client.query(`SELECT version FROM ${MIGRATIONS_TABLE}`)).rows.map((row) =>
				Number(row.version),
			);
			for (const migration of pendingMigrations(applied)) {
				for (const statement of migration.statements) await client.query(statementFor(statement, 'postgres'));
				await client.query(`INSERT INTO ${MIGRATIONS_TABLE} (version, name, applied_at) VALUES ($1, $2, $3)`, [
					migration.version,
					migration.name,
					new Date().toISOString(),
				]);
			}
		});
	}

	async close(): Promise<void> {
		if (this.ownsPool) await this.pool.end();
	}

	private async inTransaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
		const client = await this.pool.connect();
		try {
			await client.query('BEGIN');
			const result = await work(client);
			await client.query('COMMIT');
			return result;
		} catch (error) {
			await client.query('ROLLBACK').catch(() => undefined);
			throw error;
		} finally {
			client.release();
		}
	}

	private async currentVersion(): Promise<number> {
		const exists = await this.pool.query('SELECT to_regclass($1) AS name', [MIGRATIONS_TABLE]);
		if (!exists.rows[0]?.name) return 0;
		const row = (await this.pool.query(`SELECT MAX(version) AS version FROM ${MIGRATIONS_TABLE}`)).rows[0];
		return Number(row?.version ?? 0);
	}
}

export function openPostgresStore(
	pool: pg.Pool,
	options: { schema?: string; ownsPool: boolean; contactHashSecret?: string },
): SqlJourneyStore {
	return new SqlJourneyStore(new PostgresDriver(pool, options), { contactHashSecret: options.contactHashSecret });
}
