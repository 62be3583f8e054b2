import { DateTime } from 'luxon';

import { localDateOf } from '../core/cadence';
import { composeMessage } from '../core/compose';
import type { SmsEncoding, TemplateId } from '../core/compose';
import { DomainError } from '../core/errors';
import type { PracticeProfile } from '../core/practice';
import type { ChannelAddress } from '../core/routing';
import { journeyIdOf, parseJourneyEvent, patientKeyOf } from '../core/schemas';
import type { Channel, JourneyEvent, VisitEvent } from '../core/schemas';
import { planTimeline } from '../core/timeline';
import type { PlannedTouch, TimelineCadence, TimelineJourney, TimelineScheduledStep, TimelineSentToday } from '../core/timeline';
import type { EhrAdapter, NotificationEvent, PollCursor, ResolveContext } from '../ehr/types';
import type { JourneyStore, ScheduledStep } from '../store/types';
import { messageVarsFor, templateFor } from './messageVars';
import { addressesOf } from './touchContext';

/** At most this many poll pages are read for a preview (each page is one EHR search). */
export const maxPreviewPolls = 20;

export interface PreviewTouch extends PlannedTouch {
	/** The visit's or recall's id in the EHR. */
	sourceId: string;
	patientId: string;
	/** The message template a send would use (null for tasks and ends). */
	template: string | null;
	/** SMS: the segments of the built-in text for this patient, with smart encoding (null for other channels). */
	segments: number | null;
	encoding: SmsEncoding | null;
}

/** The Step names of the workflow's Cadence Waits (version 2), by the stage each leads to. */
export interface PreviewStepNames {
	/** The wait before a recall's nudge (recalls only: a visit's care summary goes at the close). */
	recallNudge: string;
	/** The wait before stage 2. */
	reminder: string;
	/** The wait before stage 3. */
	escalation: string;
}

export const defaultStepNames: PreviewStepNames = { recallNudge: 'Nudge', reminder: 'Reminder', escalation: 'Escalation' };

export interface PreviewTimelineInput {
	journeys: JourneyEvent[];
	profile: PracticeProfile;
	cadence: TimelineCadence;
	/** Which stage each stored step leads to; default `defaultStepNames`. */
	stepNames?: PreviewStepNames;
	/**
	 * Read for opt-outs, for the steps journeys already wait for and for today's sends toward the daily caps: nothing
	 * is claimed, journaled or counted.
	 */
	store: Pick<JourneyStore, 'optedOut' | 'steps' | 'patientTouchesOn' | 'numberTouchesOn'>;
	/** The preview's time: "today" of the sends already counted is its local date in each patient's zone. */
	now: string;
}

/** What the journey store counts today (the patient's local date of `now`) toward the per-patient and per-number caps. */
async function sentTodayOf(store: PreviewTimelineInput['store'], event: JourneyEvent, now: string): Promise<TimelineSentToday> {
	const localDate = localDateOf(now, event.zone);
	const numbers: TimelineSentToday['numbers'] = [];
	for (const address of addressesOf(event, 'sms')) numbers.push({ address, touches: await store.numberTouchesOn(address, localDate) });
	return { localDate, patient: await store.patientTouchesOn(patientKeyOf(event), localDate), numbers };
}

/** Steps that will resume at their stored time: waiting for it, or being resumed now (not set aside, orphaned or paused). */
const pendingStates: ScheduledStep['state'][] = ['scheduled', 'claimed'];

/**
 * The step the store already holds for this journey, with the stage it leads to (by its name), so the preview keeps
 * its due time instead of recomputing it; the earliest due when several workflows hold one. A step of another name
 * is not matched to a stage.
 */
export function scheduledStepOf(event: JourneyEvent, steps: ScheduledStep[], names: PreviewStepNames): TimelineScheduledStep | undefined {
	const key = (name: string) => name.trim().toLowerCase();
	const stages = new Map<string, 1 | 2 | 3>([
		...(event.kind === 'recall' ? [[key(names.recallNudge), 1] as const] : []),
		[key(names.reminder), 2],
		[key(names.escalation), 3],
	]);
	for (const step of steps) {
		const stage = stages.get(key(step.step));
		if (pendingStates.includes(step.state) && !step.untilResume && stage) return { stage, step: step.step, dueAt: step.dueAt };
	}
	return undefined;
}

