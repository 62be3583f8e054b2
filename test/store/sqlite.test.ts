import { createHash, createHmac } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';

import { MIGRATIONS_TABLE, createMigrationsTable, migrations, statementFor } from '../../nodes/shared/store/migrations';
import { defaultSqlitePath, openJourneyStore } from '../../nodes/shared/store/open';
import type { OpenOptions } from '../../nodes/shared/store/open';
import { SqliteDriver } from '../../nodes/shared/store/sqlite';
import type { JourneyStore } from '../../nodes/shared/store/types';
import { testContactHashSecret } from '../helpers/contactHashSecret';
import { describeStoreContract } from './contract';

const dir = mkdtempSync(join(tmpdir(), 'pv-store-sqlite-'));
let files = 0;
const freshPath = () => join(dir, `journey-${++files}.sqlite`);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

let contractPath = '';
describeStoreContract('sqlite', {
	open: async (contactHashSecret: string | null = testContactHashSecret) => {
		contractPath = freshPath();
		return await openJourneyStore({ backend: 'sqlite', path: contractPath, ...(contactHashSecret === null ? {} : { contactHashSecret }) });
	},
	reopen: async (contactHashSecret) => await openJourneyStore({ backend: 'sqlite', path: contractPath, contactHashSecret }),
	exec: async (sql, params) => {
		const raw = new DatabaseSync(contractPath);
		try {
			raw.prepare(sql.replace(/\$(\d+)/g, '?$1')).run(...params);
		} finally {
			raw.close();
		}
	},
});

