import { DomainError } from '../../nodes/shared/core/errors';
import type { Caps, SendPolicy } from '../../nodes/shared/core/practice';
import type { RecallDue, VisitEvent } from '../../nodes/shared/core/schemas';
import { planTimeline, templateCadence } from '../../nodes/shared/core/timeline';
import type { PlannedTouch, TimelineCadence, TimelineInput, TimelineJourney, TimelineSentToday } from '../../nodes/shared/core/timeline';
import { visitEvent } from '../helpers/fixtures';

const CHI = 'America/Chicago';
const policy: SendPolicy = { window: { start: '09:00', end: '20:00' }, closedWeekdays: [], holidays: [] };
const caps: Caps = { automatedPerJourney: 2, stage3PerJourney: 1, perPatientPerDay: 1, perNumberPerDay: 1 };

/** Wednesday 2026-06-10 10:00 CDT. */
const wednesdayMorning = '2026-06-10T15:00:00.000Z';

function visit(overrides: Partial<VisitEvent> = {}): VisitEvent {
	return visitEvent({ zone: CHI, completedAt: wednesdayMorning, visitDate: '2026-06-10', ...overrides });
}

function recall(overrides: Partial<RecallDue> = {}): RecallDue {
	const base = visit();
	return {
		kind: 'recall',
		schemaVersion: 1,
		ehr: 'fhir',
		patientId: base.patientId,
		zone: CHI,
		zoneSource: 'patient',
		patient: base.patient,
		consent: base.consent,
		recallId: 'sr-recall-1',
		dueDate: '2026-07-15',
		actionItem: { type: 'followUpVisit', description: 'Book your annual exam', done: false },
		...overrides,
	};
}

const journey = (event: TimelineJourney['event'], optedOut: TimelineJourney['optedOut'] = [], optedOutChannels: TimelineJourney['optedOutChannels'] = []) => ({
	event,
	optedOut,
	optedOutChannels,
});

function plan(journeys: TimelineJourney[], overrides: Partial<TimelineInput> = {}): PlannedTouch[] {
	return planTimeline({ journeys, policy, caps, channelOrder: ['sms', 'email'], cadence: templateCadence, ...overrides });
}

/** The fields a reader checks first: stage, channel, action, time (UTC), rule. */
const brief = (touches: PlannedTouch[]) => touches.map((t) => [t.stage, t.channel, t.action, t.at, t.rule]);

describe('planTimeline: the template cadence for a visit', () => {
	it('plans the care summary at the close, the reminder at 48 h and the staff task at 7 days', () => {
		const touches = plan([journey(visit())]);
		expect(brief(touches)).toEqual([
			[1, 'sms', 'send', '2026-06-10T15:00:00.000Z', 'onTime'],
			[1, 'email', 'send', '2026-06-10T15:00:00.000Z', 'onTime'],
			[2, 'sms', 'send', '2026-06-12T15:00:00.000Z', 'onTime'],
			[3, 'task', 'task', '2026-06-17T15:00:00.000Z', 'escalation'],
		]);
		expect(touches[0]).toMatchObject({ journeyId: 'visit:fhir:enc-1', patientKey: 'fhir:pat-1', kind: 'visit', step: 'careSummary', condition: 'always', localTime: '2026-06-10 10:00', zone: CHI, channelRule: 'practiceOrder' });
		expect(touches[2]).toMatchObject({ step: 'reminder', condition: 'ifNotBooked', fallbacks: 'email', why: expect.stringContaining('if it fails: email') });
		expect(touches[3]).toMatchObject({ step: 'escalation', condition: 'ifNotBooked', localTime: '2026-06-17 10:00' });
	});

	it.each<[string, Partial<VisitEvent>, SendPolicy, Array<[number, string, string]>]>([
		['closed after hours: moved to the next morning', { completedAt: '2026-06-11T02:30:00.000Z' }, policy, [[1, '2026-06-11T14:00:00.000Z', 'afterWindow'], [2, '2026-06-13T14:00:00.000Z', 'afterWindow'], [3, '2026-06-18T14:00:00.000Z', 'escalation']]],
		['closed before the window opens', { completedAt: '2026-06-10T12:00:00.000Z' }, policy, [[1, '2026-06-10T14:00:00.000Z', 'beforeWindow'], [2, '2026-06-12T14:00:00.000Z', 'beforeWindow'], [3, '2026-06-17T14:00:00.000Z', 'escalation']]],
		['the reminder falls on a holiday', {}, { ...policy, holidays: ['2026-06-12'] }, [[1, wednesdayMorning, 'onTime'], [2, '2026-06-13T14:00:00.000Z', 'holiday'], [3, '2026-06-17T15:00:00.000Z', 'escalation']]],
		['weekends closed', { completedAt: '2026-06-11T15:00:00.000Z' }, { ...policy, closedWeekdays: ['sat', 'sun'] }, [[1, '2026-06-11T15:00:00.000Z', 'onTime'], [2, '2026-06-15T14:00:00.000Z', 'closedDay'], [3, '2026-06-18T15:00:00.000Z', 'escalation']]],
	])('%s', (_name, overrides, sendPolicy, expected) => {
		const touches = plan([journey(visit(overrides))], { policy: sendPolicy }).filter((t) => t.channel !== 'email');
		expect(touches.map((t) => [t.stage, t.at, t.rule])).toEqual(expected);
	});

	it('says why the escalation moved when the 7-day mark is outside the window', () => {
		const [, , , task] = plan([journey(visit({ completedAt: '2026-06-11T02:30:00.000Z' }))]);
		expect(task.why).toContain('moved to the next day\'s send window');
	});
});

