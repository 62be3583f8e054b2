import { z } from 'zod';

/**
 * athenaOne's proprietary JSON is loosely typed: ids arrive as strings or numbers, booleans as true or "true",
 * and single-resource GETs (appointment, patient, department, encounter) answer with a one-element array.
 * Only the fields the adapter uses are kept (zod strips the rest), so clinical free text never travels on.
 */
export const idString = z.union([z.string().min(1), z.number()]).transform(String);

export const boolish = z.preprocess((value) => {
	if (typeof value !== 'string') return value;
	const normalised = value.trim().toLowerCase();
	if (['true', 'y', 'yes', '1'].includes(normalised)) return true;
	if (['false', 'n', 'no', '0', ''].includes(normalised)) return false;
	return value;
}, z.boolean());

const numberish = z.union([z.number(), z.string().regex(/^-?\d+(\.\d+)?$/).transform(Number)]);

/** A single-resource GET: `[ {...} ]` (what athena sends) or a bare object. */
export function oneOf<T extends z.ZodTypeAny>(schema: T) {
	return z.union([z.array(schema).min(1).transform((items) => items[0] as z.infer<T>), schema]);
}

export const appointmentSchema = z.object({
	appointmentid: idString,
	/** x cancelled, f future, o open slot, 2 checked in, 3 checked out, 4 charge entered. */
	appointmentstatus: z.string().min(1),
	patientid: idString.optional(),
	departmentid: idString.optional(),
	appointmenttypeid: idString.optional(),
	providerid: idString.optional(),
	/** MM/DD/YYYY, local to the department. */
	date: z.string().optional(),
	/** HH:mm, local to the department. */
	starttime: z.string().optional(),
	duration: numberish.optional(),
	encounterid: idString.optional(),
	encounterstatus: z.string().optional(),
	/** MM/DD/YYYY HH:mm:ss. */
	lastmodified: z.string().optional(),
	checkoutdatetime: z.string().optional(),
	scheduleddatetime: z.string().optional(),
	cancelleddatetime: z.string().optional(),
	cancelreasonnoshow: boolish.optional(),
	rescheduledappointmentid: idString.optional(),
});
export type AthenaAppointment = z.infer<typeof appointmentSchema>;

export const patientSchema = z.object({
	patientid: idString.optional(),
	firstname: z.string().optional(),
	mobilephone: z.string().optional(),
	homephone: z.string().optional(),
	/** The home address's ZIP code and country: only for the patient's zone (core/patientZone.ts). */
	zip: z.string().optional(),
	countrycode3166: z.string().optional(),
	email: z.string().optional(),
	consenttotext: boolish.optional(),
	consenttocall: boolish.optional(),
	donotcall: boolish.optional(),
	language6392code: z.string().optional(),
	language: z.string().optional(),
	contactpreference: z.string().optional(),
	status: z.string().optional(),
	departmentid: idString.optional(),
	primarydepartmentid: idString.optional(),
});
export type AthenaPatient = z.infer<typeof patientSchema>;

export const departmentSchema = z.object({
	departmentid: idString.optional(),
	/** Seen in recorded responses as "US/Eastern" (an IANA link name). */
	timezonename: z.string().optional(),
	/** The "normal" offset from UTC in hours, e.g. -5. */
	timezoneoffset: numberish.optional(),
	/** The current offset (timezoneoffset adjusted for DST). */
	timezone: numberish.optional(),
	doesnotobservedst: boolish.optional(),
});
export type AthenaDepartment = z.infer<typeof departmentSchema>;

export const encounterSchema = z.object({
	encounterid: idString,
	appointmentid: idString.optional(),
	patientid: idString.optional(),
	departmentid: idString.optional(),
	/** OPEN, CLOSED (signed off), DELETED, PEND, TEMP… */
	status: z.string().optional(),
	/** MM/DD/YYYY */
	encounterdate: z.string().optional(),
});
export type AthenaEncounter = z.infer<typeof encounterSchema>;

/**
 * GET /chart/{patientid}/encounters: `{ encounters: [...] }` in two public clients (an OpenAPI-generated one and a
 * C# SDK), each with encounterid, appointmentid, departmentid, encounterdate, status, encountertype.
 */
export const encounterListSchema = z.object({
	encounters: z.array(encounterSchema.extend({ encountertype: z.string().optional() })).default([]),
	next: z.string().optional(),
	totalcount: numberish.optional(),
});
export type AthenaListedEncounter = z.infer<typeof encounterListSchema>['encounters'][number];

