import type { SmsConsentResult, SmsConsentUpdate } from '../types';
import { numericId } from './client';
import type { DrChronoShared } from './options';
import { patientSchema } from './schemas';

/**
 * DrChrono's per-patient switch `disable_sms_messages` ("suppress SMS/Txt messages to this patient even if we
 * have a cell phone #"), written with PATCH /api/patients/{id} (scope patients:write); resolveVisit reads it.
 */
export function createSmsConsentUpdater({ client }: DrChronoShared) {
	return async function updateSmsConsent(update: SmsConsentUpdate): Promise<SmsConsentResult> {
		const id = numericId(update.patientId, 'patientId');
		const patient = await client.getOne(`/api/patients/${id}`, patientSchema, 'reading the patient');
		const disabled = !update.allowed;
		if ((patient.disable_sms_messages === true) === disabled) {
			return { status: 'unchanged', detail: `DrChrono patient disable_sms_messages was already ${disabled}` };
		}
		await client.send({ method: 'PATCH', url: `/api/patients/${id}`, body: { disable_sms_messages: disabled } }, "updating the patient's SMS setting");
		return { status: 'updated', detail: `DrChrono patient disable_sms_messages set to ${disabled}` };
	};
}
