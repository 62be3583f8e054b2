import { DomainError } from '../../nodes/shared/core/errors';
import { exactType, journalRowOf, orderEntries, parseTypeFilter, summariseJourney, typeMatches } from '../../nodes/shared/core/journalView';
import type { ViewJournalEntry, ViewJourneyFacts } from '../../nodes/shared/core/journalView';

const J = 'visit:fhir:enc-1';
const P = 'fhir:pat-1';
const e = (at: string, type: string, fields: Partial<ViewJournalEntry> = {}): ViewJournalEntry => ({ at, journeyId: J, patientKey: P, type, ...fields });
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

	it.each<[string, ViewJournalEntry[], Record<string, unknown>]>([
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
