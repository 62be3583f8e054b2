import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import twilio from 'twilio';

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
	/** How messages and calls to a number end, reported by status callback (default: delivered, answered). */
	deliveryBehaviours?: Record<string, TwilioDeliveryBehaviour>;
	/** Pause before each status callback (default 300 ms): queued → sent → delivered, or the call's end. */
	statusCallbackDelayMs?: number;
	/** Where a patient's text is posted: the number's "A message comes in" webhook (settable later). */
	inboundSmsUrl?: string;
	/** The practice's Twilio number, the To of a patient's text (default +15005550006, Twilio's test number). */
	practiceNumber?: string;
}

/** A patient's text to the practice number, posted to the inbound-SMS webhook as Twilio posts it, with the answer. */
export interface SandboxInboundMessage {
	sid: string;
	from: string;
	to: string;
	body: string;
	url: string;
	params: Record<string, string>;
	/** The HTTP status the webhook answered, or the network error code. */
	answer?: number | string;
	/** The TwiML the webhook answered with. */
	twiml?: string;
	/** The text of its <Message>: what Twilio would text back to the patient. */
	reply?: string;
	sentAt: number;
}

/**
 * How a message or call that Twilio accepted ends, as its status callbacks report it: messages 'undelivered'
 * (30003, unreachable handset), calls 'noAnswer' or 'busy', both 'failed' (a message: 30008). A behaviour for the
 * other kind leaves a number's messages delivered or its calls answered.
 */
export const twilioDeliveryBehaviours = ['undelivered', 'failed', 'noAnswer', 'busy'] as const;
export type TwilioDeliveryBehaviour = (typeof twilioDeliveryBehaviours)[number];

