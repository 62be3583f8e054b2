import { DomainError } from '../../../nodes/shared/core/errors';
import { parseVisitEvent } from '../../../nodes/shared/core/schemas';
import type { VisitEvent } from '../../../nodes/shared/core/schemas';
import { createFhirAdapter } from '../../../nodes/shared/ehr/fhir';
import type { NotificationEvent } from '../../../nodes/shared/ehr/types';
import { startFhirServer } from '../../../sandbox/fhir-server';
import type { FhirServer } from '../../../sandbox/fhir-server';
import { fetchHttpClient, instantRetryPolicy } from '../../helpers/fetchHttpClient';
import {
	adapterRecordingRounds,
	context,
	seedAppointment,
	seedEncounter,
	seedLocation,
	seedMedicationRequest,
	seedOrganization,
	seedPatient,
	seedServiceRequest,
	snomed,
} from './fixtures';

let server: FhirServer;

beforeAll(async () => {
	server = await startFhirServer();
});

afterAll(async () => {
	await server.close();
});

beforeEach(() => server.reset());

function adapter() {
	return createFhirAdapter({ http: fetchHttpClient(server.url), retry: instantRetryPolicy(), options: { baseUrl: server.url } });
}

function encounterEvent(id: string): NotificationEvent {
	return { ehr: 'fhir', eventId: `sub1#${id}`, topic: 'encounter-complete', resourceType: 'Encounter', resourceId: id };
}

async function resolved(event: NotificationEvent, ctx = context): Promise<VisitEvent> {
	const result = await adapter().resolveVisit(event, ctx);
	if (result.status !== 'completed') throw new Error(`expected a completed visit, got: ${result.reason}`);
	if (result.event.kind !== 'visit') throw new Error('expected a visit event');
	return result.event;
}

describe('resolveVisit from an Encounter', () => {
	beforeEach(async () => {
		await seedOrganization(server.repo, 'org1', 'America/New_York');
		await seedLocation(server.repo, 'loc1', 'America/Denver', 'org1');
		await seedPatient(server.repo, { id: 'p1', zone: 'America/Los_Angeles' });
		await seedEncounter(server.repo, { id: 'e1', patient: 'p1', location: 'loc1', organization: 'org1', end: '2026-03-11T05:30:00Z' });
		await seedServiceRequest(server.repo, {
			id: 'sr-follow-up',
			patient: 'p1',
			encounter: 'e1',
			code: { system: snomed, code: '390906007' },
			patientInstruction: 'Book a follow-up visit in 2 weeks',
			occurrencePeriod: { start: '2026-03-17', end: '2026-03-24' },
		});
		await seedServiceRequest(server.repo, {
			id: 'sr-lab',
			patient: 'p1',
			encounter: 'e1',
			category: '108252007',
			code: { system: 'http://loinc.org', code: '4548-4' },
			text: 'Hemoglobin A1c',
		});
		await seedServiceRequest(server.repo, { id: 'sr-imaging', patient: 'p1', encounter: 'e1', category: '363679005', text: 'Chest X-ray' });
		await seedServiceRequest(server.repo, { id: 'sr-referral', patient: 'p1', encounter: 'e1', category: '3457005' });
		await seedServiceRequest(server.repo, { id: 'sr-done', patient: 'p1', encounter: 'e1', category: '108252007', status: 'completed', text: 'Lipid panel' });
		await seedServiceRequest(server.repo, { id: 'sr-unmapped', patient: 'p1', encounter: 'e1', text: 'Something unusual' });
		await seedServiceRequest(server.repo, { id: 'sr-draft', patient: 'p1', encounter: 'e1', category: '108252007', status: 'draft' });
		await seedServiceRequest(server.repo, { id: 'sr-proposal', patient: 'p1', encounter: 'e1', category: '108252007', intent: 'proposal' });
		await seedServiceRequest(server.repo, { id: 'sr-other-visit', patient: 'p1', encounter: 'e-other', category: '108252007' });
		await seedMedicationRequest(server.repo, { id: 'mr1', patient: 'p1', encounter: 'e1' });
	});

	it('builds a VisitEvent that passes parseVisitEvent, with contact, zone and mapped orders', async () => {
		const event = await resolved(encounterEvent('e1'));
		expect(parseVisitEvent(event)).toEqual(event);
		expect(event).toMatchObject({
			kind: 'visit',
			ehr: 'fhir',
			patientId: 'p1',
			visitId: 'e1',
			visitType: 'encounter',
			zone: 'America/Los_Angeles',
			zoneSource: 'patient',
			completedAt: '2026-03-11T05:30:00.000Z',
			// 05:30Z on the 11th is still the 10th in Los Angeles.
			visitDate: '2026-03-10',
			providerName: 'Dr. Avery Chen',
			consent: { sms: true, email: true, voice: true },
			patient: {
				firstName: 'Maria',
				phones: [
					{ number: '+15125550100', kind: 'mobile' },
					{ number: '+15125550111', kind: 'unknown' },
				],
				email: 'maria@example.test',
				preferredChannel: 'email',
				language: 'es',
			},
		});
		const items = Object.fromEntries(event.actionItems.map((item) => [item.orderId, item]));
		expect(Object.keys(items).sort()).toEqual(['mr1', 'sr-done', 'sr-follow-up', 'sr-imaging', 'sr-lab', 'sr-referral']);
		expect(items['sr-follow-up']).toEqual({
			type: 'followUpVisit',
			description: 'Book a follow-up visit in 2 weeks',
			orderId: 'sr-follow-up',
			dueBy: '2026-03-24',
			schedulingLink: 'https://book.example-practice.test/follow-up?order=sr-follow-up&patient=p1',
			done: false,
		});
		expect(items['sr-lab']).toMatchObject({ type: 'lab', description: 'Hemoglobin A1c', done: false });
		expect(items['sr-imaging']).toMatchObject({ type: 'imaging', description: 'Chest X-ray' });
		expect(items['sr-referral']).toMatchObject({
			type: 'referral',
			description: 'Book your referral appointment',
			schedulingLink: 'https://book.example-practice.test/visit/e1',
		});
		expect(items['sr-done']).toMatchObject({ type: 'lab', done: true });
		expect(items.mr1).toMatchObject({ type: 'prescription', description: 'Pick up your prescription', done: false });
	});

	it('asks for orders by full encounter reference', async () => {
		await resolved(encounterEvent('e1'));
		const searches = server.requests.filter((request) => request.path === '/ServiceRequest' || request.path === '/MedicationRequest');
		expect(searches.map((request) => request.query.encounter)).toEqual([['Encounter/e1'], ['Encounter/e1']]);
	});

	it('maps unmapped orders when the option says so', async () => {
		const event = await createFhirAdapter({
			http: fetchHttpClient(server.url),
			options: { unmappedOrders: 'referral' },
		}).resolveVisit(encounterEvent('e1'), context);
		expect(event.status === 'completed' && event.event.kind === 'visit' && event.event.actionItems.find((i) => i.orderId === 'sr-unmapped'))
			.toMatchObject({ type: 'referral', description: 'Something unusual' });
	});

	it.each([
		['in-progress', 'Encounter status is in-progress, not finished'],
		['cancelled', 'Encounter status is cancelled, not finished'],
	] as const)('an encounter %s is not completed', async (status, reason) => {
		await seedEncounter(server.repo, { id: 'e2', patient: 'p1', status });
		await expect(adapter().resolveVisit(encounterEvent('e2'), context)).resolves.toEqual({ status: 'notCompleted', reason });
	});
});

