import {
	assertNoClinicalText,
	findClinicalMarker,
	type ClinicalMarkerCategory,
} from '../../nodes/shared/core/compose/clinical';
import {
	composeMessage,
	languageFallbackChain,
	resolveLanguage,
	textToHtml,
	type ComposeInput,
	type MessageVars,
} from '../../nodes/shared/core/compose/compose';
import { schedulingLinkFor } from '../../nodes/shared/core/compose/links';
import { templateIds, templateLanguages, templates, type TemplateId } from '../../nodes/shared/core/compose/templates';
import { DomainError } from '../../nodes/shared/core/errors';
import type { Channel } from '../../nodes/shared/core/schemas';

const link = 'https://book.example.com/s?order=ord-7';
const vars: MessageVars = {
	firstName: 'Ana',
	practiceName: 'Hill Clinic',
	practicePhone: '(512) 555-0100',
	actionDescription: 'Book your 2-week follow-up visit.',
	actionType: 'followUpVisit',
	visitDate: '2025-03-03',
	schedulingLink: link,
};
const staffVars: MessageVars = {
	...vars,
	assigneeName: 'Maria',
	taskLink: 'https://ehr.example.com/tasks/91',
	actionType: 'lab',
};

function compose(overrides: Partial<ComposeInput>) {
	return composeMessage({ template: 'careSummary', channel: 'sms', language: 'en', vars, ...overrides });
}

function domainError(fn: () => unknown): DomainError {
	try {
		fn();
	} catch (error) {
		expect(error).toBeInstanceOf(DomainError);
		return error as DomainError;
	}
	throw new Error('expected a DomainError');
}

