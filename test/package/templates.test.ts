import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

import { NodeHelpers } from 'n8n-workflow';
import type { INodeParameters, INodeProperties, INodeType, INodeTypeDescription, IVersionedNodeType } from 'n8n-workflow';

import { BookingCheck } from '../../nodes/BookingCheck/BookingCheck.node';
import { CadenceWait } from '../../nodes/CadenceWait/CadenceWait.node';
import { ChannelRouter } from '../../nodes/ChannelRouter/ChannelRouter.node';
import { DeliveryStatusTrigger } from '../../nodes/DeliveryStatusTrigger/DeliveryStatusTrigger.node';
import { EhrPollTrigger } from '../../nodes/EhrPollTrigger/EhrPollTrigger.node';
import { EhrTask } from '../../nodes/EhrTask/EhrTask.node';
import { EhrTrigger } from '../../nodes/EhrTrigger/EhrTrigger.node';
import { FollowUpReport } from '../../nodes/FollowUpReport/FollowUpReport.node';
import { JourneyDueTrigger } from '../../nodes/JourneyDueTrigger/JourneyDueTrigger.node';
import { JourneyLog } from '../../nodes/JourneyLog/JourneyLog.node';
import { PatientMessage } from '../../nodes/PatientMessage/PatientMessage.node';
import { PatientReplyTrigger } from '../../nodes/PatientReplyTrigger/PatientReplyTrigger.node';
import { RecordDelivery } from '../../nodes/RecordDelivery/RecordDelivery.node';
import { TimelinePreview } from '../../nodes/TimelinePreview/TimelinePreview.node';
import { VisitDetails } from '../../nodes/VisitDetails/VisitDetails.node';

