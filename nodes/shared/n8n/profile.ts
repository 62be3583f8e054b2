import type { ICredentialDataDecryptedObject } from 'n8n-workflow';

import { DomainError, fieldIssuesOf } from '../core/errors';
import type { FieldIssue } from '../core/errors';
import { practiceProfileSchema } from '../core/practice';
import type { PracticeProfile } from '../core/practice';
import { placeholderLinkIssues, rowsOf, schedulingLinksFromRows, staffFromRows, staffRowFieldOf } from '../core/practiceRows';
import type { SchedulingLinkRow, StaffRow } from '../core/practiceRows';

/**
 * The labels of the "Post-Visit Practice Profile" credential form (its fields' displayName), by the path of the
 * profile field each one fills. test/n8n/profile.test.ts keeps them in step with the credential class.
 */
export const practiceProfileLabels: Record<string, string> = {
	practiceName: 'Practice Name',
	practicePhone: 'Practice Phone',
	defaultZone: 'Default Time Zone',
	defaultLanguage: 'Default Language',
	'sendPolicy.window': 'Send Window Start and Send Window End',
	'sendPolicy.window.start': 'Send Window Start',
	'sendPolicy.window.end': 'Send Window End',
	'sendPolicy.closedWeekdays': 'Days Without Messages',
	'sendPolicy.holidays': 'Holidays',
	'caps.automatedPerJourney': 'Automated Messages Per Visit',
	'caps.stage3PerJourney': 'Stage-3 Touches Per Visit',
	'caps.perPatientPerDay': 'Messages Per Patient Per Day',
	'caps.perNumberPerDay': 'Messages Per Number Per Day',
	schedulingLinkRows: 'Scheduling Links',
	staffRows: 'Staff Directory',
	schedulingLinks: '(Advanced) Scheduling Links JSON',
	staff: '(Advanced) Staff Directory JSON',
	channelOrder: 'Channel Order',
	outreachPaused: 'Outreach Paused',
	testModeSendOnlyTo: 'Test Mode: Send Only To',
	'catchUp.rule': 'Catch-Up Rule',
	'catchUp.maxLateHours': 'Too Late After (Hours)',
};

/** The fields of one row of the form's row-by-row lists, by name. test/n8n/credentialTests.test.ts checks them too. */
export const practiceProfileRowLabels: Record<string, Record<string, string>> = {
	schedulingLinkRows: { orderType: 'Order Type', url: 'Address' },
	staffRows: {
		key: 'Key',
		name: 'Name',
		email: 'Email',
		phone: 'Mobile Phone',
		notifyBy: 'Notify By',
		ehrUserId: 'EHR User ID (Any EHR)',
		athenahealthUserId: 'athenahealth Username',
		drchronoUserId: 'DrChrono Username',
		fhirUserId: 'FHIR Practitioner',
		tebraUserId: 'Tebra User ID',
		hl7v2UserId: 'HL7 v2 User ID',
	},
};

/** The JSON fields of the form, which arrive as text: a broken one is reported like any other invalid field. */
function parseJsonField(value: unknown, field: string, issues: FieldIssue[]): unknown {
	if (value === undefined || value === null || value === '') return undefined;
	if (typeof value !== 'string') return value;
	try {
		return JSON.parse(value);
	} catch {
		issues.push({ field, message: 'is not valid JSON (check the quotes, commas and brackets)' });
		return undefined;
	}
}

function listOf(value: unknown): string[] {
	if (Array.isArray(value)) return value.map(String);
	if (typeof value !== 'string') return [];
	return value
		.split(/[,\s]+/)
		.map((part) => part.trim())
		.filter(Boolean);
}

/** A list of phone numbers and addresses, one per line or comma-separated (a number may contain spaces). */
function lineList(value: unknown): string[] {
	if (typeof value !== 'string') return [];
	return value
		.split(/[,;\n]+/)
		.map((part) => part.trim())
		.filter(Boolean);
}

/**
 * A profile field as the form calls it: "Send Window Start", "Holidays, entry 2", "Staff Directory, row 2, Email",
 * "(Advanced) Staff Directory JSON, entry 1 (key "care-coordinator"), email". A JSON staff entry is named by its
 * key, a role name such as "care-coordinator".
 */
function labelFor(field: string, staff: unknown): string {
	const segments = field.split('.');
	for (let length = segments.length; length > 0; length--) {
		const label = practiceProfileLabels[segments.slice(0, length).join('.')];
		if (!label) continue;
		const rest = segments.slice(length);
		const parts = [label];
		const rowLabels = practiceProfileRowLabels[segments.slice(0, length).join('.')];
		if (rowLabels && rest.length > 0 && /^\d+$/.test(rest[0])) {
			parts.push(`row ${Number(rest.shift()) + 1}`);
			if (rest.length > 0) parts.push(rowLabels[rest[0]] ?? rest.join('.'));
			return parts.join(', ');
		}
		if (rest.length > 0 && /^\d+$/.test(rest[0])) {
			const index = Number(rest.shift());
			const entry = label === practiceProfileLabels.staff && Array.isArray(staff) ? staff[index] : undefined;
			const key = (entry as { key?: unknown } | undefined)?.key;
			parts.push(`entry ${index + 1}${typeof key === 'string' && key ? ` (key "${key}")` : ''}`);
		}
		if (rest.length > 0) parts.push(rest.join('.'));
		return parts.join(', ');
	}
	return `"${field}"`;
}