describe('composeMessage: built-in texts', () => {
	it.each<[string, Partial<ComposeInput>, string]>([
		[
			'care summary SMS, English',
			{},
			'Hi Ana, thank you for visiting Hill Clinic on March 3. Next step: your follow-up visit. ' +
				`Book here: ${link} Questions? Call (512) 555-0100.`,
		],
		[
			'care summary SMS, Spanish (es-MX falls back to es)',
			{ language: 'es-MX', vars: { ...vars, actionDescription: 'Agende su cita de seguimiento' } },
			'Hola Ana, gracias por su visita a Hill Clinic el 3 de marzo. Siguiente paso: su cita de seguimiento. ' +
				`Agende su cita: ${link} ¿Preguntas? Llame al (512) 555-0100.`,
		],
		[
			'care summary SMS without an action or a link drops those sections',
			{ vars: { ...vars, actionDescription: undefined, actionType: undefined, schedulingLink: '  ' } },
			'Hi Ana, thank you for visiting Hill Clinic on March 3. Questions? Call (512) 555-0100.',
		],
		[
			'follow-up already booked at checkout',
			{ template: 'followUpConfirmation' },
			'Hi Ana, thank you for visiting Hill Clinic on March 3. Your follow-up visit is already booked. ' +
				'To change it, call (512) 555-0100.',
		],
		[
			'follow-up already booked, Spanish',
			{ template: 'followUpConfirmation', language: 'es' },
			'Hola Ana, gracias por su visita a Hill Clinic el 3 de marzo. Ya tiene agendada su cita de seguimiento. ' +
				'Para cambiarla, llame al (512) 555-0100.',
		],
		[
			'action reminder names the action type, never the order text',
			{ template: 'actionReminder', vars: { ...vars, actionType: 'imaging', actionDescription: 'Mammogram, diagnostic bilateral' } },
			`Hi Ana, a reminder from Hill Clinic about your imaging appointment. Book here: ${link} Or call (512) 555-0100.`,
		],
		[
			'recall nudge, Spanish',
			{ template: 'recallNudge', language: 'es', vars: { ...vars, actionDescription: 'Agende su examen anual' } },
			'Hola Ana, se acerca la fecha de su siguiente visita con Hill Clinic. Siguiente paso: su cita de seguimiento. ' +
				`Agende su cita: ${link} O llame al (512) 555-0100.`,
		],
		[
			'recall reminder',
			{ template: 'recallReminder', vars: { ...vars, actionDescription: 'Book your annual exam' } },
			'Hi Ana, a reminder from Hill Clinic: you are due for your follow-up visit. ' +
				`Book here: ${link} Or call (512) 555-0100.`,
		],
		[
			'staff notification, English',
			{ template: 'staffNotification', vars: staffVars },
			'Hi Maria, a patient follow-up task is waiting for you (lab test): https://ehr.example.com/tasks/91 - Hill Clinic',
		],
		[
			'staff notification, Spanish',
			{ template: 'staffNotification', language: 'es', vars: staffVars },
			'Hola Maria, tiene una tarea de seguimiento de paciente (examen de laboratorio): ' +
				'https://ehr.example.com/tasks/91 - Hill Clinic',
		],
		[
			'voice reminder',
			{ template: 'voiceReminder', channel: 'voice' },
			'Hello Ana. This is Hill Clinic with a reminder about a next step after your recent visit on March 3. ' +
				'Please call us at (512) 555-0100 to take care of it. Thank you, and goodbye.',
		],
		[
			'voice reminder, Spanish, without a date',
			{ template: 'voiceReminder', channel: 'voice', language: 'es-US', vars: { ...vars, visitDate: undefined } },
			'Hola Ana. Le llamamos de Hill Clinic para recordarle un paso pendiente después de su visita reciente. ' +
				'Por favor llámenos al (512) 555-0100. Gracias, hasta luego.',
		],
	])('%s', (_name, overrides, text) => {
		expect(compose(overrides).text).toBe(text);
	});

	it('reports template, language used and SMS segments', () => {
		expect(compose({ language: 'es-MX' })).toEqual({
			template: 'careSummary',
			languageUsed: 'es',
			text: expect.any(String),
			sms: { encoding: 'GSM-7', segments: 2, characters: 192 },
		});
	});

	it('voice carries neither SMS details nor email parts', () => {
		expect(compose({ template: 'voiceReminder', channel: 'voice' })).toEqual({
			template: 'voiceReminder',
			languageUsed: 'en',
			text: expect.any(String),
		});
	});

	it.each(templateIds.flatMap((template) => templateLanguages.map((language) => [template, language] as const)))(
		'%s in %s renders on its channels with every variable, clean of clinical text and stray braces',
		(template: TemplateId, language) => {
			const channels = Object.keys(templates[template].texts[language]) as Channel[];
			expect(channels.length).toBeGreaterThan(0);
			for (const channel of channels) {
				const message = composeMessage({ template, channel, language, vars: staffVars, firstSms: true });
				expect(message.languageUsed).toBe(language);
				expect(message.text).not.toMatch(/[{}]|\n{3}| {2}/);
				expect(findClinicalMarker(message.text)).toBeUndefined();
			}
		},
	);

	it.each(['careSummary', 'followUpConfirmation', 'actionReminder', 'recallNudge', 'recallReminder'] as const)(
		'%s SMS stays within GSM-7 in English and Spanish (before the opt-out line)',
		(template) => {
			for (const language of templateLanguages) {
				const message = composeMessage({ template, channel: 'sms', language, vars });
				expect(message.sms?.encoding).toBe('GSM-7');
				expect(message.sms?.segments).toBeLessThanOrEqual(2);
			}
		},
	);
});

