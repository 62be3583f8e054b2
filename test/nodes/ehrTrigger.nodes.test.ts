import { createHmac } from 'node:crypto';

import { parseSearchRequest } from '@medplum/core';
import { HookContext, WebhookContext } from 'n8n-core';
import type { IDataObject, IWebhookData, IWebhookResponseData } from 'n8n-workflow';

import { EhrTrigger } from '../../nodes/EhrTrigger/EhrTrigger.node';
import type { EhrKind } from '../../nodes/shared/core/schemas';
import { buildAthenaDelivery } from '../../sandbox/athenahealth-server';
import { buildDrChronoDelivery, buildDrChronoHandshake } from '../../sandbox/drchrono-server';
import { fhirBackportNotification } from '../../sandbox/fhir-demo';
import { startFhirServer, updateResource } from '../../sandbox/fhir-server';
import type { FhirServer } from '../../sandbox/fhir-server';
import { join } from 'node:path';

import { openJourneyStore } from '../../nodes/shared/store';
import { createEngine } from '../helpers/engine';
import { fhirCredential, journeyStoreCredential, packCredentialTypes, tempDir, testContactHashSecret } from '../helpers/fixtures';
import { capturingResponse, webhookRequestOf } from '../helpers/webhookStandIns';
import type { CapturedResponse, WebhookDelivery } from '../helpers/webhookStandIns';

/*
 * The trigger runs in n8n-core's own WebhookContext and HookContext (parameters with their defaults, the
 * credential read as n8n reads it, static data and webhook URLs as n8n computes them). Only the HTTP request and
 * response objects are stand-ins for the ones n8n's webhook server hands over.
 */

const secret = 'whsec-trigger-0123456789abcdef0123';
const webhookPath = 'post-visit/visit-completed';
const trigger = new EhrTrigger();


function triggerWorkflow(ehr: EhrKind, parameters: IDataObject = {}) {
	return {
		nodes: [
			{
				name: 'EHR Trigger',
				type: 'n8n-nodes-post-visit.ehrTrigger',
				webhookId: 'f0c1c4a2-0d7e-4a55-9d43-5b0a6c1f2e77',
				parameters: { ehr, path: webhookPath, ...parameters },
			},
		],
		connections: {},
	};
}

const webhookCredential = (overrides: IDataObject = {}) => ({ secret, previousSecret: '', headerName: 'X-Webhook-Secret', ...overrides });

interface DeliverOptions {
	lazyBody?: boolean;
	credential?: IDataObject;
	parameters?: IDataObject;
	/** Other credentials on the node (e.g. the journey store). */
	credentials?: Record<string, IDataObject>;
	/** Receives what the node logs through n8n's logger, by level. */
	logs?: Array<{ level: string; message: string }>;
}

/** One delivery through the trigger's webhook(), in n8n-core's WebhookContext. */
async function deliver(ehr: EhrKind, delivery: WebhookDelivery, options: DeliverOptions = {}) {
	const engine = createEngine(triggerWorkflow(ehr, options.parameters), {
		nodeTypes: { ehrTrigger: trigger },
		credentials: { ehrWebhookApi: webhookCredential(options.credential), ...options.credentials },
		credentialTypes: packCredentialTypes(),
	});
	const captured: CapturedResponse = {};
	const node = engine.node('EHR Trigger');
	const description = trigger.description.webhooks!.find((webhook) => webhook.httpMethod === delivery.method)!;
	const webhookData = {
		httpMethod: delivery.method,
		node: node.name,
		path: webhookPath,
		webhookDescription: description,
		workflowId: engine.workflow.id,
		webhookId: node.webhookId,
	} as unknown as IWebhookData;
	const additionalData = { ...engine.additionalData, httpRequest: webhookRequestOf(delivery, options), httpResponse: capturingResponse(captured) };
	const context = new WebhookContext(engine.workflow, node, additionalData as never, 'webhook', webhookData, [], null);
	const logs = options.logs;
	if (logs) {
		const logger = Object.fromEntries(
			['error', 'warn', 'info', 'debug'].map((level) => [level, (message: string) => logs.push({ level, message })]),
		);
		Object.defineProperty(context, 'logger', { value: logger });
	}
	const result: IWebhookResponseData = await trigger.webhook.call(context);
	return { result, response: captured };
}

