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
