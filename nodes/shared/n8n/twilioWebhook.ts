import twilio from 'twilio';
import type { IWebhookFunctions, IWebhookResponseData } from 'n8n-workflow';

import { assertNoClinicalText } from '../core/compose/clinical';

/** The credential whose Auth Token Twilio signs its webhooks with (the account's, also under API-key auth). */
export const twilioCredentialName = 'postVisitTwilioApi';

/** Twilio's own webhooks are a few KB (an SMS body is at most 1600 characters); anything far larger is not Twilio. */
const defaultMaxBodyBytes = 64 * 1024;

type RequestWithRawBody = ReturnType<IWebhookFunctions['getRequestObject']> & {
	rawBody?: Buffer;
	readRawBody?: () => Promise<void>;
};

/** Form fields as received; a key Twilio repeats keeps every value, as the signature covers them all. */
export type TwilioFormParams = Record<string, string | string[]>;

export type TwilioWebhookResult =
	| {
			verified: true;
			/** The posted fields, one string each (the last value of a repeated key). */
			params: Record<string, string>;
			/** The URL the signature was checked against. */
			url: string;
	  }
	| {
			verified: false;
			/** Already answered (403 or 413); return this from webhook() so no execution starts. */
			response: IWebhookResponseData;
	  };

export interface TwilioWebhookOptions {
	/** Named in the warn log of a refusal, e.g. "Patient Reply Trigger". */
	label: string;
	/** The node's webhook whose URL Twilio was given; 'default' unless the node declares others. */
	webhookName?: 'default' | 'setup';
	credentialName?: string;
	maxBodyBytes?: number;
}

/** Decodes an application/x-www-form-urlencoded body exactly as Twilio encodes it (`+` is a space). */
export function parseTwilioForm(body: Buffer | string): TwilioFormParams {
	const params: TwilioFormParams = {};
	for (const [key, value] of new URLSearchParams(body.toString('utf8'))) {
		const seen = params[key];
		if (seen === undefined) params[key] = value;
		else params[key] = Array.isArray(seen) ? [...seen, value] : [seen, value];
	}
	return params;
}

/**
 * The URL Twilio signed: the webhook URL n8n publishes for this node plus the query string of the request as it
 * arrived (Twilio signs the full URL it was configured with, query included).
 *
 * Not rebuilt from the Host header and protocol of the request: behind a reverse proxy or TLS terminator n8n sees
 * http://internal-host:5678 while Twilio signed https://n8n.example.org, and a Host header is chosen by the
 * sender. n8n's configured webhook URL (N8N_WEBHOOK_URL) is the public URL ops paste into the Twilio console.
 */
export function signedUrlOf(webhookUrl: string, requestUrl: string | undefined): string {
	const queryStart = requestUrl?.indexOf('?') ?? -1;
	if (queryStart < 0 || !requestUrl) return webhookUrl;
	const query = requestUrl.slice(queryStart + 1);
	return query ? `${webhookUrl}?${query}` : webhookUrl;
}

/** Constant-time check of X-Twilio-Signature over the URL and the posted fields (the twilio SDK's validateRequest). */
export function isValidTwilioSignature(authToken: string, signature: string, url: string, params: TwilioFormParams): boolean {
	if (!authToken || !signature) return false;
	try {
		return twilio.validateRequest(authToken, signature, url, params);
	} catch {
		return false;
	}
}

async function rawBodyOf(request: RequestWithRawBody): Promise<Buffer | undefined> {
	// n8n reads the body lazily; the signature covers the fields as posted, so decode the bytes ourselves.
	if (!request.rawBody && typeof request.readRawBody === 'function') await request.readRawBody();
	return request.rawBody;
}

function paramsOfParsedBody(body: unknown): TwilioFormParams {
	if (!body || typeof body !== 'object') return {};
	const params: TwilioFormParams = {};
	for (const [key, value] of Object.entries(body as Record<string, unknown>)) {
		if (typeof value === 'string') params[key] = value;
		else if (Array.isArray(value)) params[key] = value.map(String);
	}
	return params;
}

