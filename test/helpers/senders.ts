import type { DeliveryOutcome, MessageSenders } from '../../nodes/shared/flows/sendTouch';

export interface SentMessage {
	channel: string;
	to: string;
}

/**
 * Twilio and SMTP stand-ins for sendTouch: every channel accepts the message and records where it went, in order.
 * The provider id is `<channel>-<count so far>` unless `providerIdOf` says otherwise.
 */
export function recordingSenders(
	providerIdOf: (channel: string, count: number) => string = (channel, count) => `${channel}-${count}`,
): { sent: SentMessage[]; senders: MessageSenders } {
	const sent: SentMessage[] = [];
	const ok = (channel: string) => async (to: string): Promise<DeliveryOutcome> => {
		sent.push({ channel, to });
		return { status: 'sent', providerId: providerIdOf(channel, sent.length), providerStatus: 'queued' };
	};
	const senders: MessageSenders = { sms: ok('sms'), email: ok('email'), voice: ok('voice') };
	return { sent, senders };
}
