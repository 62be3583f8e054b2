/**
 * Shared by the duplicates, faults and restarts sections of the reliability suite: journeys in a real n8n
 * (one unique patient per journey, so the sandbox outboxes and the journey store can be read per journey),
 * the executions that belong to a journey, and the known state a journey ended in.
 */
import { randomInt } from 'node:crypto';
import { existsSync } from 'node:fs';
import { DatabaseSync } from 'node:sqlite';

import { DateTime } from 'luxon';

import { openAthenaVisit } from '../../sandbox/athena-demo';
import { closeDemoVisit } from '../../sandbox/athenahealth-server';
import type { DemoPatient } from '../../sandbox/demo-patients';
import { openDrChronoVisit } from '../../sandbox/drchrono-demo';
import type { Sandbox, SandboxEhr, SandboxOptions } from '../../sandbox/environment';
import { closeFhirVisit, ensureFhirPatient, fhirBackportNotification } from '../../sandbox/fhir-demo';
import { zoneWhereNowIsBetween } from '../../sandbox/zones';
import { eventually, startE2eSandbox } from '../e2e/harness';
import { northAmericanNumber } from '../helpers/phoneNumbers';

export { eventually };

export const practiceManager = 'practice-manager@example-practice.test';
export const coordinatorEmail = 'maria.lopez@riverside.example';
/** The From address of the patient-facing SMTP credential (the error workflow sends from another one). */
export const patientMailFrom = 'care@riverside.example';

/**
 * A real n8n with the sandbox, on ports of its own. Stage 2 may follow stage 1 within minutes here (visits are
 * backdated), so the daily cap allows it, as an ops lead could; the cap has its own tests.
 */
export async function startReliabilitySandbox(name: string, port: number, overrides: Partial<SandboxOptions> = {}): Promise<Sandbox> {
	return await startE2eSandbox(`reliability-${name}`, port, {
		profile: { perPatientPerDay: 3, perNumberPerDay: 5 },
		drchronoZone: zoneWhereNowIsBetween(9, 20),
		...overrides,
	});
}

export type ContactShape = 'smsEmail' | 'smsOnly' | 'emailOnly' | 'landlineOnly';

export interface RelPatient extends DemoPatient {
	/** A number of this run only, so ids in the EHR sandboxes never collide. */
	serial: number;
}

const givenNames = ['Alex', 'Sam', 'Robin', 'Jordan', 'Casey', 'Morgan', 'Riley', 'Taylor'];
let serial = randomInt(1_000, 9_000) * 100;

/** A patient no other journey of the run shares: their own phone number and mailbox. */
export function newPatient(shape: ContactShape = 'smsEmail', options: { language?: 'en' | 'es'; zone?: string } = {}): RelPatient {
	serial += 1;
	const firstName = givenNames[serial % givenNames.length] as string;
	return {
		serial,
		key: `rel${serial}`,
		firstName,
		lastName: `Tester${serial}`,
		birthDate: '1980-05-17',
		language: options.language ?? 'en',
		zone: options.zone ?? zoneWhereNowIsBetween(9, 20),
		...(shape === 'smsEmail' || shape === 'smsOnly' ? { mobile: northAmericanNumber('555', serial) } : {}),
		...(shape === 'landlineOnly' ? { landline: northAmericanNumber('555', 7_000_000 - serial) } : {}),
		...(shape === 'smsEmail' || shape === 'emailOnly' ? { email: `rel${serial}@patients.example` } : {}),
	};
}

export interface RelVisit {
	ehr: SandboxEhr;
	patient: RelPatient;
	/** The EHR's patient id (what the journey store's patient key ends with). */
	patientId: string;
	/** The id the trigger's item names (encounter or appointment). */
	resourceId: string;
	body: string;
	headers: Record<string, string>;
	/** Epoch ms just before the visit was closed. */
	since: number;
	deliver(): Promise<Response>;
}

let fhirEventNumber = randomInt(10_000, 90_000);

/** How often deliveries met a 503 and were sent again (see deliverAsAnEhrWould). */
export const redeliveries = { count: 0 };

/**
 * Posts a notification and, like the EHRs (which retry a delivery that did not get a 2xx), posts it again after a
 * 503: n8n answers 503 while its own database health check fails, which happens on a heavily loaded machine.
 */
