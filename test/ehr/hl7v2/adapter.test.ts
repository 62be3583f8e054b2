import type { Patient } from '@medplum/fhirtypes';

import { classifyMessage, completionRules, createHl7v2Adapter, parseHl7 } from '../../../nodes/shared/ehr/hl7v2';
import { notificationOf } from '../../../nodes/shared/flows/hl7v2Intake';
import { createResource, startFhirServer, timezoneExtension } from '../../../sandbox/fhir-server';
import type { FhirServer } from '../../../sandbox/fhir-server';
import { fetchHttpClient } from '../../helpers/fetchHttpClient';
import { imagingOrder, siuMessage } from './messages';

let server: FhirServer;
const context = { defaultZone: 'America/Chicago', defaultLanguage: 'en', schedulingLinks: { imaging: 'https://riverside.example/imaging?order={orderId}' } };

beforeAll(async () => {
	server = await startFhirServer();
});
afterAll(async () => await server.close());
beforeEach(() => server.reset());

function adapter(patientIdentifierSystem?: string) {
	return createHl7v2Adapter({ http: fetchHttpClient(server.url), options: { baseUrl: server.url, patientIdentifierSystem } });
}

async function fhirPatient(id?: string): Promise<Patient & { id: string }> {
	return await createResource<Patient>(server.repo, {
		resourceType: 'Patient',
		...(id ? { id } : {}),
		identifier: [{ system: 'urn:oid:1.2.3.4', value: 'E1001' }],
		name: [{ given: ['Ana'] }],
		telecom: [{ system: 'phone', use: 'home', value: '+15125550000' }],
		extension: [timezoneExtension('America/Denver')],
	});
}

function notification(text: string) {
	const result = classifyMessage(parseHl7(text), completionRules({}));
	if (result.kind !== 'completed') throw new Error('not a completed visit');
	return notificationOf(result.facts);
}

describe('HL7 v2 adapter: the message is the visit, FHIR the rest', () => {
	it('builds the visit from the message and finds the FHIR patient by the PID-3 identifier', async () => {
		const patient = await fhirPatient();
		const result = await adapter('urn:oid:1.2.3.4').resolveVisit(notification(siuMessage({ orders: imagingOrder })), context);
		expect(result.status).toBe('completed');
		if (result.status !== 'completed' || result.event.kind !== 'visit') return;
		expect(result.event).toMatchObject({
			ehr: 'hl7v2',
			patientId: patient.id,
			practiceId: 'RIVERSIDE',
			departmentId: 'RFM',
			visitId: 'APT-77',
			visitType: 'appointment',
			zone: 'America/Denver',
			zoneSource: 'patient',
			completedAt: '2026-03-10T20:30:00.000Z',
			patient: { firstName: 'Ana', language: 'es', email: 'ana.garcia@patients.example', phones: [{ number: '+15125550101', kind: 'mobile' }, { number: '+15125550177', kind: 'landline' }] },
			actionItems: [{ type: 'imaging', orderId: 'ORD-5', schedulingLink: 'https://riverside.example/imaging?order=ORD-5', done: false }],
		});
		expect(server.requests.map((request) => request.path)).toEqual(['/Patient']);
	});

	it.each([
		['an exchange starting with 0 is dropped', '^PRN^CP^^1^512^0550101', []],
		['an N11 area code is dropped', '^PRN^CP^^1^911^5550101', []],
		['a country code in XTN-5 is kept', '^PRN^CP^^44^20^79460958', [{ number: '+442079460958', kind: 'mobile' }]],
	])('PID-13: %s', async (_what, phones, expected) => {
		await fhirPatient();
		const result = await adapter('urn:oid:1.2.3.4').resolveVisit(notification(siuMessage({ phones })), context);
		expect(result.status === 'completed' && result.event.patient.phones).toEqual([...expected, { number: '+15125550177', kind: 'landline' }]);
	});

	it('without an identifier system, PID-3 is the FHIR Patient id', async () => {
		await fhirPatient('E1001');
		const result = await adapter().resolveVisit(notification(siuMessage()), context);
		expect(result.status === 'completed' && result.event.patientId).toBe('E1001');
	});

	it('a resumed journey (no message) reads the patient by its FHIR id and keeps the close time', async () => {
		const patient = await fhirPatient();
		const result = await adapter().resolveVisit(
			{ ehr: 'hl7v2', eventId: 'reload', topic: 'reload', resourceType: 'Appointment', resourceId: 'APT-77', patientId: patient.id, practiceId: 'RIVERSIDE', occurredAt: '2026-03-10T20:30:00.000Z' },
			context,
		);
		expect(result.status === 'completed' && result.event).toMatchObject({ visitId: 'APT-77', completedAt: '2026-03-10T20:30:00.000Z', patient: { phones: [{ number: '+15125550000' }] } });
	});

	it('refuses a message whose patient FHIR does not know, naming PID-3', async () => {
		await expect(adapter('urn:oid:1.2.3.4').resolveVisit(notification(siuMessage()), context)).rejects.toMatchObject({ field: 'PID-3' });
	});

	it('looks for bookings through FHIR, not by the HL7 visit id', async () => {
		const patient = await fhirPatient();
		const status = await adapter().findFollowUp(
			{ kind: 'visit', schemaVersion: 1, ehr: 'hl7v2', patientId: patient.id, zone: 'America/Chicago', zoneSource: 'practice', patient: { firstName: 'Ana', phones: [], language: 'en' }, consent: { sms: true, email: true, voice: true }, visitId: 'APT-77', visitType: 'appointment', completedAt: '2026-03-10T20:30:00.000Z', visitDate: '2026-03-10', actionItems: [] },
			{},
		);
		expect(status.status).toBe('open');
		expect(server.requests.some((request) => request.path.includes('APT-77'))).toBe(false);
	});

	it('is pushed, not polled', async () => {
		await expect(adapter().pollChanges({ since: '2026-03-10T00:00:00Z' }, new Date())).rejects.toThrow(/HL7 v2 Trigger/);
	});
});
