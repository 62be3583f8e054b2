import { DomainError } from '../../nodes/shared/core/errors';
import type { JournalEntry } from '../../nodes/shared/core/journal';
import type { ViewJourneyFacts, ViewStep } from '../../nodes/shared/core/journalView';
import { journeyTimeline, lookupFilterOf, nothingFound, timelineLineOf } from '../../nodes/shared/core/journeyTimeline';

/* The Journey Lookup's timeline: a lookup's journal filter, and a journey's journal in plain words, in its zone. */

const zone = 'America/Chicago';
const journeyId = 'visit:fhir:enc-1';
const patientKey = 'fhir:pat-ana';
const entry = (at: string, type: string, fields: Partial<JournalEntry> = {}): JournalEntry => ({ at, journeyId, patientKey, type, ...fields });
const facts: ViewJourneyFacts & { patientId: string } = {
	journeyId,
	patientKey,
	patientId: 'pat-ana',
	kind: 'visit',
	ehr: 'fhir',
	sourceId: 'enc-1',
	anchorAt: '2026-12-07T15:00:00.000Z',
	startedAt: '2026-12-07T15:00:02.000Z',
	zone,
};

describe('lookupFilterOf', () => {
	it('finds a patient by the key the journal keeps (EHR, practice, id), any day', () => {
		expect(lookupFilterOf({ patientId: ' 1234 ', ehr: 'athenahealth', practiceId: '195900' }, zone)).toEqual({
			patientKey: 'athenahealth:195900:1234',
			described: 'patient 1234',
		});
		expect(lookupFilterOf({ patientId: 'pat-ana', day: '', ehr: 'fhir', practiceId: '' }, zone)).toEqual({ patientKey, described: 'patient pat-ana' });
	});

	it('reads a day midnight to midnight in the zone, on a DST change day too (25 hours)', () => {
		expect(lookupFilterOf({ day: '2026-12-07', ehr: 'fhir' }, zone)).toEqual({
			from: '2026-12-07T06:00:00.000Z',
			to: '2026-12-08T06:00:00.000Z',
			described: 'on 2026-12-07',
		});
		const fallBack = lookupFilterOf({ day: '2026-11-01', ehr: 'fhir' }, zone);
		expect([fallBack.from, fallBack.to]).toEqual(['2026-11-01T05:00:00.000Z', '2026-11-02T06:00:00.000Z']);
		// A form or an expression may hand a date-time: its date in the zone counts.
		expect(lookupFilterOf({ day: '2026-12-07T00:00:00.000-06:00', ehr: 'fhir' }, zone).from).toBe('2026-12-07T06:00:00.000Z');
	});

	it('combines a patient and a day', () => {
		expect(lookupFilterOf({ patientId: 'pat-ana', day: '2026-12-07', ehr: 'fhir' }, zone)).toMatchObject({ patientKey, described: 'patient pat-ana on 2026-12-07' });
	});

	it('refuses an empty lookup and a day that is not a date, naming the field', () => {
		expect(() => lookupFilterOf({ patientId: ' ', day: '', ehr: 'fhir' }, zone)).toThrow(expect.objectContaining({ field: 'patientId' }));
		const error = (() => {
			try {
				return lookupFilterOf({ day: 'last tuesday', ehr: 'fhir' }, zone);
			} catch (caught) {
				return caught;
			}
		})();
		expect(error).toBeInstanceOf(DomainError);
		expect(error).toMatchObject({ field: 'day' });
	});
});

