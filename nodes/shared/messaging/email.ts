import { randomUUID } from 'node:crypto';

import nodemailer from 'nodemailer';
import type { NodemailerError } from 'nodemailer';
import { z } from 'zod';

import { DomainError, fromZodError } from '../core/errors';
import { connectFailureCodes, type RejectedOutcome, type RetryableOutcome, type SendOutcome } from './outcome';

const smtpConfigSchema = z
	.object({
		host: z.string().trim().min(1),
		port: z.number().int().min(1).max(65535),
		/** TLS from the first byte (usually port 465). */
		secure: z.boolean().default(false),
		/** On a plain connection, STARTTLS must succeed or nothing is sent (usually port 587). */
		requireTLS: z.boolean().default(false),
		/** Never upgrade with STARTTLS: only for a relay on the same host or a private network. */
		ignoreTLS: z.boolean().default(false),
		/** Accept self-signed or expired certificates (the sandbox, some internal relays). */
		allowInvalidCertificates: z.boolean().default(false),
		user: z.string().optional(),
		password: z.string().optional(),
		from: z.union([
			z.string().email(),
			z.object({ name: z.string().max(120), address: z.string().email() }),
		]),
		replyTo: z.string().email().optional(),
		/** Connect, greeting and idle-socket timeouts. */
		timeoutMs: z.number().int().positive().default(20000),
	})
	.refine((config) => !(config.requireTLS && config.ignoreTLS), {
		path: ['requireTLS'],
		message: 'cannot be combined with ignoreTLS',
	});

export type SmtpSenderConfig = z.input<typeof smtpConfigSchema>;

export interface EmailMessage {
	to: string;
	subject: string;
	text: string;
	html?: string;
}

export type SmtpVerifyResult = { ok: true } | { ok: false; code: string | number; message: string };

export interface SmtpSender {
	sendEmail(message: EmailMessage): Promise<SendOutcome>;
	/** Connects, upgrades to TLS as configured and logs in, without sending anything. */
	verify(): Promise<SmtpVerifyResult>;
	/** Releases the transport (idle pooled sockets); safe to call twice. */
	close(): void;
}

/** The fields of the Post-Visit SMTP credential, as n8n hands them over. */
export interface SmtpCredentialData {
	host: string;
	port: number;
	security: 'starttls' | 'tls' | 'none';
	/** "Ignore SSL Issues (Insecure)"; not named …Certs because the lint treats "cert" names as secrets. */
	ignoreSslIssues?: boolean;
	user?: string;
	password?: string;
	fromEmail: string;
	fromName?: string;
	replyTo?: string;
}

/** Maps the credential's fields to a sender configuration: 'starttls' requires the upgrade, 'none' never tries it. */
export function smtpConfigFromCredential(data: SmtpCredentialData): SmtpSenderConfig {
	return {
		host: data.host,
		port: Number(data.port),
		secure: data.security === 'tls',
		requireTLS: data.security === 'starttls',
		ignoreTLS: data.security === 'none',
		allowInvalidCertificates: data.ignoreSslIssues === true,
		user: data.user || undefined,
		password: data.password || undefined,
		from: data.fromName ? { name: data.fromName, address: data.fromEmail } : data.fromEmail,
		replyTo: data.replyTo || undefined,
	};
}

