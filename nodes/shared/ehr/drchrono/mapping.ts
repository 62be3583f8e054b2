import { DateTime } from 'luxon';

import { toE164 } from '../../core/addresses';
import type { Phone } from '../../core/schemas';
import { isValidZoneName } from '../../core/zones';
import { EhrResponseError } from '../http';
import { drfErrorSchema } from './schemas';

export const EHR = 'drchrono';

/** DrChrono's `preferred_language` (ISO 639-2) → BCP-47. blank/other/unknown/declined map to nothing. */
const languageByIso6392: Record<string, string> = {
	eng: 'en',
	spa: 'es',
	zho: 'zh',
	fra: 'fr',
	ita: 'it',
	jpn: 'ja',
	por: 'pt',
	rus: 'ru',
};

export function languageOf(preferred: string | undefined, fallback: string): string {
	return (preferred && languageByIso6392[preferred.trim().toLowerCase()]) || fallback;
}

export function phonesOf(patient: { cell_phone?: string; home_phone?: string; office_phone?: string }): Phone[] {
	const phones: Phone[] = [];
	const candidates: Array<[string | undefined, Phone['kind']]> = [
		[patient.cell_phone, 'mobile'],
		[patient.home_phone, 'unknown'],
		[patient.office_phone, 'unknown'],
	];
	for (const [raw, kind] of candidates) {
		const number = toE164(raw);
		if (number && !phones.some((phone) => phone.number === number)) phones.push({ number, kind });
	}
	return phones;
}

export function isValidZone(zone: string | undefined): zone is string {
	return typeof zone === 'string' && zone.length > 0 && isValidZoneName(zone);
}

/**
 * DrChrono datetimes are naive local strings ("2026-03-02T14:30:00") in the account's time zone; a string
 * that does carry an offset keeps it. `field` names the vendor field in the error, never the value.
 */
export function vendorDateTime(value: string, zone: string, field: string): DateTime {
	const parsed = DateTime.fromISO(value.trim().replace(' ', 'T'), { zone });
	if (!parsed.isValid) throw new EhrResponseError(EHR, field, 'is not a date-time');
	return parsed.setZone(zone);
}

export function isoOf(dateTime: DateTime): string {
	const iso = dateTime.toISO({ suppressMilliseconds: true });
	if (!iso) throw new EhrResponseError(EHR, '(date)', 'cannot be written as ISO-8601');
	return iso;
}

/** The naive local form DrChrono expects in request bodies. */
export function naiveLocal(dateTime: DateTime, zone: string): string {
	return dateTime.setZone(zone).toFormat("yyyy-MM-dd'T'HH:mm:ss");
}

export function isoDateOf(dateTime: DateTime): string {
	return dateTime.toFormat('yyyy-MM-dd');
}

/** Quoted values, e-mail addresses and phone-like digit runs are removed: DRF messages can echo input. */
function scrub(text: string): string {
	return text
		.replace(/"[^"]*"|'[^']*'|“[^”]*”/g, '"…"')
		.replace(/\S+@\S+/g, '…')
		.replace(/[+(]?\d[\d\s().-]{5,}\d/g, '…')
		.replace(/\s+/g, ' ')
		.trim()
		.slice(0, 140);
}

const statusText: Record<number, string> = {
	400: 'rejected the request',
	401: 'did not accept the access token (expired or revoked): reconnect the DrChrono credential',
	403: "refused permission (check the credential's scopes and the user's DrChrono permissions)",
	404: 'does not know this record',
	405: 'does not allow this method here',
	409: 'reported a conflict',
};

/**
 * A short, PHI-free summary of a DrChrono error body: `{detail}` is kept (scrubbed); field errors are
 * reduced to the field names; anything else (HTML error pages) to the status alone.
 */
export function vendorErrorMessage(status: number, body: unknown, action: string): string {
	const base = `${action}: ${statusText[status] ?? `failed with status ${status}`}`;
	const parsed = drfErrorSchema.safeParse(body);
	if (!parsed.success) return base;
	const error = parsed.data;
	if (typeof error.detail === 'string') return `${base} (${scrub(error.detail)})`;
	const fields = Object.keys(error).filter((key) => /^[a-z_][a-z0-9_]*$/i.test(key));
	return fields.length > 0 ? `${base} (fields: ${fields.slice(0, 8).join(', ')})` : base;
}

/** Fills `{orderId}`, `{patientId}`, `{visitId}`; returns nothing when the result is not a URL. */
export function fillLink(
	template: string | undefined,
	values: { orderId?: string; patientId: string; visitId: string },
): string | undefined {
	if (!template) return undefined;
	const filled = template.replace(/\{(orderId|patientId|visitId)\}/g, (_match, key: keyof typeof values) =>
		encodeURIComponent(values[key] ?? ''),
	);
	try {
		const url = new URL(filled);
		return url.protocol === 'https:' || url.protocol === 'http:' ? filled : undefined;
	} catch {
		return undefined;
	}
}
