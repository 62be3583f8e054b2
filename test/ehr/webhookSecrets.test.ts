import { parseNotification } from '../../nodes/shared/ehr/notifications';
import { checkWebhookSecrets, previousSecretDeadline, webhookSecretsAt } from '../../nodes/shared/ehr/webhookSecrets';
import { buildAthenaDelivery } from '../../sandbox/athenahealth-server';

const current = 'c'.repeat(40);
const previous = 'p'.repeat(40);

describe('the EHR webhook secret check (credential test)', () => {
	it.each<[string, 'OK' | 'Error', Record<string, unknown>, RegExp]>([
		['a 40-hex secret', 'OK', { secret: 'a'.repeat(40) }, /Verify webhook/],
		['a rotation with its end date', 'OK', { secret: 'a'.repeat(40), previousSecret: 'b'.repeat(40), previousSecretValidUntil: '2026-12-01T00:00:00' }, /usable/],
		['an end date without a previous secret (ignored)', 'OK', { secret: 'a'.repeat(40), previousSecretValidUntil: '2026-12-01T00:00:00' }, /usable/],
		['no secret', 'Error', { secret: '' }, /empty/],
		['a short secret', 'Error', { secret: 'abc123' }, /shorter than 16/],
		['a secret with a trailing space', 'Error', { secret: `${'a'.repeat(40)} ` }, /space/],
		['a short previous secret', 'Error', { secret: 'a'.repeat(40), previousSecret: 'old' }, /Previous Secret is shorter/],
		['previous equal to current', 'Error', { secret: 'a'.repeat(40), previousSecret: 'a'.repeat(40) }, /equals/],
		['a previous secret without an end date', 'Error', { secret: 'a'.repeat(40), previousSecret: 'b'.repeat(40) }, /Valid Until" is empty/],
		['an end date that is not a date', 'Error', { secret: 'a'.repeat(40), previousSecret: 'b'.repeat(40), previousSecretValidUntil: 'next week' }, /not a date-time/],
	])('%s → %s', (_label, status, data, message) => {
		const result = checkWebhookSecrets(data);
		expect(result.status).toBe(status);
		expect(result.message).toMatch(message);
		expect(result.message).not.toContain('aaaa');
		expect(result.message).not.toContain('bbbb');
	});
});

describe('"Previous Secret Valid Until": which secrets are accepted at a given time', () => {
	it.each<[string, Record<string, unknown>, string, string[], RegExp | undefined]>([
		['no rotation', { secret: current }, '2026-11-30T12:00:00Z', [current], undefined],
		['inside the window', { secret: current, previousSecret: previous, previousSecretValidUntil: '2026-12-01T00:00:00Z' }, '2026-11-30T23:59:59Z', [current, previous], undefined],
		['at the end (exclusive)', { secret: current, previousSecret: previous, previousSecretValidUntil: '2026-12-01T00:00:00Z' }, '2026-12-01T00:00:00Z', [current], /stopped being accepted at 2026-12-01T00:00:00/],
		['after the end', { secret: current, previousSecret: previous, previousSecretValidUntil: '2026-12-01T00:00:00Z' }, '2026-12-02T08:00:00Z', [current], /stopped being accepted/],
		['no end date: fail-closed', { secret: current, previousSecret: previous, previousSecretValidUntil: '' }, '2026-11-30T12:00:00Z', [current], /without a valid/],
		['an unparseable end date: fail-closed', { secret: current, previousSecret: previous, previousSecretValidUntil: 'soon' }, '2026-11-30T12:00:00Z', [current], /without a valid/],
		['an end date without offset is UTC (not the server zone)', { secret: current, previousSecret: previous, previousSecretValidUntil: '2026-12-01T00:00:00' }, '2026-11-30T23:30:00-01:00', [current], /stopped/],
		['an end date with an offset', { secret: current, previousSecret: previous, previousSecretValidUntil: '2026-12-01T00:00:00-05:00' }, '2026-12-01T04:59:00Z', [current, previous], undefined],
		['an end date n8n passes as a Date', { secret: current, previousSecret: previous, previousSecretValidUntil: new Date('2026-12-01T00:00:00Z') }, '2026-11-30T00:00:00Z', [current, previous], undefined],
	])('%s', (_label, credential, now, accepted, refusedReason) => {
		const { secrets, previousRefused } = webhookSecretsAt(credential, now);
		expect([secrets.current, secrets.previous].filter(Boolean)).toEqual(accepted);
		if (refusedReason) expect(previousRefused).toMatch(refusedReason);
		else expect(previousRefused).toBeUndefined();
		// The reason goes to the n8n log: it names the deadline, never a secret.
		expect(previousRefused ?? '').not.toContain('pppp');
	});

	it('refuses a "now" that is not a date-time, naming the field', () => {
		expect(() => webhookSecretsAt({ secret: current, previousSecret: previous, previousSecretValidUntil: '2026-12-01T00:00:00Z' }, 'yesterday')).toThrow(/"now"/);
	});

	it.each([
		['2026-12-01T00:00:00', '2026-12-01T00:00:00.000Z'],
		['2026-12-01T09:30:00+02:00', '2026-12-01T07:30:00.000Z'],
		['2026-12-01', '2026-12-01T00:00:00.000Z'],
	])('reads %s as %s', (value, expected) => {
		expect(previousSecretDeadline(value)?.toUTC().toISO()).toBe(expected);
	});

	it('an athenahealth delivery signed with the previous secret is accepted inside the window and refused (401) after it', () => {
		const delivery = buildAthenaDelivery({
			practiceId: '195900',
			secret: previous,
			events: [{ topic: 'Appointment.check-out', appointmentId: '5001', patientId: '1001', departmentId: '1' }],
		});
		const request = { method: 'POST', headers: delivery.headers, query: {}, rawBody: Buffer.from(delivery.body) };
		const credential = { secret: current, previousSecret: previous, previousSecretValidUntil: '2026-12-01T00:00:00Z' };
		const inside = parseNotification('athenahealth', request, { secrets: webhookSecretsAt(credential, '2026-11-30T10:00:00Z').secrets });
		const after = parseNotification('athenahealth', request, { secrets: webhookSecretsAt(credential, '2026-12-01T10:00:00Z').secrets });
		expect(inside.kind).toBe('events');
		expect(after).toEqual({ kind: 'rejected', status: 401, reason: 'X-Hub-Signature does not match the body' });
	});
});

describe('the 16-character minimum holds at run time, not only in the credential test', () => {
	const at = '2026-11-30T12:00:00Z';
	it.each<[string, Record<string, unknown>, string]>([
		['no secret', { secret: '' }, 'secret'],
		['a short secret', { secret: 'abc123' }, 'secret'],
		['15 characters', { secret: 'x'.repeat(15) }, 'secret'],
		['a short previous secret inside its window', { secret: current, previousSecret: 'old', previousSecretValidUntil: '2026-12-01T00:00:00Z' }, 'previousSecret'],
	])('%s: refused with a DomainError naming the field, never the value', (_label, credential, field) => {
		const error = (() => {
			try {
				webhookSecretsAt(credential, at);
			} catch (caught) {
				return caught as { name?: string; field?: string; message: string };
			}
			return undefined;
		})();
		expect(error).toMatchObject({ name: 'DomainError', code: 'weak_secret', field });
		expect(error?.message).toMatch(/shorter than 16 characters/);
		expect(error?.message).not.toMatch(/abc123|old/);
	});

	it('16 characters are enough, and a short previous secret past its end date is simply not accepted', () => {
		expect(webhookSecretsAt({ secret: 's'.repeat(16) }, at).secrets).toEqual({ current: 's'.repeat(16) });
		const expired = webhookSecretsAt({ secret: current, previousSecret: 'old', previousSecretValidUntil: '2026-11-01T00:00:00Z' }, at);
		expect(expired.secrets).toEqual({ current });
	});
});
