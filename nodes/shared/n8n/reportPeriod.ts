import type { IExecuteFunctions, INodeProperties } from 'n8n-workflow';

import { resolvePeriod } from '../core/report';
import type { ReportPeriod, ReportPeriodInput } from '../core/report';

type PeriodMode = ReportPeriodInput['mode'];

const modeOptions: Record<PeriodMode, { name: string; value: PeriodMode; description: string }> = {
	previousDays: {
		name: 'Previous N Whole Days',
		value: 'previousDays',
		description: 'The N days before today, midnight to midnight; today is not included (Monday morning with 7: last Monday to Sunday)',
	},
	lastDays: { name: 'Last N Days Up to Now', value: 'lastDays', description: 'The last N × 24 hours, today included' },
	custom: { name: 'Custom', value: 'custom', description: 'From and to dates you choose' },
	any: { name: 'Any Time', value: 'any', description: 'No date filter (use with a patient or a visit)' },
};

/** The period fields of the reporting nodes; dates are read in the workflow's time zone (Workflow settings). */
export function periodProperties(modes: PeriodMode[], defaultMode: PeriodMode, what: string): INodeProperties[] {
	return [
		{
			displayName: 'Period',
			name: 'period',
			type: 'options',
			noDataExpression: true,
			options: modes.map((mode) => modeOptions[mode]),
			default: defaultMode,
			description: `Which ${what}; days run midnight to midnight in the workflow's time zone (Workflow settings → Timezone: set it to the practice's zone)`,
		},
		{
			displayName: 'Days',
			name: 'days',
			type: 'number',
			typeOptions: { minValue: 1 },
			default: 7,
			displayOptions: { show: { period: ['previousDays', 'lastDays'] } },
		},
		{
			displayName: 'From',
			name: 'from',
			type: 'dateTime',
			default: '',
			required: true,
			displayOptions: { show: { period: ['custom'] } },
			description: 'Inclusive',
		},
		{
			displayName: 'To',
			name: 'to',
			type: 'dateTime',
			default: '',
			required: true,
			displayOptions: { show: { period: ['custom'] } },
			description: 'Exclusive: To = the next day\'s midnight covers a whole last day',
		},
	];
}

/** The period chosen on the node for one item, as instants. */
export function periodOf(context: IExecuteFunctions, itemIndex: number, now: string): ReportPeriod {
	const mode = context.getNodeParameter('period', itemIndex) as PeriodMode;
	const zone = context.getTimezone();
	if (mode === 'previousDays' || mode === 'lastDays') {
		return resolvePeriod({ mode, days: Number(context.getNodeParameter('days', itemIndex)) }, now, zone);
	}
	if (mode === 'custom') {
		const date = (name: 'from' | 'to') => dateParameter(context, name, itemIndex);
		return resolvePeriod({ mode, from: date('from'), to: date('to') }, now, zone);
	}
	return resolvePeriod({ mode }, now, zone);
}

/** A dateTime parameter as text: n8n hands an ISO string; an expression may give a luxon DateTime or a Date. */
export function dateParameter(context: IExecuteFunctions, name: string, itemIndex: number): string {
	const value = context.getNodeParameter(name, itemIndex, '') as unknown;
	if (value && typeof value === 'object' && 'toISO' in value) return String((value as { toISO: () => string }).toISO());
	if (value instanceof Date) return value.toISOString();
	return String(value ?? '');
}
