import { fromParameter, webhookDescriptionFields } from 'n8n-workflow';
import type { INodeProperties, IWebhookDescription } from 'n8n-workflow';

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

/**
 * Tells n8n not to parse request bodies before the trigger runs (n8n skips its body parser for a version-1
 * trigger whose `options.binaryData` is set). The trigger reads the exact bytes itself, as signatures require,
 * so a malformed JSON body gets the trigger's 400 and warn line rather than n8n's 422 (whose hint quotes the
 * body back) and an error line; and XML never reaches n8n 2.41's one shared XML parser, which stops answering
 * for good after its second malformed XML body (every later XML request to any webhook of the process hangs).
 */
export const unparsedBodyProperty: INodeProperties = {
	displayName: 'Options',
	name: 'options',
	type: 'hidden',
	default: { binaryData: true },
};