function fhirDelivery(encounterId: string, eventNumber: number, headerSecret = secret): WebhookDelivery {
	return {
		method: 'POST',
		headers: { 'Content-Type': 'application/fhir+json', 'X-Webhook-Secret': headerSecret },
		rawBody: Buffer.from(JSON.stringify(fhirBackportNotification(encounterId, eventNumber))),
	};
}

function athenaDelivery(signingSecret = secret): WebhookDelivery {
	const delivery = buildAthenaDelivery({
		practiceId: '195900',
		secret: signingSecret,
		events: [{ topic: 'Appointment.check-out', appointmentId: '5001', patientId: '1001', departmentId: '1', eventId: 'evt-5001' }],
	});
	return { method: 'POST', headers: delivery.headers, rawBody: Buffer.from(delivery.body) };
}

const completedAppointment = {
	id: '9001',
	patient: 5001,
	doctor: 1001,
	office: 2001,
	exam_room: 1,
	profile: null,
	status: 'Complete',
	scheduled_time: '2026-03-10T09:00:00',
	duration: 30,
	reason: 'Follow-up',
	notes: '',
	created_at: '2026-02-24T00:00:00',
	updated_at: '2026-03-10T09:40:00',
	deleted_flag: false,
	appt_is_break: false,
	status_transitions: [{ appointment: '9001', datetime: '2026-03-10T09:40:00', from_status: 'In Session', to_status: 'Complete' }],
};

function drChronoDelivery(signingSecret = secret, object: IDataObject = completedAppointment): WebhookDelivery {
	const delivery = buildDrChronoDelivery({ secret: signingSecret, event: 'APPOINTMENT_MODIFY', object, deliveryId: 'delivery-9001', signature: 'hmac' });
	return { method: 'POST', headers: delivery.headers, rawBody: delivery.rawBody };
}

interface VendorCase {
	ehr: EhrKind;
	valid(): WebhookDelivery;
	forged(): WebhookDelivery;
	expected: IDataObject;
}

const vendors: VendorCase[] = [
	{
		ehr: 'fhir',
		valid: () => fhirDelivery('enc-77', 12),
		forged: () => fhirDelivery('enc-77', 12, 'guessed-secret'),
		expected: { ehr: 'fhir', eventId: 'post-visit-demo#12', resourceType: 'Encounter', resourceId: 'enc-77' },
	},
	{
		ehr: 'athenahealth',
		valid: () => athenaDelivery(),
		forged: () => athenaDelivery('guessed-secret'),
		expected: { ehr: 'athenahealth', eventId: 'evt-5001', resourceType: 'Appointment', resourceId: '5001', patientId: '1001', practiceId: '195900' },
	},
	{
		ehr: 'drchrono',
		valid: () => drChronoDelivery(),
		forged: () => drChronoDelivery('guessed-secret'),
		expected: { ehr: 'drchrono', eventId: 'delivery-9001', resourceType: 'Appointment', resourceId: '9001', patientId: '5001' },
	},
];

