import { join } from 'node:path';

import { parseSearchRequest } from '@medplum/core';
import { DateTime } from 'luxon';
import type { Communication, Task } from '@medplum/fhirtypes';
import type { ICredentialDataDecryptedObject, IDataObject, INodeParameters } from 'n8n-workflow';

import { EhrTask } from '../../nodes/EhrTask/EhrTask.node';
import { VisitDetails } from '../../nodes/VisitDetails/VisitDetails.node';
import type { EhrKind } from '../../nodes/shared/core/schemas';
import { journeyIdentifierSystem } from '../../nodes/shared/ehr/fhir/adapter';
import type { NotificationEvent } from '../../nodes/shared/ehr/types';
import { openJourneyStore } from '../../nodes/shared/store';
import { closeAthenaVisit, openAthenaVisit } from '../../sandbox/athena-demo';
import { demoPatients } from '../../sandbox/demo-patients';
import { openDrChronoVisit } from '../../sandbox/drchrono-demo';
import { demoIds } from '../../sandbox/drchrono-server';
import { closeFhirVisit, ensureFhirPatient, fhirBackportNotification } from '../../sandbox/fhir-demo';
import { startSmtpSink } from '../../sandbox/smtp-sink';
import type { SmtpSink } from '../../sandbox/smtp-sink';
import { john, post, useEhrSandboxes } from '../helpers/ehrSandboxes';
import { loadNodeOptions, runWorkflow, single } from '../helpers/engine';
import { journeyStoreCredential, packCredentialTypes, practiceProfileCredential, tempDir, testContactHashSecret } from '../helpers/fixtures';

const secret = 'whsec-ehr-task-0123456789abcdef';
const coordinatorEmail = 'maria@example.test';
const sandbox = useEhrSandboxes({ webhookSecret: secret });

let smtp: SmtpSink;

beforeAll(async () => {
	smtp = await startSmtpSink({ disableStartTls: true });
	sandbox.athena.addUser('jcoordinator');
});
afterAll(async () => {
	await smtp.close();
});
beforeEach(() => {
	smtp.reset();
	sandbox.fhir.settings.refuseTaskCreate = false;
});

/** The care coordinator of the practice profile, with her id in each EHR. */
const coordinatorId: Record<EhrKind, string> = {
	fhir: 'Practitioner/staff-1',
	athenahealth: 'jcoordinator',
	drchrono: demoIds.coordinator,
	// Not exercised here (Tebra has no task API; HL7 v2 files through FHIR): test/ehr/tebra, test/ehr/hl7v2.
	tebra: 'care-coordinator',
	hl7v2: 'Practitioner/staff-1',
};

function credentials(ehr: EhrKind, storePath: string, ids: Record<EhrKind, string> = coordinatorId): Record<string, ICredentialDataDecryptedObject> {
	return {
		...sandbox.credentials(ehr),
		journeyStoreApi: journeyStoreCredential(storePath),
		practiceProfileApi: practiceProfileCredential({
			staff: JSON.stringify([
				// One directory for the three EHRs, as the sandbox has: each journey's EHR picks the coordinator's own id.
				{
					key: 'care-coordinator',
					name: 'Maria Lopez',
					ehrUserId: ids.fhir,
					ehrUserIds: { athenahealth: ids.athenahealth, drchrono: ids.drchrono },
					email: coordinatorEmail,
					notifyBy: 'email',
				},
			]),
		}),
		postVisitSmtpApi: { host: '127.0.0.1', port: smtp.port, security: 'none', fromEmail: 'care@riverside.test', fromName: 'Riverside' },
	};
}

const nodeTypes = { visitDetails: new VisitDetails(), ehrTask: new EhrTask() };

let visitCounter = 0;

