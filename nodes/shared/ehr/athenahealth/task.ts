import { DomainError } from '../../core/errors';
import { EhrHttpError } from '../http';
import type { Escalation, TaskAssignment } from '../types';
import { isOk } from './client';
import { EHR, athenaPhone, vendorErrorText } from './mapping';
import type { AthenaShared, AthenaTaskResult } from './options';
import { patientCaseCreatedSchema, successSchema } from './schemas';

export const defaultPatientCaseSubclass = 'PATIENTCASE_SCHEDULING';
export const defaultPatientCaseSource = 'PATIENT';
const internalNoteLimit = 4000;

function truncate(text: string, limit: number): string {
	return text.length <= limit ? text : `${text.slice(0, limit - 1)}…`;
}

function casePathOf({ client }: AthenaShared, patientId: string): string {
	return `${client.pathOf('patients', patientId)}/documents/patientcase`;
}

/*
 * assignTask of the athenahealth adapter: assigns a patient case to an athenaNet username. A refused assignment
 * (an unknown or inactive username) is reported, not thrown: the case exists, and a retry must not create another.
 */
export function createPatientCaseAssigner(shared: AthenaShared) {
	return async function assignTask(caseId: string, escalation: Escalation): Promise<TaskAssignment> {
		if (!escalation.patientId || !escalation.assigneeId) {
			return { assignment: 'failed', assignmentError: 'no patient or no athenaNet username to assign the patient case to' };
		}
		const assign = await shared.client.call({
			method: 'PUT',
			url: `${casePathOf(shared, escalation.patientId)}/${encodeURIComponent(caseId)}/assign`,
			form: { username: escalation.assigneeId },
		});
		if (isOk(assign) && successSchema.safeParse(assign.body).data?.success !== false) return { assignment: 'assigned' };
		const detail = vendorErrorText(assign.body);
		return { assignment: 'failed', assignmentError: `athena answered ${assign.status}${detail ? `: ${detail}` : ''}` };
	};
}

/*
 * createTask of the athenahealth adapter: a patient case, then its assignment. Idempotency is the node's: athena
 * cannot search patient cases by a key of ours, so the EHR Task node claims journey + stage in the journey store
 * before calling this, and a retry after a crash in between is reported as "unknown — check", not repeated.
 */
export function createPatientCaseCreator(shared: AthenaShared) {
	const { client, options } = shared;
	const assignTask = createPatientCaseAssigner(shared);
	function caseForm(escalation: Escalation, departmentId: string): Record<string, string> {
		const caseOptions = options.patientCase ?? {};
		const form: Record<string, string> = {
			departmentid: departmentId,
			documentsource: caseOptions.documentSource ?? defaultPatientCaseSource,
			documentsubclass: caseOptions.documentSubclass ?? defaultPatientCaseSubclass,
			subject: truncate(escalation.title, 100),
			internalnote: truncate(escalation.note, internalNoteLimit),
			priority: escalation.priority === 'urgent' ? '1' : '2',
			outboundonly: 'true',
		};
		if (caseOptions.providerId) form.providerid = caseOptions.providerId;
		const callback = athenaPhone(escalation.callbackNumber);
		if (callback) form.callbacknumber = callback;
		return form;
	}

	return async function createTask(escalation: Escalation): Promise<AthenaTaskResult> {
		if (!escalation.patientId) {
			throw new DomainError(
				'athenahealth files tasks as patient cases, which need a patient: a text from a number no journey reached ' +
					'cannot be filed; read it in the execution and answer by phone',
				'not_supported',
				'patientId',
			);
		}
		const departmentId = escalation.departmentId ?? options.patientCase?.departmentId;
		if (!departmentId) {
			throw new DomainError(
				'athenahealth patient cases need a department: none on the visit and none configured',
				'missing_department',
				'departmentId',
			);
		}
		const casePath = casePathOf(shared, escalation.patientId);
		const action = 'creating the patient case';
		const response = await client.send({ method: 'POST', url: casePath, form: caseForm(escalation, departmentId) }, action);
		const created = client.parse(patientCaseCreatedSchema, response.body, 'patientcase');
		if (created.success === false || !created.patientcaseid) {
			const detail = vendorErrorText(response.body) ?? 'athena answered without a patientcaseid';
			throw new EhrHttpError(EHR, response.status, `${action}: ${detail}`, false);
		}
		const result: AthenaTaskResult = { taskId: created.patientcaseid, kind: 'patientCase', created: true, assignment: 'notRequested' };
		if (!escalation.assigneeId) return result;
		return { ...result, ...(await assignTask(created.patientcaseid, escalation)) };
	};
}
