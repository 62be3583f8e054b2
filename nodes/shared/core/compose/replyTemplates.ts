import type { TemplateLanguage, VariableName } from './templates';

/**
 * The built-in answers to patients' text replies (Patient Reply Trigger): the one source of their default wording,
 * which the "Post-Visit Message Texts" credential pre-fills and a practice may change per language.
 */

export const replyTextIds = ['optOut', 'optIn', 'help', 'bookLink', 'alreadyBooked', 'bookCall', 'staff'] as const;
export type ReplyTextId = (typeof replyTextIds)[number];

/** The placeholders an answer can fill: the practice's name and phone, and for a booking link the link and action. */
export const replyVariables: Record<ReplyTextId, readonly VariableName[]> = {
	optOut: ['practiceName', 'practicePhone'],
	optIn: ['practiceName', 'practicePhone'],
	help: ['practiceName', 'practicePhone'],
	bookLink: ['practiceName', 'practicePhone', 'schedulingLink', 'actionType'],
	alreadyBooked: ['practiceName', 'practicePhone'],
	bookCall: ['practiceName', 'practicePhone'],
	staff: ['practiceName', 'practicePhone'],
};

/** Placeholders an answer must hold: an answer to YES without the link would leave the patient where they were. */
export const requiredReplyVariables: Partial<Record<ReplyTextId, VariableName>> = { bookLink: 'schedulingLink' };

/**
 * Kept short (one SMS segment where the practice name allows) and free of clinical detail. Spanish avoids accented
 * letters where natural Spanish allows, so the answer stays in GSM-7 (one segment, not three).
 */
export const replyTemplates: Record<TemplateLanguage, Record<ReplyTextId, string>> = {
	en: {
		optOut: '{{practiceName}}: you are unsubscribed and will get no more texts from us. Reply START to resubscribe. Questions? Call {{practicePhone}}.',
		optIn: '{{practiceName}}: you will get texts about your care from us again. Reply STOP to opt out, HELP for help.',
		help: '{{practiceName}} care messages. For questions or to book, call {{practicePhone}}. Reply STOP to opt out. Msg&data rates may apply.',
		bookLink: '{{practiceName}}: {{#actionType}}book your {{actionType}} here: {{/actionType}}{{schedulingLink}} Or call {{practicePhone}}.',
		alreadyBooked: '{{practiceName}}: your follow-up is already booked. To change it, call {{practicePhone}}.',
		bookCall: '{{practiceName}}: to book, please call {{practicePhone}}. Thank you!',
		staff: '{{practiceName}}: thank you, we got your message and will get back to you. If it is urgent, call {{practicePhone}}. In an emergency, call 911.',
	},
	es: {
		optOut: '{{practiceName}}: ya no le enviaremos mensajes de texto. Responda COMENZAR para volver a recibirlos. Preguntas: llame al {{practicePhone}}.',
		optIn: '{{practiceName}}: le enviaremos de nuevo mensajes sobre su cuidado. Responda ALTO para dejar de recibirlos o AYUDA para ayuda.',
		help: '{{practiceName}}: mensajes sobre su cuidado. Para preguntas o citas, llame al {{practicePhone}}. Responda ALTO para dejar de recibirlos.',
		bookLink: '{{practiceName}}: {{#actionType}}agende su {{actionType}}: {{/actionType}}{{schedulingLink}} O llame al {{practicePhone}}.',
		alreadyBooked: '{{practiceName}}: ya tiene agendada su cita de seguimiento. Para cambiarla, llame al {{practicePhone}}.',
		bookCall: '{{practiceName}}: para agendar su cita, llame al {{practicePhone}}. Gracias.',
		staff: '{{practiceName}}: gracias, recibimos su mensaje y le contestaremos pronto. Si es urgente, llame al {{practicePhone}}. En una emergencia, llame al 911.',
	},
};
