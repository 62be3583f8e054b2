import { z } from 'zod';
import type { ZodError, ZodIssue } from 'zod';

/**
 * An error of the domain: bad input or configuration that a person must fix.
 * `field` names the offending field (dotted path) so the n8n layer can point at it.
 * Messages never carry PHI: they name fields and codes, not values.
 */
export class DomainError extends Error {
	constructor(
		message: string,
		readonly code: string,
		readonly field?: string,
		/** Every invalid field when there are several (a form checked at once), the first one also in `field`. */
		readonly issues?: FieldIssue[],
	) {
		super(message);
		this.name = 'DomainError';
	}
}

/** One invalid field: its dotted path and what is wrong with it, in plain words (never its value). */
export interface FieldIssue {
	field: string;
	message: string;
}

const typeWords: Record<string, string> = {
	string: 'text',
	number: 'a number',
	integer: 'a whole number',
	boolean: 'true or false',
	array: 'a list',
	object: 'a set of named values (an object)',
	date: 'a date',
};

type SizeIssue = Extract<ZodIssue, { code: 'too_small' | 'too_big' }>;

function sizeWords(issue: SizeIssue, bound: number | bigint, least: boolean): string {
	const limit = `${least ? 'at least' : 'at most'} ${String(bound)}`;
	const atLeastOne = least && Number(bound) === 1;
	if (issue.type === 'string') return atLeastOne ? 'must not be empty' : `must be ${limit} characters long`;
	if (issue.type === 'array' || issue.type === 'set') return atLeastOne ? 'must list at least one entry' : `must list ${limit} entries`;
	if (!issue.inclusive) return `must be ${least ? 'more' : 'less'} than ${String(bound)}`;
	return `must be ${limit}`;
}

const stringFormatWords: Record<string, string> = {
	email: 'must be an email address',
	url: 'must be a web address such as https://example.org',
	regex: 'is not in the expected format',
	datetime: 'must be a date and time such as 2026-12-08T09:00:00Z',
	date: 'must be a date such as 2026-12-08',
	time: 'must be a time such as 09:00',
};

/** What zod found wrong, in words an ops person reads; a message the schema wrote itself is kept as it is. */
export function plainIssueMessage(issue: ZodIssue): string {
	const zodDefault = z.defaultErrorMap(issue, { defaultError: '', data: undefined }).message;
	if (issue.message !== zodDefault) return issue.message;
	switch (issue.code) {
		case 'invalid_type':
			if (issue.received === 'undefined' || issue.received === 'null') return 'is missing';
			return `must be ${typeWords[issue.expected] ?? issue.expected}`;
		case 'invalid_enum_value':
		case 'invalid_union_discriminator':
			return `must be one of: ${issue.options.map(String).join(', ')}`;
		case 'invalid_literal':
			return `must be ${JSON.stringify(issue.expected)}`;
		case 'unrecognized_keys':
			return `has entries this form does not know: ${issue.keys.join(', ')}`;
		case 'too_small':
			return sizeWords(issue, issue.minimum, true);
		case 'too_big':
			return sizeWords(issue, issue.maximum, false);
		case 'invalid_string':
			if (typeof issue.validation !== 'string') return 'is not in the expected format';
			return stringFormatWords[issue.validation] ?? `must be a valid ${issue.validation}`;
		case 'not_multiple_of':
			return `must be a multiple of ${String(issue.multipleOf)}`;
		case 'invalid_date':
			return 'must be a date';
		default:
			return 'is not valid';
	}
}

/** The issues of a zod failure, one per field and complaint, in plain words. */
export function fieldIssuesOf(error: ZodError): FieldIssue[] {
	const seen = new Set<string>();
	const issues: FieldIssue[] = [];
	for (const issue of error.issues) {
		const field = issue.path.join('.') || '(root)';
		const message = plainIssueMessage(issue);
		if (seen.has(`${field}\u0000${message}`)) continue;
		seen.add(`${field}\u0000${message}`);
		issues.push({ field, message });
	}
	return issues;
}

/**
 * Turns a zod failure into a DomainError that names every offending field (never a value), each as `labelOf`
 * calls it (default: the quoted dotted path); `field` is the first one's path.
 */
export function fromZodError(
	error: ZodError,
	what: string,
	labelOf: (field: string) => string = (field) => `"${field}"`,
): DomainError {
	const issues = fieldIssuesOf(error);
	const text = issues.map((issue) => `${labelOf(issue.field)} ${issue.message}`).join('; ');
	return new DomainError(`${what}: ${text || 'is invalid'}`, 'invalid_input', issues[0]?.field ?? '(root)', issues);
}
