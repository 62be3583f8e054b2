import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

import type { INodeType, INodeTypeDescription, IVersionedNodeType } from 'n8n-workflow';

import { credentialServesEhr } from '../../nodes/shared/n8n/descriptions';
import { prepareTemplate } from '../../sandbox/environment';
import { withHl7v2Trigger, withPollTriggerOnly } from '../../sandbox/hl7v2-demo';

/*
 * The sandbox's Tebra and HL7 v2 workflows, derived from the three-stage template: the trigger each EHR needs, the
 * EHR set on every node (the Journey Due Trigger included), and every credential the nodes declare for that EHR.
 */

type Node = { name: string; type: string; typeVersion: number; parameters: Record<string, unknown>; disabled?: boolean; credentials?: Record<string, { id: string }> };
type Workflow = { name: string; nodes: Node[]; connections: Record<string, { main: Array<Array<{ node: string }>> }> };

const credentialIds = Object.fromEntries(
	['tebraApi', 'fhirR4Api', 'journeyStoreApi', 'practiceProfileApi', 'postVisitTwilioApi', 'postVisitSmtpApi', 'ehrWebhookApi', 'smtp'].map((type) => [type, `id-${type}`]),
);
const threeStage = JSON.parse(readFileSync(resolve(__dirname, '../../workflows-templates/post-visit-three-stage.json'), 'utf8'));
const mllpPort = 2575;

function prepared(ehr: 'tebra' | 'hl7v2'): Workflow {
	const base = prepareTemplate(threeStage, { name: `three-stage (${ehr})`, ehr, webhookPath: '', credentialIds });
	return (ehr === 'tebra' ? withPollTriggerOnly(base) : withHl7v2Trigger(base, mllpPort, credentialIds.journeyStoreApi)) as unknown as Workflow;
}

/** The description of the version a node uses, from its class in nodes/<Name>/<Name>.node.ts. */
function descriptionOf(node: Node): INodeTypeDescription {
	const short = node.type.slice('n8n-nodes-post-visit.'.length);
	const name = short[0].toUpperCase() + short.slice(1);
	const exported = jest.requireActual<Record<string, new () => INodeType | IVersionedNodeType>>(`../../nodes/${name}/${name}.node`);
	const pack = new exported[name]();
	return ('nodeVersions' in pack ? pack.getNodeType(node.typeVersion) : pack).description;
}

/** The credentials a node requires with this EHR picked, as its description declares them. */
function requiredCredentials(node: Node, ehr: string): string[] {
	return (descriptionOf(node).credentials ?? [])
		.filter((credential) => credential.required && credentialServesEhr(credential, ehr))
		.map((credential) => credential.name)
		.sort();
}

const packNodesOf = (workflow: Workflow) => workflow.nodes.filter((node) => node.type.startsWith('n8n-nodes-post-visit.'));

describe.each([
	['tebra', 'tebraApi'],
	['hl7v2', 'fhirR4Api'],
] as const)('the sandbox three-stage workflow for %s', (ehr, ehrCredential) => {
	const workflow = prepared(ehr);

	it(`sets EHR "${ehr}" on every node that has one, the Journey Due Trigger included`, () => {
		const withEhr = packNodesOf(workflow).filter((node) => 'ehr' in node.parameters);
		expect(withEhr.map((node) => node.name)).toContain('Journey Due Trigger');
		for (const node of withEhr) expect([node.name, node.parameters.ehr]).toEqual([node.name, ehr]);
	});

	it(`gives every node each credential it requires for ${ehr} (${ehrCredential} as the EHR's), and the sandbox's ids`, () => {
		for (const node of packNodesOf(workflow)) {
			const assigned = Object.keys(node.credentials ?? {}).sort();
			expect([node.name, assigned]).toEqual([node.name, expect.arrayContaining(requiredCredentials(node, ehr))]);
			for (const [type, reference] of Object.entries(node.credentials ?? {})) expect(reference.id).toBe(credentialIds[type]);
		}
		expect(Object.keys(workflow.nodes.find((node) => node.name === 'Journey Due Trigger')!.credentials!)).toContain(ehrCredential);
	});

	it('keeps no EHR Trigger: the EHR notifies no webhook', () => {
		expect(workflow.nodes.map((node) => node.name)).not.toContain('EHR Trigger');
		expect(Object.keys(workflow.connections)).not.toContain('EHR Trigger');
	});
});

describe('the trigger of each', () => {
	it('Tebra: the EHR Poll Trigger on, every minute (n8n refuses a shorter poll interval), into Visit Details', () => {
		const workflow = prepared('tebra');
		const poll = workflow.nodes.find((node) => node.name === 'EHR Poll Trigger')!;
		expect(poll.disabled).toBe(false);
		expect(poll.parameters).toMatchObject({ ehr: 'tebra', event: 'visitCompleted', pollTimes: { item: [{ mode: 'everyMinute' }] } });
		expect(workflow.connections['EHR Poll Trigger'].main[0].map((target) => target.node)).toEqual(['Visit Details']);
	});

	it('HL7 v2: the HL7 v2 Trigger on the sandbox port, loopback only, into Visit Details; no poll trigger', () => {
		const workflow = prepared('hl7v2');
		const trigger = workflow.nodes.find((node) => node.type === 'n8n-nodes-post-visit.hl7v2Trigger')!;
		expect(trigger.parameters).toEqual({ port: mllpPort, bindAddress: '127.0.0.1' });
		expect(Object.keys(trigger.credentials!)).toEqual(requiredCredentials(trigger, 'hl7v2'));
		expect(workflow.connections[trigger.name].main[0].map((target) => target.node)).toEqual(['Visit Details']);
		expect(workflow.nodes.map((node) => node.name)).not.toContain('EHR Poll Trigger');
	});
});

describe('the sandbox\'s staff-email templates', () => {
	it.each(['weekly-report.json', 'journey-watchdog.json'])('%s: Staff Email gets every credential it requires (the Post-Visit SMTP)', (file) => {
		const template = JSON.parse(readFileSync(resolve(__dirname, '../../workflows-templates', file), 'utf8'));
		const workflow = prepareTemplate(template, { name: file, ehr: 'fhir', webhookPath: '', credentialIds }) as unknown as Workflow;
		const email = workflow.nodes.find((node) => node.name === 'Email Practice Manager')!;
		expect(email.type).toBe('n8n-nodes-post-visit.staffEmail');
		expect(requiredCredentials(email, 'fhir')).toEqual(['postVisitSmtpApi']);
		expect(email.credentials).toEqual({ postVisitSmtpApi: { id: 'id-postVisitSmtpApi', name: 'postVisitSmtpApi' } });
	});
});
