import { join } from 'node:path';

import type { Encounter, Patient } from '@medplum/fhirtypes';
import { DateTime } from 'luxon';

import { DomainError } from '../../nodes/shared/core/errors';
import { createFhirAdapter } from '../../nodes/shared/ehr/fhir';
import type { EhrAdapter, ResolveContext } from '../../nodes/shared/ehr/types';
import { lookUpJourneyPatient } from '../../nodes/shared/flows/lookUpPatient';
import { reloadJourney } from '../../nodes/shared/flows/reloadJourney';
import { openJourneyStore } from '../../nodes/shared/store';
import type { JourneyRecord, JourneyStore } from '../../nodes/shared/store/types';
import { demoPatients } from '../../sandbox/demo-patients';
import { closeFhirVisit, ensureFhirPatient } from '../../sandbox/fhir-demo';
import { startFhirServer, updateResource } from '../../sandbox/fhir-server';
import type { FhirServer } from '../../sandbox/fhir-server';
import { fetchHttpClient, instantRetryPolicy } from '../helpers/fetchHttpClient';
import { tempDir, testContactHashSecret } from '../helpers/fixtures';

/*
 * reloadJourney against the local FHIR server (Medplum's router) and a real SQLite journey store: the journey
 * record keeps ids only, and everything else comes back from the EHR as it is now.
 */

const ana = demoPatients.find((patient) => patient.key === 'ana')!;
const context: ResolveContext = {
	defaultZone: 'America/Chicago',
	defaultLanguage: 'en',
	schedulingLinks: { default: 'https://schedule.example.test/book?order={orderId}' },
};

let fhir: FhirServer;
let store: JourneyStore;
let adapter: EhrAdapter;

beforeAll(async () => {
	fhir = await startFhirServer();
	store = await openJourneyStore({ backend: 'sqlite', path: join(tempDir(), 'journey.sqlite'), contactHashSecret: testContactHashSecret });
	adapter = createFhirAdapter({ http: fetchHttpClient(fhir.url), retry: instantRetryPolicy() });
});

afterAll(async () => {
	await store?.close();
	await fhir?.close();
});

async function visitJourney(overrides: Partial<JourneyRecord> = {}) {
	const patientId = await ensureFhirPatient(fhir, ana, 'America/Chicago');
	const completedAt = DateTime.utc().minus({ hours: 3 }).toISO() as string;
	const visit = await closeFhirVisit(fhir, patientId, { completedAt });
	const record: JourneyRecord = {
		journeyId: `visit:fhir:${visit.encounterId}`,
		patientKey: `fhir:${patientId}`,
		kind: 'visit',
		ehr: 'fhir',
		patientId,
		sourceId: visit.encounterId,
		sourceType: 'encounter',
		anchorAt: completedAt,
		startedAt: completedAt,
		zone: 'America/Chicago',
		...overrides,
	};
	await store.recordJourney(record);
	return { record, visit, patientId };
}