describe('planTimeline: channels, opt-outs and staff', () => {
	it.each<[string, TimelineJourney, Array<[number, string, string, string]>]>([
		['no mobile: email only', journey(visit({ patient: { firstName: 'Ana', phones: [], email: 'ana@example.test', language: 'en' } })), [[1, 'email', 'send', 'sms:noMobile→email'], [2, 'email', 'send', 'sms:noMobile→email'], [3, 'task', 'task', 'escalation']]],
		['a landline only: email', journey(visit({ patient: { firstName: 'Ray', phones: [{ number: '+15125550188', kind: 'landline' }], email: 'ray@example.test', language: 'en' } })), [[1, 'email', 'send', 'sms:landline→email'], [2, 'email', 'send', 'sms:landline→email'], [3, 'task', 'task', 'escalation']]],
		['the number opted out', journey(visit(), [{ channel: 'sms', address: '+1 (512) 555-0101' }], ['sms']), [[1, 'email', 'send', 'sms:optedOut→email'], [2, 'email', 'send', 'sms:optedOut→email'], [3, 'task', 'task', 'escalation']]],
		['nobody reachable: a staff call at the close', journey(visit({ patient: { firstName: 'Kim', phones: [], language: 'en' } })), [[1, 'task', 'task', 'staffCall:noContact']]],
		['booked at checkout: the journey ends at the 48 h check', journey(visit({ actionItems: [{ type: 'followUpVisit', description: 'Your follow-up is booked', done: true }] })), [[1, 'sms', 'send', 'onTime'], [1, 'email', 'send', 'onTime'], [2, 'none', 'end', 'actionDone']]],
	])('%s', (_name, input, expected) => {
		const touches = plan([input]);
		expect(touches.map((t) => [t.stage, t.channel, t.action, t.rule])).toEqual(expected);
	});

	it('hands the staff call to a task at the close, not at the next window', () => {
		const [task] = plan([journey(visit({ completedAt: '2026-06-11T02:30:00.000Z', patient: { firstName: 'Kim', phones: [], language: 'en' } }))]);
		expect(task).toMatchObject({ at: '2026-06-11T02:30:00.000Z', timingRule: 'immediate', why: expect.stringContaining('sms:noMobile') });
	});

	it('prefers the patient\'s preferred channel', () => {
		const touches = plan([journey(visit({ patient: { ...visit().patient, preferredChannel: 'email' } }))]);
		expect(touches.map((t) => [t.stage, t.channel, t.channelRule])).toEqual([[1, 'email', 'preferred'], [1, 'sms', 'practiceOrder'], [2, 'email', 'preferred'], [3, 'task', null]]);
		expect(touches[0].why).toContain('the patient\'s preferred channel');
	});

	it('holds a second visit\'s messages to the next day when the patient already gets one that day', () => {
		const first = visit({ visitId: 'enc-1' });
		const second = visit({ visitId: 'enc-2', completedAt: '2026-06-10T16:00:00.000Z' });
		const touches = plan([journey(second), journey(first)]);
		const ofSecond = touches.filter((t) => t.journeyId === 'visit:fhir:enc-2' && t.channel === 'sms');
		expect(ofSecond.map((t) => [t.stage, t.at, t.rule])).toEqual([
			[1, '2026-06-11T14:00:00.000Z', 'dailyCap'],
			[2, '2026-06-13T14:00:00.000Z', 'dailyCap'],
		]);
		expect(ofSecond[0]).toMatchObject({ journeyIndex: 0, why: expect.stringContaining('already gets a message that day') });
		expect(touches[0].journeyIndex).toBe(0);
	});

	it('hands a touch to staff when the holds run out', () => {
		const touches = plan([journey(visit({ visitId: 'enc-1' })), journey(visit({ visitId: 'enc-2' }))], { maxHolds: 0 });
		const second = touches.filter((t) => t.journeyId === 'visit:fhir:enc-2');
		expect(second.map((t) => [t.stage, t.channel, t.action, t.rule])).toEqual([[1, 'sms', 'notSent', 'holdLimit'], [1, 'task', 'task', 'holdLimit']]);
		expect(second[0].why).toContain('Held 0 times');
	});

	it('sends the reminder to staff when ops allow only one automated message', () => {
		const touches = plan([journey(visit())], { caps: { ...caps, automatedPerJourney: 1 } });
		expect(touches.slice(2).map((t) => [t.stage, t.channel, t.action, t.rule])).toEqual([[2, 'sms', 'notSent', 'staffCall:capReached'], [2, 'task', 'task', 'staffCall:capReached']]);
		expect(touches[2].why).toContain('Not sent (perJourneyCap)');
	});

	it('refuses an opted-out channel the router still routed (the guard has the last word)', () => {
		const touches = plan([journey(visit(), [], ['sms'])]);
		expect(touches.slice(0, 2).map((t) => [t.stage, t.channel, t.action, t.rule])).toEqual([[1, 'sms', 'notSent', 'optedOut'], [1, 'task', 'task', 'optedOut']]);
	});
});

