import { join } from 'node:path';

import type { Patient } from '@medplum/fhirtypes';

import type { VisitEvent } from '../../nodes/shared/core/schemas';
import { classifyMessage, completionRules, createHl7v2Adapter, parseHl7 } from '../../nodes/shared/ehr/hl7v2';
import { EhrHttpError } from '../../nodes/shared/ehr/http';
import type { EhrAdapter, NotificationEvent, ResolveContext } from '../../nodes/shared/ehr/types';
import { journeyRecordFor } from '../../nodes/shared/flows/admitVisit';
import { notificationOf } from '../../nodes/shared/flows/hl7v2Intake';
import { reloadJourneyEvent } from '../../nodes/shared/flows/reloadJourney';
import { openJourneyStore } from '../../nodes/shared/store';
import type { JourneyRecord, JourneyStore } from '../../nodes/shared/store/types';
import { createResource, startFhirServer, timezoneExtension, updateResource } from '../../sandbox/fhir-server';
import type { FhirServer } from '../../sandbox/fhir-server';
import { imagingOrder, siuMessage } from '../ehr/hl7v2/messages';
import { seedCheckedOutVisit, useTebraSandbox } from '../ehr/tebra/helpers';
import { fetchHttpClient } from '../helpers/fetchHttpClient';
import { tempDir, testContactHashSecret } from '../helpers/fixtures';

/*
 * What the Journey Due Trigger does to resume a Tebra or HL7 v2 journey: the record Visit Details kept (ids only,
 * through the SQLite store and back) handed to reloadJourneyEvent, which asks the adapter for the visit again.
 */

const context: ResolveContext = {
	defaultZone: 'America/Chicago',
	defaultLanguage: 'en',
	schedulingLinks: { default: 'https://riverside.example/book?visit={visitId}' },
};

let store: JourneyStore;
beforeAll(async () => {
	store = await openJourneyStore({ backend: 'sqlite', path: join(tempDir(), 'journey.sqlite'), contactHashSecret: testContactHashSecret });
});
afterAll(async () => await store?.close());

/** The visit as Visit Details admits it, and its journey record as the store gives it back. */
async function admitted(adapter: EhrAdapter, notification: NotificationEvent): Promise<{ visit: VisitEvent; record: JourneyRecord }> {
	const resolved = await adapter.resolveVisit(notification, context);
	if (resolved.status !== 'completed' || resolved.event.kind !== 'visit') throw new Error(`not resolved: ${JSON.stringify(resolved)}`);
	const visit = resolved.event;
	const written = journeyRecordFor(visit, visit.completedAt);
	await store.recordJourney(written);
	const record = await store.getJourney(written.journeyId);
	if (!record) throw new Error('the store lost the journey record');
	return { visit, record };
}

/** The fields a resumed journey must have as they were when it started. */
const sameVisit = (visit: VisitEvent) => ({
	kind: 'visit',
	ehr: visit.ehr,
	visitId: visit.visitId,
	visitType: visit.visitType,
	patientId: visit.patientId,
	practiceId: visit.practiceId,
	departmentId: visit.departmentId,
	zone: visit.zone,
	completedAt: visit.completedAt,
});

describe('resuming a Tebra journey', () => {
	const tebra = useTebraSandbox();

	it('reads the appointment again by the id the record kept (GetAppointment, GetPatient): the same visit, contact as now', async () => {
		seedCheckedOutVisit(tebra.server, new Date(tebra.clock.now()), '7001');
		const adapter = tebra.adapter();
		const polled = { ehr: 'tebra', eventId: 'appointment:7001:checkedOut', topic: 'poll:CheckedOut', resourceType: 'Appointment', resourceId: '7001' } as const;
		const { visit, record } = await admitted(adapter, polled);
		expect(record).toMatchObject({ journeyId: 'visit:tebra:7001', sourceId: '7001', sourceType: 'appointment', patientId: '301' });
		tebra.server.patients.get('301')!.MobilePhone = '(512) 555-0142';
		tebra.clock.advance(10_000);

		const reloaded = await reloadJourneyEvent(record, { adapter, context });
		expect(reloaded).toMatchObject({ outcome: 'reloaded', event: sameVisit(visit) });
		expect(reloaded.outcome === 'reloaded' && reloaded.event.kind === 'visit' && reloaded.event.patient.phones[0]).toEqual({ number: '+15125550142', kind: 'mobile' });
		expect(tebra.server.requests.slice(-2).map((request) => request.operation)).toEqual(['GetAppointment', 'GetPatient']);
	});

	it('ends the journey when Tebra no longer shows the appointment checked out', async () => {
		seedCheckedOutVisit(tebra.server, new Date(tebra.clock.now()), '7002');
		const adapter = tebra.adapter();
		const { record } = await admitted(adapter, { ehr: 'tebra', eventId: 'e', topic: 't', resourceType: 'Appointment', resourceId: '7002' });
		tebra.server.setStatus('7002', 'Rescheduled');
		tebra.clock.advance(10_000);
		expect(await reloadJourneyEvent(record, { adapter, context })).toEqual({ outcome: 'ended', reason: 'Appointment status is Rescheduled, not CheckedOut' });
	});
});

