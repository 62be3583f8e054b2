import { DateTime } from 'luxon';

import { isE164 } from '../core/addresses';
import { localDateOf } from '../core/cadence';
import { composeReplyAnswer, replyLanguageFor } from '../core/compose';
import type { MessageTexts, ReplyAnswerVars, ReplyTextId } from '../core/compose';
import { DomainError } from '../core/errors';
import { allowedInTestMode } from '../core/practice';
import type { PracticeProfile } from '../core/practice';
import { classifyReply, keywordLanguage } from '../core/replies';
import type { ActionItemType, JourneyEvent, RecallDue } from '../core/schemas';
import type { EhrAdapter, ResolveContext, SmsConsentResult } from '../ehr/types';
import type { JourneyRecord, JourneyStore } from '../store/types';
import { messageVarsFor, primaryAction } from './messageVars';
import { reloadJourney } from './reloadJourney';

/** What a reply is, as the trigger's outputs name it: the core's classification with 'other' reaching staff. */
export const replyClassifications = ['optOut', 'optIn', 'help', 'book', 'staff'] as const;
export type ReplyClassification = (typeof replyClassifications)[number];

/** Journal and claim ids of a text from a number no journey reached. */
export const unknownSender = 'unknown-sender';

/** A language code with answers: "en", "es", or one the practice added in its message texts ("fr"). */
export type ReplyLanguage = string;

/** One inbound SMS as Twilio posted it (From, To, Body, MessageSid). */
export interface InboundSms {
	messageSid: string;
	from: string;
	to: string;
	body: string;
	receivedAt: string;
}

export interface ConsentChange {
	patientId: string;
	status: SmsConsentResult['status'] | 'failed';
	detail: string;
}

/** How a "book" reply was answered. */
export type BookingAnswer = 'link' | 'alreadyBooked' | 'noLink' | 'ehrUnavailable';

export type PatientReplyOutcome =
	/** The same MessageSid was handled before (a replayed or repeated webhook): nothing is done or answered. */
	| { duplicate: true }
	| {
			duplicate: false;
			classification: ReplyClassification;
			/** The keyword that decided it (STOP, ALTO, SI…); none for a message that goes to staff. */
			keyword?: string;
			sender: 'known' | 'unknown';
			language: ReplyLanguage;
			/** The SMS answered to the patient (TwiML). */
			reply: string;
			/** The most recent journey that texted this number (ids only). */
			journey?: JourneyRecord;
			booking?: { answer: BookingAnswer; schedulingLink?: string; problem?: string };
			/** optOut/optIn: what became of the EHR's SMS consent, per patient whose journey reached the number. */
			ehrConsent?: ConsentChange[];
	  };

export interface PatientReplyDeps {
	store: JourneyStore;
	adapter: EhrAdapter;
	profile: PracticeProfile;
	now: string;
	/** Whether opt-outs and opt-ins are also written to the EHR's SMS consent (where the adapter can). */
	updateEhrConsent: boolean;
	/** The practice's texts (the "Post-Visit Message Texts" credential): its answers win over the built-in ones. */
	texts?: MessageTexts;
	/**
	 * Called once with the answer as soon as it is known, before slower EHR writes (the SMS consent), so the
	 * webhook can answer Twilio, which waits at most 15 s. The answer is also in the outcome.
	 */
	onReply?: (reply: string) => void;
}

/** A number reached by many journeys is a shared phone (a family's); past this many patients the rest wait for staff. */
const maxConsentPatients = 10;

/** The language the journey's last SMS went out in (the journal keeps it), so the answer matches it. */
async function journeyLanguage(store: JourneyStore, journeyId: string): Promise<string | undefined> {
	const sent = await store.journal({ journeyId, type: 'touch.sent' });
	const last = sent
		.filter((entry) => entry.channel === 'sms' && typeof entry.detail?.language === 'string')
		.sort((a, b) => a.at.localeCompare(b.at))
		.at(-1);
	const language = last?.detail?.language;
	return typeof language === 'string' ? language : undefined;
}

/** The local date of the recall a recall journey was planned around (its anchor is the due date's midnight). */
function recallDueDate(record: JourneyRecord): string {
	return localDateOf(record.anchorAt, record.zone);
}

/** A recall journey's event as the recall flow reads it: the EHR's recall list for its due date, by recall id. */
async function currentRecall(record: JourneyRecord, adapter: EhrAdapter, context: ResolveContext): Promise<RecallDue | undefined> {
	const dueDate = recallDueDate(record);
	const recalls = await adapter.pollRecalls({ from: dueDate, to: dueDate }, context);
	return recalls.find((recall) => recall.recallId === record.sourceId);
}

