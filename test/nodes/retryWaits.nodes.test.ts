import { sleep } from 'n8n-workflow';

import { BookingCheck } from '../../nodes/BookingCheck/BookingCheck.node';
import { ehrRetryPolicy, sendBackoff, tebraRetry } from '../../nodes/shared/n8n/retry';
import { useEhrSandboxes } from '../helpers/ehrSandboxes';
import { loadNodeOptions, single } from '../helpers/engine';
import { packCredentialTypes } from '../helpers/fixtures';

/*
 * Inside n8n, a retry waits through n8n-workflow's sleep, handed down to the EHR adapters and the senders as their
 * RetryPolicy / backoff `sleep` (the layers below n8n import nothing of n8n). Here n8n-workflow's sleep is a mock
 * that returns at once and records the wait it was asked for.
 */
jest.mock('n8n-workflow', () => {
	const actual = jest.requireActual<typeof import('n8n-workflow')>('n8n-workflow');
	return { ...actual, sleep: jest.fn(async () => undefined) };
});

const sandbox = useEhrSandboxes();
const waits = sleep as jest.MockedFunction<typeof sleep>;

beforeEach(() => waits.mockClear());

it('the EHR, Tebra and send retry policies wait through n8n-workflow\'s sleep', () => {
	expect(ehrRetryPolicy.sleep).toBe(sleep);
	expect(tebraRetry.sleep).toBe(sleep);
	expect(sendBackoff.sleep).toBe(sleep);
});

it('a node whose EHR answers 429 waits the Retry-After through n8n, then gets its answer', async () => {
	sandbox.athena.injectFault({ path: '/appointmenttypes', status: 429, retryAfter: '3' });
	const options = await loadNodeOptions(
		single('Booking Check', 'bookingCheck', { ehr: 'athenahealth' }, [], { typeVersion: 1.1 }),
		{ nodeTypes: { bookingCheck: new BookingCheck() }, credentials: sandbox.credentials('athenahealth'), credentialTypes: packCredentialTypes() },
		'Booking Check',
		'ehrAppointmentTypes',
	);
	expect(options.length).toBeGreaterThan(0);
	expect(waits.mock.calls).toEqual([[3000]]);
});
