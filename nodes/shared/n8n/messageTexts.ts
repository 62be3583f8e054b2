import type { ICredentialDataDecryptedObject, IExecuteFunctions, IWebhookFunctions } from 'n8n-workflow';

import { messageTextsFromFields } from '../core/compose';
import type { MessageTexts } from '../core/compose';
import { DomainError } from '../core/errors';
import { executionCredential } from './credentials';
import { toNodeError } from './errors';

export const messageTextsCredentialType = 'postVisitMessageTextsApi';

/**
 * The fields of the "Post-Visit Message Texts" credential → the practice's texts by language. Every invalid field
 * is reported at once, by its label in the credential form.
 */
export function messageTextsFromCredential(credential: ICredentialDataDecryptedObject): MessageTexts {
	const { texts, issues } = messageTextsFromFields(credential);
	if (issues.length > 0) {
		const text = issues.map((issue) => (issue.message.startsWith(`${issue.label}:`) ? issue.message : `${issue.label} ${issue.message}`)).join('; ');
		throw new DomainError(`Post-Visit Message Texts: ${text}`, 'invalid_input', issues[0].label);
	}
	return texts;
}

/** The practice's texts when the node has a "Post-Visit Message Texts" credential selected; else none (built-in). */
export async function practiceTextsFor(context: IExecuteFunctions): Promise<MessageTexts | undefined> {
	if (!context.getNode().credentials?.[messageTextsCredentialType]) return undefined;
	try {
		return messageTextsFromCredential(await executionCredential(context, messageTextsCredentialType));
	} catch (error) {
		throw toNodeError(context.getNode(), error);
	}
}

/**
 * The practice's texts for a webhook (Patient Reply Trigger) when the node has the credential selected. An invalid
 * credential does not stop the answer: a STOP must be recorded and confirmed whatever the texts say, so the
 * built-in texts answer and `problem` says why (field labels only, no patient data).
 */
export async function practiceTextsForWebhook(context: IWebhookFunctions): Promise<{ texts?: MessageTexts; problem?: string }> {
	if (!context.getNode().credentials?.[messageTextsCredentialType]) return {};
	try {
		return { texts: messageTextsFromCredential(await context.getCredentials(messageTextsCredentialType)) };
	} catch (error) {
		return { problem: toNodeError(context.getNode(), error).message };
	}
}
