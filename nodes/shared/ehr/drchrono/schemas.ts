import { z } from 'zod';

/**
 * DrChrono v4 ("Hunt Valley") JSON as this adapter reads it. Field names and enums follow DrChrono's own
 * OpenAPI (APIs-guru/openapi-directory, `APIs/drchrono.com/v4 (Hunt Valley)/openapi.yaml`). Only the fields
 * used are declared; zod strips the rest, so PHI the adapter does not need never travels further.
 */

/** DrChrono ids are "usually numeric, but not always" (appointments): normalised to strings. */
const id = z.union([z.string().min(1), z.number().int()]).transform(String);
const optionalId = z
	.union([z.string(), z.number().int()])
	.nullish()
	.transform((value) => (value === null || value === undefined || value === '' ? undefined : String(value)));
const optionalText = z
	.string()
	.nullish()
	.transform((value) => (value ? value : undefined));

export const statusTransitionSchema = z.object({
	datetime: z.string().min(1),
	from_status: z.string().nullish(),
	to_status: z.string().nullish(),
});

export const appointmentSchema = z.object({
	id,
	patient: optionalId,
	doctor: optionalId,
	office: optionalId,
	profile: optionalId,
	status: z
		.string()
		.nullish()
		.transform((value) => value ?? ''),
	scheduled_time: z.string().min(1),
	created_at: optionalText,
	updated_at: optionalText,
	deleted_flag: z.boolean().nullish(),
	appt_is_break: z.boolean().nullish(),
	/** Only present with `verbose=true` (the OpenAPI lists it in x-verbose-required). */
	status_transitions: z.array(statusTransitionSchema).nullish(),
});
export type DrChronoAppointment = z.infer<typeof appointmentSchema>;

export const patientSchema = z.object({
	id,
	first_name: optionalText,
	/** "Common name for patient, should be used instead of first name if supplied." */
	nick_name: optionalText,
	cell_phone: optionalText,
	home_phone: optionalText,
	office_phone: optionalText,
	/** The address's ZIP code: only for the patient's zone (core/patientZone.ts). */
	zip_code: optionalText,
	email: optionalText,
	/** ISO 639-2 codes: blank, eng, zho, fra, ita, jpn, por, rus, spa, other, unknown, declined. */
	preferred_language: optionalText,
	/** "If True, suppress SMS/Txt messages to this patient even if we have a cell phone # for them." */
	disable_sms_messages: z.boolean().nullish(),
	/** A (active), I (inactive), D (inactive-deceased). */
	patient_status: optionalText,
});
export type DrChronoPatient = z.infer<typeof patientSchema>;

export const doctorSchema = z.object({
	id,
	first_name: optionalText,
	last_name: optionalText,
	suffix: optionalText,
	timezone: optionalText,
});
export type DrChronoDoctor = z.infer<typeof doctorSchema>;

/** An appointment profile ("physical exam", 30 minutes, a colour): what DrChrono calls an appointment type. */
export const appointmentProfileSchema = z.object({
	id,
	name: z.string().min(1),
	duration: z.number().int().nullish(),
	archived: z.boolean().nullish(),
});

export const userSchema = z.object({
	id,
	/** "For staff members, this is their primary physician's ID. For doctors, it is their own ID." */
	doctor: optionalId,
});

export const labOrderSchema = z.object({
	id,
	patient: optionalId,
	doctor: optionalId,
	/** HL7 ORC.5: N not sent, Q queued, A ABN required, S send, R results received, E error. */
	status: optionalText,
	priority: optionalText,
	timestamp: optionalText,
});
export type DrChronoLabOrder = z.infer<typeof labOrderSchema>;

export const medicationSchema = z.object({
	id,
	patient: optionalId,
	appointment: optionalId,
	order_status: optionalText,
	status: optionalText,
});
export type DrChronoMedication = z.infer<typeof medicationSchema>;

export const carePlanSchema = z.object({
	id,
	patient: optionalId,
	appointment: optionalId,
	/** 1 goal, 2 education, 3 decision aid, 4 clinical instruction, 5 referral to other doctor, 6 health concerns. */
	plan_type: optionalId,
	scheduled_date: optionalText,
});
export type DrChronoCarePlan = z.infer<typeof carePlanSchema>;

export const taskStatusSchema = z.object({
	id,
	name: z.string().nullish(),
	/** O open, P in progress, H on hold, C complete. */
	status_category: z.string().nullish(),
	task_category: optionalId,
	archived: z.boolean().nullish(),
});
export type DrChronoTaskStatus = z.infer<typeof taskStatusSchema>;

export const associatedItemSchema = z.object({
	type: z.string(),
	value: z.union([z.string(), z.number()]).transform(String),
});

export const taskNoteSchema = z.object({
	id: optionalId,
	text: z.string().nullish(),
	archived: z.boolean().nullish(),
});

export const taskSchema = z.object({
	id,
	title: z.string().nullish(),
	status: optionalId,
	archived: z.boolean().nullish(),
	/** Verbose-only, like `notes`. */
	associated_items: z.array(associatedItemSchema).nullish(),
	notes: z.array(taskNoteSchema).nullish(),
});
export type DrChronoTask = z.infer<typeof taskSchema>;

/**
 * A list page. DrChrono's OpenAPI says `data`, every real client in the research reads `results`
 * (Django REST framework's default): both are accepted. `next` is an absolute URL or null.
 */
export const pageSchema = z.object({
	results: z.array(z.unknown()).optional(),
	data: z.array(z.unknown()).optional(),
	next: z.string().nullish(),
});

/** A Django REST framework error body: `{detail}` or `{field: [messages]}`. */
export const drfErrorSchema = z.union([
	z.object({ detail: z.string() }),
	z.record(z.string(), z.union([z.array(z.unknown()), z.string(), z.record(z.string(), z.unknown())])),
]);

/** A webhook delivery body: `{receiver, object}`; `object` uses the REST API's serializer. */
export const webhookBodySchema = z.object({
	receiver: z.unknown().optional(),
	object: z
		.object({
			id: z.union([z.string().min(1), z.number().int()]),
		})
		.passthrough(),
});
