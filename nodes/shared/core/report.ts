import { DateTime } from 'luxon';

import { dueInstant } from './cadence';
import { DomainError } from './errors';
import type { JournalEntry } from './journal';
import { isValidZoneName } from './zones';

/*
 * The three numbers a practice tracks, computed from the journey store's journal and journey records.
 * Pure: the caller reads the store and passes `asOf` (when the report runs); nothing here reads a clock.
 *
 * Definitions (docs/reporting.md explains them for ops):
 * - Follow-up booking within 7 days: visit journeys whose close (anchorAt) lies in the period. Booked = a
 *   `followup.booked` or `followup.done` entry whose time lies within 7 calendar days (patient zone) of the
 *   close. The time is the EHR's booking time when the entry carries one (`detail.bookedAt`), else the time of
 *   the Booking Check that found it; a check-found booking also counts when the check ran at most
 *   `checkGraceHours` after the deadline (the day-7 check is pushed into the send window and runs up to a
 *   minute late, so it lands just after the mark).
 * - Recall compliance at 30 days: recall journeys whose due date (anchorAt) lies in the period; the 30 days
 *   run from the recall nudge (the first stage-1 `touch.sent`), or from the journey's start when no nudge went
 *   out. Booked as above.
 * - Care summaries within 2 hours: visit journeys whose close lies in the period. "Sent" = a stage-1
 *   `touch.sent` within 2 h of the close. "Confirmed delivered" = within 2 h a `touch.delivered` of a stage-1
 *   send (SMS status callback), or a stage-1 email accepted by the mail server with no `touch.undelivered`
 *   (bounce) for it.
 * A journey still inside its window when the report runs, with no success yet, is pending: counted apart,
 * never as a failure. A visit the EHR reports cancelled is left out of the booking rate.
 */

/** One journey as the report reads it (the journey store's JourneyRecord fits). */
export interface ReportJourney {
	journeyId: string;
	kind: 'visit' | 'recall';
	departmentId?: string;
	/** Visit close, or the recall's due date at local midnight. */
	anchorAt: string;
	startedAt: string;
	zone: string;
}

/** A journey's step in the journey store as the report reads it (the journey store's ScheduledStep fits). */
export interface ReportStep {
	journeyId: string;
	state: 'scheduled' | 'claimed' | 'failed' | 'orphaned';
}

/** The steps the journeys of the period hold in the journey store when the report runs. */
export interface StepFigures {
	/** Journeys with a step waiting for its time or being resumed (scheduled or claimed). */
	waitingJourneys: number;
	/** Steps set aside for staff (failed: attempts used up, too late, the journey gone). */
	setAside: number;
	/** Steps due whose workflow's trigger has no output of their name. */
	orphaned: number;
}

export interface ReportRules {
	bookingWindowDays: number;
	recallWindowDays: number;
	summaryWindowHours: number;
	/** How long after a deadline a Booking Check may run and still count the booking it finds. */
	checkGraceHours: number;
}

export const defaultReportRules: ReportRules = {
	bookingWindowDays: 7,
	recallWindowDays: 30,
	summaryWindowHours: 2,
	checkGraceHours: 24,
};

export type ReportPeriodInput =
	| { mode: 'previousDays'; days: number }
	| { mode: 'lastDays'; days: number }
	| { mode: 'custom'; from: string; to: string }
	| { mode: 'any' };

/** A period as instants: `from` inclusive, `to` exclusive; both absent for "any time". */
export interface ReportPeriod {
	from?: string;
	to?: string;
	zone: string;
	label: string;
}

export const maxPeriodDays = 3660;

/**
 * Turns a period choice into instants in `zone`. previousDays: the N whole local days before today (ends at
 * today's local midnight, so a Monday-morning report covers Monday–Sunday). lastDays: the N × 24 h up to `now`.
 * custom: date-times or dates, read as wall time in `zone` when they carry no offset; `to` must be after `from`.
 */
