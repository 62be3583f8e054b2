import { isLandlineDeliveryCode, needsFollowUp, parseTwilioStatusCallback } from '../../nodes/shared/core/deliveryStatus';
import { DomainError } from '../../nodes/shared/core/errors';

const messageSid = 'SM' + 'a1'.repeat(16);
const callSid = 'CA' + 'b2'.repeat(16);

/** The fields Twilio posts for a message status change (Messaging docs, "status callback parameters"). */
function messageCallback(status: string, extra: Record<string, string> = {}) {
	return {
		AccountSid: 'AC' + '0'.repeat(32),
		ApiVersion: '2010-04-01',
		From: '+15125550199',
		To: '+15125550101',
		MessageSid: messageSid,
		SmsSid: messageSid,
		MessageStatus: status,
		SmsStatus: status,
		...extra,
	};
}

/** The fields of a call's `completed` event callback (Voice docs, StatusCallbackEvent). */
function callCallback(status: string, extra: Record<string, string> = {}) {
	return {
		AccountSid: 'AC' + '0'.repeat(32),
		ApiVersion: '2010-04-01',
		CallSid: callSid,
		CallStatus: status,
		Called: '+15125550101',
		To: '+15125550101',
		From: '+15125550199',
		Direction: 'outbound-api',
		CallbackSource: 'call-progress-events',
		...extra,
	};
}

describe('parseTwilioStatusCallback: messages', () => {
	it.each([
		['queued', false, undefined, undefined],
		['accepted', false, undefined, undefined],
		['sending', false, undefined, undefined],
		['sent', false, undefined, undefined],
		['delivered', true, 'delivered', 'delivered'],
		['read', true, 'delivered', 'read'],
		['canceled', true, 'undelivered', 'canceled'],
	])('%s → final %s, outcome %s, code %s', (status, final, outcome, code) => {
		const report = parseTwilioStatusCallback(messageCallback(status));
		expect(report).toMatchObject({ provider: 'twilio', kind: 'message', providerIds: [messageSid], status, final });
		expect(report.outcome).toBe(outcome);
		expect(report.code).toBe(code);
	});

	it.each([
		['undelivered', '30003'],
		['undelivered', '30006'],
		['failed', '30008'],
	])('%s with ErrorCode %s → undelivered, the error code as the journal code, the recipient kept', (status, errorCode) => {
		const report = parseTwilioStatusCallback(messageCallback(status, { ErrorCode: errorCode }));
		expect(report).toMatchObject({ final: true, outcome: 'undelivered', code: errorCode, status, recipient: '+15125550101' });
	});

	it('falls back to the status as the code when Twilio gives no ErrorCode, and reads the legacy Sms* fields', () => {
		const report = parseTwilioStatusCallback({ SmsSid: messageSid, SmsStatus: 'failed', To: '+15125550101' });
		expect(report).toMatchObject({ outcome: 'undelivered', code: 'failed', providerIds: [messageSid] });
	});
});

describe('parseTwilioStatusCallback: calls', () => {
	it.each([
		['completed', {}, 'answered', 'completed'],
		['completed', { AnsweredBy: 'human' }, 'answered', 'completed'],
		['completed', { AnsweredBy: 'machine_end_beep' }, 'unanswered', 'no-answer'],
		['completed', { AnsweredBy: 'fax' }, 'unanswered', 'no-answer'],
		['busy', {}, 'unanswered', 'busy'],
		['no-answer', {}, 'unanswered', 'no-answer'],
		['failed', {}, 'unanswered', 'failed'],
		['canceled', {}, 'unanswered', 'canceled'],
	])('%s %j → %s (%s)', (status, extra, outcome, code) => {
		const report = parseTwilioStatusCallback(callCallback(status, extra as Record<string, string>));
		expect(report).toMatchObject({ provider: 'twilio', kind: 'call', providerIds: [callSid], final: true, outcome, code });
	});

	it.each(['queued', 'initiated', 'ringing', 'in-progress'])('%s is intermediate', (status) => {
		const report = parseTwilioStatusCallback(callCallback(status));
		expect(report.final).toBe(false);
		expect(report.outcome).toBeUndefined();
	});

	it('keeps the call length and AnsweredBy for the journal', () => {
		const report = parseTwilioStatusCallback(callCallback('completed', { CallDuration: '14', AnsweredBy: 'human' }));
		expect(report).toMatchObject({ durationSeconds: 14, answeredBy: 'human' });
	});
});

describe('parseTwilioStatusCallback: refusals name the field, never a value', () => {
	it.each([
		['no ids at all', { Body: 'hello' }, 'MessageSid'],
		['a message SID without status', { MessageSid: messageSid }, 'MessageStatus'],
		['a call SID without status', { CallSid: callSid }, 'CallStatus'],
		['a malformed message SID', { MessageSid: 'SM123', MessageStatus: 'delivered' }, 'MessageSid'],
		['an unknown message status', { MessageSid: messageSid, MessageStatus: 'vanished' }, 'MessageStatus'],
		['an unknown call status', { CallSid: callSid, CallStatus: 'exploded' }, 'CallStatus'],
	])('%s', (_label, params, field) => {
		let caught: unknown;
		try {
			parseTwilioStatusCallback(params);
		} catch (error) {
			caught = error;
		}
		expect(caught).toBeInstanceOf(DomainError);
		expect((caught as DomainError).field).toBe(field);
		expect((caught as DomainError).message).not.toContain('+1512');
	});
});

describe('isLandlineDeliveryCode', () => {
	it.each([
		['30006', true],
		['30003', false],
		[undefined, false],
	])('%s → %s', (code, expected) => {
		expect(isLandlineDeliveryCode(code)).toBe(expected);
	});
});

describe('needsFollowUp: which final statuses start the Delivery Status workflow', () => {
	it.each([
		['an SMS delivered', messageCallback('delivered'), false],
		['an SMS read', messageCallback('read'), false],
		['an SMS sent (intermediate)', messageCallback('sent'), false],
		['an SMS undelivered', messageCallback('undelivered', { ErrorCode: '30003' }), true],
		['an SMS failed', messageCallback('failed', { ErrorCode: '30008' }), true],
		['an SMS canceled', messageCallback('canceled'), true],
		['a call answered by a person', callCallback('completed'), false],
		['a call ringing (intermediate)', callCallback('ringing'), false],
		['a call taken by an answering machine', callCallback('completed', { AnsweredBy: 'machine_end_beep' }), true],
		['a call busy', callCallback('busy'), true],
		['a call not answered', callCallback('no-answer'), true],
		['a call failed', callCallback('failed'), true],
	])('%s → %s', (_label, params, expected) => {
		expect(needsFollowUp(parseTwilioStatusCallback(params))).toBe(expected);
	});
});
