import { DateTime } from 'luxon';

import { canonicalAddress } from './addresses';
import { dueInstant, localDateOf, planTouch } from './cadence';
import type { OffsetUnit, ShiftReason, TouchPlan } from './cadence';
import { DomainError } from './errors';
import { evaluateTouch } from './guard';
import type { TouchKind } from './guard';
import type { Caps, SendPolicy } from './practice';
import { applyNumberCap, routeChannels } from './routing';
import type { ChannelAddress, ChannelRoute, NumberCapDecision, RoutedChannel, RoutingDecision } from './routing';
import { journeyIdOf, patientKeyOf } from './schemas';
import type { Channel, JourneyEvent } from './schemas';

/*
 * The dry run: what the live nodes would decide for a set of visits or recalls, touch by touch, without
 * sending or writing anything. No rule of its own: every time comes from cadence.planTouch (as Cadence Wait
 * plans it), every channel from routing.routeChannels (as Channel Router routes), every hold from
 * guard.evaluateTouch (as Patient Message checks right before sending). It walks a journey the way the
 * templates do: stage 1 at the close, Cadence Wait to the reminder, Booking Check, stage 2, Cadence Wait to
 * the escalation, Booking Check, the staff task (or a voice message), assuming nothing gets booked.
 */

export interface TimelineOffset {
	amount: number;
	unit: OffsetUnit;
}

/** The cadence of the templates; every offset is a parameter of the Timeline Preview node. */
export interface TimelineCadence {
	/** After the visit close (post-visit-three-stage.json "Wait 48 Hours"). */
	visitReminder: TimelineOffset;
	/** After the visit close ("Wait 7 Days"). */
	visitEscalation: TimelineOffset;
	/** Before the recall's due date (recall-outreach.json "Wait Until 30 Days Before"). */
	recallNudge: TimelineOffset;
	recallReminder: TimelineOffset;
	recallEscalation: TimelineOffset;
	/** The stage-3 touch: a staff task in the EHR (the templates) or a voice message. */
	stage3: 'task' | 'voice';
}

export const templateCadence: TimelineCadence = {
	visitReminder: { amount: 2, unit: 'days' },
	visitEscalation: { amount: 7, unit: 'days' },
	recallNudge: { amount: 30, unit: 'days' },
	recallReminder: { amount: 14, unit: 'days' },
	recallEscalation: { amount: 7, unit: 'days' },
	stage3: 'task',
};

/**
 * A step the journey store already holds for the journey (a Cadence Wait version 2 scheduled it): the stage it
 * leads to happens at its stored due time. A due time already computed stays as it is: an edit of the Cadence
 * Wait does not move it.
 */
export interface TimelineScheduledStep {
	stage: 1 | 2 | 3;
	/** The step's name, as the Cadence Wait's "Step". */
	step: string;
	dueAt: string;
}

/** A journey stage that sent something, as the journey store counts it. */
export interface TimelineTouchRef {
	journeyId: string;
	stage: number;
}

/**
 * What the journey store already counts on the patient's local date of the preview (sends made before it ran):
 * the live run holds against these, so the plan does too.
 */
export interface TimelineSentToday {
	/** The patient's local date (YYYY-MM-DD) the counts are for. */
	localDate: string;
	/** Journey stages that touched the patient that day, across workflows. */
	patient: TimelineTouchRef[];
	/** Per phone number of the patient: journey stages that messaged it that day, whichever patient. */
	numbers: Array<{ address: string; touches: TimelineTouchRef[] }>;
}

/** One visit or recall to plan, with the opt-outs the journey store holds for its addresses. */
export interface TimelineJourney {
	event: JourneyEvent;
	/** Addresses that opted out on a channel. */
	optedOut: ChannelAddress[];
	/** Channels on which every address of the patient opted out (as the guard is told). */
	optedOutChannels: Channel[];
	/** The journey's step already scheduled in the journey store, if it has one. */
	scheduled?: TimelineScheduledStep;
	/** Sends already counted today toward the per-patient and per-number caps. */
	sentToday?: TimelineSentToday;
}