/** A visit closed in the EHR and admitted by Visit Details: the journey item that reaches EHR Task days later. */
async function admittedVisit(ehr: EhrKind): Promise<{ item: IDataObject; storePath: string }> {
	const storePath = join(tempDir(), 'journey.sqlite');
	let notification: NotificationEvent;
	if (ehr === 'fhir') {
		const patientId = await ensureFhirPatient(sandbox.fhir, { ...john, key: `john-${++visitCounter}` });
		const { encounterId } = await closeFhirVisit(sandbox.fhir, patientId, { completedAt: DateTime.utc().minus({ days: 7 }).toISO() as string });
		const delivery = JSON.stringify(fhirBackportNotification(encounterId, ++visitCounter));
		notification = sandbox.verified(
			'fhir',
			post(delivery, { 'content-type': 'application/fhir+json', 'x-webhook-secret': secret }),
		);
	} else if (ehr === 'athenahealth') {
		const { appointmentId } = openAthenaVisit(sandbox.athena, demoPatients[visitCounter++ % demoPatients.length]!);
		const delivery = closeAthenaVisit(sandbox.athena, appointmentId, secret);
		notification = sandbox.verified('athenahealth', post(delivery.body, delivery.headers));
	} else {
		const { appointmentId } = openDrChronoVisit(sandbox.drchrono, john);
		notification = sandbox.verified('drchrono', (await sandbox.drchrono.completeAppointment(appointmentId)).delivery!);
	}
	const admitted = await runWorkflow(single('Visit Details', 'visitDetails', { ehr }, [notification]), {
		nodeTypes,
		credentials: credentials(ehr, storePath),
		credentialTypes: packCredentialTypes(),
	});
	const [item] = admitted.output('Visit Details', 0);
	if (!item) throw new Error(`not admitted: ${JSON.stringify(admitted.error('Visit Details'))}`);
	return { item, storePath };
}

async function ehrTask(
	ehr: EhrKind,
	item: IDataObject,
	storePath: string,
	parameters: INodeParameters = {},
	options: { ids?: Record<EhrKind, string>; node?: IDataObject } = {},
) {
	const result = await runWorkflow(single('EHR Task', 'ehrTask', { ehr, ...parameters }, [item], options.node), {
		nodeTypes,
		credentials: credentials(ehr, storePath, options.ids),
		credentialTypes: packCredentialTypes(),
	});
	const [task] = result.output('EHR Task', 0);
	return { ...result, task: task?.task as IDataObject | undefined, json: task };
}

async function fhirResources<T>(type: 'Task' | 'Communication', journeyId: string): Promise<T[]> {
	return (await sandbox.fhir.repo.searchResources(
		parseSearchRequest(`${type}?identifier=${encodeURIComponent(`${journeyIdentifierSystem}|${journeyId}`)}`),
	)) as T[];
}

