export { createDrChronoAdapter } from './adapter';
export type { DrChronoAdapterConfig, DrChronoAdapterOptions, DrChronoOrderSource } from './adapter';
export { drChronoHeaders, parseDrChronoNotification } from './notification';
export type { DrChronoSignatureMode } from './notification';