export interface TimelineInput {
	journeys: TimelineJourney[];
	policy: SendPolicy;
	caps: Caps;
	channelOrder: readonly Channel[];
	cadence: TimelineCadence;
	/** Holds (window, daily cap) before a touch goes to staff, as Patient Message's "max holds". */
	maxHolds?: number;
}

export type TimelineStep = 'careSummary' | 'reminder' | 'escalation' | 'recallNudge' | 'recallReminder' | 'recallEscalation';
/** send: a message goes out; task: a staff task is created; notSent: the guard refused it (a task follows); end: the journey stops here. */
export type PlannedAction = 'send' | 'task' | 'notSent' | 'end';
/** alreadyScheduled: the time of a step the journey store holds, as it was computed then. */
export type TimingRule = 'onTime' | ShiftReason | 'dailyCap' | 'numberCap' | 'immediate' | 'alreadyScheduled';

export interface PlannedTouch {
	/** Index of the journey in the input, so the caller can pair the touch with its input item. */
	journeyIndex: number;
	journeyId: string;
	patientKey: string;
	kind: 'visit' | 'recall';
	stage: 1 | 2 | 3;
	step: TimelineStep;
	channel: Channel | 'task' | 'none';
	action: PlannedAction;
	/** 'ifNotBooked': only happens when the Booking Check before it finds nothing booked. */
	condition: 'always' | 'ifNotBooked';
	zone: string;
	/** Anchor ± offset, before the send window (UTC). */
	due: string;
	/** When it happens (UTC). */
	at: string;
	/** `at` in the patient's zone, "yyyy-MM-dd HH:mm". */
	localTime: string;
	/** The deciding rule, e.g. onTime, beforeWindow, holiday, dailyCap, noMobile→email, staffCall:noContact, perJourneyCap. */
	rule: string;
	timingRule: TimingRule;
	/** Why this channel: preferred, practiceOrder, voiceChosen, or the skip that moved it (noMobile→email). */
	channelRule: string | null;
	/** Channels tried next if this one fails (stage 2 tries one channel at a time). */
	fallbacks: string | null;
	/** One sentence for ops. */
	why: string;
	/** The step in the journey store whose stored due time this stage keeps (not recomputed), else null. */
	scheduledStep: string | null;
}

const defaultMaxHolds = 10;

/** Routing skips that say something about the patient (not "voice is for stage 3 only"). */
const telling = new Set(['noMobile', 'landline', 'noPhone', 'noAddress', 'noConsent', 'optedOut', 'bounced', 'failed']);

const shiftText: Record<string, string> = {
	beforeWindow: 'moved to the start of the send window',
	afterWindow: 'moved to the next day\'s send window (after hours)',
	closedDay: 'moved past a day without messages',
	holiday: 'moved past a holiday',
	dailyCap: 'moved to the next open day: the patient already gets a message that day',
	numberCap: 'moved to the next open day: this phone number already gets a message that day (a shared phone)',
	alreadyScheduled: 'already scheduled: an edit of the Cadence Wait does not move it',
};

/** Who was touched on which local date, by which journey stages: keys "<patientKey>|<date>" and "<E.164>|<date>". */
interface TouchedDays {
	patients: Map<string, Set<string>>;
	numbers: Map<string, Set<string>>;
}

const touchRef = (journeyId: string, stage: number) => `${journeyId}:${stage}`;
const numberDayKey = (address: string, localDate: string) => `${canonicalAddress('sms', address) ?? address.trim()}|${localDate}`;

function addTouch(days: Map<string, Set<string>>, key: string, ref: string): void {
	const seen = days.get(key) ?? new Set<string>();
	seen.add(ref);
	days.set(key, seen);
}

