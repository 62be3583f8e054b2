import type { ZodError } from 'zod';

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
	) {
		super(message);
		this.name = 'DomainError';
	}
}

/** Turns a zod failure into a DomainError that names the first offending field (never its value). */
export function fromZodError(error: ZodError, what: string): DomainError {
	const issue = error.issues[0];
	const field = issue?.path.join('.') || '(root)';
	return new DomainError(`${what}: "${field}" ${issue?.message ?? 'is invalid'}`, 'invalid_input', field);
}
