import { evaluateTouch } from '../core/guard';
import type { PracticeProfile } from '../core/practice';
import { routeChannels } from '../core/routing';
import type { ChannelRoute } from '../core/routing';
import type { JourneyEvent } from '../core/schemas';
import { withStep } from '../core/trail';
import type { JourneyTrail } from '../core/trail';
import type { JourneyStore } from '../store/types';
import { loadTouchFacts, touchKindOf, trailRoutingHistory } from './touchContext';

export type RouteOutcome =
	| { output: 'send'; route: ChannelRoute; trail: JourneyTrail }
	| { output: 'staffCall'; reason: string; route?: ChannelRoute; trail: JourneyTrail };

export interface RouteTouchInput {
	event: JourneyEvent;
	trail: JourneyTrail;
	stage: 1 | 2 | 3;
	allowVoice: boolean;
	profile: PracticeProfile;
	store: JourneyStore;
	now: string;
	nodeName: string;
}

/**
 * Picks the channels for one stage and applies the guard's final rules (per-journey caps, opt-outs, action
 * done). Rules that time cures (send window, one message a day) are left to Patient Message, which checks
 * them again at the moment of sending and holds. Nobody reachable or a cap reached → a staff phone call.
 */
export async function routeTouch(input: RouteTouchInput): Promise<RouteOutcome> {
	const { event, stage, profile, store, now } = input;
	const facts = await loadTouchFacts(store, event, input.trail, now, stage);
	const route = routeChannels({
		patient: event.patient,
		consent: event.consent,
		stage,
		channelOrder: profile.channelOrder,
		allowVoice: input.allowVoice,
		history: { optedOut: facts.optedOut, ...trailRoutingHistory(input.trail) },
	});
	const trail = { ...input.trail, stage };
	const firstChannel = route.channels[0]?.channel ?? 'sms';
	const decision = evaluateTouch({
		now,
		zone: event.zone,
		extraZones: event.extraZones,
		policy: profile.sendPolicy,
		caps: profile.caps,
		touch: { stage, kind: touchKindOf(stage), channel: firstChannel },
		history: facts.history,
		actionDone: false,
	});
	const finalHold = !decision.allowed && !('retryAt' in decision) ? decision.reason : undefined;
	const staffReason = route.staffCall?.reason ?? (finalHold === 'perJourneyCap' ? 'capReached' : undefined);
	const journal = { at: now, journeyId: trail.journeyId, patientKey: trail.patientKey, stage };
	if (staffReason || route.channels.length === 0) {
		const reason = staffReason ?? 'noChannel';
		await store.append({ ...journal, type: 'route.staffCall', code: reason });
		return {
			output: 'staffCall',
			reason,
			route,
			trail: withStep(trail, { at: now, node: input.nodeName, stage, outcome: 'staffCall', reason }),
		};
	}
	await store.append({
		...journal,
		type: 'route.send',
		code: route.strategy,
		detail: { channels: route.channels.map((c) => c.channel).join(',') },
	});
	return {
		output: 'send',
		route,
		trail: withStep(trail, {
			at: now,
			node: input.nodeName,
			stage,
			outcome: 'routed',
			reason: route.channels.map((c) => `${c.channel}:${c.reason}`).join(', '),
		}),
	};
}