describe('timelineLineOf', () => {
	it.each([
		[entry('2026-12-07T15:00:02.000Z', 'journey.started'), 'Mon 2026-12-07 09:00 America/Chicago: Visit closed in the EHR; follow-up journey started'],
		[entry('2026-12-07T15:00:05.000Z', 'touch.sent', { stage: 1, channel: 'sms', providerId: 'SM1' }), 'Mon 2026-12-07 09:00 America/Chicago: Care summary sent by SMS'],
		[entry('2026-12-07T15:01:00.000Z', 'touch.delivered', { stage: 1, channel: 'sms' }), 'Mon 2026-12-07 09:01 America/Chicago: Care summary delivered by SMS'],
		[
			entry('2026-12-07T15:00:07.000Z', 'wait.scheduled', { detail: { sendAt: '2026-12-09T15:00:00.000Z', step: 'Reminder' } }),
			'Mon 2026-12-07 09:00 America/Chicago: Waiting to send the next message until Wed 2026-12-09 09:00 America/Chicago',
		],
		[entry('2026-12-09T15:00:00.000Z', 'touch.held', { stage: 2, code: 'dailyCap', detail: { retryAt: '2026-12-10T15:00:00.000Z' } }), 'Wed 2026-12-09 09:00 America/Chicago: Reminder held (dailyCap), to go at Thu 2026-12-10 09:00 America/Chicago'],
		[entry('2026-12-09T15:00:00.000Z', 'touch.suppressed', { stage: 2, channel: 'email', code: 'testMode' }), 'Wed 2026-12-09 09:00 America/Chicago: Reminder not sent by email: suppressed (testMode)'],
		[entry('2026-12-10T15:00:00.000Z', 'followup.booked', { detail: { appointmentId: 'ap-1' } }), 'Thu 2026-12-10 09:00 America/Chicago: Checked the EHR: follow-up booked'],
		[entry('2026-12-14T15:00:00.000Z', 'task.created', { stage: 3, channel: 'task', providerId: 'case-5' }), 'Mon 2026-12-14 09:00 America/Chicago: Staff task created in the EHR'],
		[entry('2026-12-14T15:00:00.000Z', 'touch.custom', { code: 'x' }), 'Mon 2026-12-14 09:00 America/Chicago: touch.custom (x)'],
	])('entry %# in plain words', (journalEntry, line) => {
		expect(timelineLineOf(journalEntry, zone)).toBe(line);
	});

	it.each<[string, Partial<JournalEntry>, string]>([
		['journey.alreadyStarted', {}, 'The visit was reported again; its journey had already started'],
		['journey.ended', { code: 'booked' }, 'Journey ended (booked)'],
		['event.duplicate', {}, 'The same EHR notification arrived again; ignored'],
		['event.notCompleted', {}, 'The EHR event was not a completed visit; nothing sent'],
		['event.refused', { code: 'badSignature' }, 'The EHR event was refused (badSignature)'],
		['route.send', { stage: 2, channel: 'sms' }, 'Chose to send the reminder by SMS'],
		['route.staffCall', { stage: 1, code: 'noContact' }, 'No channel left for the care summary (noContact): a staff phone call is needed'],
		['wait.scheduled', {}, 'Waiting to send the next message until its time'],
		['wait.passedThrough', {}, 'Its time had come: went straight on'],
		['touch.undelivered', { stage: 1, channel: 'sms', code: '30003' }, 'Care summary not delivered by SMS (30003)'],
		['touch.held', { stage: 2, code: 'outreachPaused' }, 'Reminder held (outreachPaused)'],
		['touch.notSent', { stage: 2, code: 'optedOut' }, 'Reminder not sent (optedOut)'],
		['touch.failed', { stage: 1, channel: 'email', code: 'smtp' }, 'Care summary failed by email (smtp)'],
		['touch.skipped', { stage: 1, channel: 'sms', code: 'noMobile' }, 'Skipped sending the care summary by SMS (noMobile)'],
		['touch.duplicate', { stage: 1, channel: 'sms' }, 'Care summary by SMS was already sent; not sent twice'],
		['touch.unknown', { stage: 2, channel: 'voice' }, 'Unknown whether the reminder by voice call went out: check with the provider'],
		['claim.unknown', { channel: 'email' }, 'Unknown whether the message by email went out: check with the provider'],
		['followup.open', {}, 'Checked the EHR: nothing booked yet'],
		['followup.done', {}, 'Checked the EHR: the action is done'],
		['followup.visitCancelled', {}, 'Checked the EHR: the visit was cancelled'],
		['followup.noShow', {}, 'Checked the EHR: the patient did not come'],
		['task.assigned', { stage: 3 }, 'Staff task assigned'],
		['task.assignmentFailed', { code: 'unknownUser' }, 'Staff task could not be assigned (unknownUser)'],
		['reply.received', { channel: 'sms' }, 'The patient replied by SMS'],
		['reply.answered', { channel: 'sms' }, "Answered the patient's reply by SMS"],
		['reply.suppressed', { code: 'dailyCap' }, "The patient's reply got no answer (dailyCap)"],
		['optout.recorded', { channel: 'sms' }, 'The patient opted out by SMS'],
		['optin.recorded', { channel: 'task' }, 'The patient opted in again by EHR task'],
		['node.failed', { code: 'ehrUnreachable' }, 'A step of the workflow failed (ehrUnreachable): see the Error Alert'],
		['step.failed', { code: 'attemptsUsedUp' }, 'The next step was set aside for staff (attemptsUsedUp)'],
		['step.orphaned', {}, 'The next step has no output of its name in the Journey Due Trigger: a person must look'],
	])('%s in plain words', (type, fields, words) => {
		expect(timelineLineOf(entry('2026-12-07T15:00:00.000Z', type, fields), zone)).toBe(`Mon 2026-12-07 09:00 America/Chicago: ${words}`);
	});

	it('shows an instant it cannot place in the zone as it was written', () => {
		expect(timelineLineOf(entry('2026-12-07T15:00:00.000Z', 'wait.passedThrough'), 'Not/AZone')).toBe('2026-12-07T15:00:00.000Z: Its time had come: went straight on');
	});

	it('names the stages of a recall as recall messages', () => {
		const recall = { ...entry('2026-12-07T15:00:05.000Z', 'touch.sent', { stage: 2, channel: 'email' }), journeyId: 'recall:fhir:sr-1' };
		expect(timelineLineOf(recall, zone)).toBe('Mon 2026-12-07 09:00 America/Chicago: Recall reminder sent by email');
	});
});