export function resolvePeriod(input: ReportPeriodInput, now: string, zone: string): ReportPeriod {
	if (!isValidZoneName(zone)) {
		throw new DomainError('"zone" must be an IANA time zone such as America/Chicago', 'invalid_zone', 'zone');
	}
	const current = DateTime.fromISO(now, { zone });
	if (!current.isValid) throw new DomainError('"now" must be an ISO-8601 date-time', 'invalid_input', 'now');
	switch (input.mode) {
		case 'any':
			return { zone, label: 'any time' };
		case 'previousDays':
		case 'lastDays': {
			const days = input.days;
			if (!Number.isInteger(days) || days < 1 || days > maxPeriodDays) {
				throw new DomainError(`"days" must be a whole number from 1 to ${maxPeriodDays}`, 'invalid_input', 'days');
			}
			const to = input.mode === 'previousDays' ? current.startOf('day') : current;
			const from = input.mode === 'previousDays' ? to.minus({ days }) : to.minus({ hours: 24 * days });
			const label =
				input.mode === 'previousDays'
					? `${from.toISODate()} to ${to.minus({ days: 1 }).toISODate()} (${zone})`
					: `the last ${days} day(s) up to ${to.toFormat('yyyy-MM-dd HH:mm')} (${zone})`;
			return { from: utc(from), to: utc(to), zone, label };
		}
		case 'custom': {
			const from = parseLocal(input.from, zone, 'from');
			const to = parseLocal(input.to, zone, 'to');
			if (to.toMillis() <= from.toMillis()) throw new DomainError('"to" must be after "from"', 'invalid_input', 'to');
			return {
				from: utc(from),
				to: utc(to),
				zone,
				label: `${from.toFormat('yyyy-MM-dd HH:mm')} to ${to.toFormat('yyyy-MM-dd HH:mm')} (${zone})`,
			};
		}
		default:
			throw new DomainError('"period" must be previousDays, lastDays, custom or any', 'invalid_input', 'period');
	}
}

export type LoopOutcome = 'booked' | 'done' | 'notBooked' | 'pending' | 'cancelled';
export type WindowAnswer = 'yes' | 'no' | 'pending';
export type ReachChannel = 'sms' | 'email' | 'voice' | 'none';

/** How one journey did, flat (every value a string, number, boolean or null) so it fits a table row. */
export interface JourneyOutcomeRow {
	journeyId: string;
	kind: 'visit' | 'recall';
	departmentId: string | null;
	anchorAt: string;
	/** What the booking window runs from: the visit close, the recall nudge, or the recall journey's start. */
	windowStart: string;
	windowStartSource: 'visitClose' | 'nudge' | 'journeyStart';
	deadline: string;
	outcome: LoopOutcome;
	bookedAt: string | null;
	/** 'ehr': the EHR's booking time; 'check': when the Booking Check found it. */
	bookedAtSource: 'ehr' | 'check' | null;
	/** Channels that carried any message of the journey, e.g. "sms,email"; "none" when only staff acted. */
	channels: string;
	/** Visits only (null for recalls). */
	summarySent: WindowAnswer | null;
	summarySentAt: string | null;
	summaryDelivered: WindowAnswer | null;
	summaryDeliveredAt: string | null;
	/** 'smsDelivered' (status callback), 'emailAccepted' (no bounce), or null. */
	summaryDeliveryEvidence: 'smsDelivered' | 'emailAccepted' | 'delivered' | null;
}

export interface RateFigure {
	numerator: number;
	denominator: number;
	/** numerator / denominator, null when nothing was decided. */
	rate: number | null;
	percent: string;
}

export interface ChannelLoopFigure extends RateFigure {
	journeys: number;
	pending: number;
}

