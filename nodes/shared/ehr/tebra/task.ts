import { DomainError } from '../../core/errors';
import type { Escalation, TaskResult } from '../types';
import type { TebraShared } from './options';
import { element, ordered } from './soap';

/** The alert text: what staff must do, with no clinical detail (the alert shows wherever the patient is opened). */
const alertMessage = 'Post-visit follow-up open: call the patient to book it (see the staff notification).';

/**
 * createTask of the Tebra adapter. Tebra has no task, to-do or message operation, so nothing is filed in Tebra:
 * the staff notification that follows is the task (`staffNotice`). With the Patient Alert option on, the
 * patient's Alert is also set through UpdatePatient, shown when the patient is opened or scheduled. UpdatePatient
 * replaces the alert, so an alert staff wrote by hand is overwritten: that is why it is off by default.
 */
export function createTaskCreator(shared: TebraShared) {
	const { client, options } = shared;
	return async function createTask(escalation: Escalation): Promise<TaskResult> {
		const key = escalation.taskKey ?? escalation.journeyId;
		const where = [
			escalation.patientId ? `Tebra patient ${escalation.patientId}` : 'patient unknown',
			escalation.visitId ? `appointment ${escalation.visitId}` : undefined,
		].filter(Boolean);
		if (!options.patientAlert || !escalation.patientId) {
			return {
				taskId: `notice:${key}`,
				kind: 'staffNotice',
				created: true,
				reference: `${where.join(', ')} (Tebra has no task list: this message is the task)`,
			};
		}
		if (!options.practiceName) throw new DomainError('The Tebra credential names no practice', 'invalid_input', 'practiceName');
		await client.call('UpdatePatient', {
			Patient: ordered({
				Alert: ordered({ Message: alertMessage, ShowWhenDisplayingPatientDetails: 'true', ShowWhenSchedulingAppointments: 'true' }),
				PatientID: escalation.patientId,
				Practice: [element('PracticeName', options.practiceName)],
			}),
		});
		return {
			taskId: `alert:${escalation.patientId}:${key}`,
			kind: 'patientAlert',
			created: true,
			reference: `${where.join(', ')} (alert set on the patient in Tebra; Tebra has no task list)`,
		};
	};
}
