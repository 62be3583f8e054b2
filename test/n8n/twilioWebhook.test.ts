import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

import { WebhookContext } from 'n8n-core';
import { NodeConnectionTypes } from 'n8n-workflow';
import type {
	ICredentialDataDecryptedObject,
	INodeType,
	INodeTypeDescription,
	IWebhookData,
	IWebhookFunctions,
	IWebhookResponseData,
} from 'n8n-workflow';
import twilio from 'twilio';

import {
	isValidTwilioSignature,
	parseTwilioForm,
	signedUrlOf,
	twimlReply,
	verifyTwilioWebhook,
} from '../../nodes/shared/n8n/twilioWebhook';
import { parseTextInRequest } from '../../sandbox/control';
import { startTwilioApi, twimlMessageText } from '../../sandbox/twilio-api';
import { createEngine } from '../helpers/engine';
import { packCredentialTypes } from '../helpers/fixtures';
import { capturingResponse } from '../helpers/webhookStandIns';

/*
 * verifyTwilioWebhook runs inside n8n-core's own WebhookContext (webhook URL computed by n8n from the node's path,
 * credential read as n8n reads it). Requests are signed with the twilio SDK's own signing function, the one
 * Twilio's servers match.
 */

const authToken = 'twilio-auth-token-0123456789abcdef';
const path = 'post-visit/patient-replies';
const webhookUrl = `http://127.0.0.1/webhook/${path}`;

/** A node whose webhook does nothing but call the function under test, as a trigger would. */
class TwilioProbe implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Twilio Probe',
		name: 'twilioProbe',
		group: ['trigger'],
		version: 1,
		description: 'Verifies a Twilio webhook',
		defaults: { name: 'Twilio Probe' },
		inputs: [],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: 'postVisitTwilioApi', required: true }],
		webhooks: [{ name: 'default', httpMethod: 'POST', responseMode: 'onReceived', path: '={{$parameter["path"]}}', isFullPath: true }],
		properties: [{ displayName: 'Path', name: 'path', type: 'string', default: path }],
	};

	async webhook(this: IWebhookFunctions): Promise<IWebhookResponseData> {
		const result = await verifyTwilioWebhook(this, { label: 'Twilio Probe' });
		if (!result.verified) return result.response;
		return { workflowData: [[{ json: { ...result.params, signedUrl: result.url } }]] };
	}
}

interface Captured {
	statusCode?: number;
	body?: unknown;
	headers: Record<string, string>;
	warnings: string[];
}

const inboundSms = {
	ToCountry: 'US',
	SmsMessageSid: 'SM0123456789abcdef0123456789abcdef',
	NumMedia: '0',
	From: '+15125550123',
	To: '+15125550100',
	Body: 'Stop please & thanks + bye',
	MessageSid: 'SM0123456789abcdef0123456789abcdef',
	AccountSid: 'AC0123456789abcdef0123456789abcdef',
	ApiVersion: '2010-04-01',
};

function formOf(params: Record<string, string>): string {
	return new URLSearchParams(params).toString();
}

interface Delivery {
	body: string;
	signature?: string;
	requestUrl?: string;
	lazyBody?: boolean;
	contentLength?: number;
}

async function deliver(delivery: Delivery, credential: ICredentialDataDecryptedObject = { authType: 'authToken', authToken }) {
	const probe = new TwilioProbe();
	const engine = createEngine(
		{ nodes: [{ name: 'Twilio Probe', type: 'n8n-nodes-post-visit.twilioProbe', webhookId: 'hook-1', parameters: {} }], connections: {} },
		{ nodeTypes: { twilioProbe: probe }, credentials: { postVisitTwilioApi: credential }, credentialTypes: packCredentialTypes() },
	);
	const captured: Captured = { headers: {}, warnings: [] };
	const raw = Buffer.from(delivery.body);
	const request: Record<string, unknown> = {
		method: 'POST',
		url: delivery.requestUrl ?? `/webhook/${path}`,
		headers: {
			'content-type': 'application/x-www-form-urlencoded',
			'content-length': String(delivery.contentLength ?? raw.length),
			...(delivery.signature !== undefined ? { 'x-twilio-signature': delivery.signature } : {}),
		},
		query: {},
		params: {},
		body: {},
	};
	if (delivery.lazyBody) request.readRawBody = async () => void (request.rawBody = raw);
	else request.rawBody = raw;
	const response = capturingResponse(captured);
	const node = engine.node('Twilio Probe');
	const webhookData = {
		httpMethod: 'POST',
		node: node.name,
		path,
		webhookDescription: probe.description.webhooks![0],
		workflowId: engine.workflow.id,
		webhookId: node.webhookId,
	} as unknown as IWebhookData;
	const additionalData = { ...engine.additionalData, httpRequest: request, httpResponse: response };
	const context = new WebhookContext(engine.workflow, node, additionalData as never, 'webhook', webhookData, [], null);
	Object.defineProperty(context, 'logger', { value: { warn: (message: string) => captured.warnings.push(message), debug() {}, info() {}, error() {} } });
	const result = await probe.webhook.call(context);
	return { result, captured };
}

