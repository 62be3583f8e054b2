import { NodeApiError, NodeOperationError } from 'n8n-workflow';
import type { INode, JsonObject } from 'n8n-workflow';

import { DomainError } from '../core/errors';
import { EhrHttpError, EhrResponseError, EhrUnreachableError } from '../ehr/http';

/** What a person can do about an EHR's error answer, by its status. */
export function ehrAdvice(error: EhrHttpError): string {
	const { status } = error;
	if (status === 401) return 'check the EHR credential (client ID, secret or token, scopes), then retry the execution';
	if (status === 403) {
		return 'ask the EHR administrator to allow this API client the access named above (scopes, practice, department), then retry the execution';
	}
	if (status === 404 || status === 410) {
		return "check that the workflow's EHR and practice match the credential and that the record still exists, then retry the execution";
	}
	if (error.retryable || status === 408 || status === 429 || status >= 500) {
		return 'the EHR is busy or unavailable; retry the execution from the executions list once it answers again';
	}
	return 'check the request or setting named above, fix it, then retry the execution';
}

/**
 * Maps any error from the layers below to the n8n error a person can act on, tagged with the item.
 * Domain errors name the field; EHR errors carry the vendor's short message and HTTP code. No PHI:
 * the layers below never put patient data into messages, and nothing here adds request or response bodies.
 */
export function toNodeError(node: INode, error: unknown, itemIndex?: number): NodeOperationError | NodeApiError {
	if (error instanceof NodeOperationError || error instanceof NodeApiError) {
		if (itemIndex !== undefined && error.context.itemIndex === undefined) error.context.itemIndex = itemIndex;
		return error;
	}
	if (error instanceof DomainError) {
		return new NodeOperationError(node, error.message, {
			itemIndex,
			description: error.field ? `Check the field "${error.field}".` : undefined,
		});
	}
	if (error instanceof EhrUnreachableError) {
		const advice = error.uncertain
			? `the request may have reached ${error.ehr} and taken effect: check there before retrying the execution`
			: `${error.ehr} is slow or unreachable; retry the execution from the executions list once it answers again`;
		// Not the network code in the error response: n8n would swap the message for its generic text about it.
		return new NodeApiError(node, { message: `${error.ehr} did not answer` } as JsonObject, { itemIndex, message: `${error.message}: ${advice}` });
	}
	if (error instanceof EhrHttpError) {
		return new NodeApiError(node, { message: error.vendorMessage, httpCode: String(error.status) } as JsonObject, {
			itemIndex,
			httpCode: String(error.status),
			// The message is what the executions list and the error workflow's alert show: say what to do.
			message: `${error.ehr} answered ${error.status} (${error.vendorMessage}): ${ehrAdvice(error)}`,
			description: error.vendorMessage,
		});
	}
	if (error instanceof EhrResponseError) {
		return new NodeApiError(node, { message: error.message } as JsonObject, {
			itemIndex,
			message: `${error.ehr} sent a response this node does not understand`,
			description: error.message,
		});
	}
	const message = error instanceof Error ? error.message : String(error);
	return new NodeOperationError(node, message, { itemIndex });
}
