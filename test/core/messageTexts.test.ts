import { composeMessage, type ComposeInput, type MessageVars } from '../../nodes/shared/core/compose/compose';
import { composeReplyAnswer, replyLanguageFor, type ReplyAnswerVars } from '../../nodes/shared/core/compose/replyAnswers';
import { replyTemplates, replyTextIds } from '../../nodes/shared/core/compose/replyTemplates';
import { actionTypeLabels, templates } from '../../nodes/shared/core/compose/templates';
import { messageTextFields, messageTextsFromFields } from '../../nodes/shared/core/compose/textFields';
import { builtInTexts, languagesWithTexts, type MessageTexts } from '../../nodes/shared/core/compose/texts';

const vars: MessageVars = {
	firstName: 'Ana',
	practiceName: 'Hill Clinic',
	practicePhone: '(512) 555-0100',
	actionDescription: 'Mammogram, diagnostic bilateral',
	actionType: 'imaging',
	visitDate: '2025-03-03',
	schedulingLink: 'https://book.example.com/s?order=ord-7',
};

function compose(input: Partial<ComposeInput>) {
	return composeMessage({ template: 'careSummary', channel: 'sms', language: 'en', vars, ...input });
}

/** The credential's fields as the form pre-fills them, with some changed. */
function fields(changes: Record<string, unknown> = {}): Record<string, unknown> {
	return { ...Object.fromEntries(messageTextFields.map((field) => [field.name, field.default])), ...changes };
}

function textsOf(changes: Record<string, unknown>): MessageTexts {
	const { texts, issues } = messageTextsFromFields(fields(changes));
	expect(issues).toEqual([]);
	return texts;
}

const frenchTexts = {
	fr: {
		careSummary: {
			sms: 'Bonjour {{firstName}}, merci de votre visite chez {{practiceName}}. Prochaine étape : {{actionType}}.{{#schedulingLink}} Réservez : {{schedulingLink}}{{/schedulingLink}}',
		},
		actionPhrases: { imaging: 'examen d\'imagerie' },
		optOutLine: 'Répondez STOP pour vous désabonner.',
	},
};

