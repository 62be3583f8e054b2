import { connect } from 'node:net';

import { frame, MllpDecoder, parseHl7 } from '../nodes/shared/ehr/hl7v2';
import type { DemoPatient } from './demo-patients';

/**
 * The sandbox's HL7 v2 feed: what Epic's outgoing Cadence interface sends when a visit is checked out (an SIU^S14
 * whose SCH-25 is "Complete"), built for a demo patient, with the follow-up visit the clinician ordered (ORC/OBR,
 * SNOMED 390906007, placer order number `FU-<appointment id>`), and an MLLP sender that collects the ACKs.
 */
export function checkedOutSiu(options: { patient: DemoPatient; fhirPatientId: string; appointmentId: string; controlId: string; at: Date }): string {
	const { patient } = options;
	const stamp = options.at.toISOString().replace(/[-:T]/g, '').slice(0, 14) + '+0000';
	const contacts = [
		patient.mobile ? `^PRN^CP^^^^^^^^^${patient.mobile}` : '',
		patient.landline ? `^PRN^PH^^^^^^^^^${patient.landline}` : '',
		patient.email ? `^NET^Internet^${patient.email}` : '',
	].filter(Boolean);
	const sch = ['SCH', 'PL-' + options.appointmentId, options.appointmentId, ...Array.from({ length: 22 }, () => ''), 'Complete'].join('|');
	return [
		`MSH|^~\\&|EPIC|RIVERSIDE|POSTVISIT|RIVERSIDE|${stamp}||SIU^S14^SIU_S12|${options.controlId}|P|2.5.1`,
		sch,
		`PID|1||${options.fhirPatientId}^^^EPIC^MR||${patient.lastName}^${patient.firstName}||${patient.birthDate.replace(/-/g, '')}|||||${contacts.join('~')}||${patient.language === 'es' ? 'SPA' : 'ENG'}`,
		`ORC|NW|FU-${options.appointmentId}^EPIC`,
		`OBR|1|FU-${options.appointmentId}^EPIC||390906007^Follow-up encounter^SCT`,
		'RGS|1',
		'AIL|1||RFM^^^RIVERSIDE',
	].join('\r');
}

/** Sends messages over one MLLP connection and resolves with one ACK per message, in order. */
export async function sendMllp(port: number, messages: string[], host = '127.0.0.1', timeoutMs = 60_000): Promise<string[]> {
	return await new Promise((resolve, reject) => {
		const acks: string[] = [];
		const decoder = new MllpDecoder(1024 * 1024);
		const socket = connect({ port, host }, () => {
			for (const message of messages) socket.write(frame(message));
		});
		const timer = setTimeout(() => {
			socket.destroy();
			reject(new Error(`MLLP: ${acks.length} of ${messages.length} ACKs within ${timeoutMs} ms`));
		}, timeoutMs);
		socket.on('data', (data: Buffer) => {
			for (const event of decoder.push(data)) if (event.kind === 'message') acks.push(event.text);
			if (acks.length >= messages.length) {
				clearTimeout(timer);
				socket.end();
				resolve(acks);
			}
		});
		socket.on('error', (error) => {
			clearTimeout(timer);
			reject(error);
		});
	});
}

/** The acknowledgement code of an ACK (MSA-1: AA accepted, AE send again, AR refused). */
export function ackCodeOf(ack: string): string {
	return parseHl7(ack).value({ segment: 'MSA', field: 1 });
}

/** A workflow that only listens: HL7 v2 Trigger → No Op (the reliability suite counts its executions). */
export function hl7v2ListenerWorkflow(name: string, port: number, journeyStoreCredentialId: string) {
	return {
		name,
		nodes: [
			{
				id: 'a1f2b7c0-0000-4000-8000-000000000001',
				name: 'HL7 v2 Trigger',
				type: 'n8n-nodes-post-visit.hl7v2Trigger',
				typeVersion: 1,
				position: [0, 0],
				parameters: { port, bindAddress: '127.0.0.1' },
				credentials: { journeyStoreApi: { id: journeyStoreCredentialId, name: 'journeyStoreApi' } },
			},
			{ id: 'a1f2b7c0-0000-4000-8000-000000000002', name: 'Received', type: 'n8n-nodes-base.noOp', typeVersion: 1, position: [240, 0], parameters: {} },
		],
		connections: { 'HL7 v2 Trigger': { main: [[{ node: 'Received', type: 'main', index: 0 }]] } },
		settings: {},
	};
}

/**
 * The three-stage template with the HL7 v2 Trigger in place of the EHR Trigger (and no EHR Poll Trigger): the
 * prepared template's other nodes already name EHR "hl7v2" and the FHIR credential.
 */
export function withHl7v2Trigger<T extends { nodes: Array<Record<string, unknown>>; connections: unknown }>(prepared: T, port: number, journeyStoreCredentialId: string): T {
	const connections = { ...(prepared.connections as Record<string, unknown>) };
	const ehrTriggerOutputs = connections['EHR Trigger'];
	delete connections['EHR Trigger'];
	delete connections['EHR Poll Trigger'];
	connections['HL7 v2 Trigger'] = ehrTriggerOutputs;
	const nodes = prepared.nodes
		.filter((node) => node.name !== 'EHR Poll Trigger')
		.map((node) =>
			node.name === 'EHR Trigger'
				? {
						id: node.id,
						name: 'HL7 v2 Trigger',
						type: 'n8n-nodes-post-visit.hl7v2Trigger',
						typeVersion: 1,
						position: node.position,
						parameters: { port, bindAddress: '127.0.0.1' },
						credentials: { journeyStoreApi: { id: journeyStoreCredentialId, name: 'journeyStoreApi' } },
					}
				: node,
		);
	return { ...prepared, nodes, connections };
}

/** The three-stage template polling Tebra: the EHR Poll Trigger on (every minute), no EHR Trigger (Tebra pushes nothing). */
export function withPollTriggerOnly<T extends { nodes: Array<Record<string, unknown>>; connections: unknown }>(prepared: T): T {
	const connections = { ...(prepared.connections as Record<string, unknown>) };
	delete connections['EHR Trigger'];
	const nodes = prepared.nodes
		.filter((node) => node.name !== 'EHR Trigger')
		.map((node) => (node.name === 'EHR Poll Trigger' ? { ...node, disabled: false } : node));
	return { ...prepared, nodes, connections };
}
