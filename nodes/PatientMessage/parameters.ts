import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';

import { templateDisplayNames, templateIds } from '../shared/core/compose';
import type { TemplateId, TemplateOverride } from '../shared/core/compose';
import { DomainError } from '../shared/core/errors';
import type { ChannelRoute } from '../shared/core/routing';

export const textOverridesProperty: INodeProperties = {
	displayName: 'Message Texts',
	name: 'texts',
	type: 'fixedCollection',
	placeholder: 'Change a Message Text',
	typeOptions: { multipleValues: true },
	default: {},
	description:
		'This node only: a text here wins over the "Post-Visit Message Texts" credential, which wins over the built-in text (keep the practice\'s texts in that credential, so every workflow uses them). {{firstName}} and the other placeholders are not n8n expressions. Variables: {{firstName}}, {{practiceName}}, {{practicePhone}}, {{actionDescription}}, {{actionType}}, {{visitDate}}, {{schedulingLink}}. {{actionDescription}} is the action type (e.g. "lab test") except in email with Order Text in Email on. SMS may not contain clinical terms (diagnoses, results, doses, order names).',
	options: [
		{
			displayName: 'Text',
			name: 'text',
			values: [
				{
					displayName: 'Message',
					name: 'template',
					type: 'options',
					options: templateIds.map((id) => ({ name: templateDisplayNames[id], value: id })),
					default: 'careSummary',
				},
				{
					displayName: 'Language',
					name: 'language',
					type: 'options',
					options: [
						{ name: 'English', value: 'en' },
						{ name: 'Spanish', value: 'es' },
					],
					default: 'en',
				},
				{
					displayName: 'Email Subject',
					name: 'subject',
					type: 'string',
					default: '',
					description: 'Leave empty to keep the built-in subject',
				},
				{
					displayName: 'Text',
					name: 'text',
					type: 'string',
					typeOptions: { rows: 4 },
					default: '',
					description: 'Used for SMS, voice and the email body',
				},
			],
		},
	],
};

type Overrides = Partial<Record<TemplateId, Partial<Record<string, TemplateOverride>>>>;

export function textOverridesFrom(context: IExecuteFunctions, itemIndex: number): Overrides {
	const collection = context.getNodeParameter('texts', itemIndex, {}) as { text?: IDataObject[] };
	const overrides: Overrides = {};
	for (const row of collection.text ?? []) {
		const template = row.template as TemplateId;
		const language = String(row.language);
		const override: TemplateOverride = {};
		if (typeof row.text === 'string' && row.text.trim()) override.text = row.text;
		if (typeof row.subject === 'string' && row.subject.trim()) override.subject = row.subject;
		overrides[template] = { ...overrides[template], [language]: override };
	}
	return overrides;
}

/** The channels the Channel Router chose for this stage. */
export function routeFromItem(json: IDataObject, stage: number): ChannelRoute {
	const route = json.route as (ChannelRoute & { stage?: number }) | undefined;
	if (!route || !Array.isArray(route.channels) || route.stage !== stage) {
		throw new DomainError(
			`No channel choice for stage ${stage} on this item: put a Channel Router set to the same stage before this node`,
			'missing_route',
			'route',
		);
	}
	return { channels: route.channels, strategy: route.strategy ?? 'firstSuccess', decisions: route.decisions ?? [] };
}
