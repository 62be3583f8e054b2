/**
 * Webhook secret rotation in a real n8n 2.41.1 (issue #7): the EHR Webhook Secret credential is switched to a new
 * secret with the old one as "Previous Secret" valid for a short grace window. Inside the window deliveries signed
 * or tagged with either secret are accepted by all three push triggers (FHIR channel header, athenahealth HMAC,
 * DrChrono token); after it the old one gets 401 and starts nothing; with the end date left empty the old one is
 * refused at once (fail-closed). No secret shows in n8n's log or in any execution.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import type { Sandbox, SandboxEhr } from '../../sandbox/environment';
import { sandboxEhrs } from '../../sandbox/environment';
import { buildAthenaDelivery } from '../../sandbox/athenahealth-server';
import { buildDrChronoDelivery } from '../../sandbox/drchrono-server';
import { projectRoot } from '../../sandbox/n8n';
import { startE2eSandbox } from '../e2e/harness';
import { byProfile, reliabilityPort } from './profile';
import { outcomeOf, recordRow } from './results';
import { jsonOf, leakedIn } from './secrets-kit';

const section = 'secrets';
const title = 'Credentials and secrets';
const port = reliabilityPort(5772);
/** Long enough for the deliveries inside it on a busy machine, short enough to wait out. */
const graceMs = byProfile({ ci: 60_000, full: 90_000 });
const roundsPerPhase = byProfile({ ci: 1, full: 5 });

let sandbox: Sandbox;
const oldSecret = () => sandbox.webhookSecret;
const newSecret = `rotated-${randomBytes(20).toString('hex')}`;
const wrongSecret = `attacker-${randomBytes(20).toString('hex')}`;

beforeAll(async () => {
	sandbox = await startE2eSandbox('reliability-secrets-rotation', port);
}, 300_000);

afterAll(async () => {
	await sandbox?.stop();
});

/** A delivery that verifies the secret but starts no journey: FHIR empty-body ping, athena handshake, DrChrono PING. */
function probe(ehr: SandboxEhr, secret: string): { body: string; headers: Record<string, string> } {
	if (ehr === 'fhir') return { body: '', headers: { 'content-type': 'application/fhir+json', 'x-webhook-secret': secret } };
	if (ehr === 'athenahealth') {
		const delivery = buildAthenaDelivery({ practiceId: '195900', secret, events: [], statusType: 'handshake' });
		return { body: delivery.body, headers: delivery.headers };
	}
	const delivery = buildDrChronoDelivery({ secret, event: 'PING', object: {}, deliveryId: `ping-${randomBytes(6).toString('hex')}` });
	return { body: delivery.rawBody.toString('utf8'), headers: delivery.headers };
}

async function statusOf(ehr: SandboxEhr, secret: string): Promise<number> {
	const { body, headers } = probe(ehr, secret);
	return (await sandbox.deliver(ehr, body, headers)).status;
}

async function setRotation(previousSecretValidUntil: string): Promise<void> {
	await sandbox.client.rest('PATCH', `/credentials/${sandbox.credentialIds.ehrWebhookApi}`, {
		name: 'Sandbox ehrWebhookApi',
		type: 'ehrWebhookApi',
		data: { secret: newSecret, previousSecret: oldSecret(), previousSecretValidUntil, headerName: 'X-Webhook-Secret' },
	});
}

async function executionCount(): Promise<number> {
	let total = 0;
	for (const ehr of sandboxEhrs) total += (await sandbox.client.executions(sandbox.workflows.threeStage[ehr].id, 250)).length;
	return total;
}

interface Phase {
	name: string;
	expected: Record<'old' | 'new' | 'wrong', number>;
	results: Array<{ ehr: SandboxEhr; which: 'old' | 'new' | 'wrong'; status: number }>;
}