describe('time zone chain', () => {
	/** No US number: the ZIP code and area code steps find nothing, so the EHR's own sources decide. */
	const emailOnly = [{ system: 'email' as const, value: 'maria@example.test' }];

	it.each([
		{
			name: 'home address ZIP code over the area code and the location',
			seed: { address: [{ use: 'home' as const, postalCode: '96813' }] },
			expected: ['Pacific/Honolulu', 'zip', undefined],
		},
		{
			name: 'current address, not the old one',
			seed: { address: [{ use: 'old' as const, postalCode: '96813' }, { use: 'home' as const, postalCode: '10001-2345' }] },
			expected: ['America/New_York', 'zip', undefined],
		},
		{
			name: 'mobile area code when the address has no US ZIP code',
			seed: { address: [{ use: 'home' as const, postalCode: 'SW1A 1AA', country: 'GB' }] },
			expected: ['America/Chicago', 'areaCode', undefined],
		},
		{
			name: 'every zone of a ZIP prefix that spans two',
			seed: { address: [{ use: 'home' as const, postalCode: '32401' }] },
			expected: ['America/Chicago', 'zip', ['America/New_York']],
		},
	])('derives the zone from the $name', async ({ seed, expected }) => {
		await seedLocation(server.repo, 'loc1', 'America/Denver');
		await seedPatient(server.repo, { id: 'p1', ...seed });
		await seedEncounter(server.repo, { id: 'e1', patient: 'p1', location: 'loc1' });
		const event = await resolved(encounterEvent('e1'));
		expect([event.zone, event.zoneSource, event.extraZones]).toEqual(expected);
	});

	it('keeps the patient extension over the ZIP code', async () => {
		await seedPatient(server.repo, { id: 'p1', zone: 'America/Los_Angeles', address: [{ use: 'home', postalCode: '10001' }] });
		await seedEncounter(server.repo, { id: 'e1', patient: 'p1' });
		const event = await resolved(encounterEvent('e1'));
		expect([event.zone, event.zoneSource]).toEqual(['America/Los_Angeles', 'patient']);
	});

	it.each([
		{ name: 'patient extension', patientZone: 'America/Los_Angeles', locationZone: 'America/Denver', orgZone: 'America/New_York', expected: ['America/Los_Angeles', 'patient'] },
		{ name: 'encounter location', patientZone: undefined, locationZone: 'America/Denver', orgZone: 'America/New_York', expected: ['America/Denver', 'location'] },
		{ name: 'managing organization', patientZone: undefined, locationZone: undefined, orgZone: 'America/New_York', expected: ['America/New_York', 'practice'] },
		{ name: 'practice default', patientZone: undefined, locationZone: undefined, orgZone: undefined, expected: ['America/Chicago', 'practice'] },
	])('takes the zone from the $name', async ({ patientZone, locationZone, orgZone, expected }) => {
		await seedOrganization(server.repo, 'org1', orgZone);
		await seedLocation(server.repo, 'loc1', locationZone, 'org1');
		await seedPatient(server.repo, { id: 'p1', zone: patientZone, telecom: emailOnly });
		await seedEncounter(server.repo, { id: 'e1', patient: 'p1', location: 'loc1' });
		const event = await resolved(encounterEvent('e1'));
		expect([event.zone, event.zoneSource]).toEqual(expected);
	});

	it('skips a Location the server hides and still finds the organization', async () => {
		await seedOrganization(server.repo, 'org1', 'America/New_York');
		await seedPatient(server.repo, { id: 'p1', organization: 'org1', telecom: emailOnly });
		await seedEncounter(server.repo, { id: 'e1', patient: 'p1', location: 'missing-location' });
		const event = await resolved(encounterEvent('e1'), { ...context, defaultZone: undefined });
		expect([event.zone, event.zoneSource]).toEqual(['America/New_York', 'practice']);
	});

	it('fails with no_zone when nothing gives a zone', async () => {
		await seedPatient(server.repo, { id: 'p1', telecom: emailOnly });
		await seedEncounter(server.repo, { id: 'e1', patient: 'p1' });
		const failure = adapter().resolveVisit(encounterEvent('e1'), { ...context, defaultZone: undefined });
		await expect(failure).rejects.toBeInstanceOf(DomainError);
		await expect(failure).rejects.toMatchObject({ code: 'no_zone', field: 'zone' });
	});
});

