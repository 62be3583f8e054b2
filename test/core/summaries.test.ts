import {
	admissionSummary,
	bookingSummary,
	deliveryStatusSummary,
	deliverySummary,
	resumedSummary,
	routeSummary,
	taskSummary,
	waitSummary,
} from '../../nodes/shared/core/summaries';
import { visitEvent } from '../helpers/fixtures';

/*
 * The one sentence each node's item carries (`summary` in the node's own object). Fixed instants: Tuesday 8
 * December 2026, 14:00 UTC is 09:00 in New York and 08:00 in Chicago.
 */
const ny = 'America/New_York';
const at = '2026-12-08T14:00:00Z';

describe('the sentence of each node', () => {
	it.each<[string, string, string]>([
		['Cadence Wait: a step that waits', waitSummary({ step: 'Reminder', outcome: 'scheduled', sendAt: at, zone: ny }), 'Step "Reminder" resumes Tue 2026-12-08 09:00 America/New_York'],
		['Cadence Wait: a step already due', waitSummary({ step: 'Reminder', outcome: 'due', sendAt: at, zone: ny }), 'Due now (was due Tue 2026-12-08 09:00 America/New_York): goes on at once'],
		[
			'Cadence Wait: paused, in a manual run',
			waitSummary({ step: 'Reminder', outcome: 'scheduled', sendAt: at, zone: ny, untilResume: true, manual: true }),
			'Outreach is paused: step "Reminder" resumes when it is switched back on (manual run: nothing was scheduled)',
		],
		[
			'Patient Message: held outside the window',
			deliverySummary({ output: 'held', stage: 2, reason: 'outsideWindow', retryAt: at, zone: ny }),
			'Held until Tue 2026-12-08 09:00 America/New_York: outside the send window',
		],
		[
			'Patient Message: held by the daily cap, in another zone',
			deliverySummary({ output: 'held', stage: 1, reason: 'dailyCap', retryAt: at, zone: 'America/Chicago' }),
			"Held until Tue 2026-12-08 08:00 America/Chicago: the patient's messages for today are used up",
		],
		[
			'Patient Message: sent on two channels',
			deliverySummary({ output: 'sent', stage: 1, results: [{ channel: 'sms', status: 'sent', segments: 2 }, { channel: 'email', status: 'alreadySent' }] }),
			'Stage 1 sent: SMS (2 segments) sent, email already sent earlier, not sent again',
		],
		[
			'Patient Message: a manual run',
			deliverySummary({ output: 'sent', stage: 2, results: [{ channel: 'sms', status: 'preview', segments: 1 }] }),
			'Stage 2 preview, nothing sent: SMS (1 segment) written, not sent',
		],
		[
			'Patient Message: not sent',
			deliverySummary({ output: 'notSent', stage: 2, reason: 'unknownCheck', results: [{ channel: 'sms', status: 'unknown' }] }),
			'Stage 2 not sent: a send may have gone out without confirming: unknown, check before sending again (SMS unknown, check); a person takes over',
		],
		[
			'Channel Router: two channels, all of them',
			routeSummary({ output: 'send', stage: 1, strategy: 'all', channels: [{ channel: 'sms', reason: 'preferred' }, { channel: 'email', reason: 'practiceOrder' }] }),
			"Stage 1: send by SMS and email (the patient's preferred channel)",
		],
		[
			'Channel Router: the first that works',
			routeSummary({ output: 'send', stage: 2, strategy: 'firstSuccess', channels: [{ channel: 'email', reason: 'practiceOrder' }, { channel: 'sms', reason: 'practiceOrder' }] }),
			"Stage 2: send by email, else SMS (the practice's channel order)",
		],
		['Channel Router: nobody reachable', routeSummary({ output: 'staffCall', stage: 2, reason: 'optedOutEverywhere' }), 'Stage 2: a person must call the patient: the patient opted out of every channel'],
		['Booking Check: still open', bookingSummary({ status: 'open', done: false, zone: ny }), 'Still open: nothing booked or done in the EHR yet'],
		[
			'Booking Check: booked',
			bookingSummary({ status: 'booked', appointmentId: 'A-7', start: at, done: true, zone: ny }),
			'Booked: appointment A-7 for Tue 2026-12-08 09:00 America/New_York; the journey ends',
		],
		[
			'Booking Check: booked, before a held care summary',
			bookingSummary({ status: 'booked', appointmentId: 'A-7', done: false, zone: ny }),
			'Booked: appointment A-7; the journey goes on',
		],
		[
			'Booking Check: a start the EHR gave in no known form is shown as it came',
			bookingSummary({ status: 'booked', appointmentId: 'A-7', start: 'next week', done: true, zone: ny }),
			'Booked: appointment A-7 for next week; the journey ends',
		],
		[
			'Booking Check: cancelled',
			bookingSummary({ status: 'visitCancelled', detail: 'Encounter/e1 is now cancelled', done: true, zone: ny }),
			'Visit cancelled: Encounter/e1 is now cancelled; the journey ends',
		],
		[
			'EHR Task: a FHIR Task',
			taskSummary({ ehr: 'fhir', taskId: 't1', kind: 'task', existing: false, assignee: 'Maria Lopez', notifiedBy: 'email' }),
			'Task t1 created in the FHIR server for Maria Lopez, who was told by email',
		],
		[
			'EHR Task: a re-run finds the patient case',
			taskSummary({ ehr: 'athenahealth', taskId: '491696', kind: 'patientCase', existing: true, assignee: 'Maria Lopez', notifiedBy: 'sms' }),
			'Patient case 491696 was already in athenahealth for this journey; Maria Lopez was told by SMS again',
		],
		[
			'EHR Task: Tebra, no worklist',
			taskSummary({ ehr: 'tebra', taskId: 'notice-1', kind: 'staffNotice', existing: false, assignee: 'Maria Lopez', notifiedBy: 'email' }),
			'Nothing written to Tebra (no worklist there): Maria Lopez was told by email to take over',
		],
		[
			'EHR Task: a manual run',
			taskSummary({ ehr: 'drchrono', taskId: '', kind: 'task', existing: false, assignee: 'Maria Lopez', previewDueAt: at, zone: ny }),
			'Preview, nothing created or sent: a task for Maria Lopez, due Tue 2026-12-08 09:00 America/New_York',
		],
		[
			'Record Delivery: an SMS undelivered',
			deliveryStatusSummary({ output: 'fallback', kind: 'message', status: 'undelivered', code: '30003', stage: 1, channel: 'sms' }),
			'SMS of stage 1 undelivered (30003): trying the next channel of the same stage',
		],
		[
			'Record Delivery: a call not answered',
			deliveryStatusSummary({ output: 'staffTask', kind: 'call', status: 'no-answer', code: 'no-answer', stage: 3 }),
			'Call of stage 3 no-answer: a person takes over',
		],
		['Record Delivery: a repeat', deliveryStatusSummary({ output: 'recorded', kind: 'message', status: 'delivered', reason: 'duplicate' }), 'SMS delivered: already recorded (the provider sent it again)'],
		['Journey Due Trigger: resumed', resumedSummary({ outcome: 'resumed', step: 'Reminder', dueAt: at, zone: ny }), 'Step "Reminder" resumed, due Tue 2026-12-08 09:00 America/New_York'],
		[
			'Journey Due Trigger: too late',
			resumedSummary({ outcome: 'late', step: 'Reminder', lateMinutes: 1500 }),
			'A person takes over: step "Reminder" is 1500 minutes late, more than the practice\'s catch-up limit',
		],
		['Visit Details: a duplicate', admissionSummary({ outcome: 'duplicate' }), 'Skipped: this delivery was already handled (the EHR sent it again)'],
		['Visit Details: not completed', admissionSummary({ outcome: 'notCompleted', reason: 'status is in-progress' }), 'Skipped: not a completed visit (status is in-progress)'],
	])('%s', (_case, summary, expected) => {
		expect(summary).toBe(expected);
	});

	it('Visit Details: a journey started, with the close in the journey\'s zone and what the patient must do', () => {
		const event = visitEvent({ visitId: 'enc-1', visitType: 'encounter', completedAt: at, zone: ny });
		const types = event.actionItems.map((item) => item.type);
		expect(admissionSummary({ outcome: 'admitted', event })).toBe(
			`Journey started: encounter enc-1 closed Tue 2026-12-08 09:00 America/New_York; ${types.length} action item${types.length === 1 ? '' : 's'} (${types.join(', ')})`,
		);
		expect(admissionSummary({ outcome: 'admitted', event: { ...event, actionItems: [] } })).toMatch(/; nothing to book or do$/);
	});

	it('names no patient: the sentences carry ids, channels, codes and staff names only', () => {
		const event = visitEvent({ completedAt: at, zone: ny });
		const summary = admissionSummary({ outcome: 'admitted', event });
		for (const value of [event.patient.firstName, ...event.patient.phones.map((phone) => phone.number), event.patient.email ?? '@']) {
			expect(summary).not.toContain(value);
		}
	});
});

