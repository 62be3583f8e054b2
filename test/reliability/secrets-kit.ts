import { Logger } from '@n8n/backend-common';
import { Container } from '@n8n/di';
import { WebhookContext } from 'n8n-core';
import { LoggerProxy } from 'n8n-workflow';
import type { IDataObject, IWebhookData, IWebhookResponseData } from 'n8n-workflow';

import { EhrTrigger } from '../../nodes/EhrTrigger/EhrTrigger.node';
import type { EhrKind } from '../../nodes/shared/core/schemas';
import { createEngine } from '../helpers/engine';
import { packCredentialTypes } from '../helpers/fixtures';
import { capturingResponse, webhookRequestOf } from '../helpers/webhookStandIns';
import type { CapturedResponse, WebhookDelivery } from '../helpers/webhookStandIns';

/*
 * Helpers of the secrets checks: every log line n8n's Logger (and LoggerProxy) receives, whatever its level, and a
 * scan of any text for a secret as it could leak — as is, base64 (a Basic header), URL-encoded, or a 24-character
 * piece of a long secret such as a PEM key.
 */

export interface CapturedLogs {
	lines: string[];
	restore(): void;
}

function lineOf(level: string, message: unknown, meta: unknown): string {
	let rendered = '';
	try {
		rendered = meta === undefined ? '' : ` ${JSON.stringify(meta, (_key, value) => (value instanceof Error ? { ...value, message: value.message, stack: value.stack } : value))}`;
	} catch {
		rendered = ` ${String(meta)}`;
	}
	return `${level} ${String(message)}${rendered}`;
}

/** Routes n8n's Logger (what nodes get as `this.logger`) and LoggerProxy into `lines`, at every level (debug included). */
export function captureN8nLogs(): CapturedLogs {
	const lines: string[] = [];
	const previous = Container.has(Logger) ? Container.get(Logger) : undefined;
	const capture = {
		error: (message: unknown, meta?: unknown) => lines.push(lineOf('error', message, meta)),
		warn: (message: unknown, meta?: unknown) => lines.push(lineOf('warn', message, meta)),
		info: (message: unknown, meta?: unknown) => lines.push(lineOf('info', message, meta)),
		debug: (message: unknown, meta?: unknown) => lines.push(lineOf('debug', message, meta)),
		scoped: () => capture,
	};
	Container.set(Logger, capture as unknown as Logger);
	LoggerProxy.init(capture as never);
	return {
		lines,
		restore: () => {
			if (previous) Container.set(Logger, previous);
		},
	};
}

/** The forms in which a secret could show up in a text. */
export function leakForms(secret: string): string[] {
	const forms = new Set([secret, Buffer.from(secret).toString('base64'), encodeURIComponent(secret)]);
	const compact = secret.replace(/-----[A-Z ]+-----|\s/g, '');
	if (compact.length > 48) for (let start = 0; start + 24 <= compact.length; start += 24) forms.add(compact.slice(start, start + 24));
	return [...forms].filter((form) => form.length >= 8);
}

/** Which of the secrets (by label) appear in the text, in any leak form. */
export function leakedIn(text: string, secrets: Record<string, string>): string[] {
	return Object.entries(secrets)
		.filter(([, secret]) => leakForms(secret).some((form) => text.includes(form)))
		.map(([label]) => label);
}

export function jsonOf(value: unknown): string {
	const seen = new WeakSet();
	return JSON.stringify(value, (_key, item: unknown) => {
		if (item instanceof Error) return { name: item.name, message: item.message, stack: item.stack, ...(item as unknown as IDataObject) };
		if (Buffer.isBuffer(item)) return item.toString('utf8');
		if (typeof item === 'object' && item !== null) {
			if (seen.has(item)) return '[circular]';
			seen.add(item);
		}
		return item;
	});
}

export type { WebhookDelivery } from '../helpers/webhookStandIns';

/** One delivery through the EHR Trigger's webhook() in n8n-core's WebhookContext (as test/nodes/ehrTrigger does). */
export async function deliverToTrigger(ehr: EhrKind, delivery: WebhookDelivery, credential: IDataObject) {
	const trigger = new EhrTrigger();
	const engine = createEngine(
		{
			nodes: [{ name: 'EHR Trigger', type: 'n8n-nodes-post-visit.ehrTrigger', webhookId: '3c9d2b1e-5f3a-4f60-9d7e-2a1b0c9d8e7f', parameters: { ehr, path: 'post-visit/secrets' } }],
			connections: {},
		},
		{ nodeTypes: { ehrTrigger: trigger }, credentials: { ehrWebhookApi: credential as never }, credentialTypes: packCredentialTypes() },
	);
	const captured: CapturedResponse = {};
	const response = capturingResponse(captured);
	const request = webhookRequestOf(delivery);
	const node = engine.node('EHR Trigger');
	const description = trigger.description.webhooks!.find((webhook) => webhook.httpMethod === delivery.method)!;
	const webhookData = {
		httpMethod: delivery.method,
		node: node.name,
		path: 'post-visit/secrets',
		webhookDescription: description,
		workflowId: engine.workflow.id,
		webhookId: node.webhookId,
	} as unknown as IWebhookData;
	const context = new WebhookContext(engine.workflow, node, { ...engine.additionalData, httpRequest: request, httpResponse: response } as never, 'webhook', webhookData, [], null);
	const result: IWebhookResponseData = await trigger.webhook.call(context);
	return { result, response: captured };
}