/** The sends the journey store counted before the preview, so the plan holds against them as the live run does. */
function seedSentToday(journeys: TimelineJourney[], days: TouchedDays): void {
	for (const { event, sentToday } of journeys) {
		if (!sentToday) continue;
		for (const touch of sentToday.patient) {
			addTouch(days.patients, `${patientKeyOf(event)}|${sentToday.localDate}`, touchRef(touch.journeyId, touch.stage));
		}
		for (const number of sentToday.numbers) {
			for (const touch of number.touches) {
				addTouch(days.numbers, numberDayKey(number.address, sentToday.localDate), touchRef(touch.journeyId, touch.stage));
			}
		}
	}
}

/**
 * Plans every touch of every journey. Invariants: touches of one journey are in stage order and never earlier
 * than the previous one; a `send` lies inside the send window of an open local day and respects the per-patient
 * and per-number daily caps across all journeys given and the sends already counted (`sentToday`); nothing is
 * read or written outside the input.
 */
export function planTimeline(input: TimelineInput): PlannedTouch[] {
	const cadence = checkCadence(input.cadence);
	const maxHolds = input.maxHolds ?? defaultMaxHolds;
	const touchedDays: TouchedDays = { patients: new Map(), numbers: new Map() };
	seedSentToday(input.journeys, touchedDays);
	const order = input.journeys
		.map((journey, index) => ({ journey, index, anchor: anchorMs(journey.event) }))
		.sort((a, b) => a.anchor - b.anchor || a.index - b.index);
	const planned: PlannedTouch[] = [];
	for (const { journey, index } of order) {
		const planner = new JourneyPlanner(journey, index, input, cadence, maxHolds, touchedDays);
		planned.push(...planner.run());
	}
	return planned.sort((a, b) => a.journeyIndex - b.journeyIndex || a.stage - b.stage);
}

function anchorMs(event: JourneyEvent): number {
	const anchor = event.kind === 'visit' ? event.completedAt : event.dueDate;
	return DateTime.fromISO(anchor, { zone: event.zone }).toMillis();
}

type SendResult =
	| { at: string; timing: TimingRule; targets: RoutedChannel[]; capped: RoutedChannel[] }
	| { timing: TimingRule; finalReason: string };
/** A wait's plan; `stored` when its time is a step's due time the journey store already holds. */
type WaitPlan = TouchPlan & { stored?: true };

class JourneyPlanner {
	private readonly event: JourneyEvent;
	private readonly journeyId: string;
	private readonly patientKey: string;
	private readonly touches: PlannedTouch[] = [];
	private automatedSent = 0;
	private stage3Sent = 0;

	constructor(
		private readonly journey: TimelineJourney,
		private readonly index: number,
		private readonly input: TimelineInput,
		private readonly cadence: TimelineCadence,
		private readonly maxHolds: number,
		private readonly touchedDays: TouchedDays,
	) {
		this.event = journey.event;
		this.journeyId = journeyIdOf(journey.event);
		this.patientKey = patientKeyOf(journey.event);
	}

	run(): PlannedTouch[] {
		const event = this.event;
		const visit = event.kind === 'visit';
		const anchor = visit ? event.completedAt : event.dueDate;
		const c = this.cadence;
		// Stage 1: the care summary goes at the close (Visit Details runs then); a recall nudge when its wait ends.
		const firstOffset = visit ? { amount: 0, unit: 'minutes' as const } : c.recallNudge;
		const direction = visit ? 'after' : 'before';
		const firstDue = dueInstant({ anchor, offset: { ...firstOffset, direction }, zone: event.zone });
		const first = this.stage(1, visit ? 'careSummary' : 'recallNudge', anchor, firstOffset, direction, firstDue, 'always');
		if (first === undefined) return this.touches;
		if (allDone(event)) {
			const check = this.waitFor(2, anchor, visit ? c.visitReminder : c.recallReminder, direction, first);
			this.push({
				stage: 2,
				step: visit ? 'reminder' : 'recallReminder',
				channel: 'none',
				action: 'end',
				condition: 'always',
				due: check.due,
				at: check.sendAt,
				rule: 'actionDone',
				timingRule: timingOf(check),
				channelRule: null,
				fallbacks: null,
				why: 'Already booked or done at checkout: the Booking Check before the reminder ends the journey',
			});
			return this.touches;
		}
		const secondOffset = visit ? c.visitReminder : c.recallReminder;
		const second = this.stage(2, visit ? 'reminder' : 'recallReminder', anchor, secondOffset, direction, first, 'ifNotBooked');
		if (second === undefined) return this.touches;
		const thirdOffset = visit ? c.visitEscalation : c.recallEscalation;
		const step3: TimelineStep = visit ? 'escalation' : 'recallEscalation';
		if (c.stage3 === 'voice') {
			this.stage(3, step3, anchor, thirdOffset, direction, second, 'ifNotBooked');
			return this.touches;
		}
		const escalation = this.waitFor(3, anchor, thirdOffset, direction, second);
		this.push({
			stage: 3,
			step: step3,
			channel: 'task',
			action: 'task',
			condition: 'ifNotBooked',
			due: escalation.due,
			at: escalation.sendAt,
			rule: 'escalation',
			timingRule: timingOf(escalation),
			channelRule: null,
			fallbacks: null,
			why: `Nothing booked: a staff task in the EHR worklist${shiftSuffix(escalation)}`,
		});
		return this.touches;
	}