describe('composeMessage: first SMS of a journey carries the opt-out instruction', () => {
	it.each<[string, string, 'GSM-7' | 'UCS-2']>([
		['en', 'Reply STOP to opt out.', 'GSM-7'],
		['es', 'Responda ALTO para no recibir mensajes.', 'GSM-7'],
		['fr-CA', 'Reply STOP to opt out.', 'GSM-7'],
	])('%s → %s', (language, line, encoding) => {
		const message = compose({ language, firstSms: true });
		expect(message.text.endsWith(`\n${line}`)).toBe(true);
		expect(message.sms?.encoding).toBe(encoding);
	});

	it('the recall nudge gets it too', () => {
		expect(compose({ template: 'recallNudge', firstSms: true }).text).toMatch(/\nReply STOP to opt out\.$/);
	});

	it('is not added twice when an override already says it', () => {
		const text = 'Hi {{firstName}}, see {{schedulingLink}}. Text STOP to end.';
		expect(compose({ firstSms: true, overrides: { en: { text } } }).text).toBe(`Hi Ana, see ${link}. Text STOP to end.`);
	});

	it.each<[Channel, TemplateId]>([
		['email', 'careSummary'],
		['voice', 'voiceReminder'],
	])('is not added on %s', (channel, template) => {
		expect(compose({ channel, template, firstSms: true }).text).not.toMatch(/STOP/);
	});

	it('is not added to later SMS', () => {
		expect(compose({ template: 'actionReminder' }).text).not.toMatch(/STOP/);
	});
});

describe('language fallback', () => {
	it.each<[string, string[]]>([
		['es-MX', ['es-mx', 'es', 'en']],
		['es', ['es', 'en']],
		['en-GB', ['en-gb', 'en']],
		['zh-Hant-TW', ['zh-hant-tw', 'zh-hant', 'zh', 'en']],
		['es_US', ['es-us', 'es', 'en']],
		['', ['en']],
	])('%j → %j', (tag, chain) => {
		expect(languageFallbackChain(tag)).toEqual(chain);
	});

	it.each<[string, string]>([
		['es-MX', 'es'],
		['ES-419', 'es'],
		['es', 'es'],
		['en-US', 'en'],
		['fr', 'en'],
		['pt-BR', 'en'],
		['', 'en'],
		['!!', 'en'],
	])('%j → %s', (tag, used) => {
		expect(resolveLanguage(tag)).toBe(used);
		expect(compose({ language: tag }).languageUsed).toBe(used);
	});

	it.each<[string, string]>([
		['en', 'March 3'],
		['es', '3 de marzo'],
		['es-MX', '3 de marzo'],
	])('formats the visit date for %s as %s', (language, date) => {
		expect(compose({ language }).text).toContain(` ${date}.`);
	});

	it('formats a date without shifting it by any zone', () => {
		expect(compose({ vars: { ...vars, visitDate: '2025-12-31' } }).text).toContain('on December 31.');
	});
});

describe('composeMessage: email', () => {
	it('has a subject, a text and escaped HTML with a clickable link', () => {
		const message = compose({
			channel: 'email',
			vars: { ...vars, firstName: `<b>Ana & "Jo"</b>`, practiceName: "O'Hara Clinic" },
		});
		expect(message.subject).toBe("Your visit summary from O'Hara Clinic");
		expect(message.text).toBe(
			'Hi <b>Ana & "Jo"</b>,\n\nThank you for visiting O\'Hara Clinic on March 3.\n\n' +
				`Your next step: follow-up visit.\nBook it online: ${link}\n\n` +
				"If you have questions, call us at (512) 555-0100.\n\nO'Hara Clinic",
		);
		expect(message.html).toBe(
			'<p>Hi &lt;b&gt;Ana &amp; &quot;Jo&quot;&lt;/b&gt;,</p>\n' +
				'<p>Thank you for visiting O&#39;Hara Clinic on March 3.</p>\n' +
				'<p>Your next step: follow-up visit.<br>' +
				`Book it online: <a href="${link}">${link}</a></p>\n` +
				'<p>If you have questions, call us at (512) 555-0100.</p>\n<p>O&#39;Hara Clinic</p>',
		);
		expect(message.html).not.toMatch(/<b>/);
		expect(message.sms).toBeUndefined();
	});

	it('Spanish email with accents and no optional parts', () => {
		const message = compose({
			channel: 'email',
			language: 'es',
			vars: { ...vars, actionDescription: undefined, actionType: undefined, schedulingLink: undefined },
		});
		expect(message.subject).toBe('Resumen de su visita a Hill Clinic');
		expect(message.text).toBe(
			'Hola Ana:\n\nGracias por su visita a Hill Clinic el 3 de marzo.\n\n' +
				'Si tiene preguntas, llámenos al (512) 555-0100.\n\nHill Clinic',
		);
	});

	it.each<[string, boolean, string]>([
		['names the action type by default', false, 'Your next step: imaging appointment.'],
		['carries the order text with Order Text in Email on', true, 'Your next step: Mammogram, diagnostic bilateral.'],
	])('%s', (_name, orderTextInEmail, line) => {
		const message = compose({
			channel: 'email',
			orderTextInEmail,
			vars: { ...vars, actionType: 'imaging', actionDescription: 'Mammogram, diagnostic bilateral' },
		});
		expect(message.text.split('\n')).toContain(line);
	});

	it('a staff email keeps the order text for the coordinator', () => {
		const message = compose({ template: 'staffNotification', channel: 'email', vars: { ...staffVars, actionDescription: 'PSA, total' } });
		expect(message.text).toContain('Open item: PSA, total.');
	});

	it('may carry words the SMS guard rejects', () => {
		const message = compose({
			channel: 'email',
			overrides: { en: { text: 'Hi {{firstName}}, your lab results are in the portal.' } },
		});
		expect(message.text).toBe('Hi Ana, your lab results are in the portal.');
	});

	it('uses override subject and text, as one line of subject', () => {
		const message = compose({
			channel: 'email',
			overrides: { en: { subject: 'News from\n{{practiceName}}', text: 'Hello {{firstName}}' } },
		});
		expect(message).toMatchObject({ subject: 'News from Hill Clinic', text: 'Hello Ana', html: '<p>Hello Ana</p>' });
	});
});

