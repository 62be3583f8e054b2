import { fromParameter, webhookDescriptionFields } from 'n8n-workflow';
import type { IWebhookDescription } from 'n8n-workflow';

/**
 * A webhook's `path`, read from the node's "Path" parameter. On n8n 2.41+ the description carries a resolver
 * too, so n8n reads the path on every request without evaluating an expression (that evaluation was a fifth of
 * the expression engine's CPU per visit, bench/notes.md); an older n8n evaluates the same template.
 */
export function pathFromParameter(): Pick<IWebhookDescription, 'path'> {
	const template = { path: '={{$parameter["path"]}}' };
	if (typeof webhookDescriptionFields !== 'function' || typeof fromParameter !== 'function') return template;
	return webhookDescriptionFields({ path: fromParameter('path') }) as Pick<IWebhookDescription, 'path'>;
}