export interface LoopFigures {
	windowDays: number;
	journeys: number;
	booked: number;
	done: number;
	notBooked: number;
	pending: number;
	cancelled: number;
	/** (booked + done) / (booked + done + notBooked): pending and cancelled journeys are left out. */
	rate: RateFigure;
	/** Where the booking times came from. */
	bookedTimeFrom: { ehr: number; check: number };
	/** By the channels that reached the patient; a journey reached on two channels counts under both. */
	byChannel: Record<ReachChannel, ChannelLoopFigure>;
}

export interface ChannelSummaryFigure {
	/** Journeys whose care summary went out on this channel (at any time). */
	sent: number;
	sentWithin: number;
	deliveredWithin: number;
	undelivered: number;
}

export interface CareSummaryFigures {
	windowHours: number;
	journeys: number;
	sent: RateFigure;
	delivered: RateFigure;
	pendingSent: number;
	pendingDelivered: number;
	/** Visits whose care summary never went out (no channel, opted out, all sends failed). */
	neverSent: number;
	byChannel: { sms: ChannelSummaryFigure; email: ChannelSummaryFigure };
	/** Whether any SMS status callback (delivered/undelivered) was recorded for these care summaries. */
	smsStatusSeen: boolean;
}

export interface FollowUpReport {
	period: ReportPeriod;
	asOf: string;
	department: string | null;
	followUpBooking: LoopFigures;
	recallCompliance: LoopFigures;
	careSummaries: CareSummaryFigures;
	/** Null when the steps were not read. */
	scheduledSteps: StepFigures | null;
	/** Plain-language caveats for the reader (pending counts, where times come from, missing callbacks). */
	notes: string[];
	/** The whole report as plain text, ready for an email body. */
	text: string;
}

export interface FollowUpReportInput {
	journeys: ReportJourney[];
	/** Every journal entry of each journey (any order). */
	entriesByJourney: Record<string, JournalEntry[] | undefined>;
	period: ReportPeriod;
	asOf: string;
	department?: string;
	rules?: Partial<ReportRules>;
	/** Steps in the journey store (any journeys: those of `journeys` are counted); absent: not read. */
	steps?: ReportStep[];
}

const bookingTypes = new Set(['followup.booked', 'followup.done']);

/**
 * The three numbers over the journeys given (the caller selects them by anchor in the period and department).
 * Invariants: every journey lands in exactly one of booked/done/notBooked/pending/cancelled; rates leave pending
 * (and cancelled) journeys out of numerator and denominator; nothing after `asOf` is read as having happened.
 */
export function computeFollowUpReport(input: FollowUpReportInput): { report: FollowUpReport; journeys: JourneyOutcomeRow[] } {
	const rules = checkRules({ ...defaultReportRules, ...input.rules });
	const asOfMs = instantMs(input.asOf, 'asOf');
	const rows = input.journeys.map((journey) => outcomeOf(journey, readableEntries(input, journey.journeyId, asOfMs), rules, asOfMs));
	const visits = rows.filter((row) => row.kind === 'visit');
	const recalls = rows.filter((row) => row.kind === 'recall');
	const smsStatusSeen = input.journeys.some(
		(journey) =>
			journey.kind === 'visit' &&
			readableEntries(input, journey.journeyId, asOfMs).some(
				(entry) => entry.channel === 'sms' && (entry.type === 'touch.delivered' || entry.type === 'touch.undelivered'),
			),
	);
	const careSummaries = careFigures(visits, input, rules, smsStatusSeen);
	const report: FollowUpReport = {
		period: input.period,
		asOf: input.asOf,
		department: input.department ?? null,
		followUpBooking: loopFigures(visits, rules.bookingWindowDays),
		recallCompliance: loopFigures(recalls, rules.recallWindowDays),
		careSummaries,
		scheduledSteps: input.steps ? stepFigures(input.journeys, input.steps) : null,
		notes: [],
		text: '',
	};
	report.notes = notesOf(report, rows, rules);
	report.text = reportText(report, rules);
	return { report, journeys: rows };
}

