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
import { createEngine } from '../helpers/engine';
import { fhirCredential, packCredentialTypes } from '../helpers/fixtures';
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

/** One delivery through the trigger's webhook(), in n8n-core's WebhookContext. */
async function deliver(ehr: EhrKind, delivery: WebhookDelivery, options: { lazyBody?: boolean; credential?: IDataObject; parameters?: IDataObject } = {}) {
	const engine = createEngine(triggerWorkflow(ehr, options.parameters), {
		nodeTypes: { ehrTrigger: trigger },
		credentials: { ehrWebhookApi: webhookCredential(options.credential) },
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
