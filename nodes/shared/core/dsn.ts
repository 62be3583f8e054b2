import type { DeliveryReport } from './deliveryStatus';
import { DomainError } from './errors';

/*
 * RFC 3464 delivery status notifications (bounces): a multipart/report; report-type=delivery-status message whose
 * message/delivery-status part has one group of per-message fields, then one group per recipient, and usually a
 * text/rfc822-headers (or message/rfc822) part with the headers of the message that bounced. Pure: strings in,
 * fields out. Only what identifies the touch and the outcome is read: no bodies are kept.
 */

export type DsnAction = 'failed' | 'delayed' | 'delivered' | 'relayed' | 'expanded';

export interface DsnRecipient {
	/** The address the failure is about (the address part of "rfc822; someone@example.org"). */
	finalRecipient?: string;
	originalRecipient?: string;
	action: DsnAction;
	/** The RFC 3463 status code, e.g. 5.1.1. */
	status: string;
	/** The remote server's reply type and code ("smtp; 550 5.1.1"), never its text. */
	diagnosticCode?: string;
}

export interface DeliveryStatusNotification {
	reportingMta?: string;
	/** The ENVID the sender gave with the message (RFC 3461), xtext-decoded. */
	originalEnvelopeId?: string;
	/** An Original-Message-ID per-message field, as some reporting MTAs add. */
	originalMessageIdField?: string;
	/** The Message-ID of the returned headers (text/rfc822-headers or message/rfc822 part). */
	returnedMessageId?: string;
	recipients: DsnRecipient[];
}

interface Entity {
	headers: Record<string, string>;
	body: string;
}

const dsnActions: readonly DsnAction[] = ['failed', 'delayed', 'delivered', 'relayed', 'expanded'];

function splitEntity(raw: string): Entity {
	const match = /\r?\n\r?\n/.exec(raw);
	const head = match ? raw.slice(0, match.index) : raw;
	const body = match ? raw.slice(match.index + match[0].length) : '';
	return { headers: headerFields(head), body };
}

/** Header-style fields (RFC 5322 syntax, folded lines unfolded); names lower-cased, the first occurrence wins. */
function headerFields(block: string): Record<string, string> {
	const fields: Record<string, string> = {};
	for (const line of block.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
		const colon = line.indexOf(':');
		if (colon <= 0) continue;
		const name = line.slice(0, colon).trim().toLowerCase();
		if (!/^[\x21-\x39\x3b-\x7e]+$/.test(name)) continue;
		if (fields[name] === undefined) fields[name] = line.slice(colon + 1).trim();
	}
	return fields;
}

function contentTypeOf(headers: Record<string, string>): { type: string; boundary?: string } {
	const value = headers['content-type'] ?? 'text/plain';
	const type = value.split(';')[0].trim().toLowerCase();
	const boundary = /;\s*boundary\s*=\s*(?:"([^"]+)"|([^\s;]+))/i.exec(value);
	return { type, boundary: boundary ? (boundary[1] ?? boundary[2]) : undefined };
}