describe('planTimeline: stage 3 by voice, and recalls', () => {
	const voice: TimelineCadence = { ...templateCadence, stage3: 'voice' };

	it('plans a voice message as the stage-3 touch when the practice chose voice', () => {
		const touches = plan([journey(visit())], { cadence: voice });
		expect(touches.at(-1)).toMatchObject({ stage: 3, channel: 'voice', action: 'send', at: '2026-06-17T15:00:00.000Z', channelRule: 'voiceChosen', why: expect.stringContaining('voice chosen for stage 3') });
	});

	it('falls back to a staff task when no phone takes a voice message', () => {
		const touches = plan([journey(visit({ patient: { firstName: 'Ana', phones: [], email: 'ana@example.test', language: 'en' } }))], { cadence: voice });
		expect(touches.at(-1)).toMatchObject({ stage: 3, channel: 'task', action: 'task', rule: 'staffCall:noContact' });
	});

	it('plans a recall 30, 14 and 7 days before its due date, in the send window', () => {
		const touches = plan([journey(recall())]);
		expect(brief(touches)).toEqual([
			[1, 'sms', 'send', '2026-06-15T14:00:00.000Z', 'beforeWindow'],
			[1, 'email', 'send', '2026-06-15T14:00:00.000Z', 'beforeWindow'],
			[2, 'sms', 'send', '2026-07-01T14:00:00.000Z', 'beforeWindow'],
			[3, 'task', 'task', '2026-07-08T14:00:00.000Z', 'escalation'],
		]);
		expect(touches.map((t) => t.step)).toEqual(['recallNudge', 'recallNudge', 'recallReminder', 'recallEscalation']);
		expect(touches[0].due).toBe('2026-06-15T05:00:00.000Z');
	});

	it('ends a recall already booked at the reminder\'s check', () => {
		const touches = plan([journey(recall({ actionItem: { type: 'followUpVisit', description: 'Booked', done: true } }))]);
		expect(touches.at(-1)).toMatchObject({ stage: 2, step: 'recallReminder', action: 'end', rule: 'actionDone' });
	});
});

