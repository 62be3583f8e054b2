export type * from './types';
export { legacyAddressHash, MIN_CONTACT_HASH_SECRET_LENGTH, normaliseAddress } from './addresses';
export {
	defaultSqlitePath,
	endJourneyStorePools,
	journeyStoreConfigSchema,
	openJourneyStore,
	type JourneyStoreConfig,
	type OpenOptions,
	type PostgresStoreConfig,
	type SqliteStoreConfig,
} from './open';
export { DEFAULT_RETENTION_DAYS, MIN_RETENTION_DAYS, pruneCutoff } from './retention';
export { MAX_DETAIL_KEYS, MAX_SHORT_TEXT } from './validation';
