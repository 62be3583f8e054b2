import { checkWebhookSecrets } from '../../nodes/shared/ehr/webhookSecrets';

describe('the EHR webhook secret check (credential test)', () => {
	it.each<[string, 'OK' | 'Error', Record<string, unknown>, RegExp]>([
		['a 40-hex secret', 'OK', { secret: 'a'.repeat(40) }, /Verify webhook/],
		['a rotation', 'OK', { secret: 'a'.repeat(40), previousSecret: 'b'.repeat(40) }, /usable/],
		['no secret', 'Error', { secret: '' }, /empty/],
		['a short secret', 'Error', { secret: 'abc123' }, /shorter than 16/],
		['a secret with a trailing space', 'Error', { secret: `${'a'.repeat(40)} ` }, /space/],
		['a short previous secret', 'Error', { secret: 'a'.repeat(40), previousSecret: 'old' }, /Previous Secret is shorter/],
		['previous equal to current', 'Error', { secret: 'a'.repeat(40), previousSecret: 'a'.repeat(40) }, /equals/],
	])('%s → %s', (_label, status, data, message) => {
		const result = checkWebhookSecrets(data);
		expect(result.status).toBe(status);
		expect(result.message).toMatch(message);
		expect(result.message).not.toContain('aaaa');
	});
});
