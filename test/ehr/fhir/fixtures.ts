import type { MemoryRepository } from '@medplum/fhir-router';
import type {
	Appointment,
	Encounter,
	Extension,
	Location,
	MedicationDispense,
	MedicationRequest,
	Organization,
	Patient,
	ServiceRequest,
} from '@medplum/fhirtypes';

import type { ResolveContext } from '../../../nodes/shared/ehr/types';
import { consentExtensionUrl, createFhirAdapter } from '../../../nodes/shared/ehr/fhir';
import { createResource, timezoneExtension } from '../../../sandbox/fhir-server';
import type { FhirServer } from '../../../sandbox/fhir-server';
import { fetchHttpClient, instantRetryPolicy } from '../../helpers/fetchHttpClient';
import { requestRounds } from '../../helpers/requestRounds';

export const snomed = 'http://snomed.info/sct';

export const context: ResolveContext = {
	defaultZone: 'America/Chicago',
	defaultLanguage: 'en',
	schedulingLinks: {
		followUpVisit: 'https://book.example-practice.test/follow-up?order={orderId}&patient={patientId}',
		default: 'https://book.example-practice.test/visit/{visitId}',
	},
};

export interface PatientSeed {
	id: string;
	zone?: string;
	organization?: string;
	consent?: { sms?: boolean; email?: boolean; voice?: boolean };
	telecom?: Patient['telecom'];
	address?: Patient['address'];
	communication?: Patient['communication'];
	name?: Patient['name'];
}

export function patientResource(seed: PatientSeed): Patient {
	const extension: Extension[] = [];
	if (seed.zone) extension.push(timezoneExtension(seed.zone));
	if (seed.consent) {
		extension.push({
			url: consentExtensionUrl,
			extension: Object.entries(seed.consent).map(([url, valueBoolean]) => ({ url, valueBoolean })),
		});
	}
	return {
		resourceType: 'Patient',
		id: seed.id,
		name: seed.name ?? [{ use: 'official', given: ['Maria', 'Luisa'], family: 'Garcia' }],
		telecom: seed.telecom ?? [
			{ system: 'phone', value: '(512) 555-0100', use: 'mobile', rank: 2 },
			{ system: 'phone', value: '512-555-0111', use: 'home' },
			{ system: 'email', value: 'maria@example.test', rank: 1 },
		],
		address: seed.address,
		communication: seed.communication ?? [
			{ language: { coding: [{ system: 'urn:ietf:bcp:47', code: 'es' }] }, preferred: true },
		],
		extension: extension.length > 0 ? extension : undefined,
		managingOrganization: seed.organization ? { reference: `Organization/${seed.organization}` } : undefined,
	};
}

export async function seedPatient(repo: MemoryRepository, seed: PatientSeed): Promise<Patient> {
	return await createResource(repo, patientResource(seed));
}

export async function seedLocation(repo: MemoryRepository, id: string, zone?: string, organization?: string): Promise<Location> {
	return await createResource(repo, {
		resourceType: 'Location',
		id,
		name: 'Main Street Clinic',
		extension: zone ? [timezoneExtension(zone)] : undefined,
		managingOrganization: organization ? { reference: `Organization/${organization}` } : undefined,
	} as Location);
}

export async function seedOrganization(repo: MemoryRepository, id: string, zone?: string): Promise<Organization> {
	return await createResource(repo, {
		resourceType: 'Organization',
		id,
		name: 'Example Family Practice',
		extension: zone ? [timezoneExtension(zone)] : undefined,
	} as Organization);
}

export interface EncounterSeed {
	id: string;
	patient: string;
	status?: Encounter['status'];
	end?: string;
	location?: string;
	organization?: string;
	lastUpdated?: string;
}

export function encounterResource(seed: EncounterSeed): Encounter {
	const end = seed.end ?? '2026-03-10T15:30:00Z';
	return {
		resourceType: 'Encounter',
		id: seed.id,
		meta: seed.lastUpdated ? { lastUpdated: seed.lastUpdated } : undefined,
		status: seed.status ?? 'finished',
		class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB' },
		subject: { reference: `Patient/${seed.patient}` },
		period: { start: new Date(Date.parse(end) - 30 * 60_000).toISOString(), end },
		location: seed.location ? [{ location: { reference: `Location/${seed.location}` } }] : undefined,
		serviceProvider: seed.organization ? { reference: `Organization/${seed.organization}` } : undefined,
		participant: [
			{
				type: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType', code: 'ATND' }] }],
				individual: { reference: 'Practitioner/dr1', display: 'Dr. Avery Chen' },
			},
		],
	};
}

