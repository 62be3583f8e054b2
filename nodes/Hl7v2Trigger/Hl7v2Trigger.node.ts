import { NodeConnectionTypes } from 'n8n-workflow';
import type { INodeType, INodeTypeDescription, ITriggerFunctions, ITriggerResponse } from 'n8n-workflow';

import { epicCompletionDefaults } from '../shared/ehr/hl7v2';
import { journeyStoreConnectionTest } from '../shared/n8n/credentialTests';
import { toNodeError } from '../shared/n8n/errors';
import { hl7v2TlsTest, startHl7v2Trigger } from '../shared/n8n/hl7v2Listener';

export class Hl7v2Trigger implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'HL7 v2 Trigger',
		name: 'hl7v2Trigger',
		icon: { light: 'file:hl7v2Trigger.svg', dark: 'file:hl7v2Trigger.dark.svg' },
		group: ['trigger'],
		version: 1,
		subtitle: '={{"MLLP on port " + $parameter["port"]}}',
		description: 'Starts journeys from an HL7 v2 feed over MLLP (Epic Cadence SIU, ADT^A03, interface engines); answers each message with an ACK or NAK',
		defaults: { name: 'HL7 v2 Trigger' },
		inputs: [],
		outputs: [NodeConnectionTypes.Main],
		credentials: [
			{ name: 'journeyStoreApi', required: true, testedBy: 'journeyStoreConnectionTest' },
			{ name: 'hl7v2MllpTlsApi', required: false, testedBy: 'hl7v2TlsTest' },
		],
		properties: [
			{
				displayName:
					'Connect Visit Details (EHR: HL7 v2 Feed) next. The listener runs in n8n\'s main process only (queue mode too): point the sender at that host. Without an HL7 v2 MLLP TLS credential the port speaks plain TCP: keep it on a VPN or private network.',
				name: 'notice',
				type: 'notice',
				default: '',
			},
			{ displayName: 'Port', name: 'port', type: 'number', default: 2575, required: true, description: 'TCP port the MLLP listener opens' },
			{ displayName: 'Bind Address', name: 'bindAddress', type: 'string', default: '0.0.0.0' },
			{
				displayName: 'Allowed Client Addresses',
				name: 'allowedClients',
				type: 'string',
				default: '',
				placeholder: '10.20.0.15, 10.20.0.16',
				description: 'Comma-separated IP addresses of the sending systems; others are disconnected. Empty: any.',
			},
			{
				displayName: 'SIU Events',
				name: 'siuEvents',
				type: 'string',
				default: epicCompletionDefaults.siuEvents.join(','),
				description: 'Scheduling events read for a completed status (Epic Cadence sends S12 new, S13 rescheduled, S14 modified, S15 cancelled, S17 deleted, S26 no-show)',
			},
			{
				displayName: 'Status Field',
				name: 'statusField',
				type: 'string',
				default: epicCompletionDefaults.statusField,
				description: 'Where the appointment status is: SCH-25 (filler status code, HL7 table 0278) by default; a site\'s own field (e.g. ZSC-3.1) if its interface puts it elsewhere',
			},
			{
				displayName: 'Completed Statuses',
				name: 'completedStatuses',
				type: 'string',
				default: epicCompletionDefaults.completedStatuses.join(','),
				description: 'Comma-separated status values that mean checked out or complete (case-insensitive)',
			},
			{
				displayName: 'ADT^A03 Is a Completed Visit',
				name: 'adtDischarge',
				type: 'boolean',
				default: true,
				description: 'Whether a discharge / end-of-visit (ADT^A03) starts a journey',
			},
			{ displayName: 'Max Message Size (KB)', name: 'maxMessageKb', type: 'number', default: 1024 },
		],
	};

	methods = { credentialTest: { journeyStoreConnectionTest, hl7v2TlsTest } };

	async trigger(this: ITriggerFunctions): Promise<ITriggerResponse> {
		try {
			return await startHl7v2Trigger(this);
		} catch (error) {
			throw toNodeError(this.getNode(), error);
		}
	}
}