describe('patient details', () => {
	it.each([
		{
			name: 'sms system and usual name',
			seed: {
				name: [
					{ use: 'official' as const, given: ['Robert'] },
					{ use: 'usual' as const, given: ['Bob'] },
				],
				telecom: [
					{ system: 'sms' as const, value: '+44 7700 900123' },
					{ system: 'phone' as const, value: '555-0100', use: 'work' as const },
					{ system: 'email' as const, value: 'not-an-email' },
				],
				communication: [],
			},
			expected: { firstName: 'Bob', phones: [{ number: '+447700900123', kind: 'mobile' }], email: undefined, language: 'en' },
		},
		{
			name: 'an old number and a period-ended email are skipped',
			seed: {
				telecom: [
					{ system: 'phone' as const, value: '5125550199', use: 'old' as const },
					{ system: 'email' as const, value: 'old@example.test', period: { end: '2020-01-01' } },
					{ system: 'phone' as const, value: '1-512-555-0142', use: 'mobile' as const, rank: 1 },
				],
			},
			expected: { firstName: 'Maria', phones: [{ number: '+15125550142', kind: 'mobile' }], email: undefined, preferredChannel: 'sms' },
		},
		{
			name: 'numbers no numbering plan has are dropped (exchange 0 or 1, N11 area code, a UK number too short)',
			seed: {
				telecom: [
					{ system: 'sms' as const, value: '(512) 055-0100' },
					{ system: 'phone' as const, value: '+1 512 155 0100', use: 'mobile' as const },
					{ system: 'phone' as const, value: '411-555-0100', use: 'home' as const },
					{ system: 'phone' as const, value: '+44 123456', use: 'home' as const },
				],
			},
			expected: { firstName: 'Maria', phones: [] },
		},
	])('$name', async ({ seed, expected }) => {
		await seedPatient(server.repo, { id: 'p1', ...seed });
		await seedEncounter(server.repo, { id: 'e1', patient: 'p1' });
		const event = await resolved(encounterEvent('e1'));
		expect(event.patient).toMatchObject(expected);
	});

	it('reads consent from the contact-consent extension; absent channels stay allowed', async () => {
		await seedPatient(server.repo, { id: 'p1', consent: { sms: false } });
		await seedEncounter(server.repo, { id: 'e1', patient: 'p1' });
		expect((await resolved(encounterEvent('e1'))).consent).toEqual({ sms: false, email: true, voice: true });
	});

	it('refuses a patient with no given name, naming the field only', async () => {
		await seedPatient(server.repo, { id: 'p1', name: [{ family: 'Garcia' }] });
		await seedEncounter(server.repo, { id: 'e1', patient: 'p1' });
		const failure = adapter().resolveVisit(encounterEvent('e1'), context);
		await expect(failure).rejects.toMatchObject({ code: 'no_first_name', field: 'patient.firstName' });
		await expect(failure).rejects.not.toThrow(/Garcia/);
	});
});

