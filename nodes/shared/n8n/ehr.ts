import type { IDataObject } from 'n8n-workflow';

import { DomainError } from '../core/errors';
import type { EhrKind } from '../core/schemas';
import { athenaBaseUrl, createAthenaAdapter } from '../ehr/athenahealth';
import { createDrChronoAdapter } from '../ehr/drchrono';
import { createFhirAdapter } from '../ehr/fhir';
import type { EhrAdapter, NotificationEvent } from '../ehr/types';
import { httpClientFor } from './http';
import type { HttpCapableContext } from './http';

const credentialTypeOf: Record<EhrKind, string> = {
	athenahealth: 'athenahealthApi',
	drchrono: 'drChronoOAuth2Api',
	fhir: 'fhirR4Api',
};

/** The adapter of the chosen EHR, talking through the node's EHR credential. */
export async function ehrAdapterFor(context: HttpCapableContext, ehr: EhrKind): Promise<EhrAdapter> {
	const credentialType = credentialTypeOf[ehr];
	const credential = await context.getCredentials(credentialType);
	switch (ehr) {
		case 'athenahealth': {
			const baseUrl = athenaBaseUrl({ environment: String(credential.environment ?? 'preview'), baseUrl: String(credential.baseUrl ?? '') });
			return createAthenaAdapter({ http: httpClientFor(context, credentialType, baseUrl, credential), practiceId: String(credential.practiceId ?? '') });
		}
		case 'drchrono': {
			const baseUrl = String(credential.baseUrl || 'https://app.drchrono.com');
			return createDrChronoAdapter({ http: httpClientFor(context, credentialType, baseUrl, credential) });
		}
		case 'fhir': {
			const baseUrl = String(credential.baseUrl ?? '').replace(/\/+$/, '');
			return createFhirAdapter({ http: httpClientFor(context, credentialType, baseUrl, credential), options: { baseUrl } });
		}
	}
}

/** The verified event an EHR trigger emitted, read back from the item. */
export function notificationFromItem(json: IDataObject, ehr: EhrKind): NotificationEvent {
	const event = json as unknown as Partial<NotificationEvent>;
	if (typeof event.eventId !== 'string' || typeof event.resourceId !== 'string' || !event.resourceType) {
		throw new DomainError(
			'This item is not an EHR notification: connect Visit Details right after EHR Trigger or EHR Poll Trigger',
			'not_a_notification',
			'eventId',
		);
	}
	if (event.ehr !== ehr) {
		throw new DomainError(`The notification came from ${String(event.ehr)}, but this node is set to ${ehr}`, 'wrong_ehr', 'ehr');
	}
	return event as NotificationEvent;
}
