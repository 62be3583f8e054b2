import { join } from 'node:path';

import type { ICredentialTestFunctions, ICredentialsDecrypted } from 'n8n-workflow';

import { JourneyStoreApi } from '../../credentials/JourneyStoreApi.credentials';
import {
	ehrWebhookSecretTest,
	journeyStoreConnectionTest,
	practiceProfileTest,
	smtpConnectionTest,
} from '../../nodes/shared/n8n/credentialTests';
import { journeyStoreConfigFrom } from '../../nodes/shared/n8n/store';
import { openJourneyStore } from '../../nodes/shared/store';
import { startSmtpSink } from '../../sandbox/smtp-sink';
import { practiceProfileCredential, tempDir } from '../helpers/fixtures';

const context = {} as ICredentialTestFunctions;
const credential = (data: Record<string, unknown>) => ({ id: 'c', name: 'c', type: 't', data }) as unknown as ICredentialsDecrypted;

describe('credential tests ops run from the credential dialog', () => {
	it('journey store: creates and migrates a new SQLite store, then reports OK', async () => {
		const path = join(tempDir(), 'nested', 'journey.sqlite');
		const result = await journeyStoreConnectionTest.call(context, credential({ backend: 'sqlite', sqlitePath: path }));
		expect(result).toEqual({ status: 'OK', message: expect.stringMatching(/up to date/) });
		const store = await openJourneyStore({ backend: 'sqlite', path });
		expect(await store.claim('k', { journeyId: 'j', patientKey: 'p' }, new Date().toISOString())).toBe(true);
		await store.close();
	});

	it('journey store: an unreachable Postgres is an Error, not an exception', async () => {
		const result = await journeyStoreConnectionTest.call(
			context,
			credential({ backend: 'postgres', host: '127.0.0.1', port: 1, database: 'x', user: 'u', password: 'p', ssl: 'off' }),
		);
		expect(result.status).toBe('Error');
	});

	it('journey store: the credential maps to the store config (empty path → the n8n user folder)', () => {
		process.env.N8N_USER_FOLDER = tempDir();
		const config = journeyStoreConfigFrom({ backend: 'sqlite', sqlitePath: '' });
		expect(config.backend).toBe('sqlite');
		expect((config as { path: string }).path).toBe(join(process.env.N8N_USER_FOLDER, '.n8n', 'post-visit', 'journey.sqlite'));
		expect(journeyStoreConfigFrom({ backend: 'postgres', host: 'db', port: 5433, database: 'pv', user: 'u', password: 'p', ssl: 'noVerify' })).toEqual({
			backend: 'postgres', host: 'db', port: 5433, database: 'pv', user: 'u', password: 'p', ssl: 'no-verify',
		});
	});

	it('journey store: Postgres verifies the server\'s certificate unless told otherwise (PHI in transit)', () => {
		const connection = { backend: 'postgres', host: 'db', port: 5432, database: 'pv', user: 'u', password: 'p' };
		expect(journeyStoreConfigFrom(connection)).toMatchObject({ ssl: true });
		expect(journeyStoreConfigFrom({ ...connection, ssl: 'verify' })).toMatchObject({ ssl: true });
		expect(journeyStoreConfigFrom({ ...connection, ssl: 'off' })).toMatchObject({ ssl: false });
		const tls = new JourneyStoreApi().properties.find((property) => property.name === 'ssl');
		expect(tls?.default).toBe('verify');
	});

	it.each([
		['a valid profile', {}, 'OK', /Riverside/],
		['a window wider than 08:00-21:00', { windowStart: '07:00' }, 'Error', /window\.start|08:00/],
		['an unknown zone', { defaultZone: 'Mars/Olympus' }, 'Error', /defaultZone/],
		['broken staff JSON', { staff: '[{' }, 'Error', /staff/],
	])('practice profile: %s → %s', async (_label, overrides, status, message) => {
		const result = await practiceProfileTest.call(context, credential(practiceProfileCredential(overrides)));
		expect(result.status).toBe(status);
		expect(result.message).toMatch(message);
	});

	it('webhook secret: too short is an Error, a long one OK', async () => {
		expect((await ehrWebhookSecretTest.call(context, credential({ secret: 'short' }))).status).toBe('Error');
		expect((await ehrWebhookSecretTest.call(context, credential({ secret: 'f'.repeat(40) }))).status).toBe('OK');
	});

	it('SMTP: connects to a real server; a closed port is an Error', async () => {
		const sink = await startSmtpSink({ disableStartTls: true });
		try {
			const ok = await smtpConnectionTest.call(context, credential({ host: '127.0.0.1', port: sink.port, security: 'none', fromEmail: 'care@example.test' }));
			expect(ok.status).toBe('OK');
			expect(sink.messages).toHaveLength(0);
		} finally {
			await sink.close();
		}
		const closed = await smtpConnectionTest.call(context, credential({ host: '127.0.0.1', port: 1, security: 'none', fromEmail: 'care@example.test' }));
		expect(closed.status).toBe('Error');
	});
});
