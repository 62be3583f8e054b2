import { localTimeLabel } from './cadence';
import type { EhrKind, JourneyEvent } from './schemas';

/*
 * The one sentence each node's output item carries, as `summary` inside the node's own object (visit, booking,
 * route, delivery, task, deliveryStatus, wait, resumed): what happened, in words an ops person reads in the
 * execution view. Pure: times come in as instants and are shown in the journey's zone; no value is added that the
 * item does not already carry (ids, channels, codes, staff names; never a patient's name, number or address).
 */

const ehrNames: Record<EhrKind, string> = {
	athenahealth: 'athenahealth',
	drchrono: 'DrChrono',
	fhir: 'the FHIR server',
	hl7v2: 'the FHIR server behind the HL7 v2 feed',
	tebra: 'Tebra',
};

/** The EHR as a sentence names it ("athenahealth", "the FHIR server"). */
export function ehrDisplayName(ehr: EhrKind): string {
	return ehrNames[ehr];
}

/** The sentence's first letter in capitals: "The FHIR server lists…". */
export function sentence(text: string): string {
	return text.charAt(0).toUpperCase() + text.slice(1);
}

/** An instant in the journey's zone, "Tue 2026-12-08 09:00 America/New_York"; a sentence never fails on a time. */
function when(instant: string, zone: string): string {
	try {
		return localTimeLabel(instant, zone);
	} catch {
		return instant;
	}
}

const channelNames: Record<string, string> = { sms: 'SMS', email: 'email', voice: 'voice call', task: 'EHR task' };
const channelName = (channel: string) => channelNames[channel] ?? channel;

