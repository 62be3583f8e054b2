import { createHmac } from 'node:crypto';
import { Pool } from 'pg';

import { DomainError } from '../../nodes/shared/core/errors';
import { endJourneyStorePools, openJourneyStore } from '../../nodes/shared/store/open';
import type { JourneyStore } from '../../nodes/shared/store/types';
import { testContactHashSecret } from '../helpers/contactHashSecret';
import { describeStoreContract } from './contract';
import { useTestPostgres, withClient } from './postgresHarness';

// Declared before the harness so it runs first: pools end before their database is dropped.
afterAll(async () => {
	await cleaner?.end();
	await endJourneyStorePools();
});
const postgres = useTestPostgres();
let schemas = 0;
const freshSchema = () => `fresh_${++schemas}`;

const rows = (schema: string, sql: string) =>
	withClient(postgres() as never, async (client) => {
		await client.query(`SET search_path = ${schema}`);
		return (await client.query(sql)).rows;
	});

// The contract runs on one schema through the cached pool, as nodes use it, emptied before each test:
// a new connection costs 40-100 ms on this machine, and migrating fresh schemas has its own tests below.
let cleaner: Pool | undefined;
async function emptyContractSchema(): Promise<Pool> {
	if (!cleaner) {
		await (await openJourneyStore({ ...postgres(), schema: 'contract' })).close();
		cleaner = new Pool({ ...(postgres() as object), options: '-c search_path=contract', max: 1 });
		cleaner.on('error', () => undefined);
	}
	// The key check too: each test may open the store with a key of its own.
	await cleaner.query('TRUNCATE pv_claims, pv_journal, pv_opt_outs, pv_touches, pv_journeys, pv_contacts, pv_steps, pv_settings');
	return cleaner;
}
const contractConfig = (contactHashSecret: string | null) => ({ ...postgres(), schema: 'contract', ...(contactHashSecret === null ? {} : { contactHashSecret }) });
describeStoreContract('postgres', {
	open: async (contactHashSecret: string | null = testContactHashSecret) => {
		await emptyContractSchema();
		return await openJourneyStore(contractConfig(contactHashSecret));
	},
	reopen: async (contactHashSecret) => await openJourneyStore(contractConfig(contactHashSecret)),
	exec: async (sql, params) => {
		await (cleaner as Pool).query(sql, params);
	},
});


describe('Postgres backend', () => {
	const at = '2025-03-10T14:00:00Z';
	const info = { journeyId: 'visit:fhir:enc-1', patientKey: 'fhir:pat-1', stage: 1, channel: 'sms' as const };
	const opened: JourneyStore[] = [];
	const open = async (schema: string, reusePool = false) => {
		const store = await openJourneyStore({ ...postgres(), schema, contactHashSecret: testContactHashSecret }, { reusePool });
		opened.push(store);
		return store;
	};
	afterEach(async () => {
		await Promise.all(opened.splice(0).map((store) => store.close()));
		await endJourneyStorePools();
	});

	it('migrates once when five processes\' pools open a fresh schema at the same moment', async () => {
		const schema = freshSchema();
		const stores = await Promise.all(Array.from({ length: 5 }, () => open(schema)));
		expect(await rows(schema, 'SELECT version, name FROM pv_schema_migrations')).toEqual([
			{ version: 1, name: 'claims, journal, opt-outs, touches' },
			{ version: 2, name: 'journeys, contacts, journal by provider id' },
		{ version: 3, name: 'scheduled steps' },
		{ version: 4, name: 'settings (the contact hash secret check)' },
			{ version: 5, name: 'journey zone source and extra zones (patient ZIP code, area code)' },
		]);
		const results = await Promise.all(Array.from({ length: 20 }, (_, i) => stores[i % 5].claim('k', info, at)));
		expect(results.filter(Boolean)).toHaveLength(1);
	});

	it('stores a keyed hash of the normalised address, never the address', async () => {
		const schema = freshSchema();
		const store = await open(schema);
		await store.setOptOut({ channel: 'email', address: 'Pat@Example.com', at, source: 'unsubscribe' });
		const stored = await rows(schema, 'SELECT channel, address_hash, opted_out FROM pv_opt_outs');
		expect(stored).toEqual([
			{ channel: 'email', address_hash: createHmac('sha256', testContactHashSecret).update('address:pat@example.com').digest('hex'), opted_out: 1 },
		]);
	});

	it('shares one cached pool per connection: closing a store leaves the pool to the others', async () => {
		const schema = freshSchema();
		const first = await open(schema, true);
		const second = await open(schema, true);
		await first.close();
		expect(await second.claim('k', info, at)).toBe(true);
	});

	it.each([true, 'no-verify'] as const)('asks for TLS when ssl is %s (the test server has none)', async (ssl) => {
		await expect(openJourneyStore({ ...postgres(), ssl }, { reusePool: false })).rejects.toThrow(/SSL/i);
	});

	it('verifies the server over TLS when the config says nothing about ssl (the test server has none)', async () => {
		const { ssl: _ssl, ...withoutSsl } = postgres() as unknown as Record<string, unknown>;
		await expect(openJourneyStore(withoutSsl as never, { reusePool: false })).rejects.toThrow(/SSL/i);
	});

	it('names the bad field of a connection config', async () => {
		const error = await openJourneyStore({ ...postgres(), port: 0 }).catch((caught) => caught);
		expect(error).toBeInstanceOf(DomainError);
		expect(error.field).toBe('port');
		const schemaError = await openJourneyStore({ ...postgres(), schema: 'x; DROP TABLE y' }).catch((c) => c);
		expect(schemaError.field).toBe('schema');
	});
});