	/**
	 * Cadence Wait's plan: anchor ± offset in the patient's zone, into the send window, never before `now`; or, for
	 * the stage a step already scheduled in the journey store leads to, that step's due time as it is.
	 */
	private waitFor(stage: 1 | 2 | 3, anchor: string, offset: TimelineOffset, direction: 'after' | 'before', now: string): WaitPlan {
		const scheduled = this.journey.scheduled;
		if (scheduled?.stage === stage) {
			const at = DateTime.fromISO(scheduled.dueAt, { setZone: true });
			const utcAt = at.toUTC().toISO() as string;
			return { due: utcAt, sendAt: utcAt, sendAtLocal: at.setZone(this.event.zone).toISO() as string, shifted: false, dueNow: false, stored: true };
		}
		const { zone, extraZones } = this.event;
		return planTouch({ anchor, offset: { ...offset, direction }, zone, extraZones, policy: this.input.policy, now });
	}

	/** One messaging stage: plan, route, guard. Returns when it went out, or undefined when the journey went to staff. */
	private stage(
		stage: 1 | 2 | 3,
		step: TimelineStep,
		anchor: string,
		offset: TimelineOffset,
		direction: 'after' | 'before',
		now: string,
		condition: PlannedTouch['condition'],
	): string | undefined {
		const plan = this.waitFor(stage, anchor, offset, direction, now);
		const route = routeChannels({
			patient: this.event.patient,
			consent: this.event.consent,
			stage,
			channelOrder: this.input.channelOrder,
			allowVoice: stage === 3,
			history: { optedOut: this.journey.optedOut },
		});
		const base = { stage, step, condition, due: plan.due };
		// Channel Router runs when the wait ends; for a visit's care summary that is the close itself (no wait before it).
		const routedAt = this.event.kind === 'visit' && stage === 1 ? now : plan.sendAt;
		if (route.staffCall) {
			const reason = route.staffCall.reason;
			const why = `No usable channel (${reason}: ${skipsText(route.decisions)}): a staff phone-call task`;
			this.staffTask(base, routedAt, `staffCall:${reason}`, why);
			return undefined;
		}
		const kind: TouchKind = stage >= 3 ? 'stage3' : 'automated';
		const sent = this.guard(plan, route, stage, kind);
		if ('finalReason' in sent) {
			const reason = sent.finalReason;
			const rule = reason === 'perJourneyCap' ? 'staffCall:capReached' : reason;
			this.push({
				...base,
				channel: route.channels[0].channel,
				action: 'notSent',
				at: plan.sendAt,
				rule,
				timingRule: sent.timing,
				channelRule: null,
				fallbacks: null,
				why: reason === 'holdLimit' ? `Held ${this.maxHolds} times: handed to staff` : `Not sent (${reason}): handed to staff`,
			});
			this.staffTask(base, plan.sendAt, rule, 'A staff phone-call task instead of the message');
			return undefined;
		}
		const targets = route.strategy === 'all' ? sent.targets : sent.targets.slice(0, 1);
		const skips = [skipsText(route.decisions), ...sent.capped.map((c) => `${c.channel}:numberCap`)].filter(Boolean).join(',');
		for (const target of targets) {
			const channelRule = skips ? `${skips}→${target.channel}` : target.reason;
			const fallbacks = route.strategy === 'firstSuccess' ? sent.targets.slice(1).map((c) => c.channel).join(',') || null : null;
			this.push({
				...base,
				channel: target.channel,
				action: 'send',
				at: sent.at,
				rule: skips ? channelRule : sent.timing,
				timingRule: sent.timing,
				channelRule,
				fallbacks,
				why: sendWhy(target.channel, target.reason, skips, sent.timing, fallbacks),
			});
		}
		this.countTouch(stage, sent.at, targets);
		if (kind === 'automated') this.automatedSent += 1;
		else this.stage3Sent += 1;
		return sent.at;
	}

