import type { EhrKind } from '../core/schemas';
import { parseAthenaNotification } from './athenahealth';
import { parseDrChronoNotification } from './drchrono';
import { parseFhirNotification } from './fhir';
import type { InboundRequest, NotificationResult, WebhookSecrets } from './types';

export interface NotificationOptions {
	secrets: WebhookSecrets;
	/** FHIR only: the header that carries the shared secret. */
	fhirSecretHeader?: string;
}

/** Verifies and classifies one inbound delivery with the parser of the EHR it claims to come from. */
export function parseNotification(ehr: EhrKind, request: InboundRequest, options: NotificationOptions): NotificationResult {
	switch (ehr) {
		case 'athenahealth':
			return parseAthenaNotification(request, options.secrets);
		case 'drchrono':
			return parseDrChronoNotification(request, options.secrets);
		case 'fhir':
			return parseFhirNotification(request, { secrets: options.secrets, secretHeader: options.fhirSecretHeader });
	}
}