describe('SQLite backend', () => {
	const info = { journeyId: 'visit:fhir:enc-1', patientKey: 'fhir:pat-1', stage: 1, channel: 'sms' as const };
	const opened: JourneyStore[] = [];
	const open = async (path: string, options: OpenOptions = {}) => {
		const store = await openJourneyStore({ backend: 'sqlite', path, contactHashSecret: testContactHashSecret }, options);
		opened.push(store);
		return store;
	};
	afterEach(async () => {
		await Promise.all(opened.splice(0).map((store) => store.close()));
	});

	it('creates the folder and a file only its owner can read, in WAL mode', async () => {
		const path = join(dir, 'nested', 'deeper', 'journey.sqlite');
		await open(path);
		expect(statSync(path).mode & 0o777).toBe(0o600);
		expect(statSync(join(dir, 'nested', 'deeper')).mode & 0o777).toBe(0o700);
		const raw = new DatabaseSync(path);
		expect(raw.prepare('PRAGMA journal_mode').get()).toEqual({ journal_mode: 'wal' });
		raw.close();
	});

	it('records each migration once, however often stores open the file', async () => {
		const path = freshPath();
		await Promise.all(Array.from({ length: 5 }, () => open(path)));
		await (await open(path)).migrate();
		const raw = new DatabaseSync(path);
		expect(raw.prepare('SELECT version, name FROM pv_schema_migrations').all()).toEqual([
			{ version: 1, name: 'claims, journal, opt-outs, touches' },
			{ version: 2, name: 'journeys, contacts, journal by provider id' },
		{ version: 3, name: 'scheduled steps' },
		{ version: 4, name: 'settings (the contact hash secret check)' },
			{ version: 5, name: 'journey zone source and extra zones (patient ZIP code, area code)' },
		]);
		raw.close();
	});

	it('migrates a store file of schema 4: its journeys read back without a zone source, new ones keep it', async () => {
		const path = freshPath();
		const raw = new DatabaseSync(path);
		raw.exec(createMigrationsTable);
		for (const migration of migrations.filter((candidate) => candidate.version <= 4)) {
			for (const statement of migration.statements) raw.exec(statementFor(statement, 'sqlite'));
			raw.prepare(`INSERT INTO ${MIGRATIONS_TABLE} (version, name, applied_at) VALUES (?, ?, ?)`).run(migration.version, migration.name, '2026-01-01T00:00:00Z');
		}
		raw.prepare(
			`INSERT INTO pv_journeys (journey_id, patient_key, kind, ehr, patient_id, source_id, source_type, anchor_at, anchor_at_ms,
				started_at, started_at_ms, zone) VALUES ('visit:fhir:old', 'fhir:p1', 'visit', 'fhir', 'p1', 'old', 'encounter',
				'2026-01-02T15:00:00Z', 1767366000000, '2026-01-02T15:00:00Z', 1767366000000, 'America/Chicago')`,
		).run();
		raw.close();

		const store = await open(path);
		expect(await store.getJourney('visit:fhir:old')).toEqual(expect.not.objectContaining({ zoneSource: expect.anything() }));
		const record = {
			journeyId: 'visit:fhir:new', patientKey: 'fhir:p2', kind: 'visit' as const, ehr: 'fhir' as const, patientId: 'p2',
			sourceId: 'new', sourceType: 'encounter' as const, anchorAt: '2026-03-02T15:00:00Z', startedAt: '2026-03-02T15:00:00Z',
			zone: 'America/Chicago', zoneSource: 'zip' as const, extraZones: ['America/New_York'],
		};
		await store.recordJourney(record);
		expect(await store.getJourney('visit:fhir:new')).toEqual(record);
		await store.recordJourney({ ...record, journeyId: 'visit:fhir:single', extraZones: [] });
		expect(await store.getJourney('visit:fhir:single')).not.toHaveProperty('extraZones');
	});

	it('gives one of 20 claimers the key across separate connections to one file', async () => {
		const path = freshPath();
		const stores = await Promise.all(Array.from({ length: 4 }, () => open(path, { reusePool: false })));
		const results = await Promise.all(
			Array.from({ length: 20 }, (_, i) => stores[i % 4].claim('k', info, '2025-03-10T14:00:00Z')),
		);
		expect(results.filter(Boolean)).toHaveLength(1);
	});

	it('shares one connection per file in a process: a store closed by one node run leaves the others working', async () => {
		const path = freshPath();
		const first = await open(path);
		const second = await open(path);
		expect(await first.claim('shared-1', info, '2025-03-10T14:00:00Z')).toBe(true);
		await first.close();
		await expect(first.claim('shared-2', info, '2025-03-10T14:00:00Z')).rejects.toThrow(/closed/);
		expect(await second.claim('shared-1', info, '2025-03-10T14:00:00Z')).toBe(false);
		const third = await open(path);
		expect(await third.getClaim('shared-1')).toMatchObject({ key: 'shared-1', state: 'claimed' });
	});

	it('opens a new connection when the file was deleted or replaced (a restore), never writing to the old one', async () => {
		const path = freshPath();
		const before = await open(path);
		expect(await before.claim('before-restore', info, '2025-03-10T14:00:00Z')).toBe(true);
		await before.close();
		for (const suffix of ['', '-wal', '-shm']) rmSync(`${path}${suffix}`, { force: true });

		const after = await open(path);
		expect(await after.getClaim('before-restore')).toBeUndefined();
		expect(await after.claim('after-restore', info, '2025-03-10T14:00:00Z')).toBe(true);
		const raw = new DatabaseSync(path);
		expect(raw.prepare('SELECT key FROM pv_claims').all()).toEqual([{ key: 'after-restore' }]);
		raw.close();
	});

	it('stores a keyed hash of the normalised address, never the address, and never the key', async () => {
		const path = freshPath();
		const store = await open(path);
		await store.setOptOut({ channel: 'sms', address: '(512) 555-0100', at: '2025-03-10T14:00:00Z', source: 'twilio:STOP' });
		await store.recordContact({ channel: 'sms', address: '(512) 555-0100', journeyId: 'j', patientKey: 'p', at: '2025-03-10T14:00:00Z' });
		await store.recordNumberTouch({ address: '(512) 555-0100', journeyId: 'j', stage: 1, localDate: '2025-03-10', at: '2025-03-10T14:00:00Z' });
		const raw = new DatabaseSync(path);
		const rows = [...raw.prepare('SELECT * FROM pv_opt_outs').all(), ...raw.prepare('SELECT * FROM pv_contacts').all()];
		const touches = raw.prepare('SELECT patient_key, journey_id FROM pv_touches').all();
		const everything = JSON.stringify([rows, touches, raw.prepare('SELECT * FROM pv_settings').all()]);
		raw.close();
		const keyed = createHmac('sha256', testContactHashSecret).update('address:+15125550100').digest('hex');
		expect(rows).toEqual([
			expect.objectContaining({ channel: 'sms', address_hash: keyed, opted_out: 1 }),
			expect.objectContaining({ channel: 'sms', address_hash: keyed, journey_id: 'j' }),
		]);
		expect(touches).toEqual([{ patient_key: `number:${keyed}`, journey_id: `number:${keyed}:j` }]);
		expect(everything).not.toMatch(/5550100/);
		expect(everything).not.toContain(createHash('sha256').update('+15125550100').digest('hex'));
		expect(everything).not.toContain(testContactHashSecret);
	});

	it('defaultSqlitePath puts the file under <userFolder>/.n8n/post-visit and creates the folder', () => {
		const userFolder = join(dir, 'home');
		const path = defaultSqlitePath(userFolder);
		expect(path).toBe(join(userFolder, '.n8n', 'post-visit', 'journey.sqlite'));
		expect(existsSync(join(userFolder, '.n8n', 'post-visit'))).toBe(true);
		expect(existsSync(path)).toBe(false);
	});
});

