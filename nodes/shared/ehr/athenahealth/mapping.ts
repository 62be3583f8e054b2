import { DateTime } from 'luxon';

import { emailAddress, toE164 } from '../../core/addresses';
import type { ActionItemType, Channel, Consent, Phone } from '../../core/schemas';
import { isValidZoneName } from '../../core/zones';
import { errorBodySchema } from './schemas';
import type { AthenaDepartment, AthenaOrder, AthenaPatient } from './schemas';

export const EHR = 'athenahealth';

/** athenaNet's own clock: the changed feed's processed window is documented in Eastern time. */
export const athenaServerZone = 'America/New_York';

/** "MM/DD/YYYY" → "YYYY-MM-DD", or undefined when it is not such a date. */
export function isoDateFromAthena(value: string | undefined): string | undefined {
	if (!value) return undefined;
	const parsed = DateTime.fromFormat(value.trim(), 'MM/dd/yyyy', { zone: 'utc' });
	return parsed.isValid ? (parsed.toISODate() as string) : undefined;
}

/** "YYYY-MM-DD" → "MM/DD/YYYY". */
export function athenaDate(isoDate: string): string {
	return DateTime.fromISO(isoDate, { zone: 'utc' }).toFormat('MM/dd/yyyy');
}

/** An instant as athenaNet writes datetimes in the changed-feed parameters: "MM/DD/YYYY HH:mm:ss" Eastern. */
export function easternDateTime(instant: Date | DateTime): string {
	const dateTime = instant instanceof Date ? DateTime.fromJSDate(instant) : instant;
	return dateTime.setZone(athenaServerZone).toFormat('MM/dd/yyyy HH:mm:ss');
}

/** An instant as the ISO UTC string the visit event carries. */
export function isoOf(dateTime: DateTime): string {
	return dateTime.toUTC().toISO() as string;
}

const dateTimeFormats = ['MM/dd/yyyy HH:mm:ss', 'MM/dd/yyyy HH:mm', 'MM/dd/yyyy hh:mm a', 'MM/dd/yyyy'];

/**
 * An athena datetime ("06/02/2020 09:06:50", "08/22/2011 09:50 AM", or ISO with an offset) read in `zone`
 * when it carries no offset itself. Undefined when unreadable.
 */
export function athenaDateTime(value: string | undefined, zone: string): DateTime | undefined {
	if (!value) return undefined;
	const trimmed = value.trim();
	for (const format of dateTimeFormats) {
		const parsed = DateTime.fromFormat(trimmed, format, { zone });
		if (parsed.isValid) return parsed;
	}
	const iso = DateTime.fromISO(trimmed, { zone, setZone: true });
	return iso.isValid ? iso : undefined;
}

/** A visit's scheduled start: the department-local date and "HH:mm" start time. */
export function appointmentStart(
	date: string | undefined,
	startTime: string | undefined,
	zone: string,
): DateTime | undefined {
	const isoDate = isoDateFromAthena(date);
	if (!isoDate) return undefined;
	const trimmed = startTime?.trim() ?? '';
	const time = /^\d{1,2}:\d{2}$/.test(trimmed) ? trimmed.padStart(5, '0') : '00:00';
	const parsed = DateTime.fromISO(`${isoDate}T${time}`, { zone });
	return parsed.isValid ? parsed : undefined;
}

/** A North American number → the ten digits athena stores; undefined for any other number. */
export function athenaPhone(number: string | undefined): string | undefined {
	const e164 = toE164(number);
	return e164?.startsWith('+1') ? e164.slice(2) : undefined;
}

/**
 * Mobile phone → "mobile". The home phone is "unknown", not "landline": many are mobiles now, and the channel
 * router learns a real landline from Twilio (error 21614) and falls back. Work phones are not used, nor the
 * emergency contact's numbers (contactmobilephone).
 */
export function phonesOf(patient: AthenaPatient): Phone[] {
	const phones: Phone[] = [];
	const candidates: Array<[string | undefined, Phone['kind']]> = [
		[patient.mobilephone, 'mobile'],
		[patient.homephone, 'unknown'],
	];
	for (const [raw, kind] of candidates) {
		const number = toE164(raw);
		if (number && !phones.some((phone) => phone.number === number)) phones.push({ number, kind });
	}
	return phones;
}