const sign = (url: string, params: Record<string, string>, token = authToken) => twilio.getExpectedTwilioSignature(token, url, params);

describe('verifyTwilioWebhook in n8n-core WebhookContext', () => {
	it.each([false, true])('accepts an inbound SMS signed by Twilio for the node URL (body read lazily: %s)', async (lazyBody) => {
		const { result, captured } = await deliver({ body: formOf(inboundSms), signature: sign(webhookUrl, inboundSms), lazyBody });
		expect(result.workflowData).toEqual([[{ json: { ...inboundSms, signedUrl: webhookUrl } }]]);
		expect(captured.statusCode).toBeUndefined();
		expect(captured.warnings).toEqual([]);
	});

	it('accepts a URL configured in the Twilio console with a query string (Twilio signs the full URL)', async () => {
		const signedUrl = `${webhookUrl}?practice=riverside`;
		const { result } = await deliver({
			body: formOf(inboundSms),
			signature: sign(signedUrl, inboundSms),
			requestUrl: `/webhook/${path}?practice=riverside`,
		});
		expect(result.workflowData?.[0][0].json.signedUrl).toBe(signedUrl);
	});

	const forgeries: Array<[string, Delivery, RegExp]> = [
		['no signature header', { body: formOf(inboundSms) }, /no X-Twilio-Signature/],
		['signed with another auth token', { body: formOf(inboundSms), signature: sign(webhookUrl, inboundSms, 'guessed-token') }, /does not match/],
		[
			'a changed Body under a valid signature',
			{ body: formOf({ ...inboundSms, Body: 'START' }), signature: sign(webhookUrl, inboundSms) },
			/does not match/,
		],
		[
			'signed for another URL (e.g. the Host header an attacker chose)',
			{ body: formOf(inboundSms), signature: sign(`http://evil.example/webhook/${path}`, inboundSms) },
			/does not match/,
		],
		['a garbage signature', { body: formOf(inboundSms), signature: 'not-base64-at-all' }, /does not match/],
	];

	it.each(forgeries)('answers 403 and starts nothing for %s, logging the reason without the body', async (_label, delivery, reason) => {
		const { result, captured } = await deliver(delivery);
		expect(result).toEqual({ noWebhookResponse: true });
		expect(captured.statusCode).toBe(403);
		expect(captured.body).toEqual({ error: 'Twilio signature not valid' });
		expect(captured.warnings).toEqual([expect.stringMatching(reason)]);
		expect(captured.warnings[0]).not.toMatch(/Stop please|5550123/);
	});

	it('answers 403 with an actionable log when the credential has no Auth Token (API-key-only credential)', async () => {
		const { result, captured } = await deliver(
			{ body: formOf(inboundSms), signature: sign(webhookUrl, inboundSms) },
			{ authType: 'apiKey', apiKeySid: 'SK0123456789abcdef0123456789abcdef', apiKeySecret: 'x' },
		);
		expect(result).toEqual({ noWebhookResponse: true });
		expect(captured.statusCode).toBe(403);
		expect(captured.warnings[0]).toMatch(/no Auth Token/);
	});

	it('refuses an oversized body with 413 before reading it', async () => {
		const { result, captured } = await deliver({ body: formOf(inboundSms), signature: sign(webhookUrl, inboundSms), contentLength: 10_000_000 });
		expect(result).toEqual({ noWebhookResponse: true });
		expect(captured.statusCode).toBe(413);
	});
});

