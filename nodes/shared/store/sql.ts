import { DomainError } from '../core/errors';
import type { Dialect } from './migrations';

export type SqlValue = string | number | null;
export type SqlRow = Record<string, unknown>;

/**
 * What a backend provides: parameterised SQL in Postgres style ($1, $2 …; the SQLite driver rewrites them)
 * and a migration run under that backend's lock. Everything else is shared, so both backends run the same SQL.
 */
export interface SqlStatement {
	sql: string;
	params: SqlValue[];
}

export interface SqlDriver {
	readonly dialect: Dialect;
	all(sql: string, params: SqlValue[]): Promise<SqlRow[]>;
	/** Runs a statement; resolves to the number of rows it changed. */
	run(sql: string, params: SqlValue[]): Promise<number>;
	/** Runs the statements in one transaction (one commit); resolves to the rows each changed, or changes nothing. */
	runTogether(statements: SqlStatement[]): Promise<number[]>;
	migrate(): Promise<void>;
	close(): Promise<void>;
}

/** A SELECT with the given filters (those with a value), its order and an optional limit, numbered $1, $2 … */
export function selectSql(
	select: string,
	filters: Array<[clause: string, value: SqlValue | undefined]>,
	orderBy: string,
	limit: number | undefined,
): { sql: string; params: SqlValue[] } {
	const params: SqlValue[] = [];
	const where: string[] = [];
	for (const [clause, value] of filters) {
		if (value === undefined) continue;
		params.push(value);
		where.push(clause.replace('?', `$${params.length}`));
	}
	let sql = select;
	if (where.length) sql += ` WHERE ${where.join(' AND ')}`;
	sql += ` ORDER BY ${orderBy}`;
	if (limit !== undefined) {
		params.push(positiveLimit(limit));
		sql += ` LIMIT $${params.length}`;
	}
	return { sql, params };
}

export function oneOf(value: unknown, allowed: ReadonlyArray<string>, field: string): string {
	if (typeof value !== 'string' || !allowed.includes(value)) {
		throw new DomainError(`Journey store: "${field}" must be one of ${allowed.join(', ')}`, 'invalid_input', field);
	}
	return value;
}

export function positiveLimit(limit: unknown): number {
	if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1) {
		throw new DomainError('Journey store: "limit" must be a positive whole number', 'invalid_input', 'limit');
	}
	return limit;
}

