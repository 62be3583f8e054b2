import { DomainError } from '../../nodes/shared/core/errors';
import {
	exactType,
	journalRowOf,
	journeyOverdue,
	orderEntries,
	overdueReasons,
	parseTypeFilter,
	primaryStep,
	stepOverdue,
	stepRowOf,
	summariseJourney,
	typeMatches,
	withOverdue,
} from '../../nodes/shared/core/journalView';
import type { JournalEntry } from '../../nodes/shared/core/journal';
import type { OverdueRule, ViewJourneyFacts, ViewStep } from '../../nodes/shared/core/journalView';
import { scheduledStep } from '../helpers/steps';

const J = 'visit:fhir:enc-1';
const P = 'fhir:pat-1';
const e = (at: string, type: string, fields: Partial<JournalEntry> = {}): JournalEntry => ({ at, journeyId: J, patientKey: P, type, ...fields });
const facts: ViewJourneyFacts = {
	journeyId: J,
	patientKey: P,
	kind: 'visit',
	ehr: 'fhir',
	departmentId: 'dep-1',
	sourceId: 'enc-1',
	anchorAt: '2026-06-10T15:00:00.000Z',
	startedAt: '2026-06-10T15:00:02.000Z',
	zone: 'America/Chicago',
};

describe('journal rows for a table', () => {
	it('flattens an entry, filling what is missing with null and the detail as compact JSON', () => {
		const row = journalRowOf(e('2026-06-10T15:00:05.000Z', 'touch.sent', { stage: 1, channel: 'sms', providerId: 'SM1', templateId: 'careSummary', detail: { language: 'es', segments: 2 } }));
		expect(row).toEqual({
			entryKey: `${Date.parse('2026-06-10T15:00:05.000Z')}|${J}|touch.sent|1|sms|SM1`,
			at: '2026-06-10T15:00:05.000Z',
			journeyId: J,
			patientKey: P,
			type: 'touch.sent',
			stage: 1,
			channel: 'sms',
			code: null,
			providerId: 'SM1',
			templateId: 'careSummary',
			detail: '{"language":"es","segments":2}',
		});
		const bare = journalRowOf(e('2026-06-10T10:00:05-05:00', 'journey.started', { detail: {} }));
		expect(bare).toMatchObject({ stage: null, channel: null, code: null, providerId: null, templateId: null, detail: null });
		expect(bare.entryKey).toBe(`${Date.parse('2026-06-10T15:00:05.000Z')}|${J}|journey.started|||`);
		expect(Object.keys(bare)).toEqual(Object.keys(row));
	});

	it('orders by instant whatever the offset, keeping the store\'s order on ties, newest or oldest first', () => {
		const entries = [e('2026-06-10T15:00:00Z', 'a'), e('2026-06-10T09:00:00-05:00', 'b'), e('2026-06-10T15:00:00Z', 'c'), e('2026-06-10T16:30:00+02:00', 'd')];
		expect(orderEntries(entries, 'oldest').map((x) => x.type)).toEqual(['b', 'd', 'a', 'c']);
		expect(orderEntries(entries, 'newest').map((x) => x.type)).toEqual(['c', 'a', 'd', 'b']);
	});
});

describe('the type filter', () => {
	it.each<[string, string[], string, boolean]>([
		['everything when empty', [], 'touch.sent', true],
		['an exact type', ['touch.sent'], 'touch.sent', true],
		['not a longer type', ['touch.sent'], 'touch.sentAgain', false],
		['a prefix with *', ['touch.*'], 'touch.delivered', true],
		['not another family', ['touch.*', 'followup.booked'], 'followup.open', false],
	])('%s', (_name, patterns, type, expected) => {
		expect(typeMatches(patterns, type)).toBe(expected);
	});

	it('parses comma- or space-separated patterns and names the field on nonsense', () => {
		expect(parseTypeFilter(' touch.* ,followup.booked  reply.received')).toEqual(['touch.*', 'followup.booked', 'reply.received']);
		expect(parseTypeFilter(undefined)).toEqual([]);
		expect(() => parseTypeFilter('touch.sent; DROP TABLE')).toThrow(expect.objectContaining({ field: 'types' }));
		expect(() => parseTypeFilter('*')).toThrow(DomainError);
	});

	it('lets the store filter only when one exact type is asked for', () => {
		expect(exactType(['touch.sent'])).toBe('touch.sent');
		expect(exactType(['touch.*'])).toBeUndefined();
		expect(exactType(['touch.sent', 'touch.held'])).toBeUndefined();
		expect(exactType([])).toBeUndefined();
	});
});