describe('planTimeline: a step the journey store already holds keeps its due time', () => {
	/** Ops changed the reminder to 72 h after the journey's 48 h step was scheduled. */
	const edited = { ...templateCadence, visitReminder: { amount: 72, unit: 'hours' as const } };

	it('shows the stored reminder time, not the edited cadence\'s, and says so', () => {
		const scheduled = { stage: 2 as const, step: 'Reminder', dueAt: '2026-06-12T10:00:00.000-05:00' };
		const touches = plan([{ ...journey(visit()), scheduled }], { cadence: edited });
		expect(brief(touches)).toEqual([
			[1, 'sms', 'send', '2026-06-10T15:00:00.000Z', 'onTime'],
			[1, 'email', 'send', '2026-06-10T15:00:00.000Z', 'onTime'],
			[2, 'sms', 'send', '2026-06-12T15:00:00.000Z', 'alreadyScheduled'],
			[3, 'task', 'task', '2026-06-17T15:00:00.000Z', 'escalation'],
		]);
		expect(touches[2]).toMatchObject({ due: '2026-06-12T15:00:00.000Z', timingRule: 'alreadyScheduled', scheduledStep: 'Reminder', localTime: '2026-06-12 10:00' });
		expect(touches[2].why).toContain('already scheduled: an edit of the Cadence Wait does not move it');
		expect(touches.filter((t) => t.stage !== 2).every((t) => t.scheduledStep === null)).toBe(true);
		// Without the stored step, the edit would move the reminder to 72 h.
		expect(plan([journey(visit())], { cadence: edited })[2].at).toBe('2026-06-13T15:00:00.000Z');
	});

	it('keeps the stored staff-task time and plans nothing before it from the edit', () => {
		const scheduled = { stage: 3 as const, step: 'Escalation', dueAt: '2026-06-17T15:00:00.000Z' };
		const touches = plan([{ ...journey(visit()), scheduled }], { cadence: { ...templateCadence, visitEscalation: { amount: 10, unit: 'days' } } });
		expect(touches.at(-1)).toMatchObject({ stage: 3, action: 'task', at: '2026-06-17T15:00:00.000Z', timingRule: 'alreadyScheduled', scheduledStep: 'Escalation' });
		expect(touches.at(-1)?.why).toContain('already scheduled');
	});

	it('keeps a recall nudge\'s stored time; the later stages follow the cadence from there', () => {
		const scheduled = { stage: 1 as const, step: 'Nudge', dueAt: '2026-06-16T14:00:00.000Z' };
		const touches = plan([{ ...journey(recall()), scheduled }]);
		expect(brief(touches)).toEqual([
			[1, 'sms', 'send', '2026-06-16T14:00:00.000Z', 'alreadyScheduled'],
			[1, 'email', 'send', '2026-06-16T14:00:00.000Z', 'alreadyScheduled'],
			[2, 'sms', 'send', '2026-07-01T14:00:00.000Z', 'beforeWindow'],
			[3, 'task', 'task', '2026-07-08T14:00:00.000Z', 'escalation'],
		]);
	});
});