/** ISO 639-2 (athena's language6392code) → BCP-47. */
const languageByIso6392: Record<string, string> = {
	eng: 'en',
	spa: 'es',
	fre: 'fr',
	fra: 'fr',
	chi: 'zh',
	zho: 'zh',
	vie: 'vi',
	kor: 'ko',
	rus: 'ru',
	ara: 'ar',
	por: 'pt',
	ger: 'de',
	deu: 'de',
	ita: 'it',
	pol: 'pl',
	jpn: 'ja',
	tgl: 'tl',
	hat: 'ht',
	hin: 'hi',
	per: 'fa',
	fas: 'fa',
	urd: 'ur',
	ben: 'bn',
	pan: 'pa',
	guj: 'gu',
	hmn: 'hmn',
	som: 'so',
	amh: 'am',
	nep: 'ne',
	ukr: 'uk',
	gre: 'el',
	ell: 'el',
	heb: 'he',
	tha: 'th',
	khm: 'km',
	lao: 'lo',
	bur: 'my',
	mya: 'my',
};

const languageByName: Record<string, string> = {
	english: 'en',
	spanish: 'es',
	french: 'fr',
	chinese: 'zh',
	mandarin: 'zh',
	cantonese: 'zh',
	vietnamese: 'vi',
	korean: 'ko',
	russian: 'ru',
	arabic: 'ar',
	portuguese: 'pt',
	german: 'de',
	italian: 'it',
	polish: 'pl',
	japanese: 'ja',
	tagalog: 'tl',
	'haitian creole': 'ht',
};

/** The patient's language as BCP-47: language6392code, then the language name, then the practice default. */
export function languageOf(patient: AthenaPatient, fallback: string): string {
	const code = patient.language6392code?.trim().toLowerCase();
	if (code && languageByIso6392[code]) return languageByIso6392[code];
	const name = patient.language?.trim().toLowerCase();
	if (name && languageByName[name]) return languageByName[name];
	return fallback;
}

/**
 * athena's `contactpreference` (MU "preferred contact method"). Only the values whose channel is clear are
 * mapped; MAIL (postal) and PORTAL leave the practice's channel order in charge.
 */
export function preferredChannelOf(contactPreference: string | undefined): Channel | undefined {
	switch (contactPreference?.trim().toUpperCase()) {
		case 'MOBILEPHONE':
			return 'sms';
		case 'HOMEPHONE':
		case 'WORKPHONE':
			return 'voice';
		case 'EMAIL':
			return 'email';
		default:
			return undefined;
	}
}

/**
 * Consent from athena's FCC flags: `consenttotext` (texts) and `consenttocall` (automated calls), with
 * `donotcall` vetoing calls. A flag athena did not return counts as `whenUnrecorded` (default false: no
 * recorded consent, no automated text or call). Email has no flag in athena and stays allowed.
 */
export function consentOf(patient: AthenaPatient, whenUnrecorded: boolean): Consent {
	return {
		sms: patient.consenttotext ?? whenUnrecorded,
		voice: patient.donotcall === true ? false : (patient.consenttocall ?? whenUnrecorded),
		email: true,
	};
}

/** The patient's email when it is one the pack can send to; athena stores free text. */
export function emailOf(patient: AthenaPatient): string | undefined {
	return emailAddress(patient.email);
}

/** IANA link names athena returns (US/Eastern…) → their canonical zones, so journeys show familiar names. */
const canonicalZones: Record<string, string> = {
	'US/Eastern': 'America/New_York',
	'US/Central': 'America/Chicago',
	'US/Mountain': 'America/Denver',
	'US/Pacific': 'America/Los_Angeles',
	'US/Arizona': 'America/Phoenix',
	'US/Alaska': 'America/Anchorage',
	'US/Hawaii': 'Pacific/Honolulu',
	'US/Aleutian': 'America/Adak',
	'US/East-Indiana': 'America/Indiana/Indianapolis',
	'US/Michigan': 'America/Detroit',
	'US/Samoa': 'Pacific/Pago_Pago',
};

/** US zones by athena's "normal" offset and whether the department observes DST. */
const zoneByOffset: Record<string, string> = {
	'-4:false': 'America/Puerto_Rico',
	'-5:true': 'America/New_York',
	'-6:true': 'America/Chicago',
	'-7:true': 'America/Denver',
	'-7:false': 'America/Phoenix',
	'-8:true': 'America/Los_Angeles',
	'-9:true': 'America/Anchorage',
	'-10:false': 'Pacific/Honolulu',
	'-10:true': 'America/Adak',
	'10:false': 'Pacific/Guam',
	'-11:false': 'Pacific/Pago_Pago',
};

/**
 * The department's IANA zone: `timezonename` when it is a valid IANA name (recorded responses show
 * "US/Eastern"), else `timezoneoffset` + `doesnotobservedst` mapped to a US zone. Undefined when neither works.
 */
