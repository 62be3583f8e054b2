import { z } from 'zod';

import { emailAddress, toE164 } from '../../core/addresses';
import { actionItemTypes } from '../../core/schemas';
import type { ActionItemType } from '../../core/schemas';
import { actionTypeOf } from '../fhir/mapping';
import { Hl7ParseError, messageTypeOf, parseFieldPath } from './message';
import type { FieldPath, Hl7Message } from './message';

/**
 * Which messages mean "the visit is over". Defaults follow Epic's outgoing appointment-scheduling interface
 * (Cadence SIU S12–S15, S17, S26): the filler status code SCH-25 (HL7 table 0278) says "Complete"; an ADT^A03
 * (discharge / end of visit) is a completed visit as well.
 */
export interface CompletionRules {
	siuEvents: string[];
	/** Where the appointment status is, e.g. SCH-25 (filler status code) or a site's Z-segment field. */
	statusField: FieldPath;
	/** Status values (case-insensitive) that mean checked out / complete. */
	completedStatuses: string[];
	adtDischarge: boolean;
}

export const epicCompletionDefaults = {
	siuEvents: ['S12', 'S13', 'S14', 'S15', 'S17', 'S26'],
	statusField: 'SCH-25',
	completedStatuses: ['Complete', 'Completed', 'Checked Out', 'CheckedOut'],
	adtDischarge: true,
} as const;

export function completionRules(input: { siuEvents?: string; statusField?: string; completedStatuses?: string; adtDischarge?: boolean }): CompletionRules {
	const list = (text: string | undefined, fallback: readonly string[]) => {
		const items = (text ?? '').split(',').map((item) => item.trim()).filter(Boolean);
		return items.length ? items : [...fallback];
	};
	const statusField = parseFieldPath(input.statusField || epicCompletionDefaults.statusField);
	if (!statusField) throw new Hl7ParseError('Status Field must look like SCH-25 or ZSC-3.1', 'statusField');
	return {
		siuEvents: list(input.siuEvents, epicCompletionDefaults.siuEvents).map((event) => event.toUpperCase()),
		statusField,
		completedStatuses: list(input.completedStatuses, epicCompletionDefaults.completedStatuses),
		adtDischarge: input.adtDischarge ?? epicCompletionDefaults.adtDischarge,
	};
}

/** What the trigger takes from a completed-visit message; it travels as the notification's `resource`. */
export const hl7VisitFactsSchema = z.object({
	source: z.literal('hl7v2'),
	sendingApplication: z.string(),
	sendingFacility: z.string(),
	messageType: z.string(),
	controlId: z.string().min(1),
	patient: z.object({
		id: z.string().min(1),
		assigningAuthority: z.string().optional(),
		firstName: z.string().optional(),
		phones: z.array(z.object({ number: z.string(), kind: z.enum(['mobile', 'landline', 'unknown']) })).default([]),
		email: z.string().optional(),
		language: z.string().optional(),
	}),
	visit: z.object({
		id: z.string().min(1),
		type: z.enum(['appointment', 'encounter']),
		/** HL7 TS (YYYYMMDDHHMM[SS[.S]][±ZZZZ]) of the completion. */
		completedAt: z.string().min(8),
		location: z.string().optional(),
	}),
	orders: z.array(z.object({ id: z.string().optional(), type: z.enum(actionItemTypes) })).default([]),
});
export type Hl7VisitFacts = z.infer<typeof hl7VisitFactsSchema>;

export type Classification =
	| { kind: 'completed'; facts: Hl7VisitFacts }
	/** A valid message that is not a completed visit (booked, cancelled, another ADT event): acknowledged, nothing starts. */
	| { kind: 'ignored'; reason: string };

const iso639: Record<string, string> = { eng: 'en', spa: 'es', fre: 'fr', fra: 'fr', por: 'pt', chi: 'zh', zho: 'zh', vie: 'vi', kor: 'ko', rus: 'ru', ara: 'ar', tgl: 'tl', hat: 'ht', ger: 'de', deu: 'de', ita: 'it', pol: 'pl', jpn: 'ja' };

/** PID-15 (CE/CWE): an ISO 639 code (2 or 3 letters, the usual HL7 table 0296 values) → BCP-47; else undefined. */
export function languageFrom(code: string): string | undefined {
	const value = code.trim().toLowerCase();
	if (/^[a-z]{2}(-[a-z0-9]{2,8})*$/.test(value)) return value;
	return iso639[value];
}

/** An XTN's number in E.164: XTN-12 (unformatted) → XTN-1 (formatted) → [+country] area + local number. */
function xtnNumber(message: Hl7Message, repetition: string): string | undefined {
	const country = message.part(repetition, 5).trim();
	const local = `${message.part(repetition, 6)}${message.part(repetition, 7)}`;
	const assembled = country ? `+${country} ${local}` : local;
	return toE164(message.part(repetition, 12) || message.part(repetition, 1) || assembled);
}

