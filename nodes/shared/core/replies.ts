/**
 * Classification of inbound SMS replies: opt-out (STOP and its variants, English and Spanish), opt-in, help,
 * a wish to book, or anything else (which goes to staff).
 *
 * Matching runs on a normalised text: compatibility-decomposed (full-width letters become ASCII), accents and
 * emoji removed, punctuation turned into spaces, upper-cased. So "¡Alto!", "ＳＴＯＰ", "stop 🛑" and "No más."
 * all match.
 *
 * A keyword counts when the message starts with it (after an optional greeting or "please"), and then:
 * - `lead` keywords: at most three more words ("Stop. Thank you", "Stop texting me"), or any number of courtesy
 *   words and words naming the messages themselves ("Stop all these text messages please");
 * - `exact` keywords, which also open ordinary sentences (CANCEL, CANCELAR, START and the other opt-ins, Y): only
 *   those courtesy and message words ("Cancel", "Cancel all texts please", but not "Cancel my appointment",
 *   which is 'other' and reaches a person). Opt-in is strict on purpose: a false opt-in would text someone
 *   who revoked consent.
 * Opt-out wins over everything: a short message (≤ 4 words) holding STOP, STOPALL, UNSUBSCRIBE or OPTOUT
 * anywhere ("Yes stop", "I said STOP") is an opt-out too, because missing a revocation costs far more than
 * pausing messages to someone who did not mean it.
 */

export type ReplyKind = 'optOut' | 'optIn' | 'help' | 'book' | 'other';

export interface ReplyClassification {
	kind: ReplyKind;
	/** The canonical keyword that decided it, e.g. "STOP", "NO MAS", "SI". */
	keyword?: string;
}

type MatchMode = 'lead' | 'exact';

interface KeywordRule {
	kind: Exclude<ReplyKind, 'other'>;
	keyword: string;
	mode: MatchMode;
	language: 'en' | 'es';
}

function rules(kind: KeywordRule['kind'], mode: MatchMode, keywords: string[], language: KeywordRule['language'] = 'en'): KeywordRule[] {
	return keywords.map((keyword) => ({ kind, keyword, mode, language }));
}

/** Checked in this order: opt-out first. */
const keywordRules: KeywordRule[] = [
	...rules('optOut', 'lead', ['STOP', 'STOPALL', 'UNSUBSCRIBE', 'END', 'QUIT', 'REVOKE', 'OPTOUT', 'OPT OUT']),
	...rules('optOut', 'lead', ['ALTO', 'PARAR', 'PARE', 'DETENER', 'NO MAS', 'BAJA', 'DAR DE BAJA'], 'es'),
	...rules('optOut', 'exact', ['CANCEL']),
	...rules('optOut', 'exact', ['CANCELAR'], 'es'),
	...rules('optIn', 'exact', ['START', 'UNSTOP', 'SUBSCRIBE', 'RESUME']),
	...rules('optIn', 'exact', ['COMENZAR', 'REANUDAR'], 'es'),
	...rules('help', 'lead', ['HELP', 'INFO']),
	...rules('help', 'lead', ['AYUDA'], 'es'),
	...rules('book', 'lead', ['YES', 'BOOK', 'SCHEDULE']),
	...rules('book', 'lead', ['SI', 'AGENDAR', 'CITA'], 'es'),
	...rules('book', 'exact', ['Y']),
];

/** Spanish for a canonical keyword that only Spanish speakers send (ALTO, AYUDA, SI…); undefined otherwise. */
export function keywordLanguage(keyword: string): 'es' | undefined {
	return keywordRules.some((rule) => rule.keyword === keyword && rule.language === 'es') ? 'es' : undefined;
}

const leadingCourtesy = new Set(['PLEASE', 'PLS', 'PLZ', 'POR', 'FAVOR', 'OK', 'OKAY', 'HI', 'HELLO', 'HOLA']);

const courtesyWords = new Set([
	'PLEASE',
	'PLS',
	'PLZ',
	'THANKS',
	'THANK',
	'YOU',
	'THX',
	'TY',
	'OK',
	'OKAY',
	'GRACIAS',
	'MUCHAS',
	'POR',
	'FAVOR',
	'NOW',
	'YA',
]);

/** Words that name the messages themselves, so "Cancel all texts" is about messages, not an appointment. */
const messageWords = new Set([
	'ALL',
	'THE',
	'THESE',
	'MY',
	'TEXT',
	'TEXTS',
	'MESSAGE',
	'MESSAGES',
	'SMS',
	'REMINDERS',
	'NOTIFICATIONS',
	'AGAIN',
	'LOS',
	'TODOS',
	'ESTOS',
	'MENSAJE',
	'MENSAJES',
	'TEXTOS',
	'RECORDATORIOS',
	'DE',
	'NUEVO',
]);

const anywhereOptOut = new Set(['STOP', 'STOPALL', 'UNSUBSCRIBE', 'OPTOUT']);

/** Upper-case words of a reply with accents, emoji and punctuation removed. */
export function replyWords(text: string): string[] {
	return (text ?? '')
		.normalize('NFKD')
		.replace(/[\p{M}\p{Cf}]/gu, '')
		.toUpperCase()
		.split(/[^\p{L}\p{N}]+/u)
		.filter(Boolean);
}

function startsWith(words: string[], phrase: string[]): boolean {
	return phrase.every((word, index) => words[index] === word);
}

function matches(rule: KeywordRule, words: string[]): boolean {
	const phrase = rule.keyword.split(' ');
	if (!startsWith(words, phrase)) return false;
	const rest = words.slice(phrase.length);
	if (rest.every((word) => courtesyWords.has(word) || messageWords.has(word))) return true;
	return rule.mode === 'lead' && rest.length <= 3;
}

/**
 * Classifies an inbound reply. Total: any string (also empty, emoji-only or non-Latin) yields a result;
 * anything not clearly a keyword is 'other' so a person reads it.
 */
export function classifyReply(text: string): ReplyClassification {
	const all = replyWords(text);
	let start = 0;
	while (start < all.length - 1 && leadingCourtesy.has(all[start])) start += 1;
	const words = all.slice(start);
	const optOut = keywordRules.find((rule) => rule.kind === 'optOut' && matches(rule, words));
	if (optOut) return { kind: 'optOut', keyword: optOut.keyword };
	const buried = all.length <= 4 ? all.find((word) => anywhereOptOut.has(word)) : undefined;
	if (buried) return { kind: 'optOut', keyword: buried };
	const rule = keywordRules.find((candidate) => matches(candidate, words));
	return rule ? { kind: rule.kind, keyword: rule.keyword } : { kind: 'other' };
}
