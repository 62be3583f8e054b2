import { NodeConnectionTypes } from 'n8n-workflow';
import type {
	IDataObject,
	IHookFunctions,
	INodeExecutionData,
	INodeType,
	INodeTypeDescription,
	IWebhookFunctions,
	IWebhookResponseData,
} from 'n8n-workflow';

import type { EhrKind } from '../shared/core/schemas';
import { handlePatientReply, replyClassifications } from '../shared/flows/patientReply';
import type { InboundSms, PatientReplyOutcome, ReplyClassification } from '../shared/flows/patientReply';
import { nowIso } from '../shared/n8n/clock';
import { journeyStoreConnectionTest, messageTextsTest, practiceProfileTest, tebraConnectionTest } from '../shared/n8n/credentialTests';
import { ehrApiCredentials, ehrNameExpression, ehrOptions, smsConsentEhrs } from '../shared/n8n/descriptions';
import { ehrAdapterFor } from '../shared/n8n/ehr';
import { toNodeError } from '../shared/n8n/errors';
import { messageTextsCredentialType, practiceTextsForWebhook } from '../shared/n8n/messageTexts';
import { practiceProfileFromCredential } from '../shared/n8n/profile';
import { openStoreFrom } from '../shared/n8n/store';
import { answerTwiml, twimlReply, verifyTwilioWebhook } from '../shared/n8n/twilioWebhook';
import { pathFromParameter, unparsedBodyProperty } from '../shared/n8n/webhookPath';

const label = 'Patient Reply Trigger';
const staffOutput = replyClassifications.indexOf('staff');

/** The item every output carries: the message, what it was taken for, and what was done and answered. */
function replyJson(sms: InboundSms, outcome: Exclude<PatientReplyOutcome, { duplicate: true }>, textsProblem?: string): IDataObject {
	return {
		classification: outcome.classification,
		keyword: outcome.keyword ?? null,
		sender: outcome.sender,
		from: sms.from,
		to: sms.to,
		text: sms.body,
		messageSid: sms.messageSid,
		receivedAt: sms.receivedAt,
		language: outcome.language,
		reply: outcome.reply,
		journeyRecord: (outcome.journey ?? null) as unknown as IDataObject,
		...(outcome.booking ? { booking: outcome.booking as unknown as IDataObject } : {}),
		...(outcome.ehrConsent ? { ehrConsent: outcome.ehrConsent as unknown as IDataObject[] } : {}),
		...(textsProblem ? { messageTextsProblem: textsProblem } : {}),
	};
}