/** A journey's entries up to `asOf`, in time order (ties keep the store's insertion order). */
function readableEntries(input: FollowUpReportInput, journeyId: string, asOfMs: number): JournalEntry[] {
	return (input.entriesByJourney[journeyId] ?? [])
		.filter((entry) => instantMs(entry.at, 'at') <= asOfMs)
		.sort((a, b) => instantMs(a.at, 'at') - instantMs(b.at, 'at'));
}

function outcomeOf(journey: ReportJourney, entries: JournalEntry[], rules: ReportRules, asOfMs: number): JourneyOutcomeRow {
	const channels = [...new Set(entries.filter((e) => e.type === 'touch.sent' && e.channel).map((e) => e.channel as string))].sort();
	let windowStart = journey.anchorAt;
	let windowStartSource: JourneyOutcomeRow['windowStartSource'] = 'visitClose';
	if (journey.kind === 'recall') {
		const nudge = entries.find((e) => e.type === 'touch.sent' && e.stage === 1);
		windowStart = nudge?.at ?? journey.startedAt;
		windowStartSource = nudge ? 'nudge' : 'journeyStart';
	}
	const days = journey.kind === 'visit' ? rules.bookingWindowDays : rules.recallWindowDays;
	// Calendar days in the patient's zone, as Cadence Wait counts "7 days".
	const deadline = dueInstant({ anchor: windowStart, offset: { amount: days, unit: 'days', direction: 'after' }, zone: journey.zone });
	const loop = loopOutcome(entries, instantMs(deadline, 'deadline'), rules, asOfMs);
	const summary = journey.kind === 'visit' ? careSummaryOf(journey, entries, rules, asOfMs) : undefined;
	return {
		journeyId: journey.journeyId,
		kind: journey.kind,
		departmentId: journey.departmentId ?? null,
		anchorAt: journey.anchorAt,
		windowStart,
		windowStartSource,
		deadline,
		outcome: loop.outcome,
		bookedAt: loop.bookedAt ?? null,
		bookedAtSource: loop.bookedAtSource ?? null,
		channels: channels.length ? channels.join(',') : 'none',
		summarySent: summary?.sent ?? null,
		summarySentAt: summary?.sentAt ?? null,
		summaryDelivered: summary?.delivered ?? null,
		summaryDeliveredAt: summary?.deliveredAt ?? null,
		summaryDeliveryEvidence: summary?.evidence ?? null,
	};
}

function loopOutcome(
	entries: JournalEntry[],
	deadlineMs: number,
	rules: ReportRules,
	asOfMs: number,
): { outcome: LoopOutcome; bookedAt?: string; bookedAtSource?: 'ehr' | 'check' } {
	const graceEnd = deadlineMs + rules.checkGraceHours * 3_600_000;
	for (const entry of entries) {
		if (!bookingTypes.has(entry.type)) continue;
		const ehrTime = typeof entry.detail?.bookedAt === 'string' && isInstant(entry.detail.bookedAt) ? entry.detail.bookedAt : undefined;
		const counts = ehrTime ? Date.parse(ehrTime) <= deadlineMs : instantMs(entry.at, 'at') <= graceEnd;
		if (counts) {
			return {
				outcome: entry.type === 'followup.done' ? 'done' : 'booked',
				bookedAt: ehrTime ?? entry.at,
				bookedAtSource: ehrTime ? 'ehr' : 'check',
			};
		}
	}
	if (entries.some((e) => e.type === 'followup.visitCancelled' && instantMs(e.at, 'at') <= graceEnd)) return { outcome: 'cancelled' };
	// A Booking Check that ran at or after the deadline and found nothing decides it before the grace ends.
	if (entries.some((e) => e.type.startsWith('followup.') && instantMs(e.at, 'at') >= deadlineMs)) return { outcome: 'notBooked' };
	return asOfMs < graceEnd ? { outcome: 'pending' } : { outcome: 'notBooked' };
}

