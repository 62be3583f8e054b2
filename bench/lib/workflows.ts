import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { practiceNumber, prepareTemplate, twilioAccount } from '../../sandbox/environment';
import type { Sandbox } from '../../sandbox/environment';
import { projectRoot } from '../../sandbox/n8n';

type Workflow = { name: string; nodes: Array<Record<string, unknown>>; connections: unknown; settings?: Record<string, unknown> };

export interface ImportedWorkflow {
	id: string;
	name: string;
	webhookPath: string;
}

const sandboxTwilio = { ...twilioAccount, from: practiceNumber };

function workflowFile(name: string): string {
	return readFileSync(join(projectRoot, 'bench', 'workflows', name), 'utf8');
}

function fill(text: string, values: Record<string, string>): Workflow {
	let filled = text;
	for (const [placeholder, value] of Object.entries(values)) filled = filled.split(placeholder).join(value);
	const left = /__[A-Z_]+__/.exec(filled);
	if (left) throw new Error(`bench workflow: placeholder ${left[0]} has no value`);
	return JSON.parse(filled) as Workflow;
}

async function createAndPublish(sandbox: Sandbox, workflow: Workflow, webhookPath: string): Promise<ImportedWorkflow> {
	const created = await sandbox.client.createWorkflow(workflow);
	await sandbox.client.activate(created.id);
	return { id: created.id, name: workflow.name, webhookPath };
}

/**
 * Imports and publishes bench/workflows/stock-stage-one.json: stage 1 built from n8n's stock nodes, with a
 * header-auth credential holding the same webhook secret and a basic-auth credential for the Twilio account.
 */
export async function importStockStageOne(sandbox: Sandbox): Promise<ImportedWorkflow> {
	const headerAuth = await sandbox.client.createCredential('Bench EHR webhook secret', 'httpHeaderAuth', {
		name: 'X-Webhook-Secret',
		value: sandbox.webhookSecret,
	});
	const basicAuth = await sandbox.client.createCredential('Bench Twilio account', 'httpBasicAuth', {
		user: sandboxTwilio.accountSid,
		password: sandboxTwilio.authToken,
	});
	const webhookPath = 'bench/stock/visit-completed';
	const workflow = fill(workflowFile('stock-stage-one.json'), {
		__WEBHOOK_PATH__: webhookPath,
		__HEADER_AUTH_CREDENTIAL__: headerAuth.id,
		__FHIR_BASE__: sandbox.fhir.url,
		__TWILIO_BASE__: sandbox.twilio.url,
		__TWILIO_ACCOUNT_SID__: sandboxTwilio.accountSid,
		__TWILIO_FROM__: sandboxTwilio.from,
		__TWILIO_CREDENTIAL__: basicAuth.id,
		__SMTP_CREDENTIAL__: sandbox.credentialIds.smtp,
	});
	return await createAndPublish(sandbox, workflow, webhookPath);
}

/**
 * Imports and publishes bench/workflows/cadence-wait-probe.json: a webhook taking the journey item as it
 * leaves stage 1 → the template's "Wait 48 Hours" Cadence Wait → an HTTP request telling the benchmark the
 * journey resumed.
 */
export async function importCadenceWaitProbe(sandbox: Sandbox, probeUrl: string): Promise<ImportedWorkflow> {
	const webhookPath = 'bench/wait/visit-completed';
	const source = fill(workflowFile('cadence-wait-probe.json'), { __WEBHOOK_PATH__: webhookPath, __PROBE_URL__: probeUrl });
	const workflow = prepareTemplate(source, {
		name: source.name,
		ehr: 'fhir',
		webhookPath,
		credentialIds: sandbox.credentialIds,
		errorWorkflowId: sandbox.workflows.errorAlert.id,
	});
	return await createAndPublish(sandbox, workflow, webhookPath);
}

/** The error of the latest failed execution n8n saved, for a benchmark that finds its set-up broken. */
export async function latestExecutionError(sandbox: Sandbox): Promise<string> {
	const executions = await sandbox.client.api('GET', '/executions?limit=5&includeData=true');
	const failedRun = executions.data.find((execution: { status: string }) => execution.status === 'error');
	return failedRun?.data?.resultData?.error?.message ?? 'no failed execution found';
}
