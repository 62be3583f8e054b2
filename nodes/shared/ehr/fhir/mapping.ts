import { DateTime } from 'luxon';

import { emailAddress, toE164 } from '../../core/addresses';
import type { ActionItemType, Consent, Phone } from '../../core/schemas';
import { isValidZoneName } from '../../core/zones';
import type {
	CodeableConcept,
	ContactPoint,
	FhirExtension,
	FhirReference,
	Patient,
	ServiceRequest,
} from './resources';

/** FHIR's id syntax, without the ids made only of dots: `.` and `..` are path segments, not ids. */
const fhirIdPattern = /^(?!\.+$)[A-Za-z0-9\-.]{1,64}$/;

export function isFhirId(value: string): boolean {
	return fhirIdPattern.test(value);
}

/** `Encounter/123`, `https://x/fhir/Encounter/123`, `Encounter/123/_history/2` → type and id. */
export function parseReference(reference: string | undefined): { type: string; id: string } | undefined {
	if (!reference) return undefined;
	const match = /(?:^|\/)([A-Z][A-Za-z]{1,63})\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/[^/]+)?$/.exec(reference.trim());
	return match && isFhirId(match[2]) ? { type: match[1], id: match[2] } : undefined;
}

/** The absolute URL of a reference given in full (`https://x/fhir/Encounter/123/_history/2` → `…/Encounter/123`). */
export function absoluteReferenceUrl(reference: string | undefined): string | undefined {
	const trimmed = reference?.trim();
	return trimmed && /^https?:\/\//i.test(trimmed) ? trimmed.replace(/\/_history\/[^/]+$/, '') : undefined;
}

export function referenceId(reference: FhirReference | undefined, type: string): string | undefined {
	const parsed = parseReference(reference?.reference);
	return parsed?.type === type ? parsed.id : undefined;
}

/** Time-zone extensions read, in order: the FHIR core `timezone`, its R4-era name `tz-code`, and the short `tz`. */
export const timezoneExtensionUrls = [
	'http://hl7.org/fhir/StructureDefinition/timezone',
	'http://hl7.org/fhir/StructureDefinition/tz-code',
	'http://hl7.org/fhir/StructureDefinition/tz',
];

export function zoneFromExtensions(extensions: FhirExtension[] | undefined): string | undefined {
	for (const url of timezoneExtensionUrls) {
		const value = extensions?.find((extension) => extension.url === url);
		const zone = value?.valueCode ?? value?.valueString;
		if (zone && isValidZoneName(zone)) return zone;
	}
	return undefined;
}

/**
 * Contact consent is not a standard Patient field. A practice that tracks it in the EHR marks it with this
 * extension (sub-extensions `sms`, `email`, `voice`, valueBoolean); a channel it does not mention is allowed.
 * Absent means allowed on every channel — the journey store's opt-out list (STOP replies, Twilio 21610) and
 * the compliance guard still apply, so "absent → true" never overrides a patient's own opt-out.
 */
export const consentExtensionUrl = 'urn:n8n-post-visit:contact-consent';

export function consentOf(patient: Patient): Consent {
	const consent: Consent = { sms: true, email: true, voice: true };
	const extension = patient.extension?.find((candidate) => candidate.url === consentExtensionUrl);
	for (const part of extension?.extension ?? []) {
		if ((part.url === 'sms' || part.url === 'email' || part.url === 'voice') && typeof part.valueBoolean === 'boolean') {
			consent[part.url] = part.valueBoolean;
		}
	}
	return consent;
}

type JsonObject = Record<string, unknown>;

/**
 * The Patient as read (every element kept, for a full-resource PUT) with the consent extension's `sms` set to
 * `allowed`; undefined when it already says so. Other channels in the extension and other extensions stay.
 */
