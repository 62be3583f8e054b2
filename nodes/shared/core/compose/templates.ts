import { actionItemTypes } from '../schemas';

/**
 * The built-in message texts. Placeholders: `{{name}}`; a section `{{#name}}…{{/name}}` is kept only when the
 * variable has a value (e.g. no scheduling link for a prescription). SMS and voice texts never carry
 * clinical detail; Spanish SMS texts are worded to stay within GSM-7 where natural Spanish allows
 * (á, í, ó, ú force UCS-2 and more than double the segment count).
 */

export const templateIds = [
	'careSummary',
	'followUpConfirmation',
	'actionReminder',
	'recallNudge',
	'recallReminder',
	'staffNotification',
	'voiceReminder',
] as const;
export type TemplateId = (typeof templateIds)[number];

export const templateLanguages = ['en', 'es'] as const;
export type TemplateLanguage = (typeof templateLanguages)[number];

export const variableNames = [
	'firstName',
	'practiceName',
	'practicePhone',
	'actionDescription',
	'actionType',
	'visitDate',
	'schedulingLink',
	'taskLink',
	'assigneeName',
] as const;
export type VariableName = (typeof variableNames)[number];

/** Variables only a staff message may use: an EHR task link or a colleague's name has no place in a patient text. */
export const staffOnlyVariables: readonly VariableName[] = ['taskLink', 'assigneeName'];

export type Audience = 'patient' | 'staff';

export interface TemplateTexts {
	sms?: string;
	email?: { subject: string; text: string };
	voice?: string;
}

export interface TemplateDefinition {
	audience: Audience;
	texts: Record<TemplateLanguage, TemplateTexts>;
}

export const optOutLines: Record<TemplateLanguage, string> = {
	en: 'Reply STOP to opt out.',
	es: 'Responda ALTO para no recibir mensajes.',
};

/** The action types a phrase names: the EHR's action types, and "other" for an action of no known type. */
export const actionPhraseKeys = [...actionItemTypes, 'other'] as const;
export type ActionPhraseKey = (typeof actionPhraseKeys)[number];

/**
 * The built-in phrase per action type: what SMS, voice and `{{actionType}}` say instead of the vendor's order
 * text. A practice changes them (and adds languages) in the "Post-Visit Message Texts" credential.
 */
export const actionTypeLabels: Record<TemplateLanguage, Record<ActionPhraseKey, string>> = {
	en: {
		followUpVisit: 'follow-up visit',
		imaging: 'imaging appointment',
		referral: 'specialist visit',
		lab: 'lab test',
		prescription: 'prescription',
		other: 'follow-up care',
	},
	es: {
		followUpVisit: 'cita de seguimiento',
		imaging: 'estudio de imagen',
		referral: 'cita con especialista',
		lab: 'examen de laboratorio',
		prescription: 'receta',
		other: 'cuidado de seguimiento',
	},
};

const enBook = '{{#schedulingLink}} Book here: {{schedulingLink}}{{/schedulingLink}}';
const esBook = '{{#schedulingLink}} Agende su cita: {{schedulingLink}}{{/schedulingLink}}';
const enBookEmail = '{{#schedulingLink}}Book it online: {{schedulingLink}}\n{{/schedulingLink}}';
const esBookEmail = '{{#schedulingLink}}Agende su cita en línea: {{schedulingLink}}\n{{/schedulingLink}}';