describe('Twilio webhook helpers', () => {
	it.each([
		['a+b%2Bc=1&Body=Hola+se%C3%B1or', { 'a b+c': '1', Body: 'Hola señor' }],
		['Body=&From=%2B15125550123', { Body: '', From: '+15125550123' }],
		['MediaUrl=a&MediaUrl=b', { MediaUrl: ['a', 'b'] }],
	])('parseTwilioForm(%j)', (body, expected) => {
		expect(parseTwilioForm(body)).toEqual(expected);
	});

	it.each([
		[webhookUrl, `/webhook/${path}`, webhookUrl],
		[webhookUrl, `/webhook/${path}?`, webhookUrl],
		[webhookUrl, `/webhook/${path}?a=1&b=2`, `${webhookUrl}?a=1&b=2`],
		[webhookUrl, undefined, webhookUrl],
	])('signedUrlOf(%s, %s) = %s', (configured, requestUrl, expected) => {
		expect(signedUrlOf(configured, requestUrl)).toBe(expected);
	});

	it('checks repeated keys as Twilio signs them (every value)', () => {
		const params = { MediaUrl: ['https://m/1', 'https://m/2'], Body: 'x' };
		expect(isValidTwilioSignature(authToken, sign(webhookUrl, params as never), webhookUrl, params)).toBe(true);
		expect(isValidTwilioSignature(authToken, sign(webhookUrl, params as never), webhookUrl, { ...params, MediaUrl: ['https://m/1'] })).toBe(false);
		expect(isValidTwilioSignature('', 'sig', webhookUrl, params)).toBe(false);
	});

	it.each([
		['Reply STOP & <go>', '<?xml version="1.0" encoding="UTF-8"?><Response><Message>Reply STOP &amp; &lt;go&gt;</Message></Response>'],
		[undefined, '<?xml version="1.0" encoding="UTF-8"?><Response/>'],
	])('twimlReply(%j) is escaped TwiML', (text, xml) => {
		expect(twimlReply(text)).toBe(xml);
	});

	it('twimlReply refuses clinical text, as every outbound SMS does', () => {
		expect(() => twimlReply('Hill Clinic: Viral load, quantitative: https://book.example.com/x')).toThrow(
			expect.objectContaining({ code: 'clinical_text_in_sms', field: 'reply' }),
		);
	});
});

describe('the sandbox Twilio: a patient texts in', () => {
	it('posts the form Twilio posts, signed so that verification passes, and reads the TwiML answer', async () => {
		const received: Array<{ url: string; signature: string; form: Record<string, string | string[]>; type: string }> = [];
		const receiver = createServer((request, response) => {
			const chunks: Buffer[] = [];
			request.on('data', (chunk: Buffer) => chunks.push(chunk));
			request.on('end', () => {
				received.push({
					url: request.url ?? '',
					signature: String(request.headers['x-twilio-signature'] ?? ''),
					form: parseTwilioForm(Buffer.concat(chunks)),
					type: String(request.headers['content-type'] ?? ''),
				});
				response.writeHead(200, { 'content-type': 'text/xml' });
				response.end(twimlReply('Got it & thanks <3'));
			});
		});
		await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', () => resolve()));
		const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/webhook/${path}`;
		const sandbox = await startTwilioApi({ accountSid: 'AC' + 'ab12'.repeat(8), authToken, practiceNumber: '+15125550199', inboundSmsUrl: url });
		try {
			const sent = await sandbox.textIn({ from: '+15125550123', body: 'Sí, gracias' });
			expect(sent).toMatchObject({ answer: 200, reply: 'Got it & thanks <3', from: '+15125550123', to: '+15125550199' });
			expect(sandbox.inbound).toEqual([sent]);
			const [request] = received;
			expect(request.type).toMatch(/^application\/x-www-form-urlencoded/);
			expect(request.form).toMatchObject({ From: '+15125550123', To: '+15125550199', Body: 'Sí, gracias', MessageSid: sent.sid, SmsMessageSid: sent.sid });
			expect(isValidTwilioSignature(authToken, request.signature, url, request.form)).toBe(true);
			const forged = await sandbox.textIn({ from: '+15125550123', body: 'STOP', signature: 'forged' });
			expect(isValidTwilioSignature(authToken, received[1].signature, url, received[1].form)).toBe(false);
			expect(forged.answer).toBe(200);
		} finally {
			await sandbox.close();
			await new Promise((resolve) => receiver.close(resolve));
		}
	});

	it.each([
		['<?xml version="1.0" encoding="UTF-8"?><Response><Message>A &amp; B</Message></Response>', 'A & B'],
		['<Response><Message><Body>Hi &lt;you&gt;</Body></Message></Response>', 'Hi <you>'],
		['<?xml version="1.0" encoding="UTF-8"?><Response/>', undefined],
	])('twimlMessageText(%j)', (twiml, text) => {
		expect(twimlMessageText(twiml)).toBe(text);
	});

	it.each([
		[{ patient: 'john', body: 'STOP' }, { from: '+15555550102', body: 'STOP' }],
		[{ from: '+15125550177', body: 'hello?' }, { from: '+15125550177', body: 'hello?' }],
	])('control API text-in accepts %j', (body, expected) => {
		expect(parseTextInRequest(body)).toEqual(expected);
	});

	it.each([
		[{ patient: 'leilani', body: 'STOP' }, /leilani has no mobile number/],
		[{ patient: 'bob', body: 'STOP' }, /unknown patient "bob"/],
		[{ from: '5125550177', body: 'hi' }, /"from" as an E.164 number/],
		[{ patient: 'john', body: '' }, /1 to 1600 characters/],
		[[], /JSON object/],
	])('control API text-in refuses %j', (body, message) => {
		expect(() => parseTextInRequest(body)).toThrow(message);
	});
});
