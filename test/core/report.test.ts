import { DomainError } from '../../nodes/shared/core/errors';
import { computeFollowUpReport, instantInZone, resolvePeriod } from '../../nodes/shared/core/report';
import type { JournalEntry } from '../../nodes/shared/core/journal';
import type { ReportJourney, ReportPeriod, ReportPeriodInput, ReportStep } from '../../nodes/shared/core/report';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** A visit closed Monday 2026-06-01 15:00 UTC; its 7 days end 2026-06-08 15:00 UTC. */
const close = Date.parse('2026-06-01T15:00:00.000Z');
const at = (offsetMs: number) => new Date(close + offsetMs).toISOString();
const period: ReportPeriod = { from: '2026-06-01T00:00:00.000Z', to: '2026-06-08T00:00:00.000Z', zone: 'UTC', label: 'test week' };

function visit(id: string, overrides: Partial<ReportJourney> = {}): ReportJourney {
	return { journeyId: id, kind: 'visit', anchorAt: at(0), startedAt: at(0), zone: 'UTC', ...overrides };
}

function recall(id: string, dueAt: string, startedAt: string): ReportJourney {
	return { journeyId: id, kind: 'recall', anchorAt: dueAt, startedAt, zone: 'UTC' };
}

function entry(journeyId: string, offsetMs: number, type: string, fields: Partial<JournalEntry> = {}): JournalEntry {
	return { at: at(offsetMs), journeyId, patientKey: 'fhir:pat-1', type, ...fields };
}

function one(journey: ReportJourney, entries: JournalEntry[], asOfOffset: number) {
	const { journeys } = computeFollowUpReport({ journeys: [journey], entriesByJourney: { [journey.journeyId]: entries }, period, asOf: at(asOfOffset) });
	return journeys[0];
}

describe('follow-up booking within 7 days of visit close', () => {
	const id = 'visit:fhir:enc-1';
	const booked = (offset: number, detail?: JournalEntry['detail']) => entry(id, offset, 'followup.booked', detail ? { detail } : {});

	it.each<[string, JournalEntry[], number, string, string | null, string | null]>([
		['found booked by the 48 h check', [entry(id, 2 * DAY, 'followup.booked')], 3 * DAY, 'booked', 'check', at(2 * DAY)],
		['the EHR\'s booking time inside the window, found late', [booked(20 * DAY, { bookedAt: at(3 * DAY) })], 21 * DAY, 'booked', 'ehr', at(3 * DAY)],
		['the EHR\'s booking time after the deadline', [booked(9 * DAY, { bookedAt: at(8 * DAY) })], 10 * DAY, 'notBooked', null, null],
		['found by the day-7 check one minute after the mark (grace)', [entry(id, 2 * DAY, 'followup.open'), booked(7 * DAY + 60_000)], 8 * DAY, 'booked', 'check', at(7 * DAY + 60_000)],
		['found by a check 25 h after the mark', [booked(8 * DAY + HOUR)], 9 * DAY, 'notBooked', null, null],
		['a booking time that is not an instant falls back to the check', [booked(DAY, { bookedAt: '2026-06-02' })], 2 * DAY, 'booked', 'check', at(DAY)],
		['the follow-up done (not just booked)', [entry(id, 2 * DAY, 'followup.done')], 3 * DAY, 'done', 'check', at(2 * DAY)],
		['still inside the 7 days with nothing booked', [entry(id, 2 * DAY, 'followup.open')], 5 * DAY, 'pending', null, null],
		['inside the grace after the mark, no check yet', [entry(id, 2 * DAY, 'followup.open')], 7 * DAY + 23 * HOUR, 'pending', null, null],
		['past the grace, no check', [entry(id, 2 * DAY, 'followup.open')], 8 * DAY + HOUR, 'notBooked', null, null],
		['the day-7 check found nothing (decided before the grace ends)', [entry(id, 7 * DAY + 60_000, 'followup.open')], 7 * DAY + 2 * HOUR, 'notBooked', null, null],
		['a no-show found by the day-7 check', [entry(id, 7 * DAY + 60_000, 'followup.noShow')], 7 * DAY + 2 * HOUR, 'notBooked', null, null],
		['the visit cancelled', [entry(id, 2 * DAY, 'followup.visitCancelled')], 9 * DAY, 'cancelled', null, null],
		['a booking recorded after the report ran is not read', [booked(3 * DAY)], 2 * DAY, 'pending', null, null],
	])('%s', (_name, entries, asOf, outcome, source, bookedAt) => {
		const row = one(visit(id), entries, asOf);
		expect([row.outcome, row.bookedAtSource, row.bookedAt]).toEqual([outcome, source, bookedAt]);
		expect(row.deadline).toBe(at(7 * DAY));
		expect(row.windowStartSource).toBe('visitClose');
	});

	it('counts the 7 days as calendar days in the patient\'s zone, across the spring DST change', () => {
		const row = one(visit(id, { anchorAt: '2026-03-05T15:00:00.000Z', zone: 'America/Chicago' }), [], 0);
		// 09:00 CST on Thursday → 09:00 CDT a week later: 7 days minus one hour.
		expect(row.deadline).toBe('2026-03-12T14:00:00.000Z');
	});

	it('lists the channels that reached the patient, "none" when only staff acted', () => {
		const reached = one(visit(id), [entry(id, 60_000, 'touch.sent', { stage: 1, channel: 'sms' }), entry(id, 2 * DAY, 'touch.sent', { stage: 2, channel: 'email' })], 3 * DAY);
		expect(reached.channels).toBe('email,sms');
		expect(one(visit(id), [entry(id, 0, 'route.staffCall', { stage: 1 })], DAY).channels).toBe('none');
	});
});