describe.each(vendors)('EHR Trigger receiving $ehr deliveries (n8n-core WebhookContext)', (vendor) => {
	it.each([false, true])('starts an execution with the verified event for a correctly signed delivery (body read lazily: %s)', async (lazyBody) => {
		const { result, response } = await deliver(vendor.ehr, vendor.valid(), { lazyBody });
		expect(result.workflowData).toHaveLength(1);
		expect(result.workflowData![0]).toEqual([{ json: expect.objectContaining(vendor.expected) }]);
		expect(result.webhookResponse).toEqual({ received: true, events: 1 });
		expect(response.statusCode).toBeUndefined();
	});

	it('accepts a delivery signed with the previous secret while the secret is being rotated', async () => {
		const { result } = await deliver(vendor.ehr, vendor.valid(), {
			credential: { secret: 'the-new-secret-0123456789abcdef', previousSecret: secret, previousSecretValidUntil: '2999-01-01T00:00:00Z' },
		});
		expect(result.workflowData![0]).toEqual([{ json: expect.objectContaining(vendor.expected) }]);
	});

	it('answers a forged delivery 401 and starts nothing', async () => {
		const { result, response } = await deliver(vendor.ehr, vendor.forged());
		expect(result).toEqual({ noWebhookResponse: true });
		expect(response).toEqual({ statusCode: 401, body: { error: expect.any(String) } });
	});

	it.each([
		['declared in Content-Length', true],
		['found when the body is read', false],
	])('answers 413 to a 2 MB body over the 1024 KB limit (%s) and starts nothing', async (_case, declared) => {
		const big = Buffer.alloc(2 * 1024 * 1024, 0x20);
		const delivery = { ...vendor.valid(), rawBody: big };
		if (declared) delivery.headers = { ...delivery.headers, 'Content-Length': String(big.length) };
		const { result, response } = await deliver(vendor.ehr, delivery, { lazyBody: !declared });
		expect(result.workflowData).toBeUndefined();
		expect(response).toEqual({ statusCode: 413, body: { error: 'Body larger than 1048576 bytes' } });
	});
});

describe('EHR Trigger vendor handshakes and keep-alives', () => {
	it('answers DrChrono\'s GET ?msg= verification with the HMAC of msg, and starts nothing', async () => {
		const handshake = buildDrChronoHandshake('a1b2c3d4e5f60718');
		const { result, response } = await deliver('drchrono', {
			method: 'GET',
			headers: handshake.headers as Record<string, string>,
			query: handshake.query as Record<string, string>,
			rawBody: handshake.rawBody,
		});
		expect(result.workflowData).toBeUndefined();
		expect(response).toEqual({
			statusCode: 200,
			body: { secret_token: createHmac('sha256', secret).update('a1b2c3d4e5f60718').digest('hex') },
		});
	});

	it('acknowledges a FHIR subscription heartbeat with 200 and starts nothing', async () => {
		const bundle = fhirBackportNotification('enc-1', 1) as { entry: Array<{ resource?: { parameter: Array<Record<string, unknown>> } }> };
		const parameters = bundle.entry[0]!.resource!.parameter
			.filter((parameter) => parameter.name !== 'notification-event')
			.map((parameter) => (parameter.name === 'type' ? { name: 'type', valueCode: 'heartbeat' } : parameter));
		const heartbeat = { ...bundle, entry: [{ ...bundle.entry[0], resource: { resourceType: 'Parameters', parameter: parameters } }] };
		const { result, response } = await deliver('fhir', {
			method: 'POST',
			headers: { 'Content-Type': 'application/fhir+json', 'X-Webhook-Secret': secret },
			rawBody: Buffer.from(JSON.stringify(heartbeat)),
		});
		expect(result.workflowData).toBeUndefined();
		expect(response).toEqual({ statusCode: 200, body: { received: true, heartbeat: true } });
	});

	it('acknowledges a signed DrChrono change that is not a completion with 200 and starts nothing', async () => {
		const { result, response } = await deliver('drchrono', drChronoDelivery(secret, { ...completedAppointment, status: 'In Session' }));
		expect(result.workflowData).toBeUndefined();
		expect(response).toEqual({ statusCode: 200, body: { received: true, ignored: expect.stringMatching(/not Complete/) } });
	});

	it('honours a smaller "Maximum Body Size (KB)"', async () => {
		const { response } = await deliver('athenahealth', athenaDelivery(), { parameters: { maxBodyKb: 1 } });
		expect(response).toEqual({ statusCode: 413, body: { error: 'Body larger than 1024 bytes' } });
	});
});

