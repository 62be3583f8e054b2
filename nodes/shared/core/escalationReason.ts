import { handOverPrefix } from './summaries';

/** What an item that reaches EHR Task says about why (the fields the pack's own nodes put on it). */
export interface EscalationFacts {
	/** From the Journey Due Trigger's "Needs Staff" output. */
	staff?: { reason?: unknown; summary?: unknown };
	/** From a Channel Router's "Staff Call" output. */
	staffCall?: { reason?: unknown };
	/** From a Patient Message's "Not Sent" output. */
	delivery?: { notSentReason?: unknown; stage?: unknown };
	/** From Record Delivery (delivery-status workflow). */
	deliveryStatus?: { outcome?: unknown; code?: unknown; stage?: unknown; channel?: unknown };
	kind?: unknown;
}

const text = (value: unknown) => (typeof value === 'string' || typeof value === 'number' ? String(value) : undefined);

/**
 * The reason a person must act, read from the item the way ops would write it: the first of the trigger's
 * handover, an unanswered or undelivered message, a message that could not be sent, no reachable channel; else
 * the follow-up (or recall) still open after the reminders.
 */
export function automaticEscalationReason(facts: EscalationFacts): string {
	if (facts.staff && text(facts.staff.summary)) {
		const summary = String(facts.staff.summary);
		return summary.startsWith(handOverPrefix) ? summary.slice(handOverPrefix.length) : summary;
	}
	const status = facts.deliveryStatus;
	if (status && status.outcome === 'unanswered') return `the stage-3 voice call was not answered (${text(status.code) ?? 'no answer'})`;
	if (status && status.outcome === 'undelivered') {
		return `the stage ${text(status.stage) ?? '?'} ${text(status.channel) ?? ''} message was not delivered (${text(status.code) ?? 'unknown'}) and no other channel worked`.replace('  ', ' ');
	}
	const notSent = text(facts.delivery?.notSentReason);
	if (notSent) return `message not sent (${notSent})`;
	// 'noChannel' is the router's stage 3 without a voice message: the task is the touch, nothing failed.
	const noChannel = text(facts.staffCall?.reason);
	if (noChannel && noChannel !== 'noChannel') return `no reachable channel (${noChannel})`;
	return facts.kind === 'recall' ? 'recall still not booked after the reminders' : 'follow-up still open after the reminders';
}

/** The Reason options of EHR Task, as text for the task note. */
export const escalationReasonTexts = {
	notBooked: 'follow-up still open after the reminders',
	recallNotBooked: 'recall still not booked after the reminders',
	noChannel: 'no reachable channel',
	notDelivered: 'a message was not delivered and no other channel worked',
} as const;
