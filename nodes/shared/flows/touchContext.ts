import { localDateOf } from '../core/cadence';
import type { TouchHistory } from '../core/guard';
import type { NumberSentToday, RoutingHistory } from '../core/routing';
import type { Channel, JourneyEvent } from '../core/schemas';
import type { JourneyTrail } from '../core/trail';
import type { JourneyStore } from '../store/types';

/** Stage 1 and 2 are automated messages; stage 3 is the voice or human touch. */
export function touchKindOf(stage: number): 'automated' | 'stage3' {
	return stage >= 3 ? 'stage3' : 'automated';
}

export function addressesOf(event: JourneyEvent, channel: Channel): string[] {
	if (channel === 'email') return event.patient.email ? [event.patient.email] : [];
	return event.patient.phones.map((phone) => phone.number);
}

/** What this journey's trail says failed for sure (bounces, landlines, rejections), for the router. */
export function trailRoutingHistory(trail: JourneyTrail): Pick<RoutingHistory, 'bounced' | 'landlines' | 'failed'> {
	const failedSteps = trail.steps.filter((step) => step.outcome === 'failed' && step.channel && step.address);
	const pairs = failedSteps.map((step) => ({ channel: step.channel as Channel, address: step.address as string, reason: step.reason }));
	return {
		bounced: pairs.filter((p) => p.reason === 'bounce'),
		landlines: pairs.filter((p) => p.reason === 'landline').map((p) => p.address),
		failed: pairs,
	};
}

/**
 * The counts and opt-outs the guard and the router need, from the journey store (shared by all workflows).
 * With `stage`, that stage's own earlier touch does not count against it: sending the same stage again on another
 * channel (the fallback after a delivery failure reported later) is the same touch, not a new one.
 */
export async function loadTouchFacts(
	store: JourneyStore,
	event: JourneyEvent,
	trail: JourneyTrail,
	now: string,
	stage?: number,
): Promise<{ history: TouchHistory; optedOut: RoutingHistory['optedOut'] }> {
	const journeyTouches = await store.touchesOfJourney(trail.journeyId);
	const stagesSent = new Set(journeyTouches.map((touch) => touch.stage).filter((sent) => sent !== stage));
	const today = localDateOf(now, event.zone);
	const thisStageToday = journeyTouches.some((touch) => touch.stage === stage && touch.localDate === today);
	const optedOut: RoutingHistory['optedOut'] = [];
	const optedOutChannels: Channel[] = [];
	for (const channel of ['sms', 'email', 'voice'] as const) {
		const addresses = addressesOf(event, channel);
		if (addresses.length === 0) continue;
		const out = await store.optedOut(channel, addresses);
		optedOut.push(...out.map((address) => ({ channel, address })));
		if (out.length === addresses.length) optedOutChannels.push(channel);
	}
	return {
		history: {
			automatedSentThisJourney: [...stagesSent].filter((sent) => sent < 3).length,
			stage3SentThisJourney: [...stagesSent].filter((sent) => sent >= 3).length,
			patientTouchesToday: (await store.touchesOn(trail.patientKey, today)) - (thisStageToday ? 1 : 0),
			optedOutChannels,
		},
		optedOut,
	};
}

/**
 * Messages other journey stages sent today (the patient's local date) to each of the patient's phone numbers,
 * whichever patient they were for: the per-number cap. This stage's own earlier send is left out, as in
 * loadTouchFacts.
 */
export async function numbersSentToday(
	store: Pick<JourneyStore, 'numberTouchesOn'>,
	event: JourneyEvent,
	journeyId: string,
	now: string,
	stage: number,
): Promise<NumberSentToday[]> {
	const today = localDateOf(now, event.zone);
	const sent: NumberSentToday[] = [];
	for (const address of addressesOf(event, 'sms')) {
		const touches = await store.numberTouchesOn(address, today);
		const others = touches.filter((touch) => touch.journeyId !== journeyId || touch.stage !== stage);
		sent.push({ address, messages: others.length });
	}
	return sent;
}
