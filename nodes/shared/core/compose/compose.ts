import { DateTime } from 'luxon';

import { DomainError } from '../errors';
import { type Channel } from '../schemas';
import { assertNoClinicalText } from './clinical';
import { smartEncode, smsSegments, type SmsSegmentInfo } from './segments';
import {
	actionPhraseKeys,
	actionTypeLabels,
	optOutLines,
	staffOnlyVariables,
	templateIds,
	templateLanguages,
	templates,
	variableNames,
	type ActionPhraseKey,
	type Audience,
	type TemplateId,
	type VariableName,
} from './templates';
import {
	builtInTexts,
	normalizeLanguageCode,
	optOutLineInLayers,
	partsForChannel,
	phraseInLayers,
	textInLayers,
	type MessageTexts,
	type TextPart,
} from './texts';

export type MessageVars = Partial<Record<VariableName, string>>;

export interface TemplateOverride {
	text?: string;
	/** Email only. */
	subject?: string;
}

export interface ComposeInput {
	template: TemplateId;
	channel: Channel;
	/** BCP-47 tag of the recipient, e.g. "es-MX"; falls back along es-MX → es → en. */
	language: string;
	vars: MessageVars;
	/** This node's own texts per language code; they win over the practice's texts and the built-in ones. */
	overrides?: Partial<Record<string, TemplateOverride>>;
	/** The practice's texts (the "Post-Visit Message Texts" credential): any language code, over the built-in. */
	texts?: MessageTexts;
	/** The first SMS of a journey: append the opt-out instruction. */
	firstSms?: boolean;
	/**
	 * A patient email may carry the EHR's order text as `{{actionDescription}}` (it may hold clinical detail, so off
	 * by default: the action type's label stands in). SMS and voice never carry it, whatever this says.
	 */
	orderTextInEmail?: boolean;
	/** SMS: replace characters outside GSM-7 by their closest GSM-7 equivalent (default true). */
	smartEncoding?: boolean;
}

export interface ComposedMessage {
	template: TemplateId;
	/** The language code whose texts were used: a built-in one or one the practice added. */
	languageUsed: string;
	subject?: string;
	text: string;
	html?: string;
	sms?: SmsSegmentInfo;
}

/** The tags tried for a language, most specific first, always ending in "en": "es-MX" → es-mx, es, en. */
export function languageFallbackChain(language: string): string[] {
	const parts = (language ?? '').trim().toLowerCase().replace(/_/g, '-').split('-').filter(Boolean);
	const chain = parts.map((_, index) => parts.slice(0, parts.length - index).join('-'));
	return [...new Set([...chain, 'en'])];
}

/** The first language with texts on the fallback chain of a tag; never fails (unknown → en). */
export function resolveLanguage(language: string, available: readonly string[] = templateLanguages): string {
	return languageFallbackChain(language).find((tag) => available.includes(tag)) ?? 'en';
}

type Token =
	| { kind: 'text'; value: string }
	| { kind: 'var' | 'open' | 'close'; name: VariableName };

