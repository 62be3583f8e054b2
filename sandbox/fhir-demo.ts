import type { Encounter, Patient, ServiceRequest } from '@medplum/fhirtypes';

import type { DemoPatient } from './demo-patients';
import { createResource, timezoneExtension } from './fhir-server';
import type { FhirServer } from './fhir-server';

function patientResource(patient: DemoPatient, zone: string): Patient {
	const telecom: NonNullable<Patient['telecom']> = [];
	if (patient.mobile) telecom.push({ system: 'phone', use: 'mobile', value: patient.mobile });
	if (patient.landline) telecom.push({ system: 'phone', use: 'home', value: patient.landline });
	if (patient.email) telecom.push({ system: 'email', value: patient.email });
	return {
		resourceType: 'Patient',
		id: `demo-${patient.key}`,
		name: [{ given: [patient.firstName], family: patient.lastName }],
		birthDate: patient.birthDate,
		telecom,
		communication: [{ language: { coding: [{ system: 'urn:ietf:bcp:47', code: patient.language }] }, preferred: true }],
		extension: [timezoneExtension(zone)],
	};
}

/** Puts a demo patient on the FHIR server (idempotent: same id each time). */
export async function ensureFhirPatient(server: FhirServer, patient: DemoPatient, zone = patient.zone): Promise<string> {
	const resource = patientResource(patient, zone);
	await server.repo.updateResource(resource as Patient & { id: string }).catch(async () => await createResource(server.repo, resource));
	return resource.id as string;
}

/**
 * A visit that just finished: a finished Encounter with a follow-up order (what a clinician leaves in the
 * chart at checkout). Returns the encounter id the notification names.
 */
export async function closeFhirVisit(
	server: FhirServer,
	patientId: string,
	options: { completedAt: string; followUp?: 'followUpVisit' | 'imaging' | 'lab' },
): Promise<{ encounterId: string; orderId: string }> {
	const encounter = await createResource<Encounter>(server.repo, {
		resourceType: 'Encounter',
		status: 'finished',
		class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB' },
		subject: { reference: `Patient/${patientId}` },
		period: { start: options.completedAt, end: options.completedAt },
	});
	const order: ServiceRequest = {
		resourceType: 'ServiceRequest',
		status: 'active',
		intent: 'order',
		subject: { reference: `Patient/${patientId}` },
		encounter: { reference: `Encounter/${encounter.id}` },
		authoredOn: options.completedAt,
		...(options.followUp === 'imaging'
			? { category: [{ coding: [{ system: 'http://snomed.info/sct', code: '363679005' }] }], patientInstruction: 'Schedule your imaging study' }
			: options.followUp === 'lab'
				? { category: [{ coding: [{ system: 'http://snomed.info/sct', code: '108252007' }] }], patientInstruction: 'Get your lab work done' }
				: {
						code: { coding: [{ system: 'http://snomed.info/sct', code: '390906007' }], text: 'Follow-up visit' },
						patientInstruction: 'Book your 2-week follow-up visit',
					}),
	};
	const created = await createResource(server.repo, order);
	return { encounterId: encounter.id, orderId: created.id };
}

/** The patient books the follow-up (what the Booking Check will find). */
export async function bookFhirFollowUp(server: FhirServer, patientId: string, start: string): Promise<string> {
	const appointment = await createResource(server.repo, {
		resourceType: 'Appointment',
		status: 'booked',
		start,
		end: new Date(Date.parse(start) + 20 * 60_000).toISOString(),
		participant: [{ actor: { reference: `Patient/${patientId}` }, status: 'accepted' }],
	});
	return appointment.id;
}

/** An R4 Subscriptions-Backport id-only event notification naming the finished encounter. */
export function fhirBackportNotification(encounterId: string, eventNumber: number): Record<string, unknown> {
	const now = new Date().toISOString();
	return {
		resourceType: 'Bundle',
		type: 'history',
		timestamp: now,
		entry: [
			{
				fullUrl: 'urn:uuid:' + crypto.randomUUID(),
				resource: {
					resourceType: 'Parameters',
					parameter: [
						{ name: 'subscription', valueReference: { reference: 'Subscription/post-visit-demo' } },
						{ name: 'topic', valueCanonical: 'http://hl7.org/fhir/uv/subscriptions-backport/SubscriptionTopic/encounter-complete' },
						{ name: 'status', valueCode: 'active' },
						{ name: 'type', valueCode: 'event-notification' },
						{ name: 'events-since-subscription-start', valueString: String(eventNumber) },
						{
							name: 'notification-event',
							part: [
								{ name: 'event-number', valueString: String(eventNumber) },
								{ name: 'timestamp', valueInstant: now },
								{ name: 'focus', valueReference: { reference: `Encounter/${encounterId}` } },
							],
						},
					],
				},
				request: { method: 'GET', url: 'Subscription/post-visit-demo/$status' },
				response: { status: '200' },
			},
			{ fullUrl: `Encounter/${encounterId}`, request: { method: 'PUT', url: `Encounter/${encounterId}` }, response: { status: '200' } },
		],
	};
}
