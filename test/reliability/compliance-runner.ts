import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';

import type { Encounter, Patient } from '@medplum/fhirtypes';
import type { ICredentialDataDecryptedObject, IDataObject, INodeExecutionData, INodeType, IVersionedNodeType } from 'n8n-workflow';

import { BookingCheck } from '../../nodes/BookingCheck/BookingCheck.node';
import { CadenceWait } from '../../nodes/CadenceWait/CadenceWait.node';
import { ChannelRouter } from '../../nodes/ChannelRouter/ChannelRouter.node';
import { EhrTask } from '../../nodes/EhrTask/EhrTask.node';
import { PatientMessage } from '../../nodes/PatientMessage/PatientMessage.node';
import { VisitDetails } from '../../nodes/VisitDetails/VisitDetails.node';
import { consentExtensionUrl } from '../../nodes/shared/ehr/fhir';
import { parseNotification } from '../../nodes/shared/ehr/notifications';
import { openJourneyStore } from '../../nodes/shared/store';
import type { JournalEntry, JourneyStore } from '../../nodes/shared/store/types';
import { bookFhirFollowUp, closeFhirVisit, fhirBackportNotification } from '../../sandbox/fhir-demo';
import { createResource, startFhirServer, timezoneExtension, updateResource } from '../../sandbox/fhir-server';
import type { FhirServer } from '../../sandbox/fhir-server';
import { startSmtpSink } from '../../sandbox/smtp-sink';
import type { SmtpSink } from '../../sandbox/smtp-sink';
import { startTwilioApi } from '../../sandbox/twilio-api';
import type { TwilioApiSandbox } from '../../sandbox/twilio-api';
import { runWorkflow } from '../helpers/engine';
import type { RunResult, WorkflowFixture } from '../helpers/engine';
import { fhirCredential, journeyStoreCredential, packCredentialTypes, practiceProfileCredential, tempDir, testContactHashSecret } from '../helpers/fixtures';
import { SimulatedClock } from './compliance-clock';
import type { CohortPlan, PatientPlan, VisitPlan } from './compliance-world';

/*
 * Runs one simulated practice through the real template's node chain, in-process, in n8n-core's engine.
 *
 * The template (workflows-templates/post-visit-three-stage.json, read at run time) is cut at its Cadence Wait
 * nodes into segments. A segment runs as one execution of n8n's WorkflowExecute: a fixture emits the items,
 * then the template's own nodes, parameters and connections up to the next Cadence Wait. Items that reach a
 * Cadence Wait run through that node in an execution of their own (it plans the wait, writes it to the
 * journal and puts the execution to wait), and each item resumes at the time the node planned for it, plus
 * the lateness of n8n's wait tracker (or of a downtime), at the node the wait connects to — as n8n resumes a
 * waiting execution (the wait node passes its input on). Journeys due at the same instant at the same node
 * share an execution (many items); everything else is one journey per execution, as webhooks start them.
 *
 * The clock is passed in: the cohort's SimulatedClock is "now" for the nodes, for nodemailer (the Date header) and
 * for its own EHR and Twilio servers, and jumps from one due event to the next (visit closes, bookings,
 * cancellations, opt-outs, wait resumes).
 */

/** The shipped template; COMPLIANCE_TEMPLATE runs another wiring (e.g. a proposed fix) through the same checks. */
const templatePath = process.env.COMPLIANCE_TEMPLATE ?? resolve(__dirname, '../../workflows-templates/post-visit-three-stage.json');
const packPrefix = 'n8n-nodes-post-visit.';
export const webhookSecret = 'whsec-compliance-run-0123456789abcdef';
export const staffPhone = '+15125550000';
const accountSid = `AC${'2'.repeat(32)}`;
const authToken = 'compliance-auth-token';

const nodeTypes: Record<string, INodeType | IVersionedNodeType> = {
	visitDetails: new VisitDetails(),
	channelRouter: new ChannelRouter(),
	patientMessage: new PatientMessage(),
	cadenceWait: new CadenceWait(),
	bookingCheck: new BookingCheck(),
	ehrTask: new EhrTask(),
};
const credentialTypes = packCredentialTypes();

