import type { ICredentialDataDecryptedObject, IDataObject } from 'n8n-workflow';

import { DomainError } from '../core/errors';
import type { EhrKind } from '../core/schemas';
import { athenaBaseUrl, athenaFollowUpVisitItems, createAthenaAdapter, defaultAthenaFollowUpVisitItem } from '../ehr/athenahealth';
import type { AthenaFollowUpVisitItem } from '../ehr/athenahealth';
import { createDrChronoAdapter } from '../ehr/drchrono';
import { createFhirAdapter } from '../ehr/fhir';
import type { EcwPresetOptions } from '../ehr/fhir';
import { createHl7v2Adapter } from '../ehr/hl7v2';
import { createTebraAdapter, tebraEndpoint } from '../ehr/tebra';
import type { EhrAdapter, NotificationEvent } from '../ehr/types';
import { httpClientFor } from './http';
import type { HttpCapableContext } from './http';
import { ehrRetryPolicy, tebraRetry } from './retry';

const credentialTypeOf: Record<EhrKind, string> = {
	athenahealth: 'athenahealthApi',
	drchrono: 'drChronoOAuth2Api',
	fhir: 'fhirR4Api',
	// An HL7 v2 journey reads and writes through the FHIR API of the EHR behind the feed.
	hl7v2: 'fhirR4Api',
	tebra: 'tebraApi',
};

/** The eClinicalWorks preset of the FHIR credential, as adapter options; none for other servers. */
export function fhirPresetOptions(credential: ICredentialDataDecryptedObject): { ecw?: EcwPresetOptions } {
	if (credential.serverProfile !== 'eclinicalworks') return {};
	return {
		ecw: {
			location: String(credential.ecwLocation ?? '') || undefined,
			practitioner: String(credential.ecwPractitioner ?? '') || undefined,
			writeback: credential.ecwWriteback === true,
			callsPerMinute: Number(credential.ecwCallsPerMinute ?? 250) || 250,
			zone: String(credential.ecwZone ?? '') || undefined,
		},
	};
}

/** The athenahealth credential's "Follow-Up Visit Action"; a credential saved before the field existed gets its default. */
export function athenaFollowUpVisitItemOf(credential: ICredentialDataDecryptedObject): AthenaFollowUpVisitItem {
	const value = credential.followUpVisitItem;
	return athenaFollowUpVisitItems.find((item) => item === value) ?? defaultAthenaFollowUpVisitItem;
}

/** The adapter of the chosen EHR, talking through the node's EHR credential. */
export async function ehrAdapterFor(context: HttpCapableContext, ehr: EhrKind): Promise<EhrAdapter> {
	const credentialType = credentialTypeOf[ehr];
	const credential = await context.getCredentials(credentialType);
	switch (ehr) {
		case 'athenahealth': {
			const baseUrl = athenaBaseUrl({ environment: String(credential.environment ?? 'preview'), baseUrl: String(credential.baseUrl ?? '') });
			return createAthenaAdapter({
				http: httpClientFor(context, credentialType, baseUrl, credential),
				practiceId: String(credential.practiceId ?? ''),
				retry: ehrRetryPolicy,
				options: { baseUrl, followUpVisitItem: athenaFollowUpVisitItemOf(credential) },
			});
		}
		case 'drchrono': {
			const baseUrl = String(credential.baseUrl || 'https://app.drchrono.com');
			const http = httpClientFor(context, credentialType, baseUrl, credential);
			return createDrChronoAdapter({ http, retry: ehrRetryPolicy, options: { baseUrl } });
		}
		case 'fhir':
		case 'hl7v2': {
			const baseUrl = String(credential.baseUrl ?? '').replace(/\/+$/, '');
			const http = httpClientFor(context, credentialType, baseUrl, credential);
			const options = { baseUrl, ...fhirPresetOptions(credential) };
			return ehr === 'fhir'
				? createFhirAdapter({ http, retry: ehrRetryPolicy, options })
				: createHl7v2Adapter({
						http,
						retry: ehrRetryPolicy,
						options: { ...options, patientIdentifierSystem: String(credential.hl7PatientIdentifierSystem ?? '') || undefined },
					});
		}
		case 'tebra': {
			const endpoint = String(credential.endpoint || tebraEndpoint);
			return createTebraAdapter({
				http: httpClientFor(context, credentialType, endpoint, credential),
				login: { customerKey: String(credential.customerKey ?? ''), user: String(credential.user ?? ''), password: String(credential.password ?? '') },
				retry: tebraRetry,
				options: {
					endpoint,
					practiceName: String(credential.practiceName ?? ''),
					zone: credential.zone ? String(credential.zone) : undefined,
					patientAlert: credential.patientAlert === true,
					followUpItem: credential.followUpItem !== false,
				},
			});
		}
	}
}

/** The verified event an EHR trigger emitted, read back from the item. */
export function notificationFromItem(json: IDataObject, ehr: EhrKind): NotificationEvent {
	const event = json as unknown as Partial<NotificationEvent>;
	if (typeof event.eventId !== 'string' || typeof event.resourceId !== 'string' || !event.resourceType) {
		throw new DomainError(
			'This item is not an EHR notification: connect Visit Details right after EHR Trigger, EHR Poll Trigger or HL7 v2 Trigger',
			'not_a_notification',
			'eventId',
		);
	}
	if (event.ehr !== ehr) {
		throw new DomainError(`The notification came from ${String(event.ehr)}, but this node is set to ${ehr}`, 'wrong_ehr', 'ehr');
	}
	return event as NotificationEvent;
}
