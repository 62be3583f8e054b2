import { DomainError } from '../../core/errors';
import type { RecallDue } from '../../core/schemas';
import type { EhrAdapter } from '../types';
import { createAppointmentProfileLister } from './appointmentProfiles';
import { createDrChronoClient } from './client';
import { createSmsConsentUpdater } from './consent';
import { createFindFollowUp } from './followUp';
import { createDrChronoLookups } from './lookups';
import { EHR, isValidZone } from './mapping';
import type { DrChronoAdapterConfig, DrChronoShared } from './options';
import { createPollChanges } from './poll';
import { createTaskCreator } from './task';
import { createResolveVisit } from './visit';

export type { DrChronoAdapterConfig, DrChronoAdapterOptions, DrChronoOrderSource } from './options';

async function pollRecalls(): Promise<RecallDue[]> {
	throw new DomainError(
		'DrChrono\'s API (v4) has no recall list: recalls cannot be read from DrChrono. Keep recall dates in another source or use the FHIR adapter.',
		'not_supported',
		'ehr',
	);
}

/**
 * DrChrono (v4 REST API, OAuth2) behind the EhrAdapter interface, one module per capability over one client.
 * Paths are relative to the credential's base URL (https://app.drchrono.com). Lookups made during one adapter's
 * life (doctors, task statuses, the current user) are remembered by this instance only: create one adapter per
 * execution.
 */
export function createDrChronoAdapter(config: DrChronoAdapterConfig): EhrAdapter {
	const options = config.options ?? {};
	if (options.defaultZone !== undefined && options.defaultZone !== '' && !isValidZone(options.defaultZone)) {
		throw new DomainError('DrChrono adapter: "defaultZone" must be an IANA time zone', 'invalid_input', 'defaultZone');
	}
	const client = createDrChronoClient({
		http: config.http,
		retry: config.retry,
		baseUrl: options.baseUrl,
		pageSize: Math.min(250, Math.max(1, options.pageSize ?? 100)),
		maxPages: options.maxPages ?? 200,
	});
	const shared: DrChronoShared = { client, lookups: createDrChronoLookups(client), options, defaultZone: options.defaultZone || undefined };
	return {
		kind: EHR,
		resolveVisit: createResolveVisit(shared),
		pollChanges: createPollChanges(shared),
		findFollowUp: createFindFollowUp(shared),
		createTask: createTaskCreator(shared),
		findsEarlierTasks: true,
		pollRecalls,
		updateSmsConsent: createSmsConsentUpdater(shared),
		listAppointmentTypes: createAppointmentProfileLister(shared),
	};
}
