import { z } from 'zod';

import { DomainError, fromZodError } from '../../nodes/shared/core/errors';

/** What a schema finds wrong with an input, as fromZodError words it. */
function complaint(schema: z.ZodTypeAny, input: unknown): string {
	const result = schema.safeParse(input);
	if (result.success) throw new Error('the input was valid');
	return fromZodError(result.error, 'Form').message;
}

describe('fromZodError: every invalid field at once, in plain words, never the value', () => {
	it.each<[string, z.ZodTypeAny, unknown, string]>([
		['a missing field', z.object({ name: z.string() }), {}, 'Form: "name" is missing'],
		['an empty text', z.object({ name: z.string().min(1) }), { name: '' }, 'Form: "name" must not be empty'],
		['a text too short', z.object({ phone: z.string().min(7) }), { phone: '555' }, 'Form: "phone" must be at least 7 characters long'],
		['a text too long', z.object({ name: z.string().max(3) }), { name: 'Riverside' }, 'Form: "name" must be at most 3 characters long'],
		['a number too big', z.object({ caps: z.number().max(5) }), { caps: 9 }, 'Form: "caps" must be at most 5'],
		['not a whole number', z.object({ caps: z.number().int() }), { caps: 1.5 }, 'Form: "caps" must be a whole number'],
		['text for a number', z.object({ caps: z.number() }), { caps: 'two' }, 'Form: "caps" must be a number'],
		['a value not on the list', z.object({ notifyBy: z.enum(['email', 'sms']) }), { notifyBy: 'pager-555-0100' }, 'Form: "notifyBy" must be one of: email, sms'],
		['not an email address', z.object({ email: z.string().email() }), { email: 'maria-at-example' }, 'Form: "email" must be an email address'],
		['not a web address', z.object({ link: z.string().url() }), { link: 'book here' }, 'Form: "link" must be a web address such as https://example.org'],
		['a format the schema words itself', z.object({ at: z.string().regex(/^\d\d:\d\d$/, 'must be a time HH:mm') }), { at: '9am' }, 'Form: "at" must be a time HH:mm'],
		['a format without words', z.object({ code: z.string().regex(/^[A-Z]+$/) }), { code: 'abc' }, 'Form: "code" is not in the expected format'],
		['an entry of a list', z.object({ days: z.array(z.enum(['mon', 'tue'])) }), { days: ['mon', 'someday'] }, 'Form: "days.1" must be one of: mon, tue'],
		['an unknown entry', z.object({ ids: z.object({ fhir: z.string() }).partial().strict() }), { ids: { epic: 'x' } }, 'Form: "ids" has entries this form does not know: epic'],
		['an empty list', z.object({ days: z.array(z.string()).min(1) }), { days: [] }, 'Form: "days" must list at least one entry'],
		['a list too short', z.object({ days: z.array(z.string()).min(2) }), { days: ['mon'] }, 'Form: "days" must list at least 2 entries'],
		['a list too long', z.object({ days: z.array(z.string()).max(1) }), { days: ['mon', 'tue'] }, 'Form: "days" must list at most 1 entries'],
		['a number not above a bound', z.object({ rate: z.number().positive() }), { rate: 0 }, 'Form: "rate" must be more than 0'],
		['a number not below a bound', z.object({ rate: z.number().lt(5) }), { rate: 5 }, 'Form: "rate" must be less than 5'],
		['a number too small', z.object({ caps: z.number().min(1) }), { caps: 0 }, 'Form: "caps" must be at least 1'],
		['a wrong literal', z.object({ backend: z.literal('sqlite') }), { backend: 'mysql' }, 'Form: "backend" must be "sqlite"'],
		['a wrong kind', z.object({ store: z.discriminatedUnion('backend', [z.object({ backend: z.literal('sqlite') }), z.object({ backend: z.literal('postgres') })]) }), { store: { backend: 'mysql' } }, 'Form: "store.backend" must be one of: sqlite, postgres'],
		['a null for a text', z.object({ name: z.string() }), { name: null }, 'Form: "name" is missing'],
		['a list for a text', z.object({ name: z.string() }), { name: [] }, 'Form: "name" must be text'],
		['an unknown type word', z.object({ when: z.bigint() }), { when: 'soon' }, 'Form: "when" must be bigint'],
		['not a multiple', z.object({ step: z.number().multipleOf(5) }), { step: 7 }, 'Form: "step" must be a multiple of 5'],
		['not a date', z.object({ day: z.date() }), { day: new Date('not a date') }, 'Form: "day" must be a date'],
		['a date-time format', z.object({ at: z.string().datetime() }), { at: 'tomorrow' }, 'Form: "at" must be a date and time such as 2026-12-08T09:00:00Z'],
		['a format zod checks by start', z.object({ link: z.string().startsWith('https://') }), { link: 'http://x' }, 'Form: "link" is not in the expected format'],
		['a custom check without words', z.object({ n: z.number().refine(() => false) }), { n: 1 }, 'Form: "n" is not valid'],
		['the whole input', z.string(), 42, 'Form: "(root)" must be text'],
	])('%s', (_case, schema, input, message) => {
		expect(complaint(schema, input)).toBe(message);
	});

	it('lists every invalid field, names the first in `field` and keeps each in `issues`', () => {
		const schema = z.object({ name: z.string().min(1), email: z.string().email(), caps: z.number().max(5) });
		const result = schema.safeParse({ name: '', email: 'nope', caps: 6 });
		if (result.success) throw new Error('the input was valid');
		const error = fromZodError(result.error, 'Form', (field) => field.toUpperCase());
		expect(error).toBeInstanceOf(DomainError);
		expect(error.message).toBe('Form: NAME must not be empty; EMAIL must be an email address; CAPS must be at most 5');
		expect(error.field).toBe('name');
		expect(error.issues).toEqual([
			{ field: 'name', message: 'must not be empty' },
			{ field: 'email', message: 'must be an email address' },
			{ field: 'caps', message: 'must be at most 5' },
		]);
		expect(error.message).not.toContain('nope');
	});
});
