import { DomainError } from '../../core/errors';
import type { RecallDue } from '../../core/schemas';
import type { EhrAdapter } from '../types';
import { createTebraClient } from './client';
import { createFindFollowUp } from './followUp';
import type { TebraAdapterConfig, TebraShared } from './options';
import { createPollChanges } from './poll';
import { tebraEndpoint } from './soap';
import { createTaskCreator } from './task';
import { createResolveVisit } from './visit';

async function pollRecalls(): Promise<RecallDue[]> {
	throw new DomainError(
		'Tebra has no API that lists recalls, so recall journeys are not available for Tebra; use post-visit journeys',
		'not_supported',
		'event',
	);
}

/**
 * The Tebra (formerly Kareo) adapter over SOAP Web Services API 2.1, one module per capability over one client.
 * Typed request builders and fast-xml-parser instead of a SOAP library: a SOAP client (node-soap) fetches the
 * WSDL and sends through its own HTTP stack, past n8n's transport, its redirect checks and our retry policy.
 */
export function createTebraAdapter(config: TebraAdapterConfig): EhrAdapter {
	const shared: TebraShared = {
		client: createTebraClient({
			http: config.http,
			login: config.login,
			endpoint: config.options.endpoint || tebraEndpoint,
			retry: config.retry,
			pacer: config.pacer,
		}),
		options: config.options,
	};
	return {
		kind: 'tebra',
		resolveVisit: createResolveVisit(shared),
		pollChanges: createPollChanges(shared),
		findFollowUp: createFindFollowUp(shared),
		createTask: createTaskCreator(shared),
		// Nothing is created in Tebra, or the alert is overwritten with the same text: a re-run is harmless.
		findsEarlierTasks: true,
		pollRecalls,
	};
}
