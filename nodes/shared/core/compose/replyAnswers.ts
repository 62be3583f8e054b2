import { assertNoClinicalText, findClinicalMarker } from './clinical';
import { languageFallbackChain, renderPatientText, templateTextProblem } from './compose';
import { replyVariables, requiredReplyVariables, type ReplyTextId } from './replyTemplates';
import { smartEncode } from './segments';
import { actionTypeLabels, type ActionPhraseKey } from './templates';
import { builtInTexts, hasText, normalizeLanguageCode, phraseInLayers, type MessageTexts } from './texts';

/**
 * The answers to patients' text replies, from the practice's texts (the "Post-Visit Message Texts" credential)
 * over the built-in ones, along the same language chain as the messages (fr-CA → fr → en).
 */

export interface ReplyAnswerVars {
	practiceName: string;
	practicePhone: string;
	schedulingLink?: string;
	/** The open action's type, named by the practice's phrase; never the EHR's order text. */
	actionType?: ActionPhraseKey;
}

export interface ReplyAnswer {
	text: string;
	/** The language code whose text was used. */
	languageUsed: string;
}

function layersOf(texts: MessageTexts | undefined): MessageTexts[] {
	return [texts ?? {}, builtInTexts];
}

function hasAnswers(layers: readonly MessageTexts[], language: string): boolean {
	return layers.some((layer) => Object.values(layer[language]?.replies ?? {}).some(hasText));
}

/**
 * The language answers go out in: the first candidate (the language of the journey's last SMS, the keyword's
 * language, the practice's default) with answers somewhere on its own chain ("fr-CA" → fr-ca, fr); English when
 * none has. A candidate never falls back to English on its own, so a French journey without French answers
 * still lets ALTO pick Spanish, as without the credential.
 */
export function replyLanguageFor(candidates: ReadonlyArray<string | undefined>, texts?: MessageTexts): string {
	const layers = layersOf(texts);
	for (const candidate of candidates) {
		if (!hasText(candidate)) continue;
		const english = normalizeLanguageCode(candidate).split('-')[0] === 'en';
		const chain = languageFallbackChain(candidate).filter((language) => english || language !== 'en');
		const found = chain.find((language) => hasAnswers(layers, language));
		if (found) return found;
	}
	return 'en';
}

/**
 * One answer in a language: the first text for it along the language chain, each language through the practice's
 * texts first. Smart-encoded (an answer is an SMS) and checked by the clinical-text guard like every outbound SMS.
 */
export function composeReplyAnswer(id: ReplyTextId, language: string, vars: ReplyAnswerVars, texts?: MessageTexts): ReplyAnswer {
	const layers = layersOf(texts);
	let languageUsed = 'en';
	let source = builtInTexts.en.replies![id]!;
	search: for (const candidate of languageFallbackChain(language)) {
		for (const layer of layers) {
			const text = layer[candidate]?.replies?.[id];
			if (hasText(text)) {
				languageUsed = candidate;
				source = text;
				break search;
			}
		}
	}
	const chain = languageFallbackChain(languageUsed);
	const phraseFor = (type: ActionPhraseKey): string => phraseInLayers(layers, chain, type) ?? actionTypeLabels.en[type];
	const rendered = renderPatientText(source, `texts.${languageUsed}.replies.${id}`, vars, languageUsed, phraseFor);
	const text = smartEncode(rendered);
	assertNoClinicalText(text, 'sms', 'reply');
	return { text, languageUsed };
}

const placeholderName = /\{\{\s*[#/]?\s*([^{}]*?)\s*\}\}/g;

/** Why a practice's answer text cannot be used (placeholders it cannot fill, a missing link, clinical words), or undefined. */
export function replyTextProblem(text: string, id: ReplyTextId, field: string): string | undefined {
	const templateProblem = templateTextProblem(text, 'patient', field);
	if (templateProblem) return templateProblem;
	const allowed = replyVariables[id];
	const names = [...text.matchAll(placeholderName)].map((match) => match[1]);
	const unfillable = names.find((name) => !(allowed as readonly string[]).includes(name));
	if (unfillable) return `uses {{${unfillable}}}, which an answer cannot fill; use ${allowed.map((name) => `{{${name}}}`).join(', ')}`;
	const required = requiredReplyVariables[id];
	if (required && !names.includes(required)) return `must contain {{${required}}}`;
	const clinical = findClinicalMarker(text);
	if (clinical) return `contains clinical wording (${clinical}), which an SMS may not carry`;
	return undefined;
}
