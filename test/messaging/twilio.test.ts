import { DomainError } from '../../nodes/shared/core/errors';
import type { SendOutcome } from '../../nodes/shared/messaging/outcome';
import {
	createTwilioSender,
	sendWithBackoff,
	twilioConfigFromCredential,
	voiceLanguageFor,
	voiceTwiml,
	type TwilioSenderConfig,
} from '../../nodes/shared/messaging/sms';
import { segmentCount, startTwilioApi, type TwilioApiSandbox, type TwilioFault } from '../../sandbox/twilio-api';
import { closedPort } from '../helpers/net';

const accountSid = 'AC0123456789abcdef0123456789abcdef';
const authToken = 'sandbox-auth-token-0001';
const apiKeySid = 'SKfedcba9876543210fedcba9876543210';
const apiKeySecret = 'sandbox-api-key-secret-0001';
const messagingServiceSid = 'MG00112233445566778899aabbccddeeff';
const practiceNumber = '+15125550100';
const patientNumber = '+15125550199';
const smsBody = 'Hi Ana, your visit summary is ready: https://example.org/s/abc. Reply STOP to opt out.';

let sandbox: TwilioApiSandbox;

beforeAll(async () => {
	sandbox = await startTwilioApi({ accountSid, authToken, apiKeys: { [apiKeySid]: apiKeySecret } });
});
afterAll(async () => {
	await sandbox.close();
});
beforeEach(() => {
	sandbox.reset();
});

function config(overrides: Partial<TwilioSenderConfig> = {}): TwilioSenderConfig {
	return { accountSid, authToken, from: practiceNumber, apiBaseUrl: sandbox.url, ...overrides };
}

/** No outcome may carry the number, the body or the provider's own text (which quotes the number). */
function expectNoPhi(outcome: SendOutcome): void {
	const json = JSON.stringify(outcome);
	expect(json).not.toContain(patientNumber);
	expect(json).not.toContain(patientNumber.slice(1));
	expect(json).not.toContain('Ana');
	expect(json).not.toContain('not a valid');
}