export class PatientReplyTrigger implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Patient Reply Trigger',
		name: 'patientReplyTrigger',
		icon: { light: 'file:patientReplyTrigger.svg', dark: 'file:patientReplyTrigger.dark.svg' },
		group: ['trigger'],
		version: 1,
		subtitle: `={{"Texts to Twilio, " + ${ehrNameExpression}}}`,
		description:
			'Answers patients\' text replies from Twilio: STOP/START opt-outs, HELP, YES for the booking link; anything else goes to staff',
		defaults: { name: 'Patient Reply Trigger' },
		inputs: [],
		outputs: replyClassifications.map(() => NodeConnectionTypes.Main),
		outputNames: ['Opted Out', 'Opted In', 'Help', 'Book', 'Staff'],
		credentials: [
			{ name: 'postVisitTwilioApi', required: true },
			{ name: 'journeyStoreApi', required: true, testedBy: 'journeyStoreConnectionTest' },
			{ name: 'practiceProfileApi', required: true, testedBy: 'practiceProfileTest' },
			{ name: messageTextsCredentialType, required: false, testedBy: 'messageTextsTest' },
			...ehrApiCredentials,
		],
		webhooks: [
			{
				name: 'default',
				httpMethod: 'POST',
				responseMode: 'onReceived',
				...pathFromParameter(),
				isFullPath: true,
			},
		],
		properties: [
			unparsedBodyProperty,
			{
				displayName:
					'In the Twilio console, set your number\'s (or Messaging Service\'s) "A message comes in" webhook to the Production URL above, HTTP POST. Requests are checked against the Auth Token of the Twilio credential; N8N_WEBHOOK_URL must be the public URL Twilio calls.',
				name: 'twilioNotice',
				type: 'notice',
				default: '',
			},
			ehrOptions,
			{
				displayName: 'Path',
				name: 'path',
				type: 'string',
				default: 'post-visit/patient-replies',
				required: true,
				description: 'The URL path Twilio posts incoming texts to; keep it unique per workflow',
			},
			{
				displayName: 'Update SMS Consent in the EHR',
				name: 'updateEhrConsent',
				type: 'boolean',
				default: true,
				description:
					'Whether STOP and START also change the patient\'s text-message consent in the EHR. The opt-out is recorded in the journey store either way.',
				displayOptions: { show: { ehr: smsConsentEhrs } },
			},
			{
				displayName:
					'Tebra\'s API has no text-message consent to update: STOP and START are recorded in the journey store, which every workflow of the pack obeys; change the patient\'s preference in Tebra by hand if the practice keeps it there',
				name: 'tebraConsentNotice',
				type: 'notice',
				default: '',
				displayOptions: { show: { ehr: ['tebra'] } },
			},
		],
	};

	methods = { credentialTest: { journeyStoreConnectionTest, messageTextsTest, practiceProfileTest, tebraConnectionTest } };

	webhookMethods = {
		default: {
			// Nothing is registered at Twilio by the pack: ops set the number's "A message comes in" URL in the console
			// (another app may own that setting). Publishing logs the URL to paste there.
			async checkExists(this: IHookFunctions): Promise<boolean> {
				return false;
			},
			async create(this: IHookFunctions): Promise<boolean> {
				this.logger.info(`${label} listens at ${this.getNodeWebhookUrl('default') ?? '(no URL)'}: set it as the Twilio number's incoming-message webhook`);
				return true;
			},
			async delete(this: IHookFunctions): Promise<boolean> {
				return true;
			},
		},
	};

	async webhook(this: IWebhookFunctions): Promise<IWebhookResponseData> {
		const verified = await verifyTwilioWebhook(this, { label });
		if (!verified.verified) return verified.response;
		const { params } = verified;
		const sms: InboundSms = {
			messageSid: params.MessageSid ?? params.SmsMessageSid ?? '',
			from: params.From ?? '',
			to: params.To ?? '',
			body: params.Body ?? '',
			receivedAt: nowIso(),
		};
		if (!sms.messageSid || !sms.from || params.Body === undefined) {
			// Signed by Twilio, but not an incoming message (e.g. a status callback pointed at this URL).
			this.logger.warn(`${label} ignored a Twilio request that is not an incoming message (no MessageSid, From or Body)`);
			answerTwiml(this, twimlReply(undefined));
			return { noWebhookResponse: true };
		}

		let outcome: PatientReplyOutcome | undefined;
		let failure: { message: string; description?: string } | undefined;
		let textsProblem: string | undefined;
		// Twilio sends the <Message> of this answer to the patient right away; no API call, no second number.
		let answered = false;
		const answer = (reply: string | undefined) => {
			if (answered) return;
			answered = true;
			answerTwiml(this, twimlReply(reply));
		};
		try {
			const ehr = this.getNodeParameter('ehr') as EhrKind;
			const profile = practiceProfileFromCredential(await this.getCredentials('practiceProfileApi'));
			const practiceTexts = await practiceTextsForWebhook(this);
			textsProblem = practiceTexts.problem;
			if (textsProblem) this.logger.warn(`${label} answers with the built-in texts: ${textsProblem}`);
			// IWebhookFunctions offers the same getCredentials and helpers.httpRequestWithAuthentication as the other contexts.
			const adapter = await ehrAdapterFor(this, ehr);
			const store = await openStoreFrom(await this.getCredentials('journeyStoreApi'));
			try {
				outcome = await handlePatientReply(sms, {
					store,
					adapter,
					profile,
					now: sms.receivedAt,
					updateEhrConsent: this.getNodeParameter('updateEhrConsent', true) as boolean,
					texts: practiceTexts.texts,
					onReply: answer,
				});
			} finally {
				await store.close();
			}
		} catch (error) {
			const nodeError = toNodeError(this.getNode(), error);
			failure = { message: nodeError.message, description: nodeError.description ?? undefined };
			this.logger.error(`${label} could not handle the text ${sms.messageSid}; it goes to the Staff output: ${nodeError.message}`);
		}

		if (outcome?.duplicate) {
			this.logger.debug(`${label} had already handled the text ${sms.messageSid}; nothing done again`);
			answer(undefined);
			return { noWebhookResponse: true };
		}
		answer(outcome?.reply);

		const outputs: INodeExecutionData[][] = replyClassifications.map(() => []);
		if (outcome) {
			const index = replyClassifications.indexOf(outcome.classification as ReplyClassification);
			outputs[index].push({ json: replyJson(sms, outcome, textsProblem), pairedItem: { item: 0 } });
		} else {
			// Nothing was recorded or answered: a person reads the text and does by hand what failed.
			outputs[staffOutput].push({
				json: {
					classification: 'staff',
					from: sms.from,
					to: sms.to,
					text: sms.body,
					messageSid: sms.messageSid,
					receivedAt: sms.receivedAt,
					journeyRecord: null,
					error: failure?.message ?? 'unknown error',
					errorDescription: failure?.description ?? null,
				},
				pairedItem: { item: 0 },
			});
		}
		return { noWebhookResponse: true, workflowData: outputs };
	}
}
