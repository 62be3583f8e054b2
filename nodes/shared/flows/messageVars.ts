import { schedulingLinkFor } from '../core/compose';
import type { MessageVars, TemplateId } from '../core/compose';
import type { PracticeProfile } from '../core/practice';
import type { ActionItem, Channel, JourneyEvent } from '../core/schemas';

/** The action a message names: the first one still open, else the first at all. */
export function primaryAction(event: JourneyEvent): ActionItem | undefined {
	const items = event.kind === 'visit' ? event.actionItems : [event.actionItem];
	return items.find((item) => !item.done) ?? items[0];
}

/** Which text a stage sends: the care summary confirms instead of asking when everything was booked at checkout. */
export function templateFor(event: JourneyEvent, stage: number, channel: Channel): TemplateId {
	if (channel === 'voice') return 'voiceReminder';
	if (event.kind === 'recall') return stage === 1 ? 'recallNudge' : 'recallReminder';
	if (stage === 1) {
		const allDone = event.actionItems.length > 0 && event.actionItems.every((item) => item.done);
		return allDone ? 'followUpConfirmation' : 'careSummary';
	}
	return 'actionReminder';
}

/** The variables of a patient message. Only the first name, never the full name or clinical detail. */
export function messageVarsFor(event: JourneyEvent, profile: PracticeProfile): MessageVars {
	const action = primaryAction(event);
	const visitId = event.kind === 'visit' ? event.visitId : event.recallId;
	const link = action
		? schedulingLinkFor(action, profile.schedulingLinks, { patientId: event.patientId, visitId, orderId: action.orderId })
		: undefined;
	return {
		firstName: event.patient.firstName,
		practiceName: profile.practiceName,
		practicePhone: profile.practicePhone,
		actionDescription: action?.description,
		actionType: action?.type,
		visitDate: event.kind === 'visit' ? event.visitDate : event.dueDate,
		schedulingLink: link,
	};
}
