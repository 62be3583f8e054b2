import { NodeConnectionTypes } from 'n8n-workflow';
import type {
	INodeType,
	INodeTypeDescription,
	IWebhookFunctions,
	IWebhookResponseData,
} from 'n8n-workflow';

import { ehrWebhookSecretTest } from '../shared/n8n/credentialTests';
import { ehrOptions } from '../shared/n8n/descriptions';
import { fhirSubscriptionLifecycle } from '../shared/n8n/fhirSubscription';
import { receiveEhrDelivery } from '../shared/n8n/webhook';
import { pathFromParameter, unparsedBodyProperty } from '../shared/n8n/webhookPath';

export class EhrTrigger implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'EHR Trigger',
		name: 'ehrTrigger',
		icon: { light: 'file:ehrTrigger.svg', dark: 'file:ehrTrigger.dark.svg' },
		group: ['trigger'],
		version: 1,
		subtitle: '={{"Visit completed in " + $parameter["ehr"]}}',
		description: 'Starts a journey when the EHR reports a completed visit (signed webhook)',
		defaults: { name: 'EHR Trigger' },
		inputs: [],
		outputs: [NodeConnectionTypes.Main],
		credentials: [
			{ name: 'ehrWebhookApi', required: true, testedBy: 'ehrWebhookSecretTest' },
			{
				name: 'fhirR4Api',
				required: true,
				displayOptions: { show: { ehr: ['fhir'], manageSubscription: [true] } },
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
			{
				displayName:
					'athenahealth and DrChrono webhooks are registered by hand: give the vendor the Production URL above and the same secret as in the credential. For FHIR, this node can create the Subscription itself.',
				name: 'registrationNotice',
				type: 'notice',
				default: '',
			},
			ehrOptions,
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
				displayName: 'Maximum Body Size (KB)',
				name: 'maxBodyKb',
				type: 'number',
				default: 1024,
				description: 'Larger deliveries are refused with 413; real notifications are a few KB',
			},
		],
	};

	methods = { credentialTest: { ehrWebhookSecretTest } };

	webhookMethods = { default: fhirSubscriptionLifecycle };

	async webhook(this: IWebhookFunctions): Promise<IWebhookResponseData> {
		return await receiveEhrDelivery(this);
	}
}