async function bookingFor(
	record: JourneyRecord,
	deps: PatientReplyDeps,
): Promise<{ answer: BookingAnswer; schedulingLink?: string; actionType?: ActionItemType; problem?: string }> {
	const { adapter, profile, store } = deps;
	if (record.ehr !== adapter.kind) {
		return { answer: 'ehrUnavailable', problem: `the journey belongs to ${record.ehr}, this node reads ${adapter.kind}` };
	}
	const context: ResolveContext = {
		defaultZone: profile.defaultZone,
		defaultLanguage: profile.defaultLanguage,
		schedulingLinks: profile.schedulingLinks,
	};
	let event: JourneyEvent | undefined;
	try {
		if (record.kind === 'recall') {
			event = await currentRecall(record, adapter, context);
		} else {
			const reloaded = await reloadJourney(record.journeyId, { store, adapter, context });
			if (reloaded.outcome === 'reloaded') event = reloaded.event;
		}
	} catch (error) {
		return { answer: 'ehrUnavailable', problem: error instanceof Error ? error.message : String(error) };
	}
	if (!event) return { answer: 'noLink', problem: 'the EHR no longer shows the visit or recall as open' };
	const items = event.kind === 'visit' ? event.actionItems : [event.actionItem];
	if (items.length > 0 && items.every((item) => item.done)) return { answer: 'alreadyBooked' };
	const vars = messageVarsFor(event, profile);
	if (!vars.schedulingLink) return { answer: 'noLink', problem: 'no scheduling link for the open item' };
	return { answer: 'link', schedulingLink: vars.schedulingLink, actionType: primaryAction(event)?.type };
}

/** SMS consent in the EHR for every patient whose journey reached this number (a shared phone has several). */
async function updateConsents(
	matches: JourneyRecord[],
	allowed: boolean,
	deps: PatientReplyDeps,
): Promise<ConsentChange[]> {
	const { adapter } = deps;
	const patients = new Map<string, JourneyRecord>();
	for (const record of matches) {
		if (record.ehr === adapter.kind && !patients.has(record.patientId)) patients.set(record.patientId, record);
	}
	const changes: ConsentChange[] = [];
	for (const record of [...patients.values()].slice(0, maxConsentPatients)) {
		if (!adapter.updateSmsConsent) {
			changes.push({ patientId: record.patientId, status: 'notSupported', detail: `the ${adapter.kind} adapter has no way to record SMS consent` });
			continue;
		}
		try {
			const result = await adapter.updateSmsConsent({
				patientId: record.patientId,
				practiceId: record.practiceId,
				departmentId: record.departmentId,
				allowed,
			});
			changes.push({ patientId: record.patientId, ...result });
		} catch (error) {
			// The opt-out is recorded in the journey store already; the EHR's copy is best effort and shown to ops.
			changes.push({ patientId: record.patientId, status: 'failed', detail: error instanceof Error ? error.message : String(error) });
		}
	}
	return changes;
}

function consentCounts(changes: ConsentChange[]): Record<string, number> {
	const counts: Record<string, number> = {};
	for (const change of changes) counts[`ehrConsent_${change.status}`] = (counts[`ehrConsent_${change.status}`] ?? 0) + 1;
	return counts;
}

/**
 * Handles one inbound SMS: classifies it with the core's keyword rules, records an opt-out or opt-in for the
 * number in the journey store (and the EHR's SMS consent where the adapter can), and composes the answer in the
 * patient's language: the scheduling link of the open action for "book", an acknowledgment for anything a person
 * must read. The journal gets the classification, never the text. A MessageSid is handled once.
 */
