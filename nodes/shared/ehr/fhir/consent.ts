import { EhrResponseError } from '../http';
import type { SmsConsentResult, SmsConsentUpdate } from '../types';
import { isUnsupported, resourcePath } from './client';
import { consentExtensionUrl, withSmsConsent } from './mapping';
import type { FhirShared } from './options';
import { EHR } from './resources';

/**
 * The opt-out goes where consentOf reads it: the Patient's consent extension (sub-extension `sms`), written
 * by read-modify-PUT of the whole Patient with If-Match on its version, so a concurrent edit is re-read rather
 * than overwritten. Not a Consent resource: base R4 has no code for "SMS channel" consent, US Core profiles
 * none, and nothing here would read it back. A server refusing Patient update (Epic: read-only Patient) answers
 * 403/405/501 → notSupported, and the opt-out stays in the journey store only.
 */
export function createSmsConsentUpdater({ client }: FhirShared) {
	return async function updateSmsConsent(update: SmsConsentUpdate): Promise<SmsConsentResult> {
		const url = resourcePath('Patient', update.patientId);
		for (let attempt = 0; attempt < 3; attempt++) {
			const read = client.ensureOk(await client.send({ method: 'GET', url }), 'reading Patient');
			const patient = read.body as Record<string, unknown> | undefined;
			if (patient?.resourceType !== 'Patient') throw new EhrResponseError(EHR, 'Patient', 'the server did not return a Patient');
			const next = withSmsConsent(patient, update.allowed);
			if (!next) return { status: 'unchanged', detail: `Patient extension ${consentExtensionUrl} already had sms=${update.allowed}` };
			const version = (patient.meta as { versionId?: string } | undefined)?.versionId;
			const headers: Record<string, string> = { 'Content-Type': 'application/fhir+json' };
			if (version) headers['If-Match'] = `W/"${version}"`;
			const response = await client.send({ method: 'PUT', url, body: next, headers });
			if (response.status >= 200 && response.status < 300) {
				return { status: 'updated', detail: `Patient extension ${consentExtensionUrl} set to sms=${update.allowed}` };
			}
			// 409/412: the Patient changed since it was read; read it again.
			if (response.status === 409 || response.status === 412) continue;
			if (isUnsupported(response)) {
				return {
					status: 'notSupported',
					detail: `the FHIR server refused to update the Patient (HTTP ${response.status}): read-only Patient, or no write scope`,
				};
			}
			client.ensureOk(response, 'updating Patient');
		}
		throw new EhrResponseError(EHR, 'Patient', 'the Patient kept changing while its SMS consent was updated; retry');
	};
}