	/**
	 * Patient Message's guard, then its per-number cap, at the planned time; a timed hold (daily cap, shared number)
	 * moves the touch as "Held" → Cadence Wait would.
	 */
	private guard(plan: WaitPlan, route: ChannelRoute, stage: 1 | 2 | 3, kind: TouchKind): SendResult {
		let at = plan.sendAt;
		let timing: TimingRule = timingOf(plan);
		for (let holds = 0; ; holds++) {
			const decision = evaluateTouch({
				now: at,
				zone: this.event.zone,
				extraZones: this.event.extraZones,
				policy: this.input.policy,
				caps: this.input.caps,
				touch: { stage, kind, channel: route.channels[0].channel },
				history: {
					automatedSentThisJourney: this.automatedSent,
					stage3SentThisJourney: this.stage3Sent,
					patientTouchesToday: this.othersOn(this.touchedDays.patients, this.dayKey(at), stage),
					optedOutChannels: this.journey.optedOutChannels,
				},
				actionDone: false,
			});
			const refusal = decision.allowed ? this.numberCap(route, stage, at) : decision;
			if (refusal.allowed) return { at, timing, targets: refusal.targets, capped: refusal.capped };
			if (!('retryAt' in refusal)) return { timing, finalReason: refusal.reason };
			if (holds >= this.maxHolds) return { timing, finalReason: 'holdLimit' };
			if (refusal.reason !== 'outsideWindow') timing = refusal.reason === 'dailyCap' ? 'dailyCap' : 'numberCap';
			at = refusal.retryAt;
		}
	}

	private staffTask(base: Pick<PlannedTouch, 'stage' | 'step' | 'condition' | 'due'>, at: string, rule: string, why: string): void {
		this.push({ ...base, channel: 'task', action: 'task', at, rule, timingRule: 'immediate', channelRule: null, fallbacks: null, why });
	}

	/** Patient Message's per-number cap for this stage's channels at `at`. */
	private numberCap(route: ChannelRoute, stage: 1 | 2 | 3, at: string): NumberCapDecision {
		const localDate = localDateOf(at, this.event.zone);
		const phones = route.channels.filter((target) => target.channel !== 'email');
		return applyNumberCap({
			stage,
			targets: route.channels,
			perNumberPerDay: this.input.caps.perNumberPerDay,
			sentToday: phones.map(({ address }) => ({
				address,
				messages: this.othersOn(this.touchedDays.numbers, numberDayKey(address, localDate), stage),
			})),
			now: at,
			zone: this.event.zone,
			policy: this.input.policy,
		});
	}

	/** Journey stages counted under `key`, this stage's own earlier send left out (as the live run leaves it out). */
	private othersOn(days: Map<string, Set<string>>, key: string, stage: number): number {
		const seen = days.get(key);
		if (!seen) return 0;
		return seen.size - (seen.has(touchRef(this.journeyId, stage)) ? 1 : 0);
	}