export const templates: Record<TemplateId, TemplateDefinition> = {
	careSummary: {
		audience: 'patient',
		texts: {
			en: {
				sms:
					'Hi {{firstName}}, thank you for visiting {{practiceName}} on {{visitDate}}.' +
					'{{#actionType}} Next step: your {{actionType}}.{{/actionType}}' +
					`${enBook} Questions? Call {{practicePhone}}.`,
				email: {
					subject: 'Your visit summary from {{practiceName}}',
					text:
						'Hi {{firstName}},\n\nThank you for visiting {{practiceName}} on {{visitDate}}.\n\n' +
						'{{#actionDescription}}Your next step: {{actionDescription}}.\n{{/actionDescription}}' +
						`${enBookEmail}\nIf you have questions, call us at {{practicePhone}}.\n\n{{practiceName}}`,
				},
			},
			es: {
				sms:
					'Hola {{firstName}}, gracias por su visita a {{practiceName}} el {{visitDate}}.' +
					'{{#actionType}} Siguiente paso: su {{actionType}}.{{/actionType}}' +
					`${esBook} ¿Preguntas? Llame al {{practicePhone}}.`,
				email: {
					subject: 'Resumen de su visita a {{practiceName}}',
					text:
						'Hola {{firstName}}:\n\nGracias por su visita a {{practiceName}} el {{visitDate}}.\n\n' +
						'{{#actionDescription}}Siguiente paso: {{actionDescription}}.\n{{/actionDescription}}' +
						`${esBookEmail}\nSi tiene preguntas, llámenos al {{practicePhone}}.\n\n{{practiceName}}`,
				},
			},
		},
	},
	followUpConfirmation: {
		audience: 'patient',
		texts: {
			en: {
				sms:
					'Hi {{firstName}}, thank you for visiting {{practiceName}} on {{visitDate}}. ' +
					'Your follow-up visit is already booked. To change it, call {{practicePhone}}.',
				email: {
					subject: 'Your follow-up visit with {{practiceName}} is booked',
					text:
						'Hi {{firstName}},\n\nThank you for visiting {{practiceName}} on {{visitDate}}. ' +
						'Your follow-up visit is already booked, so there is nothing more to do for now.\n\n' +
						'To change it, call us at {{practicePhone}}.\n\n{{practiceName}}',
				},
			},
			es: {
				sms:
					'Hola {{firstName}}, gracias por su visita a {{practiceName}} el {{visitDate}}. ' +
					'Ya tiene agendada su cita de seguimiento. Para cambiarla, llame al {{practicePhone}}.',
				email: {
					subject: 'Su cita de seguimiento con {{practiceName}} ya está agendada',
					text:
						'Hola {{firstName}}:\n\nGracias por su visita a {{practiceName}} el {{visitDate}}. ' +
						'Su cita de seguimiento ya está agendada; por ahora no necesita hacer nada más.\n\n' +
						'Para cambiarla, llámenos al {{practicePhone}}.\n\n{{practiceName}}',
				},
			},
		},
	},
	actionReminder: {
		audience: 'patient',
		texts: {
			en: {
				sms:
					'Hi {{firstName}}, a reminder from {{practiceName}} about your {{actionType}}.' +
					`${enBook} Or call {{practicePhone}}.`,
				email: {
					subject: 'Reminder: your next step after your visit',
					text:
						'Hi {{firstName}},\n\nAfter your visit{{#visitDate}} on {{visitDate}}{{/visitDate}}, ' +
						'one step is still open: {{actionDescription}}.\n\n' +
						`${enBookEmail}\nOr call us at {{practicePhone}}. ` +
						'If you have already taken care of it, please ignore this message.\n\n{{practiceName}}',
				},
			},
			es: {
				sms:
					'Hola {{firstName}}, un recordatorio de {{practiceName}} sobre su {{actionType}}.' +
					`${esBook} O llame al {{practicePhone}}.`,
				email: {
					subject: 'Recordatorio: su siguiente paso después de su visita',
					text:
						'Hola {{firstName}}:\n\nDespués de su visita{{#visitDate}} del {{visitDate}}{{/visitDate}}, ' +
						'queda un paso pendiente: {{actionDescription}}.\n\n' +
						`${esBookEmail}\nO llámenos al {{practicePhone}}. ` +
						'Si ya lo hizo, ignore este mensaje.\n\n{{practiceName}}',
				},
			},
		},
	},
	recallNudge: {
		audience: 'patient',
		texts: {
			en: {
				sms:
					'Hi {{firstName}}, it is almost time for your next visit with {{practiceName}}. ' +
					`Next step: your {{actionType}}.${enBook} Or call {{practicePhone}}.`,
				email: {
					subject: 'Time to book your next visit with {{practiceName}}',
					text:
						'Hi {{firstName}},\n\nIt is almost time for your next visit with {{practiceName}}.\n\n' +
						`Next step: {{actionDescription}}.\n${enBookEmail}\nOr call us at {{practicePhone}}.\n\n` +
						'{{practiceName}}',
				},
			},
			es: {
				sms:
					'Hola {{firstName}}, se acerca la fecha de su siguiente visita con {{practiceName}}. ' +
					`Siguiente paso: su {{actionType}}.${esBook} O llame al {{practicePhone}}.`,
				email: {
					subject: 'Es momento de agendar su siguiente visita con {{practiceName}}',
					text:
						'Hola {{firstName}}:\n\nSe acerca la fecha de su siguiente visita con {{practiceName}}.\n\n' +
						`Siguiente paso: {{actionDescription}}.\n${esBookEmail}\nO llámenos al {{practicePhone}}.\n\n` +
						'{{practiceName}}',
				},
			},
		},
	},
	recallReminder: {
		audience: 'patient',
		texts: {
			en: {
				sms:
					'Hi {{firstName}}, a reminder from {{practiceName}}: you are due for your {{actionType}}.' +
					`${enBook} Or call {{practicePhone}}.`,
				email: {
					subject: 'Reminder: you are due for a visit with {{practiceName}}',
					text:
						'Hi {{firstName}},\n\nYou are due for a visit with {{practiceName}}.\n\n' +
						`Next step: {{actionDescription}}.\n${enBookEmail}\nOr call us at {{practicePhone}}. ` +
						'If you have already booked, please ignore this message.\n\n{{practiceName}}',
				},
			},
			es: {
				sms:
					'Hola {{firstName}}, un recordatorio de {{practiceName}}: ya le toca su {{actionType}}.' +
					`${esBook} O llame al {{practicePhone}}.`,
				email: {
					subject: 'Recordatorio: ya le toca su visita con {{practiceName}}',
					text:
						'Hola {{firstName}}:\n\nYa le toca su visita con {{practiceName}}.\n\n' +
						`Siguiente paso: {{actionDescription}}.\n${esBookEmail}\nO llámenos al {{practicePhone}}. ` +
						'Si ya agendó su cita, ignore este mensaje.\n\n{{practiceName}}',
				},
			},
		},
	},
	staffNotification: {
		audience: 'staff',
		texts: {
			en: {
				sms:
					'Hi {{assigneeName}}, a patient follow-up task is waiting for you' +
					'{{#actionType}} ({{actionType}}){{/actionType}}: {{taskLink}} - {{practiceName}}',
				email: {
					subject: 'Patient follow-up task assigned to you',
					text:
						'Hi {{assigneeName}},\n\nA patient follow-up task is waiting for you in the EHR worklist' +
						'{{#actionType}} ({{actionType}}){{/actionType}}.\n\n' +
						'{{#actionDescription}}Open item: {{actionDescription}}.\n{{/actionDescription}}' +
						'{{#visitDate}}Visit date: {{visitDate}}.\n{{/visitDate}}' +
						'\nOpen the task: {{taskLink}}\n\n{{practiceName}}',
				},
			},
			es: {
				sms:
					'Hola {{assigneeName}}, tiene una tarea de seguimiento de paciente' +
					'{{#actionType}} ({{actionType}}){{/actionType}}: {{taskLink}} - {{practiceName}}',
				email: {
					subject: 'Tarea de seguimiento de paciente asignada a usted',
					text:
						'Hola {{assigneeName}}:\n\nTiene una tarea de seguimiento de paciente en la lista de trabajo del EHR' +
						'{{#actionType}} ({{actionType}}){{/actionType}}.\n\n' +
						'{{#actionDescription}}Pendiente: {{actionDescription}}.\n{{/actionDescription}}' +
						'{{#visitDate}}Fecha de la visita: {{visitDate}}.\n{{/visitDate}}' +
						'\nAbra la tarea: {{taskLink}}\n\n{{practiceName}}',
				},
			},
		},
	},
	voiceReminder: {
		audience: 'patient',
		texts: {
			en: {
				voice:
					'Hello {{firstName}}. This is {{practiceName}} with a reminder about a next step after your ' +
					'recent visit{{#visitDate}} on {{visitDate}}{{/visitDate}}. ' +
					'Please call us at {{practicePhone}} to take care of it. Thank you, and goodbye.',
			},
			es: {
				voice:
					'Hola {{firstName}}. Le llamamos de {{practiceName}} para recordarle un paso pendiente después de ' +
					'su visita reciente{{#visitDate}} del {{visitDate}}{{/visitDate}}. ' +
					'Por favor llámenos al {{practicePhone}}. Gracias, hasta luego.',
			},
		},
	},
};