describe('resolveVisit from an Appointment', () => {
	beforeEach(async () => {
		await seedLocation(server.repo, 'loc1', 'America/Denver');
		await seedPatient(server.repo, { id: 'p1', telecom: [{ system: 'email', value: 'maria@example.test' }] });
		await seedAppointment(server.repo, { id: 'a1', patient: 'p1', status: 'fulfilled', start: '2026-03-10T16:00:00Z', location: 'loc1' });
		await seedServiceRequest(server.repo, { id: 'sr-today', patient: 'p1', category: '363679005', authoredOn: '2026-03-10T16:20:00Z' });
		await seedServiceRequest(server.repo, { id: 'sr-last-year', patient: 'p1', category: '363679005', authoredOn: '2025-03-10T16:20:00Z' });
	});

	it('takes patient and location from the participants and orders authored since the visit day', async () => {
		const event = await resolved({ ehr: 'fhir', eventId: 'x', topic: 't', resourceType: 'Appointment', resourceId: 'a1' });
		expect(event).toMatchObject({
			visitId: 'a1',
			visitType: 'appointment',
			patientId: 'p1',
			zone: 'America/Denver',
			zoneSource: 'location',
			completedAt: '2026-03-10T16:30:00.000Z',
			visitDate: '2026-03-10',
		});
		expect(event.actionItems.map((item) => item.orderId)).toEqual(['sr-today']);
		const search = server.requests.find((request) => request.path === '/ServiceRequest');
		// Local midnight in Denver, already on daylight time (MDT, UTC-6) since 8 March 2026.
		expect(search?.query).toMatchObject({ patient: ['Patient/p1'], authored: ['ge2026-03-10T06:00:00.000Z'] });
	});

	it('a booked appointment is not completed', async () => {
		await seedAppointment(server.repo, { id: 'a2', patient: 'p1', status: 'booked', start: '2026-03-20T16:00:00Z' });
		await expect(
			adapter().resolveVisit({ ehr: 'fhir', eventId: 'y', topic: 't', resourceType: 'Appointment', resourceId: 'a2' }, context),
		).resolves.toEqual({ status: 'notCompleted', reason: 'Appointment status is booked, not fulfilled' });
	});
});

// Reads that do not depend on each other go out together, so a journey waits for fewer round trips to an EHR
// across a network.
describe('resolveVisit reads what it can at once', () => {
	beforeEach(async () => {
		await seedPatient(server.repo, { id: 'p1', zone: 'America/Chicago' });
		await seedServiceRequest(server.repo, { id: 'sr-lab', patient: 'p1', encounter: 'e1', category: '108252007' });
		await seedMedicationRequest(server.repo, { id: 'mr1', patient: 'p1', encounter: 'e1', authoredOn: '2026-03-10T16:00:00Z' });
	});

	it('an encounter: the visit, then its patient and both kinds of order together', async () => {
		await seedEncounter(server.repo, { id: 'e1', patient: 'p1', end: '2026-03-10T15:30:00Z' });
		const { adapter, rounds } = adapterRecordingRounds(server);
		const result = await adapter.resolveVisit(
			{ ehr: 'fhir', eventId: 'sub1#1', topic: 'encounter-complete', resourceType: 'Encounter', resourceId: 'e1' },
			context,
		);
		expect(result.status === 'completed' && result.event.kind === 'visit' && result.event.actionItems.map((item) => item.orderId)).toEqual([
			'sr-lab',
			'mr1',
		]);
		expect(rounds()).toEqual([['/Encounter/e1'], ['/MedicationRequest', '/Patient/p1', '/ServiceRequest']]);
	});

	it('an appointment: the visit, its patient (whose zone dates the orders), then both kinds of order together', async () => {
		await seedAppointment(server.repo, { id: 'a1', patient: 'p1', status: 'fulfilled', start: '2026-03-10T15:00:00Z' });
		const { adapter, rounds } = adapterRecordingRounds(server);
		const result = await adapter.resolveVisit(
			{ ehr: 'fhir', eventId: 'sub1#2', topic: 'appointment-complete', resourceType: 'Appointment', resourceId: 'a1' },
			context,
		);
		expect(result.status).toBe('completed');
		expect(rounds()).toEqual([['/Appointment/a1'], ['/Patient/p1'], ['/MedicationRequest', '/ServiceRequest']]);
	});
});