interface CareSummaryOutcome {
	sent: WindowAnswer;
	sentAt?: string;
	delivered: WindowAnswer;
	deliveredAt?: string;
	evidence?: 'smsDelivered' | 'emailAccepted' | 'delivered';
}

interface StageOneChannel {
	sentAt?: string;
	deliveredAt?: string;
	evidence?: CareSummaryOutcome['evidence'];
	undelivered: boolean;
}

/**
 * The stage-1 sends of a journey per channel, with their delivery evidence (status reports matched by provider
 * id). `entries` are in time order, so the first match is the earliest.
 */
function stageOneChannels(entries: JournalEntry[]): Record<string, StageOneChannel> {
	const sends = entries.filter((e) => e.type === 'touch.sent' && e.stage === 1 && e.channel);
	const sendIds = new Set(sends.map((e) => e.providerId).filter(Boolean));
	const ofStageOne = (e: JournalEntry) => (e.providerId ? sendIds.has(e.providerId) : e.stage === 1);
	const undelivered = entries.filter((e) => e.type === 'touch.undelivered' && ofStageOne(e));
	const bounced = (send: JournalEntry) =>
		undelivered.some((u) => (send.providerId && u.providerId ? u.providerId === send.providerId : u.channel === send.channel));
	const result: Record<string, StageOneChannel> = {};
	const slot = (channel: string) => (result[channel] ??= { undelivered: false });
	const evidence = (channel: StageOneChannel, at: string, kind: StageOneChannel['evidence']) => {
		if (channel.deliveredAt !== undefined && Date.parse(channel.deliveredAt) <= Date.parse(at)) return;
		channel.deliveredAt = at;
		channel.evidence = kind;
	};
	for (const send of sends) {
		const channel = slot(send.channel as string);
		channel.sentAt ??= send.at;
		if (send.channel === 'email' && !bounced(send)) evidence(channel, send.at, 'emailAccepted');
	}
	for (const report of entries.filter((e) => e.type === 'touch.delivered' && e.channel && ofStageOne(e))) {
		evidence(slot(report.channel as string), report.at, report.channel === 'sms' ? 'smsDelivered' : 'delivered');
	}
	for (const u of undelivered) if (u.channel) slot(u.channel).undelivered = true;
	return result;
}

function careSummaryOf(journey: ReportJourney, entries: JournalEntry[], rules: ReportRules, asOfMs: number): CareSummaryOutcome {
	const deadlineMs = instantMs(journey.anchorAt, 'anchorAt') + rules.summaryWindowHours * 3_600_000;
	const channels = Object.values(stageOneChannels(entries));
	const first = (pick: (c: StageOneChannel) => string | undefined) =>
		channels
			.map((c) => ({ at: pick(c), channel: c }))
			.filter((x): x is { at: string; channel: StageOneChannel } => x.at !== undefined)
			.sort((a, b) => Date.parse(a.at) - Date.parse(b.at))[0];
	const sent = first((c) => c.sentAt);
	const delivered = first((c) => c.deliveredAt);
	const answer = (at: string | undefined): WindowAnswer => {
		if (at !== undefined && Date.parse(at) <= deadlineMs) return 'yes';
		return asOfMs < deadlineMs ? 'pending' : 'no';
	};
	return {
		sent: answer(sent?.at),
		sentAt: sent?.at,
		delivered: answer(delivered?.at),
		deliveredAt: delivered?.at,
		evidence: delivered?.channel.evidence,
	};
}

function rateOf(numerator: number, denominator: number): RateFigure {
	const rate = denominator === 0 ? null : numerator / denominator;
	return { numerator, denominator, rate, percent: percentText(rate) };
}

function percentText(rate: number | null): string {
	return rate === null ? 'n/a' : `${(Math.round(rate * 1000) / 10).toFixed(1)}%`;
}

