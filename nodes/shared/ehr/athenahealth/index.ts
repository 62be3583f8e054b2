export { createAthenaAdapter, defaultPatientCaseSource, defaultPatientCaseSubclass, lastReadWindow } from './adapter';
export type {
	AthenaAdapter,
	AthenaAdapterConfig,
	AthenaAdapterOptions,
	AthenaPatientCaseOptions,
	AthenaReadWindow,
	AthenaTaskResult,
} from './adapter';
export { athenaCompletionTopics, parseAthenaNotification } from './notification';
export {
	athenaBaseUrl,
	athenaHosts,
	athenaTokenUrl,
	defaultAthenaScope,
	requestAthenaToken,
} from './token';
export type { AthenaConnection, AthenaToken, TokenHttpOptions, TokenHttpRequest, TokenRequest } from './token';
