import { DomainError } from '../../core/errors';
import type { RecallDue } from '../../core/schemas';
import { createAppointmentTypeLister } from './appointmentTypes';
import { createAthenaClient } from './client';
import { createCompletedVisitLister } from './completedVisits';
import { createSmsConsentUpdater } from './consent';
import { createFindFollowUp } from './followUp';
import { athenaServerZone } from './mapping';
import type { AthenaAdapter, AthenaAdapterConfig, AthenaShared } from './options';
import { createChangedFeed } from './poll';
import { createPatientCaseAssigner, createPatientCaseCreator } from './task';
import { createResolveVisit } from './visit';

async function pollRecalls(): Promise<RecallDue[]> {
	throw new DomainError(
		'athenahealth has no API that lists recalls (appointment ticklers), so recall journeys are not available ' +
			'for athenaOne; use post-visit journeys, or a FHIR source that holds the recall dates',
		'not_supported',
		'event',
	);
}

/**
 * The athenaOne (proprietary API) adapter, one module per capability over one client. All paths are
 * `/v1/{practiceid}/…` relative to the credential's base URL; bodies are form-encoded; dates are MM/DD/YYYY.
 */
export function createAthenaAdapter(config: AthenaAdapterConfig): AthenaAdapter {
	const options = config.options ?? {};
	const shared: AthenaShared = {
		client: createAthenaClient({
			http: config.http,
			practiceId: config.practiceId,
			retry: config.retry,
			baseUrl: options.baseUrl,
			maxPages: options.maxPages,
		}),
		options,
		timestampZone: options.timestampZone ?? athenaServerZone,
		departmentIds: options.departmentIds?.filter(Boolean) ?? [],
	};
	const feed = createChangedFeed(shared);
	return {
		kind: 'athenahealth',
		findsEarlierTasks: false,
		resolveVisit: createResolveVisit(shared),
		pollChanges: feed.pollChanges,
		listCompletedVisits: createCompletedVisitLister(shared),
		rereadProcessed: feed.rereadProcessed,
		findFollowUp: createFindFollowUp(shared),
		createTask: createPatientCaseCreator(shared),
		assignTask: createPatientCaseAssigner(shared),
		updateSmsConsent: createSmsConsentUpdater(shared),
		listAppointmentTypes: createAppointmentTypeLister(shared),
		pollRecalls,
	};
}
