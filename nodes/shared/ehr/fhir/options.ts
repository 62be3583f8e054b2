import type { ActionItemType } from '../../core/schemas';
import type { RetryPolicy } from '../http';
import type { HttpClient } from '../types';
import type { FhirClient } from './client';
import type { EcwPresetOptions } from './ecw';
import type { CallBudget } from './ecwBudget';

export type FhirPollMode = 'encounter' | 'appointment' | 'perPatient';

export interface FhirAdapterOptions {
	/** The FHIR base URL: makes Task links, and keeps paging links and focus references on the same server. */
	baseUrl?: string;
	/**
	 * How pollChanges finds completed visits:
	 * - `encounter` (default): `Encounter?status=finished&_lastUpdated=ge…&_sort=_lastUpdated` server-wide;
	 * - `appointment`: the same over `Appointment?status=fulfilled`;
	 * - `perPatient`: for servers that refuse searches without a patient (Epic): the day's patients come from
	 *   `pollPatients`, or from `Appointment?date=ge{yesterday}&date=lt{tomorrow}` narrowed by `perPatient`'s
	 *   practitioner/location, then `Encounter?patient=…&status=finished&date=ge{yesterday}` per patient.
	 */
	pollMode?: FhirPollMode;
	pageSize?: number;
	/** Pages read per search before stopping (the cursor resumes where it stopped). */
	maxPages?: number;
	perPatient?: { practitioner?: string; location?: string; zone?: string };
	/** Patient ids to poll in perPatient mode (e.g. from a patient list); replaces the appointment lookup. */
	pollPatients?: (now: Date) => Promise<string[]>;
	/** Country code for national-format phone numbers; default "1" (NANP). */
	defaultCountryCode?: string;
	/** What a ServiceRequest the mapping does not recognise becomes; default `skip`. */
	unmappedOrders?: 'skip' | ActionItemType;
	/** `code` tokens (`system|code`) that mark a ServiceRequest as a recall. Default: SNOMED follow-up visit codes. */
	recallCodes?: string[];
	/** `category` tokens that mark a ServiceRequest as a recall; given alone, they replace the default codes. */
	recallCategories?: string[];
	/**
	 * Canonical URLs of the ValueSets whose codes the Booking Check offers as appointment types. Default: the one
	 * FHIR R4 binds Appointment.appointmentType to (HL7 v2 table 0276).
	 */
	appointmentTypeValueSets?: string[];
	/** The eClinicalWorks preset: its search limits, completion rule, call budget and writeback switch. */
	ecw?: EcwPresetOptions;
}

export interface FhirAdapterConfig {
	http: HttpClient;
	retry?: RetryPolicy;
	/** The eClinicalWorks call budget (tests inject a clock); default the process-wide one. */
	budget?: CallBudget;
	options?: FhirAdapterOptions;
}

/** What every capability of the FHIR adapter works with: one client, the options, the page size asked for. */
export interface FhirShared {
	client: FhirClient;
	options: FhirAdapterOptions;
	pageSize: number;
}
