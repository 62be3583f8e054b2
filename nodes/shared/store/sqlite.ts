import { closeSync, existsSync, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';

import {
	MIGRATIONS_TABLE,
	createMigrationsTable,
	latestVersion,
	pendingMigrations,
	statementFor,
} from './migrations';
import { SqlJourneyStore, type SqlDriver, type SqlRow, type SqlStatement, type SqlValue } from './sqlStore';

/** How long a write waits for another process's lock before failing: long enough for any burst of claims. */
export const DEFAULT_BUSY_TIMEOUT_MS = 10_000;

export interface SqliteStoreOptions {
	busyTimeoutMs?: number;
	/** The Contact Hash Secret (store/addresses.ts): it keys the store's address hashes, not the connection. */
	contactHashSecret?: string;
}

/** One caller's writes, waiting for the group's commit. */
interface QueuedWrite {
	apply: () => unknown;
	resolve: (value: never) => void;
	reject: (reason: unknown) => void;
}

/** A write statement: anything but a plain read (a claim's UPDATE … RETURNING is a write read through `all`). */
function writes(sql: string): boolean {
	return /\bRETURNING\b/i.test(sql) || !/^\s*(SELECT|WITH)\b/i.test(sql);
}

/**
 * SQLite through Node's built-in node:sqlite. The calls are synchronous, so no lock is ever held across an
 * `await`. WAL lets readers run beside the single writer; busy_timeout makes a second process wait for the write
 * lock instead of failing; synchronous=FULL so a committed claim survives a power loss (a lost claim could mean a
 * second send).
 *
 * Group commit: every commit waits for the disk (fsync) on n8n's event loop, a wait that grows with a slow or
 * shared disk (bench/notes.md). So the writes asked for in one turn of the event loop run in one transaction, each
 * caller's in a savepoint of its own (its statements all or nothing, a failure rejects only that caller), and each
 * caller's promise settles only after the commit: what a caller awaited is durable, as with a commit of its own.
 * Reads run at once.
 */
export class SqliteDriver implements SqlDriver {
	readonly dialect = 'sqlite' as const;
	private readonly db: DatabaseSync;
	private readonly statements = new Map<string, StatementSync>();
	private queued: QueuedWrite[] = [];

	constructor(path: string, options: SqliteStoreOptions = {}) {
		if (path !== ':memory:') ensureFile(path);
		this.db = new DatabaseSync(path, { timeout: options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS });
		try {
			this.db.exec('PRAGMA journal_mode = WAL');
			this.db.exec('PRAGMA synchronous = FULL');
		} catch (error) {
			this.db.close();
			throw error;
		}
	}

	async all(sql: string, params: SqlValue[]): Promise<SqlRow[]> {
		const read = () => this.statement(sql).all(...params) as SqlRow[];
		return writes(sql) ? await this.inNextCommit(read) : read();
	}

	async run(sql: string, params: SqlValue[]): Promise<number> {
		return await this.inNextCommit(() => Number(this.statement(sql).run(...params).changes));
	}

	async runTogether(statements: SqlStatement[]): Promise<number[]> {
		return await this.inNextCommit(() => statements.map(({ sql, params }) => Number(this.statement(sql).run(...params).changes)));
	}

	private inNextCommit<T>(apply: () => T): Promise<T> {
		if (!this.db.isOpen) return Promise.reject(new Error('Journey store: the SQLite connection is closed'));
		return new Promise<T>((resolve, reject) => {
			this.queued.push({ apply, resolve: resolve as (value: never) => void, reject });
			if (this.queued.length === 1) setImmediate(() => this.commitQueued());
		});
	}

	/** Runs the queued writes in one transaction; see the class comment. */
	private commitQueued(): void {
		const group = this.queued;
		this.queued = [];
		if (!group.length) return;
		const applied: Array<{ write: QueuedWrite; result: unknown }> = [];
		try {
			this.inTransaction(() => {
				for (const write of group) {
					this.statement('SAVEPOINT pv_write').run();
					try {
						applied.push({ write, result: write.apply() });
						this.statement('RELEASE pv_write').run();
					} catch (error) {
						this.statement('ROLLBACK TO pv_write').run();
						this.statement('RELEASE pv_write').run();
						write.reject(error);
					}
				}
			});
		} catch (error) {
			// A promise settles once: those rejected by their own failure keep that reason.
			for (const write of group) write.reject(error);
			return;
		}
		for (const { write, result } of applied) write.resolve(result as never);
	}

	async migrate(): Promise<void> {
		if (this.currentVersion() >= latestVersion) return;
		this.inTransaction(() => {
			this.db.exec(createMigrationsTable);
			const applied = this.db
				.prepare(`SELECT version FROM ${MIGRATIONS_TABLE}`)
				.all()
				.map((row) => Number(row.version));
			const record = this.db.prepare(
				`INSERT INTO ${MIGRATIONS_TABLE} (version, name, applied_at) VALUES (?, ?, ?)`,
			);
			for (const migration of pendingMigrations(applied)) {
				for (const statement of migration.statements) this.db.exec(statementFor(statement, 'sqlite'));
				record.run(migration.version, migration.name, new Date().toISOString());
			}
		});
	}

	/**
	 * BEGIN IMMEDIATE takes the write lock first (two processes migrating at once run one after the other). The work
	 * is synchronous: nothing else on this process's shared connection can run inside the transaction.
	 */
	private inTransaction<T>(work: () => T): T {
		this.db.exec('BEGIN IMMEDIATE');
		try {
			const result = work();
			this.db.exec('COMMIT');
			return result;
		} catch (error) {
			if (this.db.isTransaction) this.db.exec('ROLLBACK');
			throw error;
		}
	}

	async close(): Promise<void> {
		if (this.db.isOpen) this.commitQueued();
		this.statements.clear();
		if (this.db.isOpen) this.db.close();
	}

	private currentVersion(): number {
		const table = this.db
			.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = ?")
			.get(MIGRATIONS_TABLE);
		if (!table) return 0;
		const row = this.db.prepare(`SELECT MAX(version) AS version FROM ${MIGRATIONS_TABLE}`).get();
		return Number(row?.version ?? 0);
	}

	/** The shared SQL is written with $1, $2 …; SQLite reads ?1, ?2 … as the same numbered parameters. */
	private statement(sql: string): StatementSync {
		let statement = this.statements.get(sql);
		if (!statement) {
			statement = this.db.prepare(sql.replace(/\$(\d+)/g, '?$1'));
			this.statements.set(sql, statement);
		}
		return statement;
	}
}

/** Creates the directory (owner only) and an empty file readable by its owner only; SQLite gives -wal and -shm the same mode. */
function ensureFile(path: string): void {
	mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
	if (!existsSync(path)) closeSync(openSync(path, 'a', 0o600));
}

export function openSqliteStore(path: string, options: SqliteStoreOptions = {}): SqlJourneyStore {
	return new SqlJourneyStore(new SqliteDriver(path, options), { contactHashSecret: options.contactHashSecret });
}

/** A connection kept open for the process, and the file it was opened on (so a replaced file is noticed). */
interface SharedConnection {
	driver: SqliteDriver;
	device: number;
	inode: number;
	busyTimeoutMs: number | undefined;
}

const sharedConnections = new Map<string, SharedConnection>();

/** The file's identity, or undefined when it is gone. */
function fileIdentity(path: string): { device: number; inode: number } | undefined {
	try {
		const stats = statSync(path);
		return { device: stats.dev, inode: stats.ino };
	} catch {
		return undefined;
	}
}

/** Hands the process's connection to every store opened on it; only closeSharedSqliteConnections closes it. */
class BorrowedSqliteDriver implements SqlDriver {
	readonly dialect = 'sqlite' as const;

	constructor(private readonly shared: SqliteDriver) {}

	async all(sql: string, params: SqlValue[]): Promise<SqlRow[]> {
		return await this.shared.all(sql, params);
	}

	async run(sql: string, params: SqlValue[]): Promise<number> {
		return await this.shared.run(sql, params);
	}

	async runTogether(statements: SqlStatement[]): Promise<number[]> {
		return await this.shared.runTogether(statements);
	}

	async migrate(): Promise<void> {
		await this.shared.migrate();
	}

	async close(): Promise<void> {}
}

/**
 * The store over this process's one connection to the file, opened (and migrated) on first use. Every node
 * run of every execution used to open, check and close the file: four times per visit, with its prepared
 * statements thrown away each time (bench/notes.md). SQLite's own locking still serialises writers across
 * processes, and each statement still commits on its own. A file that was deleted or replaced (a restore) gets
 * a new connection.
 */
export async function openSharedSqliteStore(path: string, options: SqliteStoreOptions = {}): Promise<SqlJourneyStore> {
	const identity = fileIdentity(path);
	let shared = sharedConnections.get(path);
	const stale =
		shared !== undefined &&
		(identity === undefined || identity.device !== shared.device || identity.inode !== shared.inode || shared.busyTimeoutMs !== options.busyTimeoutMs);
	if (shared && stale) {
		sharedConnections.delete(path);
		await shared.driver.close();
		shared = undefined;
	}
	if (!shared) {
		const driver = new SqliteDriver(path, options);
		try {
			await driver.migrate();
		} catch (error) {
			await driver.close();
			throw error;
		}
		const opened = fileIdentity(path);
		if (!opened) {
			await driver.close();
			throw new Error(`Journey store: ${path} disappeared while it was being opened`);
		}
		shared = { driver, ...opened, busyTimeoutMs: options.busyTimeoutMs };
		sharedConnections.set(path, shared);
	}
	return new SqlJourneyStore(new BorrowedSqliteDriver(shared.driver), { contactHashSecret: options.contactHashSecret });
}

/** Closes every connection openSharedSqliteStore kept (process shutdown, tests). */
export async function closeSharedSqliteConnections(): Promise<void> {
	const open = [...sharedConnections.values()];
	sharedConnections.clear();
	for (const shared of open) await shared.driver.close();
}
