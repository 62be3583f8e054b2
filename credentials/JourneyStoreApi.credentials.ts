import type { ICredentialType, INodeProperties } from 'n8n-workflow';

/**
 * Where the pack keeps claims, the journal, opt-outs and daily counts, shared by every workflow of the
 * practice. Tested by the nodes' `journeyStoreConnectionTest`, which opens the store and migrates it.
 */
export class JourneyStoreApi implements ICredentialType {
	name = 'journeyStoreApi';

	displayName = 'Post-Visit Journey Store';

	icon = { light: 'file:journeyStore.svg', dark: 'file:journeyStore.dark.svg' } as const;

	documentationUrl = 'https://www.npmjs.com/package/n8n-nodes-post-visit#post-visit-journey-store';

	properties: INodeProperties[] = [
		{
			displayName: 'Database',
			name: 'backend',
			type: 'options',
			options: [
				{ name: 'SQLite File (One n8n)', value: 'sqlite' },
				{ name: 'Postgres (Queue Mode, Several Hosts)', value: 'postgres' },
			],
			default: 'sqlite',
			description: 'SQLite suits one n8n instance. Use Postgres when n8n runs in queue mode with workers on several hosts.',
		},
		{
			displayName: 'SQLite File Path',
			name: 'sqlitePath',
			type: 'string',
			default: '',
			placeholder: '/home/node/.n8n/post-visit/journey.sqlite',
			description: 'Leave empty to use post-visit/journey.sqlite inside the n8n user folder (kept with n8n\'s own data and backups)',
			displayOptions: { show: { backend: ['sqlite'] } },
		},
		{
			displayName: 'Host',
			name: 'host',
			type: 'string',
			default: 'localhost',
			displayOptions: { show: { backend: ['postgres'] } },
		},
		{
			displayName: 'Port',
			name: 'port',
			type: 'number',
			default: 5432,
			displayOptions: { show: { backend: ['postgres'] } },
		},
		{
			displayName: 'Database Name',
			name: 'database',
			type: 'string',
			default: 'post_visit',
			displayOptions: { show: { backend: ['postgres'] } },
		},
		{
			displayName: 'User',
			name: 'user',
			type: 'string',
			default: 'post_visit',
			displayOptions: { show: { backend: ['postgres'] } },
		},
		{
			displayName: 'Password',
			name: 'password',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			displayOptions: { show: { backend: ['postgres'] } },
		},
		{
			displayName: 'TLS',
			name: 'ssl',
			type: 'options',
			options: [
				{ name: 'Off', value: 'off' },
				{ name: 'On (Verify Certificate)', value: 'verify' },
				{ name: 'On (Do Not Verify Certificate)', value: 'noVerify' },
			],
			default: 'verify',
			description:
				'The journey store holds patient identifiers: verify the server by default. Off only on a private network the practice controls (e.g. the Docker set-up\'s compose network).',
			displayOptions: { show: { backend: ['postgres'] } },
		},
		{
			displayName: 'Contact Hash Secret',
			name: 'contactHashSecret',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			placeholder: 'empty: derived from n8n\'s encryption key',
			description:
				'The secret the store keys its hashes of phone numbers and email addresses with (opt-outs, contacts), so a copy of the database cannot be turned back into numbers. Leave it empty to derive it from n8n\'s encryption key (the same on every worker and after a restore, as n8n already requires); or set one of at least 32 characters (openssl rand -hex 32) and keep it with n8n\'s backups. Never change it: opt-outs recorded under one secret are not found under another, and the store refuses a changed one.',
		},
		{
			displayName: 'Journal Retention (Days)',
			name: 'retentionDays',
			type: 'number',
			default: 400,
			description: 'How long the audit trail is kept. Must outlast the longest journey (recalls run for weeks).',
		},
	];
}
