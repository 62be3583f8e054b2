import { canonicalAddress } from './addresses';
import { windowStartOnNextOpenDay } from './cadence';
import { DomainError } from './errors';
import type { SendPolicy } from './practice';
import { type Channel, type Consent, type PatientContact, type Phone } from './schemas';

export type RoutingStage = 1 | 2 | 3;

export interface ChannelAddress {
	channel: Channel;
	address: string;
}

/** What earlier sends and replies taught us about the patient's addresses. */
export interface RoutingHistory {
	/** Addresses that opted out on a channel (STOP reply, Twilio 21610, unsubscribe). */
	optedOut: ChannelAddress[];
	/** Email addresses that bounced. */
	bounced: ChannelAddress[];
	/** Numbers Twilio reported as landlines (21614). */
	landlines: string[];
	/** Addresses whose send failed for sure earlier in this journey. */
	failed: ChannelAddress[];
}

export interface RouteChannelsInput {
	patient: Pick<PatientContact, 'phones' | 'email' | 'preferredChannel'>;
	consent: Consent;
	stage: RoutingStage;
	/** The practice's channel order, tried after the patient's preference. */
	channelOrder: readonly Channel[];
	/** The practice chose a voice message as the stage-3 touch. */
	allowVoice: boolean;
	history?: Partial<RoutingHistory>;
}

export type UseReason = 'preferred' | 'practiceOrder' | 'voiceChosen';
export type SkipReason =
	| 'noMobile'
	| 'landline'
	| 'noPhone'
	| 'noAddress'
	| 'noConsent'
	| 'optedOut'
	| 'bounced'
	| 'failed'
	| 'notInPracticeOrder'
	| 'voiceStage3Only'
	| 'voiceNotChosen'
	| 'notThisStage';
export type StaffCallReason = 'noContact' | 'optedOutEverywhere' | 'noConsent' | 'allFailed';

export interface RoutedChannel {
	channel: Channel;
	address: string;
	reason: UseReason;
}

export interface RoutingDecision {
	channel: Channel;
	address?: string;
	decision: 'use' | 'skip';
	reason: UseReason | SkipReason;
}

export interface ChannelRoute {
	/** In the order to try. */
	channels: RoutedChannel[];
	/** 'all': send on every listed channel; 'firstSuccess': stop at the first channel that accepts the message. */
	strategy: 'all' | 'firstSuccess';
	/** Set when the stage wanted a channel and none is usable: a person must phone the patient. */
	staffCall?: { reason: StaffCallReason };
	/** One entry per channel, with why it was used or skipped (for the journey record). */
	decisions: RoutingDecision[];
}

type Verdict = { address: string; ok: true } | { address?: string; ok: false; reason: SkipReason };

const noAddressReasons: readonly SkipReason[] = ['noMobile', 'landline', 'noPhone', 'noAddress'];
const notWantedReasons: readonly SkipReason[] = [
	'notInPracticeOrder',
	'voiceStage3Only',
	'voiceNotChosen',
	'notThisStage',
];

/** One spelling per phone or mailbox; an address that is not one keeps its own (it matches only itself). */
const addressKey = (channel: Channel, address: string): string => canonicalAddress(channel, address) ?? address.trim();

class History {
	private readonly optedOut: Set<string>;
	private readonly bounced: Set<string>;
	private readonly failed: Set<string>;
	private readonly landlines: Set<string>;

	constructor(history: Partial<RoutingHistory> = {}) {
		const keys = (entries: ChannelAddress[] = []) =>
			new Set(entries.map((entry) => History.key(entry.channel, entry.address)));
		this.optedOut = keys(history.optedOut);
		this.bounced = keys(history.bounced);
		this.failed = keys(history.failed);
		this.landlines = new Set((history.landlines ?? []).map((number) => addressKey('sms', number)));
	}

	static key(channel: Channel, address: string): string {
		return `${channel}|${addressKey(channel, address)}`;
	}

	isOptedOut(channel: Channel, address: string): boolean {
		return this.optedOut.has(History.key(channel, address));
	}

	isBounced(address: string): boolean {
		return this.bounced.has(History.key('email', address));
	}

	hasFailed(channel: Channel, address: string): boolean {
		return this.failed.has(History.key(channel, address));
	}

	isLandline(number: string): boolean {
		return this.landlines.has(addressKey('sms', number));
	}
}

