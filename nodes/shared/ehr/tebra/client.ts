import { EhrHttpError, sendWithRetry } from '../http';
import type { RetryPolicy } from '../http';
import type { HttpClient } from '../types';
import { EHR, isClientFault, soapAction, soapEnvelope, soapFaultText, soapResult } from './soap';
import type { TebraLogin, TebraOperation, XmlElement } from './soap';

/**
 * Least time between two calls of one operation for one Tebra account, in ms: the guide's rate limits (§3.3:
 * GetAppointments and UpdatePatient 1/s, GetAppointment and GetPractices 1 per ½ s, GetPatient 1 per ¼ s).
 * Beyond them Tebra answers 429.
 */
export const tebraPacingMs: Record<TebraOperation, number> = {
	GetAppointments: 1000,
	GetAppointment: 500,
	GetPatient: 250,
	GetPractices: 500,
	UpdatePatient: 1000,
};

export interface Pacer {
	/** Waits until this operation may be called again for this account, and books the slot. */
	pace(account: string, operation: TebraOperation): Promise<void>;
}

/**
 * Spaces calls per account and operation. A slot is booked before waiting, so concurrent callers in one
 * process queue up instead of firing together. It is process-wide because Tebra counts per account, not per
 * workflow; several n8n processes (queue mode) each keep their own, and Tebra's 429 covers the rest.
 */
export function createPacer(clock: () => number, sleep: (ms: number) => Promise<void>): Pacer {
	const nextFree = new Map<string, number>();
	return {
		async pace(account, operation) {
			const key = `${account}|${operation}`;
			const now = clock();
			const at = Math.max(now, nextFree.get(key) ?? now);
			nextFree.set(key, at + tebraPacingMs[operation]);
			if (at > now) await sleep(at - now);
		},
	};
}

const realSleep = async (ms: number) => await new Promise<void>((resolve) => setTimeout(resolve, ms));
const processPacer = createPacer(() => Date.now(), realSleep);

/** Backoff on Tebra's 429 ("…requested more than allowed over time interval…"): whole seconds, a few tries. */
export const tebraRetryPolicy: RetryPolicy = { maxAttempts: 4, baseDelayMs: 1000, maxDelayMs: 8000, sleep: realSleep };

export interface TebraClientOptions {
	http: HttpClient;
	login: TebraLogin;
	/** The SOAP endpoint URL; relative to the transport's base URL when the transport has one. */
	endpoint: string;
	retry?: RetryPolicy;
	pacer?: Pacer;
}

export interface TebraClient {
	/** One operation, paced and retried; returns its `<Op>Result` after the error and security checks. */
	call(operation: TebraOperation, fields: Record<string, string | XmlElement[] | undefined>): Promise<Record<string, unknown>>;
}

/** WCF answers every fault with 500; one the request caused is not retried (400 to sendWithRetry). */
function withClientFaults(http: HttpClient): HttpClient {
	return async (request) => {
		const response = await http(request);
		const clientFault = response.status === 500 && typeof response.body === 'string' && isClientFault(response.body);
		return clientFault ? { ...response, status: 400 } : response;
	};
}

export function createTebraClient(options: TebraClientOptions): TebraClient {
	const pacer = options.pacer ?? processPacer;
	const http = withClientFaults(options.http);
	return {
		async call(operation, fields) {
			await pacer.pace(options.login.customerKey, operation);
			const response = await sendWithRetry(
				http,
				{
					method: 'POST',
					url: options.endpoint,
					body: soapEnvelope(operation, options.login, fields),
					headers: { 'Content-Type': 'text/xml; charset=utf-8', Accept: 'text/xml', SOAPAction: soapAction(operation) },
				},
				EHR,
				options.retry ?? tebraRetryPolicy,
			);
			const text = typeof response.body === 'string' ? response.body : '';
			if (response.status < 200 || response.status >= 300) {
				const fault = soapFaultText(text);
				throw new EhrHttpError(EHR, response.status, `${operation}${fault ? `: ${fault}` : ''}`, false);
			}
			return soapResult(text, operation);
		},
	};
}
