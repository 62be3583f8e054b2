import { DateTime } from 'luxon';
import { z } from 'zod';

import { parseVendor } from '../http';
import { EHR } from './soap';

/** Tebra sends every value as element text; an empty or nil element reads as ''. */
const text = z.preprocess((value) => (value === null || value === undefined || typeof value === 'object' ? '' : String(value)), z.string());
const id = z.preprocess((value) => (typeof value === 'number' ? String(value) : value), z.string().min(1));

/** One row of GetAppointments (guide §4.2.2). */
export const appointmentRowSchema = z
	.object({
		ID: id,
		PatientID: text,
		PracticeID: text,
		ServiceLocationID: text,
		ConfirmationStatus: text,
		StartDate: text,
		EndDate: text,
		CreatedDate: text,
		LastModifiedDate: text,
		Type: text,
		AppointmentReason1: text,
	})
	.partial({ PatientID: true, PracticeID: true, ServiceLocationID: true, StartDate: true, EndDate: true, CreatedDate: true, LastModifiedDate: true, Type: true, AppointmentReason1: true });
export type AppointmentRow = z.infer<typeof appointmentRowSchema>;

export const appointmentsResultSchema = z.object({
	Appointments: z
		.preprocess((value) => (value === '' ? {} : value), z.object({ AppointmentData: z.array(z.unknown()).default([]) }))
		.default({ AppointmentData: [] }),
});

/** GetAppointment's `Appointment` (guide §4.1.2): status enum, start/end in UTC, the patient summary. */
export const appointmentSchema = z.object({
	AppointmentID: id.optional(),
	AppointmentStatus: text,
	StartTime: text.optional(),
	EndTime: text.optional(),
	PatientID: text.optional(),
	PracticeID: text.optional(),
	ServiceLocationID: text.optional(),
	PatientSummary: z.array(z.object({ PatientID: text.optional() }).passthrough()).optional(),
});
export type TebraAppointment = z.infer<typeof appointmentSchema>;

/** GetPatient's `Patient` (guide §4.5.2): the contact fields the journey needs; no language, no consent flags. */
export const patientSchema = z.object({
	PatientID: text.optional(),
	FirstName: text,
	MobilePhone: text.optional(),
	HomePhone: text.optional(),
	WorkPhone: text.optional(),
	/** The address's ZIP code and country: only for the patient's zone (core/patientZone.ts). */
	ZipCode: text.optional(),
	Country: text.optional(),
	EmailAddress: text.optional(),
});
export type TebraPatient = z.infer<typeof patientSchema>;

export const practicesResultSchema = z.object({
	Practices: z
		.preprocess((value) => (value === '' ? {} : value), z.object({ PracticeData: z.array(z.object({ ID: text, PracticeName: text }).passthrough()).default([]) }))
		.default({ PracticeData: [] }),
});

export function parseTebra<T>(schema: z.ZodType<T, z.ZodTypeDef, unknown>, body: unknown): T {
	return parseVendor(schema as unknown as z.ZodType<T>, body, EHR);
}

/** The statuses of a row that mean "checked out": the guide lists "Check-out"; clients see "CheckedOut". */
export function isCheckedOut(status: string | undefined): boolean {
	return ['checkout', 'checkedout'].includes((status ?? '').replace(/[\s_-]/g, '').toLowerCase());
}

/** Normalised status of a row: lowercase letters only ("No-show" → "noshow"). */
export function statusKey(status: string | undefined): string {
	return (status ?? '').replace(/[^a-z]/gi, '').toLowerCase();
}

/** The date-time formats Tebra's answers and filters use: ISO (UTC) and US "M/d/yyyy h:mm:ss a". */
const usFormats = ['M/d/yyyy h:mm:ss a', 'M/d/yyyy H:mm:ss', 'M/d/yyyy h:mm a', 'M/d/yyyy'];

/** A Tebra date-time as an instant; a value without offset is read in `zone` (the practice's). */
export function tebraInstant(value: string | undefined, zone: string): DateTime | undefined {
	if (!value) return undefined;
	const iso = DateTime.fromISO(value, { zone, setZone: true });
	if (iso.isValid) return iso;
	for (const format of usFormats) {
		const parsed = DateTime.fromFormat(value, format, { zone });
		if (parsed.isValid) return parsed;
	}
	return undefined;
}

/** A filter date-time in the practice's zone, as the guide's examples write them ("6/10/2025 8:00:00 AM"). */
export function tebraFilterTime(instant: DateTime, zone: string): string {
	return instant.setZone(zone).toFormat('M/d/yyyy h:mm:ss a');
}