describe('EHR Task against the local FHIR server', () => {
	it('takes the assignee as the dropdown stores it (the staff key listed by name) or from an expression', async () => {
		const { item, storePath } = await admittedVisit('fhir');
		const listed = await loadNodeOptions(
			single('EHR Task', 'ehrTask', { ehr: 'fhir' }, []),
			{ nodeTypes, credentials: credentials('fhir', storePath), credentialTypes: packCredentialTypes() },
			'EHR Task',
			'staffDirectory',
		);
		expect(listed.map((option) => [option.name, option.value])).toEqual([['Maria Lopez', 'care-coordinator']]);
		const result = await ehrTask('fhir', item, storePath, { assignee: '={{ "care-" + "coordinator" }}' });
		expect(result.error('EHR Task')).toBeUndefined();
		expect(result.task?.summary).toMatch(/^Task \S+ created in the FHIR server for Maria Lopez, who was told by email$/);
		expect(smtp.messages.map((message) => message.to)).toEqual([[coordinatorEmail]]);
	});

	it('creates a FHIR Task for the coordinator from the staff directory and emails her through SMTP', async () => {
		const { item, storePath } = await admittedVisit('fhir');
		const journeyId = (item.journey as { journeyId: string }).journeyId;
		const result = await ehrTask('fhir', item, storePath);
		expect(result.error('EHR Task')).toBeUndefined();

		const tasks = await fhirResources<Task>('Task', journeyId);
		expect(tasks).toHaveLength(1);
		const [task] = tasks;
		expect(task).toMatchObject({
			status: 'requested',
			intent: 'order',
			priority: 'routine',
			owner: { reference: coordinatorId.fhir },
			for: { reference: `Patient/${item.patientId}` },
			focus: { reference: `Encounter/${item.visitId}` },
		});
		expect(task.description).toMatch(/Reason for this task: follow-up still open after the reminders\./);
		expect(result.task).toEqual({
			taskId: task.id,
			kind: 'task',
			created: true,
			existing: false,
			url: `${sandbox.fhir.url}/Task/${task.id}`,
			staffNotified: { channel: 'email', status: 'sent', providerId: expect.any(String) },
			summary: `Task ${task.id} created in the FHIR server for Maria Lopez, who was told by email`,
		});

		expect(smtp.messages).toHaveLength(1);
		expect(smtp.messages[0].to).toEqual([coordinatorEmail]);
		expect(smtp.messages[0].subject).toBe('Patient follow-up task assigned to you');
		expect(smtp.messages[0].text).toContain(`${sandbox.fhir.url}/Task/${task.id}`);

		const journey = result.json!.journey as { steps: Array<{ outcome: string; channel?: string; providerId?: string }> };
		expect(journey.steps.at(-1)).toMatchObject({ outcome: 'escalated', channel: 'task', providerId: task.id });
		const store = await openJourneyStore({ backend: 'sqlite', path: storePath, contactHashSecret: testContactHashSecret });
		const journal = await store.journal({ journeyId });
		await store.close();
		expect(journal.map((entry) => entry.type)).toEqual(expect.arrayContaining(['task.created', 'staff.notified']));
	});

	it('returns the same Task when run again, from the journey store\'s claim and, with a fresh store, from the EHR', async () => {
		const { item, storePath } = await admittedVisit('fhir');
		const journeyId = (item.journey as { journeyId: string }).journeyId;
		const first = await ehrTask('fhir', item, storePath);
		const again = await ehrTask('fhir', item, storePath);
		expect(again.task).toMatchObject({ taskId: first.task!.taskId, existing: true, created: false });

		// A restored or different journey store: the adapter finds the open Task by its journey identifier.
		const elsewhere = await ehrTask('fhir', item, join(tempDir(), 'other.sqlite'));
		expect(elsewhere.task).toMatchObject({ taskId: first.task!.taskId, existing: true, created: false });
		expect(await fhirResources('Task', journeyId)).toHaveLength(1);
	});

	it('writes the reason from the item into the task (the default "Reason" expression)', async () => {
		const { item, storePath } = await admittedVisit('fhir');
		const result = await ehrTask('fhir', { ...item, staffCall: { reason: 'optedOutEverywhere' } }, storePath);
		const [task] = await fhirResources<Task>('Task', (item.journey as { journeyId: string }).journeyId);
		expect(result.error('EHR Task')).toBeUndefined();
		expect(task.description).toMatch(/Reason for this task: no reachable channel \(optedOutEverywhere\)\./);
	});

	it('in Epic mode (the server refuses Task create) escalates with a Communication to the coordinator', async () => {
		sandbox.fhir.settings.refuseTaskCreate = true;
		const { item, storePath } = await admittedVisit('fhir');
		const journeyId = (item.journey as { journeyId: string }).journeyId;
		const result = await ehrTask('fhir', item, storePath, { priority: 'urgent' });
		expect(result.error('EHR Task')).toBeUndefined();
		const communications = await fhirResources<Communication>('Communication', journeyId);
		expect(communications).toHaveLength(1);
		expect(communications[0]).toMatchObject({
			status: 'in-progress',
			priority: 'urgent',
			recipient: [{ reference: coordinatorId.fhir }],
			subject: { reference: `Patient/${item.patientId}` },
		});
		expect(await fhirResources('Task', journeyId)).toEqual([]);
		expect(result.task).toMatchObject({ taskId: communications[0].id, kind: 'communication', created: true });
		expect(smtp.messages.map((message) => message.to)).toEqual([[coordinatorEmail]]);
	});

	it('refuses an assignee key that is not in the staff directory, naming "assignee", and creates nothing', async () => {
		const { item, storePath } = await admittedVisit('fhir');
		const result = await ehrTask('fhir', item, storePath, { assignee: 'night-nurse' });
		expect(result.status).toBe('error');
		expect(result.nodeError('EHR Task')).toMatchObject({
			name: 'NodeOperationError',
			message: expect.stringMatching(/No staff member with key "night-nurse"/),
			description: 'Check the field "assignee".',
		});
		expect(await fhirResources('Task', (item.journey as { journeyId: string }).journeyId)).toEqual([]);
		expect(smtp.messages).toEqual([]);
	});

	it('says the task exists when the coordinator\'s email bounces, and a retry notifies without a second task', async () => {
		const { item, storePath } = await admittedVisit('fhir');
		const journeyId = (item.journey as { journeyId: string }).journeyId;
		smtp.setRecipientBehaviour(coordinatorEmail, 'bounce');
		try {
			const bounced = await ehrTask('fhir', item, storePath);
			expect(bounced.status).toBe('error');
			const [task] = await fhirResources<Task>('Task', journeyId);
			expect(bounced.error('EHR Task')?.message).toBe(
				`Task ${task.id} is in the EHR worklist, but Maria Lopez could not be notified (email: rejected). ` +
					'Check their email/phone in the staff directory and the email/SMS credentials, then retry: the task will not be created twice.',
			);
		} finally {
			smtp.setRecipientBehaviour(coordinatorEmail, undefined);
		}
		const retried = await ehrTask('fhir', item, storePath);
		expect(retried.error('EHR Task')).toBeUndefined();
		expect(retried.task).toMatchObject({ existing: true, staffNotified: { channel: 'email', status: 'sent' } });
		expect(await fhirResources('Task', journeyId)).toHaveLength(1);
		expect(smtp.messages.map((message) => message.to)).toEqual([[coordinatorEmail]]);
	});
});

