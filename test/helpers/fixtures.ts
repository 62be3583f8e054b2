import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { DateTime } from 'luxon';
import type { ICredentialDataDecryptedObject, ICredentialType } from 'n8n-workflow';

import { AthenahealthApi } from '../../credentials/AthenahealthApi.credentials';
import { DrChronoOAuth2Api } from '../../credentials/DrChronoOAuth2Api.credentials';
import { EhrWebhookApi } from '../../credentials/EhrWebhookApi.credentials';
import { FhirR4Api } from '../../credentials/FhirR4Api.credentials';
import { JourneyStoreApi } from '../../credentials/JourneyStoreApi.credentials';
import { PostVisitSmtpApi } from '../../credentials/PostVisitSmtpApi.credentials';
import { PostVisitTwilioApi } from '../../credentials/PostVisitTwilioApi.credentials';
import { PracticeProfileApi } from '../../credentials/PracticeProfileApi.credentials';
import type { VisitEvent } from '../../nodes/shared/core/schemas';
import { testContactHashSecret } from './contactHashSecret';

export { testContactHashSecret } from './contactHashSecret';
export { zoneWhereNowIsAtNight, zoneWhereNowIsBetween } from '../../sandbox/zones';

export function tempDir(prefix = 'post-visit-'): string {
	return mkdtempSync(join(tmpdir(), prefix));
}

export function visitEvent(overrides: Partial<VisitEvent> = {}): VisitEvent {
	return {
		kind: 'visit',
		schemaVersion: 1,
		ehr: 'fhir',
		patientId: 'pat-1',
		zone: 'America/Chicago',
		zoneSource: 'patient',
		patient: {
			firstName: 'Ana',
			phones: [{ number: '+15125550101', kind: 'mobile' }],
			email: 'ana@example.test',
			language: 'en',
		},
		consent: { sms: true, email: true, voice: true },
		visitId: 'enc-1',
		visitType: 'encounter',
		completedAt: DateTime.utc().minus({ minutes: 5 }).toISO() as string,
		visitDate: DateTime.utc().toISODate() as string,
		actionItems: [
			{ type: 'followUpVisit', description: 'Book your 2-week follow-up visit', orderId: 'sr-1', done: false },
		],
		...overrides,
	};
}

export function practiceProfileCredential(overrides: Record<string, unknown> = {}) {
	return {
		practiceName: 'Riverside Family Medicine',
		practicePhone: '(512) 555-0100',
		defaultZone: 'America/Chicago',
		defaultLanguage: 'en',
		windowStart: '09:00',
		windowEnd: '20:00',
		closedWeekdays: [],
		holidays: '',
		automatedPerJourney: 2,
		stage3PerJourney: 1,
		perPatientPerDay: 1,
		channelOrder: 'sms,email',
		schedulingLinks: JSON.stringify({ default: 'https://schedule.example.test/book?order={orderId}' }),
		staff: JSON.stringify([
			{ key: 'care-coordinator', name: 'Maria Lopez', ehrUserId: 'Practitioner/staff-1', email: 'maria@example.test', notifyBy: 'email' },
		]),
		...overrides,
	};
}

/** Every credential class of the pack, by name, so the engine applies their authenticate/preAuthentication. */
export function packCredentialTypes(): Record<string, ICredentialType> {
	const instances: ICredentialType[] = [
		new AthenahealthApi(),
		new DrChronoOAuth2Api(),
		new EhrWebhookApi(),
		new FhirR4Api(),
		new JourneyStoreApi(),
		new PostVisitSmtpApi(),
		new PostVisitTwilioApi(),
		new PracticeProfileApi(),
	];
	return Object.fromEntries(instances.map((type) => [type.name, type]));
}

export function journeyStoreCredential(sqlitePath: string): ICredentialDataDecryptedObject {
	return { backend: 'sqlite', sqlitePath, contactHashSecret: testContactHashSecret };
}

/** A FHIR R4 credential for the local FHIR server (no auth unless the server asks for a bearer token). */
export function fhirCredential(server: { url: string }, bearerToken?: string): ICredentialDataDecryptedObject {
	return bearerToken
		? { baseUrl: server.url, authentication: 'bearer', bearerToken, accessToken: '' }
		: { baseUrl: server.url, authentication: 'none', accessToken: '' };
}

/** An athenahealth credential for the local athena server: the token comes from the credential's preAuthentication. */
export function athenaCredential(
	server: { url: string; practiceId: string },
	client: { clientId: string; clientSecret: string },
): ICredentialDataDecryptedObject {
	return {
		environment: 'custom',
		baseUrl: server.url,
		clientId: client.clientId,
		clientSecret: client.clientSecret,
		practiceId: server.practiceId,
		scope: 'athena/service/Athenanet.MDP.*',
		accessToken: '',
	};
}

/**
 * A connected DrChrono OAuth2 credential for the local DrChrono server, as n8n stores it after the OAuth dance:
 * n8n-core's requestOAuth2 signs requests with `oauthTokenData.access_token` (the server accepts `accessToken`).
 */
export function drChronoCredential(server: { url: string }, accessToken: string): ICredentialDataDecryptedObject {
	return {
		baseUrl: server.url,
		grantType: 'authorizationCode',
		authUrl: `${server.url}/o/authorize/`,
		accessTokenUrl: `${server.url}/o/token/`,
		clientId: 'sandbox-client-id',
		clientSecret: 'sandbox-client-secret',
		scope: 'user:read calendar:read clinical:read patients:read labs:read tasks:read tasks:write',
		authentication: 'body',
		oauthTokenData: { access_token: accessToken, refresh_token: 'sandbox-refresh', token_type: 'Bearer', expires_in: 172800 },
	};
}
