import { DomainError } from '../core/errors';
import { oneOf, positiveLimit } from './sql';
import type { SqlDriver, SqlRow, SqlStatement, SqlValue } from './sql';
import type { ClaimedStep, ScheduledStep, StepClaimQuery, StepQuery, StepSchedule, StepState } from './types';
import { instantMs, optionalShortText, shortText } from './validation';

const stepStates: ReadonlyArray<StepState> = ['scheduled', 'claimed', 'failed', 'orphaned'];
const STEP_COLUMNS =
	'journey_id, workflow_id, patient_key, step, state, due_at, until_resume, attempt, lease_token, lease_until_ms, code, scheduled_at, updated_at_ms';
/** How many step names one trigger may list: its outputs. */
const MAX_STEP_NAMES = 50;

/**
 * A new step replaces whatever the workflow had for the journey: the step its execution was resumed from is done
 * once the next one is written (and a superseded execution writing late wins nothing it should not: both computed
 * the same next step from the same journey).
 */
const SCHEDULE_SQL = `INSERT INTO pv_steps (journey_id, workflow_id, patient_key, step, state, due_at, due_at_ms, until_resume,
		attempt, lease_token, lease_until_ms, code, scheduled_at, updated_at_ms)
	VALUES ($1, $2, $3, $4, 'scheduled', $5, $6, $7, 0, NULL, NULL, NULL, $8, $9)
	ON CONFLICT (journey_id, workflow_id) DO UPDATE SET
		patient_key = excluded.patient_key,
		step = excluded.step,
		state = 'scheduled',
		due_at = excluded.due_at,
		due_at_ms = excluded.due_at_ms,
		until_resume = excluded.until_resume,
		attempt = 0,
		lease_token = NULL,
		lease_until_ms = NULL,
		code = NULL,
		scheduled_at = excluded.scheduled_at,
		updated_at_ms = excluded.updated_at_ms`;

/** The due (or lease-expired) steps a claim may take; `$names` stands for the list of step names. */
const CLAIMABLE = `workflow_id = $1 AND step IN ($names)
	AND ((state IN ('scheduled', 'orphaned') AND due_at_ms <= $2) OR (state = 'claimed' AND lease_until_ms <= $3))
	AND due_at_ms > $4 AND due_at_ms <= $2
	AND (until_resume = 0 OR $5 = 1)`;

const SET_CLAIMED = `state = 'claimed', attempt = attempt + 1, lease_token = $6, lease_until_ms = $7, updated_at_ms = $3`;

/**
 * One statement claims: SQLite runs it under the database's write lock (one writer at a time, across processes);
 * Postgres skips rows another claimer has locked, so concurrent claimers take disjoint steps without waiting.
 */
function claimSql(driver: SqlDriver, names: string): string {
	const where = CLAIMABLE.replace('$names', names);
	if (driver.dialect === 'postgres') {
		return `WITH due AS (
			SELECT journey_id, workflow_id FROM pv_steps WHERE ${where}
			ORDER BY due_at_ms LIMIT $8 FOR UPDATE SKIP LOCKED)
		UPDATE pv_steps SET ${SET_CLAIMED}
		FROM due WHERE pv_steps.journey_id = due.journey_id AND pv_steps.workflow_id = due.workflow_id
		RETURNING ${STEP_COLUMNS.split(', ').map((column) => `pv_steps.${column}`).join(', ')}`;
	}
	return `UPDATE pv_steps SET ${SET_CLAIMED}
		WHERE (journey_id, workflow_id) IN (SELECT journey_id, workflow_id FROM pv_steps WHERE ${where}
			ORDER BY due_at_ms LIMIT $8)
		RETURNING ${STEP_COLUMNS}`;
}

/** The scheduled steps of the journey store: what each journey waits for, in which workflow, and when. */
export class SqlStepSchedule {
	constructor(private readonly driver: SqlDriver) {}

	/** The statement that records (or replaces) a journey's step in a workflow, to run alone or with others. */
	scheduleStatement(schedule: StepSchedule): SqlStatement {
		if (!schedule || typeof schedule !== 'object') {
			throw new DomainError('Journey store: a step must be an object', 'invalid_input', '(root)');
		}
		return {
			sql: SCHEDULE_SQL,
			params: [
				shortText(schedule.journeyId, 'journeyId'),
				shortText(schedule.workflowId, 'workflowId'),
				shortText(schedule.patientKey, 'patientKey'),
				shortText(schedule.step, 'step'),
				schedule.dueAt,
				instantMs(schedule.dueAt, 'dueAt'),
				schedule.untilResume ? 1 : 0,
				schedule.at,
				instantMs(schedule.at, 'at'),
			],
		};
	}

