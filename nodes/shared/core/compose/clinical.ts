import { DomainError } from '../errors';

const conditionWords = [
	'hiv',
	'vih',
	'cancers?',
	'canceres',
	'tumou?rs?',
	'tumores',
	'malignan(?:t|cy)',
	'malign[oa]s?',
	'pregnan(?:t|cy)',
	'embarazo',
	'embarazada',
	'hepatitis',
	'chlamydia',
	'clamidia',
	'gonorrh?o?ea',
	'gonorrea',
	'syphilis',
	'sifilis',
	'stds?',
	'stis?',
];

/**
 * Order and test names as EHRs write them ("Mammogram, diagnostic bilateral", "PSA", "HIV-1 viral load"): an SMS
 * names the action by its type ("imaging appointment"), so any of these in an SMS means vendor text slipped in.
 */
const orderNameWords = [
	'mammo(?:gram|graphy)s?',
	'mamografias?',
	'psa',
	'viral load',
	'carga viral',
	'(?:hb)?a1c',
	'pap smears?',
	'papanicolaou',
	'colonoscop(?:y|ies|ia|ias)',
	'mri',
	'ct scans?',
	'tomografias?',
	'ultrasounds?',
	'ultrasonidos?',
	'ecografias?',
	'x-rays?',
	'radiografias?',
	'ekg',
	'ecg',
	'electrocardiogra(?:m|ma)s?',
	'bilateral',
	'lipid panel',
	'cholesterol',
	'colesterol',
	'glucose',
	'glucosa',
	'thyroid',
	'tiroides',
];

function wordsPattern(words: string[]): RegExp {
	return new RegExp(`\\b(?:${words.join('|')})\\b`);
}

/**
 * Markers of clinical content that must not reach an SMS (lock screens, shared phones) or a voicemail.
 *
 * This list is a safety net, not NLP: it catches the obvious slips (a diagnosis word, a result, an ICD-10
 * code, a dosage, an order name) in texts that are meant to carry none. It cannot prove a text is free of clinical
 * content; the real protection is that SMS and voice never carry the EHR's order text, only the action type's label.
 * Words are matched on lower-cased text with accents removed, so English and Spanish forms both hit.
 */
export const clinicalMarkers: ReadonlyArray<{ category: ClinicalMarkerCategory; pattern: RegExp }> = [
	{ category: 'diagnosis', pattern: /\bdiagnos(?:is|es|ed|e|ing)\b/ },
	{ category: 'diagnosis', pattern: /\bdiagnostic(?:o|os|ado|ada)?\b/ },
	{ category: 'result', pattern: /\b(?:lab )?results?\b/ },
	{ category: 'result', pattern: /\bresultados?\b/ },
	{ category: 'procedure', pattern: /\bbiops(?:y|ies|ia|ias)\b/ },
	{ category: 'testOutcome', pattern: /\b(?:positiv|negativ)(?:e|es|o|os|a|as)\b/ },
	{ category: 'testOutcome', pattern: /\b(?:abnormal|anormal(?:es)?)\b/ },
	{ category: 'condition', pattern: wordsPattern(conditionWords) },
	{ category: 'orderName', pattern: wordsPattern(orderNameWords) },
];

/** ICD-10-CM-like codes (letter, two digits, dot, digit); U codes are reserved and not matched. */
const icdCode = /\b[A-TV-Z]\d{2}\.\d/;
/** A number followed by a dose unit: "20mg", "5 ml", "0.5 mcg". */
const dosage = /\b\d+(?:[.,]\d+)?\s?(?:mg|mcg|[µμ]g|ug|ml|iu)\b/i;

export type ClinicalMarkerCategory =
	| 'diagnosis'
	| 'result'
	| 'procedure'
	| 'testOutcome'
	| 'condition'
	| 'orderName'
	| 'icdCode'
	| 'dosage';

function withoutAccents(text: string): string {
	return text.normalize('NFD').replace(/\p{M}/gu, '');
}

/** The category of the first clinical marker found in the text, or undefined. Never returns the matched words. */
export function findClinicalMarker(text: string): ClinicalMarkerCategory | undefined {
	const plain = withoutAccents(text);
	if (icdCode.test(plain)) return 'icdCode';
	if (dosage.test(plain)) return 'dosage';
	const lower = plain.toLowerCase();
	return clinicalMarkers.find(({ pattern }) => pattern.test(lower))?.category;
}

/**
 * The one check every outbound SMS and voice text passes (composed messages, reply answers, TwiML, the Twilio
 * sender): throws DomainError `clinical_text_in_sms` (or `clinical_text_in_voice`) when the text holds a clinical
 * marker. The error names only the marker category, never the words, so it carries no PHI.
 */
export function assertNoClinicalText(text: string, channel: 'sms' | 'voice' = 'sms', field = 'text'): void {
	const category = findClinicalMarker(text);
	if (category === undefined) return;
	throw new DomainError(
		`${channel === 'sms' ? 'SMS' : 'Voice'} text contains clinical wording (${category}); ` +
			'diagnoses, results and clinical details belong behind the link or in the email',
		`clinical_text_in_${channel}`,
		field,
	);
}
