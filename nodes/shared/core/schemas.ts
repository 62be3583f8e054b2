import { DateTime } from 'luxon';
import { z } from 'zod';

import { isE164 } from './addresses';
import { fromZodError } from './errors';
import { isValidZoneName } from './zones';

/** The EHRs the pack speaks to. */
export const ehrKinds = ['fhir', 'athenahealth', 'drchrono', 'tebra', 'hl7v2'] as const;
export type EhrKind = (typeof ehrKinds)[number];

export const channels = ['sms', 'email', 'voice'] as const;
export type Channel = (typeof channels)[number];

export const actionItemTypes = ['followUpVisit', 'imaging', 'referral', 'lab', 'prescription'] as const;
export type ActionItemType = (typeof actionItemTypes)[number];
/** Each action type as the credential forms name it (scheduling links, action phrases). */
export const actionItemTypeNames: Record<ActionItemType, string> = {
	followUpVisit: 'Follow-Up Visit',
	imaging: 'Imaging',
	referral: 'Referral',
	lab: 'Lab',
	prescription: 'Prescription',
};

const isoInstant = z
	.string()
	.refine((value) => DateTime.fromISO(value, { setZone: true }).isValid, {
		message: 'must be an ISO-8601 date-time',
	});
const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date YYYY-MM-DD');

export const ianaZoneSchema = z
	.string()
	.refine((zone) => isValidZoneName(zone), { message: 'must be an IANA time zone such as America/Chicago' });

/**
 * Where the zone of a journey came from; "server" is deliberately not an option. "zip" and "areaCode" are derived
 * from the patient's address and mobile number (core/patientZone.ts); "doctor" is the visit's provider's zone.
 */
export const zoneSources = ['patient', 'zip', 'areaCode', 'location', 'department', 'office', 'doctor', 'practice'] as const;
export type ZoneSource = (typeof zoneSources)[number];

export const phoneSchema = z.object({
	/** A valid number in E.164 form (core/addresses.ts), e.g. +15125550100. */
	number: z.string().refine(isE164, 'must be a valid phone number in E.164 form such as +15125550100'),
	kind: z.enum(['mobile', 'landline', 'unknown']).default('unknown'),
});
export type Phone = z.infer<typeof phoneSchema>;

export const consentSchema = z.object({
	sms: z.boolean().default(true),
	email: z.boolean().default(true),
	voice: z.boolean().default(true),
});
export type Consent = z.infer<typeof consentSchema>;

export const patientContactSchema = z.object({
	firstName: z.string().trim().min(1).max(60),
	phones: z.array(phoneSchema).default([]),
	email: z.string().email().optional(),
	preferredChannel: z.enum(channels).optional(),
	/** BCP-47, e.g. en, es, es-MX */
	language: z
		.string()
		.regex(/^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*$/, 'must be a language tag such as en or es-MX')
		.default('en'),
});
export type PatientContact = z.infer<typeof patientContactSchema>;

export const actionItemSchema = z.object({
	type: z.enum(actionItemTypes),
	/** What the patient must do, in plain words, no diagnosis: "Book your 2-week follow-up visit". */
	description: z.string().trim().min(1).max(160),
	orderId: z.string().min(1).optional(),
	dueBy: isoDate.optional(),
	schedulingLink: z.string().url().optional(),
	/** True when the EHR already shows it booked or done (e.g. follow-up booked at checkout). */
	done: z.boolean().default(false),
});
export type ActionItem = z.infer<typeof actionItemSchema>;

const journeyBase = {
	schemaVersion: z.literal(1).default(1),
	ehr: z.enum(ehrKinds),
	practiceId: z.string().min(1).optional(),
	departmentId: z.string().min(1).optional(),
	patientId: z.string().min(1),
	zone: ianaZoneSchema,
	/**
	 * The other zones a multi-zone ZIP code or area code spans: sends go only in hours inside the window in `zone`
	 * and in each of these. Local dates and day arithmetic stay in `zone`.
	 */
	extraZones: z.array(ianaZoneSchema).max(4).optional(),
	zoneSource: z.enum(zoneSources),
	/**
	 * The zone the EHR's own times without an offset are in (the doctor's, department's or practice's), when it is
	 * not `zone` (the patient's, from their ZIP code or area code). Absent: the EHR's times are in `zone`.
	 */
	recordZone: ianaZoneSchema.optional(),
	patient: patientContactSchema,
	consent: consentSchema.default({}),
};

/** "A visit was completed": the normalised event every trigger produces (after Visit Details). */
export const visitEventSchema = z.object({
	kind: z.literal('visit'),
	...journeyBase,
	visitId: z.string().min(1),
	visitType: z.enum(['appointment', 'encounter']),
	completedAt: isoInstant,
	/** Local calendar date of the visit, in `zone`. */
	visitDate: isoDate,
	providerName: z.string().max(120).optional(),
	actionItems: z.array(actionItemSchema).default([]),
});
export type VisitEvent = z.infer<typeof visitEventSchema>;

/** "A recall is coming due": the recall workflow's event. */
export const recallDueSchema = z.object({
	kind: z.literal('recall'),
	...journeyBase,
	recallId: z.string().min(1),
	/** The date the patient is due back (e.g. annual exam), local to `zone`. */
	dueDate: isoDate,
	actionItem: actionItemSchema,
});
export type RecallDue = z.infer<typeof recallDueSchema>;

export const journeyEventSchema = z.discriminatedUnion('kind', [visitEventSchema, recallDueSchema]);
export type JourneyEvent = z.infer<typeof journeyEventSchema>;

/** Stable id of a journey across executions and workflows: "visit:fhir:enc-1", "recall:athenahealth:77". */
export function journeyIdOf(event: JourneyEvent): string {
	return event.kind === 'visit'
		? `visit:${event.ehr}:${event.visitId}`
		: `recall:${event.ehr}:${event.recallId}`;
}

/** Stable id of a patient across workflows: "athenahealth:195900:1234". */
export function patientKeyOf(event: Pick<JourneyEvent, 'ehr' | 'practiceId' | 'patientId'>): string {
	return [event.ehr, event.practiceId, event.patientId].filter(Boolean).join(':');
}

/** Parses unknown input into a JourneyEvent; a failure names the field, never its value. */
export function parseJourneyEvent(input: unknown): JourneyEvent {
	const result = journeyEventSchema.safeParse(input);
	if (!result.success) throw fromZodError(result.error, 'Journey event');
	return result.data;
}

export function parseVisitEvent(input: unknown): VisitEvent {
	const result = visitEventSchema.safeParse(input);
	if (!result.success) throw fromZodError(result.error, 'Visit event');
	return result.data;
}

export function parseRecallDue(input: unknown): RecallDue {
	const result = recallDueSchema.safeParse(input);
	if (!result.success) throw fromZodError(result.error, 'Recall event');
	return result.data;
}