export async function seedEncounter(repo: MemoryRepository, seed: EncounterSeed): Promise<Encounter> {
	return await createResource(repo, encounterResource(seed));
}

export interface AppointmentSeed {
	id: string;
	patient: string;
	status: Appointment['status'];
	start: string;
	minutes?: number;
	created?: string;
	location?: string;
	type?: string;
	practitioner?: string;
	lastUpdated?: string;
}

export function appointmentResource(seed: AppointmentSeed): Appointment {
	const end = new Date(Date.parse(seed.start) + (seed.minutes ?? 30) * 60_000).toISOString();
	const participant: Appointment['participant'] = [
		{ actor: { reference: `Patient/${seed.patient}` }, status: 'accepted' },
		{ actor: { reference: `Practitioner/${seed.practitioner ?? 'dr1'}`, display: 'Dr. Avery Chen' }, status: 'accepted' },
	];
	if (seed.location) participant.push({ actor: { reference: `Location/${seed.location}` }, status: 'accepted' });
	return {
		resourceType: 'Appointment',
		id: seed.id,
		meta: seed.lastUpdated ? { lastUpdated: seed.lastUpdated } : undefined,
		status: seed.status,
		start: seed.start,
		end,
		created: seed.created,
		appointmentType: seed.type ? { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0276', code: seed.type }] } : undefined,
		participant,
	};
}

export async function seedAppointment(repo: MemoryRepository, seed: AppointmentSeed): Promise<Appointment> {
	return await createResource(repo, appointmentResource(seed));
}

export interface OrderSeed {
	id: string;
	patient: string;
	encounter?: string;
	status?: ServiceRequest['status'];
	intent?: ServiceRequest['intent'];
	category?: string;
	code?: { system: string; code: string };
	text?: string;
	patientInstruction?: string;
	occurrenceDateTime?: string;
	occurrencePeriod?: { start?: string; end?: string };
	authoredOn?: string;
	location?: string;
}

export async function seedServiceRequest(repo: MemoryRepository, seed: OrderSeed): Promise<ServiceRequest> {
	return await createResource(repo, {
		resourceType: 'ServiceRequest',
		id: seed.id,
		status: seed.status ?? 'active',
		intent: seed.intent ?? 'order',
		subject: { reference: `Patient/${seed.patient}` },
		encounter: seed.encounter ? { reference: `Encounter/${seed.encounter}` } : undefined,
		category: seed.category ? [{ coding: [{ system: snomed, code: seed.category }] }] : undefined,
		code: seed.code || seed.text ? { coding: seed.code ? [seed.code] : undefined, text: seed.text } : undefined,
		patientInstruction: seed.patientInstruction,
		occurrenceDateTime: seed.occurrenceDateTime,
		occurrencePeriod: seed.occurrencePeriod,
		authoredOn: seed.authoredOn ?? '2026-03-10T15:20:00Z',
		locationReference: seed.location ? [{ reference: `Location/${seed.location}` }] : undefined,
	});
}

export async function seedMedicationRequest(
	repo: MemoryRepository,
	seed: { id: string; patient: string; encounter?: string; status?: MedicationRequest['status']; authoredOn?: string },
): Promise<MedicationRequest> {
	return await createResource(repo, {
		resourceType: 'MedicationRequest',
		id: seed.id,
		status: seed.status ?? 'active',
		intent: 'order',
		subject: { reference: `Patient/${seed.patient}` },
		encounter: seed.encounter ? { reference: `Encounter/${seed.encounter}` } : undefined,
		medicationCodeableConcept: { text: 'Lisinopril 10 mg tablet' },
		authoredOn: seed.authoredOn ?? '2026-03-10T15:25:00Z',
	});
}

export async function seedDispense(
	repo: MemoryRepository,
	seed: { id: string; patient: string; prescription: string; status: MedicationDispense['status'] },
): Promise<MedicationDispense> {
	return await createResource(repo, {
		resourceType: 'MedicationDispense',
		id: seed.id,
		status: seed.status,
		subject: { reference: `Patient/${seed.patient}` },
		authorizingPrescription: [{ reference: `MedicationRequest/${seed.prescription}` }],
		medicationCodeableConcept: { text: 'Lisinopril 10 mg tablet' },
	});
}

/** An adapter on `server` whose answers are held back a little, each request's round noted (requestRounds). */
export function adapterRecordingRounds(server: FhirServer, refuse?: (path: string) => boolean) {
	const { http, rounds, sent } = requestRounds(fetchHttpClient(server.url), refuse);
	return { adapter: createFhirAdapter({ http, retry: instantRetryPolicy(), options: { baseUrl: server.url } }), rounds, sent };
}
