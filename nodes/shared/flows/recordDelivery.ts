import { sameAddress } from '../core/addresses';
import { deliveryJournalTypes, isLandlineDeliveryCode, needsFollowUp } from '../core/deliveryStatus';
import type { DeliveryReport } from '../core/deliveryStatus';
import { DomainError } from '../core/errors';
import type { Channel, VisitEvent } from '../core/schemas';
import { startTrail, withStep } from '../core/trail';
import type { JourneyTrail } from '../core/trail';
import type { JournalEntry, JourneyStore } from '../store/types';
import type { ReloadOutcome } from './reloadJourney';
import { addressesOf } from './touchContext';

/** Why a report changed nothing beyond the journal (or not even that). */
export type RecordedReason =
	/** queued, sent, ringing, a DSN "delayed": the final status follows. */
	| 'intermediate'
	/** delivered or answered: written to the journal. */
	| 'recorded'
	/** This provider id's final status was already recorded (Twilio repeats callbacks). */
	| 'duplicate'
	/** No touch.sent carries this provider id: a staff notification, another system's message, or pruned. */
	| 'unknownTouch'
	/** Undelivered or unanswered, but the visit cannot be fetched again (see `detail`). */
	| 'notReloadable'
	/** Undelivered at a stage without a fallback (stage 3). */
	| 'noFallback';

export type RecordDeliveryOutcome =
	| {
			output: 'fallback';
			/** The stage whose message did not arrive: route it again without the failed address. */
			stage: 1 | 2;
			event: VisitEvent;
			trail: JourneyTrail;
			entry: JournalEntry;
	  }
	| { output: 'staffTask'; event: VisitEvent; trail: JourneyTrail; entry: JournalEntry }
	| RecordedDelivery;

/** A report that needed nothing beyond the journal, or could not be recorded again. */
export interface RecordedDelivery {
	output: 'recorded';
	reason: RecordedReason;
	entry?: JournalEntry;
	touch?: JournalEntry;
	detail?: string;
}

export interface RecordReportInput {
	report: DeliveryReport;
	store: JourneyStore;
	now: string;
}

export interface RecordDeliveryInput extends RecordReportInput {
	/** Fetches the visit again from the EHR (reloadJourney bound to the node's adapter and profile). */
	reload: (journeyId: string) => Promise<ReloadOutcome>;
	nodeName: string;
}

const channelOfKind: Record<DeliveryReport['kind'], Channel> = { message: 'sms', call: 'voice', email: 'email' };

/** The touch.sent entry a provider id belongs to: the first candidate id that names one. */
export async function findTouch(store: JourneyStore, providerIds: string[]): Promise<JournalEntry | undefined> {
	for (const providerId of providerIds) {
		if (!providerId || providerId.length > 200) continue;
		const [touch] = await store.journal({ providerId, type: 'touch.sent', limit: 1 });
		if (touch) return touch;
	}
	return undefined;
}

/** The trail step the Channel Router reads to skip the address that failed (as after a synchronous rejection). */
function failedSteps(report: DeliveryReport, event: VisitEvent, touch: JournalEntry, channel: Channel, now: string, nodeName: string) {
	const known = addressesOf(event, channel);
	const reported = report.recipient && known.find((address) => sameAddress(channel, address, report.recipient as string));
	// Twilio and DSNs name the recipient; if it is not one of the visit's addresses any more, none of them is trusted.
	const addresses = reported ? [reported] : known;
	const reason = report.kind === 'email' ? 'bounce' : isLandlineDeliveryCode(report.code) ? 'landline' : 'undelivered';
	return addresses.map((address) => ({
		at: now,
		node: nodeName,
		stage: touch.stage,
		outcome: 'failed',
		channel,
		address,
		reason,
		providerId: touch.providerId,
	}));
}

/**
 * Why a message did not arrive and where it went (hashed by the store), so a journey resumed later skips that
 * address again. A recipient that is no address is left out; a store that cannot hash (no Contact Hash Secret) throws.
 */
function failureDetail(store: JourneyStore, report: DeliveryReport, channel: Channel): NonNullable<JournalEntry['detail']> {
	const reason = report.kind === 'email' ? 'bounce' : isLandlineDeliveryCode(report.code) ? 'landline' : 'undelivered';
	if (!report.recipient) return { reason };
	try {
		return { reason, addressHash: store.addressHash(channel, report.recipient) };
	} catch (error) {
		if (error instanceof DomainError && error.field === 'address') return { reason };
		throw error;
	}
}

type JournalDetail = NonNullable<JournalEntry['detail']>;

/** A final report matched to its touch, with the claim `delivery:<providerId>` held by this caller. */
interface ClaimedReport {
	touch: JournalEntry;
	channel: Channel;
	/** Journals the report (with `extra` in its detail) and marks the claim done. */
	record: (extra?: JournalDetail) => Promise<JournalEntry>;
	/** Gives the claim back when nothing was recorded, so a retry does the whole job. */
	release: () => Promise<void>;
}

/**
 * Finds the touch.sent entry a final report is about and claims `delivery:<providerId>`, so the final status
 * counts exactly once however often the provider repeats it (and whichever of the Delivery Status Trigger and
 * Record Delivery gets it). Intermediate reports, unknown provider ids and repeats come back as recorded.
 */