describe('textToHtml', () => {
	it.each<[string, string]>([
		['a\nb', '<p>a<br>b</p>'],
		['a\n\n\nb', '<p>a</p>\n<p>b</p>'],
		['See https://x.example/a?b=1&c=2.', '<p>See <a href="https://x.example/a?b=1&amp;c=2">https://x.example/a?b=1&amp;c=2</a>.</p>'],
		['(http://x.example/p)', '<p>(<a href="http://x.example/p">http://x.example/p</a>)</p>'],
		['<script>alert(1)</script>', '<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>'],
		['https://x.example/"onmouseover="x', '<p><a href="https://x.example/&quot;onmouseover=&quot;x">https://x.example/&quot;onmouseover=&quot;x</a></p>'],
	])('%j', (text, html) => {
		expect(textToHtml(text)).toBe(html);
	});
});

describe('composeMessage: overrides', () => {
	it('replaces the text for its language and keeps the fallback for others', () => {
		const overrides = { en: { text: 'Hey {{ firstName }}, book at {{schedulingLink}}' } };
		expect(compose({ overrides }).text).toBe(`Hey Ana, book at ${link}`);
		expect(compose({ overrides, language: 'es' }).text).toMatch(/^Hola Ana, gracias/);
	});

	it('a Spanish override serves es-MX', () => {
		const overrides = { es: { text: 'Hola {{firstName}}{{#schedulingLink}}: {{schedulingLink}}{{/schedulingLink}}' } };
		expect(compose({ overrides, language: 'es-MX' }).text).toBe(`Hola Ana: ${link}`);
		expect(compose({ overrides, language: 'es-MX', vars: { ...vars, schedulingLink: undefined } }).text).toBe('Hola Ana');
	});

	it.each<[string, Partial<ComposeInput>, string, string, string]>([
		[
			'unknown placeholder',
			{ overrides: { en: { text: 'Hi {{firstname}}' } } },
			'unknown_placeholder',
			'overrides.en.text',
			'{{firstname}}',
		],
		[
			'unknown placeholder in an override of another language',
			{ language: 'es', overrides: { en: { text: 'Hi {{patientName}}' } } },
			'unknown_placeholder',
			'overrides.en.text',
			'{{patientName}}',
		],
		[
			'unknown section name',
			{ channel: 'email', overrides: { es: { subject: '{{#dob}}x{{/dob}}' } } },
			'unknown_placeholder',
			'overrides.es.subject',
			'{{dob}}',
		],
		[
			'staff-only placeholder in a patient message',
			{ overrides: { en: { text: 'Hi {{firstName}}, task {{taskLink}}' } } },
			'placeholder_not_allowed',
			'overrides.en.text',
			'{{taskLink}}',
		],
		[
			'nested sections',
			{ overrides: { en: { text: '{{#firstName}}{{#visitDate}}x{{/visitDate}}{{/firstName}}' } } },
			'invalid_template',
			'overrides.en.text',
			'nested',
		],
		[
			'unclosed section',
			{ overrides: { en: { text: 'Hi {{#firstName}}{{firstName}}' } } },
			'invalid_template',
			'overrides.en.text',
			'{{#firstName}}',
		],
		[
			'stray section end',
			{ overrides: { en: { text: 'Hi {{/firstName}}' } } },
			'invalid_template',
			'overrides.en.text',
			'{{/firstName}}',
		],
		[
			'mismatched section end',
			{ overrides: { en: { text: '{{#firstName}}Hi{{/visitDate}}' } } },
			'invalid_template',
			'overrides.en.text',
			'{{/visitDate}}',
		],
	])('rejects an override with %s, naming it', (_name, overrides, code, field, named) => {
		const error = domainError(() => compose(overrides));
		expect(error).toMatchObject({ code, field });
		expect(error.message).toContain(named);
	});
});

