import type { Phone, ZoneSource } from './schemas';
import { zonesOfAreaCode, zonesOfZip5 } from './zoneTables';

/*
 * The patient's zone, for quiet hours that are the recipient's local time (TCPA), not the practice's:
 *   1. a zone recorded on the patient themselves (FHIR's timezone extension), when the EHR has one;
 *   2. else the ZIP code of their address;
 *   3. else the area code of their mobile number;
 *   4. else the EHR's own sources (location, department, doctor, practice), which the adapter resolves.
 * A ZIP code or area code spanning zones gives them all: the primary one (most people's) is `zone`, the rest are
 * `extraZones`, and the send window must hold in every one. Pure: the adapters pass the facts in.
 */

export interface PatientZone {
	zone: string;
	extraZones: string[];
	source: ZoneSource;
}

export interface PatientAddressFacts {
	/** The address's postal code as the EHR holds it ("10001", "10001-2345", "100012345"). */
	postalCode?: string | null;
	/** The address's country, when the EHR records one; a non-US country's postal code is not looked up. */
	country?: string | null;
	phones: readonly Phone[];
}

const usCountries = new Set(['', 'us', 'usa', 'united states', 'united states of america', '840', 'pr', 'gu', 'vi', 'as', 'mp']);

/** The five-digit ZIP code of a US postal code, or undefined. */
export function zip5Of(postalCode: string | null | undefined, country?: string | null): string | undefined {
	if (!usCountries.has((country ?? '').trim().toLowerCase())) return undefined;
	const match = /^(\d{5})(?:-?\d{4})?$/.exec((postalCode ?? '').trim());
	return match?.[1];
}

/**
 * The number whose area code tells where the patient is: their first mobile, else the first number of unknown
 * kind (often a mobile the EHR did not label). A known landline is not used: texts go to the mobile.
 */
export function areaCodeOf(phones: readonly Phone[]): string | undefined {
	const phone = phones.find((candidate) => candidate.kind === 'mobile') ?? phones.find((candidate) => candidate.kind === 'unknown');
	const match = /^\+1(\d{3})\d{7}$/.exec(phone?.number ?? '');
	return match?.[1];
}

function derived(zones: readonly string[], source: ZoneSource): PatientZone {
	const [zone, ...extraZones] = zones;
	return { zone, extraZones, source };
}

/** Steps 2 and 3: the zone from the ZIP code, else from the area code; undefined when neither is in the tables. */
export function zoneFromPatientAddress(facts: PatientAddressFacts): PatientZone | undefined {
	const zip5 = zip5Of(facts.postalCode, facts.country);
	const byZip = zip5 ? zonesOfZip5(zip5) : undefined;
	if (byZip) return derived(byZip, 'zip');
	const areaCode = areaCodeOf(facts.phones);
	const byAreaCode = areaCode ? zonesOfAreaCode(areaCode) : undefined;
	return byAreaCode ? derived(byAreaCode, 'areaCode') : undefined;
}

/**
 * The whole decision once the adapter has read the EHR: the patient's own zone, else ZIP, else area code, else
 * `fallback` (the adapter's location / department / doctor / practice chain, called only when needed).
 */
export async function patientZoneOf(
	facts: PatientAddressFacts & { patientZone?: string | null },
	fallback: () => PatientZone | Promise<PatientZone>,
): Promise<PatientZone> {
	if (facts.patientZone) return { zone: facts.patientZone, extraZones: [], source: 'patient' };
	return zoneFromPatientAddress(facts) ?? (await fallback());
}

export interface ZoneFields {
	zone: string;
	zoneSource: ZoneSource;
	extraZones?: string[];
	recordZone?: string;
}

/**
 * The event fields of a zone: `extraZones` only when there are some, `recordZone` (the zone the EHR's own times
 * are read in) only when it differs from the patient's, so single-zone events keep their shape.
 */
export function zoneFields(patientZone: PatientZone, recordZone?: string): ZoneFields {
	const { zone, extraZones, source } = patientZone;
	return {
		zone,
		zoneSource: source,
		...(extraZones.length > 0 ? { extraZones } : {}),
		...(recordZone && recordZone !== zone ? { recordZone } : {}),
	};
}

/** The zone an adapter reads the EHR's times without an offset in. */
export function ehrTimesZone(fields: Pick<ZoneFields, 'zone' | 'recordZone'>): string {
	return fields.recordZone ?? fields.zone;
}
