import { createAthenaAdapter } from '../../nodes/shared/ehr/athenahealth';
import { createDrChronoAdapter } from '../../nodes/shared/ehr/drchrono';
import { EhrResponseError, isUnderBaseUrl, ownServerLink } from '../../nodes/shared/ehr/http';
import type { HttpClient, HttpRequest } from '../../nodes/shared/ehr/types';
import { instantRetryPolicy } from '../helpers/fetchHttpClient';

const base = 'https://ehr.example.test/fhir/r4';

describe('ownServerLink: the one origin check for every URL an EHR hands back', () => {
	it.each([
		['a relative path', '/v1/195900/appointments/changed?offset=2', '/v1/195900/appointments/changed?offset=2'],
		['a relative reference', 'Encounter?page=2', 'Encounter?page=2'],
		['an absolute link on the base URL\'s origin', `${base}/Encounter?page=2`, `${base}/Encounter?page=2`],
		['the same origin, another path', 'https://ehr.example.test/other?page=2', 'https://ehr.example.test/other?page=2'],
	])('follows %s', (_label, link, expected) => {
		expect(ownServerLink(link, 'fhir', 'Bundle.link.next', base)).toBe(expected);
	});

	it.each([
		['another host', 'https://elsewhere.example/fhir/r4/Encounter?page=2'],
		['a subdomain', 'https://api.ehr.example.test/fhir/r4/Encounter?page=2'],
		['plain http', 'http://ehr.example.test/fhir/r4/Encounter?page=2'],
		['another port', 'https://ehr.example.test:8443/fhir/r4/Encounter?page=2'],
		['a protocol-relative link', '//elsewhere.example/fhir/r4/Encounter'],
		['user info that hides the host', 'https://ehr.example.test@elsewhere.example/fhir'],
	])('refuses %s, naming the field', (_label, link) => {
		expect(() => ownServerLink(link, 'fhir', 'Bundle.link.next', base)).toThrow(EhrResponseError);
		expect(() => ownServerLink(link, 'fhir', 'Bundle.link.next', base)).toThrow(/"Bundle\.link\.next"/);
	});

	it('without a base URL returns a link as is (the n8n transport checks every request itself)', () => {
		expect(ownServerLink('https://elsewhere.example/x', 'fhir', 'next')).toBe('https://elsewhere.example/x');
	});
});

describe('isUnderBaseUrl: a resource named in full must be under the base URL', () => {
	it.each<[string, string, boolean]>([
		['the base itself', base, true],
		['a resource under it', `${base}/Encounter/enc-1`, true],
		['a base that only starts the same', 'https://ehr.example.test/fhir/r4x/Encounter/enc-1', false],
		['another path on the host', 'https://ehr.example.test/other/Encounter/enc-1', false],
		['another host', 'https://elsewhere.example/fhir/r4/Encounter/enc-1', false],
		['not a URL', 'Encounter/enc-1', false],
	])('%s → %s', (_label, url, expected) => {
		expect(isUnderBaseUrl(url, base)).toBe(expected);
		expect(isUnderBaseUrl(url, `${base}/`)).toBe(expected);
	});
});

/** An EHR that answers every list with a page whose `next` points elsewhere, and records what was asked. */
function foreignNext(page: (next: string) => unknown) {
	const seen: HttpRequest[] = [];
	const http: HttpClient = async (request) => {
		seen.push(request);
		return { status: 200, headers: {}, body: page('https://evil.example/api/appointments?cursor=2') };
	};
	return { seen, http };
}

describe('the adapters put every next link through the same check', () => {
	it('athenahealth refuses a next link to another host when it knows the base URL', async () => {
		const { seen, http } = foreignNext((next) => ({ appointments: [{ appointmentid: '5001', appointmentstatus: 'f' }], next }));
		const adapter = createAthenaAdapter({ http, practiceId: '195900', retry: instantRetryPolicy(), options: { baseUrl: 'https://api.platform.athenahealth.com' } });
		await expect(adapter.rereadProcessed({ start: '03/10/2025 10:00:00', end: '03/10/2025 11:00:00' })).rejects.toMatchObject({ field: 'next' });
		expect(seen.map((request) => request.url)).toEqual(['/v1/195900/appointments/changed']);
	});

	it('DrChrono refuses a next link to another host when it knows the base URL', async () => {
		const { seen, http } = foreignNext((next) => ({ results: [], next }));
		const adapter = createDrChronoAdapter({ http, retry: instantRetryPolicy(), options: { baseUrl: 'https://app.drchrono.com', defaultZone: 'America/Chicago' } });
		await expect(adapter.pollChanges({ since: '2026-03-10T00:00:00Z' }, new Date('2026-03-10T15:00:00Z'))).rejects.toMatchObject({ field: 'next' });
		expect(seen).toHaveLength(1);
	});
});
