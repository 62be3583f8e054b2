import { DateTime } from 'luxon';

import { buildAck, classifyMessage, Hl7ParseError, parseHl7 } from '../ehr/hl7v2';
import type { CompletionRules, FrameEvent, Hl7Message, Hl7VisitFacts } from '../ehr/hl7v2';
import type { NotificationEvent } from '../ehr/types';
import type { JourneyStore } from '../store/types';

export interface Hl7IntakeDependencies {
	rules: CompletionRules;
	/** Claims control ids, so a resent message starts nothing (absent in a manual test run). */
	store?: JourneyStore;
	/** Starts the workflow with the event; a throw is answered AE (send again). */
	emit(event: NotificationEvent): Promise<void>;
	now(): Date;
	/** The ACK's own control id. */
	nextControlId(): string;
}

export type Hl7IntakeOutcome = 'started' | 'duplicate' | 'ignored' | 'rejected' | 'failed';

export interface Hl7IntakeResult {
	ack: string;
	outcome: Hl7IntakeOutcome;
	/** Why, naming fields (never values): for the node's log and the tests. */
	reason?: string;
}

/** The sender-scoped control id a duplicate is known by: MSH-3, MSH-4 and MSH-10. */
export function controlKey(facts: Pick<Hl7VisitFacts, 'sendingApplication' | 'sendingFacility' | 'controlId'>): string {
	return `hl7v2:${facts.sendingApplication}|${facts.sendingFacility}:${facts.controlId}`;
}

/** The notification the trigger emits: Visit Details resolves it with the message's own facts. */
export function notificationOf(facts: Hl7VisitFacts): NotificationEvent {
	return {
		ehr: 'hl7v2',
		eventId: `${facts.sendingApplication}|${facts.sendingFacility}|${facts.controlId}`,
		topic: facts.messageType,
		resourceType: facts.visit.type === 'appointment' ? 'Appointment' : 'Encounter',
		resourceId: facts.visit.id,
		patientId: facts.patient.id,
		practiceId: facts.sendingFacility || undefined,
		departmentId: facts.visit.location,
		resource: facts,
	};
}

/**
 * One frame from an MLLP connection, acknowledged: unreadable or incomplete → AR with the field at fault;
 * valid but not a completed visit → AA, nothing starts; a control id already claimed → AA, nothing starts; else
 * the control id is claimed, the workflow started, and AA sent. If the workflow cannot be started the claim is
 * released and the answer is AE, so the sender's resend is not taken for a duplicate.
 */
export async function acceptHl7Frame(event: FrameEvent, deps: Hl7IntakeDependencies): Promise<Hl7IntakeResult> {
	const timestamp = DateTime.fromJSDate(deps.now()).toUTC().toFormat('yyyyLLddHHmmss');
	const ack = (message: Hl7Message | undefined, code: 'AA' | 'AE' | 'AR', text?: string, location?: string) =>
		buildAck(message, { code, text, location, timestamp, controlId: deps.nextControlId() });
	if (event.kind === 'invalid') return { ack: ack(undefined, 'AR', event.reason), outcome: 'rejected', reason: event.reason };
	let message: Hl7Message | undefined;
	let classification;
	try {
		message = parseHl7(event.text);
		classification = classifyMessage(message, deps.rules);
	} catch (error) {
		if (!(error instanceof Hl7ParseError)) throw error;
		return { ack: ack(message, 'AR', error.message, error.location), outcome: 'rejected', reason: error.message };
	}
	if (classification.kind === 'ignored') return { ack: ack(message, 'AA', classification.reason), outcome: 'ignored', reason: classification.reason };
	const { facts } = classification;
	const key = controlKey(facts);
	const at = deps.now().toISOString();
	const patientKey = ['hl7v2', facts.sendingFacility, facts.patient.id].filter(Boolean).join(':');
	if (deps.store && !(await deps.store.claim(key, { journeyId: `pending:${key}`, patientKey, channel: 'event' }, at))) {
		return { ack: ack(message, 'AA', 'Duplicate control id: already received'), outcome: 'duplicate', reason: 'duplicate control id' };
	}
	try {
		await deps.emit(notificationOf(facts));
	} catch {
		await deps.store?.release(key, at);
		return { ack: ack(message, 'AE', 'The workflow could not be started: send again'), outcome: 'failed', reason: 'emit failed' };
	}
	await deps.store?.markSent(key, undefined, at);
	return { ack: ack(message, 'AA'), outcome: 'started' };
}