describe('journeyTimeline', () => {
	const entries = [
		entry('2026-12-07T15:00:07.000Z', 'wait.scheduled', { detail: { sendAt: '2026-12-09T15:00:00.000Z', step: 'Reminder' } }),
		entry('2026-12-07T15:00:02.000Z', 'journey.started'),
		entry('2026-12-07T15:00:05.000Z', 'touch.sent', { stage: 1, channel: 'sms' }),
		entry('2026-12-09T15:00:01.000Z', 'step.resumed', { detail: { attempt: 1 } }),
		entry('2026-12-09T15:00:03.000Z', 'followup.booked'),
	];

	it('heads the timeline with the visit and where it stands, then one line per event oldest first, without step bookkeeping', () => {
		const row = journeyTimeline(journeyId, entries, facts, 'UTC');
		expect(row).toMatchObject({ journeyId, patientKey, patientId: 'pat-ana', kind: 'visit', state: 'booked' });
		expect(row.lines).toEqual([
			'Mon 2026-12-07 09:00 America/Chicago: Visit closed in the EHR; follow-up journey started',
			'Mon 2026-12-07 09:00 America/Chicago: Care summary sent by SMS',
			'Mon 2026-12-07 09:00 America/Chicago: Waiting to send the next message until Wed 2026-12-09 09:00 America/Chicago',
			'Wed 2026-12-09 09:00 America/Chicago: Checked the EHR: follow-up booked',
		]);
		expect(row.timeline).toBe(['Visit enc-1: follow-up booked', ...row.lines].join('\n'));
	});

	it('says a journey waits for its next message when its step is scheduled in the store', () => {
		const step: ViewStep = {
			journeyId,
			patientKey,
			workflowId: 'wf-1',
			step: 'Reminder',
			dueAt: '2026-12-09T15:00:00.000Z',
			untilResume: false,
			state: 'scheduled',
			attempt: 0,
			scheduledAt: '2026-12-07T15:00:07.000Z',
			updatedAt: '2026-12-07T15:00:07.000Z',
		};
		const waiting = entries.slice(0, 3);
		expect(journeyTimeline(journeyId, waiting, facts, 'UTC', [step]).timeline.split('\n')[0]).toBe('Visit enc-1: waiting for its next message');
		expect(journeyTimeline(journeyId, waiting, facts, 'UTC').state).toBe('inProgress');
	});

	it('uses the fallback zone and the patient key when the store has no record of the journey', () => {
		const row = journeyTimeline(journeyId, entries.slice(1, 3), undefined, 'UTC');
		expect(row.patientId).toBe('pat-ana');
		expect(row.lines[0]).toBe('Mon 2026-12-07 15:00 UTC: Visit closed in the EHR; follow-up journey started');
		expect(row.timeline.split('\n')[0]).toBe(`Visit ${journeyId}: in progress`);
	});

	it('answers a lookup that found nothing with one item that says what was looked for', () => {
		const filter = lookupFilterOf({ patientId: 'pat-zoe', day: '2026-12-07', ehr: 'fhir' }, zone);
		expect(nothingFound(filter)).toMatchObject({ journeyId: '', lines: [], timeline: 'No journey found for patient pat-zoe on 2026-12-07.' });
	});
});