export async function handlePatientReply(sms: InboundSms, deps: PatientReplyDeps): Promise<PatientReplyOutcome> {
	const { store, profile, now } = deps;
	if (!isE164(sms.from)) {
		throw new DomainError('Inbound SMS: "From" is not a valid phone number in E.164 form', 'invalid_input', 'From');
	}
	if (!sms.messageSid) throw new DomainError('Inbound SMS: "MessageSid" is missing', 'invalid_input', 'MessageSid');

	const contacts = await store.journeysContactedAt('sms', sms.from);
	const records: JourneyRecord[] = [];
	for (const contact of contacts.slice(0, maxConsentPatients * 3)) {
		const record = await store.getJourney(contact.journeyId);
		if (record) records.push(record);
	}
	const journey = records[0];
	const ids = { journeyId: journey?.journeyId ?? unknownSender, patientKey: journey?.patientKey ?? unknownSender };

	const claimKey = `sms-in:${sms.messageSid}`;
	if (!(await store.claim(claimKey, { ...ids, channel: 'event' }, now))) return { duplicate: true };
	try {
		const classified = classifyReply(sms.body);
		const sender = journey ? 'known' : 'unknown';
		let classification: ReplyClassification = classified.kind === 'other' ? 'staff' : classified.kind;
		// An unknown number gets HELP and has its STOP/START honoured; anything else needs a person.
		if (sender === 'unknown' && classification === 'book') classification = 'staff';
		const keyword = classification === 'staff' ? undefined : classified.keyword;
		const language: ReplyLanguage = replyLanguageFor(
			[
				journey ? await journeyLanguage(store, journey.journeyId) : undefined,
				keyword ? keywordLanguage(keyword) : undefined,
				profile.defaultLanguage,
			],
			deps.texts,
		);
		const vars: ReplyAnswerVars = { practiceName: profile.practiceName, practicePhone: profile.practicePhone };
		const replyText = (id: ReplyTextId, answerVars: ReplyAnswerVars = vars) => composeReplyAnswer(id, language, answerVars, deps.texts).text;
		const journal = { ...ids, at: now, channel: 'sms', providerId: sms.messageSid };
		// Test mode: a number not on the allow-list gets no answer; what the text asked (STOP, START) still counts.
		const answerSuppressed = !allowedInTestMode(profile, 'sms', sms.from);
		await store.append({
			...journal,
			type: 'reply.received',
			code: classification,
			detail: { keyword: keyword ?? null, sender, language },
		});
		const base = { duplicate: false as const, classification, keyword, sender, language, journey } as const;

		let outcome: PatientReplyOutcome;
		switch (classification) {
			case 'optOut':
			case 'optIn': {
				const optOut = classification === 'optOut';
				const source = `reply:${keyword ?? classification}`;
				if (optOut) await store.setOptOut({ channel: 'sms', address: sms.from, at: now, source });
				else await store.clearOptOut('sms', sms.from, now, source);
				// Recorded where every send checks it: the patient may be told now; the EHR's copy follows.
				const reply = replyText(classification);
				deps.onReply?.(answerSuppressed ? '' : reply);
				const ehrConsent = deps.updateEhrConsent ? await updateConsents(records, !optOut, deps) : [];
				await store.append({
					...journal,
					type: optOut ? 'optout.recorded' : 'optin.recorded',
					code: keyword,
					detail: { sender, ...consentCounts(ehrConsent) },
				});
				outcome = { ...base, reply, ehrConsent };
				break;
			}
			case 'help':
				outcome = { ...base, reply: replyText('help') };
				break;
			case 'book': {
				const booking = await bookingFor(journey!, deps);
				const textId = booking.answer === 'link' ? 'bookLink' : booking.answer === 'alreadyBooked' ? 'alreadyBooked' : 'bookCall';
				const reply = replyText(textId, { ...vars, schedulingLink: booking.schedulingLink, actionType: booking.actionType });
				await store.append({ ...journal, type: 'reply.answered', code: booking.answer });
				outcome = {
					...base,
					reply,
					booking: { answer: booking.answer, schedulingLink: booking.schedulingLink, problem: booking.problem },
				};
				break;
			}
			default:
				outcome = { ...base, reply: replyText('staff') };
		}
		if (answerSuppressed) {
			await store.append({ ...journal, type: 'reply.suppressed', code: 'testMode' });
			outcome = { ...outcome, reply: '' };
		}
		await store.markSent(claimKey, sms.messageSid, now);
		return outcome;
	} catch (error) {
		await store.release(claimKey, now);
		throw error;
	}
}

/** The reply a Staff-output item carries into EHR Task, read back from the item (a person reads the text there). */
export interface PatientReplyItem {
	messageSid: string;
	from: string;
	text: string;
	receivedAt: string;
	journey?: JourneyRecord;
}

function isJourneyRecord(value: unknown): value is JourneyRecord {
	const record = value as Partial<JourneyRecord> | null | undefined;
	return (
		typeof record?.journeyId === 'string' &&
		typeof record.patientKey === 'string' &&
		typeof record.patientId === 'string' &&
		typeof record.sourceId === 'string' &&
		(record.kind === 'visit' || record.kind === 'recall')
	);
}

/** A Patient Reply Trigger item (any output) → the reply a staff task is about; undefined for other items. */
export function patientReplyOfItem(json: Record<string, unknown>): PatientReplyItem | undefined {
	if (typeof json.messageSid !== 'string' || typeof json.classification !== 'string') return undefined;
	if (typeof json.from !== 'string' || typeof json.text !== 'string') {
		throw new DomainError('Patient reply item: "from" and "text" must be strings', 'invalid_input', 'text');
	}
	const receivedAt = typeof json.receivedAt === 'string' && DateTime.fromISO(json.receivedAt).isValid ? json.receivedAt : undefined;
	if (!receivedAt) throw new DomainError('Patient reply item: "receivedAt" must be an ISO date-time', 'invalid_input', 'receivedAt');
	return {
		messageSid: json.messageSid,
		from: json.from,
		text: json.text,
		receivedAt,
		journey: isJourneyRecord(json.journeyRecord) ? json.journeyRecord : undefined,
	};
}
