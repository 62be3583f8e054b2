import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { startAthenaServer } from './athenahealth-server';
import type { AthenaSandbox } from './athenahealth-server';
import { demoPatients, demoPractice } from './demo-patients';
import { startDrChronoServer } from './drchrono-server';
import type { DrChronoServer } from './drchrono-server';
import { startFhirServer } from './fhir-server';
import type { FhirServer } from './fhir-server';
import { ensureFhirPatient } from './fhir-demo';
import { installPack, N8nClient, N8nProcess, projectRoot } from './n8n';
import { startSmtpSink } from './smtp-sink';
import type { SmtpSink } from './smtp-sink';
import { startTwilioApi } from './twilio-api';
import type { TwilioApiSandbox } from './twilio-api';

export type SandboxEhr = 'fhir' | 'athenahealth' | 'drchrono';
export const sandboxEhrs: SandboxEhr[] = ['fhir', 'athenahealth', 'drchrono'];

export interface SandboxOptions {
	/** Everything the sandbox writes (n8n user folder, journey store, logs) goes below it. */
	workDir: string;
	tarball: string;
	n8nPort: number;
	brokerPort: number;
	/** 0 = any free port (tests); fixed ports for `npm start`. */
	ports?: { fhir?: number; athenahealth?: number; drchrono?: number; twilio?: number; smtp?: number };
	/** The DrChrono doctor's zone (DrChrono's times are naive local times in it). */
	drchronoZone?: string;
	/** Overrides of the practice profile credential (window, caps…). */
	profile?: Record<string, unknown>;
	/** Start from an empty n8n database (tests); `npm start` keeps its data between runs. */
	fresh?: boolean;
	log?: (line: string) => void;
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
	twilio: TwilioApiSandbox;
	smtp: SmtpSink;
	webhookSecret: string;
	journeyStorePath: string;
	credentialIds: Record<string, string>;
	workflows: { threeStage: Record<SandboxEhr, SandboxWorkflow>; recall: SandboxWorkflow; errorAlert: SandboxWorkflow };
	/** Posts a raw body to the EHR trigger of a workflow, as the EHR would. */
	deliver(ehr: SandboxEhr, body: string, headers: Record<string, string>): Promise<Response>;
	stop(): Promise<void>;
}

const twilioAccount = { accountSid: 'AC' + 'd3a0'.repeat(8), authToken: 'sandbox-auth-token' };
const practiceNumber = '+15125550199';

type Template = { name: string; nodes: Array<Record<string, unknown>>; connections: unknown; settings?: Record<string, unknown> };

function template(file: string): Template {
	return JSON.parse(readFileSync(join(projectRoot, 'workflows-templates', file), 'utf8')) as Template;
}

/** The credentials each of the pack's node types declares, so imported templates get them assigned. */
const credentialsOfNode: Record<string, string[]> = {
	ehrTrigger: ['ehrWebhookApi'],
	ehrPollTrigger: ['ehr', 'practiceProfileApi'],
	visitDetails: ['ehr', 'journeyStoreApi', 'practiceProfileApi'],
	cadenceWait: ['journeyStoreApi', 'practiceProfileApi'],
	bookingCheck: ['ehr', 'journeyStoreApi'],
	channelRouter: ['journeyStoreApi', 'practiceProfileApi'],
	patientMessage: ['journeyStoreApi', 'practiceProfileApi', 'postVisitTwilioApi', 'postVisitSmtpApi'],
	ehrTask: ['ehr', 'journeyStoreApi', 'practiceProfileApi', 'postVisitTwilioApi', 'postVisitSmtpApi'],
};
const ehrCredential: Record<SandboxEhr, string> = { fhir: 'fhirR4Api', athenahealth: 'athenahealthApi', drchrono: 'drChronoOAuth2Api' };
const athenaAccount = { practiceId: '195900', clientId: 'sandbox-client', clientSecret: 'sandbox-client-secret' };
const drchronoToken = 'sandbox-drchrono-access-token';