async function runPhase(name: string, expected: Phase['expected']): Promise<Phase> {
	const results: Phase['results'] = [];
	for (let round = 0; round < roundsPerPhase; round++) {
		for (const ehr of sandboxEhrs) {
			for (const [which, secret] of [
				['old', oldSecret()],
				['new', newSecret],
				['wrong', wrongSecret],
			] as const) {
				results.push({ ehr, which, status: await statusOf(ehr, secret) });
			}
		}
	}
	return { name, expected, results };
}

function record(phase: Phase, check: string): void {
	const failed = phase.results.filter((result) => result.status !== phase.expected[result.which]);
	recordRow(section, title, {
		check,
		attempts: phase.results.length,
		passed: phase.results.length - failed.length,
		failed: failed.length,
		outcome: failed.length
			? `FAIL: ${failed.slice(0, 3).map((f) => `${f.ehr} ${f.which} → ${f.status}`).join(', ')}`
			: `old ${phase.expected.old}, new ${phase.expected.new}, wrong ${phase.expected.wrong} (FHIR header, athenahealth HMAC, DrChrono token)`,
	});
}

describe('rotating the EHR webhook secret in a real n8n', () => {
	it('accepts old and new inside the grace window, refuses the old one after it (401, no execution), and fails closed without an end date', async () => {
		const executionsBefore = await executionCount();
		const validUntil = new Date(Date.now() + graceMs);
		await setRotation(validUntil.toISOString());
		const inside = await runPhase('inside the window', { old: 200, new: 200, wrong: 401 });
		const insideEndedInTime = Date.now() < validUntil.getTime();
		record(inside, 'Rotation, real n8n: inside "Previous Secret Valid Until" the old and the new secret are both accepted');

		await new Promise((resolve) => setTimeout(resolve, Math.max(0, validUntil.getTime() - Date.now()) + 1_500));
		const after = await runPhase('after the window', { old: 401, new: 200, wrong: 401 });
		record(after, 'Rotation, real n8n: after the window the old secret gets 401 and starts nothing; the new one is accepted');

		await setRotation('');
		const failClosed = await runPhase('no end date', { old: 401, new: 200, wrong: 401 });
		record(failClosed, 'Rotation, real n8n: a previous secret without an end date is refused (fail-closed)');

		const executionsAfter = await executionCount();
		const log = readFileSync(join(projectRoot, '.sandbox', 'e2e', 'reliability-secrets-rotation', 'n8n.log'), 'utf8');
		const executions = [];
		for (const ehr of sandboxEhrs) executions.push(...(await sandbox.client.executions(sandbox.workflows.threeStage[ehr].id, 250)));
		const leaks = [
			...leakedIn(log, { old: oldSecret(), new: newSecret }).map((label) => `${label} secret in n8n.log`),
			...leakedIn(jsonOf(executions), { old: oldSecret(), new: newSecret }).map((label) => `${label} secret in an execution`),
		];
		const refusalLogged = /refused a \w+ delivery with 401[^\n]*Previous Secret stopped being accepted/.test(log);
		recordRow(section, title, {
			check: 'Rotation, real n8n: no execution for any probe; the refusal of the expired secret is in n8n\'s log at warn level; no secret in the log or in executions',
			attempts: 3,
			passed: [executionsAfter === executionsBefore, refusalLogged, leaks.length === 0].filter(Boolean).length,
			failed: [executionsAfter === executionsBefore, refusalLogged, leaks.length === 0].filter((ok) => !ok).length,
			outcome: outcomeOf(1, leaks.length + (executionsAfter === executionsBefore ? 0 : 1) + (refusalLogged ? 0 : 1)),
			notes: `grace window ${graceMs / 1000} s; ${roundsPerPhase} round(s) per phase of old / new / wrong secret to each of the three triggers`,
		});

		expect(insideEndedInTime).toBe(true);
		for (const phase of [inside, after, failClosed]) {
			expect({ phase: phase.name, results: phase.results }).toEqual({
				phase: phase.name,
				results: phase.results.map((result) => ({ ...result, status: phase.expected[result.which] })),
			});
		}
		expect(executionsAfter).toBe(executionsBefore);
		expect(refusalLogged).toBe(true);
		expect(leaks).toEqual([]);
	}, 600_000);
});
