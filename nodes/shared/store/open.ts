import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type pg from 'pg';
import { z } from 'zod';

import { fromZodError } from '../core/errors';
import { MIN_CONTACT_HASH_SECRET_LENGTH } from './addresses';
import { createPool, openPostgresStore } from './postgres';
import { closeSharedSqliteConnections, openSharedSqliteStore, openSqliteStore } from './sqlite';
import type { SqlJourneyStore } from './sqlStore';
import type { JourneyStore } from './types';

/** Optional here: a store without it opens, and refuses every operation that needs an address hash. */
const contactHashSecretSchema = z
	.string()
	.min(MIN_CONTACT_HASH_SECRET_LENGTH, `must be at least ${MIN_CONTACT_HASH_SECRET_LENGTH} characters (e.g. openssl rand -hex 32)`)
	.optional();

const sqliteConfigSchema = z.object({
	backend: z.literal('sqlite'),
	contactHashSecret: contactHashSecretSchema,
	path: z.string().trim().min(1),
	busyTimeoutMs: z.number().int().min(0).max(600_000).optional(),
});

const postgresConfigSchema = z.object({
	backend: z.literal('postgres'),
	contactHashSecret: contactHashSecretSchema,
	host: z.string().trim().min(1),
	port: z.number().int().min(1).max(65_535).default(5432),
	database: z.string().trim().min(1),
	user: z.string().trim().min(1),
	password: z.string().default(''),
	// Verified TLS unless the config says otherwise: the store holds patient identifiers.
	ssl: z.union([z.boolean(), z.literal('no-verify')]).default(true),
	ca: z.string().optional(),
	schema: z
		.string()
		.regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lower-case SQL identifier such as post_visit')
		.optional(),
	poolSize: z.number().int().min(1).max(100).optional(),
});

/** How a journey-store credential reaches the store: a SQLite file, or a Postgres connection (queue mode). */
export const journeyStoreConfigSchema = z.discriminatedUnion('backend', [sqliteConfigSchema, postgresConfigSchema]);
export type JourneyStoreConfig = z.input<typeof journeyStoreConfigSchema>;
export type SqliteStoreConfig = z.input<typeof sqliteConfigSchema>;
export type PostgresStoreConfig = z.input<typeof postgresConfigSchema>;

export interface OpenOptions {
	/**
	 * true (default): Postgres takes the connection pool cached for this connection and SQLite the process's
	 * connection to the file, so executions of one process share it; close() leaves it open. false: a pool or
	 * connection of its own, ended by close(). An in-memory SQLite database is never shared.
	 */
	reusePool?: boolean;
}

/**
 * Pools (and SQLite's shared connections) are the only things kept at module scope besides which stores' secrets
 * were checked, and they hold connections, not state: every fact lives in the database, so any worker of a
 * queue-mode n8n sees what the others wrote.
 */
const pools = new Map<string, pg.Pool>();

/** Opens the store the config names and brings its schema up to date (cheap when it already is). */
export async function openJourneyStore(config: JourneyStoreConfig, options: OpenOptions = {}): Promise<JourneyStore> {
	const parsed = journeyStoreConfigSchema.safeParse(config);
	if (!parsed.success) throw fromZodError(parsed.error, 'Journey store connection');
	const checked = parsed.data;
	const reusePool = options.reusePool ?? true;
	const { contactHashSecret } = checked;
	let store: SqlJourneyStore;
	if (checked.backend === 'sqlite') {
		const sqliteOptions = { busyTimeoutMs: checked.busyTimeoutMs, contactHashSecret };
		// The process's shared connection was migrated when it was opened.
		if (reusePool && checked.path !== ':memory:') {
			return await secretChecked(await openSharedSqliteStore(checked.path, sqliteOptions), checked);
		}
		store = openSqliteStore(checked.path, sqliteOptions);
	} else {
		const pool = reusePool ? sharedPool(checked) : createPool(checked);
		store = openPostgresStore(pool, { schema: checked.schema, ownsPool: !reusePool, contactHashSecret });
	}
	try {
		await store.migrate();
	} catch (error) {
		await store.close();
		throw error;
	}
	return await secretChecked(store, checked);
}

/** Stores whose Contact Hash Secret this process has checked (one read per database and secret, not one per node run). */
const checkedSecrets = new Set<string>();

async function secretChecked(store: SqlJourneyStore, config: z.output<typeof journeyStoreConfigSchema>): Promise<SqlJourneyStore> {
	if (config.contactHashSecret === undefined) return store;
	const id = createHash('sha256').update(JSON.stringify(config)).digest('hex');
	if (checkedSecrets.has(id)) return store;
	try {
		await store.checkContactHashSecret(new Date().toISOString());
	} catch (error) {
		await store.close();
		throw error;
	}
	checkedSecrets.add(id);
	return store;
}

function sharedPool(config: z.output<typeof postgresConfigSchema>): pg.Pool {
	// The Contact Hash Secret keys hashes, not connections: stores that differ only in it share a pool.
	const key = createHash('sha256').update(JSON.stringify({ ...config, contactHashSecret: undefined })).digest('hex');
	let pool = pools.get(key);
	if (!pool) {
		pool = createPool(config);
		pools.set(key, pool);
	}
	return pool;
}

/** Ends every cached Postgres pool and SQLite connection (process shutdown, tests). Stores opened on them stop working. */
export async function endJourneyStorePools(): Promise<void> {
	const ending = [...pools.values()];
	pools.clear();
	checkedSecrets.clear();
	await Promise.all(ending.map((pool) => pool.end()));
	await closeSharedSqliteConnections();
}

/** `<userFolder>/.n8n/post-visit/journey.sqlite`, next to n8n's own database; creates the folder (owner only). */
export function defaultSqlitePath(userFolder: string): string {
	const folder = join(userFolder, '.n8n', 'post-visit');
	mkdirSync(folder, { recursive: true, mode: 0o700 });
	return join(folder, 'journey.sqlite');
}
