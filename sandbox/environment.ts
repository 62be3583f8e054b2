import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

import { athenaDemoUsers, startAthenaServer } from './athenahealth-server';
import type { AthenaSandbox } from './athenahealth-server';
import { demoPatients, demoPractice } from './demo-patients';
import { demoIds as drChronoDemoIds, startDrChronoServer } from './drchrono-server';
import type { DrChronoServer } from './drchrono-server';
import { startFhirServer } from './fhir-server';
import type { FhirServer } from './fhir-server';
import { ensureFhirPatient } from './fhir-demo';
import { withHl7v2Trigger, withPollTriggerOnly } from './hl7v2-demo';
import { installPack, N8nClient, N8nProcess, projectRoot } from './n8n';
import type { N8nOptions } from './n8n';
import { startSmtpSink } from './smtp-sink';
import type { SmtpSink } from './smtp-sink';
import { tebraSandboxAccount } from './tebra-demo';
import { startTebraServer } from './tebra-server';
import type { TebraServer } from './tebra-server';
import { startTwilioApi } from './twilio-api';
import type { TwilioApiSandbox } from './twilio-api';

/** The EHRs that notify n8n by webhook: one three-stage and one replies workflow each (the webhook suites loop over them). */
export type SandboxEhr = 'fhir' | 'athenahealth' | 'drchrono';
export const sandboxEhrs: SandboxEhr[] = ['fhir', 'athenahealth', 'drchrono'];
/** Every EHR the sandbox offers a practice in: the webhook ones, Tebra (polled) and an HL7 v2 feed (MLLP). */
export type DemoEhr = SandboxEhr | 'tebra' | 'hl7v2';
export const demoEhrs: DemoEhr[] = [...sandboxEhrs, 'tebra', 'hl7v2'];

export interface SandboxOptions {
	/** Everything the sandbox writes (n8n user folder, journey store, logs) goes below it. */
	workDir: string;
	tarball: string;
	n8nPort: number;
	brokerPort: number;
	/** 0 = any free port (tests); fixed ports for `npm start`. */
	ports?: { fhir?: number; athenahealth?: number; drchrono?: number; tebra?: number; mllp?: number; twilio?: number; smtp?: number };
	/** The DrChrono doctor's zone (DrChrono's times are naive local times in it). */
	drchronoZone?: string;
	/** The Tebra practice's zone (Tebra records none: its credential holds it); default the demo practice's. */
	tebraZone?: string;
	/** Overrides of the practice profile credential (window, caps…). */
	profile?: Record<string, unknown>;
	/**
	 * Start from an empty n8n database (tests); `npm start` keeps its data between runs, and then finds the
	 * sandbox's credentials and workflows by name and reuses them as they are (edits made in the editor stay;
	 * the kept credentials point at the sandbox servers' ports, so a kept database needs fixed `ports`).
	 */
	fresh?: boolean;
	log?: (line: string) => void;
	/** Called with the n8n process before it is spawned, so a caller can stop it during a slow start. */
	onN8nProcess?: (n8n: N8nProcess) => void;
	/** More for the n8n (main) process: e.g. queue-mode env, or a launcher that installs the pack itself. */
	n8nProcess?: Pick<N8nOptions, 'extraEnv' | 'launcher' | 'encryptionKey' | 'ownProcessGroup'>;
	/** Puts the pack into n8n's user folder before n8n starts; default `installPack(userFolder, tarball)`. */
	installPack?: (userFolder: string) => void;
	/**
	 * false: the Twilio credential asks for no status callbacks, so an SMS costs no Delivery Status execution
	 * (the stage-one benchmark's like-for-like comparison with a stock workflow that tracks no delivery).
	 */
	deliveryStatusCallbacks?: boolean;
	/** Replaces the data of these sandbox credentials, by type (e.g. a Postgres journey store). */
	credentialOverrides?: Record<string, Record<string, unknown>>;
	/** Where EHR deliveries go (e.g. a queue-mode webhook processor); default: the n8n process itself. */
	webhookBaseUrl?: string;
	/** Options of every Journey Due Trigger (tests check every second and take short leases). */
	journeyDue?: JourneyDueOptions;
}

