import { NodeConnectionTypes } from 'n8n-workflow';
import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeType, INodeTypeDescription } from 'n8n-workflow';

import type { DeliveryReport } from '../shared/core/deliveryStatus';
import { dsnReport, parseDsn } from '../shared/core/dsn';
import { DomainError } from '../shared/core/errors';
import type { EhrKind } from '../shared/core/schemas';
import { deliveryStatusSummary } from '../shared/core/summaries';
import { recordDelivery } from '../shared/flows/recordDelivery';
import type { RecordDeliveryOutcome } from '../shared/flows/recordDelivery';
import { reloadJourney } from '../shared/flows/reloadJourney';
import { nowIso } from '../shared/n8n/clock';
import { journeyStoreConnectionTest, practiceProfileTest, tebraConnectionTest } from '../shared/n8n/credentialTests';
import { ehrApiCredentials, ehrNameExpression, ehrOptions } from '../shared/n8n/descriptions';
import { ehrAdapterFor } from '../shared/n8n/ehr';
import { toNodeError } from '../shared/n8n/errors';
import { routeEachItem } from '../shared/n8n/items';
import type { RoutedItem } from '../shared/n8n/items';
import { practiceProfileFor, withJourneyStore } from '../shared/n8n/resources';

const outputIndex = { stage1: 0, stage2: 1, staffTask: 2, recorded: 3 } as const;

/** The report a Delivery Status Trigger item carries. */
function reportFromItem(json: IDataObject): DeliveryReport {
	const report = json.deliveryStatus as Partial<DeliveryReport> | undefined;
	if (!report || !Array.isArray(report.providerIds) || typeof report.status !== 'string' || typeof report.final !== 'boolean') {
		throw new DomainError(
			'This item is not a delivery status: connect this node right after the Delivery Status Trigger (operation "Twilio Status")',
			'not_a_delivery_status',
			'deliveryStatus',
		);
	}
	return report as DeliveryReport;
}

/** What every output item says about the report (no message text, no address). */
function summaryOf(report: DeliveryReport, outcome: RecordDeliveryOutcome): IDataObject {
	const entry = outcome.entry;
	const touch = outcome.output === 'recorded' ? outcome.touch : undefined;
	const stage = entry?.stage ?? touch?.stage ?? null;
	const channel = entry?.channel ?? touch?.channel ?? null;
	const summary = deliveryStatusSummary({
		output: outcome.output,
		kind: report.kind,
		status: report.status,
		code: report.code,
		stage,
		channel,
		reason: outcome.output === 'recorded' ? outcome.reason : undefined,
	});
	return {
		provider: report.provider,
		kind: report.kind,
		status: report.status,
		outcome: report.outcome ?? null,
		code: report.code ?? null,
		...(report.answeredBy ? { answeredBy: report.answeredBy } : {}),
		providerId: entry?.providerId ?? touch?.providerId ?? report.providerIds[0] ?? null,
		journeyId: entry?.journeyId ?? touch?.journeyId ?? null,
		stage,
		channel,
		journalType: entry?.type ?? null,
		recorded: outcome.output === 'recorded' ? outcome.reason : 'recorded',
		...(outcome.output === 'recorded' && outcome.detail ? { detail: outcome.detail } : {}),
		summary,
	};
}

function routed(report: DeliveryReport, outcome: RecordDeliveryOutcome): RoutedItem {
	const deliveryStatus = summaryOf(report, outcome);
	if (outcome.output === 'recorded') return { output: outputIndex.recorded, json: { deliveryStatus } };
	const json = { ...(outcome.event as unknown as IDataObject), journey: outcome.trail as unknown as IDataObject, deliveryStatus };
	if (outcome.output === 'staffTask') return { output: outputIndex.staffTask, json };
	return { output: outcome.stage === 1 ? outputIndex.stage1 : outputIndex.stage2, json };
}

