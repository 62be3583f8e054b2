import type { SmsConsentResult, SmsConsentUpdate } from '../types';
import type { AthenaShared } from './options';

/**
 * athena's FCC text consent: `consenttotext` on PUT /patients/{patientid} (form-encoded), the same flag
 * resolveVisit reads. athena notes it can only be true with a valid mobile number on file.
 */
export function createSmsConsentUpdater({ client }: AthenaShared) {
	return async function updateSmsConsent(update: SmsConsentUpdate): Promise<SmsConsentResult> {
		const patient = await client.readPatient(update.patientId);
		if (patient.consenttotext === update.allowed) {
			return { status: 'unchanged', detail: `athenahealth patient consenttotext was already ${update.allowed}` };
		}
		await client.send(
			{ method: 'PUT', url: client.pathOf('patients', update.patientId), form: { consenttotext: String(update.allowed) } },
			"updating the patient's text consent",
		);
		return { status: 'updated', detail: `athenahealth patient consenttotext set to ${update.allowed}` };
	};
}