describe('EHR Trigger FHIR Subscription lifecycle against the local FHIR server (n8n-core HookContext)', () => {
	const bearerToken = 'fhir-sandbox-bearer';
	let fhir: FhirServer;

	beforeAll(async () => {
		fhir = await startFhirServer({ bearerToken });
	});
	afterAll(async () => {
		await fhir.close();
	});
	beforeEach(() => fhir.reset());

	function hooks(parameters: IDataObject = {}) {
		const engine = createEngine(triggerWorkflow('fhir', { manageSubscription: true, ...parameters }), {
			nodeTypes: { ehrTrigger: trigger },
			credentials: { ehrWebhookApi: webhookCredential(), fhirR4Api: fhirCredential(fhir, bearerToken) },
			credentialTypes: packCredentialTypes(),
		});
		const context = () => new HookContext(engine.workflow, engine.node('EHR Trigger'), engine.additionalData, 'trigger', 'activate');
		const lifecycle = trigger.webhookMethods.default;
		return {
			checkExists: async () => await lifecycle.checkExists.call(context()),
			create: async () => await lifecycle.create.call(context()),
			delete: async () => await lifecycle.delete.call(context()),
			staticData: () => engine.workflow.getStaticData('node', engine.node('EHR Trigger')),
		};
	}

	const subscriptions = async () => await fhir.repo.searchResources(parseSearchRequest('Subscription'));

	it('creates a rest-hook Subscription to the trigger URL on publish, finds it, and deletes it on unpublish', async () => {
		const trigger = hooks();
		expect(await trigger.checkExists()).toBe(false);
		expect(await trigger.create()).toBe(true);

		const created = await subscriptions();
		expect(created).toHaveLength(1);
		expect(created[0]).toMatchObject({
			status: 'requested',
			criteria: 'Encounter?status=finished',
			channel: {
				type: 'rest-hook',
				endpoint: `http://127.0.0.1/webhook/${webhookPath}`,
				payload: 'application/fhir+json',
				header: [`X-Webhook-Secret: ${secret}`],
			},
		});
		expect(trigger.staticData().subscriptionId).toBe(created[0].id);
		expect(fhir.requests.find((request) => request.method === 'POST')?.authorization).toBe(`Bearer ${bearerToken}`);
		expect(await trigger.checkExists()).toBe(true);

		expect(await trigger.delete()).toBe(true);
		expect(await subscriptions()).toEqual([]);
		expect(trigger.staticData().subscriptionId).toBeUndefined();
		expect(await trigger.checkExists()).toBe(false);
	});

	it('reports a Subscription deleted on the server as missing, so n8n creates it again', async () => {
		const trigger = hooks();
		await trigger.create();
		const [subscription] = await subscriptions();
		await fhir.repo.deleteResource('Subscription', subscription.id!);
		expect(await trigger.checkExists()).toBe(false);
		expect(trigger.staticData().subscriptionId).toBeUndefined();
		expect(await trigger.create()).toBe(true);
		expect(await subscriptions()).toHaveLength(1);
	});

	it('replaces a stale Subscription (turned off on the server) instead of leaving it posting to the trigger', async () => {
		const trigger = hooks();
		await trigger.create();
		const [old] = await subscriptions();
		// R4's Subscription.status "off" (medplum's types are R5's)
		await updateResource(fhir.repo, { ...old, id: old.id!, status: 'off' as never });
		expect(await trigger.checkExists()).toBe(false);
		expect(await trigger.create()).toBe(true);
		const remaining = await subscriptions();
		expect(remaining).toHaveLength(1);
		expect(remaining[0].id).not.toBe(old.id);
		expect(trigger.staticData().subscriptionId).toBe(remaining[0].id);
		await trigger.delete();
		expect(await subscriptions()).toEqual([]);
	});

	it('fails publishing with the HTTP status when the server refuses the Subscription', async () => {
		const trigger = hooks();
		fhir.injectFaults({ status: 503 });
		await expect(trigger.create()).rejects.toMatchObject({
			name: 'NodeApiError',
			message: 'Could not create the FHIR Subscription (HTTP 503)',
			httpCode: '503',
		});
		expect(trigger.staticData().subscriptionId).toBeUndefined();
	});

	it('leaves the FHIR server alone when "Create FHIR Subscription" is off', async () => {
		const trigger = hooks({ manageSubscription: false });
		expect(await trigger.checkExists()).toBe(true);
		expect(await trigger.create()).toBe(true);
		expect(await trigger.delete()).toBe(true);
		expect(fhir.requests).toEqual([]);
	});
});