describe('recall compliance at 30 days', () => {
	const id = 'recall:fhir:sr-9';
	const due = '2026-07-01T05:00:00.000Z';

	it.each<[string, JournalEntry[], number, string, string]>([
		['booked 20 days after the nudge', [entry(id, 0, 'touch.sent', { stage: 1, channel: 'sms' }), entry(id, 20 * DAY, 'followup.booked')], 25 * DAY, 'booked', 'nudge'],
		['nothing booked 30 days after the nudge', [entry(id, 0, 'touch.sent', { stage: 1, channel: 'sms' }), entry(id, 23 * DAY, 'followup.open')], 32 * DAY, 'notBooked', 'nudge'],
		['no nudge went out: the window runs from the journey start', [entry(id, 0, 'route.staffCall', { stage: 1 })], 10 * DAY, 'pending', 'journeyStart'],
	])('%s', (_name, entries, asOf, outcome, source) => {
		const row = one(recall(id, due, at(-HOUR)), entries, asOf);
		expect([row.outcome, row.windowStartSource]).toEqual([outcome, source]);
		expect(row.summarySent).toBeNull();
		expect(row.deadline).toBe(source === 'nudge' ? at(30 * DAY) : at(30 * DAY - HOUR));
	});
});

describe('care summaries within 2 hours of visit close', () => {
	const id = 'visit:fhir:enc-2';
	const sent = (offset: number, channel: string, providerId: string, stage = 1) => entry(id, offset, 'touch.sent', { stage, channel, providerId });

	it.each<[string, JournalEntry[], number, string, string, string | null]>([
		['SMS sent and delivered in minutes', [sent(5 * 60_000, 'sms', 'SM1'), entry(id, 6 * 60_000, 'touch.delivered', { channel: 'sms', providerId: 'SM1', stage: 1 })], 3 * HOUR, 'yes', 'yes', 'smsDelivered'],
		['SMS sent, no status callback', [sent(5 * 60_000, 'sms', 'SM1')], 3 * HOUR, 'yes', 'no', null],
		['SMS sent, callback still to come', [sent(5 * 60_000, 'sms', 'SM1')], HOUR, 'yes', 'pending', null],
		['SMS delivered after 2 h (the late evidence is still shown)', [sent(HOUR, 'sms', 'SM1'), entry(id, 2.5 * HOUR, 'touch.delivered', { channel: 'sms', providerId: 'SM1' })], 3 * HOUR, 'yes', 'no', 'smsDelivered'],
		['SMS undelivered, email accepted', [sent(60_000, 'sms', 'SM1'), sent(60_000, 'email', '<m1@x>'), entry(id, 2 * 60_000, 'touch.undelivered', { channel: 'sms', providerId: 'SM1', code: '30003' })], 3 * HOUR, 'yes', 'yes', 'emailAccepted'],
		['email bounced later', [sent(10 * 60_000, 'email', '<m1@x>'), entry(id, 5 * HOUR, 'touch.undelivered', { channel: 'email', providerId: '<m1@x>', code: '5.1.1' })], 6 * HOUR, 'yes', 'no', null],
		['email bounce without a provider id, matched by channel', [sent(10 * 60_000, 'email', ''), entry(id, HOUR, 'touch.undelivered', { channel: 'email', stage: 1 })], 6 * HOUR, 'yes', 'no', null],
		['a delivered report of the stage-2 reminder does not count', [sent(3 * HOUR, 'sms', 'SM1'), sent(2 * DAY, 'sms', 'SM2', 2), entry(id, 2 * DAY, 'touch.delivered', { channel: 'sms', providerId: 'SM2' })], 3 * DAY, 'no', 'no', null],
		['an email delivered report counts as delivered', [sent(10 * 60_000, 'email', '<m1@x>'), entry(id, 5 * 60_000, 'touch.delivered', { channel: 'email', providerId: '<m1@x>' })], 3 * HOUR, 'yes', 'yes', 'delivered'],
		['sent 3 h after the close', [sent(3 * HOUR, 'email', '<m1@x>')], 4 * HOUR, 'no', 'no', 'emailAccepted'],
		['nothing sent yet, inside the 2 h', [], HOUR, 'pending', 'pending', null],
		['the earliest evidence wins: an SMS receipt before the email', [sent(10 * 60_000, 'email', '<m1@x>'), sent(10 * 60_000, 'sms', 'SM1'), entry(id, 11 * 60_000, 'touch.delivered', { channel: 'sms', providerId: 'SM1' }), sent(20 * 60_000, 'email', '<m2@x>')], 3 * HOUR, 'yes', 'yes', 'emailAccepted'],
		['a receipt earlier than the accepted email', [sent(10 * 60_000, 'sms', 'SM1'), entry(id, 11 * 60_000, 'touch.delivered', { channel: 'sms', providerId: 'SM1' }), sent(30 * 60_000, 'email', '<m1@x>'), entry(id, 40 * 60_000, 'touch.delivered', { channel: 'sms', providerId: 'SM1' })], 3 * HOUR, 'yes', 'yes', 'smsDelivered'],
		['a bounce report without a channel', [sent(10 * 60_000, 'email', '<m1@x>'), entry(id, 20 * 60_000, 'touch.undelivered', { providerId: '<m1@x>' })], 3 * HOUR, 'yes', 'no', null],
		['nothing sent at all', [entry(id, 0, 'route.staffCall', { stage: 1 })], 3 * HOUR, 'no', 'no', null],
	])('%s', (_name, entries, asOf, sentAnswer, deliveredAnswer, evidence) => {
		const row = one(visit(id), entries, asOf);
		expect([row.summarySent, row.summaryDelivered, row.summaryDeliveryEvidence]).toEqual([sentAnswer, deliveredAnswer, evidence]);
	});
});

