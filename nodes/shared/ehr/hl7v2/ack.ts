import type { Hl7Message } from './message';

/** MSA-1: accept, application error (AE: send again after a fix), application reject (AR: do not resend). */
export type AckCode = 'AA' | 'AE' | 'AR';

export interface AckOptions {
	code: AckCode;
	/** MSA-3 / ERR text: why, naming fields, never values. */
	text?: string;
	/** ERR-2 error location, e.g. "MSH-9". */
	location?: string;
	/** MSH-7 of the ACK, "YYYYMMDDHHMMSS" (the caller's clock). */
	timestamp: string;
	/** MSH-10 of the ACK itself. */
	controlId: string;
}

const fallbackDelimiters = { field: '|', component: '^', repetition: '~', escape: '\\', subcomponent: '&' };

/** Escapes delimiters in text we put into an ACK (reasons are ours, but a control id comes from the sender). */
function escapeText(text: string, d: typeof fallbackDelimiters): string {
	return text
		.replace(/[\r\n]/g, ' ')
		.split(d.escape).join(`${d.escape}E${d.escape}`)
		.split(d.field).join(`${d.escape}F${d.escape}`)
		.split(d.component).join(`${d.escape}S${d.escape}`)
		.split(d.repetition).join(`${d.escape}R${d.escape}`)
		.split(d.subcomponent).join(`${d.escape}T${d.escape}`);
}

/**
 * The acknowledgement of a message (original acknowledgement mode): MSH with sender and receiver swapped,
 * MSA with the code and the message's control id, and an ERR segment for AE/AR. Without a readable message
 * (no MSH at all) the ACK names no control id and uses the standard delimiters.
 */
export function buildAck(message: Hl7Message | undefined, options: AckOptions): string {
	const d = message?.delimiters ?? fallbackDelimiters;
	const get = (field: number, component?: number) => (message ? message.value({ segment: 'MSH', field, component }) : '');
	const esc = (text: string) => escapeText(text, d);
	const encoding = `${d.component}${d.repetition}${d.escape}${d.subcomponent}`;
	const trigger = get(9, 2);
	const version = get(12) || '2.5.1';
	const msh = [
		'MSH',
		encoding,
		esc(get(5)),
		esc(get(6)),
		esc(get(3)),
		esc(get(4)),
		options.timestamp,
		'',
		`ACK${trigger ? `${d.component}${esc(trigger)}` : ''}${d.component}ACK`,
		esc(options.controlId),
		esc(get(11) || 'P'),
		esc(version),
	].join(d.field);
	const msa = ['MSA', options.code, esc(get(10)), options.text ? esc(options.text) : ''].join(d.field);
	const segments = [msh, msa];
	if (options.code !== 'AA') {
		// ERR-3 HL7 error code (table 0357): 207 application internal error, 100 segment sequence error…; ERR-4 severity E.
		const errorCode = options.location?.startsWith('MSH') ? '207' : '102';
		segments.push(['ERR', '', esc(options.location ?? ''), errorCode, 'E', '', '', '', esc(options.text ?? '')].join(d.field));
	}
	return segments.join('\r') + '\r';
}