/**
 * The dry run: every touch the live nodes would make for these journeys, with the rule that decided each,
 * from the core's own rules (planTimeline). Sends nothing and writes nothing; the journey store is only asked
 * which addresses opted out, which steps the journeys already wait for (those keep their stored due time) and
 * which sends it already counts today toward the per-patient and per-number daily caps.
 */
export async function previewTimeline(input: PreviewTimelineInput): Promise<PreviewTouch[]> {
	const journeys: TimelineJourney[] = [];
	for (const event of input.journeys) {
		const steps = await input.store.steps({ journeyId: journeyIdOf(event), states: pendingStates });
		const scheduled = scheduledStepOf(event, steps, input.stepNames ?? defaultStepNames);
		const optedOut: ChannelAddress[] = [];
		const optedOutChannels: Channel[] = [];
		for (const channel of ['sms', 'email', 'voice'] as const) {
			const addresses = addressesOf(event, channel);
			if (addresses.length === 0) continue;
			const out = await input.store.optedOut(channel, addresses);
			optedOut.push(...out.map((address) => ({ channel, address })));
			if (out.length === addresses.length) optedOutChannels.push(channel);
		}
		const sentToday = await sentTodayOf(input.store, event, input.now);
		journeys.push({ event, optedOut, optedOutChannels, sentToday, ...(scheduled ? { scheduled } : {}) });
	}
	const touches = planTimeline({
		journeys,
		policy: input.profile.sendPolicy,
		caps: input.profile.caps,
		channelOrder: input.profile.channelOrder,
		cadence: input.cadence,
	});
	return touches.map((touch) => {
		const event = input.journeys[touch.journeyIndex];
		const isMessage = touch.action === 'send' && touch.channel !== 'task' && touch.channel !== 'none';
		const template = isMessage ? templateFor(event, touch.stage, touch.channel as Channel) : null;
		const sms = template && touch.channel === 'sms' ? smsLengthOf(event, template, touch.stage, input.profile) : undefined;
		return {
			...touch,
			sourceId: event.kind === 'visit' ? event.visitId : event.recallId,
			patientId: event.patientId,
			template,
			segments: sms?.segments ?? null,
			encoding: sms?.encoding ?? null,
		};
	});
}

/** The length of the SMS Patient Message would write with its defaults (built-in text, smart encoding). */
function smsLengthOf(event: JourneyEvent, template: TemplateId, stage: number, profile: PracticeProfile) {
	return composeMessage({
		template,
		channel: 'sms',
		language: event.patient.language,
		vars: messageVarsFor(event, profile),
		firstSms: stage === 1,
	}).sms;
}

/** Parses visit or recall events given as JSON (Visit Details' output, or a list pasted by ops); errors name the item. */
export function journeyEventsFrom(values: unknown[]): JourneyEvent[] {
	return values.map((value, index) => {
		try {
			return parseJourneyEvent(value);
		} catch (error) {
			const field = error instanceof DomainError ? error.field : undefined;
			throw new DomainError(
				`Visit ${index + 1}: ${error instanceof Error ? error.message : String(error)}`,
				'invalid_input',
				field ? `[${index}].${field}` : `[${index}]`,
			);
		}
	});
}

/** The "Visits (JSON)" parameter: a JSON array (text or already parsed) of visit or recall events. */
export function journeyEventsFromJson(raw: unknown): JourneyEvent[] {
	let list: unknown = raw;
	if (typeof raw === 'string') {
		try {
			list = JSON.parse(raw);
		} catch {
			throw new DomainError('"Visits (JSON)" is not valid JSON', 'invalid_input', 'visitsJson');
		}
	}
	if (!Array.isArray(list)) throw new DomainError('"Visits (JSON)" must be an array of visit events', 'invalid_input', 'visitsJson');
	return journeyEventsFrom(list);
}

export const maxPreviewDays = 90;

function checkDays(days: number): number {
	if (!Number.isInteger(days) || days < 1 || days > maxPreviewDays) {
		throw new DomainError(`"Days" must be a whole number from 1 to ${maxPreviewDays}`, 'invalid_input', 'days');
	}
	return days;
}

/** Visits to preview, and what was read to find them (the notice an empty preview shows). */
export interface EhrVisitsRead {
	visits: VisitEvent[];
	read: string;
}