describe('the report over several journeys', () => {
	const journeys = [visit('v1'), visit('v2'), visit('v3', { departmentId: '7' }), visit('v4'), visit('v5'), recall('r1', at(31 * DAY), at(-HOUR))];
	const entriesByJourney: Record<string, JournalEntry[]> = {
		// v1: SMS + email in minutes, booked at 48 h.
		v1: [entry('v1', 60_000, 'touch.sent', { stage: 1, channel: 'sms', providerId: 'SM1' }), entry('v1', 60_000, 'touch.sent', { stage: 1, channel: 'email', providerId: '<1@x>' }), entry('v1', 2 * DAY, 'followup.booked')],
		// v2: SMS only, not booked by the day-7 check.
		v2: [entry('v2', 60_000, 'touch.sent', { stage: 1, channel: 'sms', providerId: 'SM2' }), entry('v2', 7 * DAY + 60_000, 'followup.open')],
		// v3: email only, pending (report runs on day 3).
		v3: [entry('v3', 60_000, 'touch.sent', { stage: 1, channel: 'email', providerId: '<3@x>' })],
		// v4: nobody reachable: staff call.
		v4: [entry('v4', 0, 'route.staffCall', { stage: 1, code: 'noContact' })],
		// v5: cancelled visit.
		v5: [entry('v5', 60_000, 'touch.sent', { stage: 1, channel: 'sms', providerId: 'SM5' }), entry('v5', 2 * DAY, 'followup.visitCancelled')],
		r1: [entry('r1', 0, 'touch.sent', { stage: 1, channel: 'sms', providerId: 'SM9' }), entry('r1', 5 * DAY, 'followup.booked')],
	};
	// The day-7 check of v2 lies in the future of a report run on day 3: run it on day 8 instead, except for v3's pending.
	const { report, journeys: rows } = computeFollowUpReport({ journeys, entriesByJourney, period, asOf: at(7 * DAY + 2 * HOUR), department: undefined });

	it('puts every journey in exactly one outcome', () => {
		expect(rows.map((row) => [row.journeyId, row.outcome])).toEqual([
			['v1', 'booked'],
			['v2', 'notBooked'],
			['v3', 'pending'],
			['v4', 'pending'],
			['v5', 'cancelled'],
			['r1', 'booked'],
		]);
	});

	it('leaves pending and cancelled journeys out of the booking rate', () => {
		expect(report.followUpBooking).toMatchObject({ journeys: 5, booked: 1, done: 0, notBooked: 1, pending: 2, cancelled: 1 });
		expect(report.followUpBooking.rate).toEqual({ numerator: 1, denominator: 2, rate: 0.5, percent: '50.0%' });
		expect(report.followUpBooking.bookedTimeFrom).toEqual({ ehr: 0, check: 1 });
		expect(report.recallCompliance.rate).toEqual({ numerator: 1, denominator: 1, rate: 1, percent: '100.0%' });
	});

	it('breaks the booking rate down by the channels that reached the patient', () => {
		const { sms, email, voice, none } = report.followUpBooking.byChannel;
		expect(sms).toMatchObject({ journeys: 3, numerator: 1, denominator: 2, pending: 0 });
		expect(email).toMatchObject({ journeys: 2, numerator: 1, denominator: 1, pending: 1 });
		expect(voice).toMatchObject({ journeys: 0, rate: null, percent: 'n/a' });
		expect(none).toMatchObject({ journeys: 1, pending: 1, denominator: 0 });
	});

	it('counts care summaries sent and confirmed within 2 h, by channel', () => {
		const care = report.careSummaries;
		expect(care.sent).toMatchObject({ numerator: 4, denominator: 5 });
		// Only the emails count as confirmed: no SMS status callback was recorded.
		expect(care.delivered).toMatchObject({ numerator: 2, denominator: 5 });
		expect(care.neverSent).toBe(1);
		expect(care.byChannel.sms).toEqual({ sent: 3, sentWithin: 3, deliveredWithin: 0, undelivered: 0 });
		expect(care.byChannel.email).toEqual({ sent: 2, sentWithin: 2, deliveredWithin: 2, undelivered: 0 });
		expect(care.smsStatusSeen).toBe(false);
	});

	it('says what is pending, what is left out and where the evidence comes from, in notes and in the text', () => {
		expect(report.notes.join('\n')).toMatch(/2 visit\(s\) are still inside their 7 days.*pending, not counted as failures/);
		expect(report.notes.join('\n')).toMatch(/1 journey\(s\) whose visit the EHR reports cancelled/);
		expect(report.notes.join('\n')).toMatch(/when the Booking Check found the booking/);
		expect(report.notes.join('\n')).toMatch(/No SMS delivery receipts/);
		expect(report.text).toContain('1. Follow-up booked within 7 days of visit close: 50.0% (1 of 2 decided visits; 2 pending; 5 in total)');
		expect(report.text).toContain('2. Recall compliance at 30 days: 100.0% (1 of 1 decided recalls; 0 pending; 1 in total)');
		expect(report.text).toContain('3. Care summaries within 2 h of visit close: sent 80.0% (4 of 5), confirmed delivered 40.0% (2 of 5)');
		expect(report.text).toContain('by channel reached: SMS 1 of 2 (50.0%) · email 1 of 1 (100.0%) · no message 0 of 0 (n/a)');
		expect(report.text).toContain('visits with no care summary sent at all: 1');
		expect(report.text).toContain('Post-visit follow-up report: test week');
	});

	it('reports SMS receipts when they exist, and a department and rule changes', () => {
		const withReceipt = {
			...entriesByJourney,
			v2: [...entriesByJourney.v2, entry('v2', 2 * 60_000, 'touch.undelivered', { channel: 'sms', providerId: 'SM2' })],
			v1: [...entriesByJourney.v1, entry('v1', 2 * 60_000, 'touch.delivered', { channel: 'sms', providerId: 'SM1' })],
		};
		const result = computeFollowUpReport({
			journeys,
			entriesByJourney: withReceipt,
			period,
			asOf: at(7 * DAY + 2 * HOUR),
			department: '7',
			rules: { summaryWindowHours: 1 },
		});
		expect(result.report.careSummaries.smsStatusSeen).toBe(true);
		expect(result.report.careSummaries.byChannel.sms).toEqual({ sent: 3, sentWithin: 3, deliveredWithin: 1, undelivered: 1 });
		expect(result.report.notes.join('\n')).not.toMatch(/No SMS delivery receipts/);
		expect(result.report.text).toContain('department 7');
		expect(result.report.text).toContain('within 1 h of visit close');
		expect(result.report.text).toContain('undelivered 1');
	});

	it('reads a journey without journal entries, and a stage-1 voice touch only as "sent"', () => {
		const result = computeFollowUpReport({
			journeys: [visit('quiet'), visit('voice')],
			entriesByJourney: { voice: [entry('voice', 60_000, 'touch.sent', { stage: 1, channel: 'voice', providerId: 'CA1' })] },
			period,
			asOf: at(3 * HOUR),
		});
		expect(result.journeys.map((row) => [row.summarySent, row.summaryDelivered])).toEqual([['no', 'no'], ['yes', 'no']]);
		expect(result.report.careSummaries.byChannel.sms.sent + result.report.careSummaries.byChannel.email.sent).toBe(0);
	});

	it('counts the steps the period\'s journeys hold in the journey store, leaving the three figures as they were', () => {
		const steps: ReportStep[] = [
			{ journeyId: 'v2', state: 'scheduled' },
			// One journey waiting in two workflows counts once.
			{ journeyId: 'v3', state: 'scheduled' },
			{ journeyId: 'v3', state: 'claimed' },
			{ journeyId: 'v4', state: 'failed' },
			{ journeyId: 'r1', state: 'orphaned' },
			{ journeyId: 'r1', state: 'failed' },
			// Journeys of another period or department are not this report's.
			{ journeyId: 'visit:elsewhere', state: 'failed' },
			{ journeyId: 'visit:elsewhere-2', state: 'scheduled' },
		];
		const withSteps = computeFollowUpReport({ journeys, entriesByJourney, period, asOf: at(7 * DAY + 2 * HOUR), steps });
		expect(withSteps.report.scheduledSteps).toEqual({ waitingJourneys: 2, setAside: 2, orphaned: 1 });
		expect(report.scheduledSteps).toBeNull();
		for (const figure of ['followUpBooking', 'recallCompliance', 'careSummaries'] as const) expect(withSteps.report[figure]).toEqual(report[figure]);
		expect(withSteps.journeys).toEqual(rows);
		expect(withSteps.report.text).toContain('Steps in the journey store now: 2 journey(s) waiting · 2 set aside for staff · 1 orphaned');
		expect(withSteps.report.notes.join('\n')).toMatch(/2 step\(s\) set aside for staff and 1 orphaned/);
		expect(report.text).not.toContain('Steps in the journey store');
		const quiet = computeFollowUpReport({ journeys, entriesByJourney, period, asOf: at(7 * DAY + 2 * HOUR), steps: [{ journeyId: 'v2', state: 'scheduled' }] });
		expect(quiet.report.notes).toEqual(report.notes);
		expect(quiet.report.text).toContain('1 journey(s) waiting · 0 set aside for staff · 0 orphaned');
	});

	it('says so when there is nothing to report', () => {
		const empty = computeFollowUpReport({ journeys: [], entriesByJourney: {}, period, asOf: at(0) });
		expect(empty.report.notes).toEqual(['No journeys in this period.']);
		expect(empty.report.followUpBooking.rate.percent).toBe('n/a');
		expect(empty.report.careSummaries.sent.rate).toBeNull();
	});

	it('says that today is left out when the period stops at this morning\'s midnight in the period\'s zone', () => {
		const previousWeek = resolvePeriod({ mode: 'previousDays', days: 7 }, '2026-06-08T09:30:00.000Z', 'America/Chicago');
		const notesAt = (reportPeriod: ReportPeriod, asOf: string) =>
			computeFollowUpReport({ journeys: [], entriesByJourney: {}, period: reportPeriod, asOf }).report;
		const monday = notesAt(previousWeek, '2026-06-08T09:30:00.000Z');
		expect(monday.notes).toContain(
			'Today (2026-06-08) is not included: the period ends at midnight this morning. Visits closed and recalls due today count in the next report; choose "Last N Days Up to Now" to include them.',
		);
		expect(monday.text).toContain('Today (2026-06-08) is not included');
		// 03:00 UTC on Monday is still Sunday evening in Chicago: the period then ends tomorrow, nothing is left out yet.
		expect(notesAt(previousWeek, '2026-06-08T03:00:00.000Z').notes.join('\n')).not.toMatch(/not included/);
		const upToNow = resolvePeriod({ mode: 'lastDays', days: 7 }, '2026-06-08T09:30:00.000Z', 'America/Chicago');
		expect(notesAt(upToNow, '2026-06-08T09:30:00.000Z').notes.join('\n')).not.toMatch(/not included/);
		expect(notesAt({ zone: 'UTC', label: 'any time' }, '2026-06-08T09:30:00.000Z').notes.join('\n')).not.toMatch(/not included/);
		const lastMonth = resolvePeriod({ mode: 'custom', from: '2026-05-01', to: '2026-06-01' }, '2026-06-08T09:30:00.000Z', 'UTC');
		expect(notesAt(lastMonth, '2026-06-08T09:30:00.000Z').notes.join('\n')).not.toMatch(/not included/);
	});

	it('names a done follow-up, a recall without a nudge and a bounced email in the text', () => {
		const result = computeFollowUpReport({
			journeys: [visit('d1'), recall('r2', at(31 * DAY), at(0))],
			entriesByJourney: {
				d1: [entry('d1', 60_000, 'touch.sent', { stage: 1, channel: 'email', providerId: '<d@x>' }), entry('d1', HOUR, 'touch.undelivered', { channel: 'email', providerId: '<d@x>' }), entry('d1', 2 * DAY, 'followup.done')],
				r2: [entry('r2', 0, 'route.staffCall', { stage: 1 }), entry('r2', 31 * DAY, 'followup.open')],
			},
			period,
			asOf: at(40 * DAY),
		});
		expect(result.report.text).toContain('of which done (not just booked): 1');
		expect(result.report.text).toContain('bounced 1');
		expect(result.report.notes.join('\n')).toContain('1 recall(s) had no nudge sent');
	});
});

