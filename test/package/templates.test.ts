import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

import type { INodeProperties, INodeType } from 'n8n-workflow';

import { BookingCheck } from '../../nodes/BookingCheck/BookingCheck.node';
import { CadenceWait } from '../../nodes/CadenceWait/CadenceWait.node';
import { ChannelRouter } from '../../nodes/ChannelRouter/ChannelRouter.node';
import { EhrPollTrigger } from '../../nodes/EhrPollTrigger/EhrPollTrigger.node';
import { EhrTask } from '../../nodes/EhrTask/EhrTask.node';
import { EhrTrigger } from '../../nodes/EhrTrigger/EhrTrigger.node';
import { PatientMessage } from '../../nodes/PatientMessage/PatientMessage.node';
import { VisitDetails } from '../../nodes/VisitDetails/VisitDetails.node';

const templatesDir = resolve(__dirname, '../../workflows-templates');
const packNodes: Record<string, INodeType> = {
	ehrTrigger: new EhrTrigger(),
	ehrPollTrigger: new EhrPollTrigger(),
	visitDetails: new VisitDetails(),
	cadenceWait: new CadenceWait(),
	bookingCheck: new BookingCheck(),
	channelRouter: new ChannelRouter(),
	patientMessage: new PatientMessage(),
	ehrTask: new EhrTask(),
};
/** n8n's own nodes the templates use, with how many outputs they have. */
const stockNodes: Record<string, number> = {
	'n8n-nodes-base.stickyNote': 0,
	'n8n-nodes-base.noOp': 1,
	'n8n-nodes-base.errorTrigger': 1,
	'n8n-nodes-base.emailSend': 1,
};

interface TemplateNode {
	name: string;
	type: string;
	typeVersion: number;
	parameters: Record<string, unknown>;
	credentials?: Record<string, { id?: string }>;
}
interface Template {
	name: string;
	nodes: TemplateNode[];
	connections: Record<string, { main: Array<Array<{ node: string; type: string; index: number }>> }>;
	meta?: { templateCredsSetupCompleted?: boolean };
	pinData?: Record<string, unknown>;
}

const templates = readdirSync(templatesDir)
	.filter((file) => file.endsWith('.json'))
	.map((file) => [file, JSON.parse(readFileSync(join(templatesDir, file), 'utf8')) as Template] as const);

function outputCount(node: TemplateNode): number {
	if (node.type in stockNodes) return stockNodes[node.type];
	const pack = packNodes[node.type.replace('n8n-nodes-post-visit.', '')];
	return pack.description.outputs.length;
}

/** Parameters n8n adds to every polling node. */
const implicitParameters = new Set(['pollTimes']);

function parameterIsValid(properties: INodeProperties[], name: string, value: unknown): boolean {
	const property = properties.find((candidate) => candidate.name === name);
	if (!property) return false;
	if (property.type === 'options') {
		return (property.options ?? []).some((option) => (option as { value: unknown }).value === value) || String(value).startsWith('=');
	}
	if (property.type === 'number') return typeof value === 'number';
	if (property.type === 'boolean') return typeof value === 'boolean';
	if (property.type === 'string') return typeof value === 'string';
	return true;
}

describe.each(templates)('template %s', (_file, template) => {
	it('uses only node types that exist, with valid parameters', () => {
		for (const node of template.nodes) {
			if (node.type.startsWith('n8n-nodes-post-visit.')) {
				const pack = packNodes[node.type.slice('n8n-nodes-post-visit.'.length)];
				expect(pack).toBeDefined();
				expect(node.typeVersion).toBe(1);
				for (const [name, value] of Object.entries(node.parameters)) {
					if (implicitParameters.has(name) && pack.description.polling) continue;
					expect([node.name, name, parameterIsValid(pack.description.properties, name, value)]).toEqual([node.name, name, true]);
				}
			} else {
				expect(Object.keys(stockNodes)).toContain(node.type);
			}
		}
	});

	it('connects real outputs to real nodes', () => {
		const names = new Set(template.nodes.map((node) => node.name));
		for (const [source, { main }] of Object.entries(template.connections)) {
			const node = template.nodes.find((candidate) => candidate.name === source);
			expect(node).toBeDefined();
			expect(main.length).toBeLessThanOrEqual(outputCount(node!));
			for (const targets of main) for (const target of targets) expect(names.has(target.node)).toBe(true);
		}
	});

	it('carries no credential ids, no pinned data and asks for credential set-up', () => {
		for (const node of template.nodes) expect(node.credentials).toBeUndefined();
		expect(template.pinData ?? {}).toEqual({});
		expect(template.meta?.templateCredsSetupCompleted).toBe(false);
	});
});

describe('the three-stage template', () => {
	const template = templates.find(([file]) => file === 'post-visit-three-stage.json')![1];
	const byName = (name: string) => template.connections[name]?.main ?? [];

	it('loops every "Held" output back through a Cadence Wait and sends every "Staff Call" and "Not Sent" to the EHR Task', () => {
		for (const node of template.nodes.filter((n) => n.type === 'n8n-nodes-post-visit.patientMessage')) {
			const [, held, notSent] = byName(node.name);
			const wait = template.nodes.find((n) => n.name === held[0].node)!;
			expect(wait.type).toBe('n8n-nodes-post-visit.cadenceWait');
			expect(byName(wait.name)[0][0].node).toBe(node.name);
			expect(notSent[0].node).toBe('Staff Follow-Up Task');
		}
		for (const node of template.nodes.filter((n) => n.type === 'n8n-nodes-post-visit.channelRouter')) {
			expect(byName(node.name)[1][0].node).toBe('Staff Follow-Up Task');
		}
	});

	it('lays the three stages out left to right with a sticky note for each and one overview', () => {
		const stickies = template.nodes.filter((n) => n.type === 'n8n-nodes-base.stickyNote').map((n) => n.name);
		expect(stickies).toEqual(expect.arrayContaining(['Overview', 'Stage 1 note', 'Stage 2 note', 'Stage 3 note']));
		const x = (name: string) => (template.nodes.find((n) => n.name === name) as unknown as { position: number[] }).position[0];
		expect(x('Send Care Summary')).toBeLessThan(x('Send Reminder'));
		expect(x('Send Reminder')).toBeLessThan(x('Staff Follow-Up Task'));
	});
});
