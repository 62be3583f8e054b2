import type { IExecuteFunctions } from 'n8n-workflow';

import type { MessageSenders } from '../flows/sendTouch';
import type { SendEmail } from '../flows/staffEmail';
import { createSmtpSender, smtpConfigFromCredential } from '../messaging/email';
import type { SmtpCredentialData } from '../messaging/email';
import { sendWithBackoff } from '../messaging/outcome';
import { createTwilioSender, voiceLanguageFor, voiceTwiml } from '../messaging/sms';
import { sendBackoff } from './retry';

async function optionalCredentials(context: IExecuteFunctions, type: string) {
	try {
		return await context.getCredentials(type);
	} catch {
		// Not set on this node: that channel is simply not available (the router skips it).
		return undefined;
	}
}

/**
 * The patient and staff channels this node's credentials allow: SMS and voice through the Twilio SDK,
 * email through nodemailer. Transient provider failures are retried with backoff; uncertain ones are not.
 */
export async function messageSendersFor(context: IExecuteFunctions): Promise<MessageSenders> {
	const senders: MessageSenders = {};
	const twilioCredential = await optionalCredentials(context, 'postVisitTwilioApi');
	if (twilioCredential) {
		const useApiKey = twilioCredential.authType === 'apiKey';
		const twilio = createTwilioSender({
			accountSid: String(twilioCredential.accountSid ?? ''),
			authToken: useApiKey ? undefined : String(twilioCredential.authToken ?? ''),
			apiKeySid: useApiKey ? String(twilioCredential.apiKeySid ?? '') : undefined,
			apiKeySecret: useApiKey ? String(twilioCredential.apiKeySecret ?? '') : undefined,
			from: twilioCredential.from ? String(twilioCredential.from) : undefined,
			messagingServiceSid: twilioCredential.messagingServiceSid ? String(twilioCredential.messagingServiceSid) : undefined,
			apiBaseUrl: twilioCredential.apiBaseUrl ? String(twilioCredential.apiBaseUrl) : undefined,
			statusCallbackUrl: twilioCredential.statusCallbackUrl ? String(twilioCredential.statusCallbackUrl) : undefined,
		});
		senders.sms = async (to, text) => await sendWithBackoff(() => twilio.sendSms({ to, body: text }), sendBackoff);
		senders.voice = async (to, text, language) =>
			await sendWithBackoff(
				() => twilio.placeCall({ to, twiml: voiceTwiml({ say: text, language: voiceLanguageFor(language) }) }),
				sendBackoff,
			);
	}
	const smtpCredential = await optionalCredentials(context, 'postVisitSmtpApi');
	if (smtpCredential) {
		const smtp = createSmtpSender(smtpConfigFromCredential(smtpCredential as unknown as SmtpCredentialData));
		senders.email = async (to, subject, text, html) =>
			await sendWithBackoff(() => smtp.sendEmail({ to, subject, text, html }), sendBackoff);
	}
	return senders;
}

/** Email through the node's Post-Visit SMTP credential (required), transient failures retried; close it when done. */
export async function smtpSenderFor(context: IExecuteFunctions): Promise<{ send: SendEmail; close: () => void }> {
	const credential = await context.getCredentials('postVisitSmtpApi');
	const smtp = createSmtpSender(smtpConfigFromCredential(credential as unknown as SmtpCredentialData));
	return {
		send: async (to, subject, text) => await sendWithBackoff(() => smtp.sendEmail({ to, subject, text }), sendBackoff),
		close: () => smtp.close(),
	};
}