describe('EHR Trigger refusals tell a caller nothing about the configuration (issue 19)', () => {
	it.each(vendors)('$ehr: a forged delivery gets a plain 401; the reason goes to the warn log', async (vendor) => {
		const logs: Array<{ level: string; message: string }> = [];
		const { response } = await deliver(vendor.ehr, vendor.forged(), { logs });
		expect(response).toEqual({ statusCode: 401, body: { error: 'Unauthorized' } });
		expect(logs).toEqual([{ level: 'warn', message: expect.stringMatching(new RegExp(`^EHR Trigger refused a ${vendor.ehr} delivery with 401: .+`)) }]);
	});

	it('FHIR: a delivery without the secret header is not told which header the trigger expects', async () => {
		const logs: Array<{ level: string; message: string }> = [];
		const delivery = fhirDelivery('enc-77', 12);
		const { response } = await deliver('fhir', { ...delivery, headers: { 'Content-Type': 'application/fhir+json' } }, {
			credential: { headerName: 'X-Practice-Hook-Key' },
			logs,
		});
		expect(response).toEqual({ statusCode: 401, body: { error: 'Unauthorized' } });
		expect(JSON.stringify(response.body)).not.toMatch(/X-Practice-Hook-Key|header|secret/i);
		expect(logs.map((line) => line.message).join('\n')).toContain('X-Practice-Hook-Key');
	});
});

describe('EHR Trigger: DrChrono "Body HMAC Only" (issue 19)', () => {
	it('accepts a body-HMAC delivery and refuses the secret token itself', async () => {
		const parameters = { drChronoSignature: 'hmacOnly' };
		expect((await deliver('drchrono', drChronoDelivery(), { parameters })).result.workflowData?.[0]).toHaveLength(1);
		const token = buildDrChronoDelivery({ secret, event: 'APPOINTMENT_MODIFY', object: completedAppointment, deliveryId: 'delivery-9001' });
		const { response } = await deliver('drchrono', { method: 'POST', headers: token.headers, rawBody: token.rawBody }, { parameters });
		expect(response).toEqual({ statusCode: 401, body: { error: 'Unauthorized' } });
	});
});

describe('EHR Trigger: a DrChrono handshake with a repeated msg (issue 19)', () => {
	it('answers 400 instead of failing with a TypeError', async () => {
		// n8n parses ?msg=a&msg=a into an array.
		const repeated = { ...buildDrChronoHandshake('unused'), query: { msg: ['a1b2c3d4e5f60718', 'a1b2c3d4e5f60718'] } };
		const { result, response } = await deliver('drchrono', repeated as unknown as WebhookDelivery);
		expect(result.workflowData).toBeUndefined();
		expect(response).toEqual({ statusCode: 400, body: { error: 'verification msg must be given once, as text' } });
	});
});

describe('EHR Trigger: the webhook secret must be at least 16 characters at run time (issue 19)', () => {
	it.each(vendors)('$ehr: a delivery with a 6-character secret configured fails with a clear error, even when it matches', async (vendor) => {
		const delivery = vendor.ehr === 'fhir' ? fhirDelivery('enc-77', 12, 'short1') : vendor.ehr === 'athenahealth' ? athenaDelivery('short1') : drChronoDelivery('short1');
		await expect(deliver(vendor.ehr, delivery, { credential: { secret: 'short1' } })).rejects.toThrow(
			/EHR Webhook Secret.*"Secret" is shorter than 16 characters/,
		);
	});

	it('publishing the workflow fails with the same clear error', async () => {
		const engine = createEngine(triggerWorkflow('athenahealth'), {
			nodeTypes: { ehrTrigger: trigger },
			credentials: { ehrWebhookApi: webhookCredential({ secret: 'short1' }) },
			credentialTypes: packCredentialTypes(),
		});
		const context = new HookContext(engine.workflow, engine.node('EHR Trigger'), engine.additionalData, 'trigger', 'activate');
		await expect(trigger.webhookMethods.default.checkExists.call(context)).rejects.toThrow(/shorter than 16 characters/);
	});
});

