import { createSmtpSender, smtpConfigFromCredential, smtpConfigProblem, type SmtpCredentialData } from './email';

/** Same shape as n8n-workflow's INodeCredentialTestResult, so the node layer can return it as is. */
export interface CredentialCheckResult {
	status: 'OK' | 'Error';
	message: string;
}

/** Sender configuration fields → the credential's display names, so the message points at the right box. */
const credentialFieldLabels: Record<string, string> = {
	host: 'Host',
	port: 'Port',
	requireTLS: 'Security',
	ignoreTLS: 'Security',
	'from.address': 'From Email',
	'from.name': 'From Name',
	from: 'From Email',
	replyTo: 'Reply-To',
	user: 'User',
};

/**
 * Tests a Post-Visit SMTP credential the way sending will use it: connect, TLS as configured, log in.
 * Sends nothing. Never throws; a bad field or an unreachable server comes back as status 'Error'.
 */
export async function verifySmtp(data: SmtpCredentialData): Promise<CredentialCheckResult> {
	const config = smtpConfigFromCredential(data);
	const problem = smtpConfigProblem(config);
	if (problem) {
		const field = problem.field ?? '';
		const label = credentialFieldLabels[field] ?? credentialFieldLabels[field.split('.')[0]];
		return { status: 'Error', message: label ? problem.message.replace(`"${field}"`, `"${label}"`) : problem.message };
	}
	const sender = createSmtpSender(config);
	try {
		const result = await sender.verify();
		return result.ok ? { status: 'OK', message: 'Connection successful' } : { status: 'Error', message: result.message };
	} finally {
		sender.close();
	}
}
