export { createAthenaAdapter } from './adapter';
export type {
	AthenaAdapter,
	AthenaAdapterConfig,
	AthenaAdapterOptions,
	AthenaFollowUpVisitItem,
	AthenaPatientCaseOptions,
	AthenaReadWindow,
	AthenaTaskResult,
} from './options';
export { athenaFollowUpVisitItems, athenaFollowUpVisitOptions, defaultAthenaFollowUpVisitItem } from './options';
export { lastReadWindow } from './poll';
export { defaultPatientCaseSource, defaultPatientCaseSubclass } from './task';
export { athenaCompletionTopics, parseAthenaNotification } from './notification';
export {
	athenaBaseUrl,
	athenaHosts,
	athenaTokenUrl,
	defaultAthenaScope,
	requestAthenaToken,
} from './token';
export type { AthenaConnection, AthenaToken, TokenHttpOptions, TokenHttpRequest, TokenRequest } from './token';
