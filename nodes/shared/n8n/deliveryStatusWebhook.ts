import { NodeOperationError } from 'n8n-workflow';
import type { IDataObject, IWebhookFunctions, IWebhookResponseData } from 'n8n-workflow';

import { needsFollowUp, parseTwilioStatusCallback } from '../core/deliveryStatus';
import type { DeliveryReport } from '../core/deliveryStatus';
import { DomainError } from '../core/errors';
import { recordSettledDelivery } from '../flows/recordDelivery';
import type { RecordedDelivery } from '../flows/recordDelivery';
import { nowIso } from './clock';
import { toNodeError } from './errors';
import { openStoreFrom } from './store';
import { verifyTwilioWebhook } from './twilioWebhook';

const label = 'Delivery Status Trigger';

function answer(context: IWebhookFunctions, status: number, body: IDataObject): IWebhookResponseData {
	context.getResponseObject().status(status).json(body);
	return { noWebhookResponse: true };
}

/** Journals a delivered message or answered call in the practice's journey store, through Record Delivery's code. */
async function recordInStore(context: IWebhookFunctions, report: DeliveryReport, receivedAt: string): Promise<RecordedDelivery> {
	// The webhook phase has no execution to share the credential with (executionCredential): read it directly.
	const store = await openStoreFrom(await context.getCredentials('journeyStoreApi'));
	try {
		return await recordSettledDelivery({ report, store, now: receivedAt });
	} finally {
		await store.close();
	}
}

/**
 * One Twilio status callback: verified (403 otherwise), read (400 when it is not a status callback) and answered
 * at once, since Twilio retries a callback not answered in time. Intermediate statuses are dropped. A delivered
 * message or an answered call is journaled right here and starts no execution: they are most callbacks, and an
 * execution each cost n8n several times the CPU of the send itself. Only an undelivered message or an unanswered
 * call starts the workflow (fallback, staff task). When the store cannot be reached the answer is 503 and
 * nothing starts, so a retry by Twilio finds the claim free. A test event (the editor listening, mode 'manual')
 * records nothing and starts the workflow with the status, so the user sees it.
 */
export async function receiveDeliveryStatus(context: IWebhookFunctions): Promise<IWebhookResponseData> {
	const verified = await verifyTwilioWebhook(context, { label });
	if (!verified.verified) return verified.response;
	let report: DeliveryReport;
	try {
		report = parseTwilioStatusCallback(verified.params);
	} catch (error) {
		if (!(error instanceof DomainError)) throw new NodeOperationError(context.getNode(), error as Error);
		context.logger.warn(`${label} refused a signed Twilio request with 400: ${error.message}`);
		return answer(context, 400, { error: error.message });
	}
	if (!report.final) {
		context.logger.debug(`${label} acknowledged an intermediate ${report.kind} status (${report.status})`);
		return answer(context, 200, { received: true, final: false });
	}
	const receivedAt = nowIso();
	if (context.getMode() === 'manual' || needsFollowUp(report)) {
		const deliveryStatus = { ...report, receivedAt } as unknown as IDataObject;
		return { workflowData: [[{ json: { deliveryStatus } }]], webhookResponse: { received: true } };
	}

	let outcome: RecordedDelivery;
	try {
		outcome = await recordInStore(context, report, receivedAt);
	} catch (error) {
		context.logger.error(
			`${label} could not record a ${report.kind} status (${report.status}) in the journey store and answered 503: ` +
				toNodeError(context.getNode(), error).message,
		);
		return answer(context, 503, { error: 'Journey store unavailable; try again later' });
	}
	context.logger.debug(`${label} recorded a ${report.kind} status (${report.status}) without an execution: ${outcome.reason}`);
	return answer(context, 200, { received: true, recorded: outcome.reason });
}
