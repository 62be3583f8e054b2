import { NodeConnectionTypes, NodeOperationError } from 'n8n-workflow';
import type {
	IDataObject,
	IHookFunctions,
	INodeType,
	INodeTypeDescription,
	IWebhookFunctions,
	IWebhookResponseData,
} from 'n8n-workflow';

import { parseTwilioStatusCallback } from '../shared/core/deliveryStatus';
import { DomainError } from '../shared/core/errors';
import { nowIso } from '../shared/n8n/clock';
import { verifyTwilioWebhook } from '../shared/n8n/twilioWebhook';
import { pathFromParameter, unparsedBodyProperty } from '../shared/n8n/webhookPath';

function answer(context: IWebhookFunctions, status: number, body: IDataObject): IWebhookResponseData {
	context.getResponseObject().status(status).json(body);
	return { noWebhookResponse: true };
}

export class DeliveryStatusTrigger implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Delivery Status Trigger',
		name: 'deliveryStatusTrigger',
		icon: { light: 'file:deliveryStatusTrigger.svg', dark: 'file:deliveryStatusTrigger.dark.svg' },
		group: ['trigger'],
		version: 1,
		subtitle: '={{"Twilio status callbacks at /" + $parameter["path"]}}',
		description:
			'Starts when Twilio reports how a message or call ended: delivered or not, answered or not (signed status callbacks)',
		defaults: { name: 'Delivery Status Trigger' },
		inputs: [],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: 'postVisitTwilioApi', required: true }],
		webhooks: [
			{
				name: 'default',
				httpMethod: 'POST',
				responseMode: 'onReceived',
				// Empty, so n8n answers with the webhookResponse this node returns (its default would be the literal "firstEntryJson").
				responseData: '',
				...pathFromParameter(),
				isFullPath: true,
			},
		],
		properties: [
			unparsedBodyProperty,
			{
				displayName:
					'Copy the Production URL above into the "Status Callback URL" of the Post-Visit Twilio API credential. Twilio signs each callback with the account Auth Token: keep N8N_WEBHOOK_URL set to the public URL. Only final statuses start an execution; "queued" and "sent" are answered and dropped.',
				name: 'setupNotice',
				type: 'notice',
				default: '',
			},
			{
				displayName: 'Path',
				name: 'path',
				type: 'string',
				default: 'post-visit/twilio-status',
				required: true,
				description: 'The URL path Twilio posts status callbacks to; keep it unique per n8n',
			},
		],
	};

	webhookMethods = {
		default: {
			// Nothing to register at Twilio: the URL travels with every message and call (the credential's Status
			// Callback URL). Publishing only checks that the credential points here, and says so in the log if not.
			async checkExists(this: IHookFunctions): Promise<boolean> {
				return false;
			},
			async create(this: IHookFunctions): Promise<boolean> {
				const url = this.getNodeWebhookUrl('default');
				const credential = await this.getCredentials('postVisitTwilioApi');
				const configured = String(credential.statusCallbackUrl ?? '').trim();
				if (url && configured !== url) {
					this.logger.warn(
						`Delivery Status Trigger listens at ${url}, but the Twilio credential's Status Callback URL is ${configured ? configured : 'empty'}: Twilio will not report here until they match`,
					);
				}
				return true;
			},
			async delete(this: IHookFunctions): Promise<boolean> {
				return true;
			},
		},
	};

	async webhook(this: IWebhookFunctions): Promise<IWebhookResponseData> {
		const verified = await verifyTwilioWebhook(this, { label: 'Delivery Status Trigger' });
		if (!verified.verified) return verified.response;
		let report;
		try {
			report = parseTwilioStatusCallback(verified.params);
		} catch (error) {
			if (!(error instanceof DomainError)) throw new NodeOperationError(this.getNode(), error as Error);
			this.logger.warn(`Delivery Status Trigger refused a signed Twilio request with 400: ${error.message}`);
			return answer(this, 400, { error: error.message });
		}
		// Twilio retries a callback that is not answered 2xx in time, so the answer never waits for the journey.
		if (!report.final) {
			this.logger.debug(`Delivery Status Trigger acknowledged an intermediate ${report.kind} status (${report.status})`);
			return answer(this, 200, { received: true, final: false });
		}
		const deliveryStatus = { ...report, receivedAt: nowIso() } as unknown as IDataObject;
		return {
			workflowData: [[{ json: { deliveryStatus } }]],
			webhookResponse: { received: true },
		};
	}
}
