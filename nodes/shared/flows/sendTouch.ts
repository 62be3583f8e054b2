import { sameAddress } from '../core/addresses';
import { localDateOf } from '../core/cadence';
import { composeMessage } from '../core/compose';
import { DomainError } from '../core/errors';
import type { ComposedMessage, MessageTexts, SmsEncoding, TemplateId, TemplateOverride } from '../core/compose';
import { evaluateTouch } from '../core/guard';
import { endedForGood } from '../core/journal';
import { allowedInTestMode } from '../core/practice';
import type { PracticeProfile } from '../core/practice';
import { applyNumberCap } from '../core/routing';
import type { ChannelRoute, NumberCapDecision, RoutedChannel } from '../core/routing';
import type { Channel, JourneyEvent } from '../core/schemas';
import { withStep } from '../core/trail';
import type { JourneyTrail } from '../core/trail';
import type { SendOutcome } from '../messaging/outcome';
import type { JourneyStore } from '../store/types';
import { messageVarsFor, templateFor } from './messageVars';
import { completeResumedStep } from './steps';
import { loadTouchFacts, numbersSentToday, touchKindOf } from './touchContext';

/** What a provider said about one message (never the body or the address). */
export type DeliveryOutcome = SendOutcome;

export interface MessageSenders {
	sms?: (to: string, text: string) => Promise<DeliveryOutcome>;
	email?: (to: string, subject: string, text: string, html?: string) => Promise<DeliveryOutcome>;
	voice?: (to: string, text: string, language: string) => Promise<DeliveryOutcome>;
}

export interface ChannelResult {
	channel: Channel;
	status: 'sent' | 'alreadySent' | 'unknown' | 'rejected' | 'retryable' | 'preview';
	providerId?: string;
	code?: string;
	template: TemplateId;
	/** The language code whose texts were used. */
	language: string;
	/** SMS: the segments the carrier bills and the encoding they are billed in. */
	segments?: number;
	encoding?: SmsEncoding;
	text?: string;
	subject?: string;
}

export type SendTouchOutcome =
	| { output: 'sent'; trail: JourneyTrail; results: ChannelResult[] }
	| { output: 'held'; trail: JourneyTrail; reason: string; retryAt: string }
	| { output: 'notSent'; trail: JourneyTrail; reason: string; results: ChannelResult[] }
	/** The journey ended for good (test mode suppressed every recipient, now or before): nothing goes on from here. */
	| { output: 'ended'; trail: JourneyTrail; reason: string };

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
	/** This node's own texts (node text > practice texts > built-in). */
	overrides?: Partial<Record<TemplateId, Partial<Record<string, TemplateOverride>>>>;
	/** The practice's texts from the "Post-Visit Message Texts" credential, when one is set. */
	texts?: MessageTexts;
	/** After this many holds the journey ends in the journal and goes to staff, never loops forever. */
	maxHolds: number;
	/** Compose and show, send nothing, claim nothing. */
	preview?: boolean;
	/** Patient emails carry the EHR's order text (off by default: it may hold clinical detail). */
	orderTextInEmail?: boolean;
	/** SMS characters outside GSM-7 replaced by their closest GSM-7 equivalent (default on). */
	smartEncoding?: boolean;
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
 * A guard or per-number-cap refusal: a timed one is a hold until `retryAt` (the "Held" output, back into a Cadence
 * Wait) while holds are left; a final one, or one past the hold limit, is "Not Sent" (to staff).
 */
async function refuse(
	input: SendTouchInput,
	trail: JourneyTrail,
	refusal: { reason: string; retryAt?: string },
): Promise<SendTouchOutcome> {
	const { store, now, stage } = input;
	const journal = { journeyId: trail.journeyId, patientKey: trail.patientKey, stage };
	if (refusal.retryAt !== undefined && trail.holds < input.maxHolds) {
		const { reason, retryAt } = refusal;
		await store.append({ ...journal, at: now, type: 'touch.held', code: reason, detail: { retryAt } });
		const held = withStep(
			{ ...trail, notBefore: retryAt, holds: trail.holds + 1 },
			{ at: now, node: input.nodeName, stage, outcome: 'held', reason: `${reason} until ${retryAt}` },
		);
		return { output: 'held', trail: held, reason, retryAt };
	}
	const reason = refusal.retryAt !== undefined ? 'holdLimit' : refusal.reason;
	await store.append({ ...journal, at: now, type: 'touch.notSent', code: reason });
	return { output: 'notSent', trail: withStep(trail, { at: now, node: input.nodeName, stage, outcome: 'notSent', reason }), reason, results: [] };
}

type TouchJournal = { journeyId: string; patientKey: string; stage: number };