interface TemplateNode {
	name: string;
	type: string;
	typeVersion?: number;
	parameters: Record<string, unknown>;
}

export interface TemplateGraph {
	nodes: Map<string, TemplateNode>;
	/** node → output index → target node names. */
	outputs: Map<string, string[][]>;
	/** The node the trigger hands the verified notification to. */
	entry: string;
}

type TemplateJson = {
	nodes: TemplateNode[];
	connections: Record<string, { main: Array<Array<{ node: string }> | null> }>;
};

export function loadTemplate(): TemplateGraph {
	const json = JSON.parse(readFileSync(templatePath, 'utf8')) as TemplateJson;
	const nodes = new Map(json.nodes.map((node) => [node.name, node]));
	const outputs = new Map<string, string[][]>();
	for (const [source, connection] of Object.entries(json.connections)) {
		outputs.set(source, connection.main.map((targets) => (targets ?? []).map((target) => target.node)));
	}
	const trigger = json.nodes.find((node) => node.type === `${packPrefix}ehrTrigger`);
	const entry = trigger ? outputs.get(trigger.name)?.[0]?.[0] : undefined;
	if (!entry) throw new Error('the template has no EHR Trigger connected to a node');
	return { nodes, outputs, entry };
}

const isWait = (node: TemplateNode | undefined) => node?.type === `${packPrefix}cadenceWait`;
const isRunnable = (node: TemplateNode | undefined) =>
	node !== undefined && node.type.startsWith(packPrefix) && !isWait(node) && !/Trigger$/i.test(node.type);

/** The template's nodes reachable from `start` without passing a Cadence Wait (or leaving the pack). */
function segmentOf(graph: TemplateGraph, start: string): string[] {
	const seen = new Set<string>([start]);
	const queue = [start];
	while (queue.length > 0) {
		const name = queue.shift() as string;
		for (const targets of graph.outputs.get(name) ?? []) {
			for (const target of targets) {
				if (!seen.has(target) && isRunnable(graph.nodes.get(target))) {
					seen.add(target);
					queue.push(target);
				}
			}
		}
	}
	return [...seen];
}

/** A practice's own choices on the canvas: the stage-3 Channel Router's "Stage 3 as a Voice Message". */
function parametersFor(node: TemplateNode, plan: CohortPlan): Record<string, unknown> {
	if (node.type === `${packPrefix}channelRouter` && node.parameters.stage === 3) {
		return { ...node.parameters, allowVoice: plan.policy.voiceAtStage3 };
	}
	return node.parameters;
}

function fixtureFor(graph: TemplateGraph, plan: CohortPlan, members: string[], start: string, items: IDataObject[]): WorkflowFixture {
	const inside = new Set(members);
	const connections: WorkflowFixture['connections'] = {
		Fixture: { main: [[{ node: start, type: 'main', index: 0 }]] },
	};
	for (const name of members) {
		const outputs = graph.outputs.get(name);
		if (!outputs) continue;
		connections[name] = {
			main: outputs.map((targets) =>
				targets.filter((target) => inside.has(target)).map((target) => ({ node: target, type: 'main' as const, index: 0 })),
			),
		};
	}
	return {
		nodes: [
			{ name: 'Fixture', type: 'test.fixture', parameters: { items: JSON.stringify(items) } },
			...members.map((name) => {
				const node = graph.nodes.get(name) as TemplateNode;
				return { name, type: node.type, typeVersion: node.typeVersion ?? 1, parameters: parametersFor(node, plan) as never };
			}),
		],
		connections,
	};
}

/** Every item a node put on one output, over all its runs in the execution. */
function outputItems(result: RunResult, node: string, outputIndex: number): INodeExecutionData[] {
	const runs = result.run.data.resultData.runData[node] ?? [];
	return runs.flatMap((run) => run.data?.main?.[outputIndex] ?? []);
}

