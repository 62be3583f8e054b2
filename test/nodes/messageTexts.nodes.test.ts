import { join } from 'node:path';

import type { ICredentialDataDecryptedObject, ICredentialsDecrypted, IDataObject, INodeParameters } from 'n8n-workflow';

import { PostVisitMessageTextsApi } from '../../credentials/PostVisitMessageTextsApi.credentials';
import { ChannelRouter } from '../../nodes/ChannelRouter/ChannelRouter.node';
import { PatientMessage } from '../../nodes/PatientMessage/PatientMessage.node';
import { messageTextFields } from '../../nodes/shared/core/compose';
import { messageTextsTest } from '../../nodes/shared/n8n/credentialTests';
import { startTwilioApi } from '../../sandbox/twilio-api';
import type { TwilioApiSandbox } from '../../sandbox/twilio-api';
import { runWorkflow, type WorkflowFixture } from '../helpers/engine';
import { practiceProfileCredential, tempDir, testContactHashSecret, visitEvent, zoneWhereNowIsBetween } from '../helpers/fixtures';

const accountSid = 'AC' + '2'.repeat(32);
const authToken = 'sandbox-token';
let twilio: TwilioApiSandbox;

beforeAll(async () => {
	twilio = await startTwilioApi({ accountSid, authToken });
});
afterAll(async () => {
	await twilio.close();
});
beforeEach(() => twilio.reset());

/** The credential as its form saves it: every field pre-filled, some changed. */
function messageTexts(changes: Record<string, unknown> = {}): ICredentialDataDecryptedObject {
	const defaults = Object.fromEntries(new PostVisitMessageTextsApi().properties.filter((p) => p.type !== 'notice').map((p) => [p.name, p.default]));
	return { ...defaults, ...changes } as ICredentialDataDecryptedObject;
}

function credentials(storePath: string, texts: ICredentialDataDecryptedObject) {
	return {
		journeyStoreApi: { backend: 'sqlite', sqlitePath: storePath, contactHashSecret: testContactHashSecret },
		practiceProfileApi: practiceProfileCredential({}),
		postVisitTwilioApi: { authType: 'authToken', accountSid, authToken, from: '+15125550199', apiBaseUrl: twilio.url },
		postVisitMessageTextsApi: texts,
	};
}

const workflow: WorkflowFixture = {
	nodes: [
		{ name: 'Fixture', type: 'test.fixture', parameters: { items: '[]' } },
		{ name: 'Route', type: 'n8n-nodes-post-visit.channelRouter', parameters: { stage: 1 } },
		{ name: 'Send', type: 'n8n-nodes-post-visit.patientMessage', parameters: { stage: 1 } },
	],
	connections: {
		Fixture: { main: [[{ node: 'Route', type: 'main', index: 0 }]] },
		Route: { main: [[{ node: 'Send', type: 'main', index: 0 }], []] },
	},
};

function withItems(items: IDataObject[], sendParameters: INodeParameters = { stage: 1 }): WorkflowFixture {
	const nodes = workflow.nodes.map((node) => {
		if (node.name === 'Fixture') return { ...node, parameters: { items: JSON.stringify(items) } };
		return node.name === 'Send' ? { ...node, parameters: sendParameters } : node;
	});
	return { ...workflow, nodes };
}

const nodeTypes = { channelRouter: new ChannelRouter(), patientMessage: new PatientMessage() };

function frenchPatient() {
	const event = visitEvent({ zone: zoneWhereNowIsBetween(9, 20) });
	event.patient.language = 'fr-CA';
	event.patient.email = undefined as never;
	return event as unknown as IDataObject;
}

const french = {
	fr: {
		careSummary: { sms: 'Bonjour {{firstName}}, prochaine étape : {{actionType}}. {{practiceName}}' },
		actionPhrases: { followUpVisit: 'rendez-vous de suivi' },
		optOutLine: 'Répondez STOP pour vous désabonner.',
	},
};

