import { DomainError } from '../../../nodes/shared/core/errors';
import { defaultPatientCaseSubclass } from '../../../nodes/shared/ehr/athenahealth';
import { EhrHttpError } from '../../../nodes/shared/ehr/http';
import type { Escalation } from '../../../nodes/shared/ehr/types';
import type { Harness } from './helpers';
import { practiceId, seedVisit, startHarness, startSeededHarness } from './helpers';

const escalation: Escalation = {
	journeyId: 'visit:athenahealth:5001',
	patientId: '1001',
	practiceId,
	departmentId: '1',
	visitId: '5001',
	visitType: 'appointment',
	orderIds: ['9001'],
	title: 'Imaging not booked 7 days after the visit',
	note: 'Care summary by SMS on day 0, reminder by SMS on day 2; no imaging appointment found. Please call.',
	dueAt: '2025-03-18T14:00:00Z',
	priority: 'routine',
	assigneeId: 'jcoordinator',
	callbackNumber: '+15125550100',
};

function casePosts(harness: Harness) {
	return harness.server.state.requests.filter((request) => request.method === 'POST' && request.path.endsWith('/documents/patientcase'));
}

describe('athenahealth createTask (patient case)', () => {
	let harness: Harness;

	afterEach(async () => {
		await harness.server.close();
	});

	it('creates an outbound-call patient case and assigns it to the coordinator', async () => {
		harness = await startSeededHarness();
		const result = await harness.adapter.createTask(escalation);
		expect(result).toEqual({ taskId: '491696', kind: 'patientCase', created: true, assignment: 'assigned' });
		expect(casePosts(harness)[0]?.form).toEqual({
			departmentid: '1',
			documentsource: 'PATIENT',
			documentsubclass: defaultPatientCaseSubclass,
			subject: escalation.title,
			internalnote: escalation.note,
			priority: '2',
			outboundonly: 'true',
			callbacknumber: '5125550100',
		});
		expect(harness.server.state.patientCases.get('491696')).toMatchObject({ patientid: '1001', assignedto: 'jcoordinator' });
		const assign = harness.server.state.requests.find((request) => request.method === 'PUT');
		expect(assign?.path).toBe(`/v1/${practiceId}/patients/1001/documents/patientcase/491696/assign`);
		expect(assign?.form).toEqual({ username: 'jcoordinator' });
	});

	it('marks urgent cases priority 1 and cuts the note to athena\'s 4000 characters', async () => {
		harness = await startSeededHarness();
		await harness.adapter.createTask({ ...escalation, priority: 'urgent', note: 'n'.repeat(5000), assigneeId: undefined });
		const form = casePosts(harness)[0]?.form;
		expect(form?.priority).toBe('1');
		expect(form?.internalnote).toHaveLength(4000);
		expect(form?.internalnote?.endsWith('…')).toBe(true);
	});

	it('uses the configured subclass, source, department and provider', async () => {
		harness = await startHarness({
			patientCase: { documentSubclass: 'PATIENTCASE_OTHER', documentSource: 'OTHER', departmentId: '1', providerId: '21' },
		});
		seedVisit(harness.server);
		const result = await harness.adapter.createTask({ ...escalation, departmentId: undefined, assigneeId: undefined, callbackNumber: '+442079460958' });
		expect(result.assignment).toBe('notRequested');
		expect(casePosts(harness)[0]?.form).toMatchObject({
			departmentid: '1',
			documentsource: 'OTHER',
			documentsubclass: 'PATIENTCASE_OTHER',
			providerid: '21',
		});
		expect(casePosts(harness)[0]?.form).not.toHaveProperty('callbacknumber');
	});

	it('refuses without a department, before calling athena', async () => {
		harness = await startSeededHarness();
		await expect(harness.adapter.createTask({ ...escalation, departmentId: undefined })).rejects.toMatchObject({
			name: 'DomainError',
			code: 'missing_department',
		});
		await expect(harness.adapter.createTask({ ...escalation, departmentId: undefined })).rejects.toBeInstanceOf(DomainError);
		expect(casePosts(harness)).toHaveLength(0);
	});

	it('keeps the created case when athena refuses the assignee, and says so on the result', async () => {
		harness = await startSeededHarness();
		const result = await harness.adapter.createTask({ ...escalation, assigneeId: 'JCoordinator' });
		expect(result).toEqual({
			taskId: '491696',
			kind: 'patientCase',
			created: true,
			assignment: 'failed',
			assignmentError: 'athena answered 400: The username is not valid for assignment.',
		});
		expect(harness.server.state.patientCases.size).toBe(1);
		expect(harness.server.state.patientCases.get('491696')?.assignedto).toBeUndefined();
	});

	it('reports athena\'s refusal of the case itself as a non-retryable error without PHI', async () => {
		harness = await startSeededHarness();
		harness.server.injectFault({
			path: '/documents/patientcase',
			method: 'POST',
			status: 400,
			body: { error: 'Invalid documentsubclass for patient 1001 (ana@example.test)', detailedmessage: 'Ana Example, DOB 01/02/1980' },
		});
		const error = await harness.adapter.createTask(escalation).catch((caught: unknown) => caught);
		expect(error).toBeInstanceOf(EhrHttpError);
		expect(error).toMatchObject({ status: 400, retryable: false });
		expect((error as Error).message).toBe('athenahealth answered 400: creating the patient case: Invalid documentsubclass for patient # ([email])');
	});

	it('gives up on a case athena keeps answering 503 to, as retryable', async () => {
		harness = await startSeededHarness();
		harness.server.injectFault({ path: '/documents/patientcase', status: 503, times: 4 });
		await expect(harness.adapter.createTask(escalation)).rejects.toMatchObject({ status: 503, retryable: true });
		expect(harness.waits).toEqual([500, 1000, 2000]);
		expect(harness.server.state.patientCases.size).toBe(0);
	});
});
