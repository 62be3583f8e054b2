import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';

import { SMTPServer, type SMTPServerAddress } from 'smtp-server';

/**
 * A local SMTP server that accepts mail and keeps it in memory, parsed, for the sandbox's outbox and tests.
 * It can refuse chosen recipients permanently (550, a bounce) or temporarily (451), or go silent after the
 * message (the client's timeout fires). TLS, implicit (`secure`) or by STARTTLS, uses smtp-server's built-in
 * self-signed "localhost" certificate, which has also expired: clients must allow invalid certificates.
 * Test double only: it keeps message bodies and addresses in memory.
 */

export type RecipientBehaviour = 'bounce' | 'defer' | 'hangAfterData' | 'rejectData';
/** How the sink answers MAIL FROM for a sender: 550 (refused, permanent) or 451 (try later). */
export type SenderBehaviour = 'refuse' | 'defer';

export interface SmtpSinkOptions {
	/** 0 (default) picks a free port. */
	port?: number;
	host?: string;
	/** TLS from the first byte (like port 465). Otherwise plain with STARTTLS offered (like 587). */
	secure?: boolean;
	/** Do not offer STARTTLS on a plain connection. */
	disableStartTls?: boolean;
	/** When false, AUTH is required before MAIL FROM. Default true. */
	authOptional?: boolean;
	/** Accounts that may log in: user → password. */
	users?: Record<string, string>;
	/** Per-recipient behaviour (address, case-insensitive). */
	recipients?: Record<string, RecipientBehaviour>;
}

export interface SinkMessage {
	/** Envelope sender. */
	from: string;
	/** Envelope recipients. */
	to: string[];
	subject: string;
	text?: string;
	html?: string;
	messageId?: string;
	/** Header name (lower case) → unfolded raw value; the last one wins when repeated. */
	headers: Record<string, string>;
	raw: string;
	/** Whether the session was encrypted (implicit TLS or STARTTLS). */
	secure: boolean;
	/** The user that logged in, if any. */
	user?: string;
	/** Epoch milliseconds. */
	receivedAt: number;
}

export interface SmtpSink {
	host: string;
	port: number;
	messages: SinkMessage[];
	setRecipientBehaviour(address: string, behaviour: RecipientBehaviour | undefined): void;
	/** Sets or clears (undefined) how MAIL FROM is answered for a sender address. */
	setSenderBehaviour(address: string, behaviour: SenderBehaviour | undefined): void;
	/** Stops accepting connections (clients get "connection refused") or, with false, listens again on the same port. */
	setDown(down: boolean): Promise<void>;
	/**
	 * Offers STARTTLS (or stops offering it) from the next EHLO on. The certificate is smtp-server's built-in
	 * self-signed, expired one: a client that checks certificates fails the TLS handshake.
	 */
	setStartTls(offered: boolean): void;
	reset(): void;
	close(): Promise<void>;
}

function smtpError(responseCode: number, message: string): Error {
	return Object.assign(new Error(message), { responseCode });
}

interface SmtpServerConnection {
	_setListeners(ready: () => void): void;
	connectionReady(): void;
}

let greetsAtOnce = false;

/**
 * smtp-server (3.x) holds every greeting 100 ms to catch clients that talk before it: an anti-spam heuristic
 * for port-25 servers, hard-coded in SMTPConnection.init. Submission relays, the servers a practice's mail goes
 * to, greet at once, and the first-touch benchmark must not count the sink's own pause: the sink's connections
 * greet as soon as the socket is set up.
 */
function greetAtOnce(): void {
	if (greetsAtOnce) return;
	const fromSmtpServer = createRequire(require.resolve('smtp-server'));
	const { SMTPConnection } = fromSmtpServer('./smtp-connection') as { SMTPConnection: { prototype: SmtpServerConnection & { init(): void } } };
	SMTPConnection.prototype.init = function init(this: SmtpServerConnection) {
		this._setListeners(() => this.connectionReady());
	};
	greetsAtOnce = true;
}

