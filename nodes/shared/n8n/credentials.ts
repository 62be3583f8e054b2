import type { ICredentialDataDecryptedObject, IExecuteFunctions, IPollFunctions, ITriggerFunctions } from 'n8n-workflow';

/**
 * n8n reads a credential from its database, decrypts it and resolves its fields on every getCredentials call,
 * and one visit's nodes ask for the same practice profile and journey store a few times each. These two hold
 * no tokens that n8n refreshes, so within one execution the first read serves the next ones for a few
 * seconds. An execution resumed after a wait (same id, minutes or days later) reads afresh, as does any new
 * execution, so an edited credential takes effect as before.
 */
export const sharedWithinExecution = new Set(['practiceProfileApi', 'journeyStoreApi']);
export const credentialReuseMs = 10_000;

interface Reuse {
	until: number;
	data: Promise<ICredentialDataDecryptedObject>;
}

const reused = new Map<string, Reuse>();

function forget(nowMs: number): void {
	for (const [key, entry] of reused) if (entry.until <= nowMs) reused.delete(key);
}

/** context.getCredentials(type), shared by the nodes of one execution for the two static pack credentials. */
export async function executionCredential(context: IExecuteFunctions | IPollFunctions | ITriggerFunctions, type: string): Promise<ICredentialDataDecryptedObject> {
	const credentialId = context.getNode().credentials?.[type]?.id;
	const executionId = 'getExecutionId' in context ? context.getExecutionId() : undefined;
	if (!sharedWithinExecution.has(type) || !credentialId || !executionId) return await context.getCredentials(type);

	const nowMs = Date.now();
	const key = `${executionId}\u0000${type}\u0000${credentialId}`;
	const known = reused.get(key);
	// A copy each time: one node changing its object must not change another's.
	if (known && known.until > nowMs) return { ...(await known.data) };

	forget(nowMs);
	const data = context.getCredentials(type);
	reused.set(key, { until: nowMs + credentialReuseMs, data });
	// A failed read is not kept: the node gets the error, and the next read asks n8n again.
	data.catch(() => reused.delete(key));
	return { ...(await data) };
}
