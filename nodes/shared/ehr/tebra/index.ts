export { createTebraAdapter } from './adapter';
export { createPacer, createTebraClient, tebraPacingMs, tebraRetryPolicy } from './client';
export type { Pacer, TebraClient } from './client';
export type { TebraAdapterConfig, TebraAdapterOptions } from './options';
export { escapeXml, soapAction, soapEnvelope, tebraEndpoint, tebraNamespace } from './soap';
export type { TebraLogin, TebraOperation } from './soap';
export { checkTebraLogin } from './connection';