export function withSmsConsent(patient: JsonObject, allowed: boolean): JsonObject | undefined {
	const extensions = Array.isArray(patient.extension) ? (patient.extension as JsonObject[]) : [];
	const index = extensions.findIndex((extension) => extension.url === consentExtensionUrl);
	const parts = index >= 0 && Array.isArray(extensions[index].extension) ? (extensions[index].extension as JsonObject[]) : [];
	const sms = parts.find((part) => part.url === 'sms');
	const current = typeof sms?.valueBoolean === 'boolean' ? sms.valueBoolean : true;
	// Absent counts as allowed (consentOf), so START on a record that never said otherwise writes nothing.
	if (current === allowed) return undefined;
	const consent = {
		...(index >= 0 ? extensions[index] : {}),
		url: consentExtensionUrl,
		extension: [...parts.filter((part) => part.url !== 'sms'), { url: 'sms', valueBoolean: allowed }],
	};
	const next = index >= 0 ? extensions.map((extension, at) => (at === index ? consent : extension)) : [...extensions, consent];
	return { ...patient, extension: next };
}

/** The given name a message greets with: the `usual` name first, then `official`, then any. */
export function firstNameOf(patient: Patient): string | undefined {
	const names = patient.name ?? [];
	const ordered = [
		...names.filter((name) => name.use === 'usual'),
		...names.filter((name) => name.use === 'official'),
		...names.filter((name) => name.use !== 'old' && name.use !== 'usual' && name.use !== 'official'),
	];
	for (const name of ordered) {
		const given = name.given?.find((part) => part.trim().length > 0)?.trim();
		if (given) return given.slice(0, 60);
	}
	return undefined;
}

function isCurrent(contact: ContactPoint): boolean {
	return contact.use !== 'old' && !contact.period?.end && typeof contact.value === 'string';
}

function byRank(a: ContactPoint, b: ContactPoint): number {
	return (a.rank ?? Number.MAX_SAFE_INTEGER) - (b.rank ?? Number.MAX_SAFE_INTEGER);
}

/**
 * Phones from `telecom`: `system=sms` or `use=mobile` → mobile; a home/work `system=phone` → unknown (FHIR
 * does not say whether a number takes texts; Twilio's 21614 tells us later). Ordered by rank; a number listed
 * twice keeps its most specific kind.
 */
export function phonesOf(patient: Patient, defaultCountryCode?: string): Phone[] {
	const phones: Phone[] = [];
	for (const contact of (patient.telecom ?? []).filter(isCurrent).sort(byRank)) {
		if (contact.system !== 'phone' && contact.system !== 'sms') continue;
		// National numbers are read in `defaultCountryCode` (NANP "1" by default: US Core servers).
		const number = toE164(contact.value, { defaultCountryCode });
		if (!number) continue;
		const kind: Phone['kind'] = contact.system === 'sms' || contact.use === 'mobile' ? 'mobile' : 'unknown';
		const existing = phones.find((phone) => phone.number === number);
		if (existing) {
			if (kind === 'mobile') existing.kind = 'mobile';
			continue;
		}
		phones.push({ number, kind });
	}
	return phones;
}

/** The postal code of the patient's current home address (else of any current one that is not "old" or "billing"). */
export function postalAddressOf(patient: Patient): { postalCode?: string; country?: string } | undefined {
	const current = (patient.address ?? []).filter(
		(address) => address.postalCode && !address.period?.end && !['old', 'billing'].includes(address.use ?? ''),
	);
	const address = current.find((candidate) => candidate.use === 'home') ?? current[0];
	return address ? { postalCode: address.postalCode, country: address.country } : undefined;
}

export function emailOf(patient: Patient): string | undefined {
	for (const contact of (patient.telecom ?? []).filter(isCurrent).sort(byRank)) {
		if (contact.system !== 'email') continue;
		const value = emailAddress(contact.value?.trim().replace(/^mailto:/i, ''));
		if (value) return value;
	}
	return undefined;
}

/** The channel of the contact point ranked 1, when the patient ranked one (FHIR's only preference signal). */
export function preferredChannelOf(patient: Patient): 'sms' | 'email' | undefined {
	const top = (patient.telecom ?? []).filter(isCurrent).filter((contact) => contact.rank === 1)[0];
	if (!top) return undefined;
	if (top.system === 'email') return 'email';
	if (top.system === 'sms' || (top.system === 'phone' && top.use === 'mobile')) return 'sms';
	return undefined;
}

const languageTag = /^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*$/;