export function zoneOfDepartment(department: AthenaDepartment | undefined): string | undefined {
	if (!department) return undefined;
	const name = department.timezonename?.trim();
	if (name && isValidZoneName(name)) return canonicalZones[name] ?? name;
	if (department.timezoneoffset !== undefined) {
		const observesDst = department.doesnotobservedst !== true;
		return zoneByOffset[`${department.timezoneoffset}:${observesDst}`];
	}
	return undefined;
}

/** Generic patient-facing phrases: athena's order descriptions are clinical text and never reach the patient. */
export const actionDescriptions: Record<ActionItemType, string> = {
	followUpVisit: 'Book your follow-up visit',
	imaging: 'Schedule your imaging appointment',
	referral: 'Book your specialist appointment',
	lab: 'Get your lab work done',
	prescription: 'Pick up your prescription',
};

const ignoredOrderStatuses = new Set(['DELETED', 'DENIED', 'DECLINED', 'CANCELLED', 'CANCELED']);

/**
 * The action type of an athena order, from its class (PRESCRIPTION, LAB, IMAGING, REFERRAL…) or, for the
 * generic class ORDER, its order type ("Imaging", "Lab"). Patient-info handouts, vaccines given in the office,
 * documentation-only and deleted/denied orders are not actions for the patient.
 */
export function actionTypeOfOrder(order: AthenaOrder): ActionItemType | undefined {
	if (order.documentationonly === true) return undefined;
	if (order.status && ignoredOrderStatuses.has(order.status.toUpperCase())) return undefined;
	const orderClass = order.class?.trim().toUpperCase() ?? '';
	if (orderClass === 'PRESCRIPTION') return 'prescription';
	if (orderClass === 'LAB') return 'lab';
	if (orderClass === 'IMAGING') return 'imaging';
	if (orderClass === 'REFERRAL' || orderClass === 'CONSULT') return 'referral';
	if (orderClass !== '' && orderClass !== 'ORDER') return undefined;
	const orderType = order.ordertype?.trim().toLowerCase() ?? '';
	if (/imaging|radiolog|x-?ray|\bmri\b|\bct\b|ultrasound|mammo/.test(orderType)) return 'imaging';
	if (/\blab/.test(orderType)) return 'lab';
	if (/referr|consult/.test(orderType)) return 'referral';
	if (/prescri|medication/.test(orderType)) return 'prescription';
	return undefined;
}

/**
 * A closed lab or imaging order has its result back: the patient's part is done. A closed prescription or
 * referral only means it was sent; the patient still has to act.
 */
export function orderIsDone(order: AthenaOrder, type: ActionItemType): boolean {
	return order.status?.toUpperCase() === 'CLOSED' && (type === 'lab' || type === 'imaging');
}

/**
 * A short, PHI-free summary of an athena error body: the `error` (or `errormessage`) text, with digit runs and
 * email addresses masked, cut to 120 characters. `detailedmessage` is used only when nothing else is there.
 */
export function vendorErrorText(body: unknown): string | undefined {
	const parsed = errorBodySchema.safeParse(body);
	let text: string | undefined;
	if (parsed.success) {
		text = parsed.data.error ?? parsed.data.errormessage ?? parsed.data.message ?? parsed.data.detailedmessage;
	} else if (typeof body === 'string' && body.length > 0 && !body.trimStart().startsWith('<')) {
		text = body;
	}
	if (!text) return undefined;
	const masked = text
		.replace(/[^\s@()<>[\],;:"']+@[^\s@()<>[\],;:"']+/g, '[email]')
		.replace(/\d{3,}/g, '#')
		.replace(/\s+/g, ' ')
		.trim();
	return masked.length > 120 ? `${masked.slice(0, 117)}...` : masked;
}

/** The full raw error text (for matching known messages, never for logging). */
export function rawVendorError(body: unknown): string {
	const parsed = errorBodySchema.safeParse(body);
	if (parsed.success) {
		return [parsed.data.error, parsed.data.detailedmessage, parsed.data.errormessage, parsed.data.message]
			.filter(Boolean)
			.join(' ');
	}
	return typeof body === 'string' ? body : '';
}

export const statusNames: Record<string, string> = {
	x: 'cancelled',
	f: 'future',
	o: 'open slot',
	'2': 'checked in',
	'3': 'checked out',
	'4': 'charge entered',
};

export function isCompletedStatus(status: string | undefined): boolean {
	return status === '3' || status === '4';
}
