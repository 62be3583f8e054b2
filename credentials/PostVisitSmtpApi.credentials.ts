import type { ICredentialType, INodeProperties } from 'n8n-workflow';

/**
 * SMTP has no HTTP endpoint for a declarative `test`: nodes using this credential declare
 * `testedBy: 'postVisitSmtpConnection'`, a `methods.credentialTest` function that calls `verifySmtp`
 * (nodes/shared/messaging/credentialTests.ts), which connects, negotiates TLS and logs in without sending.
 */
export class PostVisitSmtpApi implements ICredentialType {
	name = 'postVisitSmtpApi';

	displayName = 'Post-Visit SMTP';

	icon = { light: 'file:smtp.svg', dark: 'file:smtp.dark.svg' } as const;

	documentationUrl = 'https://www.npmjs.com/package/n8n-nodes-post-visit#post-visit-smtp';

	properties: INodeProperties[] = [
		{
			displayName: 'Host',
			name: 'host',
			type: 'string',
			default: '',
			required: true,
			placeholder: 'smtp.example.org',
		},
		{
			displayName: 'Port',
			name: 'port',
			type: 'number',
			default: 587,
			description: 'Usually 587 with STARTTLS or 465 with TLS',
		},
		{
			displayName: 'Security',
			name: 'security',
			type: 'options',
			default: 'starttls',
			options: [
				{
					name: 'STARTTLS (Required)',
					value: 'starttls',
					description: 'Connect in plain text, then upgrade; nothing is sent if the upgrade fails (port 587)',
				},
				{ name: 'TLS', value: 'tls', description: 'Encrypted from the first byte (port 465)' },
				{
					name: 'None',
					value: 'none',
					description: 'No encryption. Only for a relay on the same host or a private network: emails carry care details.',
				},
			],
		},
		{
			displayName: 'Ignore SSL Issues (Insecure)',
			name: 'ignoreSslIssues',
			type: 'boolean',
			default: false,
			description: 'Whether to accept a self-signed or expired certificate. Only for a server you control.',
		},
		{
			displayName: 'User',
			name: 'user',
			type: 'string',
			default: '',
			description: 'Leave empty for a relay that does not ask for a login',
		},
		{
			displayName: 'Password',
			name: 'password',
			type: 'string',
			typeOptions: { password: true },
			default: '',
		},
		{
			displayName: 'From Email',
			name: 'fromEmail',
			type: 'string',
			default: '',
			required: true,
			placeholder: 'care@practice.example.org',
		},
		{
			displayName: 'From Name',
			name: 'fromName',
			type: 'string',
			default: '',
			placeholder: 'Riverside Family Medicine',
		},
		{
			displayName: 'Reply-To',
			name: 'replyTo',
			type: 'string',
			default: '',
			placeholder: 'frontdesk@practice.example.org',
			description: 'Optional. Where patient replies go, if not to the From address.',
		},
	];
}
