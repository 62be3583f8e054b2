import { endedForGood } from '../core/journal';
import type { PracticeProfile } from '../core/practice';
import { catchUpDecision, refillBucket, takeFromBucket, trailFromJournal } from '../core/resume';
import type { ReleaseBucket } from '../core/resume';
import type { Channel, JourneyEvent } from '../core/schemas';
import type { JourneyTrail, ResumedStep } from '../core/trail';
import type { ClaimedStep, JournalEntry, JourneyRecord, JourneyStore, ScheduledStep } from '../store/types';
import type { ReloadEventOutcome } from './reloadJourney';
import { addressesOf } from './touchContext';

export interface ResumeSettings {
	workflowId: string;
	/** The trigger's step outputs, by name. */
	steps: string[];
	/** Most steps handed to one execution. */
	batchSize: number;
	/** How long an execution holds its steps before they are handed out again. */
	leaseMs: number;
	/** After this many hand-outs without a node acting on it, a step goes to staff. */
	maxAttempts: number;
	/** Most steps of this workflow in executions at once (the backlog waits in the store, not in n8n). */
	maxInFlight: number;
	/** A step due longer ago than this is backlog (after a pause, a deactivation or an outage)… */
	backlogAfterMs: number;
	/** …released at most this many a minute (0: no limit). */
	backlogPerMinute: number;
}

export interface ResumeDependencies {
	store: JourneyStore;
	profile: Pick<PracticeProfile, 'outreachPaused' | 'catchUp'>;
	reload: (record: JourneyRecord) => Promise<ReloadEventOutcome>;
	now: string;
	leaseToken: string;
	bucket?: ReleaseBucket;
}

/** A journey fetched again from the EHR, on its way to the trigger output of its step. */
export interface ResumedJourney {
	step: string;
	event: JourneyEvent;
	trail: JourneyTrail;
	attempt: number;
	lateMinutes: number;
}

/** A journey a person takes over: late beyond the practice's catch-up limit, or no node acted on it in time. */
export interface StaffHandover extends ResumedJourney {
	reason: 'late' | 'attemptsUsedUp';
}

export interface ResumeBatch {
	resumed: ResumedJourney[];
	toStaff: StaffHandover[];
	/** Steps claimed in this batch (resumed, handed over, retried, ended or set aside). */
	claimed: number;
	/** The batch was as large as allowed: more may be due now. */
	full: boolean;
	bucket: ReleaseBucket | undefined;
}

/** A step whose journey cannot be fetched now is tried again after this long (times its attempt). */
export const RETRY_AFTER_MS = 5 * 60_000;
/**
 * Journeys of one batch fetched from the EHR at once. The trigger fetches its batches one after the other, so with
 * an EHR 100 ms away (four reads per visit) this sets how fast it hands out journeys: 8 at once, about 20 a second.
 */
const RELOADS_AT_ONCE = 16;

/**
 * One batch of a workflow's due steps: claims them under a lease (on-time steps first, then the backlog at the
 * release rate), fetches each journey again from the EHR by its ids, rebuilds its trail from the journal, and
 * sorts them into resumed journeys and staff handovers. Every step that is neither is retried, ended or set aside
 * in the store, with a journal line saying why. Orphans (due, with no output of their name) are marked once.
 */
export async function resumeDueSteps(settings: ResumeSettings, deps: ResumeDependencies): Promise<ResumeBatch> {
	const { store, now } = deps;
	for (const orphan of await store.markOrphanedSteps(settings.workflowId, settings.steps, now, 100)) {
		await journalStep(store, orphan, now, 'step.orphaned', 'noTriggerOutput');
	}
	const room = settings.maxInFlight - (await store.stepsInFlight(settings.workflowId, now));
	const limit = Math.min(settings.batchSize, room);
	if (limit <= 0) return { resumed: [], toStaff: [], claimed: 0, full: false, bucket: deps.bucket };
	const claimed = await claimBatch(settings, deps, limit);
	const batch: ResumeBatch = { resumed: [], toStaff: [], claimed: claimed.steps.length, full: claimed.steps.length >= limit, bucket: claimed.bucket };
	// The "step.resumed" lines of the whole batch go in one commit (each commit waits for the disk).
	const resumedLines: JournalEntry[] = [];
	await eachAtMost(RELOADS_AT_ONCE, claimed.steps, async (step) => await resumeOne(step, settings, deps, batch, resumedLines));
	if (resumedLines.length) await store.appendAll(resumedLines);
	return batch;
}

