import { EhrHttpError } from '../http';
import type { AppointmentTypeOption } from '../types';
import type { FhirShared } from './options';
import { valueSetSchema } from './resources';
import type { ValueSet, ValueSetEntry } from './resources';

/** The ValueSet FHIR R4 binds Appointment.appointmentType to (extensible): HL7 v2 table 0276. */
export const appointmentTypeValueSet = 'http://terminology.hl7.org/ValueSet/v2-0276';

/** Statuses of a server that has no such ValueSet or no ValueSet search at all: then the types are typed by hand. */
function hasNoList(error: unknown): boolean {
	return error instanceof EhrHttpError && [400, 403, 404, 405, 410, 501].includes(error.status);
}

function codesOf(valueSet: ValueSet): Array<{ system?: string; code: string; display?: string }> {
	const flat: Array<{ system?: string; code?: string; display?: string }> = [];
	const walk = (entries: ValueSetEntry[] | undefined) => {
		for (const entry of entries ?? []) {
			flat.push(entry);
			walk(entry.contains);
		}
	};
	walk(valueSet.expansion?.contains);
	for (const include of valueSet.compose?.include ?? []) {
		for (const concept of include.concept ?? []) flat.push({ system: include.system, ...concept });
	}
	return flat.filter((entry): entry is { system?: string; code: string; display?: string } => Boolean(entry.code));
}

/**
 * listAppointmentTypes of the FHIR adapter: the codes of the appointment-type ValueSets the server holds
 * (`ValueSet?url=`), expanded or composed. A server without them (eClinicalWorks, most EHRs) gives an empty list.
 * The value is the code, which the follow-up check compares with each appointment's appointmentType and serviceType.
 */
export function createAppointmentTypeLister({ client, options }: FhirShared) {
	return async function listAppointmentTypes(): Promise<AppointmentTypeOption[]> {
		const urls = options.appointmentTypeValueSets?.length ? options.appointmentTypeValueSets : [appointmentTypeValueSet];
		let valueSets: ValueSet[];
		try {
			valueSets = await client.search('ValueSet', { url: urls.join(',') }, valueSetSchema, 2);
		} catch (error) {
			if (hasNoList(error)) return [];
			throw error;
		}
		const byCode = new Map<string, AppointmentTypeOption>();
		for (const entry of valueSets.flatMap(codesOf)) {
			if (byCode.has(entry.code)) continue;
			const description = [entry.code, entry.system].filter(Boolean).join(' · ');
			byCode.set(entry.code, { value: entry.code, name: entry.display || entry.code, description });
		}
		return [...byCode.values()].sort((a, b) => a.name.localeCompare(b.name));
	};
}
