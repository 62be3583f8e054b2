import { sendWithBackoff, type SendOutcome } from '../../nodes/shared/messaging/outcome';

const sent: SendOutcome = { status: 'sent', providerId: 'SM1', providerStatus: 'queued' };
const rejected: SendOutcome = { status: 'rejected', code: 21610, permanent: true, fallback: 'optOut', message: 'opted out' };
const busy: SendOutcome = { status: 'retryable', code: 20429, httpStatus: 429, uncertain: false, message: 'rate limit' };
const timedOut: SendOutcome = { status: 'retryable', code: 'ECONNABORTED', uncertain: true, message: 'no answer' };

function scripted(outcomes: SendOutcome[]) {
	let calls = 0;
	const send = async () => outcomes[Math.min(calls++, outcomes.length - 1)];
	return { send, calls: () => calls };
}

describe('sendWithBackoff', () => {
	it.each<[string, SendOutcome[], Partial<{ attempts: number; retryUncertain: boolean; maxDelayMs: number }>, string, number, number[]]>([
		['returns a first success at once', [sent], {}, 'sent', 1, []],
		['never retries a permanent rejection', [rejected, sent], {}, 'rejected', 1, []],
		['retries a 429 then succeeds', [busy, sent], {}, 'sent', 2, [100]],
		['backs off exponentially and stops at the attempt limit', [busy, busy, busy, sent], { attempts: 3 }, 'retryable', 3, [100, 200]],
		['caps the wait at maxDelayMs', [busy, busy, busy, busy, sent], { attempts: 5, maxDelayMs: 250 }, 'sent', 5, [100, 200, 250, 250]],
		['does not retry an uncertain outcome by default', [timedOut, sent], {}, 'retryable', 1, []],
		['retries an uncertain outcome when asked', [timedOut, sent], { retryUncertain: true }, 'sent', 2, [100]],
		['treats attempts below one as one', [busy, sent], { attempts: 0 }, 'retryable', 1, []],
	])('%s', async (_label, outcomes, options, status, attempts, waits) => {
		const script = scripted(outcomes);
		const slept: number[] = [];
		const outcome = await sendWithBackoff(script.send, {
			baseDelayMs: 100,
			sleep: async (ms) => {
				slept.push(ms);
			},
			...options,
		});
		expect(outcome.status).toBe(status);
		expect(outcome.attempts).toBe(attempts);
		expect(script.calls()).toBe(attempts);
		expect(slept).toEqual(waits);
	});
});
