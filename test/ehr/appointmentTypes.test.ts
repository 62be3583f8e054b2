import type { ValueSet } from '@medplum/fhirtypes';

import { createFhirAdapter } from '../../nodes/shared/ehr/fhir';
import { appointmentTypeValueSet } from '../../nodes/shared/ehr/fhir/appointmentTypes';
import { createTebraAdapter } from '../../nodes/shared/ehr/tebra';
import { defaultAppointmentTypes } from '../../sandbox/athenahealth-server';
import { startEcwServer } from '../../sandbox/ecw-server';
import { createResource, startFhirServer } from '../../sandbox/fhir-server';
import type { FhirServer } from '../../sandbox/fhir-server';
import { fetchHttpClient, instantRetryPolicy } from '../helpers/fetchHttpClient';
import { startHarness } from './athenahealth/helpers';
import type { Harness } from './athenahealth/helpers';
import { startFixture } from './drchrono/fixtures';
import type { Fixture } from './drchrono/fixtures';

/*
 * The Booking Check's picker reads each EHR's own list of appointment types, where the vendor documents one:
 * athenahealth GET /v1/{practiceid}/appointmenttypes, DrChrono GET /api/appointment_profiles, a FHIR server's
 * appointment-type ValueSet. The values are what the follow-up check compares an appointment by.
 */

describe('athenahealth: GET /v1/{practiceid}/appointmenttypes', () => {
	let harness: Harness;
	beforeAll(async () => {
		harness = await startHarness({}, { defaultPageSize: 2 });
	});
	afterAll(async () => await harness.server.close());

	it('lists the practice\'s types by appointmenttypeid, name first, leaving out types for schedule templates only, across pages', async () => {
		const types = await harness.adapter.listAppointmentTypes!();
		expect(types).toEqual([
			{ value: '21', name: 'Allergy Test', description: 'ALLG · 30 min' },
			{ value: '82', name: 'Any 15', description: 'ANY15 · 15 min' },
			{ value: '2', name: 'Follow-Up Visit', description: 'FU · 15 min' },
			{ value: '4', name: 'Physical Exam', description: 'PE · 30 min' },
		]);
		const reads = harness.server.state.requests.filter((request) => request.path === '/v1/195900/appointmenttypes');
		expect(reads.map((request) => request.query.offset ?? '0')).toEqual(['0', '2']);
		expect(reads[0]!.query).toMatchObject({ hidetemplatetypeonly: 'true' });
	});

	it('answers in athena\'s recorded shape: strings throughout, with totalcount', async () => {
		const response = await fetch(`${harness.server.url}/v1/195900/appointmenttypes?limit=1`, {
			headers: { authorization: `Bearer ${harness.server.issueToken()}` },
		});
		const body = (await response.json()) as { appointmenttypes: Array<Record<string, unknown>>; totalcount: number; next?: string };
		expect(body.totalcount).toBe(defaultAppointmentTypes.length);
		expect(body.next).toMatch(/\/v1\/195900\/appointmenttypes\?.*offset=1/);
		expect(Object.values(body.appointmenttypes[0]!).every((value) => typeof value === 'string')).toBe(true);
	});

	it('marks a type patients cannot book, and reports an athena error by its status', async () => {
		harness.server.addAppointmentType({ appointmenttypeid: '31', name: 'Staff Meeting', shortname: 'MTG', duration: '60', patient: 'false', templatetypeonly: 'false' });
		expect((await harness.adapter.listAppointmentTypes!()).find((type) => type.value === '31')).toEqual({
			value: '31',
			name: 'Staff Meeting',
			description: 'MTG · 60 min · not for patients',
		});
		harness.server.injectFault({ path: '/appointmenttypes', status: 403, body: { error: 'Not authorized.' } });
		await expect(harness.adapter.listAppointmentTypes!()).rejects.toThrow(/403.*listing the appointment types/);
	});
});

