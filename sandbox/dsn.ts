/**
 * Delivery status notifications (RFC 3464) as a receiving mail system sends them back when it cannot deliver a
 * message it had accepted: the shape Postfix uses (human-readable part, message/delivery-status, the returned
 * headers as text/rfc822-headers). For the sandbox's outbox and the tests of the bounce path.
 */

export interface DsnOptions {
	/** The address that bounced. */
	recipient: string;
	/** The raw message that bounced (its headers are returned), or just its Message-ID. */
	original: { raw?: string; messageId?: string };
	/** Where the bounce goes: the envelope sender (return path) of the original. */
	to: string;
	action?: 'failed' | 'delayed' | 'delivered';
	/** RFC 3463 status, default 5.1.1 (mailbox does not exist). */
	status?: string;
	/** The ENVID the original was sent with, if the server took it. */
	envelopeId?: string;
	reportingMta?: string;
	/** How the whole report is handed over: the full message, or only its body (IMAP BODY[TEXT], n8n's RAW format). */
	form?: 'message' | 'body';
}

function headersOf(raw: string): string {
	const end = /\r?\n\r?\n/.exec(raw);
	return (end ? raw.slice(0, end.index) : raw).replace(/\r?\n/g, '\r\n');
}

export function buildDsn(options: DsnOptions): string {
	const boundary = `dsn-${Math.random().toString(36).slice(2, 10)}`;
	const mta = options.reportingMta ?? 'mx.patients.example';
	const status = options.status ?? '5.1.1';
	const action = options.action ?? 'failed';
	const returned = options.original.raw
		? headersOf(options.original.raw)
		: `Message-ID: ${options.original.messageId ?? '<unknown@sandbox>'}\r\nSubject: (returned)`;
	const perMessage = [
		`Reporting-MTA: dns; ${mta}`,
		'X-Postfix-Queue-ID: 4Qx1Z2',
		...(options.envelopeId ? [`Original-Envelope-Id: ${options.envelopeId}`] : []),
		`Arrival-Date: ${new Date().toUTCString()}`,
	];
	const perRecipient = [
		`Final-Recipient: rfc822; ${options.recipient}`,
		`Original-Recipient: rfc822;${options.recipient}`,
		`Action: ${action}`,
		`Status: ${status}`,
		`Remote-MTA: dns; ${mta}`,
		`Diagnostic-Code: smtp; 550 ${status} <${options.recipient}>: Recipient address rejected: User unknown in virtual mailbox table`,
	];
	const body = [
		'This is a MIME-encapsulated message.',
		'',
		`--${boundary}`,
		'Content-Description: Notification',
		'Content-Type: text/plain; charset=us-ascii',
		'',
		`This is the mail system at host ${mta}.`,
		'',
		"I'm sorry to have to inform you that your message could not",
		'be delivered to one or more recipients.',
		'',
		`--${boundary}`,
		'Content-Description: Delivery report',
		'Content-Type: message/delivery-status',
		'',
		...perMessage,
		'',
		...perRecipient,
		'',
		`--${boundary}`,
		'Content-Description: Undelivered Message Headers',
		'Content-Type: text/rfc822-headers',
		'',
		returned,
		'',
		`--${boundary}--`,
		'',
	].join('\r\n');
	if (options.form === 'body') return body;
	const headers = [
		`Return-Path: <>`,
		`From: MAILER-DAEMON@${mta} (Mail Delivery System)`,
		`To: ${options.to}`,
		'Subject: Undelivered Mail Returned to Sender',
		`Date: ${new Date().toUTCString()}`,
		`Message-Id: <${boundary}@${mta}>`,
		'Auto-Submitted: auto-replied',
		'MIME-Version: 1.0',
		`Content-Type: multipart/report; report-type=delivery-status;\r\n\tboundary="${boundary}"`,
		'Content-Transfer-Encoding: 7bit',
	];
	return `${headers.join('\r\n')}\r\n\r\n${body}`;
}