describe('sendSms through the real twilio SDK', () => {
	it('sends from a number with the auth token: body, To and From arrive, SID comes back', async () => {
		const sender = createTwilioSender(config({ statusCallbackUrl: 'https://n8n.example.org/webhook/status' }));
		const outcome = await sender.sendSms({ to: patientNumber, body: smsBody });

		expect(outcome).toEqual({ status: 'sent', providerId: expect.stringMatching(/^SM[0-9a-f]{32}$/), providerStatus: 'queued' });
		expect(sandbox.messages).toHaveLength(1);
		expect(sandbox.messages[0]).toMatchObject({
			sid: outcome.status === 'sent' ? outcome.providerId : '',
			to: patientNumber,
			from: practiceNumber,
			messagingServiceSid: null,
			body: smsBody,
			numSegments: 1,
			statusCallback: 'https://n8n.example.org/webhook/status',
		});
		expect(sandbox.requests[0]).toMatchObject({
			method: 'POST',
			path: `/2010-04-01/Accounts/${accountSid}/Messages.json`,
			authUser: accountSid,
			status: 201,
		});
	});

	it('sends through a Messaging Service with an API key', async () => {
		const sender = createTwilioSender(
			config({ authToken: undefined, apiKeySid, apiKeySecret, from: undefined, messagingServiceSid }),
		);
		const outcome = await sender.sendSms({ to: patientNumber, body: smsBody });

		expect(outcome).toMatchObject({ status: 'sent', providerStatus: 'accepted' });
		expect(sandbox.messages[0]).toMatchObject({ to: patientNumber, from: null, messagingServiceSid, body: smsBody });
		expect(sandbox.requests[0].authUser).toBe(apiKeySid);
	});

	it('prefers the Messaging Service over the From number for SMS when both are set', async () => {
		const sender = createTwilioSender(config({ messagingServiceSid }));
		await sender.sendSms({ to: patientNumber, body: smsBody });
		expect(sandbox.messages[0]).toMatchObject({ from: null, messagingServiceSid });
	});

	it('counts segments the way Twilio bills them', async () => {
		expect([segmentCount('a'.repeat(160)), segmentCount('a'.repeat(161)), segmentCount('ñ'.repeat(70)), segmentCount('€'.repeat(81))]).toEqual([1, 2, 1, 2]);
		expect(segmentCount('Cita confirmada 👍')).toBe(1);
	});

	it.each<[TwilioFault, Record<string, unknown>]>([
		['unsubscribed', { status: 'rejected', code: 21610, permanent: true, fallback: 'optOut' }],
		['notMobile', { status: 'rejected', code: 21614, permanent: true, fallback: 'landline' }],
		['invalidNumber', { status: 'rejected', code: 21211, permanent: true, fallback: 'invalidAddress' }],
		['rateLimited', { status: 'retryable', code: 20429, httpStatus: 429, uncertain: false }],
		['serverError', { status: 'retryable', code: 20500, httpStatus: 500, uncertain: false }],
		['unavailable', { status: 'retryable', code: 20503, httpStatus: 503, uncertain: false }],
	])('classifies the %s answer', async (fault, expected) => {
		sandbox.setNumberBehaviour(patientNumber, fault);
		try {
			const outcome = await createTwilioSender(config()).sendSms({ to: patientNumber, body: smsBody });
			expect(outcome).toMatchObject(expected);
			expect(outcome).toHaveProperty('message', expect.any(String));
			expectNoPhi(outcome);
			expect(sandbox.messages).toHaveLength(0);
		} finally {
			sandbox.setNumberBehaviour(patientNumber, undefined);
		}
	});

	it('reports a hung request as retryable and uncertain (the message may exist)', async () => {
		sandbox.injectFaults(['hang']);
		const outcome = await createTwilioSender(config({ timeoutMs: 300 })).sendSms({ to: patientNumber, body: smsBody });
		expect(outcome).toMatchObject({ status: 'retryable', uncertain: true, code: 'ECONNABORTED' });
		expectNoPhi(outcome);
	});

	it('reports a refused connection as retryable and certain (nothing was sent)', async () => {
		const port = await closedPort();
		const outcome = await createTwilioSender(config({ apiBaseUrl: `http://127.0.0.1:${port}` })).sendSms({
			to: patientNumber,
			body: smsBody,
		});
		expect(outcome).toMatchObject({ status: 'retryable', code: 'ECONNREFUSED', uncertain: false });
	});

	it.each([
		['a wrong auth token', { authToken: 'wrong-token' }],
		['a wrong API key secret', { authToken: undefined, apiKeySid, apiKeySecret: 'wrong-secret' }],
		['another account', { accountSid: 'ACffffffffffffffffffffffffffffffff' }],
	])('flags %s as a configuration problem', async (_label, overrides) => {
		const outcome = await createTwilioSender(config(overrides)).sendSms({ to: patientNumber, body: smsBody });
		expect(outcome).toMatchObject({ status: 'rejected', permanent: true, fallback: 'configuration' });
		expect(JSON.stringify(outcome)).not.toContain('wrong');
	});

	it('reports any other 4xx (a body over 1600 characters, 21617) as a permanent rejection', async () => {
		const outcome = await createTwilioSender(config()).sendSms({ to: patientNumber, body: 'x'.repeat(1601) });
		expect(outcome).toMatchObject({ status: 'rejected', code: 21617, permanent: true, fallback: 'other' });
		expect(sandbox.messages).toHaveLength(0);
	});

	it('refuses an SMS with clinical text (the one clinical-text guard) without calling Twilio', async () => {
		const sending = createTwilioSender(config()).sendSms({ to: patientNumber, body: 'Hi Ana, book your Mammogram, diagnostic bilateral' });
		await expect(sending).rejects.toMatchObject({ code: 'clinical_text_in_sms', field: 'body' });
		await expect(sending).rejects.not.toThrow(/Mammogram/);
		expect(sandbox.requests).toHaveLength(0);
	});

	it('rejects a number that is not E.164 without calling Twilio', async () => {
		const outcome = await createTwilioSender(config()).sendSms({ to: '512-555-0199', body: smsBody });
		expect(outcome).toMatchObject({ status: 'rejected', code: 'invalidTo', fallback: 'invalidAddress' });
		expect(JSON.stringify(outcome)).not.toContain('555');
		expect(sandbox.requests).toHaveLength(0);
	});
});

describe('sendWithBackoff against the sandbox', () => {
	it.each<[TwilioFault[]]>([[['rateLimited', 'unavailable']], [['serverError', 'rateLimited']]])(
		'retries %j and then succeeds, waiting longer each time',
		async (faults) => {
			sandbox.injectFaults(faults);
			const waits: number[] = [];
			const sender = createTwilioSender(config());
			const outcome = await sendWithBackoff(() => sender.sendSms({ to: patientNumber, body: smsBody }), {
				attempts: 3,
				baseDelayMs: 100,
				sleep: async (ms) => {
					waits.push(ms);
				},
			});
			expect(outcome).toMatchObject({ status: 'sent', attempts: 3 });
			expect(waits).toEqual([100, 200]);
			expect(sandbox.messages).toHaveLength(1);
			expect(sandbox.requests.map((r) => r.status)).toEqual([
				...faults.map((f) => ({ rateLimited: 429, serverError: 500, unavailable: 503 })[f as 'rateLimited']),
				201,
			]);
		},
	);

	it('gives up after the last attempt and returns the retryable outcome', async () => {
		sandbox.injectFaults(['unavailable', 'unavailable', 'unavailable']);
		const sender = createTwilioSender(config());
		const outcome = await sendWithBackoff(() => sender.sendSms({ to: patientNumber, body: smsBody }), {
			attempts: 3,
			baseDelayMs: 1,
			sleep: async () => undefined,
		});
		expect(outcome).toMatchObject({ status: 'retryable', httpStatus: 503, attempts: 3 });
		expect(sandbox.messages).toHaveLength(0);
	});

	it('does not retry a permanent rejection', async () => {
		sandbox.injectFaults(['unsubscribed']);
		const sender = createTwilioSender(config());
		const outcome = await sendWithBackoff(() => sender.sendSms({ to: patientNumber, body: smsBody }), {
			sleep: async () => undefined,
		});
		expect(outcome).toMatchObject({ status: 'rejected', fallback: 'optOut', attempts: 1 });
		expect(sandbox.requests).toHaveLength(1);
	});

	it.each([
		[false, 1, 0],
		[true, 2, 1],
	])('with retryUncertain=%s retries a timed-out send: attempts %i, messages %i', async (retryUncertain, attempts, delivered) => {
		sandbox.injectFaults(['hang']);
		const sender = createTwilioSender(config({ timeoutMs: 300 }));
		const outcome = await sendWithBackoff(() => sender.sendSms({ to: patientNumber, body: smsBody }), {
			attempts: 2,
			retryUncertain,
			sleep: async () => undefined,
		});
		expect(outcome.attempts).toBe(attempts);
		expect(sandbox.messages).toHaveLength(delivered);
	});
});

