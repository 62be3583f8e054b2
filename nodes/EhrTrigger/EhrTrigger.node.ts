import { NodeConnectionTypes } from 'n8n-workflow';
import type {
	INodeType,
	INodeTypeDescription,
	IWebhookFunctions,
	IWebhookResponseData,
} from 'n8n-workflow';

import { ehrWebhookSecretTest, journeyStoreConnectionTest } from '../shared/n8n/credentialTests';
import { ehrNameExpression, webhookEhrOptions } from '../shared/n8n/descriptions';
import { ehrWebhookLifecycle, receiveEhrDelivery } from '../shared/n8n/webhook';
import { defaultMaxEventAgeDays } from '../shared/n8n/webhookReplays';
import { pathFromParameter, unparsedBodyProperty } from '../shared/n8n/webhookPath';

export class EhrTrigger implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'EHR Trigger',
		name: 'ehrTrigger',
		icon: { light: 'file:ehrTrigger.svg', dark: 'file:ehrTrigger.dark.svg' },
		group: ['trigger'],
		version: 1,
		subtitle: `={{"Visit completed in " + ${ehrNameExpression}}}`,
		description: 'Starts a journey when the EHR reports a completed visit (signed webhook)',
		defaults: { name: 'EHR Trigger' },
		inputs: [],
		outputs: [NodeConnectionTypes.Main],
		credentials: [
			{ name: 'ehrWebhookApi', required: true, testedBy: 'ehrWebhookSecretTest' },
			// Optional: where deliveries refused as too old are journaled (the refusal is logged either way).
			{ name: 'journeyStoreApi', required: false, testedBy: 'journeyStoreConnectionTest' },
			{
				name: 'fhirR4Api',
				required: true,
				// "Hidden unless" rather than "shown for" the switch: see forEhrs (a boolean in `show` is taken for the sign-in choice).
				displayOptions: { show: { ehr: ['fhir'] }, hide: { manageSubscription: [false] } },
			},
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
			{
				// DrChrono verifies a webhook with GET ?msg=…; FHIR servers may probe with GET too.
				name: 'setup',
				httpMethod: 'GET',
				responseMode: 'onReceived',
				// Empty, so n8n answers with the webhookResponse this node returns (its default would be the literal "firstEntryJson").
				responseData: '',
				...pathFromParameter(),
				isFullPath: true,
			},
		],
		properties: [
			unparsedBodyProperty,
			webhookEhrOptions,
			{
				displayName:
					'athenahealth and DrChrono webhooks are registered by hand: give the vendor the Production URL above and the same secret as in the credential',
				name: 'registrationNotice',
				type: 'notice',
				default: '',
				displayOptions: { show: { ehr: ['athenahealth', 'drchrono'] } },
			},
			{
				displayName:
					'This node can create the FHIR Subscription itself (below); a server without Subscriptions (Epic, eClinicalWorks) pushes nothing: use the EHR Poll Trigger or the HL7 v2 Trigger instead',
				name: 'fhirNotice',
				type: 'notice',
				default: '',
				displayOptions: { show: { ehr: ['fhir'] } },
			},
			{
				displayName: 'Path',
				name: 'path',
				type: 'string',
				default: 'post-visit/visit-completed',
				required: true,
				description: 'The URL path the EHR posts to; keep it unique per workflow',
			},
			{
				displayName: 'Create FHIR Subscription',
				name: 'manageSubscription',
				type: 'boolean',
				default: false,
				displayOptions: { show: { ehr: ['fhir'] } },
				description:
					'Whether to create a rest-hook Subscription on the FHIR server when the workflow is published, and delete it when it is unpublished',
			},
			{
				displayName: 'Subscription Criteria',
				name: 'subscriptionCriteria',
				type: 'string',
				default: 'Encounter?status=finished',
				displayOptions: { show: { ehr: ['fhir'], manageSubscription: [true] } },
				description: 'Classic R4 criteria, or the canonical URL of a SubscriptionTopic for servers that support the Backport IG',
			},
			{
				displayName: 'DrChrono Signature',
				name: 'drChronoSignature',
				type: 'options',
				options: [
					{
						name: 'Secret Token or Body HMAC',
						value: 'tokenOrHmac',
						description: 'What DrChrono documents: the header carries the secret token itself (or an HMAC of the body)',
					},
					{
						name: 'Body HMAC Only (Stronger)',
						value: 'hmacOnly',
						description: 'Only hex HMAC-SHA256 of the body: a captured delivery cannot be reused with another body',
					},
				],
				default: 'tokenOrHmac',
				displayOptions: { show: { ehr: ['drchrono'] } },
				description:
					'What X-drchrono-signature must be. Choose Body HMAC Only once a real delivery shows 64 hex characters there, not your secret.',
			},
			{
				displayName: 'Maximum Event Age (Days)',
				name: 'maxEventAgeDays',
				type: 'number',
				typeOptions: { minValue: 1 },
				default: defaultMaxEventAgeDays,
				description:
					'Deliveries whose event happened longer ago than this (by the EHR\'s own event time) are refused with 400 and journaled: a replayed old delivery starts nothing',
				// DrChrono's deliveries carry no event time, so they cannot be aged.
				displayOptions: { show: { ehr: ['athenahealth', 'fhir'] } },
			},
			{
				displayName: 'Maximum Body Size (KB)',
				name: 'maxBodyKb',
				type: 'number',
				default: 1024,
				description: 'Larger deliveries are refused with 413; real notifications are a few KB',
			},
		],
	};

	methods = { credentialTest: { ehrWebhookSecretTest, journeyStoreConnectionTest } };

	webhookMethods = { default: ehrWebhookLifecycle };

	async webhook(this: IWebhookFunctions): Promise<IWebhookResponseData> {
		return await receiveEhrDelivery(this);
	}
}