function loopFigures(rows: JourneyOutcomeRow[], windowDays: number): LoopFigures {
	const count = (outcome: LoopOutcome, of = rows) => of.filter((row) => row.outcome === outcome).length;
	const channelFigure = (of: JourneyOutcomeRow[]): ChannelLoopFigure => {
		const success = count('booked', of) + count('done', of);
		return { journeys: of.length, pending: count('pending', of), ...rateOf(success, success + count('notBooked', of)) };
	};
	const reached = (channel: ReachChannel) => rows.filter((row) => row.channels.split(',').includes(channel));
	const success = count('booked') + count('done');
	return {
		windowDays,
		journeys: rows.length,
		booked: count('booked'),
		done: count('done'),
		notBooked: count('notBooked'),
		pending: count('pending'),
		cancelled: count('cancelled'),
		rate: rateOf(success, success + count('notBooked')),
		bookedTimeFrom: {
			ehr: rows.filter((row) => row.bookedAtSource === 'ehr').length,
			check: rows.filter((row) => row.bookedAtSource === 'check').length,
		},
		byChannel: {
			sms: channelFigure(reached('sms')),
			email: channelFigure(reached('email')),
			voice: channelFigure(reached('voice')),
			none: channelFigure(reached('none')),
		},
	};
}

function careFigures(rows: JourneyOutcomeRow[], input: FollowUpReportInput, rules: ReportRules, smsStatusSeen: boolean): CareSummaryFigures {
	const count = (pick: (row: JourneyOutcomeRow) => WindowAnswer | null, answer: WindowAnswer) => rows.filter((row) => pick(row) === answer).length;
	const pendingSent = count((row) => row.summarySent, 'pending');
	const pendingDelivered = count((row) => row.summaryDelivered, 'pending');
	const byChannel = { sms: emptyChannel(), email: emptyChannel() };
	const asOfMs = instantMs(input.asOf, 'asOf');
	for (const journey of input.journeys.filter((j) => j.kind === 'visit')) {
		const deadlineMs = instantMs(journey.anchorAt, 'anchorAt') + rules.summaryWindowHours * 3_600_000;
		for (const [channel, facts] of Object.entries(stageOneChannels(readableEntries(input, journey.journeyId, asOfMs)))) {
			if (channel !== 'sms' && channel !== 'email') continue;
			const figure = byChannel[channel];
			if (facts.sentAt !== undefined) figure.sent += 1;
			if (facts.sentAt !== undefined && Date.parse(facts.sentAt) <= deadlineMs) figure.sentWithin += 1;
			if (facts.deliveredAt !== undefined && Date.parse(facts.deliveredAt) <= deadlineMs) figure.deliveredWithin += 1;
			if (facts.undelivered) figure.undelivered += 1;
		}
	}
	return {
		windowHours: rules.summaryWindowHours,
		journeys: rows.length,
		sent: rateOf(count((row) => row.summarySent, 'yes'), rows.length - pendingSent),
		delivered: rateOf(count((row) => row.summaryDelivered, 'yes'), rows.length - pendingDelivered),
		pendingSent,
		pendingDelivered,
		neverSent: rows.filter((row) => row.summarySentAt === null && row.summarySent === 'no').length,
		byChannel,
		smsStatusSeen,
	};
}

function emptyChannel(): ChannelSummaryFigure {
	return { sent: 0, sentWithin: 0, deliveredWithin: 0, undelivered: 0 };
}

function stepFigures(journeys: ReportJourney[], steps: ReportStep[]): StepFigures {
	const ids = new Set(journeys.map((journey) => journey.journeyId));
	const ours = steps.filter((step) => ids.has(step.journeyId));
	return {
		waitingJourneys: new Set(ours.filter((step) => step.state === 'scheduled' || step.state === 'claimed').map((step) => step.journeyId)).size,
		setAside: ours.filter((step) => step.state === 'failed').length,
		orphaned: ours.filter((step) => step.state === 'orphaned').length,
	};
}

