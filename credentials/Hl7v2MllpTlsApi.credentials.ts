import type { ICredentialType, INodeProperties } from 'n8n-workflow';

/**
 * TLS for the HL7 v2 Trigger's MLLP listener: the listener's key and certificate and, for mutual TLS, the CA of
 * the senders' client certificates with the names allowed. Checked by the trigger's `hl7v2TlsTest`, which
 * builds the TLS context from it.
 */
export class Hl7v2MllpTlsApi implements ICredentialType {
	name = 'hl7v2MllpTlsApi';

	displayName = 'HL7 v2 MLLP TLS';

	icon = { light: 'file:hl7v2.svg', dark: 'file:hl7v2.dark.svg' } as const;

	documentationUrl = 'https://www.npmjs.com/package/n8n-nodes-post-visit#hl7-v2-mllp-tls';

	properties: INodeProperties[] = [
		{
			displayName: 'Private Key (PEM)',
			name: 'privateKey',
			type: 'string',
			typeOptions: { password: true, rows: 4 },
			default: '',
			required: true,
		},
		{
			displayName: 'Certificate (PEM)',
			name: 'cert',
			type: 'string',
			typeOptions: { password: true, rows: 4 },
			default: '',
			required: true,
			description: 'The listener\'s certificate (and its chain), which the sending system checks',
		},
		{
			displayName: 'Client CA (PEM)',
			name: 'ca',
			type: 'string',
			typeOptions: { rows: 4 },
			default: '',
			description: 'Given, every sender must present a client certificate this CA signed (mutual TLS)',
		},
		{
			displayName: 'Allowed Client Certificate Names',
			name: 'allowedSubjects',
			type: 'string',
			default: '',
			placeholder: 'epic-bridges.example.org, mirth.example.org',
			description: 'Comma-separated subject CNs of the client certificates allowed; empty: any the CA signed',
		},
	];
}