export type JourneyEnd =
	| 'skipped'
	| 'done'
	| 'escalated'
	| 'error'
	| 'unfinished'
	| `dangling:${string}`;

export interface VisitOutcome {
	visit: VisitPlan;
	journeyId: string;
	encounterId: string;
	end?: JourneyEnd;
	/** Why the journey ended (skipped reason, error message). */
	detail?: string;
	endedAt?: number;
	executions: number;
	holds: number;
}

export interface OutboxSend {
	channel: 'sms' | 'email' | 'voice';
	address: string;
	at: number;
	providerId: string;
}

export interface TaskCreated {
	journeyId: string;
	at: number;
}

export interface CohortResult {
	plan: CohortPlan;
	outcomes: VisitOutcome[];
	sends: OutboxSend[];
	/** The journal's touch.sent entries (what the nodes say they sent). */
	journalSends: Array<{ journeyId: string; patientKey: string; stage: number; channel: string; providerId?: string; at: string }>;
	tasks: TaskCreated[];
	/** Every journal line of the cohort, to explain a violation. */
	journal: JournalEntry[];
	executions: number;
	itemsPerExecution: number[];
	wallMs: number;
}

interface Wake {
	at: number;
	node: string;
	item: IDataObject;
	visit: number;
}

interface WorldEvent {
	at: number;
	apply: () => Promise<void>;
}

export function patientResource(patient: PatientPlan): Patient & { id: string } {
	const telecom: NonNullable<Patient['telecom']> = [];
	for (const phone of patient.phones) {
		telecom.push({
			system: 'phone',
			use: phone.kind === 'mobile' ? 'mobile' : 'home',
			value: phone.number,
			...(patient.preferred === 'sms' && phone.kind === 'mobile' ? { rank: 1 } : {}),
		});
	}
	if (patient.email) telecom.push({ system: 'email', value: patient.email, ...(patient.preferred === 'email' ? { rank: 1 } : {}) });
	const extension: NonNullable<Patient['extension']> = [
		{
			url: consentExtensionUrl,
			extension: [
				{ url: 'sms', valueBoolean: patient.consent.sms },
				{ url: 'email', valueBoolean: patient.consent.email },
				{ url: 'voice', valueBoolean: patient.consent.voice },
			],
		},
	];
	if (patient.zone) extension.push(timezoneExtension(patient.zone));
	return {
		resourceType: 'Patient',
		id: patient.fhirId,
		name: [{ given: [patient.language === 'es' ? 'Lucía' : 'Sam'], family: `Cohort${patient.index}` }],
		birthDate: '1970-01-01',
		telecom,
		communication: [{ language: { coding: [{ system: 'urn:ietf:bcp:47', code: patient.language }] }, preferred: true }],
		extension,
	};
}

