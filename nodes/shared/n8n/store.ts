import { homedir } from 'node:os';
import type { ICredentialDataDecryptedObject } from 'n8n-workflow';

import { defaultSqlitePath, openJourneyStore } from '../store';
import type { JourneyStoreConfig } from '../store';
import type { JourneyStore } from '../store/types';

/** n8n's user folder: where n8n keeps its own database, so the journal is backed up with it. */
function n8nUserFolder(): string {
	return process.env.N8N_USER_FOLDER ?? homedir();
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
		};
	}
	const path = String(credential.sqlitePath ?? '').trim();
	return { backend: 'sqlite', path: path || defaultSqlitePath(n8nUserFolder()) };
}

/** Opens (and migrates) the practice's journey store. */
export async function openStoreFrom(credential: ICredentialDataDecryptedObject): Promise<JourneyStore> {
	return await openJourneyStore(journeyStoreConfigFrom(credential));
}
