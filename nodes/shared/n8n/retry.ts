import { sleep } from 'n8n-workflow';

import { defaultRetryPolicy } from '../ehr/http';
import type { RetryPolicy } from '../ehr/http';
import { tebraRetryPolicy } from '../ehr/tebra';
import { defaultBackoff } from '../messaging/outcome';
import type { BackoffOptions } from '../messaging/outcome';

/*
 * The layers below n8n keep their retry timing (attempts, delays, Retry-After) but do not own the wait: inside n8n
 * they wait through n8n-workflow's sleep, the helper n8n's own nodes retry with, injected here.
 */

/** EHR requests (429, 5xx, no answer) as the adapters retry them, waiting through n8n. */
export const ehrRetryPolicy: RetryPolicy = { ...defaultRetryPolicy, sleep };

/** Tebra's own pacing of retries after its 429, waiting through n8n. */
export const tebraRetry: RetryPolicy = { ...tebraRetryPolicy, sleep };

/** Twilio and SMTP sends (transient failures only), waiting through n8n. */
export const sendBackoff: BackoffOptions = { ...defaultBackoff, sleep };
