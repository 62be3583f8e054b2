import { resolveWebhookDescriptionField, webhookDescriptionIsNativelyResolvable } from 'n8n-workflow';
import type { INode, INodeType } from 'n8n-workflow';

import { DeliveryStatusTrigger } from '../../nodes/DeliveryStatusTrigger/DeliveryStatusTrigger.node';
import { EhrTrigger } from '../../nodes/EhrTrigger/EhrTrigger.node';
import { PatientReplyTrigger } from '../../nodes/PatientReplyTrigger/PatientReplyTrigger.node';

const triggers: Array<[string, INodeType]> = [
	['EHR Trigger', new EhrTrigger()],
	['Delivery Status Trigger', new DeliveryStatusTrigger()],
	['Patient Reply Trigger', new PatientReplyTrigger()],
];

const node = (parameters: INode['parameters']): INode => ({
	id: 'n',
	name: 'Trigger',
	type: 'n8n-nodes-post-visit.trigger',
	typeVersion: 1,
	position: [0, 0],
	parameters,
});

describe.each(triggers)('%s: n8n reads the webhook path without the expression engine', (_name, trigger) => {
	const webhooks = trigger.description.webhooks ?? [];

	it('declares every webhook natively resolvable, still with the template an older n8n evaluates', () => {
		expect(webhooks.length).toBeGreaterThan(0);
		for (const webhook of webhooks) {
			expect(webhookDescriptionIsNativelyResolvable(webhook)).toBe(true);
			expect(webhook.path).toBe('={{$parameter["path"]}}');
		}
	});

	it('resolves the path from static parameters, and leaves an expression path to the engine', () => {
		for (const webhook of webhooks) {
			expect(resolveWebhookDescriptionField(node({ path: 'post-visit/visit-completed' }), webhook, 'path')).toEqual({
				resolved: true,
				value: 'post-visit/visit-completed',
			});
			expect(resolveWebhookDescriptionField(node({ path: '={{ "a/" + "b" }}' }), webhook, 'path')).toEqual({ resolved: false });
		}
	});
});