export async function deliverAsAnEhrWould(sandbox: Sandbox, ehr: SandboxEhr, body: string, headers: Record<string, string>): Promise<Response> {
	const deadline = Date.now() + 90_000;
	for (;;) {
		const response = await sandbox.deliver(ehr, body, headers);
		if (response.status !== 503 || Date.now() > deadline) return response;
		await response.arrayBuffer();
		redeliveries.count += 1;
		await new Promise((resolve) => setTimeout(resolve, 2000));
	}
}

/**
 * Closes a visit for the patient in the chosen sandbox EHR and returns the signed notification the EHR would
 * post (not posted yet). `completedAt` backdates the visit (FHIR and athenahealth) so a Cadence Wait falls due soon.
 */
export async function closeVisit(
	sandbox: Sandbox,
	ehr: SandboxEhr,
	patient: RelPatient,
	options: { completedAt?: DateTime } = {},
): Promise<RelVisit> {
	const since = Date.now();
	const completedAt = options.completedAt ?? DateTime.utc().minus({ minutes: 2 });
	const deliverWith = (body: string, headers: Record<string, string>) => async () => await deliverAsAnEhrWould(sandbox, ehr, body, headers);
	if (ehr === 'fhir') {
		const patientId = await ensureFhirPatient(sandbox.fhir, patient, patient.zone);
		const visit = await closeFhirVisit(sandbox.fhir, patientId, { completedAt: completedAt.toUTC().toISO() as string });
		fhirEventNumber += 1;
		const body = JSON.stringify(fhirBackportNotification(visit.encounterId, fhirEventNumber));
		const headers = { 'content-type': 'application/fhir+json', 'x-webhook-secret': sandbox.webhookSecret };
		return { ehr, patient, patientId, resourceId: visit.encounterId, body, headers, since, deliver: deliverWith(body, headers) };
	}
	if (ehr === 'athenahealth') {
		const athena = sandbox.athena;
		const { patientId, appointmentId } = openAthenaVisit(athena, patient, patient.zone, {
			patientId: String(patient.serial),
			appointmentId: `${patient.serial}1`,
			closedAt: completedAt,
		});
		const delivery = closeDemoVisit(athena, { appointmentId, secret: sandbox.webhookSecret, at: completedAt.toJSDate() });
		return { ehr, patient, patientId, resourceId: appointmentId, body: delivery.body, headers: delivery.headers, since, deliver: deliverWith(delivery.body, delivery.headers) };
	}
	const drchrono = sandbox.drchrono;
	const { patientId, appointmentId } = openDrChronoVisit(drchrono, patient, { patientId: patient.serial, appointmentId: `8${patient.serial}` });
	const completed = await drchrono.completeAppointment(appointmentId, { deliver: false });
	if (!completed.delivery) throw new Error('the DrChrono sandbox has no webhook settings');
	const body = completed.delivery.rawBody.toString('utf8');
	const headers = completed.delivery.headers;
	return { ehr, patient, patientId: String(patientId), resourceId: appointmentId, body, headers, since, deliver: deliverWith(body, headers) };
}

export function smsTo(sandbox: Sandbox, number: string | undefined, since = 0) {
	return number ? sandbox.twilio.messages.filter((m) => m.to === number && m.receivedAt >= since) : [];
}

export function emailsTo(sandbox: Sandbox, address: string | undefined, since = 0) {
	return address ? sandbox.smtp.messages.filter((m) => m.to.includes(address) && m.receivedAt >= since) : [];
}

// ---- the journey store, read directly (read-only) ----

export interface ClaimRow {
	key: string;
	journey_id: string;
	stage: number | null;
	channel: string | null;
	state: 'claimed' | 'sent' | 'released';
	provider_id: string | null;
}

export interface JournalRow {
	journey_id: string;
	type: string;
	stage: number | null;
	channel: string | null;
	code: string | null;
	provider_id: string | null;
}

/** A journey's next step, scheduled in the journey store by Cadence Wait (version 2). */
export interface StepRow {
	journey_id: string;
	step: string;
	state: string;
	due_at: string;
}

export interface StoreFacts {
	claims: ClaimRow[];
	journal: JournalRow[];
	steps: StepRow[];
}

