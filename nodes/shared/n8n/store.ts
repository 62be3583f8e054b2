import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { ICredentialDataDecryptedObject } from 'n8n-workflow';

import { defaultSqlitePath, openJourneyStore } from '../store';
import type { JourneyStoreConfig } from '../store';
import type { JourneyStore } from '../store/types';

/** n8n's user folder: where n8n keeps its own database, so the journal is backed up with it. */
function n8nUserFolder(): string {
	return process.env.N8N_USER_FOLDER ?? homedir();
}

/**
 * n8n's own encryption key (N8N_ENCRYPTION_KEY, else the one n8n wrote into its user folder's config file). n8n
 * already requires it to be the same on every main process and worker and after every restore, since its
 * credentials are encrypted with it.
 */
function n8nEncryptionKey(): string | undefined {
	const fromEnv = process.env.N8N_ENCRYPTION_KEY?.trim();
	if (fromEnv) return fromEnv;
	try {
		const config = JSON.parse(readFileSync(join(n8nUserFolder(), '.n8n', 'config'), 'utf8')) as { encryptionKey?: unknown };
		return typeof config.encryptionKey === 'string' && config.encryptionKey ? config.encryptionKey : undefined;
	} catch {
		return undefined;
	}
}

/**
 * The credential's Contact Hash Secret, trimmed (one pasted with a stray blank is the same secret every time); left
 * empty, one derived from n8n's encryption key, so an upgraded practice keeps sending without a new setting. With
 * neither, nothing: the store then refuses opt-outs and contacts, naming the field.
 */
function contactHashSecretOf(credential: ICredentialDataDecryptedObject): { contactHashSecret?: string } {
	const secret = typeof credential.contactHashSecret === 'string' ? credential.contactHashSecret.trim() : '';
	if (secret) return { contactHashSecret: secret };
	const key = n8nEncryptionKey();
	return key ? { contactHashSecret: createHmac('sha256', key).update('n8n-nodes-post-visit contact hashes v1').digest('hex') } : {};
}

/** The "Post-Visit Journey Store" credential → the store's connection settings. */
export function journeyStoreConfigFrom(credential: ICredentialDataDecryptedObject): JourneyStoreConfig {
	if (credential.backend === 'postgres') {
		// Verified TLS unless the credential says otherwise: one saved before the field existed gets it too.
		const ssl = credential.ssl === 'off' ? false : credential.ssl === 'noVerify' ? 'no-verify' : true;
		return {
			backend: 'postgres',
			host: String(credential.host ?? 'localhost'),
			port: Number(credential.port ?? 5432),
			database: String(credential.database ?? 'post_visit'),
			user: String(credential.user ?? ''),
			password: String(credential.password ?? ''),
			ssl,
			...contactHashSecretOf(credential),
		};
	}
	const path = String(credential.sqlitePath ?? '').trim();
	return { backend: 'sqlite', path: path || defaultSqlitePath(n8nUserFolder()), ...contactHashSecretOf(credential) };
}

/** Opens (and migrates) the practice's journey store. */
export async function openStoreFrom(credential: ICredentialDataDecryptedObject): Promise<JourneyStore> {
	return await openJourneyStore(journeyStoreConfigFrom(credential));
}