function profileError(issues: FieldIssue[], staff: unknown): DomainError {
	const text = issues.map((issue) => `${labelFor(issue.field, staff)} ${issue.message}`).join('; ');
	// The field a node error points at is the form's label too, not the profile's internal path.
	const first = issues[0] ? labelFor(issues[0].field, staff) : undefined;
	return new DomainError(`Practice profile: ${text}`, 'invalid_input', first, issues);
}

interface ProfileLists {
	schedulingLinks: unknown;
	staff: unknown;
	issues: FieldIssue[];
	/** A profile path (`schedulingLinks.lab`, `staff.1.email`) → the form field it came from (a row's, when rows were used). */
	formField: (field: string) => string;
}

/**
 * Scheduling links and staff from their rows, or from the "(Advanced) … JSON" fields when a list has no rows: rows
 * win, so a credential saved before the rows existed keeps its JSON, and the JSON's example default never mixes in.
 */
function profileListsFrom(credential: ICredentialDataDecryptedObject): ProfileLists {
	const issues: FieldIssue[] = [];
	const linkRows = rowsOf<SchedulingLinkRow>(credential.schedulingLinkRows, 'link');
	const staffRows = rowsOf<StaffRow>(credential.staffRows, 'member');
	let schedulingLinks: unknown;
	let rowOfKey: Record<string, number> | undefined;
	if (linkRows.length > 0) {
		const fromRows = schedulingLinksFromRows(linkRows);
		schedulingLinks = fromRows.links;
		rowOfKey = fromRows.rowOfKey;
		issues.push(...fromRows.issues.map((issue) => ({ ...issue, field: `schedulingLinkRows.${issue.field}` })));
	} else {
		schedulingLinks = parseJsonField(credential.schedulingLinks, 'schedulingLinks', issues);
	}
	const staff = staffRows.length > 0 ? staffFromRows(staffRows) : parseJsonField(credential.staff, 'staff', issues);
	const formField = (field: string): string => {
		const [list, entry, ...rest] = field.split('.');
		if (list === 'schedulingLinks' && rowOfKey && entry !== undefined && entry in rowOfKey) return `schedulingLinkRows.${rowOfKey[entry]}.url`;
		if (list === 'staff' && staffRows.length > 0 && entry !== undefined) {
			return rest.length > 0 ? `staffRows.${entry}.${staffRowFieldOf(rest.join('.'))}` : `staffRows.${entry}`;
		}
		return field;
	};
	return { schedulingLinks, staff, issues, formField };
}

/** The string links of a links object, which the placeholder check can read even when the profile is invalid. */
function stringLinks(links: unknown): Record<string, string> {
	if (!links || typeof links !== 'object' || Array.isArray(links)) return {};
	return Object.fromEntries(Object.entries(links).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
}

export interface ProfileCheckOptions {
	/**
	 * Refuse scheduling links on documentation domains (example.org and the like, the form's default): the
	 * credential test does, so a profile cannot be saved as tested with them.
	 */
	refusePlaceholderLinks?: boolean;
}

/**
 * The flat fields of the "Post-Visit Practice Profile" credential → the core's validated PracticeProfile. Every
 * invalid field is reported at once, by its label in the credential form, in plain words.
 */
export function practiceProfileFromCredential(credential: ICredentialDataDecryptedObject, options: ProfileCheckOptions = {}): PracticeProfile {
	const emptyToUndefined = (value: unknown) => (value === '' ? undefined : value);
	const { schedulingLinks, staff, issues: listIssues, formField } = profileListsFrom(credential);
	const parsed = practiceProfileSchema.safeParse({
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
			perNumberPerDay: credential.perNumberPerDay ?? 1,
		},
		schedulingLinks: schedulingLinks ?? {},
		staff: staff ?? [],
		channelOrder: listOf(credential.channelOrder ?? 'sms,email'),
		outreachPaused: credential.outreachPaused === true,
		testModeSendOnlyTo: lineList(credential.testModeSendOnlyTo),
		catchUp: { rule: credential.catchUpRule ?? 'nextAllowed', maxLateHours: credential.catchUpMaxLateHours ?? 24 },
	});
	const issues = [
		...listIssues,
		...(parsed.success ? [] : fieldIssuesOf(parsed.error)),
		...(options.refusePlaceholderLinks ? placeholderLinkIssues(stringLinks(schedulingLinks)) : []),
	].map((issue) => ({ ...issue, field: formField(issue.field) }));
	if (issues.length > 0 || !parsed.success) throw profileError(issues, staff);
	return parsed.data;
}