describe('composeMessage: variables', () => {
	it.each<[string, MessageVars, string]>([
		['firstName', { ...vars, firstName: undefined }, 'vars.firstName'],
		['practicePhone as blank', { ...vars, practicePhone: '   ' }, 'vars.practicePhone'],
		['visitDate', { ...vars, visitDate: undefined }, 'vars.visitDate'],
	])('a missing %s is named', (_name, missing, field) => {
		const error = domainError(() => compose({ vars: missing }));
		expect(error).toMatchObject({ code: 'missing_variable', field });
		expect(error.message).toContain(field);
		expect(error.message).not.toContain('Ana');
	});

	it('a missing variable inside a present section is named too', () => {
		const overrides = { en: { text: '{{#firstName}}Hi {{firstName}}, {{visitDate}}{{/firstName}}' } };
		const error = domainError(() => compose({ overrides, vars: { ...vars, visitDate: undefined } }));
		expect(error).toMatchObject({ code: 'missing_variable', field: 'vars.visitDate' });
	});

	it('a missing staff variable is named', () => {
		expect(
			domainError(() => compose({ template: 'staffNotification', vars: { ...staffVars, taskLink: undefined } })),
		).toMatchObject({ code: 'missing_variable', field: 'vars.taskLink' });
	});

	it('the staff notification drops the action type when none is given', () => {
		expect(compose({ template: 'staffNotification', vars: { ...staffVars, actionType: undefined } }).text).toBe(
			'Hi Maria, a patient follow-up task is waiting for you: https://ehr.example.com/tasks/91 - Hill Clinic',
		);
	});

	it.each<[string, MessageVars, string]>([
		['a visit date that is not a date', { ...vars, visitDate: '03/03/2025' }, 'vars.visitDate'],
		['an impossible visit date', { ...vars, visitDate: '2025-02-30' }, 'vars.visitDate'],
		['an unknown action type', { ...vars, actionType: 'surgery' }, 'vars.actionType'],
	])('rejects %s', (_name, bad, field) => {
		expect(domainError(() => compose({ vars: bad }))).toMatchObject({ code: 'invalid_variable', field });
	});

	it('tolerates an untyped caller leaving out vars and language', () => {
		expect(domainError(() => compose({ vars: undefined as never }))).toMatchObject({ code: 'missing_variable' });
		expect(compose({ language: undefined as never }).languageUsed).toBe('en');
	});

	it('does not expand placeholders inside variable values', () => {
		expect(compose({ vars: { ...vars, firstName: '{{practicePhone}}' } }).text).toMatch(/^Hi \{\{practicePhone\}\},/);
	});
});