	private dayKey(at: string): string {
		return `${this.patientKey}|${localDateOf(at, this.event.zone)}`;
	}

	private countTouch(stage: number, at: string, targets: RoutedChannel[]): void {
		const ref = touchRef(this.journeyId, stage);
		addTouch(this.touchedDays.patients, this.dayKey(at), ref);
		const localDate = localDateOf(at, this.event.zone);
		for (const target of targets.filter((t) => t.channel !== 'email')) addTouch(this.touchedDays.numbers, numberDayKey(target.address, localDate), ref);
	}

	private push(touch: Omit<PlannedTouch, 'journeyIndex' | 'journeyId' | 'patientKey' | 'kind' | 'zone' | 'localTime' | 'scheduledStep'>): void {
		const scheduled = this.journey.scheduled;
		// What ops read first in n8n's table view (its columns follow the keys' order): when, what, why; the ids after.
		const { stage, step, channel, action, why, ...details } = touch;
		this.touches.push({
			localTime: DateTime.fromISO(touch.at, { zone: this.event.zone }).toFormat('yyyy-MM-dd HH:mm'),
			stage,
			step,
			channel,
			action,
			why,
			...details,
			journeyIndex: this.index,
			journeyId: this.journeyId,
			patientKey: this.patientKey,
			kind: this.event.kind,
			zone: this.event.zone,
			scheduledStep: scheduled?.stage === touch.stage ? scheduled.step : null,
		});
	}
}

function allDone(event: JourneyEvent): boolean {
	const items = event.kind === 'visit' ? event.actionItems : [event.actionItem];
	return items.length > 0 && items.every((item) => item.done);
}

function timingOf(plan: WaitPlan): TimingRule {
	if (plan.stored) return 'alreadyScheduled';
	return plan.shifted && plan.reason ? plan.reason : 'onTime';
}

function shiftSuffix(plan: WaitPlan): string {
	const timing = timingOf(plan);
	return timing === 'onTime' ? '' : ` (${shiftText[timing]})`;
}

/** "sms:noMobile" for each channel the router skipped for a reason about the patient. */
function skipsText(decisions: RoutingDecision[]): string {
	return decisions
		.filter((d) => d.decision === 'skip' && telling.has(d.reason))
		.map((d) => `${d.channel}:${d.reason}`)
		.join(',');
}

function sendWhy(channel: Channel, reason: string, skips: string, timing: TimingRule, fallbacks: string | null): string {
	const because =
		reason === 'preferred' ? 'the patient\'s preferred channel' : reason === 'voiceChosen' ? 'voice chosen for stage 3' : 'practice channel order';
	const parts = [`${channel === 'sms' ? 'SMS' : channel} (${because})`];
	if (skips) parts.push(`skipped ${skips.replace(/,/g, ', ')}`);
	parts.push(timing === 'onTime' ? 'on time' : shiftText[timing]);
	if (fallbacks) parts.push(`if it fails: ${fallbacks}`);
	return parts.join('; ');
}

function checkCadence(cadence: TimelineCadence): TimelineCadence {
	const fields: Array<keyof Omit<TimelineCadence, 'stage3'>> = [
		'visitReminder',
		'visitEscalation',
		'recallNudge',
		'recallReminder',
		'recallEscalation',
	];
	for (const field of fields) {
		const offset = cadence?.[field];
		if (!offset || !Number.isInteger(offset.amount) || offset.amount < 0 || offset.amount > 3660) {
			throw new DomainError(`"${field}" must be a whole number from 0 to 3660`, 'invalid_input', field);
		}
		if (!['minutes', 'hours', 'days'].includes(offset.unit)) {
			throw new DomainError(`"${field}" unit must be minutes, hours or days`, 'invalid_input', `${field}Unit`);
		}
	}
	if (cadence.stage3 !== 'task' && cadence.stage3 !== 'voice') {
		throw new DomainError('"stage3" must be task or voice', 'invalid_input', 'stage3');
	}
	return cadence;
}
