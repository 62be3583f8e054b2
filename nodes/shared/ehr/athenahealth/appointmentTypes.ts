import { ownServerLink } from '../http';
import type { AppointmentTypeOption, HttpRequest } from '../types';
import { EHR } from './mapping';
import type { AthenaShared } from './options';
import { appointmentTypeListSchema } from './schemas';

/**
 * listAppointmentTypes of the athenahealth adapter: GET /v1/{practiceid}/appointmenttypes, following `next`.
 * Types athena keeps for schedule templates only are left out (no appointment is booked with them). The value is
 * the appointmenttypeid, which the follow-up check compares with each appointment's.
 */
export function createAppointmentTypeLister({ client, options }: AthenaShared) {
	return async function listAppointmentTypes(): Promise<AppointmentTypeOption[]> {
		const found: AppointmentTypeOption[] = [];
		const url = client.pathOf('appointmenttypes');
		let request: HttpRequest = { method: 'GET', url, qs: { hidetemplatetypeonly: 'true' } };
		for (let page = 0; page < (options.maxPages ?? 20); page++) {
			const response = await client.send(request, 'listing the appointment types');
			const list = client.parse(appointmentTypeListSchema, response.body, 'appointmenttypes');
			for (const type of list.appointmenttypes) {
				if (type.templatetypeonly) continue;
				const details = [
					type.shortname,
					type.duration ? `${type.duration} min` : undefined,
					type.patient === false ? 'not for patients' : undefined,
				].filter(Boolean);
				found.push({ value: type.appointmenttypeid, name: type.name, description: details.join(' · ') || undefined });
			}
			if (!list.next || list.appointmenttypes.length === 0) break;
			request = { method: 'GET', url: ownServerLink(list.next, EHR, 'next', options.baseUrl) };
		}
		return found.sort((a, b) => a.name.localeCompare(b.name));
	};
}
