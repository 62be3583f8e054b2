import { NodeConnectionTypes } from 'n8n-workflow';
import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeType, INodeTypeDescription } from 'n8n-workflow';

import type { ReportRules } from '../shared/core/report';
import { buildFollowUpReport } from '../shared/flows/followUpReport';
import { nowIso } from '../shared/n8n/clock';
import { journeyStoreConnectionTest } from '../shared/n8n/credentialTests';
import { routeEachItem } from '../shared/n8n/items';
import { periodOf, periodProperties } from '../shared/n8n/reportPeriod';
import { withJourneyStore } from '../shared/n8n/resources';

export class FollowUpReport implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Follow-Up Report',
		name: 'followUpReport',
		icon: { light: 'file:followUpReport.svg', dark: 'file:followUpReport.dark.svg' },
		group: ['transform'],
		version: 1,
		subtitle: '={{$parameter["period"] === "custom" ? "Custom period" : ($parameter["period"] === "lastDays" ? "Last " : "Previous ") + $parameter["days"] + " days"}}',
		description:
			'The three numbers: follow-ups booked within 7 days, recall compliance at 30 days, care summaries delivered within 2 hours',
		defaults: { name: 'Follow-Up Report' },
		// A tool an AI agent may call: it only reads the journey store and counts.
		usableAsTool: true,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: 'journeyStoreApi', required: true, testedBy: 'journeyStoreConnectionTest' }],
		properties: [
			{
				displayName:
					'Read-only, from the journey store. Visits are counted by when they closed, recalls by their due date. A journey still inside its 7-day (or 30-day, or 2-hour) window with nothing yet is "pending", not a failure.',
				name: 'definitionsNotice',
				type: 'notice',
				default: '',
			},
			...periodProperties(['previousDays', 'lastDays', 'custom'], 'previousDays', 'visits (by close) and recalls (by due date) to count'),
			{
				displayName: 'Departments',
				name: 'departments',
				type: 'string',
				default: '',
				placeholder: '1, 7',
				description: 'EHR department IDs to include, comma-separated. Empty: all departments.',
			},
			{
				displayName: 'Output',
				name: 'output',
				type: 'options',
				noDataExpression: true,
				options: [
					{ name: 'Summary', value: 'summary', description: 'One item: the three numbers, the channel breakdown, notes and a text for an email' },
					{ name: 'One Item per Journey', value: 'journeys', description: 'How each visit and recall counted: booked, pending, delivered…' },
				],
				default: 'summary',
			},
			{
				displayName: 'Options',
				name: 'options',
				type: 'collection',
				placeholder: 'Add Option',
				default: {},
				options: [
					{
						displayName: 'Booking Window (Days)',
						name: 'bookingWindowDays',
						type: 'number',
						default: 7,
						description: 'Follow-ups booked within this many days of visit close count as booked',
					},
					{
						displayName: 'Booking Check Grace (Hours)',
						name: 'checkGraceHours',
						type: 'number',
						default: 24,
						description:
							'The day-7 Booking Check runs a little after the 7-day mark (send window, wait latency). A booking it finds counts if it ran within this many hours of the mark; the EHR\'s own booking time, when recorded, is used instead.',
					},
					{
						displayName: 'Care Summary Window (Hours)',
						name: 'summaryWindowHours',
						type: 'number',
						default: 2,
					},
					{
						displayName: 'Recall Window (Days)',
						name: 'recallWindowDays',
						type: 'number',
						default: 30,
						description: 'Recalls booked within this many days of the recall nudge (the first message) count as compliant',
					},
				],
			},
		],
	};

	methods = { credentialTest: { journeyStoreConnectionTest } };

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const now = nowIso();
		return await withJourneyStore(this, async (store) =>
			await routeEachItem(this, 1, async (_item, itemIndex) => {
				const departments = String(this.getNodeParameter('departments', itemIndex, '') ?? '')
					.split(',')
					.map((department) => department.trim())
					.filter(Boolean);
				const rules = this.getNodeParameter('options', itemIndex, {}) as Partial<ReportRules>;
				const { report, journeys } = await buildFollowUpReport(store, {
					period: periodOf(this, itemIndex, now),
					departments,
					asOf: now,
					rules,
				});
				if (this.getNodeParameter('output', itemIndex) === 'journeys') {
					return journeys.map((row) => ({ output: 0, json: row as unknown as IDataObject }));
				}
				return [
					{
						output: 0,
						json: {
							// The headline figures first, for an email subject or a chat message.
							followUpBookingRate: report.followUpBooking.rate.percent,
							recallComplianceRate: report.recallCompliance.rate.percent,
							careSummariesSentRate: report.careSummaries.sent.percent,
							careSummariesDeliveredRate: report.careSummaries.delivered.percent,
							...report,
						} as unknown as IDataObject,
					},
				];
			}),
		);
	}
}
