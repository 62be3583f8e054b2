import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import type { IDataObject, INodeParameters } from 'n8n-workflow';

import { StaffEmail } from '../../nodes/StaffEmail/StaffEmail.node';
import { startSmtpSink } from '../../sandbox/smtp-sink';
import type { SmtpSink } from '../../sandbox/smtp-sink';
import { runWorkflow, single } from '../helpers/engine';

let smtp: SmtpSink;

beforeAll(async () => {
	smtp = await startSmtpSink({ disableStartTls: true });
});
afterAll(async () => {
	await smtp.close();
});
beforeEach(() => {
	smtp.reset();
});

const nodeTypes = { staffEmail: new StaffEmail() };

async function staffEmail(parameters: INodeParameters, items: unknown[], node: IDataObject = {}) {
	return await runWorkflow(single('Email Practice Manager', 'staffEmail', parameters, items, node), {
		nodeTypes,
		credentials: { postVisitSmtpApi: { host: '127.0.0.1', port: smtp.port, security: 'none', fromEmail: 'care@riverside.test', fromName: 'Riverside' } },
	});
}

function templateNode(file: string): { parameters: INodeParameters; type: string } {
	const template = JSON.parse(readFileSync(join(__dirname, '../../workflows-templates', file), 'utf8')) as {
		nodes: Array<{ name: string; type: string; parameters: INodeParameters }>;
	};
	return template.nodes.find((node) => node.name === 'Email Practice Manager')!;
}

describe('Staff Email in n8n\'s engine, through the Post-Visit SMTP credential (real nodemailer, real SMTP server)', () => {
	it('sends one email per recipient and item, from the credential\'s sender, each output linked to its item', async () => {
		const result = await staffEmail({ toEmail: '={{ $json.to }}', subject: '={{ $json.subject }}', text: 'Check the journey store.' }, [
			{ to: 'manager@riverside.test, lead@riverside.test', subject: 'First' },
			{ to: 'manager@riverside.test', subject: 'Second' },
		]);
		expect(result.error('Email Practice Manager')).toBeUndefined();
		expect(smtp.messages.map((message) => [message.to, message.subject, message.from])).toEqual([
			[['manager@riverside.test'], 'First', 'care@riverside.test'],
			[['lead@riverside.test'], 'First', 'care@riverside.test'],
			[['manager@riverside.test'], 'Second', 'care@riverside.test'],
		]);
		expect(smtp.messages[0].text?.trim()).toBe('Check the journey store.');
		const items = result.items('Email Practice Manager');
		expect(items.map((item) => item.pairedItem)).toEqual([{ item: 0 }, { item: 1 }]);
		expect(items[0].json).toEqual({
			emailSent: true,
			to: ['manager@riverside.test', 'lead@riverside.test'],
			messageIds: [smtp.messages[0].messageId, smtp.messages[1].messageId],
		});
	});

	it('sends the weekly-report template\'s email: the three numbers in the subject, the report as the text', async () => {
		const node = templateNode('weekly-report.json');
		expect(node.type).toBe('n8n-nodes-post-visit.staffEmail');
		const reportItem = { followUpBookingRate: '50.0%', recallComplianceRate: 'n/a', careSummariesDeliveredRate: '66.7%', text: 'Post-visit follow-up report: last week' };
		const result = await staffEmail(node.parameters, [reportItem]);
		expect(result.error('Email Practice Manager')).toBeUndefined();
		expect(smtp.messages).toHaveLength(1);
		expect(smtp.messages[0].to).toEqual(['practice-manager@example-practice.test']);
		expect(smtp.messages[0].subject).toBe('Post-visit week: follow-ups booked 50.0% · recalls n/a · summaries delivered 66.7%');
		expect(smtp.messages[0].text).toContain('Post-visit follow-up report: last week');
		expect(smtp.messages[0].text).toContain('Definitions: docs/reporting.md');
	});

	it('names the field and the item when "To" holds something that is not an address, and sends nothing', async () => {
		const result = await staffEmail({ toEmail: '={{ $json.to }}', subject: 'Alert', text: 'Body' }, [{ to: 'manager@riverside.test' }, { to: 'not an address' }]);
		expect(result.nodeError('Email Practice Manager')).toMatchObject({
			name: 'NodeOperationError',
			message: 'Entry 1 of "To" is not an email address',
			description: 'Check the field "To".',
			context: { itemIndex: 1 },
		});
		expect(smtp.messages.map((message) => message.to)).toEqual([['manager@riverside.test']]);
	});

	it('reports a refused recipient on the field "To"; with "Continue On Fail" the other items still go out', async () => {
		smtp.setRecipientBehaviour('gone@riverside.test', 'bounce');
		try {
			const parameters = { toEmail: '={{ $json.to }}', subject: 'Alert', text: 'Body' };
			const items = [{ to: 'gone@riverside.test' }, { to: 'manager@riverside.test' }];
			const stopped = await staffEmail(parameters, items);
			expect(stopped.nodeError('Email Practice Manager')).toMatchObject({
				message: 'The email to recipient 1 was refused: The mail server refused the recipient (550 5.1.1)',
				description: 'Check the field "To".',
				context: { itemIndex: 0 },
			});
			expect(smtp.messages).toHaveLength(0);

			const tolerated = await staffEmail(parameters, items, { continueOnFail: true });
			expect(tolerated.items('Email Practice Manager').map((item) => [item.json.error ?? item.json.emailSent, item.pairedItem])).toEqual([
				[expect.stringMatching(/^The email to recipient 1 was refused/), { item: 0 }],
				[true, { item: 1 }],
			]);
			expect(smtp.messages.map((message) => message.to)).toEqual([['manager@riverside.test']]);
		} finally {
			smtp.setRecipientBehaviour('gone@riverside.test', undefined);
		}
	});
});