/** The Journey Due Trigger's options, as its Options collection names them. */
export interface JourneyDueOptions {
	checkEverySeconds?: number;
	leaseMinutes?: number;
	backlogPerMinute?: number;
	batchSize?: number;
	batchesInFlight?: number;
	maxAttempts?: number;
}

export interface SandboxWorkflow {
	id: string;
	name: string;
	webhookPath: string;
}

export interface Sandbox {
	options: SandboxOptions;
	n8n: N8nProcess;
	client: N8nClient;
	fhir: FhirServer;
	athena: AthenaSandbox;
	drchrono: DrChronoServer;
	tebra: TebraServer;
	/** The port the HL7 v2 workflow's MLLP listener opens on 127.0.0.1. */
	mllpPort: number;
	twilio: TwilioApiSandbox;
	smtp: SmtpSink;
	webhookSecret: string;
	journeyStorePath: string;
	credentialIds: Record<string, string>;
	workflows: {
		threeStage: Record<SandboxEhr, SandboxWorkflow>;
		/** The three-stage template polling the Tebra practice (EHR Poll Trigger every minute; Tebra pushes nothing). */
		tebra: SandboxWorkflow;
		/** The three-stage template started by the HL7 v2 Trigger on `mllpPort`, details from the FHIR sandbox. */
		hl7v2: SandboxWorkflow;
		recall: SandboxWorkflow;
		errorAlert: SandboxWorkflow;
		/** Twilio status callbacks and email bounces (FHIR sandbox); webhookPath is the Delivery Status Trigger's. */
		deliveryStatus: SandboxWorkflow;
		/** The weekly three-numbers email (published; Schedule Trigger). */
		weeklyReport: SandboxWorkflow;
		journeyWatchdog: SandboxWorkflow;
		/** The dry run (Manual Trigger: imported, not published; run it from the editor). */
		timelinePreview: SandboxWorkflow;
		/** The Journey Lookup form (FHIR sandbox; published): webhookPath is the form's, behind `journeyLookupLogin`. */
		journeyLookup: SandboxWorkflow;
		/** Patients' text replies, one per EHR; the Twilio sandbox's textIn posts to the FHIR one unless told otherwise. */
		patientReplies: Record<SandboxEhr, SandboxWorkflow>;
	};
	/** How many credentials and workflows a kept database already had (found by name and reused); 0 when fresh. */
	reused: { credentials: number; workflows: number };
	/** Posts a raw body to the EHR trigger of a workflow, as the EHR would. */
	deliver(ehr: SandboxEhr, body: string, headers: Record<string, string>): Promise<Response>;
	stop(): Promise<void>;
}

/** The sandbox's Twilio account on its Twilio-shaped API, and the practice's number (the sender). */
export const twilioAccount = { accountSid: 'AC' + 'd3a0'.repeat(8), authToken: 'sandbox-auth-token' };
export const practiceNumber = '+15125550199';
/** The Basic Auth login of the sandbox's Journey Lookup form (its page shows patients' names). */
export const journeyLookupLogin = { user: 'ops', password: 'sandbox-lookup-password' };

type Template = { name: string; nodes: Array<Record<string, unknown>>; connections: unknown; settings?: Record<string, unknown> };

function template(file: string): Template {
	return JSON.parse(readFileSync(join(projectRoot, 'workflows-templates', file), 'utf8')) as Template;
}

