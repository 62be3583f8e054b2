import type { IDataObject } from 'n8n-workflow';

import { automaticEscalationReason, escalationReasonTexts } from '../core/escalationReason';
import type { EscalationFacts } from '../core/escalationReason';

/** EHR Task's Reason: an option, or (from an expression or a workflow built before the options) the text itself. */
export function escalationReasonOf(json: IDataObject, chosen: unknown): string {
	if (chosen === 'automatic' || chosen === undefined || chosen === '') return automaticEscalationReason(json as EscalationFacts);
	if (typeof chosen === 'string' && chosen in escalationReasonTexts) return escalationReasonTexts[chosen as keyof typeof escalationReasonTexts];
	return String(chosen);
}
