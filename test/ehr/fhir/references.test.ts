import { createFhirAdapter } from '../../../nodes/shared/ehr/fhir';
import type { HttpClient, HttpRequest, NotificationEvent, ResolveContext } from '../../../nodes/shared/ehr/types';
import { instantRetryPolicy } from '../../helpers/fetchHttpClient';

const baseUrl = 'https://ehr.example.test/fhir/r4';
const context: ResolveContext = { defaultZone: 'America/Chicago', defaultLanguage: 'en', schedulingLinks: {} };

/** A FHIR server that answers every request with `answer` and records what was asked. */
function scripted(answer: (request: HttpRequest) => unknown = () => ({ resourceType: 'OperationOutcome', issue: [] })) {
	const seen: HttpRequest[] = [];
	const http: HttpClient = async (request) => {
		seen.push(request);
		return { status: 200, headers: {}, body: answer(request) };
	};
	return { seen, adapter: createFhirAdapter({ http, retry: instantRetryPolicy(), options: { baseUrl } }) };
}

function encounterEvent(resourceId: string, resourceUrl?: string): NotificationEvent {
	return { ehr: 'fhir', eventId: 'sub-1#1', topic: 'encounter-complete', resourceType: 'Encounter', resourceId, resourceUrl };
}

describe('FHIR ids made only of dots never reach a URL', () => {
	it.each(['..', '.'])('resolveVisit refuses Encounter/%s without sending a request', async (id) => {
		const { seen, adapter } = scripted();
		await expect(adapter.resolveVisit(encounterEvent(id), context)).rejects.toMatchObject({ field: 'Encounter.id' });
		expect(seen).toEqual([]);
	});

	it('a Patient reference made of dots in the Encounter the server returns is not followed', async () => {
		const { seen, adapter } = scripted(() => ({
			resourceType: 'Encounter',
			id: 'enc-1',
			status: 'finished',
			subject: { reference: 'Patient/..' },
			period: { end: '2026-03-10T15:30:00Z' },
		}));
		await expect(adapter.resolveVisit(encounterEvent('enc-1'), context)).rejects.toMatchObject({ name: 'EhrResponseError' });
		expect(seen.map((request) => request.url)).toEqual(['/Encounter/enc-1']);
	});

	it.each(['..', '.'])('findFollowUp does not read a visit whose id is %s', async (id) => {
		const { seen, adapter } = scripted();
		const visit = {
			kind: 'visit' as const,
			schemaVersion: 1 as const,
			ehr: 'fhir' as const,
			patientId: 'pat-1',
			zone: 'America/Chicago',
			zoneSource: 'patient' as const,
			patient: { firstName: 'Ana', phones: [], language: 'en' },
			consent: { sms: true, email: true, voice: true },
			visitId: id,
			visitType: 'encounter' as const,
			completedAt: '2026-03-10T15:30:00Z',
			visitDate: '2026-03-10',
			actionItems: [],
		};
		await expect(adapter.findFollowUp(visit, {})).rejects.toMatchObject({ field: 'Encounter.id' });
		expect(seen).toEqual([]);
	});
});

describe('an absolute focus reference must be under the credential\'s base URL', () => {
	it.each([
		['another server', 'https://elsewhere.example/fhir/r4/Encounter/enc-1'],
		['the same host, another path', 'https://ehr.example.test/other/Encounter/enc-1'],
		['the same host over plain http', 'http://ehr.example.test/fhir/r4/Encounter/enc-1'],
		['a base URL that only starts the same', 'https://ehr.example.test/fhir/r4x/Encounter/enc-1'],
	])('refuses %s without sending a request', async (_label, resourceUrl) => {
		const { seen, adapter } = scripted();
		await expect(adapter.resolveVisit(encounterEvent('enc-1', resourceUrl), context)).rejects.toMatchObject({ field: 'focus' });
		expect(seen).toEqual([]);
	});

	it('reads a focus given in full under the base URL as usual', async () => {
		const { seen, adapter } = scripted(() => ({ resourceType: 'Encounter', id: 'enc-1', status: 'in-progress' }));
		const result = await adapter.resolveVisit(encounterEvent('enc-1', `${baseUrl}/Encounter/enc-1`), context);
		expect(result).toEqual({ status: 'notCompleted', reason: 'Encounter status is in-progress, not finished' });
		expect(seen.map((request) => request.url)).toEqual(['/Encounter/enc-1']);
	});
});
