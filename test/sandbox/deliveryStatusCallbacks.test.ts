import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

import twilio from 'twilio';

import { createTwilioSender, voiceTwiml } from '../../nodes/shared/messaging/sms';
import { startTwilioApi } from '../../sandbox/twilio-api';
import type { TwilioApiSandbox } from '../../sandbox/twilio-api';

/*
 * The sandbox's Twilio-shaped API reports outcomes as Twilio does: form-encoded POSTs to the StatusCallback URL a
 * message or call was created with, signed with X-Twilio-Signature (checked here with the SDK's validateRequest).
 */

const accountSid = 'AC' + '5'.repeat(32);
const authToken = 'callback-auth-token';

interface Received {
	path: string;
	params: Record<string, string>;
	signatureValid: boolean;
}

let api: TwilioApiSandbox;
let receiver: ReturnType<typeof createServer>;
let callbackUrl: string;
const received: Received[] = [];

beforeAll(async () => {
	api = await startTwilioApi({ accountSid, authToken, statusCallbackDelayMs: 20 });
	receiver = createServer((request, response) => {
		const chunks: Buffer[] = [];
		request.on('data', (chunk: Buffer) => chunks.push(chunk));
		request.on('end', () => {
			const params = Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
			const url = `${callbackUrl.replace(/\/status$/, '')}${request.url}`;
			const signature = String(request.headers['x-twilio-signature'] ?? '');
			received.push({ path: request.url ?? '', params, signatureValid: twilio.validateRequest(authToken, signature, url, params) });
			response.writeHead(request.url === '/refuse' ? 500 : 204).end();
		});
	});
	await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', () => resolve()));
	callbackUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/status`;
});
afterAll(async () => {
	await api.close();
	await new Promise<void>((resolve) => receiver.close(() => resolve()));
});
beforeEach(() => {
	api.reset();
	received.length = 0;
});

const sender = () => createTwilioSender({ accountSid, authToken, from: '+15125550199', apiBaseUrl: api.url, statusCallbackUrl: callbackUrl });

async function until<T>(probe: () => T | undefined): Promise<T> {
	for (let i = 0; i < 200; i++) {
		const value = probe();
		if (value !== undefined) return value;
		await new Promise((resolve) => setTimeout(resolve, 25));
	}
	throw new Error('callbacks did not arrive');
}

describe('the Twilio sandbox\'s status callbacks', () => {
	it.each([
		[undefined, ['queued', 'sent', 'delivered'], undefined],
		['undelivered', ['queued', 'sent', 'undelivered'], '30003'],
		['failed', ['queued', 'sent', 'failed'], '30008'],
		['noAnswer', ['queued', 'sent', 'delivered'], undefined],
	] as const)('posts a message\'s statuses in order (number set to %s), signed', async (behaviour, statuses, errorCode) => {
		api.setDeliveryBehaviour('+15125550111', behaviour);
		const outcome = await sender().sendSms({ to: '+15125550111', body: 'Hello' });
		const sid = outcome.status === 'sent' ? outcome.providerId : '';
		const all = await until(() => (received.length === 3 ? received : undefined));
		expect(all.map((r) => r.params.MessageStatus)).toEqual(statuses);
		expect(all.every((r) => r.signatureValid && r.path === '/status' && r.params.MessageSid === sid && r.params.To === '+15125550111')).toBe(true);
		expect(all[2].params.ErrorCode).toBe(errorCode);
		// The sandbox notes each answer once the receiver's response is in.
		const answers = await until(() => (api.statusCallbacks.every((c) => c.answer !== undefined) ? api.statusCallbacks.map((c) => c.answer) : undefined));
		expect(answers).toEqual([204, 204, 204]);
		api.setDeliveryBehaviour('+15125550111', undefined);
	});

	it.each([
		[undefined, 'completed', '14'],
		['noAnswer', 'no-answer', '0'],
		['busy', 'busy', '0'],
		['failed', 'failed', '0'],
		['undelivered', 'completed', '14'],
	] as const)('posts a call\'s completed event (number set to %s): %s', async (behaviour, callStatus, duration) => {
		api.setDeliveryBehaviour('+15125550112', behaviour);
		const outcome = await sender().placeCall({ to: '+15125550112', twiml: voiceTwiml({ say: 'Hello', language: 'en-US' }) });
		expect(api.calls[0].statusCallbackEvents).toEqual(['completed']);
		const [callback] = await until(() => (received.length === 1 ? received : undefined));
		expect(callback.params).toMatchObject({ CallSid: outcome.status === 'sent' ? outcome.providerId : '', CallStatus: callStatus, CallDuration: duration });
		expect(callback.signatureValid).toBe(true);
		api.setDeliveryBehaviour('+15125550112', undefined);
	});

	it('repeats the last callback of a message on demand, as Twilio may', async () => {
		const outcome = await sender().sendSms({ to: '+15125550113', body: 'Hello' });
		const sid = outcome.status === 'sent' ? outcome.providerId : '';
		await until(() => (received.length === 3 ? true : undefined));
		const repeat = await api.repeatStatusCallback(sid);
		expect(repeat.params.MessageStatus).toBe('delivered');
		expect(received.map((r) => r.params.MessageStatus)).toEqual(['queued', 'sent', 'delivered', 'delivered']);
		expect(received[3].signatureValid).toBe(true);
	});

	it('posts nothing for a message created without a StatusCallback', async () => {
		await createTwilioSender({ accountSid, authToken, from: '+15125550199', apiBaseUrl: api.url }).sendSms({ to: '+15125550114', body: 'Hi' });
		await new Promise((resolve) => setTimeout(resolve, 200));
		expect(received).toEqual([]);
		expect(api.statusCallbacks).toEqual([]);
	});
});
