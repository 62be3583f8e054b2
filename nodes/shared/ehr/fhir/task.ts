import { EhrResponseError } from '../http';
import type { Escalation, HttpResponse, TaskResult } from '../types';
import { isUnsupported } from './client';
import type { SearchParams } from './client';
import { ownerReference } from './facts';
import { parseReference } from './mapping';
import type { FhirShared } from './options';
import { createdSchema, EHR } from './resources';

/** Identifier system of the Tasks/Communications we create; its value is the journey id (idempotency key). */
export const journeyIdentifierSystem = 'urn:n8n-post-visit:journey';

const openTaskStatuses = ['requested', 'received', 'accepted', 'ready', 'in-progress', 'on-hold'];
const fhirJson = { 'Content-Type': 'application/fhir+json' };

function createdId(response: HttpResponse, resourceType: string): string {
	const body = createdSchema.safeParse(response.body);
	if (body.success) return body.data.id;
	const location = Object.entries(response.headers).find(([key]) => key.toLowerCase() === 'location')?.[1];
	const fromLocation = parseReference(location?.split('/_history/')[0]);
	if (fromLocation?.type === resourceType) return fromLocation.id;
	throw new EhrResponseError(EHR, `${resourceType}.id`, 'the server returned no id for the created resource');
}

/**
 * createTask of the FHIR adapter: a Task, found again by its journey identifier on a re-run; servers without
 * Task create (Epic) get a Communication to the assignee instead.
 */
export function createTaskCreator({ client, options }: FhirShared) {
	/** A search used only to avoid duplicates: a server that refuses it (400/403/405) just means "none found". */
	async function findExisting(resourceType: string, params: SearchParams): Promise<string | undefined> {
		const response = await client.send({ method: 'GET', url: `/${resourceType}`, qs: params });
		if ([400, 403, 405, 501].includes(response.status)) return undefined;
		const bundle = client.ensureOk(response, `searching ${resourceType}`).body as { entry?: Array<{ resource?: { resourceType?: string; id?: string } }> };
		return bundle.entry?.map((entry) => entry.resource).find((resource) => resource?.resourceType === resourceType)?.id;
	}

	const link = (type: string, id: string) => (options.baseUrl ? `${options.baseUrl.replace(/\/$/, '')}/${type}/${id}` : undefined);

	return async function createTask(escalation: Escalation): Promise<TaskResult> {
		const key = escalation.taskKey ?? escalation.journeyId;
		const identifier = { system: journeyIdentifierSystem, value: key };
		const token = `${journeyIdentifierSystem}|${key}`;
		// No patient only for a text from a number no journey reached: Task.for and Communication.subject are 0..1.
		const patient = escalation.patientId ? { reference: `Patient/${escalation.patientId}` } : undefined;
		const byPatient: SearchParams = patient ? { patient: patient.reference } : {};
		const visitType = escalation.visitType === 'appointment' ? 'Appointment' : 'Encounter';
		const visit = escalation.visitId ? { reference: `${visitType}/${escalation.visitId}` } : undefined;
		const owner = escalation.assigneeId ? { reference: ownerReference(escalation.assigneeId) } : undefined;
		const callBack = escalation.callbackNumber ? `Call back: ${escalation.callbackNumber}` : '';

		const existingTask = await findExisting('Task', { identifier: token, ...byPatient, status: openTaskStatuses.join(',') });
		if (existingTask) return { taskId: existingTask, kind: 'task', created: false, url: link('Task', existingTask) };

		const task = {
			resourceType: 'Task',
			identifier: [identifier],
			status: 'requested',
			intent: 'order',
			priority: escalation.priority,
			code: { text: escalation.title },
			description: escalation.note,
			for: patient,
			focus: visit,
			encounter: visitType === 'Encounter' ? visit : undefined,
			owner,
			restriction: { period: { end: escalation.dueAt } },
			note: callBack ? [{ text: callBack }] : undefined,
		};
		const response = await client.send({ method: 'POST', url: '/Task', body: task, headers: fhirJson });
		if (response.status >= 200 && response.status < 300) {
			const id = createdId(response, 'Task');
			return { taskId: id, kind: 'task', created: true, url: link('Task', id) };
		}
		if (!isUnsupported(response)) client.ensureOk(response, 'creating Task');

		// Servers without Task create (Epic): a Communication to the assignee, about the visit.
		const existingMessage = await findExisting('Communication', { identifier: token, ...byPatient });
		if (existingMessage) {
			return { taskId: existingMessage, kind: 'communication', created: false, url: link('Communication', existingMessage) };
		}
		const communication = {
			resourceType: 'Communication',
			identifier: [identifier],
			status: 'in-progress',
			priority: escalation.priority,
			subject: patient,
			recipient: owner ? [owner] : undefined,
			about: visit ? [visit] : undefined,
			encounter: visitType === 'Encounter' ? visit : undefined,
			topic: { text: escalation.title },
			payload: [{ contentString: [escalation.title, escalation.note, callBack].filter(Boolean).join('\n') }],
		};
		const sent = client.ensureOk(
			await client.send({ method: 'POST', url: '/Communication', body: communication, headers: fhirJson }),
			'creating Communication',
		);
		const id = createdId(sent, 'Communication');
		return { taskId: id, kind: 'communication', created: true, url: link('Communication', id) };
	};
}
