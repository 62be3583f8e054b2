import { DomainError } from '../errors';
import type { ActionItem, ActionItemType } from '../schemas';

export type SchedulingLinkTemplates = Partial<Record<ActionItemType | 'default', string>>;

export interface LinkIds {
	patientId?: string;
	visitId?: string;
	/** Defaults to the item's own order id. */
	orderId?: string;
}

const linkPlaceholder = /\{([^{}]*)\}/g;
const linkIdNames = ['orderId', 'patientId', 'visitId'] as const;
type LinkIdName = (typeof linkIdNames)[number];

/** Fills one practice link template, or returns undefined when it needs an id this item does not have. */
function fill(template: string, key: string, ids: Record<LinkIdName, string | undefined>): string | undefined {
	const field = `schedulingLinks.${key}`;
	let missing = false;
	const filled = template.trim().replace(linkPlaceholder, (_, name: string) => {
		if (!(linkIdNames as readonly string[]).includes(name)) {
			throw new DomainError(`${field}: unknown placeholder {${name}}`, 'unknown_placeholder', field);
		}
		const value = ids[name as LinkIdName];
		if (value === undefined || value === '') {
			missing = true;
			return '';
		}
		return encodeURIComponent(value);
	});
	if (missing) return undefined;
	if (!URL.canParse(filled)) throw new DomainError(`${field} is not a valid URL`, 'invalid_link', field);
	const { protocol } = new URL(filled);
	if (protocol !== 'https:' && protocol !== 'http:') {
		throw new DomainError(`${field} must be an http(s) URL`, 'invalid_link', field);
	}
	return filled;
}

/**
 * The scheduling link for an action item: the practice's template for the item's type, else the practice's
 * `default` template, else the item's own link from the EHR, else undefined.
 * Invariants: `{orderId}`, `{patientId}`, `{visitId}` are URL-encoded; a template needing an id the item lacks is
 * passed over (the next source is tried) rather than producing a broken link; any other placeholder, or a result
 * that is not an http(s) URL, is a configuration error naming the template key.
 */
export function schedulingLinkFor(
	item: Pick<ActionItem, 'type' | 'orderId' | 'schedulingLink'>,
	links: SchedulingLinkTemplates,
	ids: LinkIds,
): string | undefined {
	const values = { orderId: ids.orderId ?? item.orderId, patientId: ids.patientId, visitId: ids.visitId };
	for (const key of [item.type, 'default'] as const) {
		const template = links[key];
		if (!template?.trim()) continue;
		const filled = fill(template, key, values);
		if (filled !== undefined) return filled;
	}
	return item.schedulingLink;
}
