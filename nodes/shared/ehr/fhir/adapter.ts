import type { EhrAdapter } from '../types';
import { createAppointmentTypeLister } from './appointmentTypes';
import { createFhirClient } from './client';
import { createSmsConsentUpdater } from './consent';
import { createEcwFindFollowUp, createEcwPoll, ecwStaffNotice, ecwTransport } from './ecw';
import { createFindFollowUp } from './followUp';
import type { FhirAdapterConfig, FhirShared } from './options';
import { createPatientFacts } from './patients';
import { createPollChanges } from './poll';
import { createRecallPoller, createRecallResolver } from './recalls';
import { createResolveVisit } from './resolve';
import { createTaskCreator } from './task';

export type { FhirAdapterConfig, FhirAdapterOptions, FhirPollMode } from './options';
export { journeyIdentifierSystem } from './task';

/**
 * The FHIR R4 adapter (generic servers, Epic by polling), one module per capability over one client. Reads go
 * through `sendWithRetry` (429/5xx with backoff and Retry-After); other 4xx become EhrHttpError with the
 * OperationOutcome's masked text. References are always sent in full (`Patient/123`) and dates as explicit
 * `ge`/`lt` ranges: the FHIR search specification allows both forms everywhere (https://hl7.org/fhir/R4/search.html,
 * reference and date parameters), while servers such as Medplum match neither bare ids nor partial dates reliably.
 */
export function createFhirAdapter(config: FhirAdapterConfig): EhrAdapter {
	const options = config.options ?? {};
	const { ecw } = options;
	const http = ecw ? ecwTransport(config.http, options.baseUrl, ecw, config.budget) : config.http;
	const shared: FhirShared = {
		client: createFhirClient({ http, retry: config.retry, baseUrl: options.baseUrl, maxPages: options.maxPages ?? 20 }),
		options,
		pageSize: options.pageSize ?? 50,
	};
	const patients = createPatientFacts(shared);
	const createTask = createTaskCreator(shared);
	return {
		kind: 'fhir',
		resolveVisit: createResolveVisit(shared, patients),
		pollChanges: ecw ? createEcwPoll(shared, ecw) : createPollChanges(shared),
		findFollowUp: ecw ? createEcwFindFollowUp(shared) : createFindFollowUp(shared),
		createTask: ecw && !ecw.writeback ? async (escalation) => ecwStaffNotice(escalation) : createTask,
		findsEarlierTasks: true,
		pollRecalls: createRecallPoller(shared, patients),
		resolveRecall: createRecallResolver(shared, patients),
		updateSmsConsent: createSmsConsentUpdater(shared),
		listAppointmentTypes: createAppointmentTypeLister(shared),
	};
}
