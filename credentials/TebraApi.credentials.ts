import type { ICredentialType, INodeProperties } from 'n8n-workflow';

import { tebraEndpoint } from '../nodes/shared/ehr/tebra/soap';

/**
 * Tebra (formerly Kareo) SOAP Web Services API 2.1. Every call carries the customer key, user and password in
 * its RequestHeader, so there is no token and nothing for n8n to add to the request. Checked by the nodes'
 * `tebraConnectionTest` (GetPractices with the practice name).
 */
// eslint-disable-next-line @n8n/community-nodes/credential-test-required -- tested by the nodes' tebraConnectionTest, declared in the shared EHR credential list (nodes/shared/n8n/descriptions.ts), a spread the rule cannot follow; a declarative test cannot read SOAP's SecurityResponse
export class TebraApi implements ICredentialType {
	name = 'tebraApi';

	displayName = 'Tebra (Kareo) SOAP API';

	icon = { light: 'file:tebra.svg', dark: 'file:tebra.dark.svg' } as const;

	documentationUrl = 'https://www.npmjs.com/package/n8n-nodes-post-visit#tebra-kareo-soap-api';

	properties: INodeProperties[] = [
		{
			displayName: 'Customer Key',
			name: 'customerKey',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			required: true,
			description: "The account's customer key: a System Administrator requests it through a Tebra Customer Care case, then finds it under My Account → Get Customer Key",
		},
		{
			displayName: 'User',
			name: 'user',
			type: 'string',
			default: '',
			required: true,
			description: 'The login of a Tebra user with the System Admin role (the API needs its permissions)',
		},
		{
			displayName: 'Password',
			name: 'password',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			required: true,
		},
		{
			displayName: 'Practice Name',
			name: 'practiceName',
			type: 'string',
			default: '',
			required: true,
			description: 'Exactly as Tebra shows it: every appointment search is filtered by it',
		},
		{
			displayName: 'Practice Time Zone',
			name: 'zone',
			type: 'string',
			default: '',
			required: true,
			placeholder: 'America/Chicago',
			description: 'IANA time zone of the practice. Tebra records none for its practices or service locations.',
		},
		{
			displayName: 'Follow-Up Item for Every Visit',
			name: 'followUpItem',
			type: 'boolean',
			default: true,
			description: 'Whether each visit gets a "book your follow-up visit" action item. Tebra has no order API, so nothing more specific is known.',
		},
		{
			displayName: 'Set a Patient Alert on Escalation',
			name: 'patientAlert',
			type: 'boolean',
			default: false,
			description:
				'Whether stage 3 also sets the patient\'s Alert in Tebra (UpdatePatient). Tebra has no task list, so staff are notified by email or SMS either way. Caution: UpdatePatient replaces the alert, so an alert staff wrote by hand is lost.',
		},
		{
			displayName: 'Endpoint',
			name: 'endpoint',
			type: 'string',
			default: tebraEndpoint,
			description: "Tebra's SOAP endpoint; change it only for a test server",
		},
	];
}