describe('reloadJourney', () => {
	it('fetches the visit again by the stored ids: the same visit, its open order and its link', async () => {
		const { record, visit } = await visitJourney();
		const outcome = await reloadJourney(record.journeyId, { store, adapter, context });
		expect(outcome.outcome).toBe('reloaded');
		if (outcome.outcome !== 'reloaded') return;
		expect(outcome.record).toEqual(record);
		expect(outcome.event).toMatchObject({ kind: 'visit', ehr: 'fhir', visitId: visit.encounterId, visitType: 'encounter', patientId: record.patientId });
		expect(outcome.event.actionItems).toEqual([
			expect.objectContaining({ type: 'followUpVisit', orderId: visit.orderId, description: 'Book your 2-week follow-up visit', done: false }),
		]);
		expect(outcome.event.patient).toMatchObject({ firstName: 'Ana', language: 'es' });
	});

	it('takes contact details fresh from the EHR, never from the store (a phone changed since the visit)', async () => {
		const { record, patientId } = await visitJourney();
		const patient = (await fhir.repo.readResource('Patient', patientId)) as Patient & { id: string };
		await updateResource(fhir.repo, { ...patient, telecom: [{ system: 'phone', use: 'mobile', value: '+15125550999' }] });
		const outcome = await reloadJourney(record.journeyId, { store, adapter, context });
		expect(outcome.outcome === 'reloaded' && outcome.event.patient.phones).toEqual([{ number: '+15125550999', kind: 'mobile' }]);
	});

	it('says notCompleted when the EHR no longer shows the visit as finished', async () => {
		const { record, visit } = await visitJourney();
		const encounter = (await fhir.repo.readResource('Encounter', visit.encounterId)) as Encounter & { id: string };
		await updateResource(fhir.repo, { ...encounter, status: 'cancelled' });
		const outcome = await reloadJourney(record.journeyId, { store, adapter, context });
		expect(outcome).toMatchObject({ outcome: 'notCompleted', record: { journeyId: record.journeyId } });
		expect(outcome.outcome === 'notCompleted' && outcome.reason).toMatch(/cancelled/);
	});

	it('says unknownJourney for an id the store never recorded (or pruned), without asking the EHR', async () => {
		const before = fhir.requests.length;
		expect(await reloadJourney('visit:fhir:never-started', { store, adapter, context })).toEqual({
			outcome: 'unknownJourney',
			journeyId: 'visit:fhir:never-started',
		});
		expect(fhir.requests.length).toBe(before);
	});

	it('hands a recall journey back as its record: there is no visit to fetch', async () => {
		const record: JourneyRecord = {
			journeyId: 'recall:fhir:sr-recall-1',
			patientKey: 'fhir:demo-ana',
			kind: 'recall',
			ehr: 'fhir',
			patientId: 'demo-ana',
			sourceId: 'sr-recall-1',
			sourceType: 'recall',
			anchorAt: '2026-05-01T05:00:00.000Z',
			startedAt: '2026-04-01T14:00:00.000Z',
			zone: 'America/Chicago',
		};
		await store.recordJourney(record);
		expect(await reloadJourney(record.journeyId, { store, adapter, context })).toEqual({ outcome: 'recall', record });
	});

	it('refuses a journey of another EHR with an error naming the field', async () => {
		const { record } = await visitJourney({ journeyId: 'visit:drchrono:77', ehr: 'drchrono', sourceId: '77', sourceType: 'appointment' });
		const error = await reloadJourney(record.journeyId, { store, adapter, context }).catch((caught: unknown) => caught);
		expect(error).toBeInstanceOf(DomainError);
		expect(error).toMatchObject({ field: 'ehr', message: expect.stringMatching(/drchrono.*fhir/) });
	});
});

describe('lookUpJourneyPatient (the Journey Lookup\'s name at view time)', () => {
	it('reads the first name from the EHR now, with GETs only, and writes nothing to the journal', async () => {
		const { record } = await visitJourney();
		const before = fhir.requests.length;
		expect(await lookUpJourneyPatient(record.journeyId, { store, adapter, context })).toEqual({ patientFirstName: 'Ana', patientNameNote: null });
		const asked = fhir.requests.slice(before);
		expect(asked.length).toBeGreaterThan(0);
		expect([...new Set(asked.map((request) => request.method))]).toEqual(['GET']);
		expect(await store.journal({ journeyId: record.journeyId })).toEqual([]);
	});

	it('gives no name, and says why, for a visit the EHR no longer shows as completed or a journey the store does not know', async () => {
		const { record, visit } = await visitJourney();
		const encounter = (await fhir.repo.readResource('Encounter', visit.encounterId)) as Encounter & { id: string };
		await updateResource(fhir.repo, { ...encounter, status: 'cancelled' });
		expect(await lookUpJourneyPatient(record.journeyId, { store, adapter, context })).toEqual({
			patientFirstName: null,
			patientNameNote: expect.stringMatching(/^not available from the EHR: .*cancelled/),
		});
		const before = fhir.requests.length;
		expect(await lookUpJourneyPatient('visit:fhir:never-started', { store, adapter, context })).toEqual({
			patientFirstName: null,
			patientNameNote: 'the journey store has no record of this journey',
		});
		expect(await lookUpJourneyPatient('', { store, adapter, context })).toEqual({ patientFirstName: null, patientNameNote: 'no journey to look up' });
		expect(fhir.requests.length).toBe(before);
	});
});
