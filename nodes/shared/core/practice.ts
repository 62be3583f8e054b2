import { z } from 'zod';

import { canonicalAddress } from './addresses';
import { fromZodError } from './errors';
import { actionItemTypes, channels, ianaZoneSchema } from './schemas';
import type { Channel, EhrKind } from './schemas';

const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a time HH:mm');

/** A daily send window in local time, [start, end). */
export const sendWindowSchema = z
	.object({ start: hhmm, end: hhmm })
	.refine((w) => w.start < w.end, { message: 'start must be before end' })
	.refine((w) => w.start >= '08:00' && w.end <= '21:00', {
		message: 'may not be wider than 08:00-21:00 (TCPA quiet hours)',
	});
export type SendWindow = z.infer<typeof sendWindowSchema>;

export const weekdays = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof weekdays)[number];

/** When messages may go out, in the patient's local time. */
export const sendPolicySchema = z.object({
	window: sendWindowSchema.default({ start: '09:00', end: '20:00' }),
	/** Days on which nothing is sent (default: none; a practice may skip weekends). */
	closedWeekdays: z.array(z.enum(weekdays)).default([]),
	/** Local dates (YYYY-MM-DD) on which nothing is sent. */
	holidays: z.array(z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date YYYY-MM-DD')).default([]),
});
export type SendPolicy = z.infer<typeof sendPolicySchema>;

/** Contact limits; every one is visible and editable by ops. */
export const capsSchema = z.object({
	/** Automated messages per visit (stage 1 + stage 2). */
	automatedPerJourney: z.number().int().min(0).max(5).default(2),
	/** Stage-3 touches per visit (voice message or human task). */
	stage3PerJourney: z.number().int().min(0).max(2).default(1),
	/** Messages per patient per local day, across all workflows. */
	perPatientPerDay: z.number().int().min(1).max(5).default(1),
	/**
	 * Messages (SMS or voice) per destination phone number per local day, whichever patient they are for: a family
	 * sharing one mobile gets this many, not one each.
	 */
	perNumberPerDay: z.number().int().min(1).max(5).default(1),
});
export type Caps = z.infer<typeof capsSchema>;

export const staffMemberSchema = z.object({
	/** Key used by nodes to pick an assignee, e.g. "care-coordinator". */
	key: z.string().min(1),
	name: z.string().min(1),
	/** The assignee's id in the EHR (athena username, DrChrono username or "group:<id>", FHIR Practitioner/…). */
	ehrUserId: z.string().min(1).optional(),
	/**
	 * Ids per EHR, for a practice on more than one (during a migration, or the sandbox's three): the journey's
	 * EHR picks its own, and `ehrUserId` is used where none is given.
	 */
	ehrUserIds: z
		.object({ fhir: z.string().min(1), athenahealth: z.string().min(1), drchrono: z.string().min(1), tebra: z.string().min(1), hl7v2: z.string().min(1) })
		.partial()
		.strict()
		.optional(),
	email: z.string().email().optional(),
	phone: z.string().regex(/^\+[1-9]\d{6,14}$/, 'must be a mobile number in international form, such as +15125550100').optional(),
	notifyBy: z.enum(['email', 'sms']).default('email'),
});
export type StaffMember = z.infer<typeof staffMemberSchema>;

/** The staff member's id in this EHR: the per-EHR one, else the general one. */
export function assigneeIdFor(member: StaffMember, ehr: EhrKind): string | undefined {
	return member.ehrUserIds?.[ehr] ?? member.ehrUserId;
}

/**
 * What happens to a step found late when it is resumed (after a pause, a deactivated workflow, or n8n down):
 * `nextAllowed` goes on at the next allowed time (window, caps and the booking check still apply);
 * `handToStaff` gives a step more than `maxLateHours` late to a person instead.
 */
export const catchUpSchema = z.object({
	rule: z.enum(['nextAllowed', 'handToStaff']).default('nextAllowed'),
	maxLateHours: z.number().min(1).max(24 * 60).default(24),
});
export type CatchUp = z.infer<typeof catchUpSchema>;

/**
 * One entry of the test-mode allow-list, in the canonical form every send compares with: an email address
 * (lower-cased) when it has an "@", else a phone number in E.164. Undefined when it is neither.
 */
export function testModeEntry(entry: string): string | undefined {
	return canonicalAddress(entry.includes('@') ? 'email' : 'sms', entry);
}

const testModeEntrySchema = z.string().transform((entry, context) => {
	const canonical = testModeEntry(entry);
	if (canonical === undefined) {
		context.addIssue({ code: z.ZodIssueCode.custom, message: 'must be a phone number or an email address' });
		return z.NEVER;
	}
	return canonical;
});

/**
 * Everything a practice decides once and every node reads at run time
 * (stored in the "Practice Profile" credential).
 */
export const practiceProfileSchema = z.object({
	practiceName: z.string().trim().min(1).max(60),
	practicePhone: z.string().min(7).max(20),
	/** Used when neither patient nor location gives a zone. */
	defaultZone: ianaZoneSchema.optional(),
	defaultLanguage: z
		.string()
		.trim()
		.regex(/^[a-zA-Z]{2,3}([-_][a-zA-Z0-9]{2,8})*$/, 'must be a language code such as en, es or fr')
		.default('en'),
	sendPolicy: sendPolicySchema.default({}),
	caps: capsSchema.default({}),
	/**
	 * Scheduling link per action type; `{orderId}`, `{patientId}`, `{visitId}` are filled in.
	 * `default` is used for types without their own link.
	 */
	schedulingLinks: z
		.record(z.enum([...actionItemTypes, 'default']), z.string().min(1))
		.default({}),
	staff: z.array(staffMemberSchema).default([]),
	/** Channel order tried when the patient states no preference. */
	channelOrder: z.array(z.enum(channels)).default(['sms', 'email']),
	/**
	 * Holds every patient message of every workflow; journeys keep their place and go on at resume. Replies to
	 * STOP, START and HELP, staff notifications and EHR tasks continue.
	 */
	outreachPaused: z.boolean().default(false),
	/**
	 * Test mode: when not empty, patient messages go only to these numbers and addresses (canonical form); every
	 * other recipient is suppressed and its journey ends. Staff notifications and EHR tasks are not patient messages.
	 */
	testModeSendOnlyTo: z.array(testModeEntrySchema).default([]),
	catchUp: catchUpSchema.default({}),
});
export type PracticeProfile = z.infer<typeof practiceProfileSchema>;

export function parsePracticeProfile(input: unknown): PracticeProfile {
	const result = practiceProfileSchema.safeParse(input);
	if (!result.success) throw fromZodError(result.error, 'Practice profile');
	return result.data;
}

/** Whether test mode is on: the allow-list names at least one recipient. */
export function testModeOn(profile: Pick<PracticeProfile, 'testModeSendOnlyTo'>): boolean {
	return profile.testModeSendOnlyTo.length > 0;
}

/** Whether a patient message on this channel may go to this address: always with test mode off, else only when listed. */
export function allowedInTestMode(profile: Pick<PracticeProfile, 'testModeSendOnlyTo'>, channel: Channel, address: string): boolean {
	if (!testModeOn(profile)) return true;
	const canonical = canonicalAddress(channel, address);
	return canonical !== undefined && profile.testModeSendOnlyTo.includes(canonical);
}