/** The credentials each of the pack's node types declares, so imported templates get them assigned. */
const credentialsOfNode: Record<string, string[]> = {
	ehrTrigger: ['ehrWebhookApi', 'journeyStoreApi'],
	ehrPollTrigger: ['ehr', 'practiceProfileApi'],
	visitDetails: ['ehr', 'journeyStoreApi', 'practiceProfileApi'],
	cadenceWait: ['journeyStoreApi', 'practiceProfileApi'],
	journeyDueTrigger: ['ehr', 'journeyStoreApi', 'practiceProfileApi'],
	bookingCheck: ['ehr', 'journeyStoreApi'],
	channelRouter: ['journeyStoreApi', 'practiceProfileApi'],
	patientMessage: ['journeyStoreApi', 'practiceProfileApi', 'postVisitTwilioApi', 'postVisitSmtpApi'],
	ehrTask: ['ehr', 'journeyStoreApi', 'practiceProfileApi', 'postVisitTwilioApi', 'postVisitSmtpApi'],
	deliveryStatusTrigger: ['postVisitTwilioApi', 'journeyStoreApi'],
	recordDelivery: ['ehr', 'journeyStoreApi', 'practiceProfileApi'],
	journeyLog: ['journeyStoreApi'],
	followUpReport: ['journeyStoreApi'],
	timelinePreview: ['ehr', 'journeyStoreApi', 'practiceProfileApi'],
	patientReplyTrigger: ['postVisitTwilioApi', 'journeyStoreApi', 'practiceProfileApi', 'ehr'],
	hl7v2Trigger: ['journeyStoreApi'],
	staffEmail: ['postVisitSmtpApi'],
};
// An HL7 v2 journey reads and writes through the FHIR API of the EHR behind the feed (here the FHIR sandbox).
const ehrCredential: Record<DemoEhr, string> = {
	fhir: 'fhirR4Api',
	athenahealth: 'athenahealthApi',
	drchrono: 'drChronoOAuth2Api',
	tebra: 'tebraApi',
	hl7v2: 'fhirR4Api',
};
const athenaAccount = { practiceId: '195900', clientId: 'sandbox-client', clientSecret: 'sandbox-client-secret' };
const drchronoToken = 'sandbox-drchrono-access-token';

/** The Journey Lookup form's path (its Form Trigger's Form Path): the form is at /form/<path>. */
export const journeyLookupPath = 'journey-lookup';

/** Where the sandbox's Twilio credential tells Twilio to post status callbacks (the Delivery Status Trigger's path). */
export const deliveryStatusPath = 'post-visit/twilio-status';

/**
 * The sandbox's Twilio credential: the local Twilio-shaped API, and status callbacks to the Delivery Status
 * workflow at `webhookBaseUrl` (none without it).
 */
export function sandboxTwilioCredential(twilioApiUrl: string, webhookBaseUrl?: string): Record<string, unknown> {
	return {
		authType: 'authToken',
		...twilioAccount,
		from: practiceNumber,
		apiBaseUrl: twilioApiUrl,
		...(webhookBaseUrl ? { statusCallbackUrl: `${webhookBaseUrl}/webhook/${deliveryStatusPath}` } : {}),
	};
}

export function webhookPathOf(ehr: SandboxEhr): string {
	return `post-visit/${ehr}/visit-completed`;
}

/** The Patient Reply Trigger's path of the replies workflow for one sandbox EHR. */
export function patientRepliesPathOf(ehr: SandboxEhr): string {
	return `post-visit/${ehr}/patient-replies`;
}

/** A template made ready for this sandbox: EHR picked, unique webhook path, credentials assigned. */
export function prepareTemplate(
	source: Template,
	options: {
		name: string;
		ehr: DemoEhr;
		webhookPath: string;
		credentialIds: Record<string, string>;
		errorWorkflowId?: string;
		journeyDue?: JourneyDueOptions;
	},
): Template {
	const nodes = source.nodes.map((node) => {
		const type = String(node.type);
		if (!type.startsWith('n8n-nodes-post-visit.')) {
			if (type === 'n8n-nodes-base.formTrigger') return { ...node, credentials: { httpBasicAuth: { id: options.credentialIds.httpBasicAuth, name: 'Sandbox httpBasicAuth' } } };
			return type === 'n8n-nodes-base.emailSend' ? { ...node, credentials: { smtp: { id: options.credentialIds.smtp, name: 'Sandbox SMTP' } } } : node;
		}
		const short = type.slice('n8n-nodes-post-visit.'.length);
		const parameters = { ...(node.parameters as Record<string, unknown>) };
		if ('ehr' in parameters) parameters.ehr = options.ehr;
		if ('lookupEhr' in parameters) parameters.lookupEhr = options.ehr;
		if (short === 'ehrTrigger' || short === 'patientReplyTrigger') parameters.path = options.webhookPath;
		if (short === 'journeyDueTrigger' && options.journeyDue) {
			parameters.options = { ...(parameters.options as Record<string, unknown>), ...options.journeyDue };
		}
		const credentials: Record<string, { id: string; name: string }> = {};
		for (const name of credentialsOfNode[short] ?? []) {
			const credentialType = name === 'ehr' ? ehrCredential[options.ehr] : name;
			credentials[credentialType] = { id: options.credentialIds[credentialType], name: credentialType };
		}
		return { ...node, parameters, credentials };
	});
	return {
		...source,
		name: options.name,
		nodes,
		settings: { ...source.settings, ...(options.errorWorkflowId ? { errorWorkflow: options.errorWorkflowId } : {}) },
	};
}