function notesOf(report: FollowUpReport, rows: JourneyOutcomeRow[], rules: ReportRules): string[] {
	const notes: string[] = [];
	const { followUpBooking: booking, recallCompliance: recall, careSummaries: care } = report;
	if (booking.pending > 0) {
		notes.push(
			`${booking.pending} visit(s) are still inside their ${rules.bookingWindowDays} days with nothing booked yet: ` +
				'pending, not counted as failures.',
		);
	}
	if (recall.pending > 0) {
		notes.push(`${recall.pending} recall(s) are still inside their ${rules.recallWindowDays} days: pending, not counted as failures.`);
	}
	if (booking.cancelled + recall.cancelled > 0) {
		notes.push(`${booking.cancelled + recall.cancelled} journey(s) whose visit the EHR reports cancelled are left out of the rates.`);
	}
	const fromCheck = booking.bookedTimeFrom.check + recall.bookedTimeFrom.check;
	if (fromCheck > 0) {
		notes.push(
			`${fromCheck} booking time(s) are when the Booking Check found the booking (the EHR's own booking time was not recorded); ` +
				`a booking found by a check up to ${rules.checkGraceHours} h after the deadline counts.`,
		);
	}
	const withoutNudge = rows.filter((row) => row.kind === 'recall' && row.windowStartSource === 'journeyStart').length;
	if (withoutNudge > 0) {
		notes.push(`${withoutNudge} recall(s) had no nudge sent; their ${rules.recallWindowDays} days run from the journey's start.`);
	}
	if (care.pendingSent + care.pendingDelivered > 0) {
		notes.push(`Care summaries of visits closed less than ${rules.summaryWindowHours} h before the report are pending.`);
	}
	if (care.byChannel.sms.sent > 0 && !care.smsStatusSeen) {
		notes.push(
			'No SMS delivery receipts (Twilio status callbacks) were recorded for these care summaries: "confirmed delivered" counts ' +
				'only emails the mail server accepted; "sent" is the evidence for SMS. Set up status callbacks to confirm SMS delivery.',
		);
	}
	const steps = report.scheduledSteps;
	if (steps && steps.setAside + steps.orphaned > 0) {
		notes.push(
			`${steps.setAside} step(s) set aside for staff and ${steps.orphaned} orphaned: no message follows by itself; ` +
				'the Journey Log (One Item per Waiting Step) lists them and the watchdog reports them.',
		);
	}
	const today = todayLeftOut(report.period, report.asOf);
	if (today) {
		notes.push(
			`Today (${today}) is not included: the period ends at midnight this morning. Visits closed and recalls due today ` +
				'count in the next report; choose "Last N Days Up to Now" to include them.',
		);
	}
	if (report.followUpBooking.journeys + report.recallCompliance.journeys === 0) notes.push('No journeys in this period.');
	return notes;
}

/** Today's local date when the period stops at today's midnight (the whole-days default), else null. */
function todayLeftOut(period: ReportPeriod, asOf: string): string | null {
	if (!period.to) return null;
	const today = DateTime.fromISO(asOf, { zone: period.zone });
	return instantMs(period.to, 'period.to') === today.startOf('day').toMillis() ? today.toISODate() : null;
}

function loopLine(figures: LoopFigures, what: string, unit: string): string[] {
	const lines = [
		`${what}: ${figures.rate.percent} (${figures.rate.numerator} of ${figures.rate.denominator} decided ${unit}; ` +
			`${figures.pending} pending; ${figures.journeys} in total)`,
	];
	if (figures.cancelled > 0) lines.push(`   cancelled visits left out: ${figures.cancelled}`);
	if (figures.done > 0) lines.push(`   of which done (not just booked): ${figures.done}`);
	const channels = (['sms', 'email', 'voice', 'none'] as const)
		.filter((channel) => figures.byChannel[channel].journeys > 0)
		.map((channel) => {
			const figure = figures.byChannel[channel];
			return `${channelLabel(channel)} ${figure.numerator} of ${figure.denominator} (${figure.percent})`;
		});
	if (channels.length) lines.push(`   by channel reached: ${channels.join(' · ')}`);
	return lines;
}