/** PID-13 (home) and PID-14 (business): XTN-3 CP = cell phone, Internet/NET = e-mail in XTN-4. */
function contactFrom(message: Hl7Message): { phones: Hl7VisitFacts['patient']['phones']; email?: string } {
	const pid = message.first('PID');
	const phones: Hl7VisitFacts['patient']['phones'] = [];
	let email: string | undefined;
	for (const field of [13, 14]) {
		for (const repetition of message.repetitions(pid, field)) {
			const use = message.part(repetition, 2).toUpperCase();
			const equipment = message.part(repetition, 3).toUpperCase();
			if (use === 'NET' || equipment === 'INTERNET' || equipment === 'X.400') {
				const address = message.part(repetition, 4).trim();
				email ??= emailAddress(address);
				continue;
			}
			const number = xtnNumber(message, repetition);
			if (!number || phones.some((phone) => phone.number === number)) continue;
			phones.push({ number, kind: equipment === 'CP' ? 'mobile' : equipment === 'PH' && field === 14 ? 'landline' : 'unknown' });
		}
	}
	phones.sort((a, b) => Number(b.kind === 'mobile') - Number(a.kind === 'mobile'));
	return { phones, email };
}

const codingSystems: Record<string, string> = { LN: 'http://loinc.org', SCT: 'http://snomed.info/sct', SNM: 'http://snomed.info/sct', CPT: 'http://www.ama-assn.org/go/cpt', C4: 'http://www.ama-assn.org/go/cpt' };

/** OBR-4 (universal service id) classified as the FHIR mapping does (LOINC, SNOMED, CPT ranges); unknown → skipped. */
function ordersFrom(message: Hl7Message): Hl7VisitFacts['orders'] {
	const orders: Hl7VisitFacts['orders'] = [];
	const orcs = message.all('ORC');
	message.all('OBR').forEach((obr, index) => {
		const service = message.repetitions(obr, 4)[0] ?? '';
		const coding = [1, 4].map((offset) => ({ code: message.part(service, offset), system: codingSystems[message.part(service, offset + 2).toUpperCase()] }));
		const type: ActionItemType | undefined = actionTypeOf({
			resourceType: 'ServiceRequest',
			id: 'hl7',
			status: 'active',
			intent: 'order',
			code: { coding: coding.filter((entry) => entry.code && entry.system) },
		} as Parameters<typeof actionTypeOf>[0]);
		if (!type) return;
		const placer = message.part(message.repetitions(obr, 2)[0] ?? '', 1) || message.part(message.repetitions(orcs[index], 2)[0] ?? '', 1);
		orders.push({ id: placer || undefined, type });
	});
	return orders;
}

function required(message: Hl7Message, path: string): string {
	const parsed = parseFieldPath(path) as FieldPath;
	const value = message.value(parsed);
	if (!value) throw new Hl7ParseError(`${path} is empty`, path);
	return value;
}

/**
 * Classifies one parsed message by the rules: a completed visit with the facts the journey needs, or a valid
 * message to acknowledge and ignore. A message missing what a completed visit needs (PID-3, the visit id)
 * throws Hl7ParseError naming the field.
 */
export function classifyMessage(message: Hl7Message, rules: CompletionRules): Classification {
	const type = messageTypeOf(message);
	const controlId = required(message, 'MSH-10');
	const label = `${type.code}^${type.event}`;
	let visit: Hl7VisitFacts['visit'];
	if (type.code === 'SIU') {
		if (!rules.siuEvents.includes(type.event)) return { kind: 'ignored', reason: `${label} is not a listened SIU event` };
		const status = message.value(rules.statusField);
		const completed = rules.completedStatuses.some((value) => value.toLowerCase() === status.trim().toLowerCase());
		if (!completed) return { kind: 'ignored', reason: `${label}: appointment status is not a completed one` };
		const id = message.value({ segment: 'SCH', field: 2 }) || message.value({ segment: 'SCH', field: 1 });
		if (!id) throw new Hl7ParseError('SCH-2 (filler appointment id) and SCH-1 are empty', 'SCH-2');
		visit = { id, type: 'appointment', completedAt: required(message, 'MSH-7'), location: message.value({ segment: 'AIL', field: 3 }) || undefined };
	} else if (type.code === 'ADT' && type.event === 'A03' && rules.adtDischarge) {
		const id = message.value({ segment: 'PV1', field: 19 });
		if (!id) throw new Hl7ParseError('PV1-19 (visit number) is empty', 'PV1-19');
		const discharged = message.value({ segment: 'PV1', field: 45 }) || message.value({ segment: 'EVN', field: 2 }) || required(message, 'MSH-7');
		visit = { id, type: 'encounter', completedAt: discharged, location: message.value({ segment: 'PV1', field: 3 }) || undefined };
	} else {
		return { kind: 'ignored', reason: `${label} does not report a completed visit` };
	}
	const patientId = message.value({ segment: 'PID', field: 3 });
	if (!patientId) throw new Hl7ParseError('PID-3 (patient identifier) is empty', 'PID-3');
	const language = languageFrom(message.value({ segment: 'PID', field: 15 }));
	const facts: Hl7VisitFacts = {
		source: 'hl7v2',
		sendingApplication: message.value({ segment: 'MSH', field: 3 }),
		sendingFacility: message.value({ segment: 'MSH', field: 4 }),
		messageType: label,
		controlId,
		patient: {
			id: patientId,
			assigningAuthority: message.value({ segment: 'PID', field: 3, component: 4 }) || undefined,
			firstName: message.value({ segment: 'PID', field: 5, component: 2 }) || undefined,
			...contactFrom(message),
			language,
		},
		visit,
		orders: ordersFrom(message),
	};
	return { kind: 'completed', facts: hl7VisitFactsSchema.parse(facts) };
}