describe('resuming an HL7 v2 journey', () => {
	let fhir: FhirServer;
	beforeAll(async () => {
		fhir = await startFhirServer();
	});
	afterAll(async () => await fhir?.close());

	let mrn = 1000;
	async function fhirPatient(): Promise<Patient & { id: string; mrn: string }> {
		const value = `E${++mrn}`;
		const created = await createResource<Patient>(fhir.repo, {
			resourceType: 'Patient',
			identifier: [{ system: 'urn:oid:1.2.3.4', value }],
			name: [{ given: ['Ana'] }],
			telecom: [{ system: 'phone', use: 'mobile', value: '+15125550101' }],
			extension: [timezoneExtension('America/Denver')],
		});
		return { ...created, mrn: value };
	}

	/** The notification the HL7 v2 Trigger emits for Epic's checked-out SIU naming this PID-3. */
	function fromMessage(pid3: string, appointmentId: string): NotificationEvent {
		const message = siuMessage({ controlId: `C-${appointmentId}`, appointmentId, patientId: pid3, orders: imagingOrder });
		const classified = classifyMessage(parseHl7(message), completionRules({}));
		if (classified.kind !== 'completed') throw new Error('not a completed visit');
		return notificationOf(classified.facts);
	}

	it.each([
		['PID-3 found through the identifier system', 'urn:oid:1.2.3.4'],
		['PID-3 as the FHIR Patient id', undefined],
	])('rebuilds the visit from the record and the FHIR patient (%s): ids, zone and close time as at the start', async (_case, system) => {
		const patient = await fhirPatient();
		const adapter = createHl7v2Adapter({ http: fetchHttpClient(fhir.url), options: { baseUrl: fhir.url, patientIdentifierSystem: system } });
		const { visit, record } = await admitted(adapter, fromMessage(system ? patient.mrn : patient.id, `APT-${patient.id}`));
		expect(record).toMatchObject({ journeyId: `visit:hl7v2:APT-${patient.id}`, patientId: patient.id, practiceId: 'RIVERSIDE', departmentId: 'RFM' });
		const { mrn: _mrn, ...resource } = patient;
		await updateResource(fhir.repo, { ...resource, telecom: [{ system: 'phone', use: 'mobile', value: '+15125550143' }] });

		const reloaded = await reloadJourneyEvent(record, { adapter, context });
		expect(reloaded).toMatchObject({ outcome: 'reloaded', event: { ...sameVisit(visit), zone: 'America/Denver' } });
		if (reloaded.outcome !== 'reloaded' || reloaded.event.kind !== 'visit') return;
		expect(reloaded.event.patient.phones).toEqual([{ number: '+15125550143', kind: 'mobile' }]);
		// The orders came with the message; a resumed journey has no message to read them from (documented).
		expect(visit.actionItems).toHaveLength(1);
		expect(reloaded.event.actionItems).toEqual([]);
	});

	it('fails with a 404 naming the resource, not the patient, when the FHIR patient is gone', async () => {
		const patient = await fhirPatient();
		const adapter = createHl7v2Adapter({ http: fetchHttpClient(fhir.url), options: { baseUrl: fhir.url, patientIdentifierSystem: 'urn:oid:1.2.3.4' } });
		const { record } = await admitted(adapter, fromMessage(patient.mrn, `APT-G-${patient.id}`));
		await fhir.repo.deleteResource('Patient', patient.id);
		const error = await reloadJourneyEvent(record, { adapter, context }).catch((caught: unknown) => caught);
		expect(error).toBeInstanceOf(EhrHttpError);
		expect(error).toMatchObject({ status: 404, retryable: false, vendorMessage: expect.stringContaining('reading Patient') });
		expect(String((error as Error).message)).not.toContain(patient.id);
	});
});
