import { dsnReport, parseDsn } from '../../nodes/shared/core/dsn';
import { DomainError } from '../../nodes/shared/core/errors';
import { buildDsn } from '../../sandbox/dsn';

const messageId = '<4f7c2a9e-1b2c-4d5e-8f90-a1b2c3d4e5f6@riverside.example>';
const original = [
	'From: Riverside Family Medicine <care@riverside.example>',
	'To: john.miller@patients.example',
	'Subject: Your visit summary',
	`Message-ID: ${messageId}`,
	'MIME-Version: 1.0',
	'Content-Type: text/plain; charset=utf-8',
	'',
	'Hello John, please book your follow-up visit.',
].join('\r\n');

/** A bounce as Exchange Online words it: no returned headers part, the envelope id and a message/rfc822 copy instead. */
const exchangeStyle = [
	'From: postmaster@outlook.example',
	'To: care@riverside.example',
	'Subject: Undeliverable: Your visit summary',
	'MIME-Version: 1.0',
	'Content-Type: multipart/report; report-type="delivery-status";',
	' boundary="_000_exch_"',
	'',
	'--_000_exch_',
	'Content-Type: multipart/alternative; boundary="_inner_"',
	'',
	'--_inner_',
	'Content-Type: text/plain; charset="us-ascii"',
	'',
	'Delivery has failed to these recipients or groups.',
	'--_inner_--',
	'',
	'--_000_exch_',
	'Content-Type: message/delivery-status',
	'Content-Transfer-Encoding: base64',
	'',
	Buffer.from(
		'Reporting-MTA: dns;BN8PR.outlook.example\r\nOriginal-Envelope-Id: 4f7c2a9e-1b2c-4d5e-8f90-a1b2c3d4e5f6@riverside.example\r\n\r\n' +
			'Final-Recipient: rfc822;someone@outlook.example\r\nAction: failed\r\nStatus: 5.2.2\r\nDiagnostic-Code: smtp;554 5.2.2 mailbox full; STOREDRV.Deliver.Exception:QuotaExceededException\r\n',
	).toString('base64'),
	'',
	'--_000_exch_',
	'Content-Type: message/rfc822',
	'',
	original,
	'',
	'--_000_exch_--',
	'',
].join('\r\n');

describe('parseDsn', () => {
	it('reads a Postfix bounce: recipient, action, status, diagnostic codes without the text, returned Message-ID', () => {
		const dsn = parseDsn(buildDsn({ recipient: 'john.miller@patients.example', original: { raw: original }, to: 'care@riverside.example' }));
		expect(dsn).toEqual({
			reportingMta: 'mx.patients.example',
			returnedMessageId: messageId,
			recipients: [
				{
					finalRecipient: 'john.miller@patients.example',
					originalRecipient: 'john.miller@patients.example',
					action: 'failed',
					status: '5.1.1',
					diagnosticCode: 'smtp; 550 5.1.1',
				},
			],
		});
	});

	it.each([
		['the whole message', (raw: string) => raw],
		['only its body, as IMAP BODY[TEXT] (Email Trigger "RAW") gives it', (raw: string) => raw.slice(raw.indexOf('\r\n\r\n') + 4)],
		['base64url of the whole message', (raw: string) => Buffer.from(raw).toString('base64url')],
		['LF line endings', (raw: string) => raw.replace(/\r\n/g, '\n')],
	])('finds the report in %s', (_label, form) => {
		const raw = buildDsn({ recipient: 'john.miller@patients.example', original: { raw: original }, to: 'care@riverside.example', envelopeId: 'env+2Dpart' });
		const dsn = parseDsn(form(raw));
		expect(dsn.recipients[0]).toMatchObject({ action: 'failed', status: '5.1.1', finalRecipient: 'john.miller@patients.example' });
		expect(dsn.returnedMessageId).toBe(messageId);
		// RFC 3461 xtext: "+2D" is "-".
		expect(dsn.originalEnvelopeId).toBe('env-part');
	});

	it('reads an Exchange-style bounce: nested multipart, base64 status part, message/rfc822 copy', () => {
		const dsn = parseDsn(exchangeStyle);
		expect(dsn.originalEnvelopeId).toBe('4f7c2a9e-1b2c-4d5e-8f90-a1b2c3d4e5f6@riverside.example');
		expect(dsn.returnedMessageId).toBe(messageId);
		expect(dsn.recipients).toEqual([
			{ finalRecipient: 'someone@outlook.example', action: 'failed', status: '5.2.2', diagnosticCode: 'smtp; 554 5.2.2' },
		]);
	});

	it.each([
		['an out-of-office reply', 'From: john@patients.example\r\nSubject: Out of office\r\nContent-Type: text/plain\r\n\r\nI am away until Monday.', 'not_a_dsn'],
		['an empty string', '', 'invalid_input'],
		['a report without recipients', 'Content-Type: multipart/report; boundary=b\r\n\r\n--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx\r\n\r\n--b--\r\n', 'not_a_dsn'],
	])('refuses %s, naming the field "message"', (_label, raw, code) => {
		let caught: unknown;
		try {
			parseDsn(raw);
		} catch (error) {
			caught = error;
		}
		expect(caught).toBeInstanceOf(DomainError);
		expect(caught).toMatchObject({ code, field: 'message' });
	});
});

describe('dsnReport', () => {
	it('reports a failure as undelivered with the DSN status as the code, every id that may name the email', () => {
		const dsn = parseDsn(buildDsn({ recipient: 'john.miller@patients.example', original: { raw: original }, to: 'care@riverside.example', envelopeId: 'env-1@riverside.example' }));
		expect(dsnReport(dsn)).toEqual({
			provider: 'smtp',
			kind: 'email',
			providerIds: ['<env-1@riverside.example>', 'env-1@riverside.example', messageId, messageId.slice(1, -1)],
			status: 'failed',
			final: true,
			outcome: 'undelivered',
			code: '5.1.1',
			recipient: 'john.miller@patients.example',
		});
	});

	it.each([
		['delayed', false, undefined, undefined],
		['delivered', true, 'delivered', 'delivered'],
	] as const)('%s → final %s, outcome %s', (action, final, outcome, code) => {
		const report = dsnReport(parseDsn(buildDsn({ recipient: 'a@b.example', original: { messageId }, to: 'care@riverside.example', action, status: action === 'delayed' ? '4.4.1' : '2.0.0' })));
		expect(report.final).toBe(final);
		expect(report.outcome).toBe(outcome);
		expect(report.code).toBe(code);
	});

	it('picks the failed recipient of a report that also names a delayed one', () => {
		const raw = buildDsn({ recipient: 'late@b.example', original: { messageId }, to: 'x@y.example', action: 'delayed' }).replace(
			'Action: delayed',
			'Action: delayed\r\nStatus: 4.4.1\r\n\r\nFinal-Recipient: rfc822; gone@b.example\r\nAction: failed',
		);
		const report = dsnReport(parseDsn(raw));
		expect(report).toMatchObject({ outcome: 'undelivered', recipient: 'gone@b.example' });
	});
});
