import { DomainError } from '../../../nodes/shared/core/errors';
import { createDrChronoAdapter } from '../../../nodes/shared/ehr/drchrono';
import { fillLink } from '../../../nodes/shared/ehr/drchrono/mapping';
import { EhrHttpError, EhrResponseError } from '../../../nodes/shared/ehr/http';
import type { HttpClient, HttpRequest } from '../../../nodes/shared/ehr/types';
import { instantRetryPolicy } from '../../helpers/fetchHttpClient';
import { appointmentEvent, apiCalls, context, NOW, startFixture } from './fixtures';

/** A misbehaving DrChrono, for the guards the sandbox never triggers. */
function scripted(answer: (request: HttpRequest) => unknown): { http: HttpClient; seen: HttpRequest[] } {
	const seen: HttpRequest[] = [];
	return {
		seen,
		http: async (request) => {
			seen.push(request);
			return { status: 200, headers: {}, body: answer(request) };
		},
	};
}

describe('DrChrono adapter guards', () => {
	it('stops following a `next` that never ends', async () => {
		const { http, seen } = scripted(() => ({ results: [], next: 'https://app.drchrono.com/api/appointments?cursor=again' }));
		const adapter = createDrChronoAdapter({ http, retry: instantRetryPolicy(), options: { maxPages: 3, defaultZone: 'America/Chicago' } });
		await expect(adapter.pollChanges({ since: '2026-03-10T00:00:00Z' }, NOW)).rejects.toBeInstanceOf(EhrResponseError);
		expect(seen).toHaveLength(3);
	});

	it('sends the token only to the credential\'s own base URL: a foreign `next` host is reduced to its API path', async () => {
		let page = 0;
		const { http, seen } = scripted(() =>
			page++ === 0 ? { results: [], next: 'https://evil.example/api/appointments?cursor=2' } : { data: [], next: null },
		);
		const adapter = createDrChronoAdapter({ http, options: { defaultZone: 'America/Chicago' } });
		await adapter.pollChanges({ since: '2026-03-10T00:00:00Z' }, NOW);
		expect(seen[1]).toEqual({ method: 'GET', url: '/api/appointments?cursor=2' });
	});

	it('refuses a `next` outside the API', async () => {
		const { http } = scripted(() => ({ results: [], next: 'https://app.drchrono.com/o/token/' }));
		const adapter = createDrChronoAdapter({ http, options: { defaultZone: 'America/Chicago' } });
		await expect(adapter.pollChanges({ since: '2026-03-10T00:00:00Z' }, NOW)).rejects.toMatchObject({ field: 'next' });
	});

	it('refuses a list page without results or data', async () => {
		const { http } = scripted(() => ({ count: 0 }));
		const adapter = createDrChronoAdapter({ http, options: { defaultZone: 'America/Chicago' } });
		await expect(adapter.pollChanges({ since: '2026-03-10T00:00:00Z' }, NOW)).rejects.toMatchObject({ field: 'results' });
	});

	it('refuses an invalid default zone at construction', () => {
		const { http } = scripted(() => ({}));
		expect(() => createDrChronoAdapter({ http, options: { defaultZone: 'Central' } })).toThrow(DomainError);
	});

	it('refuses an Encounter event', async () => {
		const { http } = scripted(() => ({}));
		const adapter = createDrChronoAdapter({ http });
		await expect(adapter.resolveVisit({ ...appointmentEvent('1'), resourceType: 'Encounter' }, context)).rejects.toMatchObject({
			field: 'resourceType',
		});
	});

	it('forgets a failed lookup, so a retry in the same execution asks again', async () => {
		const fixture = await startFixture();
		try {
			await fixture.server.completeAppointment('9001');
			fixture.server.injectFault({ status: 503, times: 4, pathPrefix: '/api/doctors/' });
			const adapter = fixture.adapter();
			await expect(adapter.resolveVisit(appointmentEvent('9001'), context)).rejects.toBeInstanceOf(EhrHttpError);
			await expect(adapter.resolveVisit(appointmentEvent('9001'), context)).resolves.toMatchObject({ status: 'completed' });

			fixture.server.injectFault({ status: 503, times: 4, pathPrefix: '/api/task_statuses' });
			fixture.server.injectFault({ status: 503, times: 4, pathPrefix: '/api/users/' });
			const escalation = {
				journeyId: 'visit:drchrono:9001',
				patientId: '5001',
				visitId: '9001',
				visitType: 'appointment' as const,
				title: 'Follow-up not booked',
				note: 'No booking after 7 days.',
				dueAt: '2026-03-17T22:00:00Z',
				priority: 'routine' as const,
				assigneeId: 'carecoord',
			};
			await expect(adapter.createTask(escalation)).rejects.toMatchObject({ status: 503 });
			await expect(adapter.createTask(escalation)).rejects.toMatchObject({ status: 503 });
			await expect(adapter.createTask(escalation)).resolves.toMatchObject({ created: true });
			expect(apiCalls(fixture.server, '/api/task_statuses').length).toBeGreaterThan(4);
		} finally {
			await fixture.server.close();
		}
	});

	it.each([
		['a template without placeholders', 'https://book.example.org/', 'https://book.example.org/'],
		['ids are URL-encoded', 'https://book.example.org/{orderId}', 'https://book.example.org/lab%2F1'],
		['not a URL after filling', '{orderId}', undefined],
		['a javascript: URL', 'javascript:alert({orderId})', undefined],
		['no template', undefined, undefined],
	])('fillLink: %s', (_label, template, expected) => {
		expect(fillLink(template, { orderId: 'lab/1', patientId: '5001', visitId: '9001' })).toBe(expected);
	});
});
