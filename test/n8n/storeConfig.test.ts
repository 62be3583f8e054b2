import { createHmac } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { journeyStoreConfigFrom } from '../../nodes/shared/n8n/store';
import { tempDir } from '../helpers/fixtures';

/** The Contact Hash Secret the journey store keys its address hashes with, as the credential resolves it. */
describe('the journey store credential\'s Contact Hash Secret', () => {
	const saved = { key: process.env.N8N_ENCRYPTION_KEY, folder: process.env.N8N_USER_FOLDER };
	afterEach(() => {
		for (const [name, value] of [['N8N_ENCRYPTION_KEY', saved.key], ['N8N_USER_FOLDER', saved.folder]] as const) {
			if (value === undefined) delete process.env[name];
			else process.env[name] = value;
		}
	});
	const derivedFrom = (key: string) => createHmac('sha256', key).update('n8n-nodes-post-visit contact hashes v1').digest('hex');
	const sqlite = (extra: Record<string, unknown> = {}) => journeyStoreConfigFrom({ backend: 'sqlite', sqlitePath: '/tmp/x.sqlite', ...extra });

	it('is the one set in the credential, trimmed', () => {
		process.env.N8N_ENCRYPTION_KEY = 'n8n-key-for-this-test-0123456789';
		expect(sqlite({ contactHashSecret: `  ${'s'.repeat(40)} ` }).contactHashSecret).toBe('s'.repeat(40));
	});

	it('left empty, is derived from n8n\'s encryption key in the environment: the same on every process', () => {
		process.env.N8N_ENCRYPTION_KEY = 'n8n-key-for-this-test-0123456789';
		expect(sqlite({ contactHashSecret: '' }).contactHashSecret).toBe(derivedFrom('n8n-key-for-this-test-0123456789'));
		expect(sqlite().contactHashSecret).toBe(sqlite({ contactHashSecret: '   ' }).contactHashSecret);
	});

	it('left empty, is derived from the key n8n wrote into its user folder when the environment has none', () => {
		delete process.env.N8N_ENCRYPTION_KEY;
		const folder = tempDir();
		mkdirSync(join(folder, '.n8n'), { recursive: true });
		writeFileSync(join(folder, '.n8n', 'config'), JSON.stringify({ encryptionKey: 'key-from-n8n-config-file' }));
		process.env.N8N_USER_FOLDER = folder;
		expect(sqlite().contactHashSecret).toBe(derivedFrom('key-from-n8n-config-file'));
	});

	it('is absent when neither is there: the store then refuses address operations, naming the field', () => {
		delete process.env.N8N_ENCRYPTION_KEY;
		process.env.N8N_USER_FOLDER = tempDir();
		expect(sqlite().contactHashSecret).toBeUndefined();
	});
});