async function claimBatch(settings: ResumeSettings, deps: ResumeDependencies, limit: number) {
	const backlogFrom = new Date(Date.parse(deps.now) - settings.backlogAfterMs).toISOString();
	const query = {
		workflowId: settings.workflowId,
		steps: settings.steps,
		now: deps.now,
		leaseMs: settings.leaseMs,
		leaseToken: deps.leaseToken,
		includeHeldUntilResume: !deps.profile.outreachPaused,
	};
	const onTime = await deps.store.claimDueSteps({ ...query, dueAfter: backlogFrom, limit });
	const room = limit - onTime.length;
	if (room <= 0) return { steps: onTime, bucket: deps.bucket };
	if (settings.backlogPerMinute <= 0) {
		return { steps: [...onTime, ...(await deps.store.claimDueSteps({ ...query, dueBefore: backlogFrom, limit: room }))], bucket: deps.bucket };
	}
	const taken = takeFromBucket(refillBucket(deps.bucket, Date.parse(deps.now), settings.backlogPerMinute), room);
	const backlog = taken.taken > 0 ? await deps.store.claimDueSteps({ ...query, dueBefore: backlogFrom, limit: taken.taken }) : [];
	// Tokens not used (fewer steps were waiting) stay in the bucket.
	const bucket = { ...taken.bucket, tokens: taken.bucket.tokens + (taken.taken - backlog.length) };
	return { steps: [...onTime, ...backlog], bucket };
}

async function resumeOne(
	step: ClaimedStep,
	settings: ResumeSettings,
	deps: ResumeDependencies,
	batch: ResumeBatch,
	resumedLines: JournalEntry[],
): Promise<void> {
	const { store, now } = deps;
	const catchUp = catchUpDecision(step.dueAt, now, deps.profile.catchUp);
	const handover = step.attempt > settings.maxAttempts ? 'attemptsUsedUp' : catchUp.action === 'handToStaff' ? 'late' : undefined;
	const record = await store.getJourney(step.journeyId);
	if (!record) {
		await setAside(store, step, now, 'unknownJourney');
		return;
	}
	// A journey ended for good (test mode) stays ended: its step is done, without asking the EHR or sending.
	const ended = endedForGood(await store.journal({ journeyId: step.journeyId, type: 'journey.ended' }));
	if (ended) {
		await store.completeStep(step.journeyId, step.workflowId, step.leaseToken);
		await journalStep(store, step, now, 'step.completed', ended);
		return;
	}
	let reloaded: ReloadEventOutcome;
	try {
		reloaded = await deps.reload(record);
	} catch (error) {
		const code = errorCode(error);
		if (handover || step.attempt >= settings.maxAttempts) await setAside(store, step, now, code);
		else {
			await store.retryStep(step.journeyId, step.workflowId, step.leaseToken, new Date(Date.parse(now) + RETRY_AFTER_MS * step.attempt).toISOString(), code);
			await journalStep(store, step, now, 'step.retry', code);
		}
		return;
	}
	if (reloaded.outcome !== 'reloaded') {
		if (reloaded.outcome === 'ended') {
			await store.completeStep(step.journeyId, step.workflowId, step.leaseToken);
			await journalStep(store, step, now, 'journey.ended', 'noLongerDue', { reason: reloaded.reason.slice(0, 200) });
		} else await setAside(store, step, now, 'notReloadable');
		return;
	}
	const trail = await resumedTrail(store, step, reloaded.event, handover ? undefined : { token: step.leaseToken, ms: settings.leaseMs, until: step.leaseUntil });
	const resumed = { step: step.step, event: reloaded.event, trail, attempt: step.attempt, lateMinutes: catchUp.lateMinutes };
	if (handover) {
		await setAside(store, step, now, handover);
		batch.toStaff.push({ ...resumed, reason: handover });
		return;
	}
	resumedLines.push(stepLine(step, now, 'step.resumed', undefined, { attempt: step.attempt, lateMinutes: catchUp.lateMinutes }));
	batch.resumed.push(resumed);
}