const plausibleAddress = /^[^\s@<>(),;:"]+@[^\s@<>(),;:"]+\.[^\s@<>(),;:"]+$/;

/** The first problem with a configuration (a DomainError naming the field), or undefined when it is usable. */
export function smtpConfigProblem(input: SmtpSenderConfig): DomainError | undefined {
	const parsed = smtpConfigSchema.safeParse(input);
	return parsed.success ? undefined : fromZodError(parsed.error, 'SMTP configuration');
}

/**
 * An email sender over nodemailer's SMTP transport. Validates the configuration up front (DomainError naming
 * the field); after that, SMTP and network failures come back as outcomes, never as exceptions.
 */
export function createSmtpSender(input: SmtpSenderConfig): SmtpSender {
	const parsed = smtpConfigSchema.safeParse(input);
	if (!parsed.success) throw fromZodError(parsed.error, 'SMTP configuration');
	const config = parsed.data;
	const transport = nodemailer.createTransport({
		host: config.host,
		port: config.port,
		secure: config.secure,
		requireTLS: config.requireTLS,
		ignoreTLS: config.ignoreTLS,
		auth: config.user ? { user: config.user, pass: config.password ?? '' } : undefined,
		tls: { rejectUnauthorized: !config.allowInvalidCertificates },
		connectionTimeout: config.timeoutMs,
		greetingTimeout: config.timeoutMs,
		socketTimeout: config.timeoutMs,
		// Message content is built from our strings only: never let it pull files or URLs.
		disableFileAccess: true,
		disableUrlAccess: true,
		logger: false,
	});

	return {
		async sendEmail({ to, subject, text, html }) {
			if (!plausibleAddress.test(to)) {
				return {
					status: 'rejected',
					code: 'invalidTo',
					permanent: true,
					fallback: 'invalidAddress',
					message: 'The email address is malformed',
				};
			}
			if (!subject.trim()) throw new DomainError('Email subject is empty', 'invalid_input', 'subject');
			try {
				const messageId = newMessageId(config.from);
				const info = await transport.sendMail({
					from: config.from,
					to,
					replyTo: config.replyTo,
					subject,
					text,
					html,
					messageId,
					// Where the server supports DSN (RFC 3461): a bounce names this envelope id and returns only the
					// headers, never the care summary. The id is the Message-ID, so a bounce finds its touch either way.
					dsn: { id: messageId.slice(1, -1), return: 'headers', notify: ['failure'], recipient: to },
				});
				return {
					status: 'sent',
					providerId: info.messageId,
					providerStatus: replyCodeOf(info.response) ?? '250',
				};
			} catch (error) {
				return classifySmtpError(error);
			}
		},

		async verify() {
			try {
				await transport.verify();
				return { ok: true };
			} catch (error) {
				return describeVerifyFailure(error, `${config.host}:${config.port}`);
			}
		},

		close() {
			transport.close();
		},
	};
}

/** A Message-ID in the sender's domain, known before sending so it can double as the DSN envelope id. */
function newMessageId(from: SmtpSenderConfig['from']): string {
	const address = typeof from === 'string' ? from : from.address;
	return `<${randomUUID()}@${address.slice(address.lastIndexOf('@') + 1)}>`;
}

function replyCodeOf(response: unknown): string | undefined {
	return typeof response === 'string' ? /^(\d{3})/.exec(response)?.[1] : undefined;
}

/** "550 5.1.1" from "550 5.1.1 <someone@example.org> mailbox unavailable": the codes, never the text. */
function replySummary(error: NodemailerError): string {
	const first = error.rejectedErrors?.[0] ?? error;
	const match = /^(\d{3})[ -]?(\d\.\d{1,3}\.\d{1,3})?/.exec(String(first.response ?? ''));
	if (match) return [match[1], match[2]].filter(Boolean).join(' ');
	return String(first.responseCode ?? error.responseCode ?? '');
}

const setupTimeouts = new Set(['CONNECT_TIMEOUT', 'GREETING_TIMEOUT', 'UPGRADE_TIMEOUT']);

/** The connection or its TLS handshake failed: nothing of the message was sent. */
function neverReachedServer(networkCode: string | undefined): boolean {
	if (!networkCode) return false;
	return connectFailureCodes.has(networkCode) || /^ERR_(SSL|TLS)_|CERT/.test(networkCode);
}

/**
 * Maps what nodemailer threw to an outcome: a 5xx reply to RCPT is a bounce; other 5xx are permanent
 * (credentials and sender refusals flagged as configuration); 4xx, refused connections, TLS failures and
 * timeouts are retryable. Errors without a nodemailer code are bugs and are rethrown.
 */
export function classifySmtpError(error: unknown): RejectedOutcome | RetryableOutcome {
	const err = (error ?? {}) as NodemailerError;
	const command = String(err.command ?? '').toUpperCase();
	const responseCode = err.rejectedErrors?.[0]?.responseCode ?? err.responseCode;

	if (err.code === 'EAUTH' || err.code === 'ENOAUTH') {
		return {
			status: 'rejected',
			code: responseCode ?? err.code,
			permanent: true,
			fallback: 'configuration',
			message: `The mail server refused the login (${responseCode ?? err.code})`,
		};
	}
	if (err.code === 'ETLS' && typeof responseCode === 'number') {
		// The server answered STARTTLS with a refusal: the credential's security does not fit this server, and
		// every message would fail the same way (it is no verdict on this recipient or message).
		return {
			status: 'rejected',
			code: responseCode,
			permanent: true,
			fallback: 'configuration',
			message: `The mail server refused STARTTLS (${replySummary(err)}): set the credential's security to what the server offers (STARTTLS on 587, TLS on 465)`,
		};
	}
	if (typeof responseCode === 'number') {
		const permanent =
			err.rejectedErrors?.[0]?.permanent ?? err.permanent ?? (responseCode >= 500 && responseCode !== 503);
		if (!permanent) {
			return {
				status: 'retryable',
				code: responseCode,
				uncertain: false,
				message: `The mail server deferred the message (${replySummary(err)})`,
			};
		}
		if (command.startsWith('RCPT')) {
			return {
				status: 'rejected',
				code: responseCode,
				permanent: true,
				fallback: 'bounce',
				message: `The mail server refused the recipient (${replySummary(err)})`,
			};
		}
		if (command.startsWith('MAIL')) {
			return {
				status: 'rejected',
				code: responseCode,
				permanent: true,
				fallback: 'configuration',
				message: `The mail server refused the sender address (${replySummary(err)})`,
			};
		}
		return {
			status: 'rejected',
			code: responseCode,
			permanent: true,
			fallback: 'other',
			message: `The mail server refused the message (${replySummary(err)})`,
		};
	}

	const networkCode = err.originalCode ?? err.code;
	if (err.code === 'ETIMEDOUT') {
		const beforeSending = err.timeoutType !== undefined && setupTimeouts.has(err.timeoutType);
		return {
			status: 'retryable',
			code: 'ETIMEDOUT',
			// A silent server after the message went out may still deliver it.
			uncertain: !beforeSending,
			message: beforeSending
				? 'Timed out connecting to the mail server'
				: 'The mail server stopped answering; the message may or may not have been accepted',
		};
	}
	if (err.code === 'ETLS' || err.code === 'EDNS' || neverReachedServer(networkCode)) {
		return {
			status: 'retryable',
			code: networkCode,
			uncertain: false,
			message: `Could not open a connection to the mail server (${networkCode})`,
		};
	}
	if (err.code === 'ECONNECTION' || err.code === 'ESOCKET' || err.code === 'EPROTOCOL') {
		return {
			status: 'retryable',
			code: networkCode,
			uncertain: true,
			message: `The mail server connection broke (${networkCode}); the message may or may not have been accepted`,
		};
	}
	if (err.code === 'EENVELOPE') {
		return {
			status: 'rejected',
			code: 'EENVELOPE',
			permanent: true,
			fallback: 'invalidAddress',
			message: 'The recipient address was not accepted for sending',
		};
	}
	throw error;
}

function describeVerifyFailure(error: unknown, where: string): SmtpVerifyResult {
	const err = (error ?? {}) as NodemailerError;
	const networkCode = err.originalCode ?? err.code ?? 'unknown';
	if (err.code === 'EAUTH' || err.code === 'ENOAUTH') {
		return { ok: false, code: err.responseCode ?? err.code, message: `${where} refused the user name or password` };
	}
	if (networkCode === 'ECONNREFUSED') {
		return { ok: false, code: networkCode, message: `Nothing accepts connections at ${where}` };
	}
	if (err.code === 'EDNS' || networkCode === 'ENOTFOUND') {
		return { ok: false, code: networkCode, message: `The host name of ${where} does not resolve` };
	}
	if (err.code === 'ETIMEDOUT') {
		return { ok: false, code: 'ETIMEDOUT', message: `${where} did not answer in time (check host, port and security)` };
	}
	if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ALTNAME/.test(String(networkCode))) {
		return {
			ok: false,
			code: networkCode,
			message:
				`The TLS certificate of ${where} is not trusted (${networkCode}); ` +
				'turn on "Ignore SSL Issues (Insecure)" only for a server you control',
		};
	}
	if (err.code === 'ETLS' || /ssl|tls|wrong version/i.test(String(err.message))) {
		return {
			ok: false,
			code: networkCode,
			message: `TLS failed with ${where}: check that the security setting matches the port (TLS on 465, STARTTLS on 587)`,
		};
	}
	return { ok: false, code: networkCode, message: `Could not verify ${where} (${networkCode})` };
}