const templatesDir = resolve(__dirname, '../../workflows-templates');
const packNodes: Record<string, INodeType | IVersionedNodeType> = {
	ehrTrigger: new EhrTrigger(),
	ehrPollTrigger: new EhrPollTrigger(),
	visitDetails: new VisitDetails(),
	cadenceWait: new CadenceWait(),
	bookingCheck: new BookingCheck(),
	channelRouter: new ChannelRouter(),
	patientMessage: new PatientMessage(),
	ehrTask: new EhrTask(),
	deliveryStatusTrigger: new DeliveryStatusTrigger(),
	recordDelivery: new RecordDelivery(),
	journeyDueTrigger: new JourneyDueTrigger(),
	journeyLog: new JourneyLog(),
	followUpReport: new FollowUpReport(),
	timelinePreview: new TimelinePreview(),
	patientReplyTrigger: new PatientReplyTrigger(),
};
/** n8n's own nodes the templates use, with how many outputs they have. */
const stockNodes: Record<string, number> = {
	'n8n-nodes-base.stickyNote': 0,
	'n8n-nodes-base.noOp': 1,
	'n8n-nodes-base.errorTrigger': 1,
	'n8n-nodes-base.emailSend': 1,
	'n8n-nodes-base.emailReadImap': 1,
	'n8n-nodes-base.scheduleTrigger': 1,
	'n8n-nodes-base.manualTrigger': 1,
	'n8n-nodes-base.dataTable': 1,
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

/** The description of the version a template node uses, as n8n resolves it. */
function packDescription(node: TemplateNode): INodeTypeDescription {
	const pack = packNodes[node.type.replace('n8n-nodes-post-visit.', '')];
	return ('nodeVersions' in pack ? pack.getNodeType(node.typeVersion) : pack).description;
}

function outputCount(node: TemplateNode): number {
	if (node.type in stockNodes) return stockNodes[node.type];
	const { outputs } = packDescription(node);
	// A trigger whose outputs follow its Steps list: one per step, then Needs Staff.
	if (typeof outputs === 'string') return (((node.parameters.steps as { step?: unknown[] })?.step ?? []).length) + 1;
	return outputs.length;
}

/** Parameters n8n adds to every polling node. */
const implicitParameters = new Set(['pollTimes']);

/**
 * Valid for the property of that name the editor shows with these settings: a node may define one name twice, each
 * shown for other settings (the EHR Poll Trigger's Event, one per EHR group). A stored value no property shows is
 * invalid too.
 */
function parameterIsValid(node: TemplateNode, description: INodeTypeDescription, name: string, value: unknown): boolean {
	const { properties } = description;
	const settings = NodeHelpers.getNodeParameters(properties, node.parameters as INodeParameters, true, false, node, description) ?? {};
	const shown = properties.filter((candidate) => candidate.name === name && NodeHelpers.displayParameter(settings, candidate, node, description));
	return shown.length > 0 && shown.every((property) => valueIsValid(property, value));
}

function valueIsValid(property: INodeProperties, value: unknown): boolean {
	// The options of a list loaded from a credential or the EHR when the panel opens are not known here.
	if (property.type === 'options' && property.typeOptions?.loadOptionsMethod) return typeof value === 'string';
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
				const description = packDescription(node);
				expect([description.version].flat()).toContain(node.typeVersion);
				for (const [name, value] of Object.entries(node.parameters)) {
					if (implicitParameters.has(name) && description.polling) continue;
					expect([node.name, name, parameterIsValid(node, description, name, value)]).toEqual([node.name, name, true]);
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

	it('keeps every journey in the journey store: each Cadence Wait is version 2, its Step has a trigger output that goes on where "Due Now" does', () => {
		const waits = template.nodes.filter((node) => node.type === 'n8n-nodes-post-visit.cadenceWait');
		if (waits.length === 0) return;
		const triggers = template.nodes.filter((node) => node.type === 'n8n-nodes-post-visit.journeyDueTrigger');
		expect(triggers).toHaveLength(1);
		const [trigger] = triggers;
		const steps = ((trigger.parameters.steps as { step: Array<{ name: string }> }).step ?? []).map((entry) => entry.name);
		const targetsOf = (name: string, output: number) => (template.connections[name]?.main[output] ?? []).map((target) => target.node);
		for (const wait of waits) {
			expect([wait.name, wait.typeVersion]).toEqual([wait.name, 2]);
			const step = String(wait.parameters.step);
			expect(steps).toContain(step);
			expect([wait.name, targetsOf(trigger.name, steps.indexOf(step))]).toEqual([wait.name, targetsOf(wait.name, 0)]);
		}
		expect(new Set(steps).size).toBe(steps.length);
		expect(steps.every((step) => waits.some((wait) => wait.parameters.step === step))).toBe(true);
		const needsStaff = targetsOf(trigger.name, steps.length);
		expect(needsStaff.map((name) => template.nodes.find((node) => node.name === name)!.type)).toEqual(['n8n-nodes-post-visit.ehrTask']);
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

	it('loops every "Held" output back through a Cadence Wait and a new EHR check to its stage, and sends every "Staff Call" and "Not Sent" to the EHR Task', () => {
		const typeOf = (name: string) => template.nodes.find((n) => n.name === name)!.type;
		const nodeAfter = (name: string, output = 0) => byName(name)[output][0].node;
		for (const node of template.nodes.filter((n) => n.type === 'n8n-nodes-post-visit.patientMessage')) {
			const [, held, notSent] = byName(node.name);
			expect(typeOf(held[0].node)).toBe('n8n-nodes-post-visit.cadenceWait');
			// After the wait the EHR is asked again (a booking or a cancellation meanwhile ends the journey)…
			const check = nodeAfter(held[0].node);
			expect(typeOf(check)).toBe('n8n-nodes-post-visit.bookingCheck');
			expect(nodeAfter(check, 1)).toBe('Journey Done');
			// …then the stage routes afresh and comes back to the same sender.
			const router = nodeAfter(check, 0);
			expect(typeOf(router)).toBe('n8n-nodes-post-visit.channelRouter');
			expect(nodeAfter(router, 0)).toBe(node.name);
			expect(notSent[0].node).toBe('Staff Follow-Up Task');
		}
		// Only a cancellation stops a held care summary: a patient who booked meanwhile still gets it.
		const stageOneCheck = nodeAfter('Wait for Window (Stage 1)');
		expect(template.nodes.find((n) => n.name === stageOneCheck)!.parameters).toMatchObject({ doneWhen: 'visitCancelled' });
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

describe('the delivery-status template', () => {
	const template = templates.find(([file]) => file === 'delivery-status.json')![1];
	const targets = (name: string) => (template.connections[name]?.main ?? []).map((output) => output.map((target) => target.node));
	const node = (name: string) => template.nodes.find((candidate) => candidate.name === name)!;

	it('sends both kinds of report through the same fallback: stage 1 and 2 to a router of that stage, unanswered calls to the task', () => {
		for (const record of ['Record Twilio Status', 'Record Email Bounce']) {
			const [stage1, stage2, unanswered, recorded] = targets(record);
			expect(node(stage1[0]).parameters.stage).toBe(1);
			expect(node(stage2[0]).parameters.stage).toBe(2);
			expect(node(unanswered[0]).type).toBe('n8n-nodes-post-visit.ehrTask');
			expect(node(recorded[0]).type).toBe('n8n-nodes-base.noOp');
		}
		expect(node('Record Twilio Status').parameters.operation).toBe('twilioStatus');
		expect(node('Record Email Bounce').parameters.operation).toBe('emailBounce');
		expect(targets('Delivery Status Trigger')).toEqual([['Record Twilio Status']]);
		expect(targets('Email Trigger (IMAP)')).toEqual([['Record Email Bounce']]);
	});

	it('keeps each fallback on its stage: Held loops through a Cadence Wait back to the router of its stage, Staff Call and Not Sent reach the task', () => {
		for (const [router, sender] of [['Route Care Summary Again', 'Send Care Summary Again'], ['Route Reminder Again', 'Send Reminder Again']]) {
			expect(targets(router)).toEqual([[sender], ['Staff Task']]);
			expect(node(sender).parameters.stage).toBe(node(router).parameters.stage);
			const [, held, notSent] = targets(sender);
			expect(node(held[0]).type).toBe('n8n-nodes-post-visit.cadenceWait');
			// A journey resumed from the store carries no route: it is routed again (skipping what failed).
			expect(targets(held[0])).toEqual([[router]]);
			expect(notSent).toEqual(['Staff Task']);
		}
	});

	it('ships the IMAP bounce trigger switched off (it needs a mailbox first) and the RAW format the bounce parser reads', () => {
		const imap = node('Email Trigger (IMAP)') as TemplateNode & { disabled?: boolean };
		expect(imap.disabled).toBe(true);
		expect(imap.parameters.format).toBe('raw');
		expect(node('Record Email Bounce').parameters.message).toBe('={{ $json.raw }}');
	});
});

describe('the three-stage template, stage 3', () => {
	const template = templates.find(([file]) => file === 'post-visit-three-stage.json')![1];
	const targets = (name: string) => (template.connections[name]?.main ?? []).map((output) => output.map((target) => target.node));

	it('routes stage 3 through a router whose voice option is off by default, so the task stays the default touch', () => {
		expect(targets('Booked After Reminder?')[0]).toEqual(['Route Stage 3']);
		const router = template.nodes.find((n) => n.name === 'Route Stage 3')!;
		expect(router.parameters).toEqual({ stage: 3, allowVoice: false });
		expect(targets('Route Stage 3')).toEqual([['Stage 3 Voice Message'], ['Staff Follow-Up Task']]);
		// A placed call ends here; the delivery-status workflow creates the task if nobody answers.
		expect(targets('Stage 3 Voice Message')[0]).toEqual(['Voice Message Placed']);
	});
});

describe('the weekly report and timeline preview templates', () => {
	const weekly = templates.find(([file]) => file === 'weekly-report.json')![1];
	const preview = templates.find(([file]) => file === 'timeline-preview.json')![1];
	const node = (template: Template, name: string) => template.nodes.find((candidate) => candidate.name === name) as TemplateNode & { disabled?: boolean };
	const targets = (template: Template, name: string) => (template.connections[name]?.main ?? []).map((output) => output.map((target) => target.node));

	it('runs the report every Monday at 07:00 over the previous 7 whole days and emails its text', () => {
		expect(node(weekly, 'Every Monday 07:00').parameters.rule).toEqual({
			interval: [{ field: 'weeks', weeksInterval: 1, triggerAtDay: [1], triggerAtHour: 7, triggerAtMinute: 0 }],
		});
		expect(node(weekly, 'Follow-Up Report (Last Week)').parameters).toMatchObject({ period: 'previousDays', days: 7, output: 'summary' });
		expect(targets(weekly, 'Follow-Up Report (Last Week)')).toEqual([['Email Practice Manager']]);
		expect(String(node(weekly, 'Email Practice Manager').parameters.text)).toContain('{{ $json.text }}');
	});

	it('has the watchdog look every morning for journeys that became overdue in the last 24 hours, and email them once', () => {
		const watchdog = templates.find(([file]) => file === 'journey-watchdog.json')![1];
		expect(node(watchdog, 'Every Day 08:00').parameters.rule).toEqual({ interval: [{ field: 'days', daysInterval: 1, triggerAtHour: 8, triggerAtMinute: 0 }] });
		expect(targets(watchdog, 'Every Day 08:00')).toEqual([['Overdue Journeys']]);
		expect(node(watchdog, 'Overdue Journeys').parameters).toMatchObject({
			output: 'journeys',
			onlyOverdue: true,
			overdueGraceMinutes: 60,
			overdueWithinHours: 24,
			types: 'wait.scheduled, touch.held',
		});
		expect(targets(watchdog, 'Overdue Journeys')).toEqual([['Email Practice Manager']]);
		const email = node(watchdog, 'Email Practice Manager') as TemplateNode & { executeOnce?: boolean };
		expect(email.executeOnce).toBe(true);
		expect(String(email.parameters.text)).toContain('$input.all()');
	});

	it('ships the optional data-table copies switched off, so both templates import and run before a table exists', () => {
		expect(targets(weekly, 'Journal of Last Week')).toEqual([['Copy to Data Table']]);
		for (const template of [weekly, preview]) {
			const copy = node(template, 'Copy to Data Table');
			expect(copy.disabled).toBe(true);
			expect(copy.parameters).toMatchObject({ resource: 'row', operation: 'insert', columns: expect.objectContaining({ mappingMode: 'autoMapInputData' }) });
		}
		expect(node(weekly, 'Journal of Last Week').disabled).toBe(true);
	});

	it('previews the last 7 days from a manual trigger with the templates\' own waits', () => {
		expect(targets(preview, 'Run the Preview')).toEqual([['Timeline Preview']]);
		expect(node(preview, 'Timeline Preview').parameters).toEqual({ source: 'ehrVisits', ehr: 'fhir', days: 7, cadence: {} });
		for (const template of [weekly, preview]) {
			expect(template.nodes.filter((n) => n.type === 'n8n-nodes-base.stickyNote').length).toBeGreaterThanOrEqual(3);
		}
	});
});

describe('the patient-replies template', () => {
	const template = templates.find(([file]) => file === 'patient-replies.json')![1];
	const node = (name: string) => template.nodes.find((n) => n.name === name)!;

	it('wires each of the trigger\'s five outputs, Staff to an EHR Task', () => {
		const trigger = template.nodes.find((n) => n.type === 'n8n-nodes-post-visit.patientReplyTrigger')!;
		const outputs = template.connections[trigger.name].main;
		expect(outputs).toHaveLength(new PatientReplyTrigger().description.outputs.length);
		for (const targets of outputs) expect(targets).toHaveLength(1);
		expect(node(outputs[4][0].node).type).toBe('n8n-nodes-post-visit.ehrTask');
		expect(node(outputs[4][0].node).parameters.ehr).toBe(trigger.parameters.ehr);
	});

	it('tells ops where the URL goes in Twilio and what each output does', () => {
		const notes = template.nodes.filter((n) => n.type === 'n8n-nodes-base.stickyNote').map((n) => String(n.parameters.content)).join('\n');
		expect(notes).toMatch(/A message comes in/);
		expect(notes).toMatch(/HTTP POST/);
		expect(notes).toMatch(/N8N_WEBHOOK_URL/);
		for (const output of ['Opted Out', 'Opted In', 'Help', 'Book', 'Staff']) expect(notes).toContain(`**${output}**`);
	});
});
