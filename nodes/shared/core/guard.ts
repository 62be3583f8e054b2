import { DateTime } from 'luxon';
import { z } from 'zod';

import { isInsideWindow, nextAllowedInstant, windowStartOnNextOpenDay } from './cadence';
import { fromZodError } from './errors';
import { capsSchema } from './practice';
import type { Caps, SendPolicy } from './practice';
import { channels } from './schemas';
import type { Channel } from './schemas';

/*
 * The compliance guard: the last word before any touch goes out. It is pure; the caller gathers the facts
 * (history from the journey store, actionDone from a fresh EHR check) and passes `now`.
 */

/** Reasons that no amount of waiting changes: the touch must not be sent (on this channel). */
export const finalHoldReasons = ['actionDone', 'optedOut', 'perJourneyCap'] as const;
export type FinalHoldReason = (typeof finalHoldReasons)[number];

/** Reasons that time cures: the hold carries `retryAt`. */
export const timedHoldReasons = ['outsideWindow', 'dailyCap'] as const;
export type TimedHoldReason = (typeof timedHoldReasons)[number];

/** Every hold reason, in the order the guard checks them (the first that applies wins). */
export const holdReasons = [...finalHoldReasons, ...timedHoldReasons] as const;
export type HoldReason = (typeof holdReasons)[number];

export const touchKinds = ['automated', 'stage3'] as const;
export type TouchKind = (typeof touchKinds)[number];

export interface TouchToGuard {
	stage: 1 | 2 | 3;
	/** Which per-journey cap the touch counts against. */
	kind: TouchKind;
	channel: Channel;
}

export interface TouchHistory {
	automatedSentThisJourney: number;
	stage3SentThisJourney: number;
	/** Touches to this patient, across all workflows, on the patient's local date of `now`. */
	patientTouchesToday: number;
	optedOutChannels: Channel[];
}

export interface GuardInput {
	/** ISO instant. */
	now: string;
	/** The patient's IANA zone (see resolveZone). */
	zone: string;
	/** Other zones the patient may be in (a ZIP or area code spanning zones): the window must hold in all. */
	extraZones?: readonly string[];
	policy: SendPolicy;
	caps: Caps;
	touch: TouchToGuard;
	history: TouchHistory;
	/** The action is booked or done (fresh from the EHR). */
	actionDone: boolean;
}

export type GuardAllow = { allowed: true };
export type GuardFinalHold = { allowed: false; reason: FinalHoldReason; detail: string };
export type GuardTimedHold = { allowed: false; reason: TimedHoldReason; retryAt: string; detail: string };
export type GuardDecision = GuardAllow | GuardFinalHold | GuardTimedHold;

const count = z.number().int().min(0);

const guardFactsSchema = z.object({
	now: z.string().refine((value) => DateTime.fromISO(value, { zone: 'utc' }).isValid, {
		message: 'must be an ISO-8601 date-time',
	}),
	caps: capsSchema,
	touch: z.object({
		stage: z.union([z.literal(1), z.literal(2), z.literal(3)]),
		kind: z.enum(touchKinds),
		channel: z.enum(channels),
	}),
	history: z.object({
		automatedSentThisJourney: count,
		stage3SentThisJourney: count,
		patientTouchesToday: count,
		optedOutChannels: z.array(z.enum(channels)),
	}),
	actionDone: z.boolean(),
});
type GuardFacts = z.infer<typeof guardFactsSchema>;

/** True for the reasons that waiting cures (the hold carries `retryAt`). */
export function isCurableByTime(reason: HoldReason): reason is TimedHoldReason {
	return (timedHoldReasons as readonly HoldReason[]).includes(reason);
}

/**
 * Decides whether one touch may be sent at `now`. Checks, in this order: actionDone, optedOut, perJourneyCap
 * (final: no retryAt), outsideWindow (retryAt = next allowed instant), dailyCap (retryAt = window start on the
 * next open local day). Invariants: allowed ⇒ `now` is inside the window on an open day in `zone` and every
 * cap has room; retryAt, when present, is inside the window and > now. `detail` never carries PHI.
 */
export function evaluateTouch(input: GuardInput): GuardDecision {
	const facts = parseFacts(input);
	// Evaluated first so a bad zone, `now` or policy fails loudly even when a final reason would apply.
	const insideWindow = isInsideWindow(input.now, input.zone, input.policy, input.extraZones);
	return finalHold(facts) ?? timedHold(input, facts, insideWindow) ?? { allowed: true };
}

function parseFacts(input: GuardInput): GuardFacts {
	const result = guardFactsSchema.safeParse(input);
	if (!result.success) throw fromZodError(result.error, 'Touch');
	return result.data;
}

function finalHold({ actionDone, touch, history, caps }: GuardFacts): GuardFinalHold | undefined {
	if (actionDone) {
		return { allowed: false, reason: 'actionDone', detail: 'The action is booked or done; the journey stops' };
	}
	if (history.optedOutChannels.includes(touch.channel)) {
		return { allowed: false, reason: 'optedOut', detail: `The patient opted out of ${touch.channel}` };
	}
	const [sent, cap, label] =
		touch.kind === 'automated'
			? [history.automatedSentThisJourney, caps.automatedPerJourney, 'Automated messages']
			: [history.stage3SentThisJourney, caps.stage3PerJourney, 'Stage-3 touches'];
	if (sent >= cap) {
		return {
			allowed: false,
			reason: 'perJourneyCap',
			detail: `${label} for this journey: ${sent} of ${cap} used (stage ${touch.stage} not sent)`,
		};
	}
	return undefined;
}

function timedHold(
	{ now, zone, policy, extraZones }: GuardInput,
	{ history, caps }: GuardFacts,
	insideWindow: boolean,
): GuardTimedHold | undefined {
	if (!insideWindow) {
		const next = nextAllowedInstant({ candidate: now, now, zone, policy, extraZones });
		return {
			allowed: false,
			reason: 'outsideWindow',
			retryAt: next.at,
			detail: `Outside the send window in ${zone} (${next.reason}); retry at the next allowed time`,
		};
	}
	if (history.patientTouchesToday >= caps.perPatientPerDay) {
		return {
			allowed: false,
			reason: 'dailyCap',
			retryAt: windowStartOnNextOpenDay({ after: now, zone, policy, extraZones }).at,
			detail:
				`The patient already had ${history.patientTouchesToday} of ${caps.perPatientPerDay} touches ` +
				`on today's local date in ${zone}`,
		};
	}
	return undefined;
}
