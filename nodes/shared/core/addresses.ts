import { z } from 'zod';

import type { Channel } from './schemas';

/*
 * The one normaliser of patient addresses: every EHR adapter reads phone numbers and emails with it, and the
 * router, Patient Message, Record Delivery and the journey store's hashes compare them with it, so one number
 * written two ways is one address everywhere.
 */

/**
 * National significant number lengths by country calling code, outside the North American Numbering Plan (+1,
 * which has rules of its own below). The country codes assigned to countries and territories by ITU-T E.164, and
 * the lengths their numbering plans allow, as in Google's libphonenumber metadata (release 9, read through
 * libphonenumber-js 1.13); capped at E.164's 15 digits. Codes for global services (+800, +870, +881…) are left
 * out: a patient's own phone is not one of them.
 */
const nationalLengthsByCountryCode =
	'7:10,14 20:8-10 27:5-10 30:10-12 31:5-11 32:8-9 33:9 34:9 36:8-9 39:6-12 40:6,9 41:9,12 43:4-13 ' +
	'44:7,9-10 45:8 46:6-10,12 47:5,8 48:6-10 49:4-13 51:8-9 52:10 53:6-8,10 54:10-11 55:8-11 56:9-11 ' +
	'57:8,10-11 58:10 60:8-10 61:5-10,12 62:7-13 63:6,8-13 64:5-13 65:8,10-11 66:8-10,13 81:8-13 ' +
	'82:5-6,8-13 84:7-10 86:7-12 90:7,10,12-13 91:8-13 92:8-12 93:9 94:9 95:6-10 98:4-7,10 211:9 ' +
	'212:9 213:8-9 216:8 218:9 220:7,9 221:9 222:8 223:8 224:8-9 225:10 226:8 227:8 228:8 229:10 ' +
	'230:7-8,10 231:7-9 232:8 233:8-9 234:10-12 235:8 236:8 237:8-9 238:7 239:7 240:9 241:7-8 242:9 ' +
	'243:7-10 244:9 245:7,9 246:7 247:5-6 248:7 249:9 250:8-9 251:9 252:6-9 253:8 254:7-10 255:9 ' +
	'256:9 257:8 258:8-9 260:9 261:9 262:9 263:7,9-10 264:8-9 265:7,9 266:8 267:7-8,10 268:8-9 269:7 ' +
	'290:4-5 291:7 297:7 298:6 299:6 350:8 351:9 352:4-11 353:7-10 354:7,9 355:6-9 356:8 357:8 ' +
	'358:5-12 359:6-9,12 370:8 371:8 372:7-8,10 373:8 374:8 375:6-11 376:6,8-9 377:8-9 378:8,10 ' +
	'380:9-10 381:6-12 382:8-9 383:8-12 385:7-9 386:5-8 387:8-9 389:8 420:9-12 421:6-7,9 423:7,9 ' +
	'500:5 501:7,11 502:8,11 503:7-8,11 504:8,11 505:8 506:8,10 507:7-8,10-11 508:6,9 509:8 590:9 ' +
	'591:8-9 592:7 593:8-11 594:9 595:6-11 596:9 597:6-7 598:4-12 599:7-8 670:7-8 672:6 673:7 674:7 ' +
	'675:7-8 676:5,7 677:5,7 678:5,7 679:7,11 680:7 681:6,9 682:5 683:4,7 685:5-7,10 686:5,8 687:6 ' +
	'688:5-7 689:6,8-9 690:4-7 691:7 692:7 850:8,10 852:5-9,11 853:7-8 855:8-10 856:8-10 880:6-10 ' +
	'886:7-11 960:7,10 961:7-8 962:8-9 963:8-9 964:8-10 965:7-8 966:9-10 967:7-9 968:7-9 970:8-10 ' +
	'971:5-12 972:7-12 973:8 974:7-9,11 975:7-8 976:8-10 977:8,10-11 992:9 993:8 994:9 995:9 996:9-10 ' +
	'998:9';

const nanpCountryCode = '1';

let lengthsTable: ReadonlyMap<string, ReadonlySet<number>> | undefined;

function nationalLengths(): ReadonlyMap<string, ReadonlySet<number>> {
	if (lengthsTable) return lengthsTable;
	const table = new Map<string, Set<number>>();
	for (const entry of nationalLengthsByCountryCode.split(' ')) {
		const [code, ranges] = entry.split(':') as [string, string];
		const lengths = new Set<number>();
		for (const range of ranges.split(',')) {
			const [from, to = from] = range.split('-').map(Number) as [number, number?];
			for (let length = from; length <= to; length++) lengths.add(length);
		}
		table.set(code, lengths);
	}
	lengthsTable = table;
	return table;
}