/** Claims, journal rows and scheduled steps of the patient's journeys (the patient key ends with the EHR's patient id). */
export function storeFacts(sandbox: Sandbox, ehr: SandboxEhr, patientId: string): StoreFacts {
	// n8n creates the store with the first journey; before that nothing was recorded.
	if (!existsSync(sandbox.journeyStorePath)) return { claims: [], journal: [], steps: [] };
	const db = new DatabaseSync(sandbox.journeyStorePath, { readOnly: true, timeout: 10_000 });
	try {
		const keys = [`${ehr}:${patientId}`, `${ehr}:%:${patientId}`];
		const journal = db
			.prepare('SELECT journey_id, type, stage, channel, code, provider_id FROM pv_journal WHERE patient_key = ? OR patient_key LIKE ? ORDER BY id')
			.all(...keys) as unknown as JournalRow[];
		const claims = db
			.prepare('SELECT key, journey_id, stage, channel, state, provider_id FROM pv_claims WHERE patient_key = ? OR patient_key LIKE ?')
			.all(...keys) as unknown as ClaimRow[];
		const steps = db
			.prepare('SELECT journey_id, step, state, due_at FROM pv_steps WHERE patient_key = ? OR patient_key LIKE ?')
			.all(...keys) as unknown as StepRow[];
		return { claims, journal, steps };
	} finally {
		db.close();
	}
}

// ---- n8n executions ----

export interface ExecutionSummary {
	id: string;
	status: string;
	mode: string;
	startedAt: string;
	stoppedAt: string | null;
	waitTill: string | null;
	retryOf?: string | null;
	workflowId: string;
}

/** Executions of the workflow started since then, running ones included (the public API lists those only on request). */
export async function executionsSince(sandbox: Sandbox, workflowId: string, since: number): Promise<ExecutionSummary[]> {
	const found: ExecutionSummary[] = [];
	for (const status of ['', 'running']) found.push(...(await executionPages(sandbox, workflowId, since, status)));
	return [...new Map(found.map((e) => [e.id, e])).values()];
}

