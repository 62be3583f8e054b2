import { actionItemTypeNames } from '../schemas';
import { templateTextProblem } from './compose';
import { replyTextProblem } from './replyAnswers';
import { replyTextIds, type ReplyTextId } from './replyTemplates';
import {
	actionPhraseKeys,
	templateIds,
	templateLanguages,
	templates,
	type ActionPhraseKey,
	type TemplateId,
	type TemplateLanguage,
} from './templates';
import {
	builtInLanguageNames,
	builtInTexts,
	hasText,
	languageCodePattern,
	normalizeLanguageCode,
	textParts,
	type LanguageTexts,
	type MessageTexts,
	type TextPart,
} from './texts';

/**
 * The fields of the "Post-Visit Message Texts" credential, derived from the built-in texts: one field per patient
 * message, part and built-in language, one per action phrase and language, one per answer to a patient's text reply
 * and language, and "More Languages" (JSON) for any
 * other language code. The credential form, its defaults and the labels of its errors all come from here.
 */

export const templateDisplayNames: Record<TemplateId, string> = {
	careSummary: 'Care Summary (Stage 1)',
	followUpConfirmation: 'Follow-Up Already Booked (Stage 1)',
	actionReminder: 'Action Reminder (Stage 2)',
	recallNudge: 'Recall Nudge (Stage 1)',
	recallReminder: 'Recall Reminder (Stage 2)',
	staffNotification: 'Staff Notification',
	voiceReminder: 'Voice Message (Stage 3)',
};

const partNames: Record<TextPart, string> = { sms: 'SMS', emailSubject: 'Email Subject', emailBody: 'Email Body', voice: 'Voice' };

export const actionPhraseNames: Record<ActionPhraseKey, string> = { ...actionItemTypeNames, other: 'Other' };

export const replyDisplayNames: Record<ReplyTextId, string> = {
	optOut: 'STOP Confirmation',
	optIn: 'START Confirmation',
	help: 'HELP',
	bookLink: 'YES With Scheduling Link',
	alreadyBooked: 'YES When Already Booked',
	bookCall: 'YES Without Link (Call Us)',
	staff: 'Other Text (Staff Will Answer)',
};

export type MessageTextField =
	| { kind: 'text'; name: string; label: string; language: TemplateLanguage; template: TemplateId; part: TextPart; default: string }
	| { kind: 'phrase'; name: string; label: string; language: TemplateLanguage; phrase: ActionPhraseKey; default: string }
	| { kind: 'reply'; name: string; label: string; language: TemplateLanguage; reply: ReplyTextId; default: string };

export const moreLanguagesField = { name: 'moreLanguages', label: 'More Languages' } as const;

const patientTemplateIds = templateIds.filter((id) => templates[id].audience === 'patient');

/** The parts a template has (an SMS text, an email, a voice text), as the built-in English texts define them. */
export function partsOfTemplate(template: TemplateId): TextPart[] {
	const parts = builtInTexts.en.templates?.[template] ?? {};
	return textParts.filter((part) => parts[part] !== undefined);
}

export const messageTextFields: readonly MessageTextField[] = templateLanguages.flatMap((language) => [
	...patientTemplateIds.flatMap((template) =>
		partsOfTemplate(template).map((part): MessageTextField => ({
			kind: 'text',
			name: `${template}_${language}_${part}`,
			label: `${templateDisplayNames[template]}: ${partNames[part]} (${builtInLanguageNames[language]})`,
			language,
			template,
			part,
			default: builtInTexts[language].templates?.[template]?.[part] ?? '',
		})),
	),
	...actionPhraseKeys.map((phrase): MessageTextField => ({
		kind: 'phrase',
		name: `phrase_${language}_${phrase}`,
		label: `Action Phrase: ${actionPhraseNames[phrase]} (${builtInLanguageNames[language]})`,
		language,
		phrase,
		default: builtInTexts[language].actionPhrases?.[phrase] ?? '',
	})),
	...replyTextIds.map((reply): MessageTextField => ({
		kind: 'reply',
		name: `reply_${language}_${reply}`,
		label: `Reply Answer: ${replyDisplayNames[reply]} (${builtInLanguageNames[language]})`,
		language,
		reply,
		default: builtInTexts[language].replies?.[reply] ?? '',
	})),
]);