/** The first usable number of a non-empty list, else why none is: an opt-out outranks a failure. */
function pickPhone(phones: Phone[], check: (phone: Phone) => 'optedOut' | 'failed' | undefined): Verdict {
	const rejected: Array<{ address: string; reason: SkipReason }> = [];
	for (const phone of phones) {
		const reason = check(phone);
		if (reason === undefined) return { address: phone.number, ok: true };
		rejected.push({ address: phone.number, reason });
	}
	const { address, reason } = rejected.find((entry) => entry.reason === 'optedOut') ?? rejected[0];
	return { ok: false, address, reason };
}

function smsVerdict(input: RouteChannelsInput, history: History): Verdict {
	const phones = input.patient.phones ?? [];
	if (phones.length === 0) return { ok: false, reason: 'noMobile' };
	const textable = phones.filter((phone) => phone.kind !== 'landline' && !history.isLandline(phone.number));
	if (textable.length === 0) return { ok: false, reason: 'landline' };
	if (!input.consent.sms) return { ok: false, reason: 'noConsent' };
	// Mobiles before numbers of unknown kind: a known mobile is the likelier to take a text.
	const ordered = [...textable].sort((a, b) => Number(b.kind === 'mobile') - Number(a.kind === 'mobile'));
	return pickPhone(ordered, (phone) => {
		if (history.isOptedOut('sms', phone.number)) return 'optedOut';
		if (history.hasFailed('sms', phone.number)) return 'failed';
		return undefined;
	});
}

function emailVerdict(input: RouteChannelsInput, history: History): Verdict {
	const email = input.patient.email?.trim();
	if (!email) return { ok: false, reason: 'noAddress' };
	if (!input.consent.email) return { ok: false, address: email, reason: 'noConsent' };
	if (history.isOptedOut('email', email)) return { ok: false, address: email, reason: 'optedOut' };
	if (history.isBounced(email)) return { ok: false, address: email, reason: 'bounced' };
	if (history.hasFailed('email', email)) return { ok: false, address: email, reason: 'failed' };
	return { ok: true, address: email };
}

function voiceVerdict(input: RouteChannelsInput, history: History): Verdict {
	const phones = input.patient.phones ?? [];
	if (phones.length === 0) return { ok: false, reason: 'noPhone' };
	if (!input.consent.voice) return { ok: false, reason: 'noConsent' };
	return pickPhone(phones, (phone) => {
		// A STOP by text also revokes automated calls to that number (conservative reading of TCPA revocation).
		const optedOut = history.isOptedOut('voice', phone.number) || history.isOptedOut('sms', phone.number);
		if (optedOut) return 'optedOut';
		if (history.hasFailed('voice', phone.number)) return 'failed';
		return undefined;
	});
}

function staffCallReason(decisions: RoutingDecision[]): StaffCallReason {
	const wanted = decisions.filter((d) => !notWantedReasons.includes(d.reason as SkipReason));
	const reachable = wanted.filter((d) => !noAddressReasons.includes(d.reason as SkipReason));
	if (reachable.length === 0) return 'noContact';
	if (reachable.every((d) => d.reason === 'optedOut')) return 'optedOutEverywhere';
	if (reachable.every((d) => d.reason === 'optedOut' || d.reason === 'noConsent')) return 'noConsent';
	return 'allFailed';
}

function skip(channel: Channel, verdict: Verdict & { ok: false }): RoutingDecision {
	return verdict.address === undefined
		? { channel, decision: 'skip', reason: verdict.reason }
		: { channel, address: verdict.address, decision: 'skip', reason: verdict.reason };
}

/**
 * Which channels a stage uses, in order, and why each other channel is skipped.
 * Stage 1 (care summary) sends on every usable text channel; stage 2 tries them in order until one succeeds;
 * stage 3 uses voice only when the practice chose it (else no channel and no staff call: the human task is the
 * touch). Order is the patient's preference, then the practice's order; SMS never goes to a landline, an
 * opted-out or a failed number; email never to a bounced, opted-out or failed address; consent is required per
 * channel. When the stage wanted a channel and none is left, `staffCall` says why.
 */
