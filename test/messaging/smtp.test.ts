import { DomainError } from '../../nodes/shared/core/errors';
import { verifySmtp } from '../../nodes/shared/messaging/credentialTests';
import {
	createSmtpSender,
	smtpConfigFromCredential,
	type SmtpCredentialData,
	type SmtpSenderConfig,
} from '../../nodes/shared/messaging/email';
import type { SendOutcome } from '../../nodes/shared/messaging/outcome';
import { parseMessage, startSmtpSink, type SmtpSink } from '../../sandbox/smtp-sink';
import { closedPort } from '../helpers/net';

const user = 'practice-mailer';
const password = 'sink-password-0001';
const patientEmail = 'ana.garcia@patients.example.org';
const bouncing = 'gone@patients.example.org';
const deferred = 'busy@patients.example.org';
const silent = 'silent@patients.example.org';
const email = {
	to: patientEmail,
	subject: 'Resumen de su visita — Clínica Río',
	text: 'Hola Ana,\nsu resumen está listo: https://example.org/s/abc\n' + 'Línea larga '.repeat(12),
	html: '<p>Hola Ana,</p><p>su resumen está listo: <a href="https://example.org/s/abc">ver</a></p>',
};

let starttlsSink: SmtpSink;
let tlsSink: SmtpSink;
let plainSink: SmtpSink;

beforeAll(async () => {
	const recipients = { [bouncing]: 'bounce', [deferred]: 'defer', [silent]: 'hangAfterData' } as const;
	[starttlsSink, tlsSink, plainSink] = await Promise.all([
		startSmtpSink({ authOptional: false, users: { [user]: password }, recipients }),
		startSmtpSink({ secure: true, authOptional: false, users: { [user]: password } }),
		startSmtpSink({ disableStartTls: true, recipients }),
	]);
});
afterAll(async () => {
	await Promise.all([starttlsSink.close(), tlsSink.close(), plainSink.close()]);
});
beforeEach(() => {
	for (const sink of [starttlsSink, tlsSink, plainSink]) sink.reset();
});

function starttlsConfig(overrides: Partial<SmtpSenderConfig> = {}): SmtpSenderConfig {
	return {
		host: starttlsSink.host,
		port: starttlsSink.port,
		requireTLS: true,
		allowInvalidCertificates: true,
		user,
		password,
		from: { name: 'Clínica Río', address: 'care@clinic.example.org' },
		replyTo: 'frontdesk@clinic.example.org',
		timeoutMs: 5000,
		...overrides,
	};
}

function expectNoPhi(outcome: SendOutcome): void {
	const json = JSON.stringify(outcome);
	for (const fragment of [patientEmail, bouncing, deferred, silent, 'patients.example.org', 'Ana', password]) {
		expect(json).not.toContain(fragment);
	}
}

