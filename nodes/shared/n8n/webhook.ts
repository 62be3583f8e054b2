import type { ICredentialDataDecryptedObject, IHookFunctions, IWebhookFunctions, IWebhookResponseData } from 'n8n-workflow';

import type { EhrKind } from '../core/schemas';
import type { DrChronoSignatureMode } from '../ehr/drchrono';
import { parseNotification } from '../ehr/notifications';
import type { InboundRequest, NotificationResult } from '../ehr/types';
import { webhookSecretsAt } from '../ehr/webhookSecrets';
import type { ActiveWebhookSecrets } from '../ehr/webhookSecrets';
import { nowIso } from './clock';
import { toNodeError } from './errors';
import { fhirSubscriptionLifecycle } from './fhirSubscription';
import { startFreshEvents } from './webhookReplays';

type RequestWithRawBody = ReturnType<IWebhookFunctions['getRequestObject']> & {
	rawBody?: Buffer;
	readRawBody?: () => Promise<void>;
};

/** The exact bytes received, or undefined when they cannot be read (stream aborted or already consumed). */
async function rawBodyOf(request: RequestWithRawBody): Promise<Buffer | undefined> {
	// n8n reads the body lazily; signatures must be checked over the exact bytes received.
	if (!request.rawBody && typeof request.readRawBody === 'function') {
		try {
			await request.readRawBody();
		} catch {
			return undefined;
		}
	}
	if (request.rawBody) return request.rawBody;
	return Buffer.from(typeof request.body === 'string' ? request.body : JSON.stringify(request.body ?? ''));
}

/**
 * The secrets deliveries are verified with now. A secret too short to be one (the credential test's 16-character
 * minimum) fails the delivery, or the publishing, with an error naming the field: it is never used.
 */
function usableSecrets(context: IWebhookFunctions | IHookFunctions, credential: ICredentialDataDecryptedObject): ActiveWebhookSecrets {
	try {
		return webhookSecretsAt(credential, nowIso());
	} catch (error) {
		throw toNodeError(context.getNode(), error);
	}
}

/** The EHR Trigger's webhook lifecycle: publishing checks the webhook secret, then (FHIR) manages the Subscription. */
export const ehrWebhookLifecycle = {
	...fhirSubscriptionLifecycle,
	async checkExists(this: IHookFunctions): Promise<boolean> {
		usableSecrets(this, await this.getCredentials('ehrWebhookApi'));
		return await fhirSubscriptionLifecycle.checkExists.call(this);
	},
};

function answer(context: IWebhookFunctions, status: number, body: unknown): IWebhookResponseData {
	const response = context.getResponseObject();
	response.status(status).json(body);
	return { noWebhookResponse: true };
}

/**
 * Verifies and classifies one EHR delivery, answers the EHR at once (athenahealth allows 2 s), and
 * starts an execution only for completed-visit events within the maximum event age. Refusals are logged at
 * warn level with the reason (never the body), so ops can see them although no execution exists; the caller
 * gets a plain 401, never the reason.
 */
export async function receiveEhrDelivery(context: IWebhookFunctions): Promise<IWebhookResponseData> {
	const ehr = context.getNodeParameter('ehr') as EhrKind;
	const maxBytes = (context.getNodeParameter('maxBodyKb', 1024) as number) * 1024;
	const request = context.getRequestObject() as RequestWithRawBody;
	const declaredLength = Number(request.headers['content-length'] ?? 0);
	if (declaredLength > maxBytes) {
		context.logger.warn(`EHR Trigger refused a ${ehr} delivery: body of ${declaredLength} bytes is over the limit`);
		return answer(context, 413, { error: `Body larger than ${maxBytes} bytes` });
	}
	// n8n has already consumed a multipart body into form fields, so its exact bytes (what a signature covers) are gone.
	if (/^multipart\//i.test(String(request.headers['content-type'] ?? ''))) {
		context.logger.warn(`EHR Trigger refused a ${ehr} delivery with 415: multipart body`);
		return answer(context, 415, { error: 'Content-Type must be JSON, not multipart' });
	}
	const rawBody = await rawBodyOf(request);
	if (rawBody === undefined) {
		context.logger.warn(`EHR Trigger refused a ${ehr} delivery with 400: the body could not be read`);
		return answer(context, 400, { error: 'Body could not be read' });
	}
	if (rawBody.length > maxBytes) {
		context.logger.warn(`EHR Trigger refused a ${ehr} delivery: body of ${rawBody.length} bytes is over the limit`);
		return answer(context, 413, { error: `Body larger than ${maxBytes} bytes` });
	}
	const credential = await context.getCredentials('ehrWebhookApi');
	const inbound: InboundRequest = {
		method: request.method ?? 'POST',
		headers: request.headers,
		query: context.getQueryData() as Record<string, unknown>,
		rawBody,
	};
	// The previous secret counts only inside its rotation window ("Previous Secret Valid Until").
	const { secrets, previousRefused } = usableSecrets(context, credential);
	const result: NotificationResult = parseNotification(ehr, inbound, {
		secrets,
		fhirSecretHeader: credential.headerName ? String(credential.headerName) : undefined,
		drChronoSignature: context.getNodeParameter('drChronoSignature', 'tokenOrHmac') as DrChronoSignatureMode,
	});
	switch (result.kind) {
		case 'rejected':
			context.logger.warn(
				`EHR Trigger refused a ${ehr} delivery with ${result.status}: ${result.reason}` +
					(result.status === 401 && previousRefused ? ` (${previousRefused})` : ''),
			);
			// A 401's reason would tell a caller which header is checked, or that no secret is set: the log has it.
			return answer(context, result.status, { error: result.status === 401 ? 'Unauthorized' : result.reason });
		case 'handshake':
			return answer(context, result.status, result.body);
		case 'heartbeat':
			return answer(context, 200, { received: true, heartbeat: true });
		case 'ignored':
			context.logger.debug(`EHR Trigger acknowledged a ${ehr} delivery without starting a journey: ${result.reason}`);
			return answer(context, 200, { received: true, ignored: result.reason });
		case 'events':
			return await startFreshEvents(context, ehr, result.events);
	}
}