describe('planTimeline: sends already made count toward the daily caps (what the live run holds against)', () => {
	const today = '2026-06-10';
	const mobile = '+15125550101';
	const withSent = (event: VisitEvent, sentToday: TimelineSentToday): TimelineJourney => ({ ...journey(event), sentToday });
	const nothingSent: TimelineSentToday = { localDate: today, patient: [], numbers: [] };
	const sms = (touches: PlannedTouch[]) => touches.filter((t) => t.channel === 'sms').map((t) => [t.stage, t.at, t.rule]);

	it('a recall nudge sent this morning holds the care summary to the next day (was "onTime" on FHIR)', () => {
		const touches = plan([withSent(visit(), { ...nothingSent, patient: [{ journeyId: 'recall:fhir:sr-9', stage: 1 }] })]);
		expect(sms(touches)[0]).toEqual([1, '2026-06-11T14:00:00.000Z', 'dailyCap']);
	});

	it('the journey\'s own care summary, already sent, does not hold itself', () => {
		const own = [{ journeyId: 'visit:fhir:enc-1', stage: 1 }];
		const touches = plan([withSent(visit(), { localDate: today, patient: own, numbers: [{ address: mobile, touches: own }] })]);
		expect(sms(touches)[0]).toEqual([1, wednesdayMorning, 'onTime']);
	});

	it('a sibling\'s text to the same mobile today: the care summary goes by email at once, and says why', () => {
		const sibling = [{ journeyId: 'visit:fhir:enc-sibling', stage: 1 }];
		const touches = plan([withSent(visit(), { ...nothingSent, numbers: [{ address: '(512) 555-0101', touches: sibling }] })]);
		expect(touches.filter((t) => t.stage === 1).map((t) => [t.channel, t.at, t.rule])).toEqual([['email', wednesdayMorning, 'sms:numberCap→email']]);
		expect(touches[0].why).toContain('skipped sms:numberCap');
		// Two days later the number is free: the reminder goes by SMS on time.
		expect(sms(touches)).toEqual([[2, '2026-06-12T15:00:00.000Z', 'onTime']]);
	});

	it('a care summary with no email waits for the next day when the shared number is used up', () => {
		const sibling = [{ journeyId: 'visit:fhir:enc-sibling', stage: 1 }];
		const noEmail = visit({ patient: { ...visit().patient, email: undefined } });
		const touches = plan([withSent(noEmail, { ...nothingSent, numbers: [{ address: mobile, touches: sibling }] })]);
		expect(touches[0]).toMatchObject({ stage: 1, channel: 'sms', at: '2026-06-11T14:00:00.000Z', timingRule: 'numberCap', why: expect.stringContaining('this phone number already gets a message that day') });
	});

	it('two siblings on one mobile in the same preview: the second care summary by email, its reminder a day later', () => {
		const parent = visit({ patientId: 'pat-parent', visitId: 'enc-parent' });
		const child = visit({ patientId: 'pat-child', visitId: 'enc-child', completedAt: '2026-06-10T15:30:00.000Z' });
		const touches = plan([journey(parent), journey(child)]).filter((t) => t.journeyId === 'visit:fhir:enc-child');
		expect(touches.map((t) => [t.stage, t.channel, t.at, t.timingRule])).toEqual([
			[1, 'email', '2026-06-10T15:30:00.000Z', 'onTime'],
			[2, 'sms', '2026-06-13T14:00:00.000Z', 'numberCap'],
			[3, 'task', '2026-06-17T15:30:00.000Z', 'onTime'],
		]);
	});
});

describe('planTimeline refuses a bad cadence, naming the field', () => {
	it.each<[string, TimelineCadence, string]>([
		['a negative reminder', { ...templateCadence, visitReminder: { amount: -1, unit: 'hours' } }, 'visitReminder'],
		['a fraction', { ...templateCadence, recallNudge: { amount: 1.5, unit: 'days' } }, 'recallNudge'],
		['an unknown unit', { ...templateCadence, visitEscalation: { amount: 7, unit: 'weeks' as 'days' } }, 'visitEscalationUnit'],
		['an unknown stage-3 touch', { ...templateCadence, stage3: 'fax' as 'task' }, 'stage3'],
	])('%s', (_name, cadence, field) => {
		expect(() => plan([journey(visit())], { cadence })).toThrow(DomainError);
		expect(() => plan([journey(visit())], { cadence })).toThrow(expect.objectContaining({ field }));
	});
});
