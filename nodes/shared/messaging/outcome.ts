/**
 * What a provider did with one outbound message (SMS, voice call or email), as the journey needs it.
 * Senders never throw for provider errors; they return one of these. No outcome carries PHI: no message
 * body, no phone number, no email address, and never the provider's own error text (Twilio's and mail
 * servers' texts often quote the recipient).
 */

/** Why a permanent rejection happened, which decides the next step of the journey. */
export const rejectionFallbacks = [
	/** The recipient opted out of SMS (Twilio 21610): record the opt-out, never text again. */
	'optOut',
	/** The number cannot receive SMS (Twilio 21614): try voice or email. */
	'landline',
	/** The address or number is malformed or does not exist: try the next channel. */
	'invalidAddress',
	/** The mail server refused the recipient (SMTP 5xx on RCPT): try the next channel. */
	'bounce',
	/**
	 * The practice's own set-up is wrong (credentials, sender number, account): every message would fail
	 * the same way, so the node should stop and tell ops rather than fall back patient by patient.
	 */
	'configuration',
	/** Refused for another permanent reason. */
	'other',
] as const;
export type RejectionFallback = (typeof rejectionFallbacks)[number];

export interface SentOutcome {
	status: 'sent';
	/** Twilio's message/call SID, or the email's Message-ID. */
	providerId: string;
	/** Twilio's resource status (queued, accepted…) or, for email, the SMTP reply code ("250"). */
	providerStatus: string;
}

export interface RejectedOutcome {
	status: 'rejected';
	/** Twilio's error code (21610), the SMTP reply code (550) or a local code ("invalidTo", "EAUTH"). */
	code: number | string;
	permanent: true;
	fallback: RejectionFallback;
	/** A fixed, PHI-free description. */
	message: string;
}

export interface RetryableOutcome {
	status: 'retryable';
	/** Twilio's error code (20429), the SMTP reply code (451) or the network error code (ECONNREFUSED). */
	code?: number | string;
	httpStatus?: number;
	/**
	 * True when the request may have reached the provider and been acted on (a timeout or a dropped
	 * connection after the request was written). Retrying then risks a second message; the journey should
	 * record "unknown — check" instead. False when the provider certainly did not accept it (429, 503,
	 * connection refused, SMTP 4xx).
	 */
	uncertain: boolean;
	/** A fixed, PHI-free description. */
	message: string;
}

export type SendOutcome = SentOutcome | RejectedOutcome | RetryableOutcome;

export interface BackoffOptions {
	/** Total attempts including the first. */
	attempts: number;
	baseDelayMs: number;
	maxDelayMs: number;
	/** Injected so tests do not wait in real time. */
	sleep: (ms: number) => Promise<void>;
	/**
	 * Also retry outcomes marked `uncertain`. Off by default: a timed-out send may have been delivered,
	 * and the exactly-once rule prefers "unknown — check" over a possible duplicate.
	 */
	retryUncertain: boolean;
}

export const defaultBackoff: BackoffOptions = {
	attempts: 3,
	baseDelayMs: 1000,
	maxDelayMs: 8000,
	sleep: async (ms) => await new Promise((resolve) => setTimeout(resolve, ms)),
	retryUncertain: false,
};

/**
 * Calls `send` until it returns something other than a retryable outcome, at most `attempts` times, waiting
 * `baseDelayMs · 2^(n-1)` (capped at `maxDelayMs`) between tries. Sent and rejected outcomes return at once;
 * uncertain ones too unless `retryUncertain`. Returns the last outcome and how many attempts were made.
 */
export async function sendWithBackoff<T extends SendOutcome>(
	send: () => Promise<T>,
	options: Partial<BackoffOptions> = {},
): Promise<T & { attempts: number }> {
	const policy = { ...defaultBackoff, ...options };
	const attempts = Math.max(1, Math.floor(policy.attempts));
	for (let attempt = 1; ; attempt++) {
		const outcome = await send();
		const worthRetrying =
			outcome.status === 'retryable' && (!outcome.uncertain || policy.retryUncertain) && attempt < attempts;
		if (!worthRetrying) return { ...outcome, attempts: attempt };
		await policy.sleep(Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1)));
	}
}

/** Network error codes that prove the request never reached the provider. */
export const connectFailureCodes: ReadonlySet<string> = new Set([
	'ECONNREFUSED',
	'ENOTFOUND',
	'EAI_AGAIN',
	'EHOSTUNREACH',
	'ENETUNREACH',
	'EHOSTDOWN',
	'ENETDOWN',
	'CERT_HAS_EXPIRED',
	'DEPTH_ZERO_SELF_SIGNED_CERT',
	'SELF_SIGNED_CERT_IN_CHAIN',
	'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
	'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
	'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** Network error codes after which the provider may or may not have acted on the request. */
export const ambiguousNetworkCodes: ReadonlySet<string> = new Set([
	'ECONNRESET',
	'ECONNABORTED',
	'ETIMEDOUT',
	'ESOCKETTIMEDOUT',
	'EPIPE',
	'ERR_SOCKET_CONNECTION_TIMEOUT',
]);
