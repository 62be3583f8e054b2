/**
 * The HL7 v2 Trigger in a real n8n 2.41.1 (issue #20): 1,000 malformed messages each get a NAK, n8n stays up and
 * no execution starts; a resent control id (MSH-10) is acknowledged and starts nothing. The workflow is only the
 * trigger and a No Op, so every execution counted is one the listener started.
 */
import { malformedMessages, siuMessage } from '../ehr/hl7v2/messages';
import { msaOf } from '../ehr/hl7v2/mllpClient';
import { hl7v2ListenerWorkflow, sendMllp } from '../../sandbox/hl7v2-demo';
import type { Sandbox } from '../../sandbox/environment';
import { eventually, startReliabilitySandbox } from './helpers-faults';
import { counts, reliabilityPort } from './profile';
import { outcomeOf, recordRow } from './results';

const section = 'hl7v2';
const title = 'HL7 v2 listener (MLLP)';
const malformedCount = counts.malformedHl7Messages;
// Not 5733: n8n's task broker takes the n8n port + 1.
const mllpPort = reliabilityPort(5734);

let sandbox: Sandbox;
let workflowId: string;

beforeAll(async () => {
	sandbox = await startReliabilitySandbox('hl7v2', reliabilityPort(5732));
	const created = await sandbox.client.createWorkflow(hl7v2ListenerWorkflow('Reliability: HL7 v2 listener', mllpPort, sandbox.credentialIds.journeyStoreApi));
	workflowId = created.id;
	await sandbox.client.activate(workflowId);
}, 300_000);

afterAll(async () => {
	await sandbox?.stop();
});

async function executionCount(): Promise<number> {
	return (await sandbox.client.executions(workflowId, 250)).length;
}

describe('HL7 v2 Trigger in a real n8n', () => {
	it(`${malformedCount} malformed messages: each gets a NAK, no execution starts, n8n stays up`, async () => {
		const before = await executionCount();
		const acks = await sendMllp(mllpPort, malformedMessages(malformedCount));
		const naks = acks.filter((ack) => msaOf(ack).code === 'AR').length;
		const health = await fetch(`${sandbox.n8n.baseUrl}/healthz`);
		const after = await executionCount();
		const [valid] = await sendMllp(mllpPort, [siuMessage({ controlId: `REL-AFTER-${Date.now()}` })]);
		await eventually('the valid message\'s execution', async () => ((await executionCount()) === after + 1 ? true : undefined), 30_000);
		const passed = naks === malformedCount && after === before && health.ok && msaOf(valid).code === 'AA' ? malformedCount : 0;
		recordRow(section, title, {
			check: `${malformedCount} malformed messages → NAK each, no execution, n8n up`,
			attempts: malformedCount,
			passed,
			failed: malformedCount - passed,
			outcome: outcomeOf(passed, malformedCount - passed),
			notes: `${naks} AR; executions ${before} → ${after}; /healthz ${health.status}; a valid message afterwards: ${msaOf(valid).code}`,
		});
		expect(naks).toBe(malformedCount);
		expect(after).toBe(before);
		expect(health.ok).toBe(true);
	}, 300_000);

	it('a resent control id (MSH-10) is acknowledged and starts no second execution', async () => {
		const controlId = `REL-DUP-${Date.now()}`;
		const before = await executionCount();
		const acks = await sendMllp(mllpPort, Array.from({ length: 5 }, () => siuMessage({ controlId })));
		await eventually('the first execution', async () => ((await executionCount()) >= before + 1 ? true : undefined), 30_000);
		// Give a wrongly started second execution the time to show up before counting.
		await new Promise((resolve) => setTimeout(resolve, 3000));
		const started = (await executionCount()) - before;
		const ok = acks.every((ack) => msaOf(ack).code === 'AA') && started === 1;
		recordRow(section, title, {
			check: 'the same control id 5 times → 5 ACKs, 1 execution',
			attempts: 5,
			passed: ok ? 5 : 0,
			failed: ok ? 0 : 5,
			outcome: outcomeOf(ok ? 5 : 0, ok ? 0 : 5),
			notes: `${acks.map((ack) => msaOf(ack).code).join(',')}; executions started: ${started}`,
		});
		expect(started).toBe(1);
	}, 120_000);
});