/** Journals each routed target left out of this send (opted out, or its number used up today) and notes it in the trail. */
async function journalSkips(input: SendTouchInput, trail: JourneyTrail, skips: Array<{ target: RoutedChannel; code: string }>): Promise<JourneyTrail> {
	const { now, stage } = input;
	let noted = trail;
	for (const { target, code } of skips) {
		await input.store.append({ journeyId: trail.journeyId, patientKey: trail.patientKey, stage, at: now, type: 'touch.skipped', channel: target.channel, code });
		noted = withStep(noted, { at: now, node: input.nodeName, stage, outcome: 'skipped', channel: target.channel, reason: code });
	}
	return noted;
}

/** The per-number daily cap (shared phones) over the targets about to be sent, with today's counts from the store. */
async function checkNumberCap(input: SendTouchInput, trail: JourneyTrail, sendable: RoutedChannel[]): Promise<NumberCapDecision> {
	const { event, profile, now, stage } = input;
	return applyNumberCap({
		stage,
		targets: sendable,
		perNumberPerDay: profile.caps.perNumberPerDay,
		sentToday: await numbersSentToday(input.store, event, trail.journeyId, now, stage),
		now,
		zone: event.zone,
		policy: profile.sendPolicy,
	});
}

/** The journey ended: journaled once, and the step it was resumed from is done, so it is not handed out again. */
async function endJourney(input: SendTouchInput, trail: JourneyTrail, journal: TouchJournal, reason: string, alreadyEnded: boolean): Promise<SendTouchOutcome> {
	if (!alreadyEnded) await input.store.append({ ...journal, at: input.now, type: 'journey.ended', code: reason });
	const ended = withStep(trail, { at: input.now, node: input.nodeName, stage: input.stage, outcome: 'ended', reason });
	return { output: 'ended', trail: await completeResumedStep(input.store, ended, input.now, reason), reason };
}

/**
 * Test mode: the routed recipients not on the practice's allow-list are suppressed (journaled, sent nothing).
 * When nobody is left, the journey ends for good, so turning test mode off later does not wake it.
 */
async function suppressForTestMode(
	input: SendTouchInput,
	journal: TouchJournal,
): Promise<{ routed: RoutedChannel[]; trail: JourneyTrail } | SendTouchOutcome> {
	const { now, profile, store } = input;
	let trail = input.trail;
	const routed = input.route.channels.filter((target) => allowedInTestMode(profile, target.channel, target.address));
	for (const target of input.route.channels.filter((candidate) => !routed.includes(candidate))) {
		await store.append({ ...journal, at: now, type: 'touch.suppressed', channel: target.channel, code: 'testMode' });
		trail = withStep(trail, { at: now, node: input.nodeName, stage: input.stage, outcome: 'suppressed', channel: target.channel, reason: 'suppressed: test mode' });
	}
	if (input.route.channels.length > 0 && routed.length === 0) return await endJourney(input, trail, journal, 'testMode', false);
	return { routed, trail };
}

/**
 * Sends one stage of a journey, exactly once per journey + stage + channel: a claim in the journey store
 * before each send, released when the send failed for sure (so the fallback or a retry may proceed). A
 * claim found still "claimed" is a send in flight elsewhere or a crash after claiming: it is reported as
 * unknown and handed to staff, never silently re-sent or skipped. Holds (window, daily cap, per-number cap)
 * return a not-before time instead of sending; a care summary skips a capped number and goes by email at once.
 */
interface SentTouch {
	target: RoutedChannel;
	template: TemplateId;
	message: ComposedMessage;
	providerId?: string;
}

/**
 * What a send leaves in the store, in one commit: its claim marked sent (`claimKey`; absent when it already is), the
 * caps' counts, the contact and the journal line.
 */
async function recordSent(input: SendTouchInput, trail: JourneyTrail, sent: SentTouch, options: { claimKey?: string; code?: string }): Promise<void> {
	const { store, now, event, stage } = input;
	const localDate = localDateOf(now, event.zone);
	const { journeyId, patientKey } = trail;
	const { channel, address } = sent.target;
	await store.recordSend({
		...(options.claimKey ? { claim: { key: options.claimKey, providerId: sent.providerId, at: now } } : {}),
		touch: { patientKey, journeyId, stage, localDate, at: now },
		contact: { channel, address, journeyId, patientKey, at: now },
		...(channel !== 'email' ? { numberTouch: { address, journeyId, stage, localDate, at: now } } : {}),
		entry: {
			journeyId,
			patientKey,
			stage,
			at: now,
			type: 'touch.sent',
			channel,
			providerId: sent.providerId,
			templateId: sent.template,
			...(options.code ? { code: options.code } : {}),
			detail: { language: sent.message.languageUsed, segments: sent.message.sms?.segments ?? null, encoding: sent.message.sms?.encoding ?? null },
		},
	});
}

