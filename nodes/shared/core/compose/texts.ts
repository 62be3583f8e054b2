import {
	actionPhraseKeys,
	actionTypeLabels,
	optOutLines,
	templateIds,
	templateLanguages,
	templates,
	type ActionPhraseKey,
	type TemplateId,
	type TemplateTexts,
} from './templates';
import { replyTemplates, type ReplyTextId } from './replyTemplates';

/**
 * Message texts as layers keyed by language code: the built-in texts, the practice's texts (the "Post-Visit
 * Message Texts" credential) and a node's own overrides. A language is any code with texts in some layer, so a
 * third language is texts, not code.
 */

export const textParts = ['sms', 'emailSubject', 'emailBody', 'voice'] as const;
export type TextPart = (typeof textParts)[number];

export type TemplateTextParts = Partial<Record<TextPart, string>>;

export interface LanguageTexts {
	templates?: Partial<Record<TemplateId, TemplateTextParts>>;
	actionPhrases?: Partial<Record<ActionPhraseKey, string>>;
	/** Appended to a journey's first SMS when its text has no opt-out instruction. */
	optOutLine?: string;
	/** The answers to patients' text replies (HELP, YES, STOP, START…). */
	replies?: Partial<Record<ReplyTextId, string>>;
}

/** Texts by lower-case language code ("en", "es", "fr", "es-mx"). */
export type MessageTexts = Record<string, LanguageTexts>;

/** A language code as the texts are keyed: lower case, hyphens ("pt_BR" → "pt-br"). */
export function normalizeLanguageCode(code: string): string {
	return (code ?? '').trim().toLowerCase().replace(/_/g, '-');
}

export const languageCodePattern = /^[a-z]{2,3}(-[a-z0-9]{2,8})*$/;

export const builtInLanguageNames: Record<(typeof templateLanguages)[number], string> = { en: 'English', es: 'Spanish' };

function partsOf(texts: TemplateTexts): TemplateTextParts {
	const parts: TemplateTextParts = {};
	if (texts.sms !== undefined) parts.sms = texts.sms;
	if (texts.email) {
		parts.emailSubject = texts.email.subject;
		parts.emailBody = texts.email.text;
	}
	if (texts.voice !== undefined) parts.voice = texts.voice;
	return parts;
}

/** The built-in texts (templates.ts) in the layered shape: the one source of the default wording. */
export const builtInTexts: MessageTexts = Object.fromEntries(
	templateLanguages.map((language) => [
		language,
		{
			templates: Object.fromEntries(templateIds.map((id) => [id, partsOf(templates[id].texts[language])])),
			actionPhrases: { ...actionTypeLabels[language] },
			optOutLine: optOutLines[language],
			replies: { ...replyTemplates[language] },
		},
	]),
);

/** The parts a channel's message is made of. */
export function partsForChannel(channel: 'sms' | 'email' | 'voice'): TextPart[] {
	return channel === 'email' ? ['emailSubject', 'emailBody'] : [channel];
}

/** A string with something other than white space in it: an empty field of a layer falls through to the next. */
export function hasText(value: unknown): value is string {
	return typeof value === 'string' && value.trim() !== '';
}

/** The first non-empty text of a template part in one language, searching the layers in order. */
export function textInLayers(layers: readonly MessageTexts[], language: string, template: TemplateId, part: TextPart): string | undefined {
	for (const layer of layers) {
		const text = layer[language]?.templates?.[template]?.[part];
		if (hasText(text)) return text;
	}
	return undefined;
}

/** The first phrase for an action type along a language chain (each language through every layer first). */
export function phraseInLayers(layers: readonly MessageTexts[], chain: readonly string[], key: ActionPhraseKey): string | undefined {
	for (const language of chain) {
		for (const layer of layers) {
			const phrase = layer[language]?.actionPhrases?.[key];
			if (hasText(phrase)) return phrase.trim();
		}
	}
	return undefined;
}

/** The first opt-out line along a language chain. */
export function optOutLineInLayers(layers: readonly MessageTexts[], chain: readonly string[]): string | undefined {
	for (const language of chain) {
		for (const layer of layers) {
			const line = layer[language]?.optOutLine;
			if (hasText(line)) return line.trim();
		}
	}
	return undefined;
}

/** Every language with texts: the built-in ones and any the practice added. */
export function languagesWithTexts(practiceTexts: MessageTexts = {}): string[] {
	return [...new Set([...templateLanguages, ...Object.keys(practiceTexts)])];
}

export function isActionPhraseKey(value: string): value is ActionPhraseKey {
	return (actionPhraseKeys as readonly string[]).includes(value);
}