async function executionPages(sandbox: Sandbox, workflowId: string, since: number, status: string): Promise<ExecutionSummary[]> {
	const found: ExecutionSummary[] = [];
	let cursor: string | undefined;
	do {
		const page = await sandbox.client.api(
			'GET',
			`/executions?workflowId=${workflowId}&limit=250${status ? `&status=${status}` : ''}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
		);
		const rows = (page.data as Array<ExecutionSummary & { id: string | number }>).map((row) => ({ ...row, id: String(row.id) }));
		found.push(...rows.filter((row) => Date.parse(row.startedAt) >= since - 1000));
		const oldest = rows.at(-1);
		cursor = page.nextCursor && oldest && Date.parse(oldest.startedAt) >= since ? page.nextCursor : undefined;
	} while (cursor);
	return found;
}

export interface ExecutionDetail extends ExecutionSummary {
	data?: {
		resultData?: {
			error?: { message?: string; description?: string; node?: { name?: string } };
			lastNodeExecuted?: string;
			runData?: Record<string, Array<{ data?: { main?: Array<Array<{ json: Record<string, unknown> }> | null> } }>>;
		};
	};
}

export async function executionDetail(sandbox: Sandbox, id: string): Promise<ExecutionDetail> {
	const detail = await sandbox.client.api('GET', `/executions/${id}?includeData=true`);
	return { ...detail, id: String(detail.id) };
}

/** The resource ids the execution's trigger emitted (the visits it is about). */
export function triggeredResourceIds(detail: ExecutionDetail): string[] {
	const runData = detail.data?.resultData?.runData ?? {};
	const ids: string[] = [];
	for (const trigger of ['EHR Trigger', 'EHR Poll Trigger']) {
		for (const run of runData[trigger] ?? []) {
			for (const item of run.data?.main?.[0] ?? []) {
				if (typeof item.json.resourceId === 'string') ids.push(item.json.resourceId);
			}
		}
	}
	return ids;
}

/** Which nodes an execution ran, and which output each item left by (for "Skipped" and "Not Sent"). */
export function ranNodes(detail: ExecutionDetail): string[] {
	return Object.keys(detail.data?.resultData?.runData ?? {});
}

/** Items the node sent to the given output over all its runs in this execution. */
export function itemsLeaving(detail: ExecutionDetail, node: string, output: number): number {
	const runs = detail.data?.resultData?.runData?.[node] ?? [];
	return runs.reduce((sum, run) => sum + (run.data?.main?.[output]?.length ?? 0), 0);
}

const detailCache = new Map<string, ExecutionDetail>();

/** The executions of the workflow (started since `since`) that are about this visit, finished ones cached. */
export async function executionsOfVisit(sandbox: Sandbox, visit: Pick<RelVisit, 'ehr' | 'resourceId' | 'since'>): Promise<ExecutionDetail[]> {
	const workflowId = sandbox.workflows.threeStage[visit.ehr].id;
	const mine: ExecutionDetail[] = [];
	for (const summary of await executionsSince(sandbox, workflowId, visit.since)) {
		const settled = summary.status !== 'running' && summary.status !== 'new';
		const key = `${summary.workflowId}:${summary.id}`;
		let detail = settled ? detailCache.get(key) : undefined;
		// A resumed execution may be waiting again: same status, another due time.
		if (!detail || detail.status !== summary.status || detail.waitTill !== summary.waitTill || detail.stoppedAt !== summary.stoppedAt) {
			detail = await executionDetail(sandbox, summary.id);
			if (settled) detailCache.set(key, detail);
		}
		const ids = triggeredResourceIds(detail);
		const retryOfMine = detail.retryOf && mine.some((e) => e.id === String(detail?.retryOf));
		// n8n saves a running execution's data only when it ends: one still running may be this visit's.
		if (ids.includes(visit.resourceId) || retryOfMine || (!settled && ids.length === 0)) mine.push(detail);
	}
	return mine;
}

// ---- the state a journey ended in ----

/** The states the issue accepts: every journey must end in one of them. */
export type KnownState = 'sent' | 'fellBack' | 'task' | 'errorAlert' | 'held';

export interface JourneyEnd {
	state: KnownState | 'lost';
	/** Why, in a few words (for the report and failure messages). */
	detail: string;
	executions: ExecutionDetail[];
	facts: StoreFacts;
	/** Error executions of the visit with the manager's alert about each. */
	errors: Array<{ executionId: string; node?: string; message: string; alerted: boolean }>;
	sms: number;
	emails: number;
}

/** Words that tell the practice what to do next. */
const actionWords = /\b(check|fix|retry|re-?run|reconnect|grant|set|add|update|verify|contact|ask|call|open|make sure|try again)\b/i;

/** An error message that says what to do and names no patient detail. */
export function isActionable(message: string, patient?: RelPatient): boolean {
	if (!actionWords.test(message)) return false;
	if (!patient) return true;
	const secrets = [patient.firstName, patient.lastName, patient.mobile, patient.email, patient.landline, patient.birthDate].filter(Boolean) as string[];
	return !secrets.some((value) => message.includes(value));
}

/**
 * Reads what happened to a visit's journey: the executions about it (none still running), the journey store's
 * claims and journal, the outboxes and the manager's alerts. Decides the known end state, or 'lost' when
 * nothing accounts for the journey.
 */
export async function readJourneyEnd(sandbox: Sandbox, visit: RelVisit, stage = 1): Promise<JourneyEnd & { settled: boolean }> {
	const executions = await executionsOfVisit(sandbox, visit);
	const running = executions.some((e) => e.status === 'running' || e.status === 'new');
	const facts = storeFacts(sandbox, visit.ehr, visit.patientId);
	const alerts = emailsTo(sandbox, practiceManager, visit.since);
	const errors = executions
		.filter((e) => e.status === 'error' || e.status === 'crashed')
		.map((e) => ({
			executionId: e.id,
			node: e.data?.resultData?.lastNodeExecuted,
			message: e.data?.resultData?.error?.message ?? '',
			alerted: alerts.some((mail) => (mail.text ?? '').includes(`/executions/${e.id}`)),
		}));
	const touches = facts.journal.filter((row) => row.stage === stage);
	const sentChannels = new Set(touches.filter((row) => row.type === 'touch.sent' || row.type === 'touch.duplicate').map((row) => row.channel));
	const failedChannels = new Set(
		touches.filter((row) => row.type === 'touch.failed' || row.type === 'touch.unknown').map((row) => row.channel),
	);
	const task = facts.journal.some((row) => row.type === 'task.created');
	const held = facts.journal.some((row) => row.type === 'touch.held') && executions.some((e) => e.status === 'waiting');
	const sms = smsTo(sandbox, visit.patient.mobile, visit.since).length;
	const emails = emailsTo(sandbox, visit.patient.email, visit.since).length;
	const base = { executions, facts, errors, sms, emails, settled: !running && errors.every((e) => e.alerted) };
	const failed = [...failedChannels].filter((c) => !sentChannels.has(c));
	if (errors.length > 0) {
		const alerted = errors.every((e) => e.alerted);
		const actionable = errors.every((e) => isActionable(e.message, visit.patient));
		const what = errors.map((e) => `${e.node ?? '?'}: ${e.message}`).join(' | ');
		if (alerted && actionable) return { ...base, state: 'errorAlert', detail: what };
		return { ...base, state: 'lost', detail: `${alerted ? 'alerted but not actionable' : 'no alert'}: ${what}` };
	}
	if (task) return { ...base, state: 'task', detail: `task; stage ${stage} sent ${[...sentChannels].join('+') || 'nothing'}` };
	if (sentChannels.size > 0 && failed.length > 0) {
		return { ...base, state: 'fellBack', detail: `${failed.join('+')} failed, ${[...sentChannels].join('+')} sent` };
	}
	if (sentChannels.size > 0) return { ...base, state: 'sent', detail: `${[...sentChannels].join('+')} sent` };
	if (held) return { ...base, state: 'held', detail: 'held for the send window' };
	return { ...base, state: 'lost', detail: `nothing accounts for it (executions: ${executions.map((e) => `${e.id}:${e.status}`).join(', ') || 'none'})` };
}

/** Waits until the journey's executions settled and its state is known (or the time is up: 'lost'). */
export async function settleJourney(sandbox: Sandbox, visit: RelVisit, options: { timeoutMs?: number; stage?: number } = {}): Promise<JourneyEnd> {
	const deadline = Date.now() + (options.timeoutMs ?? 120_000);
	let last: (JourneyEnd & { settled: boolean }) | undefined;
	while (Date.now() < deadline) {
		last = await readJourneyEnd(sandbox, visit, options.stage);
		// A journey whose error executions were all alerted is final too, actionable or not (the state says which).
		const final = last.settled && (last.state !== 'lost' || (last.errors.length > 0 && last.errors.every((e) => e.alerted)));
		if (final) {
			// Settled once; look again shortly, so a send still on its way is counted.
			await new Promise((resolve) => setTimeout(resolve, 1500));
			const again = await readJourneyEnd(sandbox, visit, options.stage);
			if (again.settled && again.state === last.state && again.detail === last.detail) return again;
			last = again;
		}
		await new Promise((resolve) => setTimeout(resolve, 1000));
	}
	return last ?? (await readJourneyEnd(sandbox, visit, options.stage));
}

/** POST /rest/executions/:id/retry — what the editor's "Retry" buttons call (loadWorkflow: with the saved workflow). */
export async function retryExecution(sandbox: Sandbox, executionId: string, loadWorkflow = false): Promise<unknown> {
	return await sandbox.client.rest('POST', `/executions/${executionId}/retry`, { loadWorkflow });
}

/**
 * Turns on the EHR Poll Trigger of an EHR's three-stage workflow (the template ships it off, for EHRs that push)
 * and publishes the workflow again, so visits also arrive by polling: the push/poll race, athena's changed feed.
 */
export async function enablePollTrigger(sandbox: Sandbox, ehr: SandboxEhr): Promise<void> {
	const { id } = sandbox.workflows.threeStage[ehr];
	const workflow = await sandbox.client.api('GET', `/workflows/${id}`);
	const nodes = (workflow.nodes as Array<Record<string, unknown>>).map((node) =>
		node.type === 'n8n-nodes-post-visit.ehrPollTrigger' ? { ...node, disabled: false } : node,
	);
	await sandbox.client.api('PUT', `/workflows/${id}`, {
		name: workflow.name,
		nodes,
		connections: workflow.connections,
		settings: { executionOrder: 'v1', errorWorkflow: workflow.settings?.errorWorkflow, saveDataErrorExecution: 'all', saveDataSuccessExecution: 'all' },
	});
	await sandbox.client.activate(id);
}

/** Replaces a credential's data through the editor's REST API (what saving the credential form does). */
export async function updateCredential(sandbox: Sandbox, type: string, data: Record<string, unknown>): Promise<void> {
	const id = sandbox.credentialIds[type];
	if (!id) throw new Error(`no sandbox credential of type ${type}`);
	await sandbox.client.rest('PATCH', `/credentials/${id}`, { name: `Sandbox ${type}`, type, data });
}

/** Elapsed seconds since `start`, one decimal. */
export function secondsSince(start: number): number {
	return Math.round((Date.now() - start) / 100) / 10;
}