describe('the sentences, for every outcome a node can have', () => {
	const recall = {
		...visitEvent({ zone: ny }),
		kind: 'recall' as const,
		recallId: 'sr-77',
		dueDate: '2027-01-15',
		actionItem: { type: 'followUpVisit' as const, description: 'Book your check-up', done: false },
	};
	it.each<[string, string, string]>([
		['Visit Details: a recall', admissionSummary({ outcome: 'admitted', event: recall as never }), 'Journey started: recall sr-77 due 2027-01-15; 1 action item (followUpVisit)'],
		['Visit Details: nothing to do', admissionSummary({ outcome: 'admitted', event: visitEvent({ zone: ny, visitId: 'enc-2', completedAt: at, actionItems: [] }) }), 'Journey started: encounter enc-2 closed Tue 2026-12-08 09:00 America/New_York; nothing to book or do'],
		['Visit Details: a repeat', admissionSummary({ outcome: 'duplicate' }), 'Skipped: this delivery was already handled (the EHR sent it again)'],
		['Visit Details: started before', admissionSummary({ outcome: 'alreadyStarted', journeyId: 'visit:fhir:enc-2' }), 'Skipped: the journey of this visit already started (visit:fhir:enc-2)'],
		['Visit Details: not completed', admissionSummary({ outcome: 'notCompleted', reason: 'Encounter status is in-progress' }), 'Skipped: not a completed visit (Encounter status is in-progress)'],
		['Booking Check: open', bookingSummary({ status: 'open', done: false, zone: ny }), 'Still open: nothing booked or done in the EHR yet'],
		['Booking Check: booked, no time', bookingSummary({ status: 'booked', done: true, zone: ny }), 'Booked: appointment ?; the journey ends'],
		['Booking Check: booked', bookingSummary({ status: 'booked', appointmentId: 'a-1', start: at, done: true, zone: ny }), 'Booked: appointment a-1 for Tue 2026-12-08 09:00 America/New_York; the journey ends'],
		['Booking Check: no-show', bookingSummary({ status: 'noShow', appointmentId: 'a-2', done: true, zone: ny }), 'No-show: appointment a-2; the journey ends'],
		['Booking Check: cancelled', bookingSummary({ status: 'visitCancelled', done: false, zone: ny }), 'Visit cancelled: in the EHR; the journey goes on'],
		['Booking Check: done', bookingSummary({ status: 'done', detail: 'lab resulted', done: true, zone: ny }), 'Done: lab resulted; the journey ends'],
		['Channel Router: staff call', routeSummary({ output: 'staffCall', stage: 2, reason: 'noContact' }), 'Stage 2: a person must call the patient: no mobile number or email on file'],
		['Channel Router: an unknown reason', routeSummary({ output: 'staffCall', stage: 2, reason: 'somethingNew' }), 'Stage 2: a person must call the patient: somethingNew'],
		['Channel Router: both channels', routeSummary({ output: 'send', stage: 1, strategy: 'all', channels: [{ channel: 'sms', reason: 'practiceOrder' }, { channel: 'email', reason: 'practiceOrder' }] }), "Stage 1: send by SMS and email (the practice's channel order)"],
		['Channel Router: first success', routeSummary({ output: 'send', stage: 2, strategy: 'firstSuccess', channels: [{ channel: 'fax', reason: 'other' }] }), 'Stage 2: send by fax'],
		['Patient Message: paused', deliverySummary({ output: 'held', stage: 1, reason: 'outreachPaused', retryAt: at, zone: ny }), 'Held: outreach is paused in the practice profile; it goes on when switched back on'],
		['Patient Message: daily cap', deliverySummary({ output: 'held', stage: 2, reason: 'dailyCap', retryAt: at, zone: ny }), "Held until Tue 2026-12-08 09:00 America/New_York: the patient's messages for today are used up"],
		['Patient Message: shared phone, reminder', deliverySummary({ output: 'held', stage: 2, reason: 'numberCap', retryAt: at, zone: ny }), "Held until Tue 2026-12-08 09:00 America/New_York: the phone number's messages for today are used up (a shared phone)"],
		['Patient Message: shared phone, care summary', deliverySummary({ output: 'held', stage: 1, reason: 'numberCapCareSummary', retryAt: at, zone: ny }), "Held until Tue 2026-12-08 09:00 America/New_York: the phone number's messages for today are used up (a shared phone) and there is no email: the care summary misses the 2-hour promise"],
		['Patient Message: an unknown hold', deliverySummary({ output: 'held', stage: 2, reason: 'other', retryAt: 'not a time', zone: ny }), 'Held until not a time: other'],
		['Patient Message: not sent, tried', deliverySummary({ output: 'notSent', stage: 2, reason: 'allFailed', results: [{ channel: 'sms', status: 'rejected' }] }), 'Stage 2 not sent: no channel took the message (SMS refused); a person takes over'],
		['Patient Message: not sent, no reason', deliverySummary({ output: 'notSent', stage: 2, results: [] }), 'Stage 2 not sent: nothing could be sent; a person takes over'],
		['Patient Message: sent, 2 segments', deliverySummary({ output: 'sent', stage: 1, results: [{ channel: 'sms', status: 'sent', segments: 2 }, { channel: 'email', status: 'alreadySent' }] }), 'Stage 1 sent: SMS (2 segments) sent, email already sent earlier, not sent again'],
		['Patient Message: preview', deliverySummary({ output: 'sent', stage: 1, results: [{ channel: 'sms', status: 'preview', segments: 1 }] }), 'Stage 1 preview, nothing sent: SMS (1 segment) written, not sent'],
		['EHR Task: preview without zone', taskSummary({ ehr: 'fhir', taskId: '', kind: 'task', existing: false, assignee: 'Maria Lopez', previewDueAt: at }), `Preview, nothing created or sent: a task for Maria Lopez, due ${at}`],
		['EHR Task: a staff notice (Tebra)', taskSummary({ ehr: 'tebra', taskId: '', kind: 'staffNotice', existing: false, assignee: 'Maria Lopez', notifiedBy: 'email' }), 'Nothing written to Tebra (no worklist there): Maria Lopez was told by email to take over'],
		['EHR Task: existing, nobody told', taskSummary({ ehr: 'athenahealth', taskId: 'pc-1', kind: 'patientCase', existing: true, assignee: 'Maria Lopez' }), 'Patient case pc-1 was already in athenahealth for this journey; Maria Lopez was not told again'],
		['EHR Task: an unknown kind', taskSummary({ ehr: 'hl7v2', taskId: '', kind: 'note', existing: false, assignee: 'Maria Lopez', notifiedBy: 'sms' }), 'Note created in the FHIR server behind the HL7 v2 feed for Maria Lopez, who was told by SMS'],
		['Record Delivery: a call to staff', deliveryStatusSummary({ output: 'staffTask', kind: 'call', status: 'no-answer', stage: 3 }), 'Call of stage 3 no-answer: a person takes over'],
		['Record Delivery: an email bounce', deliveryStatusSummary({ output: 'fallback', kind: 'email', status: 'failed', code: '5.1.1', stage: 1 }), 'Email of stage 1 failed (5.1.1): trying the next channel of the same stage'],
		['Record Delivery: recorded, no reason', deliveryStatusSummary({ output: 'recorded', kind: 'message', status: 'delivered', code: 'delivered' }), 'SMS delivered: recorded'],
		['Record Delivery: an unknown reason', deliveryStatusSummary({ output: 'recorded', kind: 'message', status: 'failed', reason: 'somethingNew' }), 'SMS failed: somethingNew'],
		['Journey Due Trigger: no due time', resumedSummary({ outcome: 'resumed', step: 'Reminder', zone: ny }), 'Step "Reminder" resumed'],
		['Journey Due Trigger: late', resumedSummary({ outcome: 'late', step: 'Reminder', lateMinutes: 200 }), 'A person takes over: step "Reminder" is 200 minutes late, more than the practice\'s catch-up limit'],
		['Journey Due Trigger: attempts', resumedSummary({ outcome: 'attempts', step: 'Escalation', attempt: 4 }), 'A person takes over: step "Escalation" was handed out 3 times and no node finished it'],
		['Cadence Wait: paused, live', waitSummary({ step: 'Care Summary Held', outcome: 'scheduled', sendAt: at, zone: ny, untilResume: true }), 'Outreach is paused: step "Care Summary Held" resumes when it is switched back on'],
	])('%s', (_what, actual, expected) => {
		expect(actual).toBe(expected);
	});
});