export function practiceProfileData(overrides: Record<string, unknown> = {}): Record<string, unknown> {
	return {
		practiceName: demoPractice.name,
		practicePhone: demoPractice.phone,
		defaultZone: demoPractice.zone,
		defaultLanguage: 'en',
		windowStart: '09:00',
		windowEnd: '20:00',
		closedWeekdays: [],
		holidays: '',
		automatedPerJourney: 2,
		stage3PerJourney: 1,
		perPatientPerDay: 1,
		perNumberPerDay: 1,
		channelOrder: 'sms,email',
		schedulingLinks: JSON.stringify({
			default: 'https://riverside.example/schedule?order={orderId}',
			imaging: 'https://riverside.example/imaging?order={orderId}',
		}),
		staff: JSON.stringify([
			{
				key: demoPractice.coordinator.key,
				name: demoPractice.coordinator.name,
				// The same coordinator in each of the sandbox's EHRs: a FHIR Practitioner, athena's and DrChrono's usernames.
				ehrUserId: 'Practitioner/coordinator',
				ehrUserIds: { athenahealth: athenaDemoUsers.coordinator, drchrono: drChronoDemoIds.coordinator },
				email: demoPractice.coordinator.email,
				notifyBy: 'email',
			},
		]),
		...overrides,
	};
}

function tebraZoneOf(options: SandboxOptions): string {
	return options.tebraZone ?? tebraSandboxAccount.practice.zone;
}

/** A loopback port free at this moment (bound by the OS, then released), for a listener n8n opens later. */
async function unusedLocalPort(): Promise<number> {
	const probe = createServer();
	await new Promise<void>((resolve, reject) => probe.once('error', reject).listen(0, '127.0.0.1', resolve));
	const { port } = probe.address() as AddressInfo;
	await new Promise<void>((resolve) => probe.close(() => resolve()));
	return port;
}

/** The webhook secret the sandbox EHRs sign with; kept between `npm start` runs so registered EHRs keep working. */
function sandboxWebhookSecret(options: SandboxOptions): string {
	const secretFile = join(options.workDir, 'webhook-secret');
	const secret = existsSync(secretFile) && !options.fresh ? readFileSync(secretFile, 'utf8') : randomBytes(24).toString('hex');
	writeFileSync(secretFile, secret, { mode: 0o600 });
	return secret;
}

/**
 * The sandbox's athenahealth, with every staff member of the practice profile registered as an athenaNet user,
 * so a patient case assigned to them is assigned, not refused (athena accepts only usernames it knows).
 */
export async function startSandboxAthena(port: number): Promise<AthenaSandbox> {
	const athena = await startAthenaServer({ ...athenaAccount, port });
	for (const username of Object.values(athenaDemoUsers)) athena.addUser(username);
	return athena;
}

/**
 * Starts the whole sandbox: a FHIR server with the demo practice, a Twilio-shaped API, an SMTP sink, and a
 * real n8n with the packed pack installed as a community package, credentials pointing at the sandbox and
 * the templates imported and published.
 */