export async function startSmtpSink(options: SmtpSinkOptions = {}): Promise<SmtpSink> {
	greetAtOnce();
	const messages: SinkMessage[] = [];
	const behaviours = new Map(
		Object.entries(options.recipients ?? {}).map(([address, behaviour]) => [address.toLowerCase(), behaviour]),
	);
	const users = new Map(Object.entries(options.users ?? {}));
	const senderBehaviours = new Map<string, SenderBehaviour>();
	const hungSessions = new Set<() => void>();

	const server = new SMTPServer({
		secure: options.secure ?? false,
		hideSTARTTLS: options.disableStartTls ?? false,
		disabledCommands: options.disableStartTls ? ['STARTTLS'] : [],
		authOptional: options.authOptional ?? true,
		// The sandbox's plain mode still allows a login, as a relay on localhost would.
		allowInsecureAuth: true,
		authMethods: ['PLAIN', 'LOGIN'],
		logger: false,
		closeTimeout: 100,
		// Replies go out as written: with Nagle's algorithm, the reply to a pipelined RCPT TO waited for the
		// client's delayed ACK (40 ms on loopback).
		noDelay: true,
		size: 10 * 1024 * 1024,
		onAuth(auth, _session, callback) {
			const expected = users.get(auth.username ?? '');
			if (expected === undefined || expected !== auth.password) {
				return callback(smtpError(535, '5.7.8 Authentication credentials invalid'));
			}
			return callback(null, { user: auth.username });
		},
		onMailFrom(address: SMTPServerAddress, _session, callback) {
			const behaviour = senderBehaviours.get(address.address.toLowerCase());
			if (behaviour === 'refuse') return callback(smtpError(550, `5.7.1 <${address.address}>: Sender address rejected: not permitted`));
			if (behaviour === 'defer') return callback(smtpError(451, '4.7.1 Sender temporarily refused, try again later'));
			return callback();
		},
		onRcptTo(address: SMTPServerAddress, _session, callback) {
			const behaviour = behaviours.get(address.address.toLowerCase());
			if (behaviour === 'bounce') {
				return callback(smtpError(550, `5.1.1 <${address.address}>: Recipient address rejected: mailbox unavailable`));
			}
			if (behaviour === 'defer') {
				return callback(smtpError(451, '4.3.0 Temporary local problem, try again later'));
			}
			return callback();
		},
		onData(stream, session, callback) {
			const chunks: Buffer[] = [];
			stream.on('data', (chunk: Buffer) => chunks.push(chunk));
			stream.on('end', () => {
				const recipients = session.envelope.rcptTo.map((r) => r.address);
				if (recipients.some((r) => behaviours.get(r.toLowerCase()) === 'rejectData')) {
					return callback(smtpError(554, '5.6.0 Message content rejected'));
				}
				if (recipients.some((r) => behaviours.get(r.toLowerCase()) === 'hangAfterData')) {
					// Keep the client waiting for the final reply; close() ends it.
					hungSessions.add(() => callback(smtpError(421, '4.4.2 Sandbox closing')));
					return;
				}
				const raw = Buffer.concat(chunks).toString('latin1');
				const parsed = parseMessage(raw);
				const mailFrom = session.envelope.mailFrom;
				messages.push({
					from: mailFrom ? mailFrom.address : '',
					to: recipients,
					subject: parsed.subject,
					text: parsed.text,
					html: parsed.html,
					messageId: parsed.headers['message-id'],
					headers: parsed.headers,
					raw: Buffer.from(raw, 'latin1').toString('utf8'),
					secure: session.secure,
					user: typeof session.user === 'string' ? session.user : undefined,
					receivedAt: Date.now(),
				});
				// smtp-server takes a custom reply text as a second argument; its typings omit it.
				(callback as (err: Error | null, reply: string) => void)(null, `2.0.0 Ok: queued as ${messages.length}`);
			});
		},
	});

	const host = options.host ?? '127.0.0.1';
	await new Promise<void>((resolve, reject) => {
		server.once('error', reject);
		server.listen(options.port ?? 0, host, () => {
			server.off('error', reject);
			resolve();
		});
	});
	// smtp-server reports a client's failed TLS handshake or a dropped session as a server 'error'; a real mail
	// server logs it and carries on, and so does the sink (unheard, the event would end the process).
	server.on('error', () => {});
	const { port } = server.server.address() as AddressInfo;

	return {
		host,
		port,
		messages,
		setRecipientBehaviour(address, behaviour) {
			if (behaviour) behaviours.set(address.toLowerCase(), behaviour);
			else behaviours.delete(address.toLowerCase());
		},
		setSenderBehaviour(address, behaviour) {
			if (behaviour) senderBehaviours.set(address.toLowerCase(), behaviour);
			else senderBehaviours.delete(address.toLowerCase());
		},
		async setDown(down) {
			const listener = server.server;
			if (down === !listener.listening) return;
			if (down) {
				// Stops listening at once; sessions already open finish on their own.
				listener.close();
				return;
			}
			await new Promise<void>((resolve, reject) => {
				listener.once('error', reject);
				listener.listen(port, host, () => {
					listener.off('error', reject);
					resolve();
				});
			});
		},
		setStartTls(offered) {
			const settings = server.options as { hideSTARTTLS?: boolean; disabledCommands: string[] };
			settings.hideSTARTTLS = !offered;
			settings.disabledCommands = offered
				? settings.disabledCommands.filter((command) => command !== 'STARTTLS')
				: [...new Set([...settings.disabledCommands, 'STARTTLS'])];
		},
		reset() {
			messages.length = 0;
		},
		async close() {
			for (const release of hungSessions) release();
			hungSessions.clear();
			await new Promise<void>((resolve) => server.close(() => resolve()));
		},
	};
}

