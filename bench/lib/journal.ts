import { existsSync, statSync } from 'node:fs';
import { DatabaseSync } from 'node:sqlite';

import { mib } from './procstat';

/** A SQLite database's size with its WAL and shared-memory files, in MiB. */
export function fileMiB(path: string): number {
	let bytes = 0;
	for (const suffix of ['', '-wal', '-shm']) if (existsSync(path + suffix)) bytes += statSync(path + suffix).size;
	return mib(bytes);
}

export interface JournalRow {
	journey_id: string;
	at_ms: number;
	detail: string | null;
}

/**
 * Follows the journey store's journal for one entry type, read-only, and keeps one instant per journey (the first
 * entry's), as `instantOf` reads it from the row. The store file appears with the first execution, so the
 * connection opens on the first poll that finds it and stays open (only SELECTs) until closed.
 */
export class JournalWatcher {
	private db?: DatabaseSync;
	private lastId = 0;
	readonly instants = new Map<string, number>();

	constructor(
		private readonly path: string,
		private readonly type: string,
		private readonly instantOf: (row: JournalRow) => number,
	) {}

	poll(): Array<{ journeyId: string; at: number }> {
		if (!this.db) {
			if (!existsSync(this.path)) return [];
			this.db = new DatabaseSync(this.path, { timeout: 5_000 });
		}
		let rows: Array<JournalRow & { id: number }>;
		try {
			rows = this.db
				.prepare('SELECT id, journey_id, at_ms, detail FROM pv_journal WHERE id > ? AND type = ? ORDER BY id')
				.all(this.lastId, this.type) as unknown as typeof rows;
		} catch {
			// The store is being created or migrated by the first execution: read again at the next tick.
			return [];
		}
		const found: Array<{ journeyId: string; at: number }> = [];
		for (const row of rows) {
			this.lastId = Math.max(this.lastId, row.id);
			if (this.instants.has(row.journey_id)) continue;
			const at = this.instantOf(row);
			this.instants.set(row.journey_id, at);
			found.push({ journeyId: row.journey_id, at });
		}
		return found;
	}

	close(): void {
		this.db?.close();
	}
}