describe('a journey summarised from its journal', () => {
	const started = e('2026-06-10T15:00:02.000Z', 'journey.started');
	const sms = e('2026-06-10T15:00:05.000Z', 'touch.sent', { stage: 1, channel: 'sms', providerId: 'SM1' });
	const email = e('2026-06-10T15:00:06.000Z', 'touch.sent', { stage: 1, channel: 'email', providerId: '<1@x>' });
	const waiting = e('2026-06-10T15:00:07.000Z', 'wait.scheduled', { detail: { due: '2026-06-12T15:00:00.000Z', sendAt: '2026-06-12T15:00:00.000Z' } });

	it.each<[string, JournalEntry[], Record<string, unknown>]>([
		['waiting for the reminder', [started, sms, email, waiting], { state: 'waiting', nextAt: '2026-06-12T15:00:00.000Z', stagesSent: '1', channels: 'email,sms', firstSentAt: sms.at }],
		['booked at the 48 h check', [started, sms, waiting, e('2026-06-12T15:01:00.000Z', 'followup.booked', { detail: { appointmentId: 'ap-1' } })], { state: 'booked', booked: true, bookedAt: '2026-06-12T15:01:00.000Z', lastBookingCheck: 'booked' }],
		['booked, with the EHR\'s booking time', [started, e('2026-06-12T15:01:00.000Z', 'followup.booked', { detail: { bookedAt: '2026-06-11T08:00:00.000Z' } })], { state: 'booked', bookedAt: '2026-06-11T08:00:00.000Z' }],
		['the action done', [started, e('2026-06-12T15:01:00.000Z', 'followup.done')], { state: 'done', booked: true }],
		['the visit cancelled', [started, e('2026-06-12T15:01:00.000Z', 'followup.visitCancelled')], { state: 'cancelled', booked: false, lastBookingCheck: 'visitCancelled' }],
		['escalated to staff', [started, sms, e('2026-06-12T15:00:00.000Z', 'touch.sent', { stage: 2, channel: 'sms' }), e('2026-06-17T15:00:00.000Z', 'followup.open'), e('2026-06-17T15:00:01.000Z', 'task.created', { stage: 3, channel: 'task', providerId: 'Task/9' })], { state: 'escalated', taskId: 'Task/9', taskAt: '2026-06-17T15:00:01.000Z', stagesSent: '1,2', lastBookingCheck: 'open' }],
		['held outside the window', [started, e('2026-06-11T02:30:00.000Z', 'touch.held', { stage: 1, code: 'outsideWindow', detail: { retryAt: '2026-06-11T14:00:00.000Z' } })], { state: 'held', nextAt: '2026-06-11T14:00:00.000Z' }],
		['routed to a staff call', [started, e('2026-06-10T15:00:03.000Z', 'route.staffCall', { stage: 1, code: 'noContact' })], { state: 'toStaff', channels: '', stagesSent: '' }],
		['not sent', [started, e('2026-06-10T15:00:03.000Z', 'touch.notSent', { stage: 1, code: 'allFailed' })], { state: 'toStaff' }],
		['a send in the crash window', [started, e('2026-06-10T15:10:00.000Z', 'claim.unknown', { stage: 1, channel: 'sms' })], { state: 'inProgress', checkNeeded: true }],
		['an unknown send and an opt-out', [started, e('2026-06-10T15:00:05.000Z', 'touch.unknown'), e('2026-06-10T16:00:00.000Z', 'optout.recorded', { channel: 'sms' })], { checkNeeded: true, optOutsRecorded: 1, lastEventType: 'optout.recorded' }],
	])('%s', (_name, entries, expected) => {
		const summary = summariseJourney(J, [...entries].reverse(), facts);
		expect(summary).toMatchObject({ journeyId: J, patientKey: P, kind: 'visit', ehr: 'fhir', departmentId: 'dep-1', startedAt: facts.startedAt, entries: entries.length, ...expected });
	});

	it('works from the journal alone when the store has no journey record (before migration 2, or an event only)', () => {
		const alone = summariseJourney(J, [started, sms]);
		expect(alone).toMatchObject({ kind: 'visit', ehr: null, anchorAt: null, startedAt: started.at, state: 'inProgress', lastEventType: 'touch.sent' });
		const recall = summariseJourney('recall:fhir:sr-1', [e('2026-06-10T15:00:00.000Z', 'wait.scheduled', { journeyId: 'recall:fhir:sr-1', detail: { sendAt: 5 } })]);
		expect(recall).toMatchObject({ kind: 'recall', state: 'waiting', nextAt: null, startedAt: null });
		const duplicate = summariseJourney('pending:event:fhir:ev-1', [e('2026-06-10T15:00:00.000Z', 'event.duplicate', { journeyId: 'pending:event:fhir:ev-1' })]);
		expect(duplicate).toMatchObject({ kind: 'event', state: 'eventOnly' });
	});

	it('works from the record alone (a journey with nothing journaled yet)', () => {
		expect(summariseJourney(J, [], facts)).toMatchObject({ state: 'inProgress', lastEventType: 'journey.recorded', lastEventAt: facts.startedAt, entries: 0, patientKey: P });
	});

	it('refuses a journey with neither entries nor record', () => {
		expect(() => summariseJourney(J, [])).toThrow(expect.objectContaining({ field: 'journeyId' }));
	});
});

