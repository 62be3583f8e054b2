import { z } from 'zod';

/**
 * The few FHIR R4 fields the adapter reads, validated at the boundary. Everything is optional except what
 * the adapter cannot work without (resourceType, id, status); unknown fields are dropped.
 */

export const EHR = 'fhir';

export const referenceSchema = z.object({ reference: z.string().optional(), display: z.string().optional() });
export type FhirReference = z.infer<typeof referenceSchema>;

export const codingSchema = z.object({
	system: z.string().optional(),
	code: z.string().optional(),
	display: z.string().optional(),
});
export const codeableConceptSchema = z.object({ coding: z.array(codingSchema).optional(), text: z.string().optional() });
export type CodeableConcept = z.infer<typeof codeableConceptSchema>;

export interface FhirExtension {
	url: string;
	valueCode?: string;
	valueString?: string;
	valueBoolean?: boolean;
	extension?: FhirExtension[];
}
export const extensionSchema: z.ZodType<FhirExtension> = z.lazy(() =>
	z.object({
		url: z.string(),
		valueCode: z.string().optional(),
		valueString: z.string().optional(),
		valueBoolean: z.boolean().optional(),
		extension: z.array(extensionSchema).optional(),
	}),
);

export const metaSchema = z.object({ versionId: z.string().optional(), lastUpdated: z.string().optional() });
const periodSchema = z.object({ start: z.string().optional(), end: z.string().optional() });
const id = z.string().min(1);

export const encounterSchema = z.object({
	resourceType: z.literal('Encounter'),
	id,
	meta: metaSchema.optional(),
	status: z.string(),
	subject: referenceSchema.optional(),
	period: periodSchema.optional(),
	location: z.array(z.object({ location: referenceSchema, status: z.string().optional() })).optional(),
	serviceProvider: referenceSchema.optional(),
	participant: z
		.array(z.object({ type: z.array(codeableConceptSchema).optional(), individual: referenceSchema.optional() }))
		.optional(),
});
export type Encounter = z.infer<typeof encounterSchema>;

export const appointmentSchema = z.object({
	resourceType: z.literal('Appointment'),
	id,
	meta: metaSchema.optional(),
	status: z.string(),
	start: z.string().optional(),
	end: z.string().optional(),
	created: z.string().optional(),
	appointmentType: codeableConceptSchema.optional(),
	serviceType: z.array(codeableConceptSchema).optional(),
	participant: z
		.array(z.object({ actor: referenceSchema.optional(), status: z.string().optional() }))
		.optional(),
});
export type Appointment = z.infer<typeof appointmentSchema>;

export const contactPointSchema = z.object({
	system: z.string().optional(),
	value: z.string().optional(),
	use: z.string().optional(),
	rank: z.number().optional(),
	period: periodSchema.optional(),
});
export type ContactPoint = z.infer<typeof contactPointSchema>;

export const patientSchema = z.object({
	resourceType: z.literal('Patient'),
	id,
	name: z
		.array(z.object({ use: z.string().optional(), given: z.array(z.string()).optional(), text: z.string().optional() }))
		.optional(),
	telecom: z.array(contactPointSchema).optional(),
	/** Only what the zone needs (the postal code); the rest of the address is never read. */
	address: z
		.array(
			z.object({
				use: z.string().optional(),
				postalCode: z.string().optional(),
				country: z.string().optional(),
				period: z.object({ end: z.string().optional() }).optional(),
			}),
		)
		.optional(),
	communication: z
		.array(z.object({ language: codeableConceptSchema, preferred: z.boolean().optional() }))
		.optional(),
	extension: z.array(extensionSchema).optional(),
	managingOrganization: referenceSchema.optional(),
});
export type Patient = z.infer<typeof patientSchema>;

export const locationSchema = z.object({
	resourceType: z.literal('Location'),
	id,
	extension: z.array(extensionSchema).optional(),
	managingOrganization: referenceSchema.optional(),
});
export type Location = z.infer<typeof locationSchema>;

export const organizationSchema = z.object({
	resourceType: z.literal('Organization'),
	id,
	extension: z.array(extensionSchema).optional(),
});
export type Organization = z.infer<typeof organizationSchema>;

export const serviceRequestSchema = z.object({
	resourceType: z.literal('ServiceRequest'),
	id,
	meta: metaSchema.optional(),
	status: z.string(),
	intent: z.string().optional(),
	category: z.array(codeableConceptSchema).optional(),
	code: codeableConceptSchema.optional(),
	patientInstruction: z.string().optional(),
	occurrenceDateTime: z.string().optional(),
	occurrencePeriod: periodSchema.optional(),
	subject: referenceSchema.optional(),
	encounter: referenceSchema.optional(),
	locationReference: z.array(referenceSchema).optional(),
});
export type ServiceRequest = z.infer<typeof serviceRequestSchema>;

export const medicationRequestSchema = z.object({
	resourceType: z.literal('MedicationRequest'),
	id,
	status: z.string(),
	intent: z.string().optional(),
	subject: referenceSchema.optional(),
});
export type MedicationRequest = z.infer<typeof medicationRequestSchema>;

export const medicationDispenseSchema = z.object({
	resourceType: z.literal('MedicationDispense'),
	id,
	status: z.string(),
});

/** A code system's concepts as a ValueSet lists them: expanded (`contains`, nested) or composed (`concept`). */
export interface ValueSetEntry {
	system?: string;
	code?: string;
	display?: string;
	contains?: ValueSetEntry[];
}
const valueSetEntrySchema: z.ZodType<ValueSetEntry> = z.lazy(() =>
	codingSchema.extend({ contains: z.array(valueSetEntrySchema).optional() }),
);
export const valueSetSchema = z.object({
	resourceType: z.literal('ValueSet'),
	url: z.string().optional(),
	expansion: z.object({ contains: z.array(valueSetEntrySchema).optional() }).optional(),
	compose: z
		.object({
			include: z.array(z.object({ system: z.string().optional(), concept: z.array(codingSchema.omit({ system: true })).optional() })).optional(),
		})
		.optional(),
});
export type ValueSet = z.infer<typeof valueSetSchema>;

export const createdSchema = z.object({ resourceType: z.string(), id });

export const bundleSchema = z.object({
	resourceType: z.literal('Bundle'),
	id: z.string().optional(),
	type: z.string().optional(),
	total: z.number().optional(),
	link: z.array(z.object({ relation: z.string(), url: z.string() })).optional(),
	entry: z
		.array(
			z.object({
				fullUrl: z.string().optional(),
				resource: z.unknown().optional(),
				search: z.object({ mode: z.string().optional() }).optional(),
			}),
		)
		.optional(),
});
export type Bundle = z.infer<typeof bundleSchema>;

export const operationOutcomeSchema = z.object({
	resourceType: z.literal('OperationOutcome'),
	issue: z
		.array(
			z.object({
				severity: z.string().optional(),
				code: z.string().optional(),
				diagnostics: z.string().optional(),
				details: codeableConceptSchema.optional(),
			}),
		)
		.min(1),
});
