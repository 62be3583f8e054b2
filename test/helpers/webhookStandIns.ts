/**
 * Stand-ins for the request and response objects n8n's webhook server hands a trigger's webhook(): headers in
 * lower case, the body bytes read eagerly or lazily (n8n 2.x), and a response that records what the node answered.
 */

export interface WebhookDelivery {
	method: 'GET' | 'POST';
	headers: Record<string, string>;
	query?: Record<string, string>;
	rawBody: Buffer;
}

export interface CapturedResponse {
	statusCode?: number;
	body?: unknown;
	/** Filled only when given: header names in lower case. */
	headers?: Record<string, string>;
}

export function webhookRequestOf(delivery: WebhookDelivery, options: { lazyBody?: boolean } = {}) {
	const request: Record<string, unknown> = {
		method: delivery.method,
		headers: Object.fromEntries(Object.entries(delivery.headers).map(([name, value]) => [name.toLowerCase(), value])),
		query: delivery.query ?? {},
		params: {},
		body: {},
	};
	if (options.lazyBody) {
		request.readRawBody = async () => {
			request.rawBody = delivery.rawBody;
		};
	} else {
		request.rawBody = delivery.rawBody;
	}
	return request;
}

/** `onSend` runs when the node answers with send() (e.g. to note what else had happened by then). */
export function capturingResponse(captured: CapturedResponse, hooks: { onSend?: () => void } = {}) {
	const response = {
		status(code: number) {
			captured.statusCode = code;
			return response;
		},
		json(body: unknown) {
			captured.body = body;
			return response;
		},
		send(body: unknown) {
			captured.body = body;
			hooks.onSend?.();
			return response;
		},
		setHeader(name: string, value: string) {
			if (captured.headers) captured.headers[name.toLowerCase()] = value;
			return response;
		},
		end: () => response,
	};
	return response;
}
