import type { ICredentialType, INodeProperties } from 'n8n-workflow';

import {
	actionPhraseKeys,
	messageTextFields,
	moreLanguagesField,
	replyTextIds,
	replyVariables,
	staffOnlyVariables,
	variableNames,
} from '../nodes/shared/core/compose';

const notAnExpression =
	'{{firstName}} and the other placeholders here are not n8n expressions: Patient Message and Patient Reply Trigger fill them in when they send.';

const patientPlaceholders = variableNames
	.filter((name) => !staffOnlyVariables.includes(name))
	.map((name) => `{{${name}}}`)
	.join(', ');

function fieldProperty(field: (typeof messageTextFields)[number]): INodeProperties {
	if (field.kind === 'phrase') {
		return {
			displayName: field.label,
			name: field.name,
			type: 'string',
			default: field.default,
			description: 'Names the action in SMS, voice and email instead of the EHR\'s order text. Empty: the built-in phrase.',
		};
	}
	if (field.kind === 'reply') {
		const placeholders = replyVariables[field.reply].map((name) => `{{${name}}}`).join(', ');
		return {
			displayName: field.label,
			name: field.name,
			type: 'string',
			typeOptions: { rows: 3 },
			default: field.default,
			description: `Patient Reply Trigger's answer by SMS, in the patient's language. Placeholders: ${placeholders}. No clinical terms. Empty: the built-in answer.`,
		};
	}
	const channelNote = field.part === 'sms' ? ' SMS may not contain clinical terms (diagnoses, results, doses).' : '';
	return {
		displayName: field.label,
		name: field.name,
		type: 'string',
		typeOptions: field.part === 'emailSubject' ? undefined : { rows: field.part === 'emailBody' ? 6 : 3 },
		default: field.default,
		description: `${notAnExpression} Empty: the built-in text.${channelNote}`,
	};
}

/**
 * The patient message texts of the practice in one place, read at run time by every Patient Message of every
 * workflow that selects it (a node cannot read another workflow's parameters, and n8n's data tables refuse
 * community nodes). Pre-filled with the built-in wording. Checked by the nodes' `messageTextsTest`.
 */
export class PostVisitMessageTextsApi implements ICredentialType {
	name = 'postVisitMessageTextsApi';

	displayName = 'Post-Visit Message Texts';

	icon = { light: 'file:practiceProfile.svg', dark: 'file:practiceProfile.dark.svg' } as const;

	documentationUrl = 'https://www.npmjs.com/package/n8n-nodes-post-visit#post-visit-message-texts';

	properties: INodeProperties[] = [
		{
			displayName: `The texts patients receive, per message, channel and language. Placeholders: ${patientPlaceholders}; {{#schedulingLink}}…{{/schedulingLink}} keeps its text only when there is a link. These are not n8n expressions. A text set on a Patient Message node wins over this one for that node. The rendered texts and SMS segments show in the output of Patient Message when you run it from the editor.`,
			name: 'textsNotice',
			type: 'notice',
			default: '',
		},
		...messageTextFields.map(fieldProperty),
		{
			displayName: moreLanguagesField.label,
			name: moreLanguagesField.name,
			type: 'json',
			default: '{}',
			description: `Texts for any other language code (e.g. "fr", "pt", "es-MX"), used for patients whose language falls back to it (pt-BR → pt → en). Shape: {"fr": {"careSummary": {"sms": "…", "emailSubject": "…", "emailBody": "…"}, "voiceReminder": {"voice": "…"}, "actionPhrases": {${actionPhraseKeys.map((key) => `"${key}": "…"`).join(', ')}}, "optOutLine": "Répondez STOP pour vous désabonner.", "replies": {"help": "…", "bookLink": "… {{schedulingLink}} …"}}}. Answers to text replies: ${replyTextIds.join(', ')}. A missing text falls back along the language chain. ${notAnExpression}`,
		},
	];
}
