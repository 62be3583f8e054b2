import type { ICredentialDataDecryptedObject, IExecuteFunctions } from 'n8n-workflow';

import { credentialReuseMs, executionCredential } from '../../nodes/shared/n8n/credentials';

/** A node context whose getCredentials counts its reads (as n8n's would hit its database each time). */
function nodeContext(executionId: string | undefined, credentialIds: Record<string, string> = { practiceProfileApi: 'cred-profile', journeyStoreApi: 'cred-store', fhirR4Api: 'cred-fhir' }) {
	const reads: string[] = [];
	let failNext = false;
	const context = {
		getNode: () => ({ name: 'Node', credentials: Object.fromEntries(Object.entries(credentialIds).map(([type, id]) => [type, { id, name: type }])) }),
		getExecutionId: () => executionId,
		getCredentials: async (type: string): Promise<ICredentialDataDecryptedObject> => {
			reads.push(type);
			if (failNext) {
				failNext = false;
				throw new Error(`credentials for ${type} are not set`);
			}
			return { type, read: reads.length };
		},
	} as unknown as IExecuteFunctions;
	return { context, reads, failOnce: () => (failNext = true) };
}

describe('executionCredential', () => {
	afterEach(() => jest.restoreAllMocks());

	it('reads the practice profile and the journey store once for the nodes of one execution, handing each a copy', async () => {
		const { context, reads } = nodeContext('exec-1');
		const first = await executionCredential(context, 'practiceProfileApi');
		const second = await executionCredential(context, 'practiceProfileApi');
		await executionCredential(context, 'journeyStoreApi');
		await executionCredential(context, 'journeyStoreApi');
		expect(reads).toEqual(['practiceProfileApi', 'journeyStoreApi']);
		expect(second).toEqual(first);
		expect(second).not.toBe(first);
	});

	it('reads afresh for another execution, another credential of the type, and after the reuse window (a resumed wait)', async () => {
		const now = Date.parse('2026-03-02T15:00:00.000Z');
		const clock = jest.spyOn(Date, 'now').mockReturnValue(now);
		const one = nodeContext('exec-2');
		await executionCredential(one.context, 'practiceProfileApi');
		await executionCredential(nodeContext('exec-3').context, 'practiceProfileApi');
		const otherCredential = nodeContext('exec-2', { practiceProfileApi: 'cred-profile-clinic-b' });
		await executionCredential(otherCredential.context, 'practiceProfileApi');
		expect(otherCredential.reads).toEqual(['practiceProfileApi']);

		clock.mockReturnValue(now + credentialReuseMs - 1);
		await executionCredential(one.context, 'practiceProfileApi');
		expect(one.reads).toHaveLength(1);
		clock.mockReturnValue(now + credentialReuseMs);
		await executionCredential(one.context, 'practiceProfileApi');
		expect(one.reads).toHaveLength(2);
	});

	it('always asks n8n for credentials it may refresh or that EHR requests carry', async () => {
		const { context, reads } = nodeContext('exec-4');
		await executionCredential(context, 'fhirR4Api');
		await executionCredential(context, 'fhirR4Api');
		expect(reads).toEqual(['fhirR4Api', 'fhirR4Api']);
	});

	it('always asks n8n when there is no execution id or the node names no credential (manual tests, test engines)', async () => {
		const noExecution = nodeContext(undefined);
		await executionCredential(noExecution.context, 'journeyStoreApi');
		await executionCredential(noExecution.context, 'journeyStoreApi');
		expect(noExecution.reads).toHaveLength(2);
		const noCredential = nodeContext('exec-5', {});
		await executionCredential(noCredential.context, 'journeyStoreApi');
		await executionCredential(noCredential.context, 'journeyStoreApi');
		expect(noCredential.reads).toHaveLength(2);
	});

	it('keeps no failed read: the error reaches the node, and the next read asks n8n again', async () => {
		const { context, reads, failOnce } = nodeContext('exec-6');
		failOnce();
		await expect(executionCredential(context, 'journeyStoreApi')).rejects.toThrow(/not set/);
		await expect(executionCredential(context, 'journeyStoreApi')).resolves.toMatchObject({ type: 'journeyStoreApi' });
		expect(reads).toHaveLength(2);
	});
});
