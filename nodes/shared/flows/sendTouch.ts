import { sameAddress } from '../core/addresses';
import { localDateOf } from '../core/cadence';
import { composeMessage } from '../core/compose';
import { DomainError } from '../core/errors';
import type { ComposedMessage, TemplateId, TemplateLanguage, TemplateOverride } from '../core/compose';
import { evaluateTouch } from '../core/guard';
import type { PracticeProfile } from '../core/practice';
import type { ChannelRoute, RoutedChannel } from '../core/routing';
import type { Channel, JourneyEvent } from '../core/schemas';
import { withStep } from '../core/trail';
import type { JourneyTrail } from '../core/trail';
import type { SendOutcome } from '../messaging/outcome';
import type { JourneyStore } from '../store/types';
import { messageVarsFor, templateFor } from './messageVars';
import { completeResumedStep } from './steps';
import { loadTouchFacts, touchKindOf } from './touchContext';

/** What a provider said about one message (never the body or the address). */
export type DeliveryOutcome = SendOutcome;

export interface MessageSenders {
	sms?: (to: string, text: string) => Promise<DeliveryOutcome>;
	email?: (to: string, subject: string, text: string, html?: string) => Promise<DeliveryOutcome>;
	voice?: (to: string, text: string, language: TemplateLanguage) => Promise<DeliveryOutcome>;
}

export interface ChannelResult {
	channel: Channel;
	status: 'sent' | 'alreadySent' | 'unknown' | 'rejected' | 'retryable' | 'preview';
	providerId?: string;
	code?: string;
	template: TemplateId;
	language: TemplateLanguage;
	segments?: number;
	text?: string;
	subject?: string;
}

export type SendTouchOutcome =
	| { output: 'sent'; trail: JourneyTrail; results: ChannelResult[] }
	| { output: 'held'; trail: JourneyTrail; reason: string; retryAt: string }
	| { output: 'notSent'; trail: JourneyTrail; reason: string; results: ChannelResult[] };

export interface SendTouchInput {
	event: JourneyEvent;
	trail: JourneyTrail;
	stage: 1 | 2 | 3;
	route: ChannelRoute;
	profile: PracticeProfile;
	store: JourneyStore;
	senders: MessageSenders;
	now: string;
	nodeName: string;
	overrides?: Partial<Record<TemplateId, Partial<Record<TemplateLanguage, TemplateOverride>>>>;
	/** After this many holds the journey ends in the journal and goes to staff, never loops forever. */
	maxHolds: number;
	/** Compose and show, send nothing, claim nothing. */
	preview?: boolean;
}

/**
 * True when the target's address opted out (STOP, unsubscribe, Twilio 21610) — checked again at sending, because
 * the route was chosen earlier and a hold can last hours. A STOP by text also covers calls to that number, as the
 * router reads it.
 */
function optedOutNow(optedOut: Array<{ channel: Channel; address: string }>, target: RoutedChannel): boolean {
	const channels: Channel[] = target.channel === 'voice' ? ['voice', 'sms'] : [target.channel];
	return optedOut.some((entry) => channels.includes(entry.channel) && sameAddress(target.channel, entry.address, target.address));
}

async function deliver(senders: MessageSenders, target: RoutedChannel, message: ComposedMessage): Promise<DeliveryOutcome> {
	const sender = senders[target.channel];
	if (!sender) {
		return { status: 'rejected', code: 'noSender', permanent: true, fallback: 'other', message: `no ${target.channel} credential set` };
	}
	if (target.channel === 'sms') return await (sender as NonNullable<MessageSenders['sms']>)(target.address, message.text);
	if (target.channel === 'email') {
		return await (sender as NonNullable<MessageSenders['email']>)(target.address, message.subject ?? '', message.text, message.html);
	}
	return await (sender as NonNullable<MessageSenders['voice']>)(target.address, message.text, message.languageUsed);
}

/**
 * The practice paused outreach: nothing goes out and nothing counts as a hold of the journey's own; the Cadence
 * Wait that follows makes it a step due when outreach resumes.
 */
async function holdForPause(input: SendTouchInput, journal: { journeyId: string; patientKey: string; stage: number }): Promise<SendTouchOutcome> {
	const { now } = input;
	await input.store.append({ ...journal, at: now, type: 'touch.held', code: 'outreachPaused' });
	const trail = withStep(
		{ ...input.trail, untilResume: true },
		{ at: now, node: input.nodeName, stage: input.stage, outcome: 'held', reason: 'outreachPaused until outreach resumes' },
	);
	return { output: 'held', trail, reason: 'outreachPaused', retryAt: now };
}

