import type { IAuthenticateGeneric, ICredentialTestRequest, ICredentialType, INodeProperties } from 'n8n-workflow';

export class PostVisitTwilioApi implements ICredentialType {
	name = 'postVisitTwilioApi';

	displayName = 'Post-Visit Twilio API';

	icon = { light: 'file:twilio.svg', dark: 'file:twilio.dark.svg' } as const;

	documentationUrl = 'https://www.npmjs.com/package/n8n-nodes-post-visit#post-visit-twilio-api';

	properties: INodeProperties[] = [
		{
			displayName: 'Auth Type',
			name: 'authType',
			type: 'options',
			default: 'authToken',
			options: [
				{ name: 'Auth Token', value: 'authToken', description: 'Account SID and its auth token' },
				{ name: 'API Key', value: 'apiKey', description: 'An API key (SK…) and its secret; can be revoked alone' },
			],
		},
		{
			displayName: 'Account SID',
			name: 'accountSid',
			type: 'string',
			default: '',
			required: true,
			placeholder: 'AC0123456789abcdef0123456789abcdef',
		},
		{
			displayName: 'Auth Token',
			name: 'authToken',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			description:
				'With an API key, still enter the account\'s auth token if Patient Reply or Delivery Status triggers are used: Twilio signs its webhooks with it',
		},
		{
			displayName: 'API Key SID',
			name: 'apiKeySid',
			type: 'string',
			default: '',
			placeholder: 'SK0123456789abcdef0123456789abcdef',
			displayOptions: { show: { authType: ['apiKey'] } },
		},
		{
			displayName: 'API Key Secret',
			name: 'apiKeySecret',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			displayOptions: { show: { authType: ['apiKey'] } },
		},
		{
			displayName: 'From Number',
			name: 'from',
			type: 'string',
			default: '',
			placeholder: '+15125550100',
			description:
				'Your Twilio number in E.164 form. Needed for voice calls; ' +
				'for SMS it may stay empty when a Messaging Service SID is set.',
		},
		{
			displayName: 'Messaging Service SID',
			name: 'messagingServiceSid',
			type: 'string',
			default: '',
			placeholder: 'MG0123456789abcdef0123456789abcdef',
			description:
				'Send SMS through a Messaging Service (sender pool, A2P 10DLC campaign, opt-out handling). ' +
				'Takes precedence over the From number for SMS.',
		},
		{
			displayName: 'API Base URL',
			name: 'apiBaseUrl',
			type: 'string',
			default: 'https://api.twilio.com',
			description: 'Change only for a Twilio-compatible provider or the local sandbox',
		},
		{
			displayName: 'Status Callback URL',
			name: 'statusCallbackUrl',
			type: 'string',
			default: '',
			placeholder: 'https://n8n.example.org/webhook/twilio-status',
			description:
				'Optional. Paste the Production URL of a Delivery Status Trigger: Twilio then reports there whether each message was delivered and whether each call was answered, so undelivered messages fall back to the next channel and unanswered calls still reach staff.',
		},
	];

	authenticate: IAuthenticateGeneric = {
		type: 'generic',
		properties: {
			auth: {
				username: '={{ $credentials.authType === "apiKey" ? $credentials.apiKeySid : $credentials.accountSid }}',
				password: '={{ $credentials.authType === "apiKey" ? $credentials.apiKeySecret : $credentials.authToken }}',
			},
		},
	};

	test: ICredentialTestRequest = {
		request: {
			method: 'GET',
			baseURL: '={{ String($credentials.apiBaseUrl || "https://api.twilio.com").replace(/\\/+$/, "") }}',
			url: '=/2010-04-01/Accounts/{{ $credentials.accountSid }}.json',
		},
	};
}
