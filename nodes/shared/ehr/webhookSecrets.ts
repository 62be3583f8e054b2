/** What n8n's credential test expects back (INodeCredentialTestResult), without importing n8n here. */
export interface SecretCheckResult {
	status: 'OK' | 'Error';
	message: string;
}

const minimumLength = 16;

/**
 * Checks an EHR webhook secret locally: no EHR offers an API to confirm one, so the check is that the secrets
 * are usable (long enough, no stray spaces, previous ≠ current), and the message says how to finish the
 * check at the EHR (DrChrono's "Verify webhook", a test delivery elsewhere). Messages never echo a secret.
 */
export function checkWebhookSecrets(credential: { secret?: unknown; previousSecret?: unknown }): SecretCheckResult {
	const current = typeof credential.secret === 'string' ? credential.secret : '';
	const previous = typeof credential.previousSecret === 'string' ? credential.previousSecret : '';
	if (!current) return { status: 'Error', message: 'Secret is empty: paste the secret the EHR signs or tags its deliveries with' };
	for (const [label, value] of [
		['Secret', current],
		['Previous Secret', previous],
	] as const) {
		if (value && value !== value.trim()) {
			return { status: 'Error', message: `${label} starts or ends with a space: the EHR compares it exactly` };
		}
		if (value && value.length < minimumLength) {
			return {
				status: 'Error',
				message: `${label} is shorter than ${minimumLength} characters: use a high-entropy value, e.g. 40 hex characters`,
			};
		}
	}
	if (previous && previous === current) {
		return { status: 'Error', message: 'Previous Secret equals Secret: clear it, or enter the old secret' };
	}
	return {
		status: 'OK',
		message:
			'The secret is usable. The EHR cannot be asked to confirm it from here: publish the workflow, then send a test delivery (DrChrono: "Verify webhook")',
	};
}
