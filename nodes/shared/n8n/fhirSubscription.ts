import { NodeApiError } from 'n8n-workflow';
import type { IHookFunctions, JsonObject } from 'n8n-workflow';

import { buildSubscription, secretHeaderLine } from '../ehr/fhir/subscription';
import { httpClientFor } from './http';

function managesSubscription(context: IHookFunctions): boolean {
	return context.getNodeParameter('ehr') === 'fhir' && context.getNodeParameter('manageSubscription', false) === true;
}

async function fhirClient(context: IHookFunctions) {
	const credential = await context.getCredentials('fhirR4Api');
	return httpClientFor(context, 'fhirR4Api', String(credential.baseUrl ?? '').replace(/\/+$/, ''), credential);
}

function refused(context: IHookFunctions, action: string, status: number): NodeApiError {
	return new NodeApiError(context.getNode(), { message: `FHIR server answered ${status}` } as JsonObject, {
		message: `Could not ${action} the FHIR Subscription (HTTP ${status})`,
		description: 'Check the FHIR credential\'s scopes (Subscription write) and that the server supports rest-hook subscriptions.',
		httpCode: String(status),
	});
}

/**
 * Publishing the workflow creates a rest-hook Subscription pointing at this trigger (FHIR only, when
 * asked); unpublishing deletes it. athenahealth and DrChrono webhooks are registered by hand.
 */
export const fhirSubscriptionLifecycle = {
	async checkExists(this: IHookFunctions): Promise<boolean> {
		if (!managesSubscription(this)) return true;
		const staticData = this.getWorkflowStaticData('node');
		if (typeof staticData.subscriptionId !== 'string') return false;
		const response = await (await fhirClient(this))({ method: 'GET', url: `/Subscription/${staticData.subscriptionId}` });
		if (response.status === 404 || response.status === 410) {
			delete staticData.subscriptionId;
			return false;
		}
		if (response.status >= 400) throw refused(this, 'read', response.status);
		const subscription = response.body as { status?: string; channel?: { endpoint?: string } };
		return subscription.channel?.endpoint === this.getNodeWebhookUrl('default') && subscription.status !== 'off';
	},

	async create(this: IHookFunctions): Promise<boolean> {
		if (!managesSubscription(this)) return true;
		const secret = await this.getCredentials('ehrWebhookApi');
		const body = buildSubscription({
			criteria: String(this.getNodeParameter('subscriptionCriteria')),
			endpoint: this.getNodeWebhookUrl('default') as string,
			headerLine: secretHeaderLine(String(secret.headerName || 'X-Webhook-Secret'), String(secret.secret)),
		});
		const staticData = this.getWorkflowStaticData('node');
		const client = await fhirClient(this);
		if (typeof staticData.subscriptionId === 'string') {
			// checkExists found ours stale (another endpoint, or turned off): replace it, or it keeps posting to the old URL.
			const stale = await client({ method: 'DELETE', url: `/Subscription/${staticData.subscriptionId}` });
			if (stale.status >= 400 && stale.status !== 404 && stale.status !== 410) throw refused(this, 'replace', stale.status);
			delete staticData.subscriptionId;
		}
		const response = await client({ method: 'POST', url: '/Subscription', body, headers: { 'Content-Type': 'application/fhir+json' } });
		if (response.status >= 400) throw refused(this, 'create', response.status);
		staticData.subscriptionId = (response.body as { id: string }).id;
		return true;
	},

	async delete(this: IHookFunctions): Promise<boolean> {
		if (!managesSubscription(this)) return true;
		const staticData = this.getWorkflowStaticData('node');
		if (typeof staticData.subscriptionId !== 'string') return true;
		const response = await (await fhirClient(this))({ method: 'DELETE', url: `/Subscription/${staticData.subscriptionId}` });
		if (response.status >= 400 && response.status !== 404 && response.status !== 410) throw refused(this, 'delete', response.status);
		delete staticData.subscriptionId;
		return true;
	},
};