describe('EHR Trigger refuses replayed deliveries by the event\'s own time (issue 19)', () => {
	const daysAgo = (days: number) => new Date(Date.now() - days * 86_400_000).toISOString();

	function athenaAt(timestamp: string): WebhookDelivery {
		const delivery = buildAthenaDelivery({
			practiceId: '195900',
			secret,
			timestamp,
			events: [{ topic: 'Appointment.check-out', appointmentId: '5001', patientId: '1001', departmentId: '1', eventId: 'evt-5001' }],
		});
		return { method: 'POST', headers: delivery.headers, rawBody: Buffer.from(delivery.body) };
	}

	function fhirAt(timestamp: string): WebhookDelivery {
		const bundle = fhirBackportNotification('enc-77', 12) as { timestamp: string };
		const body = JSON.stringify(bundle).split(bundle.timestamp).join(timestamp);
		return { method: 'POST', headers: { 'Content-Type': 'application/fhir+json', 'X-Webhook-Secret': secret }, rawBody: Buffer.from(body) };
	}

	const pushed: Array<[string, EhrKind, (timestamp: string) => WebhookDelivery]> = [
		['athenahealth', 'athenahealth', athenaAt],
		['FHIR', 'fhir', fhirAt],
	];

	it.each(pushed)('%s: an 8-day-old event is refused (default 7 days), starts nothing and is journaled', async (_label, ehr, at) => {
		const storePath = join(tempDir('post-visit-stale-'), 'journey.sqlite');
		const logs: Array<{ level: string; message: string }> = [];
		const { result, response } = await deliver(ehr, at(daysAgo(8)), {
			credentials: { journeyStoreApi: journeyStoreCredential(storePath) },
			logs,
		});
		expect(result.workflowData).toBeUndefined();
		expect(response).toEqual({ statusCode: 400, body: { error: 'Event too old' } });
		expect(logs).toEqual([{ level: 'warn', message: expect.stringMatching(new RegExp(`^EHR Trigger refused a ${ehr} delivery with 400: .*older than 7 days`)) }]);
		const store = await openJourneyStore({ backend: 'sqlite', path: storePath, contactHashSecret: testContactHashSecret });
		try {
			const journal = await store.journal({ type: 'event.refused' });
			expect(journal).toEqual([
				expect.objectContaining({ type: 'event.refused', code: 'tooOld', journeyId: expect.stringMatching(new RegExp(`^pending:event:${ehr}:`)) }),
			]);
		} finally {
			await store.close();
		}
	});

	it.each(pushed)('%s: a 6-day-old event still starts a journey', async (_label, ehr, at) => {
		const { result } = await deliver(ehr, at(daysAgo(6)));
		expect(result.workflowData?.[0]).toHaveLength(1);
	});

	it.each(pushed)('%s: "Maximum Event Age (Days)" sets the limit', async (_label, ehr, at) => {
		expect((await deliver(ehr, at(daysAgo(8)), { parameters: { maxEventAgeDays: 30 } })).result.workflowData?.[0]).toHaveLength(1);
		expect((await deliver(ehr, at(daysAgo(3)), { parameters: { maxEventAgeDays: 2 } })).response.statusCode).toBe(400);
	});

	it('without a journey store on the trigger the refusal is still made, and logged', async () => {
		const logs: Array<{ level: string; message: string }> = [];
		const { response } = await deliver('athenahealth', athenaAt(daysAgo(30)), { logs });
		expect(response.statusCode).toBe(400);
		expect(logs.map((line) => line.level)).toEqual(['warn']);
	});

	it('DrChrono sends no event time: its deliveries are not aged (they are read back from DrChrono instead)', async () => {
		const { result } = await deliver('drchrono', drChronoDelivery(secret, { ...completedAppointment, updated_at: '2020-01-01T00:00:00' }));
		expect(result.workflowData?.[0]).toHaveLength(1);
	});
});
