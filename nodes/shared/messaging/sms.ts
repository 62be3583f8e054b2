import twilio from 'twilio';
import type RequestClient from 'twilio/lib/base/RequestClient';
import { z } from 'zod';

import { isE164 } from '../core/addresses';
import { assertNoClinicalText } from '../core/compose/clinical';
import { DomainError, fromZodError } from '../core/errors';
import {
	ambiguousNetworkCodes,
	connectFailureCodes,
	type RejectedOutcome,
	type RejectionFallback,
	type RetryableOutcome,
	type SendOutcome,
} from './outcome';

export { sendWithBackoff } from './outcome';
export type { BackoffOptions, SendOutcome } from './outcome';

export const twilioDefaultApiBaseUrl = 'https://api.twilio.com';

const twilioConfigSchema = z
	.object({
		accountSid: z.string().regex(/^AC[0-9a-fA-F]{32}$/, 'must be an Account SID (AC followed by 32 hex digits)'),
		authToken: z.string().min(1).optional(),
		apiKeySid: z.string().regex(/^SK[0-9a-fA-F]{32}$/, 'must be an API key SID (SK…)').optional(),
		apiKeySecret: z.string().min(1).optional(),
		from: z.string().refine(isE164, 'must be a valid phone number in E.164 form such as +15125550100').optional(),
		messagingServiceSid: z.string().regex(/^MG[0-9a-fA-F]{32}$/, 'must be a Messaging Service SID (MG…)').optional(),
		apiBaseUrl: z.string().url().default(twilioDefaultApiBaseUrl),
		statusCallbackUrl: z.string().url().optional(),
		/** Per-request timeout; a send that times out is reported retryable and uncertain. */
		timeoutMs: z.number().int().positive().default(15000),
	})
	.superRefine((config, ctx) => {
		const hasKey = config.apiKeySid !== undefined || config.apiKeySecret !== undefined;
		if (hasKey && (!config.apiKeySid || !config.apiKeySecret)) {
			ctx.addIssue({ code: 'custom', path: ['apiKeySecret'], message: 'API key SID and secret go together' });
		}
		if (!hasKey && !config.authToken) {
			ctx.addIssue({ code: 'custom', path: ['authToken'], message: 'needs an auth token or an API key' });
		}
		if (!config.from && !config.messagingServiceSid) {
			ctx.addIssue({ code: 'custom', path: ['from'], message: 'needs a From number or a Messaging Service SID' });
		}
	});

export type TwilioSenderConfig = z.input<typeof twilioConfigSchema>;

/** The fields of the Post-Visit Twilio API credential, as n8n hands them over. */
export interface TwilioCredentialData {
	authType: 'authToken' | 'apiKey';
	accountSid: string;
	authToken?: string;
	apiKeySid?: string;
	apiKeySecret?: string;
	from?: string;
	messagingServiceSid?: string;
	apiBaseUrl?: string;
	statusCallbackUrl?: string;
}

/** Maps the credential's fields to a sender configuration; empty fields count as not set. */
export function twilioConfigFromCredential(data: TwilioCredentialData): TwilioSenderConfig {
	const set = (value: string | undefined) => (value?.trim() ? value.trim() : undefined);
	const useApiKey = data.authType === 'apiKey';
	return {
		accountSid: data.accountSid.trim(),
		authToken: useApiKey ? undefined : set(data.authToken),
		apiKeySid: useApiKey ? set(data.apiKeySid) : undefined,
		apiKeySecret: useApiKey ? set(data.apiKeySecret) : undefined,
		from: set(data.from),
		messagingServiceSid: set(data.messagingServiceSid),
		apiBaseUrl: set(data.apiBaseUrl),
		statusCallbackUrl: set(data.statusCallbackUrl),
	};
}

export interface SmsMessage {
	/** E.164 */
	to: string;
	/** Must carry no diagnosis, result or clinical text (DESIGN: minimal PHI). */
	body: string;
}

export interface VoiceCall {
	/** E.164 */
	to: string;
	/** A TwiML document, e.g. from `voiceTwiml`. */
	twiml: string;
}

export interface TwilioSender {
	sendSms(message: SmsMessage): Promise<SendOutcome>;
	/** Needs a From number: a Messaging Service cannot place calls. */
	placeCall(call: VoiceCall): Promise<SendOutcome>;
}

/** The Say languages the pack's voice messages use. */
export type VoiceLanguage = 'en-US' | 'es-MX';