export class RecordDelivery implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Record Delivery',
		name: 'recordDelivery',
		icon: { light: 'file:recordDelivery.svg', dark: 'file:recordDelivery.dark.svg' },
		group: ['transform'],
		version: 1,
		subtitle: `={{($parameter["operation"] === "emailBounce" ? "Email bounce, " : "Twilio status, ") + ${ehrNameExpression}}}`,
		description:
			'Records a delivery status or a bounce against the message it is about, once, and hands undelivered messages to the fallback and unanswered calls to staff',
		defaults: { name: 'Record Delivery' },
		// Not a tool: it routes undelivered journeys to their fallback, nothing an AI agent should call (n8n has no `false`).
		usableAsTool: undefined,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main, NodeConnectionTypes.Main, NodeConnectionTypes.Main, NodeConnectionTypes.Main],
		outputNames: ['Undelivered: Stage 1', 'Undelivered: Stage 2', 'Call Unanswered', 'Recorded'],
		credentials: [
			...ehrApiCredentials,
			{ name: 'journeyStoreApi', required: true, testedBy: 'journeyStoreConnectionTest' },
			{ name: 'practiceProfileApi', required: true, testedBy: 'practiceProfileTest' },
		],
		properties: [
			{
				displayName:
					'"Undelivered" outputs carry the visit, fetched again from the EHR: connect each to a Channel Router and Patient Message of the same stage (they skip the failed address and never send a channel twice). "Call Unanswered" goes to EHR Task. "Recorded" gets everything else (delivered, answered, repeats, unknown messages), each with the reason.',
				name: 'wiringNotice',
				type: 'notice',
				default: '',
			},
			{
				displayName: 'Operation',
				name: 'operation',
				type: 'options',
				noDataExpression: true,
				options: [
					{
						name: 'Twilio Status',
						value: 'twilioStatus',
						action: 'Record a text message or call status',
						description: 'The items of a Delivery Status Trigger',
					},
					{
						name: 'Email Bounce',
						value: 'emailBounce',
						action: 'Record an email bounce',
						description: 'A delivery status notification (RFC 3464) from the bounce mailbox, e.g. from Email Trigger (IMAP)',
					},
				],
				default: 'twilioStatus',
			},
			ehrOptions,
			{
				displayName: 'Bounce Message',
				name: 'message',
				type: 'string',
				default: '={{ $json.raw }}',
				required: true,
				displayOptions: { show: { operation: ['emailBounce'] } },
				description:
					'The bounce email as text: the "raw" field of Email Trigger (IMAP) with Format "RAW", or any field holding the whole message. Mail that is not a bounce leaves by "Recorded".',
			},
		],
	};

	methods = { credentialTest: { journeyStoreConnectionTest, practiceProfileTest, tebraConnectionTest } };

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const operation = this.getNodeParameter('operation', 0) as 'twilioStatus' | 'emailBounce';
		const ehr = this.getNodeParameter('ehr', 0) as EhrKind;
		const profile = await practiceProfileFor(this);
		const adapter = await ehrAdapterFor(this, ehr);
		const nodeName = this.getNode().name;
		return await withJourneyStore(this, async (store) =>
			await routeEachItem(this, 4, async (item, itemIndex) => {
				let report: DeliveryReport;
				if (operation === 'twilioStatus') {
					report = reportFromItem(item.json);
				} else {
					try {
						report = dsnReport(parseDsn(String(this.getNodeParameter('message', itemIndex, ''))));
					} catch (error) {
						if (!(error instanceof DomainError) || error.code !== 'not_a_dsn') throw toNodeError(this.getNode(), error, itemIndex);
						const summary = deliveryStatusSummary({ output: 'recorded', kind: 'email', status: 'received', reason: 'notABounce' });
						const deliveryStatus = { provider: 'smtp', kind: 'email', recorded: 'notABounce', detail: error.message, summary };
						return [{ output: outputIndex.recorded, json: { deliveryStatus } }];
					}
				}
				const outcome = await recordDelivery({
					report,
					store,
					reload: async (journeyId) => await reloadJourney(journeyId, { store, adapter, context: profile }),
					now: nowIso(),
					nodeName,
				});
				return [routed(report, outcome)];
			}, { journal: store }),
		);
	}
}