describe('sendEmail through real nodemailer into the smtp-sink', () => {
	it('delivers over STARTTLS with a login: subject, text and html arrive', async () => {
		const sender = createSmtpSender(starttlsConfig());
		const outcome = await sender.sendEmail(email);
		sender.close();

		expect(outcome).toEqual({ status: 'sent', providerId: expect.stringMatching(/^<.+@clinic\.example\.org>$/), providerStatus: '250' });
		expect(starttlsSink.messages).toHaveLength(1);
		const received = starttlsSink.messages[0];
		expect(received).toMatchObject({
			from: 'care@clinic.example.org',
			to: [patientEmail],
			subject: email.subject,
			text: email.text,
			html: email.html,
			secure: true,
			user,
			messageId: outcome.status === 'sent' ? outcome.providerId : '',
		});
		expect(received.headers['reply-to']).toBe('frontdesk@clinic.example.org');
		expect(received.headers.from).toBe('Clínica Río <care@clinic.example.org>');
		expect(typeof received.receivedAt).toBe('number');
	});

	it('delivers over implicit TLS', async () => {
		const sender = createSmtpSender(starttlsConfig({ host: tlsSink.host, port: tlsSink.port, secure: true, requireTLS: false }));
		const outcome = await sender.sendEmail({ to: patientEmail, subject: 'Plain subject', text: 'Only text' });
		sender.close();

		expect(outcome.status).toBe('sent');
		expect(tlsSink.messages[0]).toMatchObject({ subject: 'Plain subject', text: 'Only text', secure: true });
		expect(tlsSink.messages[0].html).toBeUndefined();
	});

	it('delivers in plain text when security is none', async () => {
		const sender = createSmtpSender(
			smtpConfigFromCredential({ host: plainSink.host, port: plainSink.port, security: 'none', fromEmail: 'care@clinic.example.org' }),
		);
		const outcome = await sender.sendEmail(email);
		sender.close();

		expect(outcome.status).toBe('sent');
		expect(plainSink.messages[0]).toMatchObject({ subject: email.subject, secure: false, user: undefined });
	});

	it.each([
		['a 550 on RCPT', bouncing, { status: 'rejected', code: 550, permanent: true, fallback: 'bounce', message: 'The mail server refused the recipient (550 5.1.1)' }],
		['a 451 on RCPT', deferred, { status: 'retryable', code: 451, uncertain: false, message: 'The mail server deferred the message (451 4.3.0)' }],
	])('classifies %s', async (_label, to, expected) => {
		const sender = createSmtpSender(starttlsConfig());
		const outcome = await sender.sendEmail({ ...email, to });
		sender.close();

		expect(outcome).toEqual(expected);
		expectNoPhi(outcome);
		expect(starttlsSink.messages).toHaveLength(0);
	});

	it('reports a server that goes silent after the message as retryable and uncertain', async () => {
		const sender = createSmtpSender(starttlsConfig({ timeoutMs: 400 }));
		const outcome = await sender.sendEmail({ ...email, to: silent });
		sender.close();

		expect(outcome).toMatchObject({ status: 'retryable', code: 'ETIMEDOUT', uncertain: true });
		expectNoPhi(outcome);
	});

	it('reports a refused connection as retryable and certain', async () => {
		const sender = createSmtpSender(starttlsConfig({ port: await closedPort() }));
		const outcome = await sender.sendEmail(email);
		sender.close();

		expect(outcome).toMatchObject({ status: 'retryable', code: 'ECONNREFUSED', uncertain: false });
	});

	it('reports an untrusted certificate as retryable and certain (nothing was sent)', async () => {
		const sender = createSmtpSender(starttlsConfig({ allowInvalidCertificates: false }));
		const outcome = await sender.sendEmail(email);
		sender.close();

		expect(outcome).toMatchObject({ status: 'retryable', code: expect.stringMatching(/CERT/), uncertain: false });
		expect(starttlsSink.messages).toHaveLength(0);
	});

	it.each<[string, Partial<SmtpSenderConfig>, number]>([
		['a wrong password', { password: 'wrong-password' }, 535],
		['no login where one is required', { user: undefined, password: undefined }, 530],
	])('flags %s as a configuration problem', async (_label, overrides, code) => {
		const sender = createSmtpSender(starttlsConfig(overrides));
		const outcome = await sender.sendEmail(email);
		sender.close();

		expect(outcome).toMatchObject({ status: 'rejected', code, permanent: true, fallback: 'configuration' });
		expect(JSON.stringify(outcome)).not.toContain('wrong-password');
	});

	it('rejects a malformed address without connecting', async () => {
		const sender = createSmtpSender(starttlsConfig());
		const outcome = await sender.sendEmail({ ...email, to: 'ana.garcia at patients' });
		sender.close();

		expect(outcome).toMatchObject({ status: 'rejected', code: 'invalidTo', fallback: 'invalidAddress' });
		expectNoPhi(outcome);
	});

	it.each<[string, Partial<SmtpSenderConfig>, string]>([
		['an empty host', { host: '' }, 'host'],
		['a port out of range', { port: 70000 }, 'port'],
		['a From that is not an address', { from: 'care desk' }, 'from'],
		['STARTTLS both required and ignored', { ignoreTLS: true }, 'requireTLS'],
	])('refuses %s, naming the field', (_label, overrides, field) => {
		expect(() => createSmtpSender(starttlsConfig(overrides))).toThrow(
			expect.objectContaining({ name: 'DomainError', field }) as unknown as DomainError,
		);
	});
});