/** The journey's trail from its journal; with a lease token, the nodes downstream can complete the step. */
export async function resumedTrail(
	store: JourneyStore,
	step: ScheduledStep,
	event: JourneyEvent,
	lease: { token: string; ms: number; until?: string } | undefined,
): Promise<JourneyTrail> {
	const entries = await store.journal({ journeyId: step.journeyId });
	const hashes = new Map<string, string>();
	for (const channel of ['sms', 'email', 'voice'] as Channel[]) {
		for (const address of addressesOf(event, channel)) {
			for (const hash of safeHashes(store, channel, address)) hashes.set(`${channel}:${hash}`, address);
		}
	}
	const resumedFrom: ResumedStep = { name: step.step, workflowId: step.workflowId, dueAt: step.dueAt, attempt: step.attempt };
	if (lease) Object.assign(resumedFrom, { leaseToken: lease.token, leaseMs: lease.ms, ...(lease.until ? { leaseUntil: lease.until } : {}) });
	return trailFromJournal(step.journeyId, step.patientKey, entries, (channel, hash) => hashes.get(`${channel}:${hash}`), resumedFrom);
}

/** Keyed and, for journal lines from before the Contact Hash Secret, unkeyed; an address that is none matches nothing. */
function safeHashes(store: JourneyStore, channel: Channel, address: string): string[] {
	try {
		return store.addressHashes(channel, address);
	} catch {
		return [];
	}
}

async function setAside(store: JourneyStore, step: ClaimedStep, now: string, code: string): Promise<void> {
	await store.setStepAside(step.journeyId, step.workflowId, step.leaseToken, code, now);
	await journalStep(store, step, now, 'step.failed', code);
}

async function journalStep(
	store: JourneyStore,
	step: ScheduledStep,
	now: string,
	type: string,
	code?: string,
	extra: Record<string, string | number> = {},
): Promise<void> {
	await store.append(stepLine(step, now, type, code, extra));
}

function stepLine(step: ScheduledStep, now: string, type: string, code?: string, extra: Record<string, string | number> = {}): JournalEntry {
	return {
		at: now,
		journeyId: step.journeyId,
		patientKey: step.patientKey,
		type,
		...(code ? { code } : {}),
		detail: { step: step.step, workflowId: step.workflowId, dueAt: step.dueAt, attempt: step.attempt, ...extra },
	};
}

/** A short machine-readable code for why a journey could not be fetched (never the message, which may hold PHI). */
function errorCode(error: unknown): string {
	const code = (error as { code?: unknown } | undefined)?.code;
	if (typeof code === 'string' && /^[A-Za-z_.:-]{1,60}$/.test(code)) return code;
	const name = (error as { name?: unknown } | undefined)?.name;
	return typeof name === 'string' && /^[A-Za-z]{1,60}$/.test(name) ? name : 'reloadFailed';
}

/** Runs `work` over `items`, at most `limit` at a time. */
async function eachAtMost<T>(limit: number, items: T[], work: (item: T) => Promise<void>): Promise<void> {
	let next = 0;
	const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
		while (next < items.length) await work(items[next++]);
	});
	await Promise.all(lanes);
}
