import type { ICredentialType, INodeProperties } from 'n8n-workflow';

/**
 * The shared secret an EHR signs or tags its deliveries with. Rotating it: put the old value in
 * "Previous Secret" with the end of the grace window in "Previous Secret Valid Until", the new one in
 * "Secret", update the EHR, then clear "Previous Secret". Both are accepted until that time; after it, or
 * without it, only "Secret" is.
 * Checked by the EHR Trigger's `ehrWebhookSecretTest` (a secret cannot be tested against a server).
 */
export class EhrWebhookApi implements ICredentialType {
	name = 'ehrWebhookApi';

	displayName = 'EHR Webhook Secret';

	icon = { light: 'file:ehrWebhook.svg', dark: 'file:ehrWebhook.dark.svg' } as const;

	documentationUrl = 'https://www.npmjs.com/package/n8n-nodes-post-visit#ehr-webhook-secret';

	properties: INodeProperties[] = [
		{
			displayName: 'Secret',
			name: 'secret',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			required: true,
			description:
				'athenahealth: the X-Hub-Secret of the subscription. DrChrono: the webhook\'s secret token. FHIR: the value the server sends in the header below.',
		},
		{
			displayName: 'Previous Secret',
			name: 'previousSecret',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			description:
				'The old secret while you rotate: accepted until "Previous Secret Valid Until", then refused. Clear it once the EHR uses the new one.',
		},
		{
			displayName: 'Previous Secret Valid Until',
			name: 'previousSecretValidUntil',
			type: 'dateTime',
			default: '',
			description:
				'End of the rotation grace window (UTC unless the value carries an offset). Empty means the previous secret is NOT accepted: a rotation often follows a leak, so an old secret never stays valid by omission.',
		},
		{
			displayName: 'Header Name (FHIR)',
			name: 'headerName',
			type: 'string',
			default: 'X-Webhook-Secret',
			description:
				'FHIR only: the header the server sends (Subscription.channel.header). Use "Authorization" for "Authorization: Bearer <secret>".',
		},
	];
}