describe('placeCall', () => {
	it.each([
		['es', { say: 'Hola, le llamamos de la clínica.', language: voiceLanguageFor('es') }, '<Say language="es-MX" loop="1">Hola, le llamamos de la clínica.</Say>'],
		['en-US', { say: 'Hello from the clinic.', language: voiceLanguageFor('en-US') }, '<Say language="en-US" loop="1">Hello from the clinic.</Say>'],
		['a recording', { playUrl: 'https://example.org/reminder.mp3' }, '<Play loop="1">https://example.org/reminder.mp3</Play>'],
	] as const)('places a call with TwiML for %s', async (_label, content, expectedFragment) => {
		const twiml = voiceTwiml(content);
		const outcome = await createTwilioSender(config()).placeCall({ to: patientNumber, twiml });

		expect(outcome).toEqual({ status: 'sent', providerId: expect.stringMatching(/^CA[0-9a-f]{32}$/), providerStatus: 'queued' });
		expect(sandbox.calls).toHaveLength(1);
		expect(sandbox.calls[0]).toMatchObject({ to: patientNumber, from: practiceNumber, url: null });
		expect(sandbox.calls[0].twiml).toContain(expectedFragment);
		expect(sandbox.calls[0].twiml).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?><Response>.*<\/Response>$/);
	});

	it('escapes text in TwiML', () => {
		expect(voiceTwiml({ say: 'Dr. <Smith> & co', language: 'en-US' })).toContain('Dr. &lt;Smith&gt; &amp; co');
		expect(() => voiceTwiml({ say: 'Your PSA test is due', language: 'en-US' })).toThrow(
			expect.objectContaining({ code: 'clinical_text_in_voice', field: 'say' }),
		);
	});

	it('classifies an invalid number for calls too', async () => {
		sandbox.injectFaults(['invalidNumber']);
		const outcome = await createTwilioSender(config()).placeCall({
			to: patientNumber,
			twiml: voiceTwiml({ say: 'Hello', language: 'en-US' }),
		});
		expect(outcome).toMatchObject({ status: 'rejected', code: 21211, fallback: 'invalidAddress' });
		expectNoPhi(outcome);
	});

	it('needs a From number: a Messaging Service cannot call', async () => {
		const sender = createTwilioSender(config({ from: undefined, messagingServiceSid }));
		await expect(sender.placeCall({ to: patientNumber, twiml: '<Response/>' })).rejects.toThrow(DomainError);
		expect(sandbox.requests).toHaveLength(0);
	});
});

describe('configuration', () => {
	it.each<[string, Partial<TwilioSenderConfig>, string]>([
		['an account SID that is not AC…', { accountSid: 'SK0123456789abcdef0123456789abcdef' }, 'accountSid'],
		['neither token nor key', { authToken: undefined }, 'authToken'],
		['a key without its secret', { authToken: undefined, apiKeySid }, 'apiKeySecret'],
		['neither From nor Messaging Service', { from: undefined }, 'from'],
		['a From number that is not E.164', { from: '5125559876' }, 'from'],
		['a base URL that is not a URL', { apiBaseUrl: 'sandbox' }, 'apiBaseUrl'],
	])('refuses %s, naming the field and not the value', (_label, overrides, field) => {
		const attempt = () => createTwilioSender(config(overrides));
		expect(attempt).toThrow(DomainError);
		try {
			attempt();
		} catch (error) {
			expect((error as DomainError).field).toBe(field);
			expect((error as DomainError).message).not.toContain('5125559876');
		}
	});

	it('maps the credential fields, ignoring the unused auth type and empty fields', () => {
		expect(
			twilioConfigFromCredential({
				authType: 'apiKey',
				accountSid: ` ${accountSid} `,
				authToken: 'left-over-token',
				apiKeySid,
				apiKeySecret,
				from: '',
				messagingServiceSid,
				apiBaseUrl: 'https://api.twilio.com',
				statusCallbackUrl: '',
			}),
		).toEqual({
			accountSid,
			authToken: undefined,
			apiKeySid,
			apiKeySecret,
			from: undefined,
			messagingServiceSid,
			apiBaseUrl: 'https://api.twilio.com',
			statusCallbackUrl: undefined,
		});
	});
});