describe('composeMessage: template and channel', () => {
	it.each<[string, Partial<ComposeInput>, string, string]>([
		['an unknown template', { template: 'birthday' as TemplateId }, 'unknown_template', 'template'],
		['the voice text by SMS', { template: 'voiceReminder', channel: 'sms' }, 'unsupported_channel', 'channel'],
		['the voice text by email', { template: 'voiceReminder', channel: 'email' }, 'unsupported_channel', 'channel'],
		['a care summary by voice', { channel: 'voice' }, 'unsupported_channel', 'channel'],
	])('rejects %s', (_name, overrides, code, field) => {
		expect(domainError(() => compose(overrides))).toMatchObject({ code, field });
	});
});

describe('clinical text in SMS and voice', () => {
	it.each<[string, ClinicalMarkerCategory]>([
		['Your diagnosis is ready', 'diagnosis'],
		['You were diagnosed last week', 'diagnosis'],
		['Su diagnóstico está listo', 'diagnosis'],
		['Your lab result is in', 'result'],
		['Results are available', 'result'],
		['Sus resultados llegaron', 'result'],
		['Biopsy follow-up', 'procedure'],
		['Resultados de la biopsia', 'result'],
		['Agende su biopsia', 'procedure'],
		['Your test was positive', 'testOutcome'],
		['NEGATIVE', 'testOutcome'],
		['Salió positivo', 'testOutcome'],
		['An abnormal finding', 'testOutcome'],
		['HIV clinic visit', 'condition'],
		['Prueba de VIH', 'condition'],
		['Cancer screening follow-up', 'condition'],
		['Clínica de cáncer', 'condition'],
		['Pregnancy visit', 'condition'],
		['Control de embarazo', 'condition'],
		['Code E11.9 follow-up', 'icdCode'],
		['See Z00.00', 'icdCode'],
		['Take metformin 500 mg', 'dosage'],
		['Take 20mg daily', 'dosage'],
		['5 ml twice a day', 'dosage'],
		['0.5 mcg', 'dosage'],
		['Mammogram, diagnostic bilateral', 'diagnosis'],
		['Mammogram, screening', 'orderName'],
		['MAMOGRAFÍA bilateral', 'orderName'],
		['PSA', 'orderName'],
		['Prostate specific antigen (PSA), total', 'orderName'],
		['HIV-1 viral load', 'condition'],
		['Carga viral', 'orderName'],
		['Hemoglobin A1c', 'orderName'],
		['MRI lumbar spine w/o contrast', 'orderName'],
		['Chest X-ray, 2 views', 'orderName'],
		['Lipid panel', 'orderName'],
	])('%j is %s', (text, category) => {
		expect(findClinicalMarker(text)).toBe(category);
		const error = domainError(() => assertNoClinicalText(text));
		expect(error).toMatchObject({ code: 'clinical_text_in_sms', field: 'text' });
		// The message names the category only, the same whatever the text said.
		expect(error.message).toBe(
			`SMS text contains clinical wording (${category}); ` +
				'diagnoses, results and clinical details belong behind the link or in the email',
		);
	});

	it.each([
		'Book your 2-week follow-up visit',
		'Schedule your imaging appointment',
		'Pick up your prescription at the pharmacy',
		'Book your lab test',
		'Reply STOP to opt out.',
		'Visit https://book.example.com/s?order=ord-7 or call (512) 555-0100',
		'Resultant? no',
		'Room U07.1',
		'It is 10 am',
		'Agende su cita con especialista',
		'Next step: your imaging appointment.',
		'Siguiente paso: su examen de laboratorio.',
		'Lapsa Street Clinic',
	])('%j passes', (text) => {
		expect(findClinicalMarker(text)).toBeUndefined();
		expect(() => assertNoClinicalText(text)).not.toThrow();
	});

	it.each<[Channel, TemplateId]>([
		['sms', 'careSummary'],
		['sms', 'actionReminder'],
		['voice', 'voiceReminder'],
	])('never puts the order text into %s (%s), even through an override or with Order Text in Email on', (channel, template) => {
		const withOrderText = { channel, template, orderTextInEmail: true, vars: { ...vars, actionDescription: 'PSA, total', actionType: 'lab' } };
		expect(compose(withOrderText).text).not.toContain('PSA');
		const overrides = { en: { text: 'Hi {{firstName}}: {{actionDescription}}.' } };
		expect(compose({ ...withOrderText, overrides }).text).toBe('Hi Ana: lab test.');
	});

	it('drops {{actionDescription}} from an SMS when the action has no type', () => {
		const overrides = { en: { text: 'Hi {{firstName}}.{{#actionDescription}} {{actionDescription}}.{{/actionDescription}}' } };
		const message = compose({ overrides, vars: { ...vars, actionDescription: 'Review your biopsy', actionType: undefined } });
		expect(message.text).toBe('Hi Ana.');
	});

	it('rejects an SMS override with clinical words', () => {
		const overrides = { es: { text: 'Hola {{firstName}}, sus resultados están listos' } };
		expect(domainError(() => compose({ language: 'es', overrides }))).toMatchObject({ code: 'clinical_text_in_sms' });
	});

	it('rejects clinical words in a voice message', () => {
		const overrides = { en: { text: 'Hello {{firstName}}, your HIV test is back.' } };
		expect(
			domainError(() => compose({ template: 'voiceReminder', channel: 'voice', overrides })),
		).toMatchObject({ code: 'clinical_text_in_voice', field: 'text' });
	});
});