/** A problem with one field, named by its label in the credential form. */
export interface TextIssue {
	label: string;
	message: string;
}

function phraseProblem(phrase: string): string | undefined {
	if (/[{}]/.test(phrase)) return 'is a plain phrase: it may not contain placeholders or braces';
	if (phrase.length > 60) return 'is longer than 60 characters (it goes into SMS)';
	return undefined;
}

function checkText(text: string, template: TemplateId, label: string, issues: TextIssue[]): void {
	const problem = templateTextProblem(text, templates[template].audience, label);
	if (problem) issues.push({ label, message: problem });
}

function languageTextsOf(texts: MessageTexts, language: string): LanguageTexts {
	texts[language] ??= {};
	return texts[language];
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
	return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseTemplateEntry(entry: unknown, template: TemplateId, label: string, issues: TextIssue[]): LanguageTexts['templates'] {
	if (!isPlainObject(entry)) {
		issues.push({ label, message: 'must be an object such as {"sms": "…", "emailSubject": "…", "emailBody": "…"}' });
		return undefined;
	}
	const allowed = partsOfTemplate(template);
	const parts: Partial<Record<TextPart, string>> = {};
	for (const [part, text] of Object.entries(entry)) {
		const partLabel = `${label}, ${part}`;
		if (!allowed.includes(part as TextPart)) {
			issues.push({ label: partLabel, message: `is not a part of this message; it has ${allowed.join(', ')}` });
		} else if (typeof text !== 'string') {
			issues.push({ label: partLabel, message: 'must be a text' });
		} else if (hasText(text)) {
			checkText(text, template, partLabel, issues);
			parts[part as TextPart] = text;
		}
	}
	return { [template]: parts };
}

/**
 * An object of texts keyed by `keys` ("actionPhrases", "replies"): a key not among them (`keyName` says what a key
 * is), a value that is not a text, or a text `problemOf` refuses is an issue at its own label; empty texts are left out.
 */
function parseKeyedTexts<K extends string>(
	entry: unknown,
	label: string,
	issues: TextIssue[],
	keys: readonly K[],
	keyName: string,
	problemOf: (text: string, key: K, label: string) => string | undefined,
): Partial<Record<K, string>> | undefined {
	if (!isPlainObject(entry)) {
		issues.push({ label, message: `must be an object keyed by ${keys.join(', ')}` });
		return undefined;
	}
	const texts: Partial<Record<K, string>> = {};
	for (const [key, text] of Object.entries(entry)) {
		const keyLabel = `${label}, ${key}`;
		const problem = !(keys as readonly string[]).includes(key)
			? `is not ${keyName}; use ${keys.join(', ')}`
			: typeof text !== 'string' ? 'must be a text' : problemOf(text, key as K, keyLabel);
		if (problem) issues.push({ label: keyLabel, message: problem });
		else if (hasText(text)) texts[key as K] = text;
	}
	return texts;
}

function parsePhrases(entry: unknown, label: string, issues: TextIssue[]): LanguageTexts['actionPhrases'] {
	return parseKeyedTexts(entry, label, issues, actionPhraseKeys, 'an action type', (phrase) => phraseProblem(phrase));
}

function parseReplies(entry: unknown, label: string, issues: TextIssue[]): LanguageTexts['replies'] {
	return parseKeyedTexts(entry, label, issues, replyTextIds, 'an answer', (text, key, keyLabel) =>
		hasText(text) ? replyTextProblem(text, key, keyLabel) : undefined,
	);
}

function parseLanguageEntry(entry: unknown, label: string, issues: TextIssue[]): LanguageTexts {
	const texts: LanguageTexts = {};
	if (!isPlainObject(entry)) {
		issues.push({ label, message: 'must be an object keyed by message (careSummary, actionReminder, …), "actionPhrases", "optOutLine" and "replies"' });
		return texts;
	}
	for (const [key, value] of Object.entries(entry)) {
		const keyLabel = `${label}, ${key}`;
		if (key === 'actionPhrases') texts.actionPhrases = parsePhrases(value, keyLabel, issues);
		else if (key === 'replies') texts.replies = parseReplies(value, keyLabel, issues);
		else if (key === 'optOutLine') {
			if (typeof value === 'string') texts.optOutLine = value;
			else issues.push({ label: keyLabel, message: 'must be a text' });
		} else if ((templateIds as readonly string[]).includes(key)) {
			texts.templates = { ...texts.templates, ...parseTemplateEntry(value, key as TemplateId, keyLabel, issues) };
		} else {
			issues.push({ label: keyLabel, message: `is not a message; use ${templateIds.join(', ')}, actionPhrases, optOutLine or replies` });
		}
	}
	return texts;
}

function parseMoreLanguages(raw: unknown, texts: MessageTexts, issues: TextIssue[]): void {
	const label = moreLanguagesField.label;
	if (raw === undefined || raw === null || (typeof raw === 'string' && raw.trim() === '')) return;
	let value: unknown = raw;
	if (typeof raw === 'string') {
		try {
			value = JSON.parse(raw);
		} catch {
			issues.push({ label, message: 'is not valid JSON (check the quotes, commas and brackets)' });
			return;
		}
	}
	if (!isPlainObject(value)) {
		issues.push({ label, message: 'must be an object keyed by language code, e.g. {"fr": {"careSummary": {"sms": "…"}}}' });
		return;
	}
	for (const [code, entry] of Object.entries(value)) {
		const language = normalizeLanguageCode(code);
		const languageLabel = `${label}, "${code}"`;
		if (!languageCodePattern.test(language)) {
			issues.push({ label: languageLabel, message: 'is not a language code such as fr, pt or es-MX' });
		} else if ((templateLanguages as readonly string[]).includes(language)) {
			issues.push({ label: languageLabel, message: 'has its own fields above; a regional variant such as es-MX belongs here' });
		} else {
			texts[language] = parseLanguageEntry(entry, languageLabel, issues);
		}
	}
}

/**
 * The credential's fields → the practice's texts by language, and every problem at once by field label (unknown
 * or staff-only placeholders, unclosed sections, broken JSON). An empty field keeps the built-in text.
 */
export function messageTextsFromFields(fields: Record<string, unknown>): { texts: MessageTexts; issues: TextIssue[] } {
	const texts: MessageTexts = {};
	const issues: TextIssue[] = [];
	for (const field of messageTextFields) {
		const value = fields[field.name];
		if (!hasText(value)) continue;
		const languageTexts = languageTextsOf(texts, field.language);
		if (field.kind === 'text') {
			checkText(value, field.template, field.label, issues);
			languageTexts.templates = { ...languageTexts.templates, [field.template]: { ...languageTexts.templates?.[field.template], [field.part]: value } };
		} else if (field.kind === 'phrase') {
			const problem = phraseProblem(value);
			if (problem) issues.push({ label: field.label, message: problem });
			else languageTexts.actionPhrases = { ...languageTexts.actionPhrases, [field.phrase]: value };
		} else {
			const problem = replyTextProblem(value, field.reply, field.label);
			if (problem) issues.push({ label: field.label, message: problem });
			else languageTexts.replies = { ...languageTexts.replies, [field.reply]: value };
		}
	}
	parseMoreLanguages(fields[moreLanguagesField.name], texts, issues);
	return { texts, issues };
}
