import type { Patient } from '@medplum/fhirtypes';

import { DomainError } from '../../nodes/shared/core/errors';
import { createAthenaAdapter } from '../../nodes/shared/ehr/athenahealth';
import { createDrChronoAdapter } from '../../nodes/shared/ehr/drchrono';
import { consentExtensionUrl, createFhirAdapter } from '../../nodes/shared/ehr/fhir';
import { withSmsConsent } from '../../nodes/shared/ehr/fhir/mapping';
import { EhrHttpError } from '../../nodes/shared/ehr/http';
import type { HttpClient, HttpRequest, HttpResponse } from '../../nodes/shared/ehr/types';
import { createResource, startFhirServer } from '../../sandbox/fhir-server';
import type { FhirServer } from '../../sandbox/fhir-server';
import { fetchHttpClient, instantRetryPolicy } from '../helpers/fetchHttpClient';

/*
 * The EHR side of an SMS opt-out/opt-in (EhrAdapter.updateSmsConsent). FHIR runs against the local FHIR server
 * (Medplum's router). athenahealth and DrChrono are paid services whose sandboxes here do not serve patient
 * updates, so they answer through a recording HttpClient shaped as the vendors document the calls:
 *   athenahealth: GET/PUT /v1/{practiceid}/patients/{patientid}, form field consenttotext (FCC text consent);
 *   DrChrono: GET/PATCH /api/patients/{id}, JSON field disable_sms_messages, PATCH answers 204 No Content.
 */

interface Recorded {
	requests: HttpRequest[];
	client: HttpClient;
}

function recordingClient(answer: (request: HttpRequest) => HttpResponse): Recorded {
	const requests: HttpRequest[] = [];
	return {
		requests,
		client: async (request) => {
			requests.push(request);
			return answer(request);
		},
	};
}

const json = (status: number, body: unknown): HttpResponse => ({ status, headers: { 'content-type': 'application/json' }, body });

describe('athenahealth: consenttotext on the patient', () => {
	function athena(patient: Record<string, unknown>, putStatus = 200) {
		const recorded = recordingClient((request) => {
			if (request.method === 'GET' && request.url === '/v1/195900/patients/1001') return json(200, [patient]);
			if (request.method === 'PUT' && request.url === '/v1/195900/patients/1001') {
				return putStatus === 200 ? json(200, [{ patientid: '1001' }]) : json(putStatus, { error: 'Invalid mobile phone.' });
			}
			return json(404, { error: 'The requested resource does not exist.' });
		});
		const adapter = createAthenaAdapter({ http: recorded.client, practiceId: '195900', retry: instantRetryPolicy() });
		return { adapter, recorded };
	}

	it.each([
		[false, { patientid: '1001', consenttotext: 'true' }, 'false'],
		[true, { patientid: '1001', consenttotext: false }, 'true'],
		[false, { patientid: '1001' }, 'false'],
	])('allowed=%s on %j → PUT consenttotext=%s', async (allowed, patient, sent) => {
		const { adapter, recorded } = athena(patient);
		const result = await adapter.updateSmsConsent!({ patientId: '1001', allowed });
		expect(result).toEqual({ status: 'updated', detail: `athenahealth patient consenttotext set to ${allowed}` });
		expect(recorded.requests.at(-1)).toEqual({ method: 'PUT', url: '/v1/195900/patients/1001', form: { consenttotext: sent } });
	});

	it('writes nothing when athena already records the same consent', async () => {
		const { adapter, recorded } = athena({ patientid: '1001', consenttotext: false });
		expect(await adapter.updateSmsConsent!({ patientId: '1001', allowed: false })).toMatchObject({ status: 'unchanged' });
		expect(recorded.requests.map((r) => r.method)).toEqual(['GET']);
	});

	it("a refusal (e.g. consent on without a mobile number) is an EhrHttpError with athena's words, for the flow to report", async () => {
		const { adapter } = athena({ patientid: '1001', consenttotext: false }, 400);
		const error = await adapter.updateSmsConsent!({ patientId: '1001', allowed: true }).catch((caught: unknown) => caught);
		expect(error).toBeInstanceOf(EhrHttpError);
		expect(String((error as Error).message)).toMatch(/text consent.*Invalid mobile phone/);
	});
});

