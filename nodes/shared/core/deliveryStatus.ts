import { DomainError } from './errors';

/*
 * What a provider reported, after the send, about one message or call: Twilio's status callbacks and an SMTP
 * server's delivery status notifications, mapped to the journal's outcome names. Pure: no clock, no I/O.
 */

/** The journal entry types a delivery report leads to (names shared with the report node). */
export const deliveryJournalTypes = {
	delivered: 'touch.delivered',
	undelivered: 'touch.undelivered',
	answered: 'call.answered',
	unanswered: 'call.unanswered',
} as const;
export type DeliveryOutcome = keyof typeof deliveryJournalTypes;

/** Twilio's message statuses (Message resource, status callbacks). */
export const twilioMessageStatuses = [
	'accepted',
	'scheduled',
	'queued',
	'sending',
	'sent',
	'receiving',
	'received',
	'delivered',
	'undelivered',
	'failed',
	'read',
	'canceled',
	'partially_delivered',
] as const;
export type TwilioMessageStatus = (typeof twilioMessageStatuses)[number];

/** Twilio's call statuses; a `completed` event callback carries one of the last five. */
export const twilioCallStatuses = ['queued', 'initiated', 'ringing', 'in-progress', 'completed', 'busy', 'no-answer', 'failed', 'canceled'] as const;
export type TwilioCallStatus = (typeof twilioCallStatuses)[number];

/** The codes `call.unanswered` carries. */
export type UnansweredCode = 'busy' | 'no-answer' | 'failed' | 'canceled';

export interface DeliveryReport {
	provider: 'twilio' | 'smtp';
	/** What was reported on: an SMS, a voice call or an email. */
	kind: 'message' | 'call' | 'email';
	/** Twilio's SID (SM…/MM…/CA…) or, for email, the candidates that may name the touch (Message-ID, envelope id). */
	providerIds: string[];
	/** The provider's own status word: delivered, undelivered, no-answer, failed (a DSN's Action)… */
	status: string;
	/** Final statuses are recorded once; intermediate ones (queued, sent, ringing, a DSN "delayed") are not. */
	final: boolean;
	/** Set when final. */
	outcome?: DeliveryOutcome;
	/** The journal code: Twilio's error code (30003), the DSN status (5.1.1), the call status, or the status itself. */
	code?: string;
	/** The number or mailbox the provider reported on (Twilio's To, a DSN's Final-Recipient), when it says. */
	recipient?: string;
	/** Twilio's AnsweredBy (human, machine_start, fax…) when answering machine detection ran. */
	answeredBy?: string;
	/** Call length in seconds, when Twilio reports it. */
	durationSeconds?: number;
}

const twilioSid = /^(SM|MM|CA)[0-9a-fA-F]{32}$/;

function field(params: Record<string, string | undefined>, ...names: string[]): string | undefined {
	for (const name of names) {
		const value = params[name]?.trim();
		if (value) return value;
	}
	return undefined;
}

function messageOutcome(status: TwilioMessageStatus): DeliveryOutcome | undefined {
	switch (status) {
		case 'delivered':
		case 'read':
		case 'partially_delivered':
			return 'delivered';
		case 'undelivered':
		case 'failed':
		case 'canceled':
			return 'undelivered';
		default:
			return undefined;
	}
}

/**
 * Reads one Twilio status callback (the form fields Twilio posts to a StatusCallback URL) into a report.
 * Messages: delivered/read → delivered; undelivered/failed/canceled → undelivered with ErrorCode as the code;
 * accepted, queued, sending, sent… are intermediate. Calls: the `completed` event's CallStatus completed →
 * answered, unless AnsweredBy says a machine or fax took it (→ unanswered, no-answer: no person heard it);
 * busy, no-answer, failed, canceled → unanswered; queued, initiated, ringing, in-progress are intermediate.
 * Throws a DomainError naming the field when the fields are not a Twilio status callback.
 */
export function parseTwilioStatusCallback(params: Record<string, string | undefined>): DeliveryReport {
	const callSid = field(params, 'CallSid');
	const callStatus = field(params, 'CallStatus');
	const messageSid = field(params, 'MessageSid', 'SmsSid');
	const messageStatus = field(params, 'MessageStatus', 'SmsStatus');
	const recipient = field(params, 'To', 'Called');

	if (callSid && callStatus) {
		if (!twilioSid.test(callSid)) throw new DomainError('CallSid is not a Twilio call SID', 'invalid_input', 'CallSid');
		const status = callStatus.toLowerCase() as TwilioCallStatus;
		if (!twilioCallStatuses.includes(status)) {
			throw new DomainError('CallStatus is not a status Twilio documents', 'invalid_input', 'CallStatus');
		}
		const answeredBy = field(params, 'AnsweredBy');
		const duration = Number(field(params, 'CallDuration', 'Duration'));
		const base: DeliveryReport = {
			provider: 'twilio',
			kind: 'call',
			providerIds: [callSid],
			status,
			final: false,
			...(recipient ? { recipient } : {}),
			...(answeredBy ? { answeredBy } : {}),
			...(Number.isFinite(duration) && field(params, 'CallDuration', 'Duration') ? { durationSeconds: duration } : {}),
		};
		if (status === 'completed') {
			const noPerson = answeredBy !== undefined && /^(machine|fax)/i.test(answeredBy);
			return noPerson
				? { ...base, final: true, outcome: 'unanswered', code: 'no-answer' }
				: { ...base, final: true, outcome: 'answered', code: 'completed' };
		}
		if (status === 'busy' || status === 'no-answer' || status === 'failed' || status === 'canceled') {
			return { ...base, final: true, outcome: 'unanswered', code: status };
		}
		return base;
	}

	if (messageSid && messageStatus) {
		if (!twilioSid.test(messageSid)) throw new DomainError('MessageSid is not a Twilio message SID', 'invalid_input', 'MessageSid');
		const status = messageStatus.toLowerCase() as TwilioMessageStatus;
		if (!twilioMessageStatuses.includes(status)) {
			throw new DomainError('MessageStatus is not a status Twilio documents', 'invalid_input', 'MessageStatus');
		}
		const outcome = messageOutcome(status);
		const errorCode = field(params, 'ErrorCode');
		return {
			provider: 'twilio',
			kind: 'message',
			providerIds: [messageSid],
			status,
			final: outcome !== undefined,
			...(outcome ? { outcome, code: outcome === 'undelivered' ? (errorCode ?? status) : status } : {}),
			...(recipient ? { recipient } : {}),
		};
	}

	throw new DomainError(
		'Not a Twilio status callback: expected MessageSid and MessageStatus, or CallSid and CallStatus',
		'invalid_input',
		messageSid || callSid ? (messageSid ? 'MessageStatus' : 'CallStatus') : 'MessageSid',
	);
}

/**
 * Whether a report asks for more than its journal line: an undelivered message (the fallback to the next
 * channel) or an unanswered call (the staff task). Delivered and answered reports, and intermediate ones, do not.
 */
export function needsFollowUp(report: DeliveryReport): boolean {
	return report.final && (report.outcome === 'undelivered' || report.outcome === 'unanswered');
}

/**
 * Twilio delivery error codes that say the number cannot take texts at all (30006: landline or unreachable
 * carrier), so the router treats the number as a landline rather than a one-off failure.
 */
export function isLandlineDeliveryCode(code: string | undefined): boolean {
	return code === '30006';
}