function webhookPathOf(ehr: SandboxEhr): string {
	return `post-visit/${ehr}/visit-completed`;
}

/** A template made ready for this sandbox: EHR picked, unique webhook path, credentials assigned. */
export function prepareTemplate(
	source: Template,
	options: { name: string; ehr: SandboxEhr; webhookPath: string; credentialIds: Record<string, string>; errorWorkflowId?: string },
): Template {
	const nodes = source.nodes.map((node) => {
		const type = String(node.type);
		if (!type.startsWith('n8n-nodes-post-visit.')) {
			return type === 'n8n-nodes-base.emailSend' ? { ...node, credentials: { smtp: { id: options.credentialIds.smtp, name: 'Sandbox SMTP' } } } : node;
		}
		const short = type.slice('n8n-nodes-post-visit.'.length);
		const parameters = { ...(node.parameters as Record<string, unknown>) };
		if ('ehr' in parameters) parameters.ehr = options.ehr;
		if (short === 'ehrTrigger') parameters.path = options.webhookPath;
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
		channelOrder: 'sms,email',
		schedulingLinks: JSON.stringify({
			default: 'https://riverside.example/schedule?order={orderId}',
			imaging: 'https://riverside.example/imaging?order={orderId}',
		}),
		staff: JSON.stringify([
			{ key: demoPractice.coordinator.key, name: demoPractice.coordinator.name, ehrUserId: 'Practitioner/coordinator', email: demoPractice.coordinator.email, notifyBy: 'email' },
		]),
		...overrides,
	};
}

/** The webhook secret the sandbox EHRs sign with; kept between `npm start` runs so registered EHRs keep working. */
function sandboxWebhookSecret(options: SandboxOptions): string {
	const secretFile = join(options.workDir, 'webhook-secret');
	const secret = existsSync(secretFile) && !options.fresh ? readFileSync(secretFile, 'utf8') : randomBytes(24).toString('hex');
	writeFileSync(secretFile, secret, { mode: 0o600 });
	return secret;
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
	const athena = await startAthenaServer({ ...athenaAccount, port: options.ports?.athenahealth ?? 0 });
	const webhookSecret = sandboxWebhookSecret(options);
	const drchrono = await startDrChronoServer({
		port: options.ports?.drchrono ?? 0,
		accessToken: drchronoToken,
		zone: options.drchronoZone ?? demoPractice.zone,
		webhook: { secret: webhookSecret, callbackUrl: `http://127.0.0.1:${options.n8nPort}/webhook/${webhookPathOf('drchrono')}` },
	});
	const twilio = await startTwilioApi({ ...twilioAccount, port: options.ports?.twilio ?? 0 });
	const smtp = await startSmtpSink({ port: options.ports?.smtp ?? 0, disableStartTls: true });
	for (const patient of demoPatients) await ensureFhirPatient(fhir, patient);
	log(`FHIR ${fhir.url} · Twilio-shaped API ${twilio.url} · SMTP 127.0.0.1:${smtp.port}`);

	const servers = [fhir, athena, drchrono, twilio, smtp];
	try {
		return await startN8nWithTemplates(options, { fhir, athena, drchrono, twilio, smtp, webhookSecret, userFolder, journeyStorePath, log });
	} catch (error) {
		await Promise.all(servers.map((server) => server.close()));
		throw error;
	}
}

async function startN8nWithTemplates(
	options: SandboxOptions,
	parts: {
		fhir: FhirServer;
		athena: AthenaSandbox;
		drchrono: DrChronoServer;
		twilio: TwilioApiSandbox;
		smtp: SmtpSink;
		webhookSecret: string;
		userFolder: string;
		journeyStorePath: string;
		log: (line: string) => void;
	},
): Promise<Sandbox> {
	const { fhir, athena, drchrono, twilio, smtp, webhookSecret, userFolder, journeyStorePath, log } = parts;
	installPack(userFolder, options.tarball);
	const n8n = new N8nProcess({
		userFolder,
		port: options.n8nPort,
		brokerPort: options.brokerPort,
		logFile: join(options.workDir, 'n8n.log'),
	});
	try {
		await n8n.start();
	} catch (error) {
		await n8n.stop();
		throw error;
	}
	const client = new N8nClient(n8n.baseUrl);
	await client.signIn();
	log(`n8n ready at ${n8n.baseUrl}`);

	const credentialIds: Record<string, string> = {};
	const credentialData: Record<string, Record<string, unknown>> = {
		fhirR4Api: { baseUrl: fhir.url, authentication: 'none' },
		athenahealthApi: { environment: 'custom', baseUrl: athena.url, clientId: athenaAccount.clientId, clientSecret: athenaAccount.clientSecret, practiceId: athenaAccount.practiceId },
		ehrWebhookApi: { secret: webhookSecret, previousSecret: '', headerName: 'X-Webhook-Secret' },
		journeyStoreApi: { backend: 'sqlite', sqlitePath: journeyStorePath, retentionDays: 400 },
		practiceProfileApi: practiceProfileData(options.profile),
		postVisitTwilioApi: { authType: 'authToken', ...twilioAccount, from: practiceNumber, apiBaseUrl: twilio.url },
		postVisitSmtpApi: { host: '127.0.0.1', port: smtp.port, security: 'none', fromEmail: 'care@riverside.example', fromName: demoPractice.name },
		smtp: { host: '127.0.0.1', port: smtp.port, secure: false, disableStartTls: true, user: '', password: '' },
	};
	for (const [type, data] of Object.entries(credentialData)) {
		credentialIds[type] = (await client.createCredential(`Sandbox ${type}`, type, data)).id;
	}
	// An OAuth2 credential normally gets its token from the consent screen; the sandbox hands it one directly.
	credentialIds.drChronoOAuth2Api = (
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

	const errorAlert = await client.createWorkflow(prepareTemplate(template('error-alert.json'), {
		name: 'Post-Visit: Error Alert', ehr: 'fhir', webhookPath: '', credentialIds,
	}));
	const threeStage = {} as Record<SandboxEhr, SandboxWorkflow>;
	for (const ehr of sandboxEhrs) {
		const webhookPath = webhookPathOf(ehr);
		const prepared = prepareTemplate(template('post-visit-three-stage.json'), {
			name: `Post-Visit: Three-Stage Follow-Up (${ehr} sandbox)`, ehr, webhookPath, credentialIds, errorWorkflowId: errorAlert.id,
		});
		const created = await client.createWorkflow(prepared);
		await client.activate(created.id);
		threeStage[ehr] = { id: created.id, name: prepared.name, webhookPath };
	}
	const recallPrepared = prepareTemplate(template('recall-outreach.json'), {
		name: 'Post-Visit: Recall Outreach (fhir sandbox)', ehr: 'fhir', webhookPath: '', credentialIds, errorWorkflowId: errorAlert.id,
	});
	const recall = await client.createWorkflow(recallPrepared);
	await client.activate(recall.id);
	log('templates imported and published');

	return {
		options,
		n8n,
		client,
		fhir,
		athena,
		drchrono,
		twilio,
		smtp,
		webhookSecret,
		journeyStorePath,
		credentialIds,
		workflows: {
			threeStage,
			recall: { id: recall.id, name: recallPrepared.name, webhookPath: '' },
			errorAlert: { id: errorAlert.id, name: 'Post-Visit: Error Alert', webhookPath: '' },
		},
		deliver: async (ehr, body, headers) =>
			await fetch(`${n8n.baseUrl}/webhook/${threeStage[ehr].webhookPath}`, { method: 'POST', body, headers }),
		stop: async () => {
			await n8n.stop();
			await Promise.all([fhir.close(), athena.close(), drchrono.close(), twilio.close(), smtp.close()]);
		},
	};
}
