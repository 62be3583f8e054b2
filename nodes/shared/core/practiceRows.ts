import type { FieldIssue } from './errors';
import { actionItemTypes } from './schemas';
import type { EhrKind } from './schemas';

/** The order types a scheduling link may be given for; `default` serves every type without its own link. */
export const schedulingLinkKeys = [...actionItemTypes, 'default'] as const;

/** One "Scheduling Links" row of the practice profile form. */
export interface SchedulingLinkRow {
	orderType?: unknown;
	url?: unknown;
}

/** The fields of one "Staff Directory" row. */
export const staffRowFields = [
	'key',
	'name',
	'email',
	'phone',
	'notifyBy',
	'ehrUserId',
	'athenahealthUserId',
	'drchronoUserId',
	'fhirUserId',
	'tebraUserId',
	'hl7v2UserId',
] as const;

/** One "Staff Directory" row of the practice profile form: the per-EHR ids are flat fields of the row. */
export type StaffRow = Partial<Record<(typeof staffRowFields)[number], unknown>>;

/** The row field that holds each EHR's user id. */
export const staffRowEhrFields: Record<EhrKind, string> = {
	athenahealth: 'athenahealthUserId',
	drchrono: 'drchronoUserId',
	fhir: 'fhirUserId',
	tebra: 'tebraUserId',
	hl7v2: 'hl7v2UserId',
};

/** The form hands empty fields over as '' (n8n fills in defaults): they mean "not given". */
function given(value: unknown): unknown {
	if (value === undefined || value === null) return undefined;
	if (typeof value !== 'string') return value;
	const trimmed = value.trim();
	return trimmed === '' ? undefined : trimmed;
}

/**
 * A fixedCollection's rows as n8n stores them, `{ <option name>: [row, …] }`; anything else has none.
 */
export function rowsOf<Row>(collection: unknown, optionName: string): Row[] {
	if (!collection || typeof collection !== 'object') return [];
	const rows = (collection as Record<string, unknown>)[optionName];
	return Array.isArray(rows) ? (rows.filter((row) => row && typeof row === 'object') as Row[]) : [];
}

export interface LinksFromRows {
	links: Record<string, unknown>;
	/** The row (0-based) each order type came from, so a problem with its link names the row. */
	rowOfKey: Record<string, number>;
	/** Problems of the rows themselves, as `<row index>.orderType` / `<row index>.url`. */
	issues: FieldIssue[];
}

/** Scheduling-link rows → the profile's link per order type; an order type given twice is refused, not overwritten. */
export function schedulingLinksFromRows(rows: SchedulingLinkRow[]): LinksFromRows {
	const links: Record<string, unknown> = {};
	const rowOfKey: Record<string, number> = {};
	const issues: FieldIssue[] = [];
	rows.forEach((row, index) => {
		const orderType = given(row.orderType);
		if (typeof orderType !== 'string' || !(schedulingLinkKeys as readonly string[]).includes(orderType)) {
			issues.push({ field: `${index}.orderType`, message: `must be one of: ${schedulingLinkKeys.join(', ')}` });
			return;
		}
		if (orderType in rowOfKey) {
			issues.push({ field: `${index}.orderType`, message: `is already given in row ${rowOfKey[orderType] + 1}` });
			return;
		}
		rowOfKey[orderType] = index;
		links[orderType] = given(row.url) ?? '';
	});
	return { links, rowOfKey, issues };
}

/** Staff rows → staff entries as the profile schema reads them (its issues keep the row's index). */
export function staffFromRows(rows: StaffRow[]): Record<string, unknown>[] {
	return rows.map((row) => {
		const ehrUserIds = Object.fromEntries(
			Object.entries(staffRowEhrFields)
				.map(([ehr, field]) => [ehr, given(row[field as keyof StaffRow])])
				.filter(([, id]) => id !== undefined),
		);
		const entry: Record<string, unknown> = {
			key: given(row.key),
			name: given(row.name),
			ehrUserId: given(row.ehrUserId),
			email: given(row.email),
			phone: given(row.phone),
			notifyBy: given(row.notifyBy),
			ehrUserIds: Object.keys(ehrUserIds).length > 0 ? ehrUserIds : undefined,
		};
		return Object.fromEntries(Object.entries(entry).filter(([, value]) => value !== undefined));
	});
}

/** A staff entry's field path (`email`, `ehrUserIds.fhir`) → the row field that holds it. */
export function staffRowFieldOf(entryPath: string): string {
	const [head, ehr] = entryPath.split('.');
	if (head === 'ehrUserIds' && ehr && ehr in staffRowEhrFields) return staffRowEhrFields[ehr as EhrKind];
	return head;
}

/**
 * Domains kept for documentation, which no practice books on: the shipped default link and examples copied from
 * docs. The `.example` top-level domain is not among them: it cannot resolve, and the sandbox's demo practice
 * uses it on purpose.
 */
const placeholderDomains = ['example.com', 'example.org', 'example.net'];

/** Why a scheduling link cannot be the practice's own booking page, or undefined when it may be. */
export function placeholderLinkProblem(link: string): string | undefined {
	let host: string;
	try {
		// The filled-in ids may sit in the host's place in a template; a URL needs something there.
		host = new URL(link.replace(/\{(orderId|patientId|visitId)\}/g, 'x')).hostname.toLowerCase();
	} catch {
		return 'must be a web address such as https://book.yourpractice.com/schedule?order={orderId}';
	}
	const placeholder = placeholderDomains.find((domain) => host === domain || host.endsWith(`.${domain}`));
	return placeholder ? `is a placeholder address (${placeholder}): give your practice's own booking page` : undefined;
}

/**
 * Every scheduling link that is a placeholder or no web address, as issues on `schedulingLinks.<order type>`. An
 * empty link is left to the profile schema, which says so already.
 */
export function placeholderLinkIssues(links: Record<string, string>): FieldIssue[] {
	return Object.entries(links).flatMap(([orderType, link]) => {
		const problem = link === '' ? undefined : placeholderLinkProblem(link);
		return problem ? [{ field: `schedulingLinks.${orderType}`, message: problem }] : [];
	});
}