/**
 * Sends one stage of a journey, exactly once per journey + stage + channel: a claim in the journey store
 * before each send, released when the send failed for sure (so the fallback or a retry may proceed). A
 * claim found still "claimed" is a send in flight elsewhere or a crash after claiming: it is reported as
 * unknown and handed to staff, never silently re-sent or skipped. Holds (window, daily cap) return a
 * not-before time instead of sending.
 */
export async function sendTouch(input: SendTouchInput): Promise<SendTouchOutcome> {
	const { event, stage, store, now, profile } = input;
	let trail = input.trail;
	const journal = { journeyId: trail.journeyId, patientKey: trail.patientKey, stage };
	if (profile.outreachPaused && !input.preview) return await holdForPause(input, journal);
	const facts = await loadTouchFacts(store, event, trail, now, stage);
	// An opted-out target is dropped unless its claim exists (sent or in flight): a re-run then reports it as before.
	const targets: RoutedChannel[] = [];
	for (const target of input.route.channels) {
		const claim = optedOutNow(facts.optedOut, target) ? await store.getClaim(`touch:${trail.journeyId}:${stage}:${target.channel}`) : undefined;
		if (!optedOutNow(facts.optedOut, target) || (claim && claim.state !== 'released')) targets.push(target);
	}
	if (!input.preview && input.route.channels.length > 0 && targets.length === 0) {
		await store.append({ ...journal, at: now, type: 'touch.notSent', code: 'optedOut' });
		trail = withStep(trail, { at: now, node: input.nodeName, stage, outcome: 'notSent', reason: 'optedOut' });
		return { output: 'notSent', trail, reason: 'optedOut', results: [] };
	}
	const sendable = targets.filter((target) => !optedOutNow(facts.optedOut, target));
	// Only claimed targets left: nothing new can go out, the loop below just reports them (alreadySent / unknown).
	const decision = targets.length > 0 && sendable.length === 0 ? ({ allowed: true } as const) : evaluateTouch({
		now,
		zone: event.zone,
		policy: profile.sendPolicy,
		caps: profile.caps,
		touch: { stage, kind: touchKindOf(stage), channel: sendable[0]?.channel ?? input.route.channels[0]?.channel ?? 'sms' },
		history: facts.history,
		actionDone: false,
	});
	if (!decision.allowed && !input.preview) {
		if ('retryAt' in decision && trail.holds < input.maxHolds) {
			await store.append({ ...journal, at: now, type: 'touch.held', code: decision.reason, detail: { retryAt: decision.retryAt } });
			trail = withStep(
				{ ...trail, notBefore: decision.retryAt, holds: trail.holds + 1 },
				{ at: now, node: input.nodeName, stage, outcome: 'held', reason: `${decision.reason} until ${decision.retryAt}` },
			);
			return { output: 'held', trail, reason: decision.reason, retryAt: decision.retryAt };
		}
		const reason = 'retryAt' in decision ? 'holdLimit' : decision.reason;
		await store.append({ ...journal, at: now, type: 'touch.notSent', code: reason });
		trail = withStep(trail, { at: now, node: input.nodeName, stage, outcome: 'notSent', reason });
		return { output: 'notSent', trail, reason, results: [] };
	}

	if (!input.preview) {
		for (const target of input.route.channels.filter((candidate) => !targets.includes(candidate))) {
			await store.append({ ...journal, at: now, type: 'touch.skipped', channel: target.channel, code: 'optedOut' });
			trail = withStep(trail, { at: now, node: input.nodeName, stage, outcome: 'skipped', channel: target.channel, reason: 'optedOut' });
		}
	}

	const vars = messageVarsFor(event, profile);
	const results: ChannelResult[] = [];
	for (const target of input.preview ? input.route.channels : targets) {
		const template = templateFor(event, stage, target.channel);
		const message = composeMessage({
			template,
			channel: target.channel,
			language: event.patient.language,
			vars,
			overrides: input.overrides?.[template],
			firstSms: target.channel === 'sms' && stage === 1,
		});
		const base = { channel: target.channel, template, language: message.languageUsed, segments: message.sms?.segments };
		if (input.preview) {
			results.push({ ...base, status: 'preview', text: message.text, subject: message.subject });
			continue;
		}
		const key = `touch:${trail.journeyId}:${stage}:${target.channel}`;
		const claimed = await store.claim(key, { ...journal, channel: target.channel }, now);
		if (!claimed) {
			const existing = await store.getClaim(key);
			const status = existing?.state === 'sent' ? 'alreadySent' : 'unknown';
			await store.append({ ...journal, at: now, type: status === 'alreadySent' ? 'touch.duplicate' : 'touch.unknown', channel: target.channel });
			results.push({ ...base, status, providerId: existing?.providerId });
			trail = withStep(trail, { at: now, node: input.nodeName, stage, outcome: status, channel: target.channel });
			if (input.route.strategy === 'firstSuccess') break;
			continue;
		}
		let outcome: DeliveryOutcome;
		try {
			outcome = await deliver(input.senders, target, message);
		} catch (error) {
			// Nothing left the building for sure only if the sender itself failed before the provider answered.
			await store.release(key, now);
			throw error;
		}
		if (outcome.status === 'sent') {
			await store.markSent(key, outcome.providerId, now);
			await store.recordTouch({ patientKey: trail.patientKey, journeyId: trail.journeyId, stage, localDate: localDateOf(now, event.zone), at: now });
			await store.recordContact({ channel: target.channel, address: target.address, journeyId: trail.journeyId, patientKey: trail.patientKey, at: now });
			await store.append({
				...journal,
				at: now,
				type: 'touch.sent',
				channel: target.channel,
				providerId: outcome.providerId,
				templateId: template,
				detail: { language: message.languageUsed, segments: message.sms?.segments ?? null },
			});
			results.push({ ...base, status: 'sent', providerId: outcome.providerId });
			trail = withStep(trail, { at: now, node: input.nodeName, stage, outcome: 'sent', channel: target.channel, providerId: outcome.providerId });
			if (input.route.strategy === 'firstSuccess') break;
			continue;
		}
		const code = String(outcome.code ?? outcome.status);
		if (outcome.status === 'retryable' && outcome.uncertain) {
			// It may have been delivered: keep the claim (no second copy) and let a person check.
			await store.append({ ...journal, at: now, type: 'touch.unknown', channel: target.channel, code });
			results.push({ ...base, status: 'unknown', code });
			trail = withStep(trail, { at: now, node: input.nodeName, stage, outcome: 'unknown', channel: target.channel, reason: code });
			if (input.route.strategy === 'firstSuccess') break;
			continue;
		}
		await store.release(key, now);
		if (outcome.status === 'rejected' && outcome.fallback === 'configuration') {
			throw new DomainError(`The ${target.channel} set-up was refused by the provider (${code}: ${outcome.message}); fix the credential and retry`, 'messaging_configuration', target.channel);
		}
		const reason = outcome.status === 'rejected' ? outcome.fallback : 'retryable';
		if (outcome.status === 'rejected' && outcome.fallback === 'optOut') {
			await store.setOptOut({ channel: target.channel, address: target.address, at: now, source: `provider:${code}` });
		}
		await store.append({
			...journal,
			at: now,
			type: 'touch.failed',
			channel: target.channel,
			code,
			detail: { fallback: reason, addressHash: store.addressHash(target.channel, target.address) },
		});
		results.push({ ...base, status: outcome.status, code });
		trail = withStep(trail, { at: now, node: input.nodeName, stage, outcome: 'failed', channel: target.channel, address: target.address, reason });
	}
	if (input.preview || results.some((r) => r.status === 'sent' || r.status === 'alreadySent')) {
		// Everything had gone out before: a step resumed again after its first execution sent and stopped
		// (a crash, or nothing after this node) is done now; a fresh send leaves it to the next Cadence Wait.
		const onlyRepeats = !input.preview && results.every((r) => r.status !== 'sent');
		return { output: 'sent', trail: onlyRepeats ? await completeResumedStep(store, trail, now, 'alreadySent') : trail, results };
	}
	const reason = results.some((r) => r.status === 'unknown') ? 'unknownCheck' : 'allFailed';
	await store.append({ ...journal, at: now, type: 'touch.notSent', code: reason });
	return { output: 'notSent', trail, reason, results };
}