describe('DrChrono: GET /api/appointment_profiles', () => {
	let fixture: Fixture;
	beforeAll(async () => {
		fixture = await startFixture({ defaultPageSize: 2 });
	});
	afterAll(async () => await fixture.server.close());

	it('lists the appointment profiles by id, leaving out archived ones, across pages', async () => {
		const adapter = fixture.adapter({ pageSize: 2 });
		expect(await adapter.listAppointmentTypes!()).toEqual([
			{ value: '302', name: 'Annual physical', description: '45 min' },
			{ value: '301', name: 'Follow-up', description: '30 min' },
			{ value: '303', name: 'Lab draw', description: '15 min' },
		]);
		const reads = fixture.server.requests.filter((request) => request.path === '/api/appointment_profiles');
		expect(reads).toHaveLength(2);
	});

	it('offers the profile the demo visit was booked with, so a follow-up of that kind can count', async () => {
		const visitProfile = String(fixture.server.state.appointments.get('9001')!.profile);
		expect((await fixture.adapter().listAppointmentTypes!()).map((type) => type.value)).toContain(visitProfile);
	});
});

describe('FHIR: the appointment-type ValueSet, where the server has one', () => {
	let server: FhirServer;
	beforeAll(async () => {
		server = await startFhirServer();
	});
	afterAll(async () => await server.close());
	beforeEach(() => {
		server.reset();
		server.settings.absentResourceTypes = [];
	});

	const adapter = () => createFhirAdapter({ http: fetchHttpClient(server.url), retry: instantRetryPolicy(), options: { baseUrl: server.url } });

	it('offers nothing when the server holds no such ValueSet (the types are then typed by hand)', async () => {
		expect(await adapter().listAppointmentTypes!()).toEqual([]);
	});

	it('offers nothing, without failing, when the server has no ValueSet resource at all', async () => {
		server.settings.absentResourceTypes = ['ValueSet'];
		expect(await adapter().listAppointmentTypes!()).toEqual([]);
	});

	it('offers the codes of an expanded or composed ValueSet, by code, once each', async () => {
		await createResource<ValueSet>(server.repo, {
			resourceType: 'ValueSet',
			status: 'active',
			url: appointmentTypeValueSet,
			expansion: {
				timestamp: '2026-01-01T00:00:00Z',
				contains: [
					{ system: 'http://terminology.hl7.org/CodeSystem/v2-0276', code: 'FOLLOWUP', display: 'A follow up visit from a previous appointment' },
					{ system: 'http://terminology.hl7.org/CodeSystem/v2-0276', code: 'ROUTINE', display: 'Routine appointment' },
				],
			},
			compose: { include: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0276', concept: [{ code: 'FOLLOWUP' }, { code: 'WALKIN', display: 'A previously unscheduled walk-in visit' }] }] },
		});
		expect(await adapter().listAppointmentTypes!()).toEqual([
			{ value: 'FOLLOWUP', name: 'A follow up visit from a previous appointment', description: 'FOLLOWUP · http://terminology.hl7.org/CodeSystem/v2-0276' },
			{ value: 'WALKIN', name: 'A previously unscheduled walk-in visit', description: 'WALKIN · http://terminology.hl7.org/CodeSystem/v2-0276' },
			{ value: 'ROUTINE', name: 'Routine appointment', description: 'ROUTINE · http://terminology.hl7.org/CodeSystem/v2-0276' },
		]);
	});

	it('eClinicalWorks (the FHIR preset) publishes none: an empty list', async () => {
		const ecw = await startEcwServer();
		try {
			const ecwAdapter = createFhirAdapter({
				http: fetchHttpClient(ecw.url),
				retry: instantRetryPolicy(),
				options: { baseUrl: ecw.url, ecw: { writeback: false, callsPerMinute: 250 } },
			});
			expect(await ecwAdapter.listAppointmentTypes!()).toEqual([]);
		} finally {
			await ecw.close();
		}
	});
});

describe('Tebra: no list in its SOAP API', () => {
	it('has no listAppointmentTypes capability (the Booking Check says to type the reasons instead)', () => {
		const adapter = createTebraAdapter({
			http: async () => ({ status: 500, headers: {}, body: '' }),
			login: { customerKey: 'k', user: 'u', password: 'p' },
			options: { endpoint: 'http://127.0.0.1:1/', practiceName: 'Riverside' },
		});
		expect(adapter.listAppointmentTypes).toBeUndefined();
	});
});