export async function startSandbox(options: SandboxOptions): Promise<Sandbox> {
	const log = options.log ?? (() => {});
	mkdirSync(options.workDir, { recursive: true });
	const userFolder = join(options.workDir, 'n8n-user');
	const journeyStorePath = join(options.workDir, 'journey.sqlite');
	if (options.fresh) {
		rmSync(userFolder, { recursive: true, force: true });
		rmSync(journeyStorePath, { force: true });
	}
	const fhir = await startFhirServer({ port: options.ports?.fhir ?? 0 });
	const athena = await startSandboxAthena(options.ports?.athenahealth ?? 0);
	const webhookSecret = sandboxWebhookSecret(options);
	const drchrono = await startDrChronoServer({
		port: options.ports?.drchrono ?? 0,
		accessToken: drchronoToken,
		zone: options.drchronoZone ?? demoPractice.zone,
		webhook: { secret: webhookSecret, callbackUrl: `${options.webhookBaseUrl ?? `http://127.0.0.1:${options.n8nPort}`}/webhook/${webhookPathOf('drchrono')}` },
	});
	const tebraPractice = { ...tebraSandboxAccount.practice, zone: tebraZoneOf(options) };
	const tebra = await startTebraServer({ login: tebraSandboxAccount.login, practice: tebraPractice, port: options.ports?.tebra ?? 0 });
	// The MLLP port is a parameter of the HL7 v2 Trigger, so it has to be known before the workflow is made.
	const mllpPort = options.ports?.mllp ?? (await unusedLocalPort());
	// Ray's only number is a landline: Twilio answers 21614, so the demo shows the fallback to a staff call.
	const landlines = Object.fromEntries(demoPatients.filter((p) => p.landline).map((p) => [p.landline as string, 'notMobile' as const]));
	const twilio = await startTwilioApi({
		...twilioAccount,
		port: options.ports?.twilio ?? 0,
		numberBehaviours: landlines,
		practiceNumber,
		inboundSmsUrl: `${options.webhookBaseUrl ?? `http://127.0.0.1:${options.n8nPort}`}/webhook/${patientRepliesPathOf('fhir')}`,
	});
	const smtp = await startSmtpSink({ port: options.ports?.smtp ?? 0, disableStartTls: true });
	for (const patient of demoPatients) await ensureFhirPatient(fhir, patient);
	log(`FHIR ${fhir.url} · Tebra ${tebra.endpoint} · Twilio-shaped API ${twilio.url} · SMTP 127.0.0.1:${smtp.port}`);

	const servers = [fhir, athena, drchrono, tebra, twilio, smtp];
	try {
		return await startN8nWithTemplates(options, { fhir, athena, drchrono, tebra, mllpPort, twilio, smtp, webhookSecret, userFolder, journeyStorePath, log });
	} catch (error) {
		await Promise.all(servers.map((server) => server.close()));
		throw error;
	}
}

/** The servers started before n8n, and what n8n's set-up needs from them. */
type SandboxParts = Pick<Sandbox, 'fhir' | 'athena' | 'drchrono' | 'tebra' | 'mllpPort' | 'twilio' | 'smtp' | 'webhookSecret' | 'journeyStorePath'> & {
	log: (line: string) => void;
};

async function startN8nWithTemplates(
	options: SandboxOptions,
	parts: SandboxParts & { userFolder: string },
): Promise<Sandbox> {
	const { userFolder } = parts;
	(options.installPack ?? ((folder: string) => installPack(folder, options.tarball)))(userFolder);
	const n8n = new N8nProcess({
		userFolder,
		port: options.n8nPort,
		brokerPort: options.brokerPort,
		logFile: join(options.workDir, 'n8n.log'),
		...options.n8nProcess,
	});
	options.onN8nProcess?.(n8n);
	try {
		await n8n.start();
		return await setUpN8n(options, n8n, parts);
	} catch (error) {
		// Whatever failed after the spawn, the n8n child must not outlive the caller.
		await n8n.stop();
		throw error;
	}
}

/** The sandbox's credentials, by type: kept ones (found by name) as they are but for the Tebra zone; others created. */
async function ensureSandboxCredentials(
	options: SandboxOptions,
	parts: SandboxParts,
	client: N8nClient,
	kept: KeptSandboxItems | undefined,
	reused: Sandbox['reused'],
): Promise<Record<string, string>> {
	const { fhir, athena, drchrono, tebra, twilio, smtp, webhookSecret, journeyStorePath } = parts;
	const credentialIds: Record<string, string> = {};
	const credentialData: Record<string, Record<string, unknown>> = {
		fhirR4Api: { baseUrl: fhir.url, authentication: 'none' },
		athenahealthApi: { environment: 'custom', baseUrl: athena.url, clientId: athenaAccount.clientId, clientSecret: athenaAccount.clientSecret, practiceId: athenaAccount.practiceId },
		tebraApi: { ...tebraSandboxAccount.login, practiceName: tebraSandboxAccount.practice.name, zone: tebraZoneOf(options), endpoint: tebra.endpoint },
		ehrWebhookApi: { secret: webhookSecret, previousSecret: '', headerName: 'X-Webhook-Secret' },
		journeyStoreApi: { backend: 'sqlite', sqlitePath: journeyStorePath, retentionDays: 400, contactHashSecret: demoPractice.contactHashSecret },
		practiceProfileApi: practiceProfileData(options.profile),
		postVisitTwilioApi: sandboxTwilioCredential(
			twilio.url,
			options.deliveryStatusCallbacks === false ? undefined : options.webhookBaseUrl ?? `http://127.0.0.1:${options.n8nPort}`,
		),
		postVisitSmtpApi: { host: '127.0.0.1', port: smtp.port, security: 'none', fromEmail: 'care@riverside.example', fromName: demoPractice.name },
		smtp: { host: '127.0.0.1', port: smtp.port, secure: false, disableStartTls: true, user: '', password: '' },
		httpBasicAuth: journeyLookupLogin,
		...options.credentialOverrides,
	};
	for (const [type, data] of Object.entries(credentialData)) {
		const existing = kept?.credential(`Sandbox ${type}`, type);
		if (existing) reused.credentials += 1;
		credentialIds[type] = existing ?? (await client.createCredential(`Sandbox ${type}`, type, data)).id;
	}
	const keptTebra = kept?.credential('Sandbox tebraApi', 'tebraApi');
	// The Tebra server reads its times in this start's zone (the demo zones may move it): the credential must agree.
	if (keptTebra) await client.updateCredential(keptTebra, { zone: tebraZoneOf(options) });
	const keptDrChrono = kept?.credential('Sandbox drChronoOAuth2Api', 'drChronoOAuth2Api');
	if (keptDrChrono) reused.credentials += 1;
	// An OAuth2 credential normally gets its token from the consent screen; the sandbox hands it one directly.
	credentialIds.drChronoOAuth2Api = keptDrChrono ?? (
		await client.rest('POST', '/credentials', {
			name: 'Sandbox drChronoOAuth2Api',
			type: 'drChronoOAuth2Api',
			data: {
				baseUrl: drchrono.url,
				clientId: 'sandbox-client',
				clientSecret: 'sandbox-client-secret',
				oauthTokenData: { access_token: drchronoToken, refresh_token: 'sandbox-refresh', token_type: 'Bearer', expires_in: 172800 },
			},
		})
	).data.id;
	return credentialIds;
}

async function setUpN8n(
	options: SandboxOptions,
	n8n: N8nProcess,
	parts: SandboxParts,
): Promise<Sandbox> {
	const { fhir, athena, drchrono, tebra, mllpPort, twilio, smtp, webhookSecret, journeyStorePath, log } = parts;
	const client = new N8nClient(n8n.baseUrl);
	await client.signIn();
	log(`n8n ready at ${n8n.baseUrl}`);
	const kept = options.fresh ? undefined : await keptSandboxItems(client);
	const reused = { credentials: 0, workflows: 0 };

	const credentialIds = await ensureSandboxCredentials(options, parts, client, kept, reused);

	/** A kept workflow of that name as it is, else the prepared template, created; published either way. */
	async function ensureWorkflow(prepared: Template, publish = true): Promise<{ id: string }> {
		const existing = kept?.workflow(prepared.name);
		if (existing) reused.workflows += 1;
		const id = existing?.id ?? (await client.createWorkflow(prepared)).id;
		// A workflow started only by a Manual Trigger cannot be published (n8n has nothing to activate).
		if (publish && !existing?.active) await client.activate(id);
		return { id };
	}

	// n8n 2.x runs an error workflow only from its published version ("is not active and cannot be executed").
	const errorAlert = await ensureWorkflow(prepareTemplate(template('error-alert.json'), {
		name: 'Post-Visit: Error Alert', ehr: 'fhir', webhookPath: '', credentialIds,
	}));
	const threeStage = {} as Record<SandboxEhr, SandboxWorkflow>;
	for (const ehr of sandboxEhrs) {
		const webhookPath = webhookPathOf(ehr);
		const prepared = prepareTemplate(template('post-visit-three-stage.json'), {
			name: `Post-Visit: Three-Stage Follow-Up (${ehr} sandbox)`, ehr, webhookPath, credentialIds, errorWorkflowId: errorAlert.id, journeyDue: options.journeyDue,
		});
		const created = await ensureWorkflow(prepared);
		threeStage[ehr] = { id: created.id, name: prepared.name, webhookPath };
	}
	/** The three-stage template for an EHR that does not notify by webhook, started by its own trigger. */
	async function threeStageWithOwnTrigger(ehr: 'tebra' | 'hl7v2'): Promise<SandboxWorkflow> {
		const prepared = prepareTemplate(template('post-visit-three-stage.json'), {
			name: `Post-Visit: Three-Stage Follow-Up (${ehr} sandbox)`, ehr, webhookPath: '', credentialIds, errorWorkflowId: errorAlert.id, journeyDue: options.journeyDue,
		});
		const withTrigger = ehr === 'tebra' ? withPollTriggerOnly(prepared) : withHl7v2Trigger(prepared, mllpPort, credentialIds.journeyStoreApi);
		return { id: (await ensureWorkflow(withTrigger)).id, name: prepared.name, webhookPath: '' };
	}
	const tebraThreeStage = await threeStageWithOwnTrigger('tebra');
	const hl7v2ThreeStage = await threeStageWithOwnTrigger('hl7v2');
	const recallPrepared = prepareTemplate(template('recall-outreach.json'), {
		name: 'Post-Visit: Recall Outreach (fhir sandbox)', ehr: 'fhir', webhookPath: '', credentialIds, errorWorkflowId: errorAlert.id, journeyDue: options.journeyDue,
	});
	const recall = await ensureWorkflow(recallPrepared);
	const deliveryStatusPrepared = prepareTemplate(template('delivery-status.json'), {
		name: 'Post-Visit: Delivery Status (fhir sandbox)', ehr: 'fhir', webhookPath: '', credentialIds, errorWorkflowId: errorAlert.id, journeyDue: options.journeyDue,
	});
	const deliveryStatus = await ensureWorkflow(deliveryStatusPrepared);
	const weeklyReportPrepared = prepareTemplate(template('weekly-report.json'), {
		name: 'Post-Visit: Weekly Follow-Up Report (sandbox)', ehr: 'fhir', webhookPath: '', credentialIds, errorWorkflowId: errorAlert.id,
	});
	const weeklyReport = await ensureWorkflow(weeklyReportPrepared);
	const journeyWatchdogPrepared = prepareTemplate(template('journey-watchdog.json'), {
		name: 'Post-Visit: Journey Watchdog (sandbox)', ehr: 'fhir', webhookPath: '', credentialIds, errorWorkflowId: errorAlert.id,
	});
	const journeyWatchdog = await ensureWorkflow(journeyWatchdogPrepared);
	const timelinePreviewPrepared = prepareTemplate(template('timeline-preview.json'), {
		name: 'Post-Visit: Timeline Preview (fhir sandbox)', ehr: 'fhir', webhookPath: '', credentialIds,
	});
	const timelinePreview = await ensureWorkflow(timelinePreviewPrepared, false);
	const journeyLookupPrepared = prepareTemplate(template('journey-lookup.json'), {
		name: 'Post-Visit: Journey Lookup (fhir sandbox)', ehr: 'fhir', webhookPath: '', credentialIds, errorWorkflowId: errorAlert.id,
	});
	const journeyLookup = await ensureWorkflow(journeyLookupPrepared);
	const patientReplies = {} as Record<SandboxEhr, SandboxWorkflow>;
	for (const ehr of sandboxEhrs) {
		const webhookPath = patientRepliesPathOf(ehr);
		const prepared = prepareTemplate(template('patient-replies.json'), {
			name: `Post-Visit: Patient Replies (${ehr} sandbox)`, ehr, webhookPath, credentialIds, errorWorkflowId: errorAlert.id,
		});
		patientReplies[ehr] = { id: (await ensureWorkflow(prepared)).id, name: prepared.name, webhookPath };
	}
	log(reused.workflows > 0 ? `kept database: reused ${reused.credentials} credentials and ${reused.workflows} workflows` : 'templates imported and published');

	return {
		options,
		n8n,
		client,
		fhir,
		athena,
		drchrono,
		tebra,
		mllpPort,
		twilio,
		smtp,
		webhookSecret,
		journeyStorePath,
		credentialIds,
		reused,
		workflows: {
			threeStage,
			tebra: tebraThreeStage,
			hl7v2: hl7v2ThreeStage,
			recall: { id: recall.id, name: recallPrepared.name, webhookPath: '' },
			deliveryStatus: { id: deliveryStatus.id, name: deliveryStatusPrepared.name, webhookPath: deliveryStatusPath },
			weeklyReport: { id: weeklyReport.id, name: weeklyReportPrepared.name, webhookPath: '' },
			journeyWatchdog: { id: journeyWatchdog.id, name: journeyWatchdogPrepared.name, webhookPath: '' },
			timelinePreview: { id: timelinePreview.id, name: timelinePreviewPrepared.name, webhookPath: '' },
			journeyLookup: { id: journeyLookup.id, name: journeyLookupPrepared.name, webhookPath: journeyLookupPath },
			patientReplies,
			errorAlert: { id: errorAlert.id, name: 'Post-Visit: Error Alert', webhookPath: '' },
		},
		deliver: async (ehr, body, headers) =>
			await fetch(`${options.webhookBaseUrl ?? n8n.baseUrl}/webhook/${threeStage[ehr].webhookPath}`, { method: 'POST', body, headers }),
		stop: async () => {
			await n8n.stop();
			await Promise.all([fhir.close(), athena.close(), drchrono.close(), tebra.close(), twilio.close(), smtp.close()]);
		},
	};
}

type KeptSandboxItems = Awaited<ReturnType<typeof keptSandboxItems>>;

/**
 * What a kept n8n database already holds of the sandbox's own items, looked up by name (the sandbox names
 * them), so a second `npm start` neither duplicates credentials nor publishes a second workflow on the same
 * webhook path (n8n answers 409). Also drops the API keys earlier starts left behind (one per sign-in).
 */
async function keptSandboxItems(client: N8nClient) {
	const credentials: Array<{ id: string; name: string; type: string }> = [];
	for (let cursor: string | undefined, first = true; first || cursor; first = false) {
		const page = await client.api('GET', `/credentials?limit=250${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
		credentials.push(...page.data);
		cursor = page.nextCursor ?? undefined;
	}
	const workflows: Array<{ id: string; name: string; active: boolean; isArchived?: boolean }> = [];
	for (let cursor: string | undefined, first = true; first || cursor; first = false) {
		const page = await client.api('GET', `/workflows?limit=250&excludePinnedData=true${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
		workflows.push(...page.data);
		cursor = page.nextCursor ?? undefined;
	}
	// n8n 2.41 answers {items, counts, …}; older 1.x answered the array itself.
	const answer = (await client.rest('GET', '/api-keys?ownership=mine')).data;
	const keys: Array<{ id: string; label: string }> = Array.isArray(answer) ? answer : (answer?.items ?? []);
	const ours = keys
		.map((key) => ({ id: key.id, stamp: Number(/^post-visit-(\d+)$/.exec(key.label)?.[1]) }))
		.filter((key) => Number.isFinite(key.stamp))
		.sort((a, b) => a.stamp - b.stamp);
	for (const key of ours.slice(0, -1)) await client.rest('DELETE', `/api-keys/${key.id}`);
	return {
		credential: (name: string, type: string) => credentials.find((c) => c.name === name && c.type === type)?.id,
		workflow: (name: string) => workflows.find((w) => w.name === name && !w.isArchived),
	};
}