export type VoiceContent =
	| { say: string; language: VoiceLanguage; loop?: number }
	| { playUrl: string; loop?: number };

/** Maps a patient's BCP-47 language tag to the Say language: Spanish of any region → es-MX, else en-US. */
export function voiceLanguageFor(languageTag: string): VoiceLanguage {
	return languageTag.toLowerCase().split('-')[0] === 'es' ? 'es-MX' : 'en-US';
}

/** Builds the TwiML for a one-way voice message (<Say> text in a language, or <Play> a recording). */
export function voiceTwiml(content: VoiceContent): string {
	const response = new twilio.twiml.VoiceResponse();
	if ('say' in content) {
		assertNoClinicalText(content.say, 'voice', 'say');
		response.say({ language: content.language, loop: content.loop ?? 1 }, content.say);
	} else {
		response.play({ loop: content.loop ?? 1 }, content.playUrl);
	}
	return response.toString();
}

/**
 * Sends requests the SDK builds for https://*.twilio.com to another Twilio-compatible base URL (a regional
 * provider, the local sandbox). The SDK's own `edge`/`region` options only rename twilio.com hosts.
 */
class BaseUrlRequestClient extends twilio.RequestClient {
	private readonly base: URL;

	constructor(apiBaseUrl: string, options: RequestClient.RequestClientOptions) {
		super(options);
		this.base = new URL(apiBaseUrl);
	}

	async request<TData>(options: RequestClient.RequestOptions<TData>) {
		const target = new URL(options.uri);
		if (target.hostname === 'twilio.com' || target.hostname.endsWith('.twilio.com')) {
			target.protocol = this.base.protocol;
			target.host = this.base.host;
			target.pathname = this.base.pathname.replace(/\/+$/, '') + target.pathname;
		}
		return await super.request({ ...options, uri: target.toString() });
	}
}

/**
 * A Twilio sender over the official SDK. Validates the configuration up front (DomainError naming the
 * field); after that, provider and network failures come back as outcomes, never as exceptions.
 */
export function createTwilioSender(input: TwilioSenderConfig): TwilioSender {
	const parsed = twilioConfigSchema.safeParse(input);
	if (!parsed.success) throw fromZodError(parsed.error, 'Twilio configuration');
	const config = parsed.data;
	const useApiKey = config.apiKeySid !== undefined;
	const clientOptions: RequestClient.RequestClientOptions = {
		timeout: config.timeoutMs,
		// Retries are the caller's decision (sendWithBackoff), with the exactly-once claim in mind.
		autoRetry: false,
	};
	const isTwilio = new URL(config.apiBaseUrl).href === new URL(twilioDefaultApiBaseUrl).href;
	// Against Twilio itself the SDK's own client keeps its edge/region handling intact.
	const httpClient = isTwilio
		? new twilio.RequestClient(clientOptions)
		: new BaseUrlRequestClient(config.apiBaseUrl, clientOptions);
	const client = twilio(
		useApiKey ? config.apiKeySid : config.accountSid,
		useApiKey ? config.apiKeySecret : config.authToken,
		{ accountSid: config.accountSid, httpClient, env: {} },
	);

	return {
		async sendSms({ to, body }) {
			if (!isE164(to)) return invalidNumberOutcome();
			if (!body.trim()) throw new DomainError('SMS body is empty', 'invalid_input', 'body');
			assertNoClinicalText(body, 'sms', 'body');
			try {
				const message = await client.messages.create({
					to,
					body,
					...(config.messagingServiceSid
						? { messagingServiceSid: config.messagingServiceSid }
						: { from: config.from }),
					...(config.statusCallbackUrl ? { statusCallback: config.statusCallbackUrl } : {}),
				});
				return { status: 'sent', providerId: message.sid, providerStatus: String(message.status) };
			} catch (error) {
				return classifyTwilioError(error);
			}
		},

		async placeCall({ to, twiml }) {
			if (!config.from) {
				throw new DomainError('Placing a call needs a From number on the Twilio credential', 'config', 'from');
			}
			if (!isE164(to)) return invalidNumberOutcome();
			if (!twiml.trim()) throw new DomainError('Call TwiML is empty', 'invalid_input', 'twiml');
			try {
				const call = await client.calls.create({
					to,
					from: config.from,
					twiml,
					// Only the end of the call: its CallStatus (completed, busy, no-answer, failed, canceled) is the outcome.
					...(config.statusCallbackUrl
						? { statusCallback: config.statusCallbackUrl, statusCallbackEvent: ['completed'], statusCallbackMethod: 'POST' }
						: {}),
				});
				return { status: 'sent', providerId: call.sid, providerStatus: String(call.status) };
			} catch (error) {
				return classifyTwilioError(error);
			}
		},
	};
}