describe('verify and the credential test', () => {
	const credential = (overrides: Partial<SmtpCredentialData> = {}): SmtpCredentialData => ({
		host: starttlsSink.host,
		port: starttlsSink.port,
		security: 'starttls',
		ignoreSslIssues: true,
		user,
		password,
		fromEmail: 'care@clinic.example.org',
		fromName: 'Clínica Río',
		...overrides,
	});

	it('verify() logs in without sending anything', async () => {
		const sender = createSmtpSender(starttlsConfig());
		await expect(sender.verify()).resolves.toEqual({ ok: true });
		sender.close();
		expect(starttlsSink.messages).toHaveLength(0);
	});

	it.each<[string, () => Promise<Partial<SmtpCredentialData>>, RegExp]>([
		['works', async () => ({}), /^Connection successful$/],
		['has a wrong password', async () => ({ password: 'wrong-password' }), /refused the user name or password/],
		['points at a closed port', async () => ({ port: await closedPort() }), /Nothing accepts connections/],
		['does not trust the certificate', async () => ({ ignoreSslIssues: false }), /certificate .* is not trusted/],
		['uses TLS on a STARTTLS port', async () => ({ security: 'tls' }), /TLS failed .* \(TLS on 465, STARTTLS on 587\)/],
		['has no From email', async () => ({ fromEmail: '' }), /"From Email" must be an email address/],
	])('verifySmtp reports a credential that %s', async (_label, overrides, message) => {
		const result = await verifySmtp(credential(await overrides()));
		expect(result.status).toBe(message.source.startsWith('^Connection') ? 'OK' : 'Error');
		expect(result.message).toMatch(message);
		expect(result.message).not.toContain('wrong-password');
	});

	it('maps the credential security options', () => {
		const base = { host: 'smtp.example.org', port: 587, fromEmail: 'care@clinic.example.org' };
		expect(
			(['starttls', 'tls', 'none'] as const).map((security) => {
				const { secure, requireTLS, ignoreTLS } = smtpConfigFromCredential({ ...base, security });
				return { secure, requireTLS, ignoreTLS };
			}),
		).toEqual([
			{ secure: false, requireTLS: true, ignoreTLS: false },
			{ secure: true, requireTLS: false, ignoreTLS: false },
			{ secure: false, requireTLS: false, ignoreTLS: true },
		]);
	});
});

describe('the sink message reader', () => {
	it.each([
		[
			'base64 text and a B-encoded subject',
			[
				'Subject: =?UTF-8?B?' + Buffer.from('Cita mañana').toString('base64') + '?=',
				'Content-Type: text/plain; charset=UTF-8',
				'Content-Transfer-Encoding: base64',
				'',
				Buffer.from('Recuerde su cita de mañana.').toString('base64'),
			].join('\r\n'),
			{ subject: 'Cita mañana', text: 'Recuerde su cita de mañana.', html: undefined },
		],
		[
			'quoted-printable latin1 and adjacent encoded words',
			[
				'Subject: =?ISO-8859-1?Q?Cl=EDnica?= =?UTF-8?Q?_R=C3=ADo?=',
				'Content-Type: text/plain; charset="iso-8859-1"',
				'Content-Transfer-Encoding: quoted-printable',
				'',
				'Cl=EDnica R=EDo, l=EDnea larga =',
				'partida.',
			].join('\r\n'),
			{ subject: 'Clínica Río', text: 'Clínica Río, línea larga partida.', html: undefined },
		],
		[
			'nested multipart with an attachment',
			[
				'Subject: Nested',
				'Content-Type: multipart/mixed; boundary=outer',
				'',
				'--outer',
				'Content-Type: multipart/alternative; boundary="inner"',
				'',
				'--inner',
				'Content-Type: text/plain',
				'',
				'plain part',
				'--inner',
				'Content-Type: text/html',
				'',
				'<b>html part</b>',
				'--inner--',
				'--outer',
				'Content-Type: text/plain; name=notes.txt',
				'Content-Disposition: attachment; filename=notes.txt',
				'',
				'attachment text',
				'--outer--',
			].join('\r\n'),
			{ subject: 'Nested', text: 'plain part', html: '<b>html part</b>' },
		],
	])('reads %s', (_label, raw, expected) => {
		const parsed = parseMessage(Buffer.from(raw, 'utf8').toString('latin1'));
		expect({ subject: parsed.subject, text: parsed.text, html: parsed.html }).toEqual(expected);
	});
});
