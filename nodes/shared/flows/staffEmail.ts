import { emailAddress } from '../core/addresses';
import { DomainError } from '../core/errors';
import type { SendOutcome } from '../messaging/outcome';

/** An email to the practice's own staff (alerts, reports): plain text, no journey, nothing journaled. */
export interface StaffEmail {
	/** One or more addresses, separated by commas or semicolons. */
	to: string;
	subject: string;
	text: string;
}

export interface StaffEmailResult {
	to: string[];
	/** The Message-ID of each email, in the order of `to`. */
	messageIds: string[];
}

export type SendEmail = (to: string, subject: string, text: string) => Promise<SendOutcome>;

/** The addresses of "To"; refuses, naming the field and the entry's position (never its value), what is not one. */
export function staffRecipients(raw: string): string[] {
	const entries = raw.split(/[,;]/).map((entry) => entry.trim()).filter(Boolean);
	if (entries.length === 0) throw new DomainError('"To" needs at least one email address', 'invalid_input', 'To');
	return entries.map((entry, index) => {
		const address = emailAddress(entry);
		if (!address) throw new DomainError(`Entry ${index + 1} of "To" is not an email address`, 'invalid_input', 'To');
		return address;
	});
}

/**
 * Sends one email per recipient, in order, and stops at the first that fails. The error says how many went out
 * before it, so a person retrying knows who already has the email.
 */
export async function sendStaffEmail(send: SendEmail, email: StaffEmail): Promise<StaffEmailResult> {
	const to = staffRecipients(email.to);
	if (!email.subject.trim()) throw new DomainError('"Subject" is empty', 'invalid_input', 'Subject');
	if (!email.text.trim()) throw new DomainError('"Text" is empty', 'invalid_input', 'Text');
	const messageIds: string[] = [];
	for (const [index, address] of to.entries()) {
		const outcome = await send(address, email.subject, email.text);
		if (outcome.status !== 'sent') throw notSentError(outcome, index, to.length);
		messageIds.push(outcome.providerId);
	}
	return { to, messageIds };
}

function notSentError(outcome: Exclude<SendOutcome, { status: 'sent' }>, index: number, count: number): Error {
	const already = index > 0 ? ` (${index} of ${count} recipients already have it)` : '';
	if (outcome.status === 'rejected') {
		const field = outcome.fallback === 'configuration' ? 'Post-Visit SMTP credential' : 'To';
		return new DomainError(`The email to recipient ${index + 1} was refused: ${outcome.message}${already}`, 'rejected', field);
	}
	const code = outcome.code === undefined ? '' : ` (${outcome.code})`;
	// Transient failures were already retried with backoff; an uncertain one may have reached the server.
	const advice = outcome.uncertain
		? 'it may have been sent: check the mailbox before retrying the execution'
		: 'retry the execution once the mail server answers again';
	return new Error(`The email to recipient ${index + 1} was not sent${code}: ${outcome.message}; ${advice}${already}`);
}
