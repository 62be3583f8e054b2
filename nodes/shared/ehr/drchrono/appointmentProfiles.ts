import type { AppointmentTypeOption } from '../types';
import type { DrChronoShared } from './options';
import { appointmentProfileSchema } from './schemas';

/**
 * listAppointmentTypes of the DrChrono adapter: the appointment profiles (GET /api/appointment_profiles), the
 * archived ones left out. The value is the profile id, which the follow-up check compares with each appointment's
 * `profile`.
 */
export function createAppointmentProfileLister({ client }: DrChronoShared) {
	return async function listAppointmentTypes(): Promise<AppointmentTypeOption[]> {
		const action = 'listing the appointment profiles';
		const profiles = await client.listAll('/api/appointment_profiles', {}, appointmentProfileSchema, action);
		return profiles
			.filter((profile) => !profile.archived)
			.map(({ id, name, duration }) => ({ value: id, name, description: duration ? `${duration} min` : undefined }))
			.sort((a, b) => a.name.localeCompare(b.name));
	};
}