describe('schedulingLinkFor', () => {
	const item = { type: 'imaging' as const, orderId: 'ord 7/a', schedulingLink: 'https://ehr.example.com/own' };
	const ids = { patientId: 'p-1', visitId: 'v&2' };

	it.each<[string, Parameters<typeof schedulingLinkFor>, string | undefined]>([
		[
			'the practice link for the type, ids URL-encoded',
			[item, { imaging: 'https://book.example.com/img?o={orderId}&p={patientId}&v={visitId}' }, ids],
			'https://book.example.com/img?o=ord%207%2Fa&p=p-1&v=v%262',
		],
		[
			'the default link for a type without its own',
			[item, { lab: 'https://book.example.com/lab', default: 'https://book.example.com/any?p={patientId}' }, ids],
			'https://book.example.com/any?p=p-1',
		],
		[
			'the default when the type link needs an id the item lacks',
			[{ ...item, orderId: undefined }, { imaging: 'https://b.example.com/{orderId}', default: 'https://b.example.com/' }, ids],
			'https://b.example.com/',
		],
		[
			"the item's own link when no practice link fits",
			[{ ...item, orderId: undefined }, { imaging: 'https://b.example.com/{orderId}', default: ' ' }, {}],
			'https://ehr.example.com/own',
		],
		['the item\'s own link without practice links', [item, {}, ids], 'https://ehr.example.com/own'],
		['nothing at all', [{ type: 'lab' }, {}, ids], undefined],
		[
			'an explicit order id wins over the item\'s',
			[item, { imaging: 'https://b.example.com/{orderId}' }, { orderId: 'X1' }],
			'https://b.example.com/X1',
		],
	])('%s', (_name, args, expected) => {
		expect(schedulingLinkFor(...args)).toBe(expected);
	});

	it.each<[string, string, string]>([
		['an unknown placeholder', 'https://b.example.com/{mrn}', 'unknown_placeholder'],
		['a link that is not a URL', 'book.example.com/{orderId}', 'invalid_link'],
		['a link that is not http(s)', 'javascript:alert({orderId})', 'invalid_link'],
	])('rejects %s naming the template key', (_name, template, code) => {
		const error = domainError(() => schedulingLinkFor(item, { imaging: template }, ids));
		expect(error).toMatchObject({ code, field: 'schedulingLinks.imaging' });
	});
});
