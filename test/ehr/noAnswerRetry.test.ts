import { EhrUnreachableError, sendWithRetry } from '../../nodes/shared/ehr/http';
import type { RetryPolicy } from '../../nodes/shared/ehr/http';
import type { HttpClient, HttpRequest, HttpResponse } from '../../nodes/shared/ehr/types';

/**
 * An EHR that does not answer at all (a read slower than the timeout, a refused connection). The reliability
 * suite found such a read failed the execution at once, with n8n's "The connection was aborted, perhaps the server
 * is offline", while a 503 got four tries. The transport throws what n8n's request helper throws: an error whose
 * cause carries the network code.
 */
const policy: RetryPolicy = { maxAttempts: 4, baseDelayMs: 10, maxDelayMs: 40, sleep: async () => undefined };
const ok: HttpResponse = { status: 200, headers: {}, body: { resourceType: 'Encounter' } };

function noAnswer(code: string): Error {
	return Object.assign(new Error('The connection was aborted, perhaps the server is offline'), { cause: Object.assign(new Error('timeout of 20000ms exceeded'), { code }) });
}

/** A transport that fails with these errors first, then answers; it counts the attempts. */
function transport(failures: Error[]): HttpClient & { attempts: number } {
	const client = Object.assign(
		async (_request: HttpRequest) => {
			client.attempts += 1;
			const failure = failures.shift();
			if (failure) throw failure;
			return ok;
		},
		{ attempts: 0 },
	);
	return client;
}

describe('sendWithRetry when the EHR does not answer', () => {
	it.each(['ECONNABORTED', 'ETIMEDOUT', 'ECONNRESET', 'ECONNREFUSED'])('retries a read after %s and returns the late answer', async (code) => {
		const http = transport([noAnswer(code), noAnswer(code)]);
		await expect(sendWithRetry(http, { method: 'GET', url: '/Encounter/1' }, 'fhir', policy)).resolves.toEqual(ok);
		expect(http.attempts).toBe(3);
	});

	it('gives up on a read after the bounded attempts with an error naming the EHR and the code', async () => {
		const http = transport([noAnswer('ECONNABORTED'), noAnswer('ECONNABORTED'), noAnswer('ECONNABORTED'), noAnswer('ECONNABORTED')]);
		const failure = sendWithRetry(http, { method: 'GET', url: '/Encounter/1' }, 'fhir', policy);
		await expect(failure).rejects.toBeInstanceOf(EhrUnreachableError);
		await expect(failure).rejects.toMatchObject({ ehr: 'fhir', code: 'ECONNABORTED', attempts: 4, uncertain: false });
		expect(http.attempts).toBe(4);
	});

	it('does not repeat a write that may have arrived (a timeout), and says it is uncertain', async () => {
		const http = transport([noAnswer('ECONNABORTED')]);
		await expect(sendWithRetry(http, { method: 'POST', url: '/Task', body: {} }, 'fhir', policy)).rejects.toMatchObject({ code: 'ECONNABORTED', attempts: 1, uncertain: true });
		expect(http.attempts).toBe(1);
	});

	it('repeats a write that never left (connection refused)', async () => {
		const http = transport([noAnswer('ECONNREFUSED')]);
		await expect(sendWithRetry(http, { method: 'POST', url: '/Task', body: {} }, 'fhir', policy)).resolves.toEqual(ok);
		expect(http.attempts).toBe(2);
	});

	it('rethrows other errors untouched', async () => {
		const bug = new TypeError('cannot read properties of undefined');
		await expect(sendWithRetry(transport([bug]), { method: 'GET', url: '/Encounter/1' }, 'fhir', policy)).rejects.toBe(bug);
	});
});