describe('SQLite group commit', () => {
	const drivers: SqliteDriver[] = [];
	const tableOn = async (path: string) => {
		const driver = new SqliteDriver(path);
		drivers.push(driver);
		await driver.run('CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE)', []);
		return driver;
	};
	const namesIn = (path: string) => {
		const raw = new DatabaseSync(path);
		try {
			return raw.prepare('SELECT name FROM items ORDER BY id').all().map((row) => row.name);
		} finally {
			raw.close();
		}
	};
	/** Frames in the write-ahead log since it was last emptied. */
	const walFramesOf = (path: string) => {
		const raw = new DatabaseSync(path);
		try {
			return Number(raw.prepare('PRAGMA wal_checkpoint(PASSIVE)').get()?.log);
		} finally {
			raw.close();
		}
	};
	const emptyWal = (path: string) => {
		const raw = new DatabaseSync(path);
		raw.exec('PRAGMA wal_checkpoint(TRUNCATE)');
		raw.close();
	};
	const insert = 'INSERT INTO items (name) VALUES ($1)';
	afterEach(async () => {
		await Promise.all(drivers.splice(0).map((driver) => driver.close()));
	});

	it('commits the writes asked for in one turn of the event loop once, and each caller awaits a durable write', async () => {
		const path = freshPath();
		const driver = await tableOn(path);
		emptyWal(path);
		for (let index = 0; index < 10; index++) await driver.run(insert, [`one-by-one-${index}`]);
		const oneByOne = walFramesOf(path);
		emptyWal(path);
		const changes = await Promise.all(Array.from({ length: 10 }, (_, index) => driver.run(insert, [`together-${index}`])));
		const together = walFramesOf(path);

		expect(changes).toEqual(Array(10).fill(1));
		// A commit writes each page it changed (the table's and the name index's): ten commits, ten times the frames.
		expect(together).toBeGreaterThan(0);
		expect(oneByOne).toBe(10 * together);
		expect(namesIn(path)).toHaveLength(20);
	});

	it('keeps each caller all or nothing inside the group: a failure rejects only that caller', async () => {
		const path = freshPath();
		const driver = await tableOn(path);
		await driver.run(insert, ['taken']);

		const [single, pair, claimed] = await Promise.allSettled([
			driver.run(insert, ['first']),
			driver.runTogether([
				{ sql: insert, params: ['second'] },
				{ sql: insert, params: ['taken'] },
			]),
			driver.all(`${insert} RETURNING name`, ['third']),
		]);

		expect(single).toEqual({ status: 'fulfilled', value: 1 });
		expect(pair.status).toBe('rejected');
		expect(String((pair as PromiseRejectedResult).reason)).toMatch(/UNIQUE/);
		expect(claimed).toEqual({ status: 'fulfilled', value: [{ name: 'third' }] });
		expect(namesIn(path)).toEqual(['taken', 'first', 'third']);
	});

	it('reads at once, without waiting for the writes queued beside them', async () => {
		const path = freshPath();
		const driver = await tableOn(path);
		const write = driver.run(insert, ['queued']);
		const before = await driver.all('SELECT COUNT(*) AS n FROM items', []);
		await write;
		expect(before).toEqual([{ n: 0 }]);
		expect(await driver.all('SELECT COUNT(*) AS n FROM items', [])).toEqual([{ n: 1 }]);
	});

	it('commits what is queued when the connection closes, and refuses writes after', async () => {
		const path = freshPath();
		const driver = await tableOn(path);
		const write = driver.run(insert, ['last']);
		await driver.close();
		await expect(write).resolves.toBe(1);
		expect(namesIn(path)).toEqual(['last']);
		await expect(driver.run(insert, ['late'])).rejects.toThrow(/closed/);
	});
});