/** `communication` marked preferred, else the first; a code that is not a BCP-47 tag falls back. */
export function languageOf(patient: Patient, fallback: string): string {
	const communications = patient.communication ?? [];
	const chosen = communications.find((entry) => entry.preferred) ?? communications[0];
	const code = chosen?.language.coding?.find((coding) => coding.code && languageTag.test(coding.code))?.code;
	return code ?? fallback;
}

/** Local calendar date of an instant or date in `zone`; a bare date stays as written. */
export function localDate(value: string, zone: string): string | undefined {
	if (/^\d{4}-\d{2}-\d{2}$/.test(value)) return value;
	const parsed = DateTime.fromISO(value, { setZone: true });
	return parsed.isValid ? (parsed.setZone(zone).toISODate() ?? undefined) : undefined;
}

const snomed = 'http://snomed.info/sct';
const loinc = 'http://loinc.org';
const cpt = 'http://www.ama-assn.org/go/cpt';

function codes(concepts: Array<CodeableConcept | undefined>, system?: string): string[] {
	return concepts.flatMap((concept) =>
		(concept?.coding ?? [])
			.filter((coding) => system === undefined || coding.system === system)
			.map((coding) => coding.code ?? '')
			.filter(Boolean),
	);
}

function cptIn(concept: CodeableConcept | undefined, from: number, to: number): boolean {
	return codes([concept], cpt).some((code) => /^\d{5}$/.test(code) && Number(code) >= from && Number(code) <= to);
}

/**
 * ServiceRequest → action item type. First match wins:
 * | signal | type |
 * |---|---|
 * | code SNOMED 390906007 follow-up encounter, 185389009 follow-up visit, or CPT 99211–99215 (office visit) | followUpVisit |
 * | category or code SNOMED 3457005 patient referral, or category 387713003 surgical procedure | referral |
 * | category SNOMED 363679005 imaging, or CPT 70010–79999 (radiology) | imaging |
 * | category SNOMED 108252007 laboratory procedure, code system LOINC, or CPT 80047–89398 (pathology/lab) | lab |
 * | category SNOMED 103693007 diagnostic procedure (no more specific signal above) | lab |
 * | category SNOMED 409063005 counselling or 409073007 education | followUpVisit (a visit to book) |
 * | anything else | `unmapped` (default: skipped, never guessed from free text) |
 */
export function actionTypeOf(request: ServiceRequest): ActionItemType | undefined {
	const categories = codes(request.category ?? [], snomed);
	const code = request.code;
	const snomedCodes = codes([code], snomed);
	if (snomedCodes.some((c) => c === '390906007' || c === '185389009') || cptIn(code, 99211, 99215)) return 'followUpVisit';
	if (categories.includes('3457005') || snomedCodes.includes('3457005') || categories.includes('387713003')) return 'referral';
	if (categories.includes('363679005') || cptIn(code, 70010, 79999)) return 'imaging';
	if (categories.includes('108252007') || codes([code], loinc).length > 0 || cptIn(code, 80047, 89398)) return 'lab';
	if (categories.includes('103693007')) return 'lab';
	if (categories.includes('409063005') || categories.includes('409073007')) return 'followUpVisit';
	return undefined;
}

const genericDescription: Record<ActionItemType, string> = {
	followUpVisit: 'Book your follow-up visit',
	imaging: 'Book your imaging appointment',
	referral: 'Book your referral appointment',
	lab: 'Get your lab work done',
	prescription: 'Pick up your prescription',
};

/** What the patient reads: the order's patient instruction, else the order's own text, else a plain default. */
export function descriptionOf(type: ActionItemType, request?: ServiceRequest): string {
	const text = (request?.patientInstruction ?? request?.code?.text ?? '').replace(/\s+/g, ' ').trim();
	if (!text) return genericDescription[type];
	return text.length > 160 ? `${text.slice(0, 159)}…` : text;
}

/** When the order should be done by: the period's end, else its date-time, else the period's start. */
export function dueOf(request: ServiceRequest): string | undefined {
	return request.occurrencePeriod?.end ?? request.occurrenceDateTime ?? request.occurrencePeriod?.start;
}
