/** Read-only looks into the sandbox n8n's own SQLite database (executions and what they saved). */
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';

import type { Sandbox } from '../../sandbox/environment';

export function n8nDatabasePath(sandbox: Sandbox): string {
	return join(sandbox.options.workDir, 'n8n-user', '.n8n', 'database.sqlite');
}

function query<T>(sandbox: Sandbox, sql: string, ...params: Array<string | number>): T[] {
	const db = new DatabaseSync(n8nDatabasePath(sandbox), { readOnly: true, timeout: 5_000 });
	try {
		return db.prepare(sql).all(...params) as T[];
	} finally {
		db.close();
	}
}

function executionsWithStatus(sandbox: Sandbox, status: 'waiting' | 'running'): number {
	return Number(query<{ n: number }>(sandbox, 'SELECT COUNT(*) AS n FROM execution_entity WHERE status = ?', status)[0].n);
}

export const waitingExecutions = (sandbox: Sandbox) => executionsWithStatus(sandbox, 'waiting');
export const executionsRunning = (sandbox: Sandbox) => executionsWithStatus(sandbox, 'running');

export function lastExecutionId(sandbox: Sandbox): number {
	return Number(query<{ id: number | null }>(sandbox, 'SELECT MAX(id) AS id FROM execution_entity')[0].id ?? 0);
}

export interface SavedExecutions {
	workflowId: string;
	executions: number;
	/** Average length of the execution data n8n stored (every node's output, serialised), in bytes. */
	averageDataBytes: number;
}

/** Executions started after `afterId`, per workflow, with the size of the data n8n saved for them. */
export function executionsAfter(sandbox: Sandbox, afterId: number): SavedExecutions[] {
	return query<{ workflowId: string; n: number; bytes: number }>(
		sandbox,
		`SELECT e.workflowId AS workflowId, COUNT(*) AS n, AVG(LENGTH(d.data)) AS bytes
		 FROM execution_entity e JOIN execution_data d ON d.executionId = e.id
		 WHERE e.id > ? GROUP BY e.workflowId`,
		afterId,
	).map((row) => ({ workflowId: row.workflowId, executions: Number(row.n), averageDataBytes: Math.round(Number(row.bytes)) }));
}