function channelLabel(channel: string): string {
	return channel === 'none' ? 'no message' : channel === 'sms' ? 'SMS' : channel;
}

function reportText(report: FollowUpReport, rules: ReportRules): string {
	const care = report.careSummaries;
	const { sms, email } = care.byChannel;
	const lines = [
		`Post-visit follow-up report: ${report.period.label}${report.department ? `, department ${report.department}` : ''}`,
		`As of ${report.asOf}`,
		'',
		...loopLine(report.followUpBooking, `1. Follow-up booked within ${rules.bookingWindowDays} days of visit close`, 'visits'),
		...loopLine(report.recallCompliance, `2. Recall compliance at ${rules.recallWindowDays} days`, 'recalls'),
		`3. Care summaries within ${rules.summaryWindowHours} h of visit close: ` +
			`sent ${care.sent.percent} (${care.sent.numerator} of ${care.sent.denominator}), ` +
			`confirmed delivered ${care.delivered.percent} (${care.delivered.numerator} of ${care.delivered.denominator})`,
		`   by channel: SMS sent ${sms.sentWithin}/${sms.sent} in time, delivered ${sms.deliveredWithin}` +
			`${sms.undelivered ? `, undelivered ${sms.undelivered}` : ''} · ` +
			`email sent ${email.sentWithin}/${email.sent} in time, accepted ${email.deliveredWithin}` +
			`${email.undelivered ? `, bounced ${email.undelivered}` : ''}`,
	];
	if (care.neverSent > 0) lines.push(`   visits with no care summary sent at all: ${care.neverSent}`);
	const steps = report.scheduledSteps;
	if (steps) {
		lines.push(
			`Steps in the journey store now: ${steps.waitingJourneys} journey(s) waiting · ${steps.setAside} set aside for staff · ` +
				`${steps.orphaned} orphaned`,
		);
	}
	if (report.notes.length) lines.push('', 'Notes:', ...report.notes.map((note) => `- ${note}`));
	return lines.join('\n');
}

function checkRules(rules: ReportRules): ReportRules {
	const whole = (value: number, field: keyof ReportRules, min: number, max: number) => {
		if (!Number.isInteger(value) || value < min || value > max) {
			throw new DomainError(`"${field}" must be a whole number from ${min} to ${max}`, 'invalid_input', field);
		}
	};
	whole(rules.bookingWindowDays, 'bookingWindowDays', 1, 365);
	whole(rules.recallWindowDays, 'recallWindowDays', 1, 365);
	whole(rules.summaryWindowHours, 'summaryWindowHours', 1, 168);
	whole(rules.checkGraceHours, 'checkGraceHours', 0, 168);
	return rules;
}

function isInstant(value: string): boolean {
	return DateTime.fromISO(value, { setZone: true }).isValid && /[zZ]|[+-]\d\d:?\d\d$/.test(value);
}

function instantMs(value: string, field: string): number {
	const ms = DateTime.fromISO(value, { setZone: true }).toMillis();
	if (!Number.isFinite(ms)) throw new DomainError(`"${field}" must be an ISO-8601 date-time`, 'invalid_input', field);
	return ms;
}

/** A date or date-time a person typed, as a UTC instant; without an offset it is wall time in `zone`. */
export function instantInZone(value: string, zone: string, field: string): string {
	return utc(parseLocal(value, zone, field));
}

function parseLocal(value: string, zone: string, field: string): DateTime {
	const parsed = typeof value === 'string' ? DateTime.fromISO(value.trim(), { zone }) : DateTime.invalid('not a string');
	if (!parsed.isValid) throw new DomainError(`"${field}" must be a date or date-time such as 2026-03-01`, 'invalid_input', field);
	return parsed;
}

function utc(value: DateTime): string {
	return value.toUTC().toISO() as string;
}