function invalidNumberOutcome(): RejectedOutcome {
	return {
		status: 'rejected',
		code: 'invalidTo',
		permanent: true,
		fallback: 'invalidAddress',
		message: 'The phone number is not in E.164 form',
	};
}

/** Twilio error codes with their own next step. Texts are ours: Twilio's own quote the number. */
const knownTwilioErrors: Record<number, { fallback: RejectionFallback; message: string }> = {
	21610: { fallback: 'optOut', message: 'The recipient has unsubscribed from SMS (replied STOP)' },
	21614: { fallback: 'landline', message: 'The number is not a mobile number and cannot receive SMS' },
	21211: { fallback: 'invalidAddress', message: "Twilio rejected the 'To' number as invalid" },
	21217: { fallback: 'invalidAddress', message: 'Twilio says the number does not appear to be valid' },
	21401: { fallback: 'invalidAddress', message: 'Twilio says the number is not a valid phone number' },
	20003: { fallback: 'configuration', message: 'Twilio refused the credentials (check Account SID and token or key)' },
	20404: { fallback: 'configuration', message: 'Twilio does not know this account or resource (check Account SID)' },
	21212: { fallback: 'configuration', message: "The 'From' number is not valid" },
	21603: { fallback: 'configuration', message: "Twilio needs a 'From' number or a Messaging Service SID" },
	21606: { fallback: 'configuration', message: "The 'From' number cannot send SMS (not an SMS-capable Twilio number)" },
	21608: { fallback: 'configuration', message: 'A trial Twilio account may only send to verified numbers' },
	21408: { fallback: 'configuration', message: 'SMS to this region is not enabled on the Twilio account' },
};

interface TwilioErrorLike {
	status?: unknown;
	code?: unknown;
	response?: unknown;
	isAxiosError?: unknown;
}

/**
 * Maps whatever the SDK threw to an outcome. RestException / TwilioServiceException carry `status` and
 * Twilio's `code`; axios network errors carry a string `code` and no response. Anything else is a bug in
 * this code or the SDK and is rethrown.
 */
export function classifyTwilioError(error: unknown): RejectedOutcome | RetryableOutcome {
	const err = (error ?? {}) as TwilioErrorLike;
	const httpStatus = typeof err.status === 'number' ? err.status : undefined;
	const twilioCode = typeof err.code === 'number' ? err.code : undefined;

	if (httpStatus !== undefined) {
		if (httpStatus === 429 || httpStatus >= 500) {
			return {
				status: 'retryable',
				code: twilioCode,
				httpStatus,
				// Twilio answers 429/5xx before creating the message.
				uncertain: false,
				message: httpStatus === 429 ? 'Twilio rate limit reached (429)' : `Twilio is unavailable (${httpStatus})`,
			};
		}
		const known = twilioCode !== undefined ? knownTwilioErrors[twilioCode] : undefined;
		if (known) return { status: 'rejected', code: twilioCode!, permanent: true, ...known };
		if (httpStatus === 401 || httpStatus === 403) {
			return {
				status: 'rejected',
				code: twilioCode ?? httpStatus,
				permanent: true,
				fallback: 'configuration',
				message: `Twilio refused the credentials (${httpStatus})`,
			};
		}
		return {
			status: 'rejected',
			code: twilioCode ?? httpStatus,
			permanent: true,
			fallback: 'other',
			message: `Twilio rejected the request (HTTP ${httpStatus}${twilioCode ? `, error ${twilioCode}` : ''})`,
		};
	}

	const networkCode = typeof err.code === 'string' ? err.code : undefined;
	if (networkCode && connectFailureCodes.has(networkCode)) {
		return {
			status: 'retryable',
			code: networkCode,
			uncertain: false,
			message: `Could not reach Twilio (${networkCode})`,
		};
	}
	if (networkCode && (ambiguousNetworkCodes.has(networkCode) || err.isAxiosError === true)) {
		return {
			status: 'retryable',
			code: networkCode,
			uncertain: true,
			message: `No answer from Twilio (${networkCode}); the message may or may not have been sent`,
		};
	}
	throw error;
}