/**
 * A claim marked sent whose journal line is missing: the process stopped between the two writes (n8n killed).
 * The message went out once; the records are completed now, marked `recovered`, so reports and caps count it.
 */
async function recordSentIfMissing(input: SendTouchInput, trail: JourneyTrail, sent: SentTouch): Promise<void> {
	const recorded = await input.store.journal({ journeyId: trail.journeyId, type: 'touch.sent' });
	if (recorded.some((entry) => entry.stage === input.stage && entry.channel === sent.target.channel)) return;
	await recordSent(input, trail, sent, { code: 'recovered' });
}

export async function sendTouch(input: SendTouchInput): Promise<SendTouchOutcome> {
	const { event, stage, store, now, profile } = input;
	const journal: TouchJournal = { journeyId: input.trail.journeyId, patientKey: input.trail.patientKey, stage };
	if (!input.preview) {
		const ended = endedForGood(await store.journal({ journeyId: journal.journeyId, type: 'journey.ended' }));
		if (ended) return await endJourney(input, input.trail, journal, ended, true);
	}
	// The pause wins over test mode: while both are on, nothing is sent and nobody is suppressed yet.
	if (profile.outreachPaused && !input.preview) return await holdForPause(input, journal);
	const testMode = input.preview ? { routed: input.route.channels, trail: input.trail } : await suppressForTestMode(input, journal);
	if ('output' in testMode) return testMode;
	const { routed } = testMode;
	let trail = testMode.trail;
	const facts = await loadTouchFacts(store, event, trail, now, stage);
	// An opted-out target is dropped unless its claim exists (sent or in flight): a re-run then reports it as before.
	const targets: RoutedChannel[] = [];
	for (const target of routed) {
		const claim = optedOutNow(facts.optedOut, target) ? await store.getClaim(`touch:${trail.journeyId}:${stage}:${target.channel}`) : undefined;
		if (!optedOutNow(facts.optedOut, target) || (claim && claim.state !== 'released')) targets.push(target);
	}
	if (!input.preview && routed.length > 0 && targets.length === 0) {
		await store.append({ ...journal, at: now, type: 'touch.notSent', code: 'optedOut' });
		trail = withStep(trail, { at: now, node: input.nodeName, stage, outcome: 'notSent', reason: 'optedOut' });
		return { output: 'notSent', trail, reason: 'optedOut', results: [] };
	}
	const sendable = targets.filter((target) => !optedOutNow(facts.optedOut, target));
	// Only claimed targets left: nothing new can go out, the loop below just reports them (alreadySent / unknown).
	const decision = targets.length > 0 && sendable.length === 0 ? ({ allowed: true } as const) : evaluateTouch({
		now,
		zone: event.zone,
		extraZones: event.extraZones,
		policy: profile.sendPolicy,
		caps: profile.caps,
		touch: { stage, kind: touchKindOf(stage), channel: sendable[0]?.channel ?? routed[0]?.channel ?? 'sms' },
		history: facts.history,
		actionDone: false,
	});
	if (!decision.allowed && !input.preview) return await refuse(input, trail, decision);
	const numberCap = input.preview || sendable.length === 0 ? undefined : await checkNumberCap(input, trail, sendable);
	if (numberCap && !numberCap.allowed) return await refuse(input, trail, numberCap);
	const capped = numberCap?.capped ?? [];

	if (!input.preview) {
		const optedOut = routed.filter((candidate) => !targets.includes(candidate));
		trail = await journalSkips(input, trail, [...optedOut.map((target) => ({ target, code: 'optedOut' })), ...capped.map((target) => ({ target, code: 'numberCap' }))]);
	}

	const vars = messageVarsFor(event, profile);
	const results: ChannelResult[] = [];
	for (const target of input.preview ? input.route.channels : targets.filter((candidate) => !capped.includes(candidate))) {
		const template = templateFor(event, stage, target.channel);
		const message = composeMessage({
			template,
			channel: target.channel,
			language: event.patient.language,
			vars,
			overrides: input.overrides?.[template],
			texts: input.texts,
			firstSms: target.channel === 'sms' && stage === 1,
			orderTextInEmail: input.orderTextInEmail,
			smartEncoding: input.smartEncoding,
		});
		const base = {
			channel: target.channel,
			template,
			language: message.languageUsed,
			segments: message.sms?.segments,
			encoding: message.sms?.encoding,
		};
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
			if (status === 'alreadySent') await recordSentIfMissing(input, trail, { target, template, message, providerId: existing?.providerId });
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
			await recordSent(input, trail, { target, template, message, providerId: outcome.providerId }, { claimKey: key });
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
