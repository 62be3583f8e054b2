/** The header line a FHIR server must send with each delivery (Subscription.channel.header). */
export function secretHeaderLine(headerName: string, secret: string): string {
	return /^authorization$/i.test(headerName) ? `Authorization: Bearer ${secret}` : `${headerName}: ${secret}`;
}

/**
 * A rest-hook Subscription for completed visits. Classic R4 criteria ("Encounter?status=finished") give a
 * plain R4 subscription; a SubscriptionTopic canonical URL gives an R5-Backport one with id-only payloads.
 */
export function buildSubscription(input: { criteria: string; endpoint: string; headerLine: string }): Record<string, unknown> {
	const backport = /^https?:\/\//.test(input.criteria);
	const channel: Record<string, unknown> = {
		type: 'rest-hook',
		endpoint: input.endpoint,
		payload: 'application/fhir+json',
		header: [input.headerLine],
	};
	if (backport) {
		channel._payload = {
			extension: [
				{
					url: 'http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/backport-payload-content',
					valueCode: 'id-only',
				},
			],
		};
	}
	return {
		resourceType: 'Subscription',
		...(backport ? { meta: { profile: ['http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/backport-subscription'] } } : {}),
		status: 'requested',
		reason: 'Post-visit follow-up (n8n)',
		criteria: input.criteria,
		channel,
	};
}