/** GET /departments: the practice's departments (the sandbox and athena's recorded answers agree). */
export const departmentListSchema = z.object({
	departments: z.array(z.object({ departmentid: idString })).default([]),
});

export const orderSchema = z.object({
	orderid: idString,
	/** PRESCRIPTION, LAB, IMAGING, REFERRAL, PATIENTINFO, VACCINE, ORDER (with ordertype "Imaging"/"Lab")… */
	class: z.string().optional(),
	ordertype: z.string().optional(),
	status: z.string().optional(),
	documentationonly: boolish.optional(),
});
export type AthenaOrder = z.infer<typeof orderSchema>;

/** GET /chart/encounter/{id}/orders: orders grouped by diagnosis. */
export const encounterOrdersSchema = z.union([
	z.array(z.object({ orders: z.array(orderSchema).default([]) })),
	z.object({ orders: z.array(orderSchema).default([]) }).transform((group) => [group]),
]);

export const appointmentListSchema = z.object({
	appointments: z.array(appointmentSchema).default([]),
	next: z.string().optional(),
	totalcount: numberish.optional(),
});

/** GET /appointmenttypes: the practice's appointment types, paged like other athena lists. */
export const appointmentTypeListSchema = z.object({
	appointmenttypes: z
		.array(
			z.object({
				appointmenttypeid: idString,
				name: z.string().min(1),
				shortname: z.string().optional(),
				duration: numberish.optional(),
				patient: boolish.optional(),
				templatetypeonly: boolish.optional(),
			}),
		)
		.default([]),
	next: z.string().optional(),
	totalcount: numberish.optional(),
});

export const successSchema = z.object({
	success: boolish.optional(),
	errormessage: z.string().optional(),
});

export const patientCaseCreatedSchema = z.object({
	success: boolish.optional(),
	patientcaseid: idString.optional(),
	errormessage: z.string().optional(),
});

/** athena's error bodies: `{ error, detailedmessage }`; some answer 200 with `{ success: false, errormessage }`. */
export const errorBodySchema = z
	.object({
		error: z.string().optional(),
		detailedmessage: z.string().optional(),
		errormessage: z.string().optional(),
		message: z.string().optional(),
	})
	.partial();

/** The token endpoint's OAuth error body. */
export const oauthErrorSchema = z.object({ error: z.string().optional(), error_description: z.string().optional() });

export const tokenResponseSchema = z.object({
	access_token: z.string().min(1),
	token_type: z.string().optional(),
	expires_in: numberish.optional(),
});

// ---- FHIR Subscriptions Backport notification (athena Event Subscription Platform) ----

const identifierSchema = z.object({ system: z.string().optional(), value: z.string().optional() }).passthrough();

export const fhirReferenceSchema = z
	.object({ reference: z.string().optional(), identifier: identifierSchema.optional() })
	.passthrough();
export type FhirReference = z.infer<typeof fhirReferenceSchema>;

export const notificationEventSchema = z
	.object({
		id: z.string().min(1).optional(),
		eventNumber: z.union([z.string(), z.number()]).optional(),
		timestamp: z.string().optional(),
		focus: fhirReferenceSchema.optional(),
		additionalContext: z.array(fhirReferenceSchema).optional(),
	})
	.passthrough();

export const subscriptionStatusSchema = z
	.object({
		resourceType: z.literal('SubscriptionStatus'),
		type: z.enum(['handshake', 'heartbeat', 'event-notification', 'query-status', 'query-event']),
		topic: z.string().optional(),
		notificationEvent: z.array(notificationEventSchema).optional(),
	})
	.passthrough();

export const auditEventSchema = z
	.object({
		resourceType: z.literal('AuditEvent'),
		id: z.string().min(1),
		type: z.object({ code: z.string().optional() }).passthrough().optional(),
		extension: z
			.array(z.object({ url: z.string().optional(), valueReference: fhirReferenceSchema.optional() }).passthrough())
			.optional(),
	})
	.passthrough();
export type AuditEvent = z.infer<typeof auditEventSchema>;

export const notificationBundleSchema = z.object({
	resourceType: z.literal('Bundle'),
	type: z.literal('history'),
	entry: z.array(z.object({ resource: z.unknown().optional() }).passthrough()).min(1),
});