describe('DrChrono: disable_sms_messages on the patient', () => {
	function drchrono(patient: Record<string, unknown>) {
		const recorded = recordingClient((request) => {
			if (request.method === 'GET' && request.url === '/api/patients/5001') return json(200, patient);
			if (request.method === 'PATCH' && request.url === '/api/patients/5001') return { status: 204, headers: {}, body: undefined };
			return json(404, { detail: 'Not found.' });
		});
		return { adapter: createDrChronoAdapter({ http: recorded.client, retry: instantRetryPolicy() }), recorded };
	}

	it.each([
		[false, { id: 5001, disable_sms_messages: false }, true],
		[false, { id: 5001, disable_sms_messages: null }, true],
		[true, { id: 5001, disable_sms_messages: true }, false],
	])('allowed=%s on %j → PATCH disable_sms_messages=%s', async (allowed, patient, disabled) => {
		const { adapter, recorded } = drchrono(patient);
		expect(await adapter.updateSmsConsent!({ patientId: '5001', allowed })).toMatchObject({ status: 'updated' });
		expect(recorded.requests.at(-1)).toEqual({ method: 'PATCH', url: '/api/patients/5001', body: { disable_sms_messages: disabled } });
	});

	it('writes nothing when DrChrono already suppresses texts', async () => {
		const { adapter, recorded } = drchrono({ id: 5001, disable_sms_messages: true });
		expect(await adapter.updateSmsConsent!({ patientId: '5001', allowed: false })).toMatchObject({ status: 'unchanged' });
		expect(recorded.requests).toHaveLength(1);
	});

	it('refuses a patient id that is not DrChrono-numeric, naming the field', async () => {
		const { adapter } = drchrono({ id: 5001 });
		const error = await adapter.updateSmsConsent!({ patientId: 'demo-ana', allowed: false }).catch((caught: unknown) => caught);
		expect(error).toBeInstanceOf(DomainError);
		expect(error).toMatchObject({ field: 'patientId' });
	});
});

describe('FHIR: the consent extension on Patient', () => {
	let fhir: FhirServer;
	beforeAll(async () => {
		fhir = await startFhirServer();
	});
	afterAll(async () => {
		await fhir?.close();
	});

	async function patient(extension: Patient['extension'] = []) {
		return await createResource<Patient>(fhir.repo, {
			resourceType: 'Patient',
			name: [{ given: ['Ana'], family: 'García' }],
			telecom: [{ system: 'phone', use: 'mobile', value: '+15125550101' }],
			extension,
		});
	}

	it('writes sms=false into the extension, keeping every other element, channel and extension', async () => {
		const created = await patient([
			{ url: 'http://hl7.org/fhir/StructureDefinition/timezone', valueCode: 'America/Chicago' },
			{ url: consentExtensionUrl, extension: [{ url: 'email', valueBoolean: false }] },
		]);
		const adapter = createFhirAdapter({ http: fetchHttpClient(fhir.url), retry: instantRetryPolicy() });
		expect(await adapter.updateSmsConsent!({ patientId: created.id, allowed: false })).toMatchObject({ status: 'updated' });
		const stored = (await fhir.repo.readResource('Patient', created.id)) as Patient;
		expect(stored.telecom).toEqual(created.telecom);
		expect(stored.extension).toEqual([
			{ url: 'http://hl7.org/fhir/StructureDefinition/timezone', valueCode: 'America/Chicago' },
			{ url: consentExtensionUrl, extension: [{ url: 'email', valueBoolean: false }, { url: 'sms', valueBoolean: false }] },
		]);
		expect(await adapter.updateSmsConsent!({ patientId: created.id, allowed: false })).toMatchObject({ status: 'unchanged' });
	});

	it('re-reads and writes again when the Patient changed in between (409/412 on If-Match)', async () => {
		const created = await patient();
		const seen: HttpRequest[] = [];
		let conflicts = 1;
		const real = fetchHttpClient(fhir.url);
		const http: HttpClient = async (request) => {
			seen.push(request);
			if (request.method === 'PUT' && conflicts-- > 0) return json(412, { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'conflict' }] });
			return await real(request);
		};
		const adapter = createFhirAdapter({ http, retry: instantRetryPolicy() });
		expect(await adapter.updateSmsConsent!({ patientId: created.id, allowed: false })).toMatchObject({ status: 'updated' });
		expect(seen.map((r) => r.method)).toEqual(['GET', 'PUT', 'GET', 'PUT']);
		expect(seen[1].headers).toMatchObject({ 'If-Match': `W/"${created.meta?.versionId}"` });
	});

	it('says notSupported when the server refuses Patient writes (Epic-style 403), instead of failing', async () => {
		const created = await patient();
		fhir.injectFaults({ status: 403, method: 'PUT', path: '/Patient' });
		const adapter = createFhirAdapter({ http: fetchHttpClient(fhir.url), retry: instantRetryPolicy() });
		expect(await adapter.updateSmsConsent!({ patientId: created.id, allowed: false })).toMatchObject({
			status: 'notSupported',
			detail: expect.stringMatching(/HTTP 403/),
		});
	});

	it.each([
		['absent extension, opt out', {}, false, [{ url: consentExtensionUrl, extension: [{ url: 'sms', valueBoolean: false }] }]],
		['absent extension, opt in (absent already means allowed)', {}, true, undefined],
		[
			'sms=false, opt in',
			{ extension: [{ url: consentExtensionUrl, extension: [{ url: 'sms', valueBoolean: false }] }] },
			true,
			[{ url: consentExtensionUrl, extension: [{ url: 'sms', valueBoolean: true }] }],
		],
	])('withSmsConsent: %s', (_label, resource, allowed, extension) => {
		const next = withSmsConsent({ resourceType: 'Patient', id: 'p', ...resource }, allowed);
		expect(next?.extension).toEqual(extension);
	});
});
