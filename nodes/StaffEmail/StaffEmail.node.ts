import { NodeConnectionTypes } from 'n8n-workflow';
import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeType, INodeTypeDescription } from 'n8n-workflow';

import { sendStaffEmail } from '../shared/flows/staffEmail';
import { smtpConnectionTest } from '../shared/n8n/credentialTests';
import { toNodeError } from '../shared/n8n/errors';
import { routeEachItem } from '../shared/n8n/items';
import { smtpSenderFor } from '../shared/n8n/senders';

export class StaffEmail implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Staff Email',
		name: 'staffEmail',
		icon: { light: 'file:staffEmail.svg', dark: 'file:staffEmail.dark.svg' },
		group: ['output'],
		version: 1,
		subtitle: '={{"To " + $parameter["toEmail"]}}',
		description: 'Emails the practice\'s staff (alerts, reports) through the Post-Visit SMTP credential the patient emails use',
		defaults: { name: 'Staff Email' },
		// Not a tool: an agent has no business mailing staff on its own.
		usableAsTool: undefined,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: 'postVisitSmtpApi', required: true, testedBy: 'smtpConnectionTest' }],
		properties: [
			{
				displayName:
					'For staff only: plain text, sent as soon as the node runs (from the editor too). Keep patient details out of it; name journey IDs instead.',
				name: 'staffOnlyNotice',
				type: 'notice',
				default: '',
			},
			{
				displayName: 'To',
				name: 'toEmail',
				type: 'string',
				default: '',
				required: true,
				placeholder: 'practice-manager@example.com',
				description: 'One or more addresses, separated by commas; each gets its own email',
			},
			{
				displayName: 'Subject',
				name: 'subject',
				type: 'string',
				default: '',
				required: true,
			},
			{
				displayName: 'Text',
				name: 'text',
				type: 'string',
				typeOptions: { rows: 6 },
				default: '',
				required: true,
				description: 'The plain-text body',
			},
		],
	};

	methods = { credentialTest: { smtpConnectionTest } };

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		let sender: Awaited<ReturnType<typeof smtpSenderFor>>;
		try {
			sender = await smtpSenderFor(this);
		} catch (error) {
			throw toNodeError(this.getNode(), error);
		}
		try {
			return await routeEachItem(this, 1, async (_item, itemIndex) => {
				const text = (name: string) => String(this.getNodeParameter(name, itemIndex, '') ?? '');
				const sent = await sendStaffEmail(sender.send, { to: text('toEmail'), subject: text('subject'), text: text('text') });
				return [{ output: 0, json: { emailSent: true, ...sent } as unknown as IDataObject }];
			});
		} finally {
			sender.close();
		}
	}
}
