import type { INodeProperties, INodeTypeBaseDescription } from 'n8n-workflow';

/** What every version shows in the nodes panel (each version adds its own icon literal, for the lint). */
export const cadenceWaitBase = {
	displayName: 'Cadence Wait',
	name: 'cadenceWait',
	group: ['organization'],
	description: "Waits until the journey's next step in the patient's time zone, inside the send window",
} satisfies Omit<INodeTypeBaseDescription, 'icon'>;

/** When the journey goes on: the same three choices in every version. */
export const waitAnchorProperties: INodeProperties[] = [
	{
		displayName: 'Wait Until',
		name: 'anchor',
		type: 'options',
		noDataExpression: true,
		options: [
			{ name: 'Visit Close Plus', value: 'visitClose', description: 'For example 2 days or 7 days after the visit was completed' },
			{ name: 'Recall Date Minus', value: 'recallDate', description: 'For example 30 days before the recall is due' },
			{
				name: 'Next Allowed Time',
				value: 'nextAllowed',
				description: 'The next moment inside the send window, and not before a hold\'s time (for "Held" loops)',
			},
		],
		default: 'visitClose',
	},
	{
		displayName: 'Amount',
		name: 'amount',
		type: 'number',
		typeOptions: { minValue: 0 },
		default: 48,
		displayOptions: { hide: { anchor: ['nextAllowed'] } },
	},
	{
		displayName: 'Unit',
		name: 'unit',
		type: 'options',
		options: [
			{ name: 'Minutes', value: 'minutes' },
			{ name: 'Hours (Absolute: 48 Hours Is 48 Hours, Even Across a Clock Change)', value: 'hours' },
			{ name: 'Days (Same Local Time, Calendar Days in the Patient\'s Zone)', value: 'days' },
		],
		default: 'hours',
		displayOptions: { hide: { anchor: ['nextAllowed'] } },
	},
];

const anchorLabel =
	'($parameter["anchor"] === "recallDate" ? "Recall date − " + $parameter["amount"] + " " + $parameter["unit"] : $parameter["anchor"] === "visitClose" ? "Visit close + " + $parameter["amount"] + " " + $parameter["unit"] : "Until the next allowed time")';

export const waitSubtitle = `={{${anchorLabel}}}`;
/** Version 2 names the step the trigger resumes, then when. */
export const stepSubtitle = `={{$parameter["step"] + ": " + ${anchorLabel}}}`;