	async claim(query: StepClaimQuery): Promise<ClaimedStep[]> {
		const names = stepNames(query.steps);
		if (names.length === 0) return [];
		const nowMs = instantMs(query.now, 'now');
		if (!Number.isInteger(query.leaseMs) || query.leaseMs < 1000) {
			throw new DomainError('Journey store: "leaseMs" must be at least 1000', 'invalid_input', 'leaseMs');
		}
		const params: SqlValue[] = [
			shortText(query.workflowId, 'workflowId'),
			query.dueBefore === undefined ? nowMs : Math.min(nowMs, instantMs(query.dueBefore, 'dueBefore')),
			nowMs,
			query.dueAfter === undefined ? Number.MIN_SAFE_INTEGER : instantMs(query.dueAfter, 'dueAfter'),
			query.includeHeldUntilResume ? 1 : 0,
			shortText(query.leaseToken, 'leaseToken'),
			nowMs + query.leaseMs,
			positiveLimit(query.limit),
		];
		const placeholders = names.map((_, index) => `$${params.length + index + 1}`).join(', ');
		const rows = await this.driver.all(claimSql(this.driver, placeholders), [...params, ...names]);
		return rows.map((row) => stepOf(row) as ClaimedStep).sort((a, b) => Date.parse(a.dueAt) - Date.parse(b.dueAt));
	}

	async complete(journeyId: string, workflowId: string, leaseToken: string): Promise<boolean> {
		const changed = await this.driver.run(
			'DELETE FROM pv_steps WHERE journey_id = $1 AND workflow_id = $2 AND lease_token = $3',
			[shortText(journeyId, 'journeyId'), shortText(workflowId, 'workflowId'), shortText(leaseToken, 'leaseToken')],
		);
		return changed === 1;
	}

	async renew(journeyId: string, workflowId: string, leaseToken: string, leaseUntil: string): Promise<boolean> {
		const changed = await this.driver.run(
			`UPDATE pv_steps SET lease_until_ms = $4 WHERE journey_id = $1 AND workflow_id = $2 AND lease_token = $3 AND state = 'claimed'`,
			[shortText(journeyId, 'journeyId'), shortText(workflowId, 'workflowId'), shortText(leaseToken, 'leaseToken'), instantMs(leaseUntil, 'leaseUntil')],
		);
		return changed === 1;
	}

	/** A read: whether this token still holds the step and its lease has not run out at `now`. */
	async holds(journeyId: string, workflowId: string, leaseToken: string, now: string): Promise<boolean> {
		const rows = await this.driver.all(
			`SELECT 1 AS held FROM pv_steps WHERE journey_id = $1 AND workflow_id = $2 AND lease_token = $3 AND state = 'claimed'
			AND lease_until_ms > $4`,
			[shortText(journeyId, 'journeyId'), shortText(workflowId, 'workflowId'), shortText(leaseToken, 'leaseToken'), instantMs(now, 'now')],
		);
		return rows.length === 1;
	}

	async retry(journeyId: string, workflowId: string, leaseToken: string, dueAt: string, code: string): Promise<boolean> {
		const changed = await this.driver.run(
			`UPDATE pv_steps SET state = 'scheduled', due_at = $4, due_at_ms = $5, lease_token = NULL, lease_until_ms = NULL,
				code = $6, updated_at_ms = $5
			WHERE journey_id = $1 AND workflow_id = $2 AND lease_token = $3`,
			[
				shortText(journeyId, 'journeyId'),
				shortText(workflowId, 'workflowId'),
				shortText(leaseToken, 'leaseToken'),
				dueAt,
				instantMs(dueAt, 'dueAt'),
				shortText(code, 'code'),
			],
		);
		return changed === 1;
	}

	async setAside(journeyId: string, workflowId: string, leaseToken: string, code: string, at: string): Promise<boolean> {
		const changed = await this.driver.run(
			`UPDATE pv_steps SET state = 'failed', lease_token = NULL, lease_until_ms = NULL, code = $4, updated_at_ms = $5
			WHERE journey_id = $1 AND workflow_id = $2 AND lease_token = $3`,
			[
				shortText(journeyId, 'journeyId'),
				shortText(workflowId, 'workflowId'),
				shortText(leaseToken, 'leaseToken'),
				shortText(code, 'code'),
				instantMs(at, 'at'),
			],
		);
		return changed === 1;
	}

