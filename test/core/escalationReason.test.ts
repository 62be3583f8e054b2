import { automaticEscalationReason } from '../../nodes/shared/core/escalationReason';
import type { EscalationFacts } from '../../nodes/shared/core/escalationReason';

describe('the automatic reason of an EHR task', () => {
	it.each<[string, EscalationFacts, string]>([
		['a late step from the Journey Due Trigger', { staff: { reason: 'late', summary: 'A person takes over: step "Reminder" is 200 minutes late' } }, 'step "Reminder" is 200 minutes late'],
		['an unanswered stage-3 call', { deliveryStatus: { outcome: 'unanswered', code: 'no-answer' } }, 'the stage-3 voice call was not answered (no-answer)'],
		['an undelivered reminder', { deliveryStatus: { outcome: 'undelivered', code: '30003', stage: 2, channel: 'sms' } }, 'the stage 2 sms message was not delivered (30003) and no other channel worked'],
		['a message that could not be sent', { delivery: { notSentReason: 'allFailed' } }, 'message not sent (allFailed)'],
		['stage 3 without a voice message (the task is the touch)', { staffCall: { reason: 'noChannel' } }, 'follow-up still open after the reminders'],
		['only a landline', { staffCall: { reason: 'landlineOnly' } }, 'no reachable channel (landlineOnly)'],
		['a visit still open after the reminders', { kind: 'visit' }, 'follow-up still open after the reminders'],
		['a recall still open after the reminders', { kind: 'recall' }, 'recall still not booked after the reminders'],
	])('%s', (_what, facts, reason) => {
		expect(automaticEscalationReason(facts)).toBe(reason);
	});
});

describe('the automatic reason, with what the item leaves out', () => {
	it.each<[string, EscalationFacts, string]>([
		['a handover summary in other words', { staff: { summary: 'step "Reminder" set aside by hand' } }, 'step "Reminder" set aside by hand'],
		['a handover with no summary', { staff: { reason: 'late' }, kind: 'visit' }, 'follow-up still open after the reminders'],
		['an unanswered call without its code', { deliveryStatus: { outcome: 'unanswered' } }, 'the stage-3 voice call was not answered (no answer)'],
		['an undelivered message without stage, channel or code', { deliveryStatus: { outcome: 'undelivered' } }, 'the stage ? message was not delivered (unknown) and no other channel worked'],
		['a delivery report that needs nothing', { deliveryStatus: { outcome: 'delivered' }, kind: 'recall' }, 'recall still not booked after the reminders'],
		['a numeric not-sent reason', { delivery: { notSentReason: 21610 } }, 'message not sent (21610)'],
	])('%s', (_what, facts, reason) => {
		expect(automaticEscalationReason(facts)).toBe(reason);
	});
});