export function routeChannels(input: RouteChannelsInput): ChannelRoute {
	const { stage } = input;
	if (stage !== 1 && stage !== 2 && stage !== 3) {
		throw new DomainError('stage must be 1, 2 or 3', 'invalid_input', 'stage');
	}
	const history = new History(input.history);
	const preferred = input.patient.preferredChannel;
	const order = [...new Set([...(preferred ? [preferred] : []), ...(input.channelOrder ?? [])])];
	const decisions: RoutingDecision[] = [];
	const routed: RoutedChannel[] = [];

	const consider = (channel: Channel, verdict: Verdict, useReason: UseReason) => {
		if (verdict.ok) {
			routed.push({ channel, address: verdict.address, reason: useReason });
			decisions.push({ channel, address: verdict.address, decision: 'use', reason: useReason });
		} else decisions.push(skip(channel, verdict));
	};

	if (stage === 3) {
		for (const channel of ['sms', 'email'] as const) {
			decisions.push({ channel, decision: 'skip', reason: 'notThisStage' });
		}
		if (!input.allowVoice) {
			decisions.push({ channel: 'voice', decision: 'skip', reason: 'voiceNotChosen' });
			return { channels: [], strategy: 'firstSuccess', decisions };
		}
		consider('voice', voiceVerdict(input, history), preferred === 'voice' ? 'preferred' : 'voiceChosen');
	} else {
		for (const channel of order) {
			if (channel === 'voice') continue;
			const verdict = channel === 'sms' ? smsVerdict(input, history) : emailVerdict(input, history);
			consider(channel, verdict, channel === preferred ? 'preferred' : 'practiceOrder');
		}
		for (const channel of ['sms', 'email'] as const) {
			if (order.includes(channel)) continue;
			decisions.push({ channel, decision: 'skip', reason: 'notInPracticeOrder' });
		}
		decisions.push({ channel: 'voice', decision: 'skip', reason: 'voiceStage3Only' });
	}

	const route: ChannelRoute = {
		channels: routed,
		strategy: stage === 1 ? 'all' : 'firstSuccess',
		decisions,
	};
	if (routed.length === 0) route.staffCall = { reason: staffCallReason(decisions) };
	return route;
}

/**
 * Why the per-number cap held a touch: `numberCapCareSummary` is a care summary with no other channel left (the
 * 2-hour promise is broken, and the journal must say so); `numberCap` is a reminder or a stage-3 call.
 */
export type NumberCapHoldReason = 'numberCap' | 'numberCapCareSummary';

/** Messages already sent to one phone number on the patient's local date, for any patient. */
export interface NumberSentToday {
	address: string;
	messages: number;
}

export interface NumberCapInput {
	stage: RoutingStage;
	/** The channels about to be used, in the order to try. */
	targets: RoutedChannel[];
	perNumberPerDay: number;
	/** Other sends to the patient's phone numbers today (this stage's own earlier send excluded). */
	sentToday: readonly NumberSentToday[];
	/** ISO instant of the send. */
	now: string;
	zone: string;
	policy: SendPolicy;
}

export type NumberCapDecision =
	| { allowed: true; targets: RoutedChannel[]; capped: RoutedChannel[] }
	| { allowed: false; reason: NumberCapHoldReason; retryAt: string; capped: RoutedChannel[]; detail: string };

/**
 * The per-number daily cap (shared phones: a parent and three children on one mobile). A phone target (SMS or
 * voice) whose number already had `perNumberPerDay` messages today is capped. A care summary (stage 1) drops its
 * capped channels and goes by what is left (email) at once, keeping the 2-hour promise; with nothing left it is
 * held to the next open day as `numberCapCareSummary`. A later stage is held to the next open day when its first
 * channel is capped (the patient's preferred channel is kept, not swapped), and a capped fallback is dropped.
 */
export function applyNumberCap(input: NumberCapInput): NumberCapDecision {
	const cap = input.perNumberPerDay;
	if (!Number.isInteger(cap) || cap < 1) {
		throw new DomainError('"perNumberPerDay" must be a whole number of at least 1', 'invalid_input', 'perNumberPerDay');
	}
	const sent = new Map<string, number>();
	for (const entry of input.sentToday) {
		const key = addressKey('sms', entry.address);
		sent.set(key, (sent.get(key) ?? 0) + entry.messages);
	}
	const sentTo = (target: RoutedChannel) => (target.channel === 'email' ? 0 : sent.get(addressKey(target.channel, target.address)) ?? 0);
	const isCapped = (target: RoutedChannel) => sentTo(target) >= cap;
	const capped = input.targets.filter(isCapped);
	const rest = input.targets.filter((target) => !isCapped(target));
	const firstCapped = input.targets.length > 0 && isCapped(input.targets[0]);
	if (input.stage === 1 ? rest.length > 0 : !firstCapped) return { allowed: true, targets: rest, capped };
	const reason: NumberCapHoldReason = input.stage === 1 ? 'numberCapCareSummary' : 'numberCap';
	return {
		allowed: false,
		reason,
		retryAt: windowStartOnNextOpenDay({ after: input.now, zone: input.zone, policy: input.policy }).at,
		capped,
		detail:
			`The phone number already had ${Math.max(...capped.map(sentTo))} of ${cap} messages on today's local date in ${input.zone} (shared number)` +
			(reason === 'numberCapCareSummary' ? '; no other channel for the care summary' : ''),
	};
}
