export { createFhirAdapter, journeyIdentifierSystem } from './adapter';
export type { FhirAdapterConfig, FhirAdapterOptions, FhirPollMode } from './adapter';
export { summarizeOutcome } from './client';
export { consentExtensionUrl, timezoneExtensionUrls } from './mapping';
export { defaultSecretHeader, parseFhirNotification } from './notifications';
export type { FhirNotificationOptions } from './notifications';
export {
	buildClientAssertion,
	defaultSmartScope,
	requestSmartToken,
	smartTokenEndpoint,
} from './smart';
export type { SmartAlgorithm, SmartTokenRequest, SmartTokenResponse } from './smart';
export { ecwEncounterSearchParameters, isEcwCompleted } from './ecw';
export type { EcwPresetOptions } from './ecw';
export { createCallBudget, processCallBudget } from './ecwBudget';
export type { CallBudget } from './ecwBudget';
