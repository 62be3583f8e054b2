import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';

import { defaultSqlitePath, openJourneyStore } from '../../nodes/shared/store/open';
import type { JourneyStore } from '../../nodes/shared/store/types';
import { describeStoreContract } from './contract';

const dir = mkdtempSync(join(tmpdir(), 'pv-store-sqlite-'));
let files = 0;
const freshPath = () => join(dir, `journey-${++files}.sqlite`);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describeStoreContract('sqlite', () => openJourneyStore({ backend: 'sqlite', path: freshPath() }));

describe('SQLite backend', () => {
	const info = { journeyId: 'visit:fhir:enc-1', patientKey: 'fhir:pat-1', stage: 1, channel: 'sms' as const };
	const opened: JourneyStore[] = [];
	const open = async (path: string) => {
		const store = await openJourneyStore({ backend: 'sqlite', path });
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
		]);
		raw.close();
	});

	it('gives one of 20 claimers the key across separate connections to one file', async () => {
		const path = freshPath();
		const stores = await Promise.all(Array.from({ length: 4 }, () => open(path)));
		const results = await Promise.all(
			Array.from({ length: 20 }, (_, i) => stores[i % 4].claim('k', info, '2025-03-10T14:00:00Z')),
		);
		expect(results.filter(Boolean)).toHaveLength(1);
	});

	it('stores a hash of the normalised address, never the address', async () => {
		const path = freshPath();
		const store = await open(path);
		await store.setOptOut({ channel: 'sms', address: '(512) 555-0100', at: '2025-03-10T14:00:00Z', source: 'twilio:STOP' });
		const raw = new DatabaseSync(path);
		const rows = raw.prepare('SELECT * FROM pv_opt_outs').all();
		raw.close();
		expect(rows).toEqual([
			expect.objectContaining({
				channel: 'sms',
				address_hash: createHash('sha256').update('+15125550100').digest('hex'),
				opted_out: 1,
			}),
		]);
		expect(JSON.stringify(rows)).not.toMatch(/5550100/);
	});

	it('defaultSqlitePath puts the file under <userFolder>/.n8n/post-visit and creates the folder', () => {
		const userFolder = join(dir, 'home');
		const path = defaultSqlitePath(userFolder);
		expect(path).toBe(join(userFolder, '.n8n', 'post-visit', 'journey.sqlite'));
		expect(existsSync(join(userFolder, '.n8n', 'post-visit'))).toBe(true);
		expect(existsSync(path)).toBe(false);
	});
});