const W = 'wf-visits';
/** J's reminder in workflow W (the fixture's journey and patient are J and P). */
const step = (fields: Partial<ViewStep> = {}): ViewStep => scheduledStep({ journeyId: J, patientKey: P, workflowId: W, ...fields });

describe('a journey summarised with its steps in the journey store', () => {
	const started = e('2026-06-10T15:00:02.000Z', 'journey.started');
	const sms = e('2026-06-10T15:00:05.000Z', 'touch.sent', { stage: 1, channel: 'sms' });
	const scheduledV2 = e('2026-06-10T15:00:07.000Z', 'wait.scheduled', { detail: { due: '2026-06-12T15:00:00.000Z', sendAt: '2026-06-12T15:00:00.000Z', step: 'Reminder', workflowId: W, untilResume: false } });
	const resumed = e('2026-06-12T15:00:20.000Z', 'step.resumed', { detail: { step: 'Reminder', workflowId: W, dueAt: '2026-06-12T15:00:00.000Z', attempt: 1, lateMinutes: 0 } });
	const booked = e('2026-06-12T15:00:25.000Z', 'followup.booked');
	const completed = e('2026-06-12T15:00:26.000Z', 'step.completed', { code: 'followup.booked', detail: { step: 'Reminder', workflowId: W, attempt: 1 } });

	it.each<[string, JournalEntry[], ViewStep[], Record<string, unknown>]>([
		['waiting for its scheduled step: the due time comes from the store', [started, sms, scheduledV2], [step()], { state: 'waiting', nextAt: '2026-06-12T15:00:00.000Z', step: 'Reminder', stepWorkflowId: W, stepState: 'scheduled', stepAttempt: 0, stepDueAt: '2026-06-12T15:00:00.000Z', stepCode: null }],
		['the store wins over an older journal line', [started, scheduledV2], [step({ dueAt: '2026-06-13T14:00:00.000Z' })], { state: 'waiting', nextAt: '2026-06-13T14:00:00.000Z' }],
		['paused until outreach resumes: no time to give', [started, e('2026-06-11T15:00:00.000Z', 'touch.held', { code: 'outreachPaused' })], [step({ untilResume: true })], { state: 'paused', nextAt: null }],
		['being resumed right now (not "in progress" forever)', [started, scheduledV2, resumed], [step({ state: 'claimed', attempt: 1, leaseUntil: '2026-06-12T15:10:20.000Z' })], { state: 'resuming', stepAttempt: 1, nextAt: null, lastEventType: 'step.resumed' }],
		['set aside for staff, with why', [started, scheduledV2, e('2026-06-12T15:31:00.000Z', 'step.failed', { code: 'attemptsUsedUp' })], [step({ state: 'failed', attempt: 4, code: 'attemptsUsedUp' })], { state: 'setAside', stepCode: 'attemptsUsedUp', nextAt: null }],
		['orphaned: the trigger has no output of its name', [started, scheduledV2, e('2026-06-12T15:00:30.000Z', 'step.orphaned', { code: 'noTriggerOutput' })], [step({ state: 'orphaned', code: 'noTriggerOutput' })], { state: 'orphaned', stepState: 'orphaned' }],
		['booked, then the step completed: still booked', [started, scheduledV2, resumed, booked, completed], [], { state: 'booked', step: null, stepState: null, lastEventType: 'step.completed' }],
		['a resumed step the workflow then finished: no longer waiting', [started, scheduledV2, resumed, e('2026-06-12T15:00:21.000Z', 'step.completed', { code: 'alreadySent' })], [], { state: 'inProgress', nextAt: null }],
		['ended: the EHR says the journey is no longer due', [started, scheduledV2, resumed, e('2026-06-12T15:00:21.000Z', 'journey.ended', { code: 'noLongerDue' })], [], { state: 'ended' }],
		['a version-1 wait still reads from the journal', [started, e('2026-06-10T15:00:07.000Z', 'wait.scheduled', { detail: { sendAt: '2026-06-12T15:00:00.000Z' } })], [], { state: 'waiting', nextAt: '2026-06-12T15:00:00.000Z', step: null }],
		['a retry of the step keeps it waiting', [started, scheduledV2, resumed, e('2026-06-12T15:00:22.000Z', 'step.retry', { code: 'ehrUnreachable' })], [step({ dueAt: '2026-06-12T15:05:22.000Z', attempt: 1, code: 'ehrUnreachable' })], { state: 'waiting', nextAt: '2026-06-12T15:05:22.000Z', stepCode: 'ehrUnreachable' }],
	])('%s', (_name, entries, steps, expected) => {
		expect(summariseJourney(J, [...entries].reverse(), facts, steps)).toMatchObject({ overdueReason: null, overdueSince: null, ...expected });
	});

	it('shows the most pressing of several workflows\' steps: set aside, orphaned, claimed, scheduled, then the earliest', () => {
		const waiting = step({ workflowId: 'wf-a', dueAt: '2026-06-11T15:00:00.000Z' });
		const later = step({ workflowId: 'wf-b', dueAt: '2026-06-20T15:00:00.000Z' });
		const failed = step({ workflowId: 'wf-c', state: 'failed', dueAt: '2026-06-25T15:00:00.000Z' });
		expect(primaryStep([later, waiting])).toBe(waiting);
		expect(primaryStep([later, waiting, failed])).toBe(failed);
		expect(primaryStep([])).toBeUndefined();
		expect(summariseJourney(J, [started], facts, [later, waiting])).toMatchObject({ stepWorkflowId: 'wf-a', nextAt: waiting.dueAt });
	});

	it('summarises a journey known only from its step (the journal pruned, the record gone)', () => {
		expect(summariseJourney(J, [], undefined, [step()])).toMatchObject({ patientKey: P, kind: 'visit', state: 'waiting', entries: 0, lastEventAt: step().scheduledAt });
	});

	it('gives every summary the same columns, with or without a step', () => {
		expect(Object.keys(summariseJourney(J, [started], facts, [step()]))).toEqual(Object.keys(summariseJourney(J, [started], facts)));
	});
});

