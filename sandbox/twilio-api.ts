import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local stand-in for the part of Twilio's REST API (2010-04-01) the pack uses: send a message, place a
 * call, read the account. Same paths, form bodies, Basic auth, resource JSON and error JSON as Twilio, so
 * the real `twilio` SDK talks to it unchanged (point the sender's apiBaseUrl at `url`).
 * Test double only: it keeps bodies and numbers in memory.
 */

/** How the sandbox answers a send, as Twilio documents each case. */
export const twilioFaults = [
	/** 400, code 21610: the recipient replied STOP. */
	'unsubscribed',
	/** 400, code 21614: not a mobile number (landline). */
	'notMobile',
	/** 400, code 21211: invalid 'To' number. */
	'invalidNumber',
	/** 429, code 20429. */
	'rateLimited',
	/** 500, code 20500. */
	'serverError',
	/** 503, code 20503. */
	'unavailable',
	/** Never answers (until the sandbox closes): the client's timeout fires. */
	'hang',
] as const;
export type TwilioFault = (typeof twilioFaults)[number];

export interface TwilioApiOptions {
	/** 0 (default) picks a free port. */
	port?: number;
	host?: string;
	accountSid: string;
	authToken: string;
	/** API keys that may authenticate for the account: SID (SK…) → secret. */
	apiKeys?: Record<string, string>;
	/** Fixed behaviour for a recipient number (E.164), applied to messages and calls. */
	numberBehaviours?: Record<string, TwilioFault>;
}

export interface SandboxMessage {
	sid: string;
	accountSid: string;
	to: string;
	from: string | null;
	messagingServiceSid: string | null;
	body: string;
	numSegments: number;
	status: 'queued' | 'accepted';
	statusCallback: string | null;
	dateCreated: string;
	/** Epoch milliseconds. */
	receivedAt: number;
}

export interface SandboxCall {
	sid: string;
	accountSid: string;
	to: string;
	from: string;
	twiml: string | null;
	url: string | null;
	status: 'queued';
	statusCallback: string | null;
	dateCreated: string;
	receivedAt: number;
}

export interface SandboxRequest {
	method: string;
	path: string;
	/** The Basic-auth user name that was presented (account or API key SID), if any. */
	authUser?: string;
	status: number | 'hung';
	receivedAt: number;
}

export interface TwilioApiSandbox {
	/** Base URL, e.g. http://127.0.0.1:41234 — the sender's apiBaseUrl. */
	url: string;
	port: number;
	messages: SandboxMessage[];
	calls: SandboxCall[];
	requests: SandboxRequest[];
	/** The next sends (messages or calls, in arrival order) answer with these faults, one each. */
	injectFaults(faults: TwilioFault[]): void;
	/** Sets or clears (undefined) the fixed behaviour for a recipient number. */
	setNumberBehaviour(number: string, fault: TwilioFault | undefined): void;
	/** Empties the outbox, the request log and pending faults. */
	reset(): void;
	close(): Promise<void>;
}

const apiVersion = '2010-04-01';
const e164 = /^\+[1-9]\d{6,14}$/;

interface TwilioErrorBody {
	code: number;
	message: string;
	more_info: string;
	status: number;
	detail?: string;
}

function twilioError(status: number, code: number, message: string, detail?: string): TwilioErrorBody {
	const moreInfo = `https://www.twilio.com/docs/errors/${code}`;
	return { code, message, more_info: moreInfo, status, ...(detail ? { detail } : {}) };
}

/** Twilio's error answer for each fault; the texts follow Twilio's, which quote the number. */
function faultError(fault: Exclude<TwilioFault, 'hang'>, to: string): TwilioErrorBody {
	switch (fault) {
		case 'unsubscribed':
			return twilioError(400, 21610, 'Attempt to send to unsubscribed recipient');
		case 'notMobile':
			return twilioError(400, 21614, `'To' number ${to} is not a valid mobile number`);
		case 'invalidNumber':
			return twilioError(400, 21211, `The 'To' number ${to} is not a valid phone number.`);
		case 'rateLimited':
			return twilioError(429, 20429, 'Too Many Requests');
		case 'serverError':
			return twilioError(500, 20500, 'Internal Server Error');
		case 'unavailable':
			return twilioError(503, 20503, 'Service Unavailable');
	}
}

function sid(prefix: 'SM' | 'CA'): string {
	return prefix + randomBytes(16).toString('hex');
}

/** Twilio's RFC 2822 timestamps: "Thu, 24 Aug 2023 05:01:45 +0000". */
function rfc2822(ms: number): string {
	return new Date(ms).toUTCString().replace('GMT', '+0000');
}

// GSM 03.38 basic set plus the extension table (escape + char, counts as two).
const gsmBasic = new Set(
	'@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡' +
		'ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà',
);
const gsmExtended = new Set('^{}\\[~]|€\f');

/** Segments as Twilio bills them: GSM-7 160/153 septets, otherwise UCS-2 70/67 code units. */
export function segmentCount(body: string): number {
	let septets = 0;
	let gsm = true;
	for (const char of body) {
		if (gsmBasic.has(char)) septets += 1;
		else if (gsmExtended.has(char)) septets += 2;
		else {
			gsm = false;
			break;
		}
	}
	if (gsm) return septets <= 160 ? 1 : Math.ceil(septets / 153);
	return body.length <= 70 ? 1 : Math.ceil(body.length / 67);
}

function sameSecret(presented: string, expected: string): boolean {
	const a = Buffer.from(presented);
	const b = Buffer.from(expected);
	return a.length === b.length && timingSafeEqual(a, b);
}

async function readForm(request: IncomingMessage): Promise<URLSearchParams> {
	const chunks: Buffer[] = [];
	for await (const chunk of request) chunks.push(chunk as Buffer);
	return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

export async function startTwilioApi(options: TwilioApiOptions): Promise<TwilioApiSandbox> {
	const messages: SandboxMessage[] = [];
	const calls: SandboxCall[] = [];
	const requests: SandboxRequest[] = [];
	const pendingFaults: TwilioFault[] = [];
	const numberBehaviours = new Map(Object.entries(options.numberBehaviours ?? {}));
	const apiKeys = new Map(Object.entries(options.apiKeys ?? {}));

	function authenticate(request: IncomingMessage): { ok: boolean; user?: string } {
		const header = request.headers.authorization ?? '';
		const match = /^Basic\s+(.+)$/i.exec(header);
		if (!match) return { ok: false };
		const decoded = Buffer.from(match[1], 'base64').toString('utf8');
		const separator = decoded.indexOf(':');
		if (separator < 0) return { ok: false };
		const user = decoded.slice(0, separator);
		const secret = decoded.slice(separator + 1);
		if (user === options.accountSid) return { ok: sameSecret(secret, options.authToken), user };
		const keySecret = apiKeys.get(user);
		return { ok: keySecret !== undefined && sameSecret(secret, keySecret), user };
	}

	function account() {
		const created = rfc2822(Date.UTC(2024, 0, 1));
		return {
			sid: options.accountSid,
			owner_account_sid: options.accountSid,
			friendly_name: 'Post-Visit sandbox account',
			status: 'active',
			type: 'Full',
			date_created: created,
			date_updated: created,
			uri: `/${apiVersion}/Accounts/${options.accountSid}.json`,
			subresource_uris: {
				messages: `/${apiVersion}/Accounts/${options.accountSid}/Messages.json`,
				calls: `/${apiVersion}/Accounts/${options.accountSid}/Calls.json`,
			},
		};
	}

	function messageResource(message: SandboxMessage) {
		return {
			account_sid: message.accountSid,
			api_version: apiVersion,
			body: message.body,
			date_created: message.dateCreated,
			date_sent: null,
			date_updated: message.dateCreated,
			direction: 'outbound-api',
			error_code: null,
			error_message: null,
			from: message.from,
			messaging_service_sid: message.messagingServiceSid,
			num_media: '0',
			num_segments: String(message.numSegments),
			price: null,
			price_unit: 'USD',
			sid: message.sid,
			status: message.status,
			subresource_uris: {
				media: `/${apiVersion}/Accounts/${message.accountSid}/Messages/${message.sid}/Media.json`,
			},
			to: message.to,
			uri: `/${apiVersion}/Accounts/${message.accountSid}/Messages/${message.sid}.json`,
		};
	}

	function callResource(call: SandboxCall) {
		return {
			account_sid: call.accountSid,
			annotation: null,
			answered_by: null,
			api_version: apiVersion,
			caller_name: null,
			date_created: call.dateCreated,
			date_updated: call.dateCreated,
			direction: 'outbound-api',
			duration: null,
			end_time: null,
			forwarded_from: null,
			from: call.from,
			from_formatted: call.from,
			group_sid: null,
			parent_call_sid: null,
			phone_number_sid: null,
			price: null,
			price_unit: 'USD',
			sid: call.sid,
			start_time: null,
			status: call.status,
			subresource_uris: {},
			to: call.to,
			to_formatted: call.to,
			trunk_sid: null,
			uri: `/${apiVersion}/Accounts/${call.accountSid}/Calls/${call.sid}.json`,
			queue_time: '0',
		};
	}

	/** The fault for this send, if any: an injected one first, then the number's fixed behaviour. */
	function faultFor(to: string): TwilioFault | undefined {
		return pendingFaults.shift() ?? numberBehaviours.get(to);
	}

	async function handle(request: IncomingMessage, response: ServerResponse, log: SandboxRequest): Promise<void> {
		const send = (status: number, body: unknown) => {
			log.status = status;
			response.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
			response.end(JSON.stringify(body));
		};
		/** Answers a send to `to` as Twilio would for an invalid number or an injected fault; false when it should go through. */
		const answeredWithFault = (to: string): boolean => {
			if (!e164.test(to)) {
				send(400, faultError('invalidNumber', to));
				return true;
			}
			const fault = faultFor(to);
			if (fault === 'hang') {
				log.status = 'hung';
				return true;
			}
			if (fault) {
				const error = faultError(fault, to);
				send(error.status, error);
				return true;
			}
			return false;
		};
		const path = new URL(request.url ?? '/', 'http://sandbox').pathname;
		const route = new RegExp(`^/${apiVersion}/Accounts/([^/]+?)(?:/(Messages|Calls)(?:/([^/]+?))?)?\\.json$`).exec(path);
		if (!route) return send(404, twilioError(404, 20404, `The requested resource ${path} was not found`));

		const auth = authenticate(request);
		log.authUser = auth.user;
		if (!auth.ok) {
			response.setHeader('www-authenticate', 'Basic realm="Twilio API"');
			const detail = 'Your AccountSid or AuthToken was incorrect.';
			return send(401, twilioError(401, 20003, 'Authentication Error - invalid username', detail));
		}
		const [, accountSid, collection, itemSid] = route;
		if (accountSid !== options.accountSid) {
			return send(404, twilioError(404, 20404, `The requested resource ${path} was not found`));
		}

		if (!collection) {
			return request.method === 'GET' ? send(200, account()) : send(405, twilioError(405, 20004, 'Method not allowed'));
		}
		if (itemSid) {
			if (request.method !== 'GET') return send(405, twilioError(405, 20004, 'Method not allowed'));
			const message = collection === 'Messages' ? messages.find((m) => m.sid === itemSid) : undefined;
			const call = collection === 'Calls' ? calls.find((c) => c.sid === itemSid) : undefined;
			if (message) return send(200, messageResource(message));
			if (call) return send(200, callResource(call));
			return send(404, twilioError(404, 20404, `The requested resource ${path} was not found`));
		}
		if (request.method !== 'POST') return send(405, twilioError(405, 20004, 'Method not allowed'));

		const form = await readForm(request);
		const to = form.get('To') ?? '';
		const from = form.get('From');
		const statusCallback = form.get('StatusCallback');

		if (collection === 'Messages') {
			const messagingServiceSid = form.get('MessagingServiceSid');
			const body = form.get('Body') ?? '';
			if (!to) return send(400, twilioError(400, 21604, "A 'To' phone number is required."));
			if (!from && !messagingServiceSid) return send(400, twilioError(400, 21603, "A 'From' phone number is required."));
			if (!body) return send(400, twilioError(400, 21602, 'Message body is required.'));
			if (body.length > 1600) {
				return send(400, twilioError(400, 21617, 'The concatenated message body exceeds the 1600 character limit.'));
			}
			if (answeredWithFault(to)) return;
			const receivedAt = Date.now();
			const message: SandboxMessage = {
				sid: sid('SM'),
				accountSid,
				to,
				from: from ?? null,
				messagingServiceSid: messagingServiceSid ?? null,
				body,
				numSegments: segmentCount(body),
				// Twilio answers "accepted" while a Messaging Service still has to pick the sender.
				status: from ? 'queued' : 'accepted',
				statusCallback: statusCallback ?? null,
				dateCreated: rfc2822(receivedAt),
				receivedAt,
			};
			messages.push(message);
			return send(201, messageResource(message));
		}

		const twiml = form.get('Twiml');
		const url = form.get('Url');
		if (!to) return send(400, twilioError(400, 21201, "No 'To' number is specified"));
		if (!from) return send(400, twilioError(400, 21213, "No 'From' number is specified"));
		if (!twiml && !url) return send(400, twilioError(400, 21205, 'Url parameter is required.'));
		if (answeredWithFault(to)) return;
		const receivedAt = Date.now();
		const call: SandboxCall = {
			sid: sid('CA'),
			accountSid,
			to,
			from,
			twiml: twiml ?? null,
			url: url ?? null,
			status: 'queued',
			statusCallback: statusCallback ?? null,
			dateCreated: rfc2822(receivedAt),
			receivedAt,
		};
		calls.push(call);
		return send(201, callResource(call));
	}

	const server = createServer((request, response) => {
		const log: SandboxRequest = {
			method: request.method ?? 'GET',
			path: new URL(request.url ?? '/', 'http://sandbox').pathname,
			status: 500,
			receivedAt: Date.now(),
		};
		requests.push(log);
		handle(request, response, log).catch(() => {
			if (!response.headersSent) {
				log.status = 500;
				response.writeHead(500, { 'content-type': 'application/json; charset=utf-8' });
				response.end(JSON.stringify(twilioError(500, 20500, 'Internal Server Error')));
			}
		});
	});

	await new Promise<void>((resolve, reject) => {
		server.once('error', reject);
		server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
	});
	const { port } = server.address() as AddressInfo;
	const host = options.host ?? '127.0.0.1';

	return {
		url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
		port,
		messages,
		calls,
		requests,
		injectFaults(faults) {
			pendingFaults.push(...faults);
		},
		setNumberBehaviour(number, fault) {
			if (fault) numberBehaviours.set(number, fault);
			else numberBehaviours.delete(number);
		},
		reset() {
			messages.length = 0;
			calls.length = 0;
			requests.length = 0;
			pendingFaults.length = 0;
		},
		async close() {
			// Hung requests would otherwise keep the server open forever.
			server.closeAllConnections();
			await new Promise<void>((resolve) => server.close(() => resolve()));
		},
	};
}
