import type { INode } from 'n8n-workflow';

import { EhrHttpError, EhrUnreachableError } from '../../nodes/shared/ehr/http';
import { toNodeError } from '../../nodes/shared/n8n/errors';

const node: INode = {
	id: 'visit-details',
	name: 'Visit Details',
	type: 'n8n-nodes-post-visit.visitDetails',
	typeVersion: 1,
	position: [0, 0],
	parameters: {},
};

/**
 * The message of an EHR error is what the executions list and the error workflow's alert to the practice
 * manager show; the reliability suite found it said only "fhir answered 503". It must say what to do.
 */
describe('toNodeError for an EHR error answer', () => {
	it.each<[string, EhrHttpError, RegExp]>([
		['401 after a refresh', new EhrHttpError('athenahealth', 401, 'reading the appointment: access token refused even after a refresh', false), /check the EHR credential/],
		['403', new EhrHttpError('fhir', 403, 'reading Encounter: forbidden: Injected fault', false), /ask the EHR administrator to allow this API client/],
		['404', new EhrHttpError('drchrono', 404, 'reading the patient: Not found.', false), /match the credential and that the record still exists/],
		['429 given up', new EhrHttpError('fhir', 429, 'gave up after 4 attempts', true), /busy or unavailable; retry the execution/],
		['503 given up', new EhrHttpError('athenahealth', 503, 'gave up after 4 attempts', true), /busy or unavailable; retry the execution/],
		['400', new EhrHttpError('drchrono', 400, 'creating the task: assignee_user: Invalid user.', false), /check the request or setting named above/],
	])('%s: names the status, the EHR\'s reason and what to do', (_label, error, advice) => {
		const nodeError = toNodeError(node, error, 0);
		expect(nodeError.message).toMatch(new RegExp(`^${error.ehr} answered ${error.status} \\(`));
		expect(nodeError.message).toContain(error.vendorMessage);
		expect(nodeError.message).toMatch(advice);
		expect(nodeError.message).toMatch(/retry the execution/);
		expect(nodeError.description).toBe(error.vendorMessage);
	});
});

describe('toNodeError when the EHR did not answer', () => {
	it('after a read gave up: says the EHR is slow or unreachable and to retry the execution', () => {
		const message = toNodeError(node, new EhrUnreachableError('drchrono', 'ECONNABORTED', 4, false), 0).message;
		expect(message).toBe('drchrono did not answer in time (4 attempts): drchrono is slow or unreachable; retry the execution from the executions list once it answers again');
	});

	it('after a write that may have arrived: says to check the EHR before retrying', () => {
		const message = toNodeError(node, new EhrUnreachableError('fhir', 'ECONNABORTED', 1, true), 0).message;
		expect(message).toMatch(/^fhir did not answer in time \(1 attempt\): the request may have reached fhir and taken effect: check there before retrying/);
	});
});