/** Completed visits as EHR Poll Trigger reads them, without consuming anything and without moving any cursor. */
async function polledNotifications(adapter: EhrAdapter, since: DateTime, now: DateTime) {
	const notifications = new Map<string, NotificationEvent>();
	let cursor: PollCursor = { since: since.toISO() as string, extra: { leaveUnprocessed: 'true' } };
	for (let page = 0; page < maxPreviewPolls; page++) {
		const result = await adapter.pollChanges(cursor, now.toJSDate());
		let fresh = 0;
		for (const notification of result.events) {
			const key = `${notification.resourceType}/${notification.resourceId}`;
			if (!notifications.has(key)) fresh++;
			notifications.set(key, notification);
		}
		const next = { ...result.nextCursor, extra: { ...result.nextCursor.extra, leaveUnprocessed: 'true' } };
		if (fresh === 0 || JSON.stringify(next) === JSON.stringify(cursor)) break;
		cursor = next;
	}
	const read = `${adapter.kind} changes since ${since.toISO() as string}, read as EHR Poll Trigger reads them: ${notifications.size} completed`;
	return { notifications: [...notifications.values()], read };
}

/** The EHR's list of completed visits by local date (in the practice zone) where it has one, else its poll. */
async function notificationsToPreview(adapter: EhrAdapter, context: ResolveContext, since: DateTime, now: DateTime) {
	if (!adapter.listCompletedVisits) return await polledNotifications(adapter, since, now);
	const zone = context.defaultZone ?? 'UTC';
	const window = { from: since.setZone(zone).toISODate() as string, to: now.setZone(zone).toISODate() as string };
	const list = await adapter.listCompletedVisits(window);
	return { notifications: list.events, read: list.read };
}

/**
 * Visits completed in the last `days` days, each resolved to a full visit as Visit Details would, with GETs only.
 * An EHR that lists completed visits by date (athenahealth: its booked appointments) is read that way: athena's poll
 * reads a destructive feed and subscribes to it when needed, which a preview must never do. Other EHRs are read the
 * way EHR Poll Trigger reads them, without consuming anything and without moving any cursor.
 */
export async function visitsFromEhr(
	adapter: EhrAdapter,
	context: ResolveContext,
	options: { now: string; days: number },
): Promise<EhrVisitsRead> {
	const now = DateTime.fromISO(options.now, { zone: 'utc' });
	const since = now.minus({ days: checkDays(options.days) });
	const { notifications, read } = await notificationsToPreview(adapter, context, since, now);
	const events = new Map<string, VisitEvent>();
	let notCompleted = 0;
	let earlier = 0;
	for (const notification of notifications) {
		const resolved = await adapter.resolveVisit(notification, context);
		if (resolved.status !== 'completed' || resolved.event.kind !== 'visit') notCompleted++;
		else if (Date.parse(resolved.event.completedAt) < since.toMillis()) earlier++;
		else events.set(journeyIdOf(resolved.event), resolved.event);
	}
	const skipped = [
		...(notCompleted > 0 ? [`${notCompleted} not completed when read again`] : []),
		...(earlier > 0 ? [`${earlier} completed before the last ${options.days} days`] : []),
	];
	return {
		visits: [...events.values()].sort((a, b) => Date.parse(a.completedAt) - Date.parse(b.completedAt)),
		read: skipped.length > 0 ? `${read}; of these, ${skipped.join(' and ')}` : read,
	};
}

/** The item an empty preview of EHR visits shows instead of nothing: what was read and why it gave no visit. */
export function emptyPreviewNotice(read: string, days: number): { notice: string; read: string } {
	return { notice: `No visits to preview: none completed in the last ${days} days was found. Read: ${read}.`, read };
}

/** Recalls due in the next `days` days (local dates in the practice zone), as the recall poll reads them. */
export async function recallsFromEhr(
	adapter: EhrAdapter,
	context: ResolveContext,
	options: { now: string; days: number },
): Promise<JourneyEvent[]> {
	const today = DateTime.fromISO(options.now, { zone: context.defaultZone ?? 'UTC' });
	const to = today.plus({ days: checkDays(options.days) });
	return await adapter.pollRecalls({ from: today.toISODate() as string, to: to.toISODate() as string }, context);
}