describe('a scheduled step as a table row', () => {
	it('flattens the step, null for what it lacks, with a key per journey and workflow', () => {
		const row = stepRowOf(step());
		expect(row).toEqual({
			stepKey: `${J}|${W}`,
			journeyId: J,
			patientKey: P,
			workflowId: W,
			step: 'Reminder',
			state: 'scheduled',
			dueAt: '2026-06-12T15:00:00.000Z',
			untilResume: false,
			attempt: 0,
			leaseUntil: null,
			code: null,
			scheduledAt: '2026-06-10T15:00:07.000Z',
			updatedAt: '2026-06-10T15:00:07.000Z',
		});
		expect(Object.keys(stepRowOf(step({ state: 'claimed', leaseUntil: '2026-06-12T15:10:00.000Z', code: 'x' })))).toEqual(Object.keys(row));
	});
});

describe('overdue steps: what the watchdog reports', () => {
	const now = '2026-06-12T18:00:00.000Z';
	const rule = (fields: Partial<OverdueRule> = {}): OverdueRule => ({ now, graceMinutes: 60, withinHours: 24, ...fields });
	const hoursBefore = (hours: number) => new Date(Date.parse(now) - hours * 3_600_000).toISOString();

	it.each<[string, ViewStep, Partial<OverdueRule>, { reason: string; since: string } | undefined]>([
		['scheduled, due 3 h ago: its workflow is off, deleted or the step renamed', step({ dueAt: hoursBefore(3) }), {}, { reason: overdueReasons.notResumed, since: hoursBefore(2) }],
		['scheduled, due 30 min ago: still within the grace', step({ dueAt: hoursBefore(0.5) }), {}, undefined],
		['scheduled, due in the future', step({ dueAt: hoursBefore(-5) }), {}, undefined],
		['scheduled, overdue for 2 days: reported by an earlier daily check', step({ dueAt: hoursBefore(49) }), {}, undefined],
		['scheduled, overdue for 2 days, look-back 0: any time', step({ dueAt: hoursBefore(49) }), { withinHours: 0 }, { reason: overdueReasons.notResumed, since: hoursBefore(48) }],
		['held until outreach resumes: a deliberate pause', step({ dueAt: hoursBefore(30), untilResume: true }), { withinHours: 0 }, undefined],
		['orphaned: no trigger output of its name', step({ state: 'orphaned', dueAt: hoursBefore(2), code: 'noTriggerOutput' }), {}, { reason: overdueReasons.orphaned, since: hoursBefore(1) }],
		['claimed, its lease ran out long ago', step({ state: 'claimed', dueAt: hoursBefore(5), leaseUntil: hoursBefore(3), attempt: 1 }), {}, { reason: overdueReasons.leaseRanOut, since: hoursBefore(2) }],
		['claimed, its lease still runs', step({ state: 'claimed', dueAt: hoursBefore(5), leaseUntil: hoursBefore(-0.1), attempt: 1 }), {}, undefined],
		['set aside 10 min ago: no grace, a person\'s job at once', step({ state: 'failed', dueAt: hoursBefore(3), code: 'attemptsUsedUp', updatedAt: hoursBefore(1 / 6) }), {}, { reason: 'set aside: attemptsUsedUp', since: hoursBefore(1 / 6) }],
		['set aside the day before yesterday: reported then', step({ state: 'failed', code: 'late', updatedAt: hoursBefore(40) }), {}, undefined],
		['set aside without a code', step({ state: 'failed', updatedAt: hoursBefore(1) }), {}, { reason: 'set aside: unknown', since: hoursBefore(1) }],
	])('%s', (_name, candidate, fields, expected) => {
		const overdue = stepOverdue(candidate, rule(fields));
		expect(overdue && { reason: overdue.reason, since: overdue.since }).toEqual(expected);
		if (overdue) expect(overdue.step).toBe(candidate);
	});

	it('judges a journey with steps by its steps (the one overdue longest), whatever its journal says', () => {
		const v1Looking = { state: 'waiting' as const, nextAt: hoursBefore(10) };
		expect(journeyOverdue(v1Looking, [step({ dueAt: hoursBefore(-5) })], rule())).toBeUndefined();
		const orphaned = step({ workflowId: 'wf-b', state: 'orphaned', dueAt: hoursBefore(4) });
		const failed = step({ workflowId: 'wf-c', state: 'failed', code: 'late', updatedAt: hoursBefore(1) });
		expect(journeyOverdue(v1Looking, [failed, orphaned], rule())).toMatchObject({ reason: overdueReasons.orphaned, since: hoursBefore(3), step: orphaned });
	});

	it('judges a journey without steps by the version-1 journal rule, saying so', () => {
		expect(journeyOverdue({ state: 'waiting', nextAt: hoursBefore(3) }, [], rule())).toEqual({ reason: overdueReasons.v1Wait, since: hoursBefore(2) });
		expect(journeyOverdue({ state: 'held', nextAt: hoursBefore(3) }, [], rule())).toEqual({ reason: overdueReasons.held, since: hoursBefore(2) });
		expect(journeyOverdue({ state: 'inProgress', nextAt: null }, [], rule())).toBeUndefined();
	});

	it('puts the reason, the time and the overdue step on the row', () => {
		const row = summariseJourney(J, [e('2026-06-10T15:00:02.000Z', 'journey.started')], facts, [step({ dueAt: hoursBefore(3) })]);
		const orphaned = step({ workflowId: 'wf-renamed', step: 'Old Name', state: 'orphaned', dueAt: hoursBefore(3) });
		expect(withOverdue(row, { reason: overdueReasons.orphaned, since: hoursBefore(2), step: orphaned })).toMatchObject({
			overdueReason: overdueReasons.orphaned,
			overdueSince: hoursBefore(2),
			step: 'Old Name',
			stepWorkflowId: 'wf-renamed',
			stepState: 'orphaned',
			state: 'waiting',
		});
		expect(withOverdue(row, { reason: overdueReasons.v1Wait, since: hoursBefore(2) })).toMatchObject({ step: 'Reminder', overdueReason: overdueReasons.v1Wait });
	});
});
