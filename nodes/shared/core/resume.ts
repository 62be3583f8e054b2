import { DomainError } from './errors';
import type { JournalEntry } from './journal';
import type { CatchUp } from './practice';
import type { Channel } from './schemas';
import { startTrail } from './trail';
import type { JourneyTrail, ResumedStep, TrailStep } from './trail';

/** Which of the patient's current addresses a stored address hash stands for (undefined: none of them). */
export type AddressOfHash = (channel: Channel, hash: string) => string | undefined;

const channelNames: ReadonlyArray<string> = ['sms', 'email', 'voice'];
/** A touch that failed for sure, and why, as the Channel Router reads it (bounce, landline, …). */
const failureTypes: Record<string, (entry: JournalEntry) => string> = {
	'touch.failed': (entry) => String(entry.detail?.fallback ?? entry.code ?? 'failed'),
	'touch.undelivered': (entry) => (entry.channel === 'email' ? 'bounce' : String(entry.detail?.reason ?? 'undelivered')),
};
/** Holds that count toward Patient Message's "Maximum Holds": a pause is not the journey's doing. */
const countsAsHold = (entry: JournalEntry) => entry.type === 'touch.held' && entry.code !== 'outreachPaused';

/**
 * The trail of a journey resumed from the journey store, rebuilt from its journal: the messages sent, the
 * addresses that failed (matched to the patient's current addresses by their stored hash, so the router skips
 * them again), the stage reached, and the holds in a row since the last send. Nothing else of the execution
 * that scheduled the step survives it, by design: the store keeps no contact details.
 */
export function trailFromJournal(
	journeyId: string,
	patientKey: string,
	entries: JournalEntry[],
	addressOf: AddressOfHash,
	resumedFrom?: ResumedStep,
): JourneyTrail {
	const ordered = [...entries].sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
	const steps: TrailStep[] = [];
	let stage = 0;
	let holds = 0;
	for (const entry of ordered) {
		if (entry.type.startsWith('touch.') && entry.stage !== undefined) stage = Math.max(stage, entry.stage);
		if (entry.type === 'journey.started') steps.push({ at: entry.at, node: 'journal', outcome: 'received' });
		if (countsAsHold(entry)) holds += 1;
		if (entry.type === 'touch.sent') {
			holds = 0;
			steps.push(touchStep(entry, 'sent'));
		}
		const failure = failureTypes[entry.type];
		if (failure && channelNames.includes(entry.channel ?? '')) {
			const hash = entry.detail?.addressHash;
			const address = typeof hash === 'string' ? addressOf(entry.channel as Channel, hash) : undefined;
			steps.push({ ...touchStep(entry, 'failed'), reason: failure(entry), ...(address ? { address } : {}) });
		}
	}
	return { ...startTrail(journeyId, patientKey), stage, holds, steps, ...(resumedFrom ? { resumedFrom } : {}) };
}

function touchStep(entry: JournalEntry, outcome: string): TrailStep {
	const step: TrailStep = { at: entry.at, node: 'journal', outcome };
	if (entry.stage !== undefined) step.stage = entry.stage;
	if (channelNames.includes(entry.channel ?? '')) step.channel = entry.channel as Channel;
	if (entry.providerId) step.providerId = entry.providerId;
	return step;
}

export type CatchUpDecision =
	| { action: 'resume'; lateMinutes: number }
	/** More than the practice's limit late, and the practice hands such steps to a person. */
	| { action: 'handToStaff'; lateMinutes: number };

/** What to do with a step found `now` whose due time was `dueAt`, by the practice's catch-up rule. */
export function catchUpDecision(dueAt: string, now: string, catchUp: CatchUp): CatchUpDecision {
	const lateMinutes = Math.max(0, Math.floor((Date.parse(now) - Date.parse(dueAt)) / 60_000));
	if (catchUp.rule === 'handToStaff' && lateMinutes > catchUp.maxLateHours * 60) return { action: 'handToStaff', lateMinutes };
	return { action: 'resume', lateMinutes };
}

/**
 * A token bucket for releasing a backlog: at most `perMinute` steps a minute, never more than one minute's
 * worth at once (so a long quiet spell does not store up a burst).
 */
export interface ReleaseBucket {
	tokens: number;
	atMs: number;
}

export function refillBucket(bucket: ReleaseBucket | undefined, nowMs: number, perMinute: number): ReleaseBucket {
	if (!bucket) return { tokens: perMinute, atMs: nowMs };
	const elapsed = Math.max(0, nowMs - bucket.atMs);
	return { tokens: Math.min(perMinute, bucket.tokens + (elapsed / 60_000) * perMinute), atMs: nowMs };
}

export function takeFromBucket(bucket: ReleaseBucket, wanted: number): { taken: number; bucket: ReleaseBucket } {
	const taken = Math.max(0, Math.min(wanted, Math.floor(bucket.tokens)));
	return { taken, bucket: { ...bucket, tokens: bucket.tokens - taken } };
}

/** Longest step name: it is an output label on the canvas and a column of the store. */
export const MAX_STEP_NAME = 100;

/** A step name as ops typed it, trimmed; empty or too long is refused, naming the field. */
export function stepName(value: unknown, field: string): string {
	const name = typeof value === 'string' ? value.trim() : '';
	if (!name) throw new DomainError(`"${field}" needs a step name, e.g. "Reminder"`, 'invalid_input', field);
	if (name.length > MAX_STEP_NAME) {
		throw new DomainError(`"${field}" is longer than ${MAX_STEP_NAME} characters`, 'invalid_input', field);
	}
	return name;
}