describe('the report refuses bad input, naming the field', () => {
	it.each<[string, () => unknown, string]>([
		['a window of 0 days', () => computeFollowUpReport({ journeys: [], entriesByJourney: {}, period, asOf: at(0), rules: { bookingWindowDays: 0 } }), 'bookingWindowDays'],
		['a negative grace', () => computeFollowUpReport({ journeys: [], entriesByJourney: {}, period, asOf: at(0), rules: { checkGraceHours: -1 } }), 'checkGraceHours'],
		['a bad "asOf"', () => computeFollowUpReport({ journeys: [], entriesByJourney: {}, period, asOf: 'tomorrow' }), 'asOf'],
		['an entry without a time', () => computeFollowUpReport({ journeys: [visit('v')], entriesByJourney: { v: [{ at: 'x', journeyId: 'v', patientKey: 'fhir:pat-1', type: 'touch.sent' }] }, period, asOf: at(0) }), 'at'],
	])('%s', (_name, run, field) => {
		expect(run).toThrow(DomainError);
		try {
			run();
		} catch (error) {
			expect((error as DomainError).field).toBe(field);
		}
	});
});

describe('resolvePeriod', () => {
	const now = '2026-03-09T12:00:00.000Z';

	it.each<[string, ReportPeriodInput, string, string | undefined, string | undefined, string]>([
		['the previous 7 whole days, across the DST change', { mode: 'previousDays', days: 7 }, 'America/Chicago', '2026-03-02T06:00:00.000Z', '2026-03-09T05:00:00.000Z', '2026-03-02 to 2026-03-08 (America/Chicago)'],
		['the last 24 hours up to now', { mode: 'lastDays', days: 1 }, 'UTC', '2026-03-08T12:00:00.000Z', '2026-03-09T12:00:00.000Z', 'the last 1 day(s) up to 2026-03-09 12:00 (UTC)'],
		['custom local dates', { mode: 'custom', from: '2026-02-01', to: '2026-03-01T00:00:00' }, 'America/New_York', '2026-02-01T05:00:00.000Z', '2026-03-01T05:00:00.000Z', '2026-02-01 00:00 to 2026-03-01 00:00 (America/New_York)'],
		['custom instants with an offset', { mode: 'custom', from: '2026-02-01T00:00:00Z', to: '2026-02-02T00:00:00Z' }, 'UTC', '2026-02-01T00:00:00.000Z', '2026-02-02T00:00:00.000Z', '2026-02-01 00:00 to 2026-02-02 00:00 (UTC)'],
		['any time', { mode: 'any' }, 'UTC', undefined, undefined, 'any time'],
	])('%s', (_name, input, zone, from, to, label) => {
		expect(resolvePeriod(input, now, zone)).toEqual({ ...(from ? { from } : {}), ...(to ? { to } : {}), zone, label });
	});

	it.each<[string, ReportPeriodInput, string, string]>([
		['0 days', { mode: 'previousDays', days: 0 }, 'UTC', 'days'],
		['a fraction of a day', { mode: 'lastDays', days: 1.5 }, 'UTC', 'days'],
		['"to" before "from"', { mode: 'custom', from: '2026-03-02', to: '2026-03-01' }, 'UTC', 'to'],
		['an unreadable "from"', { mode: 'custom', from: 'last week', to: '2026-03-01' }, 'UTC', 'from'],
		['an unknown zone', { mode: 'any' }, 'Mars/Olympus', 'zone'],
		['a "from" that is not text', { mode: 'custom', from: 20260301 as unknown as string, to: '2026-03-02' }, 'UTC', 'from'],
		['an unknown mode', { mode: 'fortnight' } as unknown as ReportPeriodInput, 'UTC', 'period'],
	])('refuses %s', (_name, input, zone, field) => {
		expect(() => resolvePeriod(input, now, zone)).toThrow(expect.objectContaining({ field }));
	});

	it('refuses a bad "now"', () => {
		expect(() => resolvePeriod({ mode: 'any' }, 'soon', 'UTC')).toThrow(expect.objectContaining({ field: 'now' }));
	});
});

describe('instantInZone: a time a person typed', () => {
	it.each<[string, string, string]>([
		['a local date-time in the zone', '2026-03-09T08:00:00', '2026-03-09T12:00:00.000Z'],
		['a date: its midnight in the zone', '2026-03-09', '2026-03-09T04:00:00.000Z'],
		['an instant with its own offset', '2026-03-09T08:00:00+01:00', '2026-03-09T07:00:00.000Z'],
	])('%s', (_name, value, expected) => {
		expect(instantInZone(value, 'America/New_York', 'dueBefore')).toBe(expected);
	});

	it('names the field of something that is not a time', () => {
		expect(() => instantInZone('soon', 'UTC', 'dueBefore')).toThrow(expect.objectContaining({ field: 'dueBefore' }));
	});
});