function decodeQuotedPrintable(text: string): string {
	return text.replace(/=\r?\n/g, '').replace(/=([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

function decodedBody(entity: Entity): string {
	const encoding = (entity.headers['content-transfer-encoding'] ?? '7bit').trim().toLowerCase();
	if (encoding === 'base64') return Buffer.from(entity.body.replace(/\s+/g, ''), 'base64').toString('utf8');
	if (encoding === 'quoted-printable') return decodeQuotedPrintable(entity.body);
	return entity.body;
}

function escapeRegExp(text: string): string {
	return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The body parts between boundary delimiter lines; the preamble and the epilogue are dropped. */
function multipartParts(body: string, boundary: string): Entity[] {
	const delimiter = new RegExp(`^--${escapeRegExp(boundary)}(--)?[ \\t]*\\r?$`, 'm');
	const parts: Entity[] = [];
	let rest = body;
	let match = delimiter.exec(rest);
	if (!match) return parts;
	rest = rest.slice(match.index + match[0].length);
	while (!match[1]) {
		match = delimiter.exec(rest);
		if (!match) {
			parts.push(splitEntity(rest.replace(/^\r?\n/, '')));
			break;
		}
		parts.push(splitEntity(rest.slice(0, match.index).replace(/^\r?\n/, '').replace(/\r?\n$/, '')));
		rest = rest.slice(match.index + match[0].length);
	}
	return parts;
}

/** A body that starts at its multipart content (what IMAP's BODY[TEXT] returns): the boundary from its first delimiter line. */
function boundaryFromBody(body: string): string | undefined {
	return /^--([^\s]{1,200}?)[ \t]*\r?$/m.exec(body)?.[1];
}

/** Every leaf part of a MIME entity, nested multiparts flattened, with their content types. */
function leafParts(entity: Entity, depth = 0): Array<Entity & { type: string }> {
	const { type, boundary } = contentTypeOf(entity.headers);
	// Only the top level may come without headers (a body handed over alone); a part without them is text/plain.
	const bodyOnly = depth === 0 && entity.headers['content-type'] === undefined;
	const multipart = type.startsWith('multipart/') || bodyOnly;
	const effectiveBoundary = boundary ?? (multipart ? boundaryFromBody(entity.body) : undefined);
	if (multipart && effectiveBoundary && depth < 8) {
		return multipartParts(entity.body, effectiveBoundary).flatMap((part) => leafParts(part, depth + 1));
	}
	return [{ ...entity, type }];
}

/** "rfc822; someone@example.org" → someone@example.org (address types other than rfc822 are kept whole). */
function addressOf(value: string | undefined): string | undefined {
	if (!value) return undefined;
	const separator = value.indexOf(';');
	const address = (separator >= 0 ? value.slice(separator + 1) : value).trim().replace(/^<(.*)>$/, '$1');
	return address || undefined;
}

/** RFC 3461 xtext: "+" followed by two hex digits stands for one character. */
function decodeXtext(value: string): string {
	return value.replace(/\+([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

/** "smtp; 550 5.1.1 <someone@…> mailbox unavailable" → "smtp; 550 5.1.1": the codes, never the text. */
function diagnosticCodes(value: string | undefined): string | undefined {
	if (!value) return undefined;
	const [type, ...rest] = value.split(';');
	const codes = /^\s*(\d{3})(?:[ -](\d\.\d{1,3}\.\d{1,3}))?/.exec(rest.join(';'));
	return codes ? `${type.trim().toLowerCase()}; ${[codes[1], codes[2]].filter(Boolean).join(' ')}` : type.trim().toLowerCase();
}

function fieldGroups(text: string): Array<Record<string, string>> {
	return text
		.replace(/\r\n/g, '\n')
		.split(/\n[ \t]*\n/)
		.map((group) => headerFields(group))
		.filter((group) => Object.keys(group).length > 0);
}

/** The text a caller handed over: raw RFC 5322 text, or base64/base64url of it (as some mail nodes deliver it). */
function rawText(input: string): string {
	const trimmed = input.trim();
	if (trimmed.length >= 16 && /^[A-Za-z0-9+/_-]+={0,2}$/.test(trimmed.replace(/\s+/g, ''))) {
		const decoded = Buffer.from(trimmed.replace(/\s+/g, '').replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8');
		if (/:/.test(decoded) && /\n/.test(decoded)) return decoded;
	}
	return input;
}

/**
 * Parses a bounce: a whole message (headers and body), only its body (IMAP BODY[TEXT], the Email Trigger's RAW
 * format) or base64 of either. Reads the message/delivery-status part (also message/global-delivery-status) and
 * the Message-ID of the returned headers. Throws a DomainError (field "message") when there is no delivery-status
 * part: an out-of-office reply or any other mail in the bounce mailbox is not a DSN.
 */
export function parseDsn(input: string): DeliveryStatusNotification {
	if (typeof input !== 'string' || !input.trim()) {
		throw new DomainError('The bounce message is empty', 'invalid_input', 'message');
	}
	const text = rawText(input).replace(/^\s+/, '');
	const entity = splitEntity(text);
	// A whole DSN has a Content-Type (multipart/report); without one the text is the body alone.
	const parts = leafParts(entity.headers['content-type'] ? entity : { headers: {}, body: text });
	const statusPart = parts.find((part) => part.type === 'message/delivery-status' || part.type === 'message/global-delivery-status');
	if (!statusPart) {
		throw new DomainError('This email is not a delivery status notification (RFC 3464): no message/delivery-status part', 'not_a_dsn', 'message');
	}
	const [perMessage = {}, ...perRecipient] = fieldGroups(decodedBody(statusPart));
	const recipients: DsnRecipient[] = perRecipient
		.filter((group) => group.action !== undefined || group.status !== undefined)
		.map((group) => {
			const action = (group.action ?? '').toLowerCase().trim() as DsnAction;
			const recipient: DsnRecipient = {
				action: dsnActions.includes(action) ? action : 'failed',
				status: /^\d\.\d{1,3}\.\d{1,3}/.exec(group.status ?? '')?.[0] ?? (group.status ?? '').trim(),
			};
			const finalRecipient = addressOf(group['final-recipient']);
			const originalRecipient = addressOf(group['original-recipient']);
			const diagnosticCode = diagnosticCodes(group['diagnostic-code']);
			if (finalRecipient) recipient.finalRecipient = finalRecipient;
			if (originalRecipient) recipient.originalRecipient = originalRecipient;
			if (diagnosticCode) recipient.diagnosticCode = diagnosticCode;
			return recipient;
		});
	if (recipients.length === 0) {
		throw new DomainError('The delivery status notification names no recipient (no per-recipient fields)', 'not_a_dsn', 'message');
	}
	const returned = parts.find((part) => ['text/rfc822-headers', 'message/rfc822', 'message/global-headers', 'message/global'].includes(part.type));
	const returnedHeaders = returned ? splitEntity(decodedBody(returned)).headers : undefined;
	const dsn: DeliveryStatusNotification = { recipients };
	const reportingMta = addressOf(perMessage['reporting-mta']);
	if (reportingMta) dsn.reportingMta = reportingMta;
	if (perMessage['original-envelope-id']) dsn.originalEnvelopeId = decodeXtext(perMessage['original-envelope-id'].trim());
	if (perMessage['original-message-id']) dsn.originalMessageIdField = perMessage['original-message-id'].trim();
	if (returnedHeaders?.['message-id']) dsn.returnedMessageId = returnedHeaders['message-id'].trim();
	return dsn;
}

/** A Message-ID in its two spellings: with angle brackets (as nodemailer reports it) and without. */
function messageIdForms(value: string | undefined): string[] {
	const bare = value?.trim().replace(/^<(.*)>$/, '$1').trim();
	return bare ? [`<${bare}>`, bare] : [];
}

/**
 * The report a DSN makes about the email touch: the first failed recipient (else the first delayed, else the
 * first delivered or relayed one). failed → undelivered with the status code (5.1.1); delivered or relayed →
 * delivered; delayed is not final. providerIds lists, best first, every id that may name the sent email: the
 * envelope id, the Original-Message-ID field and the returned Message-ID, each with and without angle brackets.
 */
export function dsnReport(dsn: DeliveryStatusNotification): DeliveryReport {
	const pick =
		dsn.recipients.find((r) => r.action === 'failed') ??
		dsn.recipients.find((r) => r.action === 'delayed') ??
		dsn.recipients[0];
	const providerIds = [
		...new Set([
			...messageIdForms(dsn.originalEnvelopeId),
			...messageIdForms(dsn.originalMessageIdField),
			...messageIdForms(dsn.returnedMessageId),
		]),
	];
	const base: DeliveryReport = {
		provider: 'smtp',
		kind: 'email',
		providerIds,
		status: pick.action,
		final: pick.action !== 'delayed',
		...(pick.finalRecipient ?? pick.originalRecipient ? { recipient: pick.finalRecipient ?? pick.originalRecipient } : {}),
	};
	if (pick.action === 'failed') return { ...base, outcome: 'undelivered', code: pick.status || 'failed' };
	if (pick.action === 'delayed') return base;
	return { ...base, outcome: 'delivered', code: pick.action };
}