	async markOrphaned(workflowId: string, steps: string[], now: string, limit: number): Promise<ScheduledStep[]> {
		const names = stepNames(steps);
		const nowMs = instantMs(now, 'now');
		const params: SqlValue[] = [shortText(workflowId, 'workflowId'), nowMs, positiveLimit(limit)];
		const notIn = names.length
			? `AND step NOT IN (${names.map((_, index) => `$${params.length + index + 1}`).join(', ')})`
			: '';
		const rows = await this.driver.all(
			`UPDATE pv_steps SET state = 'orphaned', code = 'noTriggerOutput', updated_at_ms = $2
			WHERE (journey_id, workflow_id) IN (SELECT journey_id, workflow_id FROM pv_steps
				WHERE workflow_id = $1 AND state = 'scheduled' AND due_at_ms <= $2 ${notIn} ORDER BY due_at_ms LIMIT $3)
			RETURNING ${STEP_COLUMNS}`,
			[...params, ...names],
		);
		return rows.map(stepOf).sort((a, b) => Date.parse(a.dueAt) - Date.parse(b.dueAt));
	}

	async inFlight(workflowId: string, now: string): Promise<number> {
		const rows = await this.driver.all(
			"SELECT COUNT(*) AS steps FROM pv_steps WHERE workflow_id = $1 AND state = 'claimed' AND lease_until_ms > $2",
			[shortText(workflowId, 'workflowId'), instantMs(now, 'now')],
		);
		return Number(rows[0]?.steps ?? 0);
	}

	async list(query: StepQuery): Promise<ScheduledStep[]> {
		const params: SqlValue[] = [];
		const where: string[] = [];
		const add = (clause: (next: () => string) => string) => where.push(clause(() => `$${params.length}`));
		if (query.workflowId !== undefined) {
			params.push(shortText(query.workflowId, 'workflowId'));
			add((p) => `workflow_id = ${p()}`);
		}
		if (query.journeyId !== undefined) {
			params.push(shortText(query.journeyId, 'journeyId'));
			add((p) => `journey_id = ${p()}`);
		}
		if (query.patientKey !== undefined) {
			params.push(shortText(query.patientKey, 'patientKey'));
			add((p) => `patient_key = ${p()}`);
		}
		if (query.dueBefore !== undefined) {
			params.push(instantMs(query.dueBefore, 'dueBefore'));
			add((p) => `due_at_ms < ${p()}`);
		}
		if (query.updatedFrom !== undefined) {
			params.push(instantMs(query.updatedFrom, 'updatedFrom'));
			add((p) => `updated_at_ms >= ${p()}`);
		}
		if (query.states !== undefined) {
			const states = query.states.map((state) => oneOf(state, stepStates, 'states'));
			if (states.length === 0) return [];
			const first = params.length + 1;
			params.push(...states);
			where.push(`state IN (${states.map((_, index) => `$${first + index}`).join(', ')})`);
		}
		let sql = `SELECT ${STEP_COLUMNS} FROM pv_steps`;
		if (where.length) sql += ` WHERE ${where.join(' AND ')}`;
		sql += ' ORDER BY due_at_ms, journey_id, workflow_id';
		if (query.limit !== undefined) {
			params.push(positiveLimit(query.limit));
			sql += ` LIMIT $${params.length}`;
		}
		return (await this.driver.all(sql, params)).map(stepOf);
	}
}

function stepNames(steps: unknown): string[] {
	if (!Array.isArray(steps) || steps.length > MAX_STEP_NAMES) {
		throw new DomainError(`Journey store: "steps" must be a list of at most ${MAX_STEP_NAMES} names`, 'invalid_input', 'steps');
	}
	return [...new Set(steps.map((step) => shortText(step, 'steps')))];
}

function stepOf(row: SqlRow): ScheduledStep {
	const step: ScheduledStep = {
		journeyId: String(row.journey_id),
		workflowId: String(row.workflow_id),
		patientKey: String(row.patient_key),
		step: String(row.step),
		state: String(row.state) as StepState,
		dueAt: String(row.due_at),
		untilResume: Number(row.until_resume) === 1,
		attempt: Number(row.attempt),
		scheduledAt: String(row.scheduled_at),
		updatedAt: new Date(Number(row.updated_at_ms)).toISOString(),
	};
	if (row.lease_until_ms !== null && row.lease_until_ms !== undefined) {
		step.leaseUntil = new Date(Number(row.lease_until_ms)).toISOString();
	}
	if (row.lease_token !== null && row.lease_token !== undefined) (step as ClaimedStep).leaseToken = String(row.lease_token);
	const code = optionalShortText(row.code ?? undefined, 'code');
	if (code !== null) step.code = code;
	return step;
}