const placeholder = /\{\{\s*([#/]?)\s*([^{}]*?)\s*\}\}/g;

/** Templates already split, by audience, field and text: the built-in ones and a practice's overrides. */
const tokenized = new Map<string, readonly Token[]>();
const maxTokenizedTemplates = 512;

/** Splits a template into text and placeholders (once per text), rejecting names unknown or not allowed here. */
function tokenize(template: string, audience: Audience, field: string): readonly Token[] {
	const key = `${audience}\u0000${field}\u0000${template}`;
	let tokens = tokenized.get(key);
	if (!tokens) {
		tokens = splitTemplate(template, audience, field);
		if (tokenized.size >= maxTokenizedTemplates) tokenized.clear();
		tokenized.set(key, tokens);
	}
	return tokens;
}

function splitTemplate(template: string, audience: Audience, field: string): readonly Token[] {
	const tokens: Token[] = [];
	let last = 0;
	for (const match of template.matchAll(placeholder)) {
		const [whole, sigil, name] = match;
		if (match.index > last) tokens.push({ kind: 'text', value: template.slice(last, match.index) });
		last = match.index + whole.length;
		if (!(variableNames as readonly string[]).includes(name)) {
			throw new DomainError(`${field}: unknown placeholder {{${name}}}`, 'unknown_placeholder', field);
		}
		const variable = name as VariableName;
		if (audience === 'patient' && staffOnlyVariables.includes(variable)) {
			throw new DomainError(
				`${field}: placeholder {{${name}}} is for staff messages only`,
				'placeholder_not_allowed',
				field,
			);
		}
		tokens.push({ kind: sigil === '#' ? 'open' : sigil === '/' ? 'close' : 'var', name: variable });
	}
	if (last < template.length) tokens.push({ kind: 'text', value: template.slice(last) });
	let open: VariableName | undefined;
	for (const token of tokens) {
		if (token.kind === 'open') {
			if (open) throw new DomainError(`${field}: sections may not be nested`, 'invalid_template', field);
			open = token.name;
		} else if (token.kind === 'close') {
			if (open !== token.name) {
				const message = `${field}: {{/${token.name}}} closes no open section`;
				throw new DomainError(message, 'invalid_template', field);
			}
			open = undefined;
		}
	}
	if (open) throw new DomainError(`${field}: section {{#${open}}} is not closed`, 'invalid_template', field);
	return tokens;
}

function formatVisitDate(value: string, language: string): string {
	const date = /^\d{4}-\d{2}-\d{2}$/.test(value) ? DateTime.fromISO(value, { zone: 'utc' }) : undefined;
	if (!date?.isValid) {
		throw new DomainError('vars.visitDate must be a date YYYY-MM-DD', 'invalid_variable', 'vars.visitDate');
	}
	return date.setLocale(language).toLocaleString({ month: 'long', day: 'numeric' });
}

/**
 * Variables with a value, formatted for the language; an empty string counts as absent. Without `orderText`,
 * `actionDescription` is the action type's label: the EHR's free text (order names, instructions) stays out.
 */
function formatVars(
	vars: MessageVars,
	language: string,
	orderText: boolean,
	phraseFor: (type: ActionPhraseKey) => string,
): Map<VariableName, string> {
	const formatted = new Map<VariableName, string>();
	for (const name of variableNames) {
		const raw = vars[name];
		if (typeof raw !== 'string' || raw.trim() === '') continue;
		const value = raw.trim();
		if (name === 'visitDate') formatted.set(name, formatVisitDate(value, language));
		else if (name === 'actionType') {
			if (!(actionPhraseKeys as readonly string[]).includes(value)) {
				throw new DomainError(
					`vars.actionType must be one of ${actionPhraseKeys.join(', ')}`,
					'invalid_variable',
					'vars.actionType',
				);
			}
			formatted.set(name, phraseFor(value as ActionPhraseKey));
		} else if (name === 'actionDescription') {
			// Templates supply the sentence's own punctuation.
			if (orderText) formatted.set(name, value.replace(/\s+/g, ' ').replace(/[\s.!;:]+$/, ''));
		} else formatted.set(name, value);
	}
	const label = formatted.get('actionType');
	if (!orderText && label !== undefined) formatted.set('actionDescription', label);
	return formatted;
}

function render(tokens: readonly Token[], values: Map<VariableName, string>): string {
	let output = '';
	let skipping = false;
	for (const token of tokens) {
		if (token.kind === 'open') skipping = !values.has(token.name);
		else if (token.kind === 'close') skipping = false;
		else if (skipping) continue;
		else if (token.kind === 'text') output += token.value;
		else {
			const value = values.get(token.name);
			if (value === undefined) {
				const field = `vars.${token.name}`;
				throw new DomainError(`${field} is required by this template`, 'missing_variable', field);
			}
			output += value;
		}
	}
	return output;
}

/** Tidies what optional sections leave behind: doubled spaces, trailing blanks, runs of blank lines. */
function tidy(text: string): string {
	return text
		.replace(/[ \t]{2,}/g, ' ')
		.replace(/[ \t]+\n/g, '\n')
		.replace(/\n{3,}/g, '\n\n')
		.trim();
}

function escapeHtml(text: string): string {
	return text
		.replace(/&/g, '&amp;')
		.replace(/</g, '&lt;')
		.replace(/>/g, '&gt;')
		.replace(/"/g, '&quot;')
		.replace(/'/g, '&#39;');
}

/** Paragraphs and line breaks of a plain text as HTML: every character escaped, links made clickable. */
export function textToHtml(text: string): string {
	return text
		.split(/\n{2,}/)
		.map((paragraph) => {
			const linked = escapeHtml(paragraph).replace(/https?:\/\/[^\s]+/g, (url) => {
				const trailing = /[.,;:!?)]+$/.exec(url)?.[0] ?? '';
				const href = url.slice(0, url.length - trailing.length);
				return `<a href="${href}">${href}</a>${trailing}`;
			});
			return `<p>${linked.replace(/\n/g, '<br>')}</p>`;
		})
		.join('\n');
}

function hasOptOutInstruction(text: string, language: string, optOutLine: string): boolean {
	return text.includes(optOutLine) || (language.startsWith('es') ? /\bALTO\b/ : /\bSTOP\b/).test(text);
}

/** A node's overrides of one template as a layer of texts: its "Text" serves SMS, voice and the email body. */
function overridesAsTexts(template: TemplateId, overrides: ComposeInput['overrides']): MessageTexts {
	const texts: MessageTexts = {};
	for (const [language, override] of Object.entries(overrides ?? {})) {
		const { text, subject } = override ?? {};
		texts[normalizeLanguageCode(language)] = {
			templates: { [template]: { sms: text, voice: text, emailBody: text, emailSubject: subject } },
		};
	}
	return texts;
}

/** Why a practice's text cannot be used for a template's audience (unknown placeholder, open section), or undefined. */
export function templateTextProblem(text: string, audience: Audience, field: string): string | undefined {
	try {
		tokenize(text, audience, field);
		return undefined;
	} catch (error) {
		if (error instanceof DomainError) return error.message;
		throw error;
	}
}

/**
 * Renders one patient text that is not a message template (an answer to a text reply) with the same placeholders,
 * sections and checks; the order text never appears (`{{actionType}}` is the phrase).
 */
export function renderPatientText(
	source: string,
	field: string,
	vars: MessageVars,
	language: string,
	phraseFor: (type: ActionPhraseKey) => string,
): string {
	return tidy(render(tokenize(source, 'patient', field), formatVars(vars, language, false, phraseFor)));
}

/**
 * Renders a message for one channel and language.
 * Invariants: every placeholder is known and allowed for the template's audience (also in overrides for other
 * languages, so a configuration error shows whatever the patient's language); a placeholder outside an optional
 * section must have a value; SMS and voice never carry the EHR's order text (`{{actionDescription}}` renders the
 * action type's label there) and pass the clinical-text guard; email HTML escapes every value.
 */
export function composeMessage(input: ComposeInput): ComposedMessage {
	const { template, channel } = input;
	if (!(templateIds as readonly string[]).includes(template)) {
		throw new DomainError(`template must be one of ${templateIds.join(', ')}`, 'unknown_template', 'template');
	}
	const definition = templates[template];
	const parts = partsForChannel(channel);
	if (parts.some((part) => textInLayers([builtInTexts], 'en', template, part) === undefined)) {
		throw new DomainError(
			`template ${template} cannot be sent by ${channel}`,
			'unsupported_channel',
			'channel',
		);
	}

	const overrideTokens = new Map<string, readonly Token[]>();
	for (const [language, override] of Object.entries(input.overrides ?? {})) {
		for (const part of ['text', 'subject'] as const) {
			const source = override?.[part];
			if (typeof source !== 'string') continue;
			const field = `overrides.${language}.${part}`;
			overrideTokens.set(field, tokenize(source, definition.audience, field));
		}
	}
	// Per language: this node's text, then the practice's, then the built-in. The language is the first on the
	// patient's fallback chain with every part of this channel's message, so one message never mixes languages.
	const layers = [overridesAsTexts(template, input.overrides), input.texts ?? {}, builtInTexts];
	const languageUsed =
		languageFallbackChain(input.language).find((language) =>
			parts.every((part) => textInLayers(layers, language, template, part) !== undefined),
		) ?? 'en';
	const tokensFor = (part: TextPart): readonly Token[] =>
		tokenize(textInLayers(layers, languageUsed, template, part)!, definition.audience, `texts.${languageUsed}.${template}.${part}`);
	const practiceLayers = [input.texts ?? {}, builtInTexts];
	const chain = languageFallbackChain(languageUsed);
	const phraseFor = (type: ActionPhraseKey): string => phraseInLayers(practiceLayers, chain, type) ?? actionTypeLabels.en[type];

	// Staff emails keep the order text (the coordinator acts on it); a patient email only when the practice chose so.
	const orderText = channel === 'email' && (definition.audience === 'staff' || input.orderTextInEmail === true);
	const values = formatVars(input.vars ?? {}, languageUsed, orderText, phraseFor);
	if (channel === 'email') {
		const text = tidy(render(tokensFor('emailBody'), values));
		const subject = tidy(render(tokensFor('emailSubject'), values)).replace(/\s+/g, ' ');
		return { template, languageUsed, subject, text, html: textToHtml(text) };
	}
	if (channel === 'voice') {
		const text = tidy(render(tokensFor('voice'), values));
		assertNoClinicalText(text, 'voice');
		return { template, languageUsed, text };
	}
	let text = tidy(render(tokensFor('sms'), values));
	const optOutLine = optOutLineInLayers(practiceLayers, chain) ?? optOutLines.en;
	if (input.firstSms && !hasOptOutInstruction(text, languageUsed, optOutLine)) text += `\n${optOutLine}`;
	if (input.smartEncoding !== false) text = smartEncode(text);
	assertNoClinicalText(text, 'sms');
	return { template, languageUsed, text, sms: smsSegments(text) };
}