// ---- a minimal RFC 5322 / MIME reader (mailparser is not installed) ----
// Byte strings are latin1 strings: one char per byte, decoded to text per part's charset.

interface Entity {
	headers: Record<string, string>;
	body: string;
}

function splitEntity(raw: string): Entity {
	const match = /\r?\n\r?\n/.exec(raw);
	const head = match ? raw.slice(0, match.index) : raw;
	const body = match ? raw.slice(match.index + match[0].length) : '';
	const headers: Record<string, string> = {};
	for (const line of head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
		const colon = line.indexOf(':');
		if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
	}
	return { headers, body };
}

function headerParams(value: string): { value: string; params: Record<string, string> } {
	const [main, ...rest] = value.split(';');
	const params: Record<string, string> = {};
	for (const part of rest) {
		const eq = part.indexOf('=');
		if (eq > 0) params[part.slice(0, eq).trim().toLowerCase()] = part.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1');
	}
	return { value: main.trim().toLowerCase(), params };
}

function decodeQuotedPrintable(bytes: string): string {
	return bytes
		.replace(/=\r?\n/g, '')
		.replace(/=([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

function toText(byteString: string, charset: string): string {
	const bytes = Buffer.from(byteString, 'latin1');
	try {
		return new TextDecoder(charset || 'utf-8').decode(bytes);
	} catch {
		return bytes.toString('utf8');
	}
}

function decodeBody(entity: Entity, charset: string): string {
	const encoding = (entity.headers['content-transfer-encoding'] ?? '7bit').toLowerCase();
	let bytes = entity.body;
	if (encoding === 'base64') bytes = Buffer.from(bytes.replace(/\s+/g, ''), 'base64').toString('latin1');
	else if (encoding === 'quoted-printable') bytes = decodeQuotedPrintable(bytes);
	return toText(bytes, charset).replace(/\r\n/g, '\n').replace(/\n$/, '');
}

/** RFC 2047 encoded words: =?UTF-8?Q?Hola_Mar=C3=ADa?= and =?UTF-8?B?…?=; spaces between words are dropped. */
function decodeEncodedWords(value: string): string {
	return value
		.replace(/(=\?[^?]+\?[QqBb]\?[^?]*\?=)\s+(?==\?)/g, '$1')
		.replace(/=\?([^?]+)\?([QqBb])\?([^?]*)\?=/g, (_, charset: string, kind: string, text: string) => {
			const bytes =
				kind.toUpperCase() === 'B'
					? Buffer.from(text, 'base64').toString('latin1')
					: decodeQuotedPrintable(text.replace(/_/g, ' '));
			return toText(bytes, charset);
		});
}

function collectParts(entity: Entity, found: { text?: string; html?: string }, depth = 0): void {
	const type = headerParams(entity.headers['content-type'] ?? 'text/plain; charset=us-ascii');
	if (type.value.startsWith('multipart/') && type.params.boundary && depth < 10) {
		const delimiter = `--${type.params.boundary}`;
		const sections = entity.body.split(new RegExp(`\\r?\\n?${delimiter.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
		// sections[0] is the preamble; a section starting with "--" is the close delimiter's tail.
		for (const section of sections.slice(1)) {
			if (section.startsWith('--')) break;
			collectParts(splitEntity(section.replace(/^[ \t]*\r?\n/, '')), found, depth + 1);
		}
		return;
	}
	const disposition = (entity.headers['content-disposition'] ?? '').toLowerCase();
	if (disposition.startsWith('attachment')) return;
	if (type.value === 'text/plain' && found.text === undefined) found.text = decodeBody(entity, type.params.charset);
	if (type.value === 'text/html' && found.html === undefined) found.html = decodeBody(entity, type.params.charset);
}

export interface ParsedMessage {
	headers: Record<string, string>;
	subject: string;
	text?: string;
	html?: string;
}

/** Reads subject, plain text and HTML out of a raw message given as a latin1 byte string. */
export function parseMessage(raw: string): ParsedMessage {
	const entity = splitEntity(raw);
	const found: { text?: string; html?: string } = {};
	collectParts(entity, found);
	const headers = Object.fromEntries(
		Object.entries(entity.headers).map(([name, value]) => [name, decodeEncodedWords(toText(value, 'utf-8'))]),
	);
	return { headers, subject: headers.subject ?? '', ...found };
}
