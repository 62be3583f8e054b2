import type { ICredentialDataDecryptedObject } from 'n8n-workflow';

import { DomainError } from '../core/errors';
import { parsePracticeProfile } from '../core/practice';
import type { PracticeProfile } from '../core/practice';

function parseJsonField(value: unknown, field: string): unknown {
	if (value === undefined || value === null || value === '') return undefined;
	if (typeof value !== 'string') return value;
	let parsed: unknown;
	let valid = true;
	try {
		parsed = JSON.parse(value);
	} catch {
		valid = false;
	}
	if (!valid) throw new DomainError(`Practice profile: "${field}" is not valid JSON`, 'invalid_input', field);
	return parsed;
}

function listOf(value: unknown): string[] {
	if (Array.isArray(value)) return value.map(String);
	if (typeof value !== 'string') return [];
	return value
		.split(/[,\s]+/)
		.map((part) => part.trim())
		.filter(Boolean);
}

/** The flat fields of the "Post-Visit Practice Profile" credential → the core's validated PracticeProfile. */
export function practiceProfileFromCredential(credential: ICredentialDataDecryptedObject): PracticeProfile {
	const emptyToUndefined = (value: unknown) => (value === '' ? undefined : value);
	return parsePracticeProfile({
		practiceName: credential.practiceName,
		practicePhone: credential.practicePhone,
		defaultZone: emptyToUndefined(credential.defaultZone),
		defaultLanguage: emptyToUndefined(credential.defaultLanguage),
		sendPolicy: {
			window: { start: credential.windowStart ?? '09:00', end: credential.windowEnd ?? '20:00' },
			closedWeekdays: listOf(credential.closedWeekdays),
			holidays: listOf(credential.holidays),
		},
		caps: {
			automatedPerJourney: credential.automatedPerJourney ?? 2,
			stage3PerJourney: credential.stage3PerJourney ?? 1,
			perPatientPerDay: credential.perPatientPerDay ?? 1,
		},
		schedulingLinks: parseJsonField(credential.schedulingLinks, 'schedulingLinks') ?? {},
		staff: parseJsonField(credential.staff, 'staff') ?? [],
		channelOrder: listOf(credential.channelOrder ?? 'sms,email'),
		outreachPaused: credential.outreachPaused === true,
		catchUp: { rule: credential.catchUpRule ?? 'nextAllowed', maxLateHours: credential.catchUpMaxLateHours ?? 24 },
	});
}
