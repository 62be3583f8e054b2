import { classifySmtpError } from '../../nodes/shared/messaging/email';
import { classifyTwilioError } from '../../nodes/shared/messaging/sms';

/** Errors shaped as the twilio SDK (RestException, axios) and nodemailer produce them. */
describe('classifyTwilioError', () => {
	it.each<[string, object, object]>([
		['RestException 21610', { status: 400, code: 21610 }, { status: 'rejected', fallback: 'optOut' }],
		['RestException 21217', { status: 400, code: 21217 }, { status: 'rejected', fallback: 'invalidAddress' }],
		['RestException 21606 (bad From)', { status: 400, code: 21606 }, { status: 'rejected', fallback: 'configuration' }],
		['RestException 21617 (too long)', { status: 400, code: 21617 }, { status: 'rejected', code: 21617, fallback: 'other' }],
		['a 403 without a known code', { status: 403 }, { status: 'rejected', code: 403, fallback: 'configuration' }],
		['a 404 without a code', { status: 404 }, { status: 'rejected', code: 404, fallback: 'other' }],
		['a 502 from a proxy', { status: 502 }, { status: 'retryable', httpStatus: 502, uncertain: false }],
		['axios ECONNREFUSED', { isAxiosError: true, code: 'ECONNREFUSED' }, { status: 'retryable', uncertain: false }],
		['axios ENOTFOUND', { isAxiosError: true, code: 'ENOTFOUND' }, { status: 'retryable', uncertain: false }],
		['axios ECONNRESET', { isAxiosError: true, code: 'ECONNRESET' }, { status: 'retryable', uncertain: true }],
		['an unknown axios error code', { isAxiosError: true, code: 'ERR_BAD_RESPONSE' }, { status: 'retryable', uncertain: true }],
	])('maps %s', (_label, error, expected) => {
		expect(classifyTwilioError(Object.assign(new Error('Twilio text quoting +15125550199'), error))).toMatchObject(expected);
		expect(JSON.stringify(classifyTwilioError(Object.assign(new Error('+15125550199'), error)))).not.toContain('+1512');
	});

	it.each([[new TypeError('cannot read properties of undefined')], [new Error('Required parameter "params[\'to\']" missing.')]])(
		'rethrows what is not a provider or network error: %s',
		(error) => {
			expect(() => classifyTwilioError(error)).toThrow(error);
		},
	);
});

describe('classifySmtpError', () => {
	it.each<[string, object, object]>([
		[
			'550 on RCPT',
			{ code: 'EENVELOPE', command: 'RCPT TO', responseCode: 550, permanent: true, response: '550 5.1.1 <a@b.org> no' },
			{ status: 'rejected', fallback: 'bounce', message: 'The mail server refused the recipient (550 5.1.1)' },
		],
		[
			'553 on MAIL FROM',
			{ code: 'EENVELOPE', command: 'MAIL FROM', responseCode: 553, permanent: true },
			{ status: 'rejected', fallback: 'configuration' },
		],
		[
			'554 after DATA',
			{ code: 'EMESSAGE', command: 'DATA', responseCode: 554, permanent: true, response: '554 5.7.1 spam' },
			{ status: 'rejected', fallback: 'other', message: 'The mail server refused the message (554 5.7.1)' },
		],
		[
			'503 (bad sequence, not permanent)',
			{ code: 'EPROTOCOL', command: 'DATA', responseCode: 503, permanent: false },
			{ status: 'retryable', uncertain: false },
		],
		[
			'421 closing',
			{ code: 'ECONNECTION', responseCode: 421, permanent: false },
			{ status: 'retryable', code: 421, uncertain: false },
		],
		['ENOAUTH', { code: 'ENOAUTH' }, { status: 'rejected', code: 'ENOAUTH', fallback: 'configuration' }],
		['a greeting timeout', { code: 'ETIMEDOUT', timeoutType: 'GREETING_TIMEOUT' }, { status: 'retryable', uncertain: false }],
		['a socket timeout', { code: 'ETIMEDOUT', timeoutType: 'SOCKET_TIMEOUT' }, { status: 'retryable', uncertain: true }],
		['ETLS', { code: 'ETLS' }, { status: 'retryable', uncertain: false }],
		[
			'EDNS',
			{ code: 'EDNS', originalCode: 'ENOTFOUND' },
			{ status: 'retryable', code: 'ENOTFOUND', uncertain: false },
		],
		[
			'a TLS version mismatch',
			{ code: 'ESOCKET', originalCode: 'ERR_SSL_WRONG_VERSION_NUMBER' },
			{ status: 'retryable', uncertain: false },
		],
		['a connection dropped mid-session', { code: 'ECONNECTION' }, { status: 'retryable', uncertain: true }],
		[
			'ECONNRESET',
			{ code: 'ESOCKET', originalCode: 'ECONNRESET' },
			{ status: 'retryable', code: 'ECONNRESET', uncertain: true },
		],
		['an envelope error without a reply', { code: 'EENVELOPE' }, { status: 'rejected', fallback: 'invalidAddress' }],
	])('maps %s', (_label, error, expected) => {
		const outcome = classifySmtpError(Object.assign(new Error('text quoting <ana@patients.example.org>'), error));
		expect(outcome).toMatchObject(expected);
		expect(JSON.stringify(outcome)).not.toContain('patients.example.org');
	});

	it('rethrows an error nodemailer did not produce', () => {
		const bug = new TypeError('x is not a function');
		expect(() => classifySmtpError(bug)).toThrow(bug);
	});
});
