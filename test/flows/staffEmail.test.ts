import { DomainError } from '../../nodes/shared/core/errors';
import { sendStaffEmail, staffRecipients } from '../../nodes/shared/flows/staffEmail';
import type { SendEmail } from '../../nodes/shared/flows/staffEmail';
import type { SendOutcome } from '../../nodes/shared/messaging/outcome';

/** A sender that answers from a list, one outcome per call, and remembers who it was asked to reach. */
function senderAnswering(...outcomes: SendOutcome[]): SendEmail & { asked: string[] } {
	const asked: string[] = [];
	const send = async (to: string) => {
		asked.push(to);
		return outcomes[asked.length - 1] ?? { status: 'sent', providerId: `<${asked.length}@x>`, providerStatus: '250' };
	};
	return Object.assign(send, { asked });
}

const email = { to: 'a@practice.test; b@practice.test', subject: 'Alert', text: 'Body' };

describe('staffRecipients', () => {
	it('reads addresses separated by commas or semicolons, trimmed, blanks skipped', () => {
		expect(staffRecipients(' a@practice.test ,b@practice.test;; c@practice.test ')).toEqual(['a@practice.test', 'b@practice.test', 'c@practice.test']);
	});

	it.each([
		['nothing', '  , ', '"To" needs at least one email address'],
		['a name without an address', 'a@practice.test, Practice Manager', 'Entry 2 of "To" is not an email address'],
	])('refuses %s, naming the field but not the value', (_name, raw, message) => {
		expect(() => staffRecipients(raw)).toThrow(expect.objectContaining({ message, field: 'To' }));
	});
});

describe('sendStaffEmail', () => {
	it('sends to each recipient in order and returns their Message-IDs', async () => {
		const send = senderAnswering();
		await expect(sendStaffEmail(send, email)).resolves.toEqual({ to: ['a@practice.test', 'b@practice.test'], messageIds: ['<1@x>', '<2@x>'] });
		expect(send.asked).toEqual(['a@practice.test', 'b@practice.test']);
	});

	it.each([
		['Subject', { ...email, subject: ' ' }],
		['Text', { ...email, text: '' }],
	])('refuses an empty %s before sending anything', async (field, input) => {
		const send = senderAnswering();
		await expect(sendStaffEmail(send, input)).rejects.toMatchObject({ field });
		expect(send.asked).toEqual([]);
	});

	it('blames the credential, not "To", when the server refuses the practice\'s own set-up', async () => {
		const send = senderAnswering({ status: 'rejected', code: 535, permanent: true, fallback: 'configuration', message: 'The mail server refused the login' });
		const error = await sendStaffEmail(send, email).catch((caught: unknown) => caught);
		expect(error).toBeInstanceOf(DomainError);
		expect(error).toMatchObject({ field: 'Post-Visit SMTP credential', message: 'The email to recipient 1 was refused: The mail server refused the login' });
		expect(send.asked).toEqual(['a@practice.test']);
	});

	it('stops at a failure after the first recipient and says who already has the email, and whether it may have gone out', async () => {
		const sent: SendOutcome = { status: 'sent', providerId: '<1@x>', providerStatus: '250' };
		const uncertain = senderAnswering(sent, { status: 'retryable', code: 'ETIMEDOUT', uncertain: true, message: 'The mail server did not answer' });
		await expect(sendStaffEmail(uncertain, email)).rejects.toThrow(
			'The email to recipient 2 was not sent (ETIMEDOUT): The mail server did not answer; it may have been sent: check the mailbox before retrying the execution (1 of 2 recipients already have it)',
		);
		const refused = senderAnswering(sent, { status: 'retryable', code: 421, uncertain: false, message: 'The mail server is busy' });
		await expect(sendStaffEmail(refused, email)).rejects.toThrow(/retry the execution once the mail server answers again \(1 of 2/);
	});
});