/** One practice, its servers and its journey store, from seeding to the last journey's end. */
export async function runCohort(graph: TemplateGraph, plan: CohortPlan): Promise<CohortResult> {
	const wallStart = performance.now();
	const firstEvent = Math.min(
		...plan.visits.map((visit) => Math.min(visit.closeAt, visit.bookedAt ?? Infinity)),
		...plan.patients.flatMap((patient) => patient.optOuts.map((optOut) => optOut.at)),
	);
	const clock = new SimulatedClock(firstEvent - 60 * 60_000);
	return await clock.run(async () => {
		// The real SQLite store, on tmpfs where there is one: synchronous=FULL makes every write an fsync, and
		// thousands of simulated practices need not wear a disk.
		const dir = existsSync('/dev/shm') ? mkdtempSync(join('/dev/shm', 'post-visit-compliance-')) : tempDir('post-visit-compliance-');
		const storePath = join(dir, 'journey.sqlite');
		let fhir: FhirServer | undefined;
		let twilio: TwilioApiSandbox | undefined;
		let smtp: SmtpSink | undefined;
		let store: JourneyStore | undefined;
		try {
			[fhir, twilio, smtp] = await Promise.all([
				startFhirServer(),
				startTwilioApi({ accountSid, authToken }),
				startSmtpSink({ disableStartTls: true }),
			]);
			store = await openJourneyStore({ backend: 'sqlite', path: storePath, contactHashSecret: testContactHashSecret });
			const credentials: Record<string, ICredentialDataDecryptedObject> = {
				fhirR4Api: fhirCredential(fhir),
				journeyStoreApi: journeyStoreCredential(storePath),
				practiceProfileApi: practiceProfileCredential({
					windowStart: plan.policy.windowStart,
					windowEnd: plan.policy.windowEnd,
					closedWeekdays: plan.policy.closedWeekdays,
					holidays: plan.policy.holidays.join(','),
					automatedPerJourney: plan.policy.automatedPerJourney,
					stage3PerJourney: plan.policy.stage3PerJourney,
					perPatientPerDay: plan.policy.perPatientPerDay,
					// Every patient of the world has a number of their own: the per-number cap mirrors the per-patient one.
					perNumberPerDay: plan.policy.perPatientPerDay,
					channelOrder: plan.policy.channelOrder,
					defaultZone: plan.policy.defaultZone,
					staff: JSON.stringify([
						{ key: 'care-coordinator', name: 'Maria Lopez', ehrUserId: 'Practitioner/staff-1', phone: staffPhone, notifyBy: 'sms' },
					]),
				}),
				postVisitTwilioApi: { authType: 'authToken', accountSid, authToken, from: '+15125550199', apiBaseUrl: twilio.url },
				postVisitSmtpApi: { host: '127.0.0.1', port: smtp.port, security: 'none', fromEmail: 'care@riverside.test', fromName: 'Riverside' },
			};
			return await simulate(graph, plan, clock, { fhir, twilio, smtp, store, credentials }, wallStart);
		} finally {
			await store?.close();
			await Promise.all([fhir?.close(), twilio?.close(), smtp?.close()]);
			rmSync(dir, { recursive: true, force: true });
		}
	});
}

interface CohortServers {
	fhir: FhirServer;
	twilio: TwilioApiSandbox;
	smtp: SmtpSink;
	store: JourneyStore;
	credentials: Record<string, ICredentialDataDecryptedObject>;
}

