import { join } from 'node:path';

import { parsePracticeProfile } from '../../nodes/shared/core/practice';
import { journeyIdOf, patientKeyOf } from '../../nodes/shared/core/schemas';
import { startTrail } from '../../nodes/shared/core/trail';
import { createAthenaAdapter } from '../../nodes/shared/ehr/athenahealth';
import type { HttpClient } from '../../nodes/shared/ehr/types';
import { escalate } from '../../nodes/shared/flows/escalate';
import type { DeliveryOutcome, MessageSenders } from '../../nodes/shared/flows/sendTouch';
import { openJourneyStore } from '../../nodes/shared/store';
import type { JourneyStore } from '../../nodes/shared/store/types';
import { startAthenaServer } from '../../sandbox/athenahealth-server';
import type { AthenaSandbox } from '../../sandbox/athenahealth-server';
import { clientId, clientSecret, practiceId, seedVisit, serverNow } from '../ehr/athenahealth/helpers';
import { fetchHttpClient, instantRetryPolicy } from '../helpers/fetchHttpClient';
import { tempDir, testContactHashSecret, visitEvent } from '../helpers/fixtures';

/*
 * Found by the reliability run: when the EHR took the task but its answer never came (a timeout), the staff
 * task claim was released, so a retry of the execution created a second athenahealth patient case (athena's
 * cases cannot be searched by our key, unlike FHIR Tasks and DrChrono tasks, which the adapters find again).
 */

const profile = parsePracticeProfile({
	practiceName: 'Riverside',
	practicePhone: '(512) 555-0100',
	staff: [{ key: 'coordinator', name: 'Jo Coordinator', ehrUserId: 'jcoordinator', email: 'jo@practice.test', notifyBy: 'email' }],
});
const event = visitEvent({ ehr: 'athenahealth', patientId: '1001', departmentId: '1', visitId: '5001', visitType: 'appointment', practiceId });
const trail = startTrail(journeyIdOf(event), patientKeyOf(event));
const now = serverNow.toISOString();

let server: AthenaSandbox;
let store: JourneyStore;
const notified: string[] = [];
const senders: MessageSenders = {
	email: async (to: string): Promise<DeliveryOutcome> => {
		notified.push(to);
		return { status: 'sent', providerId: `mail-${notified.length}`, providerStatus: 'accepted' };
	},
};

beforeEach(async () => {
	server = await startAthenaServer({ practiceId, clientId, clientSecret, now: () => serverNow });
	seedVisit(server);
	store = await openJourneyStore({ backend: 'sqlite', path: join(tempDir(), 'journey.sqlite'), contactHashSecret: testContactHashSecret });
	notified.length = 0;
});
afterEach(async () => {
	await store.close();
	await server.close();
});

/** The real sandbox behind it; the answer to a patient-case POST is lost after athena has acted on it. */
function losingCaseAnswers(): HttpClient {
	const token = server.issueToken();
	const http = fetchHttpClient(server.url, () => ({ authorization: `Bearer ${token}` }));
	return async (request) => {
		const response = await http(request);
		if (request.method === 'POST' && request.url.endsWith('/documents/patientcase')) {
			throw Object.assign(new Error('timeout of 20000ms exceeded'), { code: 'ECONNABORTED' });
		}
		return response;
	};
}

function casePosts(): number {
	return server.state.requests.filter((request) => request.method === 'POST' && request.path.endsWith('/documents/patientcase')).length;
}

const run = async (http: HttpClient) =>
	await escalate({
		event,
		trail,
		adapter: createAthenaAdapter({ http, practiceId, retry: instantRetryPolicy([]) }),
		store,
		profile,
		senders,
		assigneeKey: 'coordinator',
		dueInHours: 24,
		priority: 'routine',
		reason: 'not booked after 7 days',
		now,
		nodeName: 'EHR Task',
	});

describe('EHR Task on athenahealth when the answer to the create is lost', () => {
	it('keeps the claim and says to check the worklist; a retry creates no second patient case', async () => {
		await expect(run(losingCaseAnswers())).rejects.toMatchObject({
			code: 'task_uncertain',
			message: expect.stringMatching(/may be in the EHR worklist.*will not get a second task/),
		});
		expect(casePosts()).toBe(1);
		expect(server.state.patientCases.size).toBe(1);
		expect(await store.getClaim(`task:${trail.journeyId}`)).toMatchObject({ state: 'claimed', channel: 'task' });
		expect(await store.journal({ journeyId: trail.journeyId, type: 'claim.unknown' })).toEqual([
			expect.objectContaining({ code: 'ECONNABORTED', channel: 'task', detail: { claimKey: `task:${trail.journeyId}`, claimedAt: now } }),
		]);

		// Retry of the execution, now with a healthy connection: refused, not a second case.
		await expect(run(fetchHttpClient(server.url, () => ({ authorization: `Bearer ${server.issueToken()}` })))).rejects.toMatchObject({
			code: 'task_unknown',
		});
		expect(casePosts()).toBe(1);
		expect(server.state.patientCases.size).toBe(1);
		expect(notified).toEqual([]);
	});

	it('still releases the claim when the create surely failed (a 500 after retries), so a retry creates the case', async () => {
		server.injectFault({ method: 'POST', path: '/documents/patientcase', status: 500, times: 4 });
		const healthy = fetchHttpClient(server.url, () => ({ authorization: `Bearer ${server.issueToken()}` }));
		await expect(run(healthy)).rejects.toThrow();
		expect(await store.getClaim(`task:${trail.journeyId}`)).toMatchObject({ state: 'released' });

		const outcome = await run(healthy);
		expect(outcome.task).toMatchObject({ kind: 'patientCase', created: true });
		expect(server.state.patientCases.size).toBe(1);
		expect(notified).toEqual(['jo@practice.test']);
	});
});
