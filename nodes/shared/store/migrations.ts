export type Dialect = 'sqlite' | 'postgres';

/** A statement either portable (one string) or written per dialect. */
export type MigrationStatement = string | Record<Dialect, string>;

export interface Migration {
	version: number;
	name: string;
	statements: MigrationStatement[];
}

/** The table that records which migrations ran. Every table of the store carries the `pv_` prefix. */
export const MIGRATIONS_TABLE = 'pv_schema_migrations';

export const createMigrationsTable =
	`CREATE TABLE IF NOT EXISTS ${MIGRATIONS_TABLE} ` +
	'(version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)';

/**
 * The schema, in order; append only (never edit a released migration: other hosts have already run it).
 * Times are kept twice: `at` as the caller wrote it (for people) and `at_ms` as epoch milliseconds
 * (for ordering, ranges and pruning, whatever offset the caller used).
 */
export const migrations: Migration[] = [
	{
		version: 1,
		name: 'claims, journal, opt-outs, touches',
		statements: [
			`CREATE TABLE pv_claims (
				key TEXT PRIMARY KEY,
				journey_id TEXT NOT NULL,
				patient_key TEXT NOT NULL,
				stage INTEGER,
				channel TEXT,
				state TEXT NOT NULL CHECK (state IN ('claimed', 'sent', 'released')),
				claimed_at TEXT NOT NULL,
				claimed_at_ms BIGINT NOT NULL,
				updated_at TEXT NOT NULL,
				updated_at_ms BIGINT NOT NULL,
				provider_id TEXT
			)`,
			'CREATE INDEX pv_claims_state_claimed ON pv_claims (state, claimed_at_ms)',
			'CREATE INDEX pv_claims_state_updated ON pv_claims (state, updated_at_ms)',
			'CREATE INDEX pv_claims_journey ON pv_claims (journey_id)',
			{
				sqlite: 'CREATE TABLE pv_journal (id INTEGER PRIMARY KEY AUTOINCREMENT, %COLUMNS%)',
				postgres: 'CREATE TABLE pv_journal (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, %COLUMNS%)',
			},
			'CREATE INDEX pv_journal_at ON pv_journal (at_ms)',
			'CREATE INDEX pv_journal_journey ON pv_journal (journey_id, at_ms)',
			'CREATE INDEX pv_journal_patient ON pv_journal (patient_key, at_ms)',
			'CREATE INDEX pv_journal_type ON pv_journal (type, at_ms)',
			`CREATE TABLE pv_opt_outs (
				channel TEXT NOT NULL,
				address_hash TEXT NOT NULL,
				opted_out INTEGER NOT NULL,
				at TEXT NOT NULL,
				at_ms BIGINT NOT NULL,
				source TEXT NOT NULL,
				PRIMARY KEY (channel, address_hash)
			)`,
			`CREATE TABLE pv_touches (
				journey_id TEXT NOT NULL,
				stage INTEGER NOT NULL,
				local_date TEXT NOT NULL,
				patient_key TEXT NOT NULL,
				at TEXT NOT NULL,
				at_ms BIGINT NOT NULL,
				PRIMARY KEY (journey_id, stage, local_date)
			)`,
			'CREATE INDEX pv_touches_patient_day ON pv_touches (patient_key, local_date)',
			'CREATE INDEX pv_touches_at ON pv_touches (at_ms)',
		],
	},
	{
		version: 2,
		name: 'journeys, contacts, journal by provider id',
		statements: [
			`CREATE TABLE pv_journeys (
				journey_id TEXT PRIMARY KEY,
				patient_key TEXT NOT NULL,
				kind TEXT NOT NULL CHECK (kind IN ('visit', 'recall')),
				ehr TEXT NOT NULL,
				practice_id TEXT,
				department_id TEXT,
				patient_id TEXT NOT NULL,
				source_id TEXT NOT NULL,
				source_type TEXT NOT NULL,
				anchor_at TEXT NOT NULL,
				anchor_at_ms BIGINT NOT NULL,
				started_at TEXT NOT NULL,
				started_at_ms BIGINT NOT NULL,
				zone TEXT NOT NULL
			)`,
			'CREATE INDEX pv_journeys_anchor ON pv_journeys (anchor_at_ms)',
			'CREATE INDEX pv_journeys_patient ON pv_journeys (patient_key, anchor_at_ms)',
			'CREATE INDEX pv_journeys_started ON pv_journeys (started_at_ms)',
			`CREATE TABLE pv_contacts (
				channel TEXT NOT NULL,
				address_hash TEXT NOT NULL,
				journey_id TEXT NOT NULL,
				patient_key TEXT NOT NULL,
				at TEXT NOT NULL,
				at_ms BIGINT NOT NULL,
				PRIMARY KEY (channel, address_hash, journey_id)
			)`,
			'CREATE INDEX pv_contacts_address ON pv_contacts (channel, address_hash, at_ms)',
			'CREATE INDEX pv_contacts_at ON pv_contacts (at_ms)',
			'CREATE INDEX pv_journal_provider ON pv_journal (provider_id)',
		],
	},
	{
		version: 3,
		name: 'scheduled steps',
		statements: [
			`CREATE TABLE pv_steps (
				journey_id TEXT NOT NULL,
				workflow_id TEXT NOT NULL,
				patient_key TEXT NOT NULL,
				step TEXT NOT NULL,
				state TEXT NOT NULL CHECK (state IN ('scheduled', 'claimed', 'failed', 'orphaned')),
				due_at TEXT NOT NULL,
				due_at_ms BIGINT NOT NULL,
				until_resume INTEGER NOT NULL,
				attempt INTEGER NOT NULL,
				lease_token TEXT,
				lease_until_ms BIGINT,
				code TEXT,
				scheduled_at TEXT NOT NULL,
				updated_at_ms BIGINT NOT NULL,
				PRIMARY KEY (journey_id, workflow_id)
			)`,
			'CREATE INDEX pv_steps_due ON pv_steps (workflow_id, state, due_at_ms)',
			'CREATE INDEX pv_steps_lease ON pv_steps (workflow_id, state, lease_until_ms)',
			'CREATE INDEX pv_steps_state_due ON pv_steps (state, due_at_ms)',
			'CREATE INDEX pv_steps_patient ON pv_steps (patient_key)',
		],
	},
	{
		version: 4,
		name: 'settings (the contact hash secret check)',
		statements: ['CREATE TABLE pv_settings (name TEXT PRIMARY KEY, value TEXT NOT NULL, at TEXT NOT NULL)'],
	},
	{
		version: 5,
		// Journeys started before this migration keep NULL: their source was not recorded.
		name: 'journey zone source and extra zones (patient ZIP code, area code)',
		statements: [
			'ALTER TABLE pv_journeys ADD COLUMN zone_source TEXT',
			'ALTER TABLE pv_journeys ADD COLUMN extra_zones TEXT',
		],
	},
];

const journalColumns = `at TEXT NOT NULL,
	at_ms BIGINT NOT NULL,
	journey_id TEXT NOT NULL,
	patient_key TEXT NOT NULL,
	type TEXT NOT NULL,
	stage INTEGER,
	channel TEXT,
	code TEXT,
	provider_id TEXT,
	template_id TEXT,
	detail TEXT`;

export const latestVersion = Math.max(...migrations.map((migration) => migration.version));

/** The SQL of one statement in one dialect. */
export function statementFor(statement: MigrationStatement, dialect: Dialect): string {
	const sql = typeof statement === 'string' ? statement : statement[dialect];
	return sql.replace('%COLUMNS%', journalColumns);
}

/** Migrations not yet recorded, in version order. */
export function pendingMigrations(applied: Iterable<number>): Migration[] {
	const done = new Set(applied);
	return migrations.filter((migration) => !done.has(migration.version)).sort((a, b) => a.version - b.version);
}
