import { NodeConnectionTypes } from 'n8n-workflow';
import type {
	IHookFunctions,
	INodeType,
	INodeTypeDescription,
	IWebhookFunctions,
	IWebhookResponseData,
} from 'n8n-workflow';

import { journeyStoreConnectionTest } from '../shared/n8n/credentialTests';
import { receiveDeliveryStatus } from '../shared/n8n/deliveryStatusWebhook';
import { pathFromParameter, unparsedBodyProperty } from '../shared/n8n/webhookPath';

export class DeliveryStatusTrigger implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Delivery Status Trigger',
		name: 'deliveryStatusTrigger',
		icon: { light: 'file:deliveryStatusTrigger.svg', dark: 'file:deliveryStatusTrigger.dark.svg' },
		group: ['trigger'],
		// Version 2: n8n reads no expression before parsing each callback's body (version 1 costs an expression per
		// callback, three per SMS); Twilio's form body is then parsed by n8n, the raw bytes still kept for the check.
		version: [1, 2],
		defaultVersion: 2,
		subtitle: '={{"Twilio status callbacks at /" + $parameter["path"]}}',
		description:
			'Records delivered messages and answered calls from Twilio\'s signed status callbacks; starts when a message is undelivered or a call unanswered',
		defaults: { name: 'Delivery Status Trigger' },
		inputs: [],
		outputs: [NodeConnectionTypes.Main],
		credentials: [
			{ name: 'postVisitTwilioApi', required: true },
			{ name: 'journeyStoreApi', required: true, testedBy: 'journeyStoreConnectionTest' },
		],
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
					'Copy the Production URL above into the "Status Callback URL" of the Post-Visit Twilio API credential. Twilio signs each callback with the account Auth Token: keep N8N_WEBHOOK_URL set to the public URL. Delivered messages and answered calls are recorded in the journey store here, without an execution; only undelivered messages and unanswered calls start one. "queued" and "sent" are answered and dropped. A test event records nothing and shows any final status.',
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

	methods = { credentialTest: { journeyStoreConnectionTest } };

	async webhook(this: IWebhookFunctions): Promise<IWebhookResponseData> {
		return await receiveDeliveryStatus(this);
	}
}