async function simulate(
	graph: TemplateGraph,
	plan: CohortPlan,
	clock: SimulatedClock,
	servers: CohortServers,
	wallStart: number,
): Promise<CohortResult> {
	const { fhir, twilio, smtp, store, credentials } = servers;
	for (const patient of plan.patients) {
		await createResource(fhir.repo, patientResource(patient));
		for (const phone of patient.phones) if (phone.kind === 'landline') twilio.setNumberBehaviour(phone.number, 'notMobile');
	}
	const outcomes: VisitOutcome[] = [];
	const byEncounter = new Map<string, VisitOutcome>();
	const byEvent = new Map<string, VisitOutcome>();
	const wakes: Wake[] = [];
	const world: WorldEvent[] = [];
	for (const visit of plan.visits) {
		const patient = plan.patients[visit.patient] as PatientPlan;
		const { encounterId } = await closeFhirVisit(fhir, patient.fhirId, {
			completedAt: new Date(visit.closeAt).toISOString(),
			followUp: visit.followUp,
		});
		const outcome: VisitOutcome = { visit, journeyId: `visit:fhir:${encounterId}`, encounterId, executions: 0, holds: 0 };
		outcomes.push(outcome);
		byEncounter.set(encounterId, outcome);
		const delivery = JSON.stringify(fhirBackportNotification(encounterId, visit.index + 1));
		const verified = parseNotification(
			'fhir',
			{ method: 'POST', headers: { 'content-type': 'application/fhir+json', 'x-webhook-secret': webhookSecret }, query: {}, rawBody: Buffer.from(delivery) },
			{ secrets: { current: webhookSecret } },
		);
		if (verified.kind !== 'events') throw new Error(`the FHIR delivery was not accepted: ${JSON.stringify(verified)}`);
		const notification = verified.events[0] as unknown as IDataObject;
		byEvent.set(String(notification.eventId), outcome);
		wakes.push({ at: visit.triggerAt, node: graph.entry, item: notification, visit: visit.index });
		if (visit.bookedAt !== undefined) {
			const bookedAt = visit.bookedAt;
			world.push({
				at: bookedAt,
				apply: async () => {
					await bookFhirFollowUp(fhir, patient.fhirId, new Date(bookedAt + 10 * 24 * 3_600_000).toISOString());
				},
			});
		}
		if (visit.cancelledAt !== undefined) {
			world.push({
				at: visit.cancelledAt,
				apply: async () => {
					const encounter = (await fhir.repo.readResource('Encounter', encounterId)) as Encounter & { id: string };
					await updateResource(fhir.repo, { ...encounter, status: 'cancelled' });
				},
			});
		}
	}
	for (const patient of plan.patients) {
		for (const optOut of patient.optOuts) {
			const addresses = optOut.channel === 'email' ? [patient.email] : patient.phones.map((phone) => phone.number);
			world.push({
				at: optOut.at,
				apply: async () => {
					for (const address of addresses) {
						if (address) await store.setOptOut({ channel: optOut.channel, address, at: clock.iso(), source: optOut.channel === 'sms' ? 'reply:STOP' : 'unsubscribe' });
					}
				},
			});
		}
	}

	let executions = 0;
	const itemsPerExecution: number[] = [];
	let latenessTurn = 0;
	const run = async (fixture: WorkflowFixture, itemCount: number) => {
		executions++;
		itemsPerExecution.push(itemCount);
		return await runWorkflow(fixture, { nodeTypes, credentials, credentialTypes });
	};
	const outcomeOfItem = (json: IDataObject): VisitOutcome | undefined => {
		if (typeof json.visitId === 'string') return byEncounter.get(json.visitId);
		if (typeof json.eventId === 'string') return byEvent.get(json.eventId);
		return undefined;
	};
	const end = (outcome: VisitOutcome | undefined, how: JourneyEnd, detail?: string) => {
		if (!outcome || outcome.end) return;
		outcome.end = how;
		outcome.detail = detail;
		outcome.endedAt = clock.now;
	};

	const runWait = async (waitNode: string, items: INodeExecutionData[]) => {
		const members = [waitNode];
		const result = await run(fixtureFor(graph, plan, members, waitNode, items.map((item) => item.json)), items.length);
		const next = graph.outputs.get(waitNode)?.[0]?.[0];
		const error = result.error(waitNode);
		for (const item of items) {
			const outcome = outcomeOfItem(item.json);
			if (outcome) outcome.executions++;
			if (error) {
				end(outcome, 'error', `${waitNode}: ${error.message}`);
				continue;
			}
			const journeyId = (item.json.journey as IDataObject | undefined)?.journeyId as string;
			const planned = await store.journal({ journeyId, from: clock.iso() });
			const entry = planned.filter((candidate) => candidate.type.startsWith('wait.')).at(-1);
			const sendAt = Date.parse(String(entry?.detail?.sendAt ?? ''));
			if (!entry || Number.isNaN(sendAt)) {
				end(outcome, 'error', `${waitNode} recorded no plan`);
				continue;
			}
			if (!next) {
				end(outcome, `dangling:${waitNode}`);
				continue;
			}
			const lateness = sendAt > clock.now ? (plan.lateness[latenessTurn++ % plan.lateness.length] as number) : 0;
			wakes.push({ at: Math.max(sendAt, clock.now) + lateness, node: next, item: item.json, visit: outcome?.visit.index ?? -1 });
		}
	};

	const runSegment = async (start: string, items: IDataObject[]) => {
		const members = segmentOf(graph, start);
		const result = await run(fixtureFor(graph, plan, members, start, items), items.length);
		for (const item of items) {
			const outcome = outcomeOfItem(item);
			if (outcome) outcome.executions++;
		}
		const failed = members.map((name) => [name, result.error(name)] as const).find(([, error]) => error);
		if (failed) {
			for (const item of items) end(outcomeOfItem(item), 'error', `${failed[0]}: ${failed[1]?.message}`);
			return;
		}
		const toWait = new Map<string, INodeExecutionData[]>();
		for (const name of members) {
			const outputs = graph.outputs.get(name) ?? [];
			const outputCount = Math.max(outputs.length, (result.run.data.resultData.runData[name]?.[0]?.data?.main ?? []).length);
			for (let index = 0; index < outputCount; index++) {
				const targets = outputs[index] ?? [];
				for (const item of outputItems(result, name, index)) {
					const outcome = outcomeOfItem(item.json);
					const delivery = item.json.delivery as IDataObject | undefined;
					if (delivery?.held && outcome) outcome.holds++;
					if (targets.length === 0) {
						if (item.json.skipped) end(outcome, 'skipped', `${String(item.json.skipped)} ${String(item.json.reason ?? '')}`.trim());
						else if (item.json.task) end(outcome, 'escalated');
						else end(outcome, `dangling:${name}[${index}]`);
						continue;
					}
					for (const target of targets) {
						const node = graph.nodes.get(target);
						if (members.includes(target)) continue;
						if (isWait(node)) toWait.set(target, [...(toWait.get(target) ?? []), item]);
						else end(outcome, 'done', `${name} → ${target}`);
					}
				}
			}
		}
		for (const [waitNode, waiting] of toWait) await runWait(waitNode, waiting);
	};

	for (let guard = 0; guard < 100_000; guard++) {
		const nextWorld = world.length ? Math.min(...world.map((event) => event.at)) : Infinity;
		const nextWake = wakes.length ? Math.min(...wakes.map((wake) => wake.at)) : Infinity;
		const at = Math.min(nextWorld, nextWake);
		if (at === Infinity) break;
		clock.set(Math.max(at, clock.now));
		if (nextWorld <= nextWake) {
			const due = world.filter((event) => event.at === nextWorld);
			for (const event of due) world.splice(world.indexOf(event), 1);
			for (const event of due) await event.apply();
			continue;
		}
		const due = wakes.filter((wake) => wake.at === nextWake);
		for (const wake of due) wakes.splice(wakes.indexOf(wake), 1);
		const byNode = new Map<string, IDataObject[]>();
		for (const wake of due) byNode.set(wake.node, [...(byNode.get(wake.node) ?? []), wake.item]);
		for (const [node, items] of byNode) await runSegment(node, items);
	}
	for (const outcome of outcomes) end(outcome, 'unfinished');

	const journal = await store.journal({ type: 'touch.sent' });
	const sends: OutboxSend[] = [
		...twilio.messages
			.filter((message) => message.to !== staffPhone)
			.map((message) => ({ channel: 'sms' as const, address: message.to, at: message.receivedAt, providerId: message.sid })),
		...twilio.calls.map((call) => ({ channel: 'voice' as const, address: call.to, at: call.receivedAt, providerId: call.sid })),
		...smtp.messages.map((message) => ({
			channel: 'email' as const,
			address: message.to[0] ?? '',
			// The Date header nodemailer stamps as it sends (smtp-server's callbacks leave the simulated clock's context).
			at: Date.parse(message.headers.date ?? ''),
			providerId: (message.messageId ?? '').replace(/^<|>$/g, ''),
		})),
	];
	const tasks = (await fhir.repo.searchResources({ resourceType: 'Task', count: 10_000 } as never)).map((task) => ({
		journeyId: (task as { identifier?: Array<{ value?: string }> }).identifier?.[0]?.value ?? '',
		at: Date.parse((task as { meta?: { lastUpdated?: string } }).meta?.lastUpdated ?? ''),
	}));
	return {
		plan,
		outcomes,
		sends,
		journalSends: journal.map((entry) => ({
			journeyId: entry.journeyId,
			patientKey: entry.patientKey,
			stage: entry.stage ?? 0,
			channel: entry.channel ?? '',
			providerId: entry.providerId?.replace(/^<|>$/g, ''),
			at: entry.at,
		})),
		tasks,
		journal: await store.journal({}),
		executions,
		itemsPerExecution,
		wallMs: performance.now() - wallStart,
	};
}