describe('Post-Visit Message Texts in Patient Message (n8n\'s engine)', () => {
	it('the credential form is derived from the built-in texts and matches the fields the core reads', () => {
		const names = new PostVisitMessageTextsApi().properties.map((property) => property.name);
		expect(names).toEqual(['textsNotice', ...messageTextFields.map((field) => field.name), 'moreLanguages']);
	});

	it('a manual run sends nothing and shows the third-language text from More Languages with its segments', async () => {
		const dir = tempDir();
		const result = await runWorkflow(withItems([frenchPatient()]), {
			nodeTypes,
			mode: 'manual',
			credentials: credentials(join(dir, 'j.sqlite'), messageTexts({ moreLanguages: JSON.stringify(french) })),
		});
		expect(result.error('Send')).toBeUndefined();
		const delivery = result.output('Send', 0)[0].delivery as { results: Array<Record<string, unknown>> };
		expect(delivery.results).toEqual([
			expect.objectContaining({
				channel: 'sms',
				status: 'preview',
				language: 'fr',
				segments: 1,
				text: expect.stringMatching(/^Bonjour Ana, prochaine étape : rendez-vous de suivi\. .+\nRépondez STOP pour vous désabonner\.$/),
			}),
		]);
		expect(twilio.messages).toHaveLength(0);
	});

	it('a live run sends the credential text; the node\'s own text wins over it', async () => {
		const dir = tempDir();
		const texts = messageTexts({ careSummary_en_sms: 'From the credential, {{firstName}}. Reply STOP to opt out.' });
		await runWorkflow(withItems([visitEvent({ zone: zoneWhereNowIsBetween(9, 20) }) as unknown as IDataObject]), {
			nodeTypes,
			credentials: credentials(join(dir, 'a.sqlite'), texts),
		});
		expect(twilio.messages.map((message) => message.body)).toEqual(['From the credential, Ana. Reply STOP to opt out.']);

		const withOverride: INodeParameters = { stage: 1, texts: { text: [{ template: 'careSummary', language: 'en', text: 'From the node, {{firstName}}. Reply STOP to opt out.' }] } };
		await runWorkflow(withItems([visitEvent({ zone: zoneWhereNowIsBetween(9, 20) }) as unknown as IDataObject], withOverride), {
			nodeTypes,
			credentials: credentials(join(dir, 'b.sqlite'), texts),
		});
		expect(twilio.messages.map((message) => message.body)[1]).toBe('From the node, Ana. Reply STOP to opt out.');
	});

	it('an invalid credential stops the node, naming the field by its label', async () => {
		const dir = tempDir();
		const result = await runWorkflow(withItems([visitEvent({ zone: zoneWhereNowIsBetween(9, 20) }) as unknown as IDataObject]), {
			nodeTypes,
			credentials: credentials(join(dir, 'c.sqlite'), messageTexts({ careSummary_en_sms: 'Hi {{name}}' })),
		});
		expect(result.error('Send')?.message).toContain('Care Summary (Stage 1): SMS (English): unknown placeholder {{name}}');
		expect(twilio.messages).toHaveLength(0);
	});

	it('the credential test lists every problem by label, and passes the pre-filled texts', async () => {
		const check = async (data: ICredentialDataDecryptedObject) =>
			await messageTextsTest.call({} as never, { id: '1', name: 'texts', type: 'postVisitMessageTextsApi', data } as ICredentialsDecrypted);
		expect(await check(messageTexts())).toEqual({ status: 'OK', message: 'Texts are valid' });
		expect(await check(messageTexts({ moreLanguages: JSON.stringify(french) }))).toEqual({ status: 'OK', message: 'Texts are valid; more languages: fr' });
		const failed = await check(messageTexts({ careSummary_es_sms: '{{#visitDate}}', moreLanguages: '[' }));
		expect(failed.status).toBe('Error');
		expect(failed.message).toContain('Care Summary (Stage 1): SMS (Spanish): section {{#visitDate}} is not closed');
		expect(failed.message).toContain('More Languages is not valid JSON');
	});
});
