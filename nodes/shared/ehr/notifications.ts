import { DateTime } from 'luxon';

import { DomainError } from '../core/errors';
import type { EhrKind } from '../core/schemas';
import { parseAthenaNotification } from './athenahealth';
import { parseDrChronoNotification } from './drchrono';
import type { DrChronoSignatureMode } from './drchrono';
import { parseFhirNotification } from './fhir';
import type { InboundRequest, NotificationEvent, NotificationResult, WebhookSecrets } from './types';

export interface NotificationOptions {
	secrets: WebhookSecrets;
	/** FHIR only: the header that carries the shared secret. */
	fhirSecretHeader?: string;
	/** DrChrono only: what its signature header may be (default: the secret token or a body HMAC). */
	drChronoSignature?: DrChronoSignatureMode;
}

/** Verifies and classifies one inbound delivery with the parser of the EHR it claims to come from. */
export function parseNotification(ehr: EhrKind, request: InboundRequest, options: NotificationOptions): NotificationResult {
	switch (ehr) {
		case 'athenahealth':
			return parseAthenaNotification(request, options.secrets);
		case 'drchrono':
			return parseDrChronoNotification(request, options.secrets, options.drChronoSignature);
		case 'fhir':
			return parseFhirNotification(request, { secrets: options.secrets, secretHeader: options.fhirSecretHeader });
		case 'tebra':
		case 'hl7v2':
			// Tebra pushes nothing (EHR Poll Trigger); HL7 v2 arrives over MLLP (HL7 v2 Trigger), never as a webhook.
			return { kind: 'rejected', status: 405, reason: `${ehr} sends no webhooks: use the ${ehr === 'tebra' ? 'EHR Poll' : 'HL7 v2'} Trigger` };
	}
}

export interface EventsByAge {
	fresh: NotificationEvent[];
	/** Older than the maximum age by their own time: a replay, or a backlog too old to act on. */
	tooOld: NotificationEvent[];
}

/**
 * Splits pushed events by the vendor's own event time (`occurredAt`) against `now`. An event without a readable
 * time is kept (DrChrono sends none). A time without an offset is read at the latest instant it can name
 * (UTC-12), so it is never refused early.
 */
export function eventsByAge(events: NotificationEvent[], now: string, maxAgeDays: number): EventsByAge {
	if (!Number.isFinite(maxAgeDays) || maxAgeDays <= 0) {
		throw new DomainError('"Maximum Event Age (Days)" must be a positive number', 'invalid_input', 'maxEventAgeDays');
	}
	const oldest = DateTime.fromISO(now, { setZone: true }).minus({ days: maxAgeDays });
	if (!oldest.isValid) throw new DomainError('"now" must be an ISO-8601 date-time', 'invalid_input', 'now');
	const split: EventsByAge = { fresh: [], tooOld: [] };
	for (const event of events) {
		const at = event.occurredAt ? DateTime.fromISO(event.occurredAt, { zone: 'Etc/GMT+12', setZone: true }) : undefined;
		(at?.isValid && at < oldest ? split.tooOld : split.fresh).push(event);
	}
	return split;
}
