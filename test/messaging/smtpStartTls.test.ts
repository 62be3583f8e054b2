import { classifySmtpError, createSmtpSender } from '../../nodes/shared/messaging/email';
import { startSmtpSink, type SmtpSink } from '../../sandbox/smtp-sink';

/**
 * A credential that requires STARTTLS against a server that does not offer it: the server answers the STARTTLS
 * command with 500. That is the practice's set-up (every message would fail alike), found by the reliability
 * suite misread as a refusal of one message, so each patient silently fell back to another channel.
 */
describe('a STARTTLS refusal', () => {
	let sink: SmtpSink;

	beforeAll(async () => {
		sink = await startSmtpSink({ disableStartTls: true });
	});

	afterAll(async () => {
		await sink.close();
	});

	it('is a configuration problem that names the setting to fix, not a verdict on the message', async () => {
		const sender = createSmtpSender({ host: '127.0.0.1', port: sink.port, requireTLS: true, from: 'care@riverside.example', timeoutMs: 5000 });
		const outcome = await sender.sendEmail({ to: 'patient@patients.example', subject: 'Your visit', text: 'Hello' });
		sender.close();
		expect(outcome).toMatchObject({ status: 'rejected', fallback: 'configuration', code: 500 });
		expect(outcome.status === 'rejected' && outcome.message).toMatch(/refused STARTTLS .*security/);
		expect(sink.messages).toHaveLength(0);
	});

	it.each<[string, object, object]>([
		['a 454 reply to STARTTLS', { code: 'ETLS', command: 'STARTTLS', responseCode: 454, response: '454 4.7.0 TLS not available' }, { status: 'rejected', fallback: 'configuration', code: 454 }],
		['a failed TLS handshake (no reply code)', { code: 'ETLS', command: 'STARTTLS' }, { status: 'retryable', uncertain: false }],
	])('maps %s', (_label, error, expected) => {
		expect(classifySmtpError(Object.assign(new Error('TLS'), error))).toMatchObject(expected);
	});
});