describe('EHR Task against the local athenahealth and DrChrono servers', () => {
	it('athenahealth: opens a patient case assigned to the coordinator\'s athenaNet user, and emails her', async () => {
		const { item, storePath } = await admittedVisit('athenahealth');
		const result = await ehrTask('athenahealth', item, storePath, { priority: 'urgent' });
		expect(result.error('EHR Task')).toBeUndefined();
		const cases = [...sandbox.athena.state.patientCases.values()].filter((patientCase) => patientCase.patientid === item.patientId);
		expect(cases).toHaveLength(1);
		expect(cases[0]).toMatchObject({
			assignedto: 'jcoordinator',
			departmentid: item.departmentId,
			priority: '1',
			subject: 'Call patient: post-visit follow-up not done',
			internalnote: expect.stringMatching(/Reason for this task: follow-up still open after the reminders\./),
		});
		expect(result.task).toMatchObject({ taskId: cases[0].patientcaseid, kind: 'patientCase', created: true, assignment: 'assigned' });
		expect(smtp.messages.map((message) => message.to)).toEqual([[coordinatorEmail]]);
	});

	describe('athenahealth: a patient case its assignment refused', () => {
		const wrongUsername = { ...coordinatorId, athenahealth: 'jcoordinater' };
		const casesOf = (item: IDataObject) => [...sandbox.athena.state.patientCases.values()].filter((patientCase) => patientCase.patientid === item.patientId);
		const journalOf = async (storePath: string, journeyId: string) => {
			const store = await openJourneyStore({ backend: 'sqlite', path: storePath, contactHashSecret: testContactHashSecret });
			try {
				return (await store.journal({ journeyId })).map((entry) => entry.type);
			} finally {
				await store.close();
			}
		};

		it('fails the execution (for the Error Alert), journals it, tells nobody; a retry after the fix assigns the same case', async () => {
			const { item, storePath } = await admittedVisit('athenahealth');
			const journeyId = (item.journey as IDataObject).journeyId as string;
			const failed = await ehrTask('athenahealth', item, storePath, {}, { ids: wrongUsername });
			expect(failed.status).toBe('error');
			expect(failed.nodeError('EHR Task')).toMatchObject({ name: 'NodeOperationError' });
			const [patientCase] = casesOf(item);
			expect(failed.error('EHR Task')?.message).toBe(
				`Task ${patientCase.patientcaseid as string} is in the EHR worklist but could not be assigned to Maria Lopez (EHR user id "jcoordinater"), ` +
					'so Maria Lopez was not told about it. Check their EHR user id in the practice profile\'s staff directory, then retry: the task will not be created twice.',
			);
			expect(patientCase.assignedto).toBeUndefined();
			expect(smtp.messages).toEqual([]);
			expect(await journalOf(storePath, journeyId)).toEqual(expect.arrayContaining(['task.created', 'task.assignmentFailed']));
			expect(await journalOf(storePath, journeyId)).not.toContain('staff.notified');

			// Still wrong: the same case, assigned again and refused again; nobody told.
			expect((await ehrTask('athenahealth', item, storePath, {}, { ids: wrongUsername })).status).toBe('error');
			expect(smtp.messages).toEqual([]);

			const fixed = await ehrTask('athenahealth', item, storePath);
			expect(fixed.error('EHR Task')).toBeUndefined();
			expect(fixed.task).toMatchObject({ taskId: patientCase.patientcaseid, existing: true, assignment: 'assigned', staffNotified: { status: 'sent' } });
			expect(casesOf(item)).toHaveLength(1);
			expect(casesOf(item)[0]).toMatchObject({ assignedto: 'jcoordinator' });
			expect(smtp.messages.map((message) => message.to)).toEqual([[coordinatorEmail]]);
			expect(await journalOf(storePath, journeyId)).toEqual(expect.arrayContaining(['task.assigned', 'staff.notified']));
		});

		it('under "Continue (using error output)" the item leaves on the error output with the journey, and nobody is told', async () => {
			const { item, storePath } = await admittedVisit('athenahealth');
			const result = await ehrTask('athenahealth', item, storePath, {}, { ids: wrongUsername, node: { onError: 'continueErrorOutput' } });
			expect(result.status).toBe('success');
			expect(result.output('EHR Task', 0)).toEqual([]);
			const [errorItem] = result.output('EHR Task', 1);
			expect(errorItem).toMatchObject({ error: expect.stringMatching(/could not be assigned to Maria Lopez/), journey: { journeyId: (item.journey as IDataObject).journeyId } });
			expect(casesOf(item)).toHaveLength(1);
			expect(smtp.messages).toEqual([]);
			expect(await journalOf(storePath, (item.journey as IDataObject).journeyId as string)).toEqual(expect.arrayContaining(['task.assignmentFailed', 'node.failed']));
		});
	});

	it('DrChrono: creates a task for the coordinator on the patient and the appointment, with the note, once', async () => {
		const { item, storePath } = await admittedVisit('drchrono');
		const result = await ehrTask('drchrono', item, storePath, { priority: 'urgent' });
		expect(result.error('EHR Task')).toBeUndefined();
		const tasksOfVisit = () =>
			[...sandbox.drchrono.state.tasks.values()].filter((task) =>
				task.associated_items.some((associated) => associated.type === 'Appointment' && String(associated.value) === item.visitId),
			);
		const tasks = tasksOfVisit();
		expect(tasks).toHaveLength(1);
		expect(tasks[0]).toMatchObject({
			assignee_user: demoIds.coordinator,
			priority: '30',
			status: demoIds.openTaskStatus,
			title: 'Call patient: post-visit follow-up not done',
		});
		const notes = [...sandbox.drchrono.state.taskNotes.values()].filter((note) => note.task === tasks[0].id);
		expect(notes.map((note) => note.text)).toEqual([expect.stringMatching(/Reason for this task/)]);
		expect(result.task).toMatchObject({ taskId: String(tasks[0].id), kind: 'task', created: true });
		expect(smtp.messages.map((message) => message.to)).toEqual([[coordinatorEmail]]);

		// A fresh journey store: DrChrono's own task list still prevents a second task.
		const elsewhere = await ehrTask('drchrono', item, join(tempDir(), 'other.sqlite'), { priority: 'urgent' });
		expect(elsewhere.task).toMatchObject({ taskId: String(tasks[0].id), existing: true });
		expect(tasksOfVisit()).toHaveLength(1);
	});
});