/** One status callback the sandbox posted, as Twilio would (form-encoded, signed with the auth token). */
export interface SandboxStatusCallback {
	sid: string;
	url: string;
	params: Record<string, string>;
	/** The HTTP status the receiver answered, or the network error code. */
	answer?: number | string;
	sentAt: number;
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
	/** The StatusCallbackEvent values the call was created with (Twilio sends only `completed` by default). */
	statusCallbackEvents: string[];
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
	/** Every status callback posted so far, in order. */
	statusCallbacks: SandboxStatusCallback[];
	/** Sets or clears (undefined) how messages and calls to a number end. */
	setDeliveryBehaviour(number: string, behaviour: TwilioDeliveryBehaviour | undefined): void;
	/** Changes the pause before each status callback still to be posted. */
	setStatusCallbackDelay(ms: number): void;
	/** Posts the last status callback of a message or call again, as Twilio does when it repeats one. */
	repeatStatusCallback(sid: string): Promise<SandboxStatusCallback>;
	/**
	 * The next sends (messages or calls, in arrival order) answer with these faults, one each; with `to`, only
	 * the next sends to that number do.
	 */
	injectFaults(faults: TwilioFault[], options?: { to?: string }): void;
	/** Sets or clears (undefined) the fixed behaviour for a recipient number. */
	setNumberBehaviour(number: string, fault: TwilioFault | undefined): void;
	/** Drops injected faults not yet used (fixed number behaviours stay). */
	clearFaults(): void;
	/** Every patient text posted so far, with the webhook's answer. */
	inbound: SandboxInboundMessage[];
	/** Sets the number's "A message comes in" webhook URL. */
	setInboundSmsUrl(url: string): void;
	/**
	 * A patient texts the practice number: Twilio's inbound-message webhook (form-encoded, signed with the auth
	 * token over `url`), answered with TwiML. `signature` replaces the real one (a forged request).
	 */
	textIn(input: { from: string; body: string; to?: string; url?: string; signature?: string }): Promise<SandboxInboundMessage>;
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

const xmlEntities: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** The text of a TwiML answer's first <Message> (its own text or its <Body>), unescaped; undefined when none. */
export function twimlMessageText(twiml: string): string | undefined {
	const message = /<Message\b[^>]*>([\s\S]*?)<\/Message>/.exec(twiml)?.[1];
	if (message === undefined) return undefined;
	const body = /<Body>([\s\S]*?)<\/Body>/.exec(message)?.[1] ?? message;
	return body.replace(/&(amp|lt|gt|quot|apos);/g, (_, name: string) => xmlEntities[name]);
}

export async function startTwilioApi(options: TwilioApiOptions): Promise<TwilioApiSandbox> {
	const messages: SandboxMessage[] = [];
	const calls: SandboxCall[] = [];
	const requests: SandboxRequest[] = [];
	const pendingFaults: TwilioFault[] = [];
	const pendingFaultsByNumber = new Map<string, TwilioFault[]>();
	const numberBehaviours = new Map(Object.entries(options.numberBehaviours ?? {}));
	const deliveryBehaviours = new Map(Object.entries(options.deliveryBehaviours ?? {}));
	const statusCallbacks: SandboxStatusCallback[] = [];
	const callbackTimers = new Set<ReturnType<typeof setTimeout>>();
	let callbackDelayMs = options.statusCallbackDelayMs ?? 300;

	/** Posts one status callback as Twilio does: form fields, X-Twilio-Signature over URL and fields. */
	async function postStatusCallback(sidOf: string, url: string, params: Record<string, string>): Promise<SandboxStatusCallback> {
		const record: SandboxStatusCallback = { sid: sidOf, url, params, sentAt: Date.now() };
		statusCallbacks.push(record);
		try {
			const response = await fetch(url, {
				method: 'POST',
				headers: {
					'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
					'x-twilio-signature': twilio.getExpectedTwilioSignature(options.authToken, url, params),
					'user-agent': 'TwilioProxy/1.1',
				},
				body: new URLSearchParams(params).toString(),
			});
			record.answer = response.status;
			await response.arrayBuffer();
		} catch (error) {
			record.answer = (error as { cause?: { code?: string } }).cause?.code ?? 'error';
		}
		return record;
	}

	const inbound: SandboxInboundMessage[] = [];
	let inboundSmsUrl = options.inboundSmsUrl;

	/** Posts a patient's text as Twilio does (the fields of its incoming-message webhook) and reads the TwiML answer. */
	async function postInboundSms(input: Parameters<TwilioApiSandbox['textIn']>[0]): Promise<SandboxInboundMessage> {
		const url = input.url ?? inboundSmsUrl;
		if (!url) throw new Error('No inbound SMS URL: pass `url` or set it with setInboundSmsUrl');
		const messageSid = sid('SM');
		const params: Record<string, string> = {
			ToCountry: 'US',
			ToState: 'TX',
			SmsMessageSid: messageSid,
			NumMedia: '0',
			ToCity: 'AUSTIN',
			FromZip: '',
			SmsSid: messageSid,
			FromState: '',
			SmsStatus: 'received',
			FromCity: '',
			Body: input.body,
			FromCountry: 'US',
			To: input.to ?? options.practiceNumber ?? '+15005550006',
			ToZip: '',
			NumSegments: String(segmentCount(input.body)),
			MessageSid: messageSid,
			AccountSid: options.accountSid,
			From: input.from,
			ApiVersion: apiVersion,
		};
		const record: SandboxInboundMessage = { sid: messageSid, from: input.from, to: params.To, body: input.body, url, params, sentAt: Date.now() };
		inbound.push(record);
		try {
			const response = await fetch(url, {
				method: 'POST',
				headers: {
					'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
					'x-twilio-signature': input.signature ?? twilio.getExpectedTwilioSignature(options.authToken, url, params),
					'user-agent': 'TwilioProxy/1.1',
				},
				body: new URLSearchParams(params).toString(),
			});
			record.answer = response.status;
			const text = await response.text();
			if (/^\s*(<\?xml[^>]*>\s*)?<Response\b/.test(text)) {
				record.twiml = text;
				record.reply = twimlMessageText(text);
			}
		} catch (error) {
			record.answer = (error as { cause?: { code?: string } }).cause?.code ?? 'error';
		}
		return record;
	}

	/** Posts the callbacks one after the other, each after the sandbox's delay (timers end with close()). */
	function scheduleCallbacks(sidOf: string, url: string, sequence: Array<Record<string, string>>): void {
		const next = (index: number) => {
			if (index >= sequence.length) return;
			const timer = setTimeout(() => {
				callbackTimers.delete(timer);
				void postStatusCallback(sidOf, url, sequence[index]).then(() => next(index + 1));
			}, callbackDelayMs);
			callbackTimers.add(timer);
		};
		next(0);
	}

	/** queued → sent → delivered, or → undelivered (30003) / failed (30008), as Twilio reports a message. */
	function messageCallbacks(message: SandboxMessage): Array<Record<string, string>> {
		const base = {
			AccountSid: message.accountSid,
			ApiVersion: apiVersion,
			MessageSid: message.sid,
			SmsSid: message.sid,
			To: message.to,
			From: message.from ?? '',
			...(message.messagingServiceSid ? { MessagingServiceSid: message.messagingServiceSid } : {}),
		};
		const status = (value: string, extra: Record<string, string> = {}) => ({ ...base, MessageStatus: value, SmsStatus: value, ...extra });
		const behaviour = deliveryBehaviours.get(message.to);
		const last =
			behaviour === 'failed'
				? status('failed', { ErrorCode: '30008' })
				: behaviour === 'undelivered'
					? status('undelivered', { ErrorCode: '30003' })
					: status('delivered');
		return [status('queued'), status('sent'), last];
	}

	/** The `completed` event of a call: completed (answered), no-answer, busy or failed. */
	function callCallbacks(call: SandboxCall): Array<Record<string, string>> {
		const behaviour = deliveryBehaviours.get(call.to);
		const callStatus =
			behaviour === 'noAnswer' ? 'no-answer' : behaviour === 'busy' ? 'busy' : behaviour === 'failed' ? 'failed' : 'completed';
		const answered = callStatus === 'completed';
		return [
			{
				AccountSid: call.accountSid,
				ApiVersion: apiVersion,
				CallSid: call.sid,
				CallStatus: callStatus,
				Called: call.to,
				Caller: call.from,
				Direction: 'outbound-api',
				From: call.from,
				To: call.to,
				CallbackSource: 'call-progress-events',
				SequenceNumber: '0',
				Timestamp: rfc2822(Date.now()),
				CallDuration: answered ? '14' : '0',
				Duration: answered ? '1' : '0',
			},
		];
	}
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
		return pendingFaultsByNumber.get(to)?.shift() ?? pendingFaults.shift() ?? numberBehaviours.get(to);
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
			if (message.statusCallback) scheduleCallbacks(message.sid, message.statusCallback, messageCallbacks(message));
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
			statusCallbackEvents: form.getAll('StatusCallbackEvent'),
			dateCreated: rfc2822(receivedAt),
			receivedAt,
		};
		calls.push(call);
		// Twilio sends `completed` when no StatusCallbackEvent is given; other events are not simulated.
		const events = call.statusCallbackEvents.length ? call.statusCallbackEvents : ['completed'];
		if (call.statusCallback && events.includes('completed')) scheduleCallbacks(call.sid, call.statusCallback, callCallbacks(call));
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
		injectFaults(faults, injectOptions) {
			if (injectOptions?.to) {
				const queue = pendingFaultsByNumber.get(injectOptions.to) ?? [];
				queue.push(...faults);
				pendingFaultsByNumber.set(injectOptions.to, queue);
				return;
			}
			pendingFaults.push(...faults);
		},
		setNumberBehaviour(number, fault) {
			if (fault) numberBehaviours.set(number, fault);
			else numberBehaviours.delete(number);
		},
		statusCallbacks,
		inbound,
		setInboundSmsUrl(url) {
			inboundSmsUrl = url;
		},
		async textIn(input) {
			return await postInboundSms(input);
		},
		setDeliveryBehaviour(number, behaviour) {
			if (behaviour) deliveryBehaviours.set(number, behaviour);
			else deliveryBehaviours.delete(number);
		},
		setStatusCallbackDelay(ms) {
			callbackDelayMs = ms;
		},
		async repeatStatusCallback(sidOf) {
			const last = statusCallbacks.filter((callback) => callback.sid === sidOf).at(-1);
			if (!last) throw new Error(`No status callback was posted for ${sidOf}`);
			return await postStatusCallback(sidOf, last.url, last.params);
		},
		clearFaults() {
			pendingFaults.length = 0;
			pendingFaultsByNumber.clear();
		},
		reset() {
			messages.length = 0;
			calls.length = 0;
			requests.length = 0;
			pendingFaults.length = 0;
			pendingFaultsByNumber.clear();
			statusCallbacks.length = 0;
			inbound.length = 0;
		},
		async close() {
			for (const timer of callbackTimers) clearTimeout(timer);
			callbackTimers.clear();
			// Hung requests would otherwise keep the server open forever.
			server.closeAllConnections();
			await new Promise<void>((resolve) => server.close(() => resolve()));
		},
	};
}