function refuse(context: IWebhookFunctions, label: string, status: 403 | 413, reason: string): TwilioWebhookResult {
	context.logger.warn(`${label} refused a Twilio request with ${status}: ${reason}`);
	const response = context.getResponseObject();
	response.status(status).json({ error: status === 403 ? 'Twilio signature not valid' : 'Body too large' });
	return { verified: false, response: { noWebhookResponse: true } };
}

function singleValued(params: TwilioFormParams): Record<string, string> {
	return Object.fromEntries(
		Object.entries(params).map(([key, value]) => [key, Array.isArray(value) ? (value.at(-1) ?? '') : value]),
	);
}

/**
 * Reads a Twilio webhook (inbound SMS, message or call status callback) in a node's webhook() and verifies its
 * X-Twilio-Signature against the Auth Token of the node's Twilio credential. A missing or wrong signature, or a
 * credential without an Auth Token, is answered 403 and logged at warn level with the reason, never the body;
 * the caller then returns `response` so no execution starts.
 */
export async function verifyTwilioWebhook(
	context: IWebhookFunctions,
	options: TwilioWebhookOptions,
): Promise<TwilioWebhookResult> {
	const { label } = options;
	const maxBytes = options.maxBodyBytes ?? defaultMaxBodyBytes;
	const request = context.getRequestObject() as RequestWithRawBody;
	const declaredLength = Number(request.headers['content-length'] ?? 0);
	if (declaredLength > maxBytes) return refuse(context, label, 413, `body of ${declaredLength} bytes is over the limit`);
	const rawBody = await rawBodyOf(request);
	if (rawBody && rawBody.length > maxBytes) return refuse(context, label, 413, `body of ${rawBody.length} bytes is over the limit`);
	const params = rawBody ? parseTwilioForm(rawBody) : paramsOfParsedBody(request.body);

	const header = request.headers['x-twilio-signature'];
	const signature = Array.isArray(header) ? header[0] : header;
	if (!signature) return refuse(context, label, 403, 'no X-Twilio-Signature header');

	const credential = await context.getCredentials(options.credentialName ?? twilioCredentialName);
	const authToken = typeof credential.authToken === 'string' ? credential.authToken : '';
	if (!authToken) {
		return refuse(
			context,
			label,
			403,
			'the Twilio credential has no Auth Token; Twilio signs webhooks with the account Auth Token, also when sending with an API key',
		);
	}

	// The endpoint actually served: the production URL, or /webhook-test/… while the editor listens for a test event.
	const webhookName = options.webhookName ?? 'default';
	const webhookUrl = context.getWebhookResourceUrl(webhookName) ?? context.getNodeWebhookUrl(webhookName);
	if (!webhookUrl) return refuse(context, label, 403, 'the node has no webhook URL to check the signature against');
	const url = signedUrlOf(webhookUrl, request.originalUrl ?? request.url);
	if (!isValidTwilioSignature(authToken, signature, url, params)) {
		return refuse(context, label, 403, `X-Twilio-Signature does not match ${url} (check N8N_WEBHOOK_URL is the URL given to Twilio)`);
	}
	return { verified: true, params: singleValued(params), url };
}

/**
 * TwiML that sends one SMS back to the sender (text escaped by the SDK), or an empty response when there is none.
 * The text passes the clinical-text guard like every other outbound SMS.
 */
export function twimlReply(text: string | undefined): string {
	const response = new twilio.twiml.MessagingResponse();
	if (text) {
		assertNoClinicalText(text, 'sms', 'reply');
		response.message(text);
	}
	return response.toString();
}

/** Answers the webhook with TwiML now; return the result's `{ noWebhookResponse: true }` merged with workflowData. */
export function answerTwiml(context: IWebhookFunctions, twiml: string): void {
	const response = context.getResponseObject();
	response.status(200);
	response.setHeader('Content-Type', 'text/xml; charset=utf-8');
	response.send(twiml);
}