async function claimReport({ report, store, now }: RecordReportInput): Promise<ClaimedReport | RecordedDelivery> {
	if (!report.final || !report.outcome) return { output: 'recorded', reason: 'intermediate' };
	const touch = await findTouch(store, report.providerIds);
	const providerId = touch?.providerId;
	if (!touch || !providerId) return { output: 'recorded', reason: 'unknownTouch' };

	const channel = (touch.channel as Channel | undefined) ?? channelOfKind[report.kind];
	const key = `delivery:${providerId}`;
	const claimInfo = { journeyId: touch.journeyId, patientKey: touch.patientKey, stage: touch.stage, channel };
	if (!(await store.claim(key, claimInfo, now))) return { output: 'recorded', reason: 'duplicate', touch };

	const detail: JournalDetail = { status: report.status };
	if (report.outcome === 'undelivered') Object.assign(detail, failureDetail(store, report, channel));
	if (report.answeredBy) detail.answeredBy = report.answeredBy;
	if (report.durationSeconds !== undefined) detail.durationSeconds = report.durationSeconds;
	const entry: JournalEntry = {
		at: now,
		journeyId: touch.journeyId,
		patientKey: touch.patientKey,
		type: deliveryJournalTypes[report.outcome],
		stage: touch.stage,
		channel,
		code: report.code,
		providerId,
		templateId: touch.templateId,
		detail,
	};
	const release = async () => await store.release(key, now);
	const record = async (extra: JournalDetail = {}) => {
		const written = { ...entry, detail: { ...detail, ...extra } };
		try {
			await store.append(written);
		} catch (error) {
			// Nothing written: without the claim back, the provider's retry would be taken for a repeat and dropped.
			await release().catch(() => undefined);
			throw error;
		}
		await store.markSent(key, providerId, now);
		return written;
	};
	return { touch, channel, record, release };
}

/**
 * Records a report that needs nothing beyond its journal line (delivered, answered), with no EHR and no
 * execution: the part of recordDelivery the Delivery Status Trigger runs in its webhook. Intermediate reports,
 * unknown provider ids and repeats record nothing, as in recordDelivery. An undelivered or unanswered report is
 * refused: its fallback or staff task needs recordDelivery in an execution.
 */
export async function recordSettledDelivery(input: RecordReportInput): Promise<RecordedDelivery> {
	if (needsFollowUp(input.report)) {
		throw new DomainError(
			'An undelivered message or unanswered call needs Record Delivery (fallback or staff task)',
			'needs_follow_up',
			'outcome',
		);
	}
	const claimed = await claimReport(input);
	if ('output' in claimed) return claimed;
	return { output: 'recorded', reason: 'recorded', entry: await claimed.record(), touch: claimed.touch };
}

/**
 * Records a provider's report against the touch it is about, once: the touch.sent entry is found by provider
 * id, a claim `delivery:<providerId>` makes the final status count exactly once however often the provider
 * repeats it, and the journal gets touch.delivered / touch.undelivered / call.answered / call.unanswered with the
 * touch's journey, stage and channel (delivered and answered: recordSettledDelivery). An undelivered stage-1 or
 * stage-2 message comes back as the visit, fetched again from the EHR, with a trail that marks the address as
 * failed, so Channel Router and Patient Message fall back exactly as after a synchronous rejection (their claims
 * still forbid a second copy on a channel). An unanswered call comes back the same way for EHR Task. If the EHR
 * cannot be reached the claim is released and the error thrown, so a retry of the execution does the work.
 */
export async function recordDelivery(input: RecordDeliveryInput): Promise<RecordDeliveryOutcome> {
	const { report, now } = input;
	if (!needsFollowUp(report)) return await recordSettledDelivery(input);
	const claimed = await claimReport(input);
	if ('output' in claimed) return claimed;
	const { touch, channel, record } = claimed;

	const fallbackStage = touch.stage === 1 || touch.stage === 2 ? touch.stage : undefined;
	if (report.outcome === 'undelivered' && fallbackStage === undefined) {
		return { output: 'recorded', reason: 'noFallback', entry: await record({ next: 'none' }), touch };
	}

	let reloaded: ReloadOutcome;
	try {
		reloaded = await input.reload(touch.journeyId);
	} catch (error) {
		// Nothing recorded yet: a retry of this execution finds the claim released and does it all.
		await claimed.release();
		throw error;
	}
	if (reloaded.outcome !== 'reloaded') {
		const why = reloaded.outcome === 'notCompleted' ? `notCompleted (${reloaded.reason})` : reloaded.outcome;
		return { output: 'recorded', reason: 'notReloadable', entry: await record({ next: 'none', reload: reloaded.outcome }), touch, detail: why };
	}
	const event = reloaded.event;
	let trail: JourneyTrail = { ...startTrail(touch.journeyId, touch.patientKey), stage: touch.stage ?? 0 };
	if (report.outcome === 'unanswered') {
		trail = withStep(trail, {
			at: now,
			node: input.nodeName,
			stage: touch.stage,
			outcome: 'unanswered',
			channel,
			reason: report.code,
			providerId: touch.providerId,
		});
		return { output: 'staffTask', event, trail, entry: await record({ next: 'staffTask' }) };
	}
	for (const step of failedSteps(report, event, touch, channel, now, input.nodeName)) trail = withStep(trail, step);
	return { output: 'fallback', stage: fallbackStage as 1 | 2, event, trail, entry: await record({ next: 'fallback' }) };
}