function countOf(count: number, noun: string): string {
	return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

/** Visit Details: a journey started, or why the notification was skipped. */
export type AdmissionFacts =
	| { outcome: 'admitted'; event: JourneyEvent }
	| { outcome: 'duplicate' }
	| { outcome: 'alreadyStarted'; journeyId: string }
	| { outcome: 'notCompleted'; reason: string };

export function admissionSummary(facts: AdmissionFacts): string {
	switch (facts.outcome) {
		case 'admitted': {
			const { event } = facts;
			const types = event.kind === 'visit' ? event.actionItems.map((item) => item.type) : [event.actionItem.type];
			const items = types.length === 0 ? 'nothing to book or do' : `${countOf(types.length, 'action item')} (${types.join(', ')})`;
			const what =
				event.kind === 'visit'
					? `${event.visitType} ${event.visitId} closed ${when(event.completedAt, event.zone)}`
					: `recall ${event.recallId} due ${event.dueDate}`;
			return `Journey started: ${what}; ${items}`;
		}
		case 'duplicate':
			return 'Skipped: this delivery was already handled (the EHR sent it again)';
		case 'alreadyStarted':
			return `Skipped: the journey of this visit already started (${facts.journeyId})`;
		case 'notCompleted':
			return `Skipped: not a completed visit (${facts.reason})`;
	}
}

/** Booking Check: what the EHR said and whether the journey ends. */
export interface BookingFacts {
	status: 'open' | 'booked' | 'done' | 'visitCancelled' | 'noShow';
	appointmentId?: string;
	start?: string;
	detail?: string;
	/** The journey ends here ("Done" output). */
	done: boolean;
	zone: string;
}

export function bookingSummary(facts: BookingFacts): string {
	const then = facts.done ? 'the journey ends' : 'the journey goes on';
	switch (facts.status) {
		case 'open':
			return 'Still open: nothing booked or done in the EHR yet';
		case 'booked': {
			const start = facts.start ? ` for ${when(facts.start, facts.zone)}` : '';
			return `Booked: appointment ${facts.appointmentId ?? '?'}${start}; ${then}`;
		}
		case 'noShow':
			return `No-show: ${facts.detail ?? `appointment ${facts.appointmentId ?? '?'}`}; ${then}`;
		case 'visitCancelled':
			return `Visit cancelled: ${facts.detail ?? 'in the EHR'}; ${then}`;
		case 'done':
			return `Done: ${facts.detail ?? 'the action is done in the EHR'}; ${then}`;
	}
}

const useReasonWords: Record<string, string> = {
	preferred: "the patient's preferred channel",
	practiceOrder: "the practice's channel order",
	voiceChosen: 'a voice message is the stage-3 touch',
};

const staffCallWords: Record<string, string> = {
	noContact: 'no mobile number or email on file',
	optedOutEverywhere: 'the patient opted out of every channel',
	noConsent: 'no consent for any channel',
	allFailed: 'every channel failed before',
	capReached: "the practice's contact limit for this visit is reached",
	noChannel: 'the task is the stage-3 touch (no voice message)',
};

/** Channel Router: the channels chosen, or why a person must call. */
export type RouteFacts =
	| { output: 'send'; stage: number; strategy: 'all' | 'firstSuccess'; channels: ChannelChoice[] }
	| { output: 'staffCall'; stage: number; reason: string };

interface ChannelChoice {
	channel: string;
	reason: string;
}

export function routeSummary(facts: RouteFacts): string {
	if (facts.output === 'staffCall') {
		return `Stage ${facts.stage}: a person must call the patient: ${staffCallWords[facts.reason] ?? facts.reason}`;
	}
	const names = facts.channels.map((entry) => channelName(entry.channel));
	const how = facts.strategy === 'all' ? names.join(' and ') : names.join(', else ');
	const why = useReasonWords[facts.channels[0]?.reason ?? ''];
	return `Stage ${facts.stage}: send by ${how}${why ? ` (${why})` : ''}`;
}

const holdWords: Record<string, string> = {
	outsideWindow: 'outside the send window',
	dailyCap: "the patient's messages for today are used up",
	numberCap: "the phone number's messages for today are used up (a shared phone)",
	numberCapCareSummary: "the phone number's messages for today are used up (a shared phone) and there is no email: the care summary misses the 2-hour promise",
};

const notSentWords: Record<string, string> = {
	optedOut: 'the patient opted out',
	actionDone: 'the action is already booked or done',
	perJourneyCap: "the practice's contact limit for this visit is reached",
	holdLimit: 'held too many times',
	unknownCheck: 'a send may have gone out without confirming: unknown, check before sending again',
	allFailed: 'no channel took the message',
};

const resultWords: Record<string, string> = {
	sent: 'sent',
	alreadySent: 'already sent earlier, not sent again',
	unknown: 'unknown, check',
	rejected: 'refused',
	retryable: 'failed for now',
	preview: 'written, not sent',
};

interface ChannelResultFacts {
	channel: string;
	status: string;
	segments?: number;
}

/** Patient Message: what went out on which channel, when a held message goes on, or why nothing went out. */
export type DeliveryFacts =
	| { output: 'sent' | 'notSent'; stage: number; reason?: string; results: ChannelResultFacts[] }
	| { output: 'held'; stage: number; reason: string; retryAt: string; zone: string };

export function deliverySummary(facts: DeliveryFacts): string {
	if (facts.output === 'held') {
		if (facts.reason === 'outreachPaused') {
			return 'Held: outreach is paused in the practice profile; it goes on when switched back on';
		}
		return `Held until ${when(facts.retryAt, facts.zone)}: ${holdWords[facts.reason] ?? facts.reason}`;
	}
	const results = facts.results.map((result) => {
		const segments = result.channel === 'sms' && result.segments ? ` (${countOf(result.segments, 'segment')})` : '';
		return `${channelName(result.channel)}${segments} ${resultWords[result.status] ?? result.status}`;
	});
	if (facts.output === 'notSent') {
		const why = notSentWords[facts.reason ?? ''] ?? facts.reason ?? 'nothing could be sent';
		const tried = results.length ? ` (${results.join(', ')})` : '';
		return `Stage ${facts.stage} not sent: ${why}${tried}; a person takes over`;
	}
	const previewOnly = facts.results.length > 0 && facts.results.every((result) => result.status === 'preview');
	return `Stage ${facts.stage} ${previewOnly ? 'preview, nothing sent' : 'sent'}: ${results.join(', ')}`;
}

const taskKindWords: Record<string, string> = {
	task: 'task',
	communication: 'Communication',
	patientCase: 'patient case',
	patientAlert: 'patient alert',
};

/** EHR Task: what was made where, for whom, and how they were told. */
export interface TaskFacts {
	ehr: EhrKind;
	taskId: string;
	kind: string;
	existing: boolean;
	assignee: string;
	notifiedBy?: string;
	/** A manual run: the task that would be made, due then. */
	previewDueAt?: string;
	zone?: string;
}

export function taskSummary(facts: TaskFacts): string {
	if (facts.previewDueAt) {
		const due = facts.zone ? when(facts.previewDueAt, facts.zone) : facts.previewDueAt;
		return `Preview, nothing created or sent: a task for ${facts.assignee}, due ${due}`;
	}
	const ehr = ehrDisplayName(facts.ehr);
	const told = facts.notifiedBy ? `told by ${channelName(facts.notifiedBy)}` : 'not told';
	if (facts.kind === 'staffNotice') {
		return `Nothing written to ${ehr} (no worklist there): ${facts.assignee} was ${told} to take over`;
	}
	const what = `${taskKindWords[facts.kind] ?? facts.kind}${facts.taskId ? ` ${facts.taskId}` : ''}`;
	if (facts.existing) {
		return `${sentence(what)} was already in ${ehr} for this journey; ${facts.assignee} was ${told} again`;
	}
	return `${sentence(what)} created in ${ehr} for ${facts.assignee}, who was ${told}`;
}

/** Record Delivery: what the provider reported and what happens next. */
export interface DeliveryStatusFacts {
	output: 'fallback' | 'staffTask' | 'recorded';
	kind: string;
	status: string;
	code?: string | null;
	stage?: number | null;
	channel?: string | null;
	/** Why a report changed nothing beyond the journal (recorded output). */
	reason?: string;
}

const recordedWords: Record<string, string> = {
	intermediate: 'noted; the final status follows',
	recorded: 'recorded',
	duplicate: 'already recorded (the provider sent it again)',
	unknownTouch: 'not a message of any journey: nothing recorded',
	notReloadable: 'recorded; the visit could not be fetched again, so no other channel is tried',
	noFallback: 'recorded; no other channel at this stage',
	notABounce: 'not a bounce: nothing recorded',
};

export function deliveryStatusSummary(facts: DeliveryStatusFacts): string {
	const what = facts.kind === 'call' ? 'Call' : facts.kind === 'email' ? 'Email' : 'SMS';
	const code = facts.code && facts.code !== facts.status ? ` (${facts.code})` : '';
	const stage = facts.stage ? ` of stage ${facts.stage}` : '';
	if (facts.output === 'fallback') {
		return `${what}${stage} ${facts.status}${code}: trying the next channel of the same stage`;
	}
	if (facts.output === 'staffTask') return `${what}${stage} ${facts.status}${code}: a person takes over`;
	return `${what}${stage} ${facts.status}${code}: ${recordedWords[facts.reason ?? ''] ?? facts.reason ?? 'recorded'}`;
}

/** Cadence Wait (version 2): when the journey's next step resumes. */
export interface WaitFacts {
	step: string;
	outcome: 'due' | 'scheduled';
	sendAt: string;
	zone: string;
	/** Outreach is paused: the step waits for the switch, not for a time. */
	untilResume?: boolean;
	/** A manual run, which schedules nothing. */
	manual?: boolean;
}

export function waitSummary(facts: WaitFacts): string {
	const at = when(facts.sendAt, facts.zone);
	if (facts.outcome === 'due') return `Due now (was due ${at}): goes on at once`;
	const summary = facts.untilResume
		? `Outreach is paused: step "${facts.step}" resumes when it is switched back on`
		: `Step "${facts.step}" resumes ${at}`;
	return facts.manual ? `${summary} (manual run: nothing was scheduled)` : summary;
}

/** Journey Due Trigger: a step resumed, or handed to a person. */
export type ResumedFacts =
	| { outcome: 'resumed'; step: string; dueAt?: string; zone: string }
	| { outcome: 'late'; step: string; lateMinutes: number }
	| { outcome: 'attempts'; step: string; attempt: number };

/** The prefix of a hand-over sentence; EHR Task reads the reason after it. */
export const handOverPrefix = 'A person takes over: ';

export function resumedSummary(facts: ResumedFacts): string {
	switch (facts.outcome) {
		case 'resumed':
			return `Step "${facts.step}" resumed${facts.dueAt ? `, due ${when(facts.dueAt, facts.zone)}` : ''}`;
		case 'late':
			return `${handOverPrefix}step "${facts.step}" is ${facts.lateMinutes} minutes late, more than the practice's catch-up limit`;
		case 'attempts':
			return `${handOverPrefix}step "${facts.step}" was handed out ${facts.attempt - 1} times and no node finished it`;
	}
}
