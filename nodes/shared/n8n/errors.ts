import { NodeApiError, NodeOperationError } from 'n8n-workflow';
import type { INode, JsonObject } from 'n8n-workflow';

import { DomainError } from '../core/errors';
import { EhrHttpError, EhrResponseError } from '../ehr/http';

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
	if (error instanceof EhrHttpError) {
		return new NodeApiError(node, { message: error.vendorMessage, httpCode: String(error.status) } as JsonObject, {
			itemIndex,
			httpCode: String(error.status),
			message: `${error.ehr} answered ${error.status}`,
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