/**
 * A North American number (+1): area code and exchange code each start with 2–9 and are not N11 (211, 311 …
 * 911 are service codes, never an area or an exchange), then four digits.
 */
function isNanpNationalNumber(digits: string): boolean {
	const match = /^([2-9]\d{2})([2-9]\d{2})\d{4}$/.exec(digits);
	return match !== null && !/^.11$/.test(match[1] as string) && !/^.11$/.test(match[2] as string);
}

/** International digits (country code first) that form a dialable number, else undefined. */
function internationalNumber(digits: string): string | undefined {
	if (!/^[1-9]\d{6,14}$/.test(digits)) return undefined;
	if (digits.startsWith(nanpCountryCode)) {
		return isNanpNationalNumber(digits.slice(1)) ? `+${digits}` : undefined;
	}
	for (const codeLength of [1, 2, 3]) {
		const lengths = nationalLengths().get(digits.slice(0, codeLength));
		// Country codes are prefix-free: the first one that matches is the only one that can.
		if (lengths) return lengths.has(digits.length - codeLength) ? `+${digits}` : undefined;
	}
	return undefined;
}

export interface PhoneReading {
	/**
	 * The country of numbers written without an international prefix. Default "1" (NANP: the supported EHRs are US
	 * systems); elsewhere one leading trunk "0" is dropped, as most countries write national numbers.
	 */
	defaultCountryCode?: string;
}

const phoneCharacters = /^\+?[\d\s().\-/]+$/;
const extensionSuffix = /\s*(?:x|ext\.?|extension|#)\s*\d{1,6}$/i;

/**
 * A phone number as an EHR or a person wrote it → E.164 (+15125550100), or undefined when it is not a plausible
 * number. Accepts `tel:`, separators (spaces, parentheses, dots, dashes, slashes), an extension (dropped), the
 * international prefixes `+`, `00` and (in NANP) `011`, and national forms of the default country: in NANP 10
 * digits or 11 starting with the trunk "1". Anything else (letters, a `+` inside, too few or too many digits, a
 * country code no country has, a length its numbering plan does not have) is refused rather than guessed.
 */
export function toE164(raw: string | undefined | null, reading: PhoneReading = {}): string | undefined {
	if (typeof raw !== 'string') return undefined;
	const written = raw.trim().replace(/^tel:/i, '').replace(extensionSuffix, '').trim();
	if (!phoneCharacters.test(written)) return undefined;
	const digits = written.replace(/\D/g, '');
	const country = reading.defaultCountryCode ?? nanpCountryCode;
	if (written.startsWith('+')) return internationalNumber(digits);
	if (digits.startsWith('00')) return internationalNumber(digits.slice(2));
	if (country === nanpCountryCode) {
		if (digits.startsWith('011')) return internationalNumber(digits.slice(3));
		if (digits.length === 11 && digits.startsWith('1')) return internationalNumber(digits);
		return digits.length === 10 ? internationalNumber(`1${digits}`) : undefined;
	}
	if (!/^[1-9]\d{0,2}$/.test(country)) return undefined;
	return internationalNumber(`${country}${digits.replace(/^0/, '')}`);
}

/** True when `value` is already a valid number in canonical E.164 form (what the visit event and senders carry). */
export function isE164(value: unknown): value is string {
	return typeof value === 'string' && toE164(value) === value;
}

const emailSchema = z.string().max(254).email();

/** An email address as written, trimmed, when it is a valid address; else undefined. */
export function emailAddress(raw: string | undefined | null): string | undefined {
	if (typeof raw !== 'string') return undefined;
	const trimmed = raw.trim();
	return emailSchema.safeParse(trimmed).success ? trimmed : undefined;
}

/**
 * The canonical form of an address on a channel, for comparing and hashing: SMS and voice reach an E.164 number,
 * email a trimmed, lower-cased mailbox (local parts are case-insensitive in practice). Undefined when the address
 * is not one.
 */
export function canonicalAddress(channel: Channel, address: string | undefined | null): string | undefined {
	if (channel !== 'email') return toE164(address);
	return emailAddress(address)?.toLowerCase();
}

/** Whether two spellings reach the same phone or mailbox; an address that is not one matches only itself, exactly. */
export function sameAddress(channel: Channel, a: string, b: string): boolean {
	const first = canonicalAddress(channel, a);
	return first !== undefined ? first === canonicalAddress(channel, b) : a.trim() === b.trim();
}