describe('message texts credential: fields', () => {
	it('pre-fills every field with the built-in wording, from templates.ts itself', () => {
		const careSummaryEnSms = messageTextFields.find((field) => field.name === 'careSummary_en_sms');
		expect(careSummaryEnSms?.default).toBe(templates.careSummary.texts.en.sms);
		const voiceEs = messageTextFields.find((field) => field.name === 'voiceReminder_es_voice');
		expect(voiceEs?.default).toBe(templates.voiceReminder.texts.es.voice);
		const subjectEs = messageTextFields.find((field) => field.name === 'actionReminder_es_emailSubject');
		expect(subjectEs?.default).toBe(templates.actionReminder.texts.es.email?.subject);
		const phrase = messageTextFields.find((field) => field.name === 'phrase_es_lab');
		expect(phrase?.default).toBe(actionTypeLabels.es.lab);
		expect(messageTextFields.some((field) => field.name.startsWith('staffNotification'))).toBe(false);
		expect(new Set(messageTextFields.map((field) => field.name)).size).toBe(messageTextFields.length);
	});

	it('with the pre-filled texts, every message is the built-in one', () => {
		const texts = textsOf({});
		for (const language of ['en', 'es']) {
			for (const channel of ['sms', 'email'] as const) {
				const input = { channel, language, firstSms: true };
				expect(compose({ ...input, texts })).toEqual(compose(input));
			}
		}
	});

	it('reports every problem at once, by the label of its field', () => {
		const { issues } = messageTextsFromFields(
			fields({
				careSummary_en_sms: 'Hi {{fristName}}',
				actionReminder_es_emailBody: 'Hola {{#schedulingLink}}agende',
				careSummary_es_sms: 'Hola {{assigneeName}}',
				phrase_en_lab: 'lab {{x}}',
				moreLanguages: JSON.stringify({ es: {}, 'not a code': {}, fr: { careSumary: {}, careSummary: { voice: 'x' } } }),
			}),
		);
		expect(issues.map((issue) => issue.label)).toEqual([
			'Care Summary (Stage 1): SMS (English)',
			'Action Phrase: Lab (English)',
			'Care Summary (Stage 1): SMS (Spanish)',
			'Action Reminder (Stage 2): Email Body (Spanish)',
			'More Languages, "es"',
			'More Languages, "not a code"',
			'More Languages, "fr", careSumary',
			'More Languages, "fr", careSummary, voice',
		]);
		expect(issues[0].message).toContain('unknown placeholder {{fristName}}');
		expect(issues[2].message).toContain('for staff messages only');
		expect(issues[3].message).toContain('is not closed');
	});

	it('refuses More Languages that is not JSON, naming the field', () => {
		expect(messageTextsFromFields(fields({ moreLanguages: '{"fr": ' })).issues).toEqual([
			{ label: 'More Languages', message: expect.stringContaining('not valid JSON') },
		]);
	});

	it('says what shape each part of More Languages must have, one issue per wrong part', () => {
		const moreLanguages = JSON.stringify({
			de: 'Hallo',
			fr: {
				careSummary: 'Bonjour',
				actionReminder: { sms: 42, emailSubject: '' },
				actionPhrases: { lab: 7, xray: 'radio' },
				replies: ['oui'],
				optOutLine: false,
			},
			it: { actionPhrases: 'analisi' },
		});
		const { issues } = messageTextsFromFields(fields({ moreLanguages }));
		expect(issues.map((issue) => [issue.label, issue.message.split(/[;(]/)[0].trim()])).toEqual([
			['More Languages, "de"', 'must be an object keyed by message'],
			['More Languages, "fr", careSummary', 'must be an object such as {"sms": "…", "emailSubject": "…", "emailBody": "…"}'],
			['More Languages, "fr", actionReminder, sms', 'must be a text'],
			['More Languages, "fr", actionPhrases, lab', 'must be a text'],
			['More Languages, "fr", actionPhrases, xray', 'is not an action type'],
			['More Languages, "fr", replies', expect.stringContaining('must be an object keyed by')],
			['More Languages, "fr", optOutLine', 'must be a text'],
			['More Languages, "it", actionPhrases', expect.stringContaining('must be an object keyed by')],
		]);
		expect(messageTextsFromFields(fields({ moreLanguages: '["fr"]' })).issues).toEqual([
			{ label: 'More Languages', message: expect.stringContaining('must be an object keyed by language code') },
		]);
	});

	it('an emptied field keeps the built-in text', () => {
		const texts = textsOf({ careSummary_en_sms: '' });
		expect(compose({ texts }).text).toBe(compose({}).text);
	});
});

describe('composeMessage with the practice texts', () => {
	it('uses the credential SMS and leaves the email as it was', () => {
		const texts = textsOf({ careSummary_en_sms: 'Hi {{firstName}}, see you at {{practiceName}}.' });
		expect(compose({ texts }).text).toBe('Hi Ana, see you at Hill Clinic.');
		expect(compose({ texts, channel: 'email' })).toEqual(compose({ channel: 'email' }));
	});

	it('a node override wins over the credential, which wins over the built-in text', () => {
		const texts = textsOf({ careSummary_en_sms: 'Credential {{firstName}}.', careSummary_es_sms: 'Credencial {{firstName}}.' });
		const overrides = { en: { text: 'Node {{firstName}}.' } };
		expect(compose({ texts, overrides }).text).toBe('Node Ana.');
		expect(compose({ texts, overrides, language: 'es-MX' }).text).toBe('Credencial Ana.');
		expect(compose({ texts }).text).toBe('Credential Ana.');
	});

	it('a third language is texts only: More Languages, with its phrases and opt-out line', () => {
		const texts = textsOf({ moreLanguages: JSON.stringify(frenchTexts) });
		expect(languagesWithTexts(texts)).toEqual(['en', 'es', 'fr']);
		const sms = compose({ texts, language: 'fr-CA', firstSms: true });
		expect(sms.languageUsed).toBe('fr');
		expect(sms.text).toBe(
			'Bonjour Ana, merci de votre visite chez Hill Clinic. Prochaine étape : examen d\'imagerie. ' +
				'Réservez : https://book.example.com/s?order=ord-7\nRépondez STOP pour vous désabonner.',
		);
	});

	it('falls back along the language chain where a language has no text for a channel', () => {
		const texts = textsOf({ moreLanguages: JSON.stringify(frenchTexts) });
		// No French email: the whole email is English, never half French.
		const email = compose({ texts, language: 'fr', channel: 'email' });
		expect(email.languageUsed).toBe('en');
		expect(email).toEqual(compose({ channel: 'email' }));
		// A language nobody wrote texts for gets English.
		expect(compose({ texts, language: 'pt-BR' }).languageUsed).toBe('en');
		// A French text for a template with no phrase of its own takes the next language's phrase.
		const withoutPhrase = textsOf({ moreLanguages: JSON.stringify({ fr: { careSummary: frenchTexts.fr.careSummary } }) });
		expect(compose({ texts: withoutPhrase, language: 'fr' }).text).toContain(`Prochaine étape : ${actionTypeLabels.en.imaging}.`);
	});

	it('SMS and voice name the action by the practice phrase, never by the order text', () => {
		const texts = textsOf({ phrase_es_imaging: 'su estudio de imagen', phrase_en_imaging: 'your imaging visit' });
		for (const [language, phrase] of [['en', 'your imaging visit'], ['es', 'su estudio de imagen']]) {
			const sms = compose({ texts, language, template: 'actionReminder' });
			expect(sms.text).toContain(phrase);
			expect(sms.text).not.toContain('Mammogram');
		}
		const staffEmail = composeMessage({
			template: 'staffNotification',
			channel: 'email',
			language: 'en',
			vars: { ...vars, taskLink: 'https://ehr.example.com/t/1', assigneeName: 'Maria' },
			texts,
		});
		expect(staffEmail.text).toContain('(your imaging visit)');
	});

	it('the built-in layer has every phrase in every built-in language, "other" included', () => {
		expect(builtInTexts.en.actionPhrases?.other).toBe(actionTypeLabels.en.other);
		expect(compose({ vars: { ...vars, actionType: 'other' }, template: 'actionReminder' }).text).toContain(actionTypeLabels.en.other);
	});
});

describe('answers to text replies from the practice texts', () => {
	const replyVars: ReplyAnswerVars = {
		practiceName: 'Hill Clinic',
		practicePhone: '(512) 555-0100',
		schedulingLink: 'https://book.example.com/s?order=ord-7',
		actionType: 'lab',
	};
	const frenchReplies = {
		fr: {
			replies: {
				help: '{{practiceName}} : messages sur vos soins. Questions : appelez le {{practicePhone}}. Répondez STOP pour arrêter.',
				bookLink: '{{practiceName}} : réservez votre {{actionType}} : {{schedulingLink}}',
			},
			actionPhrases: { lab: 'analyse' },
		},
	};

	it('pre-fills a field per answer and built-in language from the built-in answers, which the pre-filled texts keep', () => {
		for (const language of ['en', 'es'] as const) {
			for (const id of replyTextIds) {
				expect(messageTextFields.find((field) => field.name === `reply_${language}_${id}`)?.default).toBe(replyTemplates[language][id]);
				expect(composeReplyAnswer(id, language, replyVars, textsOf({}))).toEqual(composeReplyAnswer(id, language, replyVars));
			}
		}
		expect(composeReplyAnswer('bookLink', 'es-MX', replyVars)).toEqual({
			text: 'Hill Clinic: agende su examen de laboratorio: https://book.example.com/s?order=ord-7 O llame al (512) 555-0100.',
			languageUsed: 'es',
		});
	});

	it('a changed field is the answer, with the practice phrase for the action', () => {
		const texts = textsOf({ reply_en_bookLink: 'Book your {{actionType}} at {{schedulingLink}} ({{practiceName}})', phrase_en_lab: 'blood draw' });
		expect(composeReplyAnswer('bookLink', 'en-US', replyVars, texts).text).toBe(
			'Book your blood draw at https://book.example.com/s?order=ord-7 (Hill Clinic)',
		);
		expect(composeReplyAnswer('help', 'en', replyVars, texts).text).toBe(composeReplyAnswer('help', 'en', replyVars).text);
	});

	it('a third language is More Languages only; a missing answer falls back along fr-CA → fr → en', () => {
		const texts = textsOf({ moreLanguages: JSON.stringify(frenchReplies) });
		expect(replyLanguageFor(['fr-CA', 'es'], texts)).toBe('fr');
		expect(composeReplyAnswer('help', 'fr-ca', replyVars, texts)).toEqual({
			// Smart-encoded like every SMS: é is GSM-7 and stays, ê is not and becomes e (one segment, not two).
			text: 'Hill Clinic : messages sur vos soins. Questions : appelez le (512) 555-0100. Répondez STOP pour arreter.',
			languageUsed: 'fr',
		});
		expect(composeReplyAnswer('bookLink', 'fr', replyVars, texts).text).toBe('Hill Clinic : réservez votre analyse : https://book.example.com/s?order=ord-7');
		expect(composeReplyAnswer('optOut', 'fr', replyVars, texts)).toEqual(composeReplyAnswer('optOut', 'en', replyVars));
	});

	it('the answer language is the first candidate with answers on its own chain, as without the credential', () => {
		expect(replyLanguageFor(['fr-CA', 'es', 'en'])).toBe('es');
		expect(replyLanguageFor(['en-US', 'es'])).toBe('en');
		expect(replyLanguageFor([undefined, undefined, 'es-MX'])).toBe('es');
		expect(replyLanguageFor(['pt'])).toBe('en');
	});

	it('smart-encodes the answer and keeps the clinical-text guard on what it renders', () => {
		const curly = textsOf({ reply_en_help: '{{practiceName}} – it’s us. Call {{practicePhone}}.' });
		expect(composeReplyAnswer('help', 'en', replyVars, curly).text).toBe("Hill Clinic - it's us. Call (512) 555-0100.");
		const clinicalPhrase = textsOf({ phrase_en_lab: 'HIV test' });
		expect(() => composeReplyAnswer('bookLink', 'en', replyVars, clinicalPhrase)).toThrow(expect.objectContaining({ code: 'clinical_text_in_sms' }));
	});

	it('reports every problem with an answer by the label of its field', () => {
		const { issues } = messageTextsFromFields(
			fields({
				reply_en_help: 'Hi {{firstName}}, call {{practicePhone}}',
				reply_en_bookLink: 'Call us at {{practicePhone}}',
				reply_es_staff: 'Sus resultados de laboratorio: llame al {{practicePhone}}',
				reply_es_optIn: 'Hola {{taskLink}}',
				moreLanguages: JSON.stringify({ fr: { replies: { hlep: 'x', help: 42, bookCall: '{{schedulingLink}}' } } }),
			}),
		);
		expect(issues.map((issue) => issue.label)).toEqual([
			'Reply Answer: HELP (English)',
			'Reply Answer: YES With Scheduling Link (English)',
			'Reply Answer: START Confirmation (Spanish)',
			'Reply Answer: Other Text (Staff Will Answer) (Spanish)',
			'More Languages, "fr", replies, hlep',
			'More Languages, "fr", replies, help',
			'More Languages, "fr", replies, bookCall',
		]);
		expect(issues.map((issue) => issue.message)).toEqual([
			expect.stringContaining('uses {{firstName}}, which an answer cannot fill'),
			'must contain {{schedulingLink}}',
			expect.stringContaining('for staff messages only'),
			expect.stringContaining('clinical wording'),
			expect.stringContaining('is not an answer'),
			'must be a text',
			expect.stringContaining('uses {{schedulingLink}}'),
		]);
	});
});
