/**
 * SMS length accounting per 3GPP TS 23.038: the GSM 7-bit default alphabet (with its extension table)
 * when every character fits, UCS-2 otherwise.
 */

/** The GSM 03.38 default alphabet, 0x00-0x7F without ESC (0x1B). Strict: no carrier-specific look-alikes. */
const gsmBasic = new Set(
	[
		'@£$¥èéùìòÇ\nØø\rÅå',
		'Δ_ΦΓΛΩΠΨΣΘΞÆæßÉ',
		' !"#¤%&\'()*+,-./0123456789:;<=>?',
		'¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§',
		'¿abcdefghijklmnopqrstuvwxyzäöñüà',
	].join(''),
);

/** Characters of the extension table: each is sent as ESC + code, so it costs two septets. */
const gsmExtension = new Set(['\f', '^', '{', '}', '\\', '[', '~', ']', '|', '€']);

export type SmsEncoding = 'GSM-7' | 'UCS-2';

export interface SmsSegmentInfo {
	encoding: SmsEncoding;
	/** Segments the carrier bills; 0 for an empty text. */
	segments: number;
	/** Encoded length: septets for GSM-7 (extension characters count 2), UTF-16 code units for UCS-2. */
	characters: number;
}

const limits = {
	'GSM-7': { single: 160, perSegment: 153 },
	'UCS-2': { single: 70, perSegment: 67 },
} as const;

export function isGsm7Character(char: string): boolean {
	return gsmBasic.has(char) || gsmExtension.has(char);
}

/**
 * Encoding, billed segments and encoded length of an SMS text.
 * Invariant: an escape sequence (GSM-7) or a surrogate pair (UCS-2) is never split across segments,
 * as concatenating encoders do, so a long text may need one segment more than length / per-segment.
 */
export function smsSegments(text: string): SmsSegmentInfo {
	const chars = Array.from(text);
	const encoding: SmsEncoding = chars.every(isGsm7Character) ? 'GSM-7' : 'UCS-2';
	const costs = chars.map((char) =>
		encoding === 'GSM-7' ? (gsmExtension.has(char) ? 2 : 1) : char.length,
	);
	const characters = costs.reduce((sum, cost) => sum + cost, 0);
	const { single, perSegment } = limits[encoding];
	if (characters === 0) return { encoding, segments: 0, characters };
	if (characters <= single) return { encoding, segments: 1, characters };
	let segments = 1;
	let used = 0;
	for (const cost of costs) {
		if (used + cost > perSegment) {
			segments += 1;
			used = 0;
		}
		used += cost;
	}
	return { encoding, segments, characters };
}

/** Look-alikes outside GSM-7 and their GSM-7 stand-ins, as Twilio's Smart Encoding replaces them. */
const smartReplacements: ReadonlyMap<string, string> = new Map([
	...[...'\u2018\u2019\u201A\u201B\u2032\u02BC'].map((char) => [char, "'"] as const),
	...[...'\u201C\u201D\u201E\u201F\u2033\u00AB\u00BB'].map((char) => [char, '"'] as const),
	...[...'\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u2022'].map((char) => [char, '-'] as const),
	...[...'\u00A0\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200A\u202F\u205F\u3000\t'].map(
		(char) => [char, ' '] as const,
	),
	...[...'\u200B\u200C\u200D\u2060\uFEFF\u00AD'].map((char) => [char, ''] as const),
	['\u2026', '...'],
	['\u2039', '<'],
	['\u203A', '>'],
	['\u02C6', '^'],
	['\u02DC', '~'],
	['\u2044', '/'],
	['\u2215', '/'],
	['\u00B4', "'"],
	['\u0060', "'"],
]);

/** A letter with accents the default alphabet lacks (á, í, ó, ú, ç, â…) as its base letter, when that is GSM-7. */
function withoutAccent(char: string): string | undefined {
	const base = char.normalize('NFD').replace(/\p{M}/gu, '');
	return base !== char && base.length > 0 && Array.from(base).every(isGsm7Character) ? base : undefined;
}

/**
 * Smart encoding: each character outside GSM-7 replaced by its closest GSM-7 equivalent where the meaning holds
 * (á → a, curly quotes → straight, dashes → -, … → ..., non-breaking space → space), so one accent does not turn
 * the whole text into UCS-2 (70 characters a segment instead of 160). Characters already in GSM-7 (é, ñ, ü, à, ¿, ¡)
 * stay, and characters without an equivalent (emoji, other scripts) stay too: the text is then sent as UCS-2.
 */
export function smartEncode(text: string): string {
	let encoded = '';
	for (const char of text) {
		if (isGsm7Character(char)) encoded += char;
		else encoded += smartReplacements.get(char) ?? withoutAccent(char) ?? char;
	}
	return encoded;
}
