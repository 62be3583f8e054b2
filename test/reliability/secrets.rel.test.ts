/**
 * Credentials and secrets (issue #7), in-process: every secret of every credential the pack uses is absent from
 * node outputs, node errors (message, description, stack, cause — the whole run data n8n would store) and log
 * lines at every level, when the nodes run against local servers that refuse them (wrong token, wrong password,
 * unknown key, TLS failure, store unreachable) and when everything works. Plus the constant-time audit: every
 * secret or signature comparison in nodes/** goes through safeEqual (timingSafeEqual over two SHA-256 digests).
 * Rotation in a real n8n: secrets-rotation.rel.test.ts.
 */
import { generateKeyPairSync } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

import type { ICredentialDataDecryptedObject, IDataObject } from 'n8n-workflow';

import { ChannelRouter } from '../../nodes/ChannelRouter/ChannelRouter.node';
import { PatientMessage } from '../../nodes/PatientMessage/PatientMessage.node';
import { VisitDetails } from '../../nodes/VisitDetails/VisitDetails.node';
import type { EhrKind } from '../../nodes/shared/core/schemas';
import { buildAthenaDelivery, startAthenaServer } from '../../sandbox/athenahealth-server';
import { buildDrChronoDelivery, startDrChronoServer } from '../../sandbox/drchrono-server';
import { fhirBackportNotification } from '../../sandbox/fhir-demo';
import { startFhirServer } from '../../sandbox/fhir-server';
import { startSmtpSink } from '../../sandbox/smtp-sink';
import { startTwilioApi } from '../../sandbox/twilio-api';
import { closedPort } from '../helpers/net';
import { runWorkflow } from '../helpers/engine';
import type { RunResult, WorkflowFixture } from '../helpers/engine';
import { journeyStoreCredential, packCredentialTypes, practiceProfileCredential, tempDir, visitEvent, zoneWhereNowIsBetween } from '../helpers/fixtures';
import { captureN8nLogs, deliverToTrigger, jsonOf, leakedIn } from './secrets-kit';
import type { CapturedLogs } from './secrets-kit';
import { outcomeOf, recordNote, recordRow } from './results';

const section = 'secrets';
const title = 'Credentials and secrets';

const accountSid = `AC${'5'.repeat(32)}`;
const twilioRight = 'twilio-right-token-6f1c9a2b7d3e';
const smtpRight = 'smtp-right-password-19ae';
const fhirBearerRight = 'fhir-bearer-right-7c2d9e4f1a0b';
const athenaRight = 'athena-client-secret-right-3b8f';
const drchronoRight = 'drchrono-access-right-b71e4c9d';
const smartKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

/** Every secret a credential of these scenarios holds, by label: none may show anywhere. */
const secrets: Record<string, string> = {
	'Twilio auth token (wrong)': 'twilio-auth-token-SECRET-7f3a9c1e5b2d',
	'Twilio auth token (valid)': twilioRight,
	'Twilio API key secret': 'twilio-api-key-secret-SECRET-2c9e8d4a',
	'SMTP password (wrong)': 'smtp-password-SECRET-91b2c4d6',
	'SMTP password (valid)': smtpRight,
	'SMTP password (TLS failure)': 'smtp-tls-password-SECRET-5e7a',
	'FHIR bearer token (wrong)': 'fhir-bearer-SECRET-0c4d8e2a6b1f',
	'FHIR bearer token (valid)': fhirBearerRight,
	'FHIR basic password': 'fhir-basic-password-SECRET-44aa',
	'FHIR SMART private key': smartKey,
	'athenahealth client secret (wrong)': 'athena-client-secret-SECRET-55aa99',
	'athenahealth client secret (valid)': athenaRight,
	'DrChrono access token': 'drchrono-access-token-SECRET-8d1f',
	'DrChrono refresh token': 'drchrono-refresh-token-SECRET-2b7c',
	'DrChrono client secret': 'drchrono-client-secret-SECRET-6a3e',
	'Journey store Postgres password': 'postgres-password-SECRET-0f9e8d',
	'EHR webhook secret': 'webhook-current-SECRET-4d2c8b1a9e7f',
	'EHR webhook previous secret': 'webhook-previous-SECRET-7e1a3c5b9d2f',
};
const s = (label: keyof typeof secrets) => secrets[label] as string;

const nodeTypes = { channelRouter: new ChannelRouter(), patientMessage: new PatientMessage(), visitDetails: new VisitDetails() };
const credentialTypes = packCredentialTypes();

let logs: CapturedLogs;
const consoleLines: string[] = [];
const closers: Array<() => Promise<void>> = [];
const servers = {} as {
	twilio: Awaited<ReturnType<typeof startTwilioApi>>;
	smtpAuth: Awaited<ReturnType<typeof startSmtpSink>>;
	fhirBearer: Awaited<ReturnType<typeof startFhirServer>>;
	fhirBasic: Awaited<ReturnType<typeof startFhirServer>>;
	athena: Awaited<ReturnType<typeof startAthenaServer>>;
	drchrono: Awaited<ReturnType<typeof startDrChronoServer>>;
	closedPort: number;
};

beforeAll(async () => {
	logs = captureN8nLogs();
	for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
		jest.spyOn(console, method).mockImplementation((...args: unknown[]) => {
			consoleLines.push(args.map((arg) => (typeof arg === 'string' ? arg : jsonOf(arg))).join(' '));
		});
	}
	servers.twilio = await startTwilioApi({ accountSid, authToken: twilioRight });
	servers.smtpAuth = await startSmtpSink({ disableStartTls: true, authOptional: false, users: { mailer: smtpRight } });
	servers.fhirBearer = await startFhirServer({ bearerToken: fhirBearerRight });
	servers.fhirBasic = await startFhirServer({ basicAuth: { username: 'fhir-user', password: 'fhir-right-basic-pass' } });
	servers.athena = await startAthenaServer({ practiceId: '195900', clientId: 'athena-client', clientSecret: athenaRight, seedDemo: true });
	servers.drchrono = await startDrChronoServer({ accessToken: drchronoRight, clientId: 'drchrono-client', clientSecret: 'drchrono-right-client-secret' });
	servers.closedPort = await closedPort();
	closers.push(
		() => servers.twilio.close(),
		() => servers.smtpAuth.close(),
		() => servers.fhirBearer.close(),
		() => servers.fhirBasic.close(),
		() => servers.athena.close(),
		() => servers.drchrono.close(),
	);
}, 120_000);

afterAll(async () => {
	await Promise.all(closers.map((close) => close()));
	logs?.restore();
	jest.restoreAllMocks();
});

const storePath = () => join(tempDir('post-visit-secrets-'), 'journey.sqlite');
const journeyItem = () => visitEvent({ zone: zoneWhereNowIsBetween(9, 20) }) as unknown as IDataObject;

function messaging(channelOrder: 'sms' | 'email', extra: Record<string, ICredentialDataDecryptedObject>) {
	return {
		journeyStoreApi: journeyStoreCredential(storePath()),
		practiceProfileApi: practiceProfileCredential({ channelOrder, perPatientPerDay: 5 }),
		...extra,
	};
}

const routeAndSend = (items: IDataObject[]): WorkflowFixture => ({
	nodes: [
		{ name: 'Fixture', type: 'test.fixture', parameters: { items: JSON.stringify(items) } },
		{ name: 'Route', type: 'n8n-nodes-post-visit.channelRouter', parameters: { stage: 1 } },
		{ name: 'Send', type: 'n8n-nodes-post-visit.patientMessage', parameters: { stage: 1 } },
	],
	connections: {
		Fixture: { main: [[{ node: 'Route', type: 'main', index: 0 }]] },
		Route: { main: [[{ node: 'Send', type: 'main', index: 0 }], []] },
	},
});

const visitDetails = (ehr: EhrKind, items: IDataObject[]): WorkflowFixture => ({
	nodes: [
		{ name: 'Fixture', type: 'test.fixture', parameters: { items: JSON.stringify(items) } },
		{ name: 'Visit Details', type: 'n8n-nodes-post-visit.visitDetails', parameters: { ehr } },
	],
	connections: { Fixture: { main: [[{ node: 'Visit Details', type: 'main', index: 0 }]] } },
});

const notification = (ehr: EhrKind, resourceType: 'Encounter' | 'Appointment', resourceId: string): IDataObject => ({
	ehr,
	eventId: `secrets-${ehr}-${resourceId}-${Date.now()}`,
	topic: 'test',
	resourceType,
	resourceId,
	patientId: '1001',
	practiceId: ehr === 'athenahealth' ? '195900' : undefined,
});

/** Visit Details reading one notification with these EHR credentials, a fresh journey store and the practice profile. */
const readVisit = (ehr: EhrKind, resourceType: 'Encounter' | 'Appointment', resourceId: string, ehrCredentials: Record<string, ICredentialDataDecryptedObject>) =>
	runWorkflow(visitDetails(ehr, [notification(ehr, resourceType, resourceId)]), {
		nodeTypes,
		credentialTypes,
		credentials: { ...ehrCredentials, journeyStoreApi: journeyStoreCredential(storePath()), practiceProfileApi: practiceProfileCredential() },
	});

interface Scenario {
	name: string;
	/** What must have happened, so the scan looks at a real failure (or success). */
	expect: (result: RunResult) => void;
	run: () => Promise<RunResult>;
}

const fails = (node: string, pattern: RegExp) => (result: RunResult) => expect(result.error(node)?.message ?? '').toMatch(pattern);

const scenarios: Scenario[] = [
	{
		name: 'Twilio refuses the auth token (401 / 20003)',
		expect: fails('Send', /sms set-up was refused|20003|credential/i),
		run: async () =>
			await runWorkflow(routeAndSend([journeyItem()]), {
				nodeTypes,
				credentialTypes,
				credentials: messaging('sms', {
					postVisitTwilioApi: { authType: 'authToken', accountSid, authToken: s('Twilio auth token (wrong)'), from: '+15125550199', apiBaseUrl: servers.twilio.url },
				}),
			}),
	},
	{
		name: 'Twilio refuses an unknown API key',
		expect: fails('Send', /sms set-up was refused|20003|credential/i),
		run: async () =>
			await runWorkflow(routeAndSend([journeyItem()]), {
				nodeTypes,
				credentialTypes,
				credentials: messaging('sms', {
					postVisitTwilioApi: { authType: 'apiKey', accountSid, apiKeySid: `SK${'7'.repeat(32)}`, apiKeySecret: s('Twilio API key secret'), from: '+15125550199', apiBaseUrl: servers.twilio.url },
				}),
			}),
	},
	{
		name: 'SMTP refuses the login (535)',
		expect: fails('Send', /email set-up was refused|535|EAUTH|credential/i),
		run: async () =>
			await runWorkflow(routeAndSend([journeyItem()]), {
				nodeTypes,
				credentialTypes,
				credentials: messaging('email', {
					postVisitSmtpApi: { host: '127.0.0.1', port: servers.smtpAuth.port, security: 'none', user: 'mailer', password: s('SMTP password (wrong)'), fromEmail: 'care@riverside.test', fromName: 'Riverside' },
				}),
			}),
	},
	{
		name: 'SMTP TLS fails (the server does not speak TLS)',
		expect: (result) => expect(result.error('Send') ?? result.output('Send', 2)[0]).toBeDefined(),
		run: async () =>
			await runWorkflow(routeAndSend([journeyItem()]), {
				nodeTypes,
				credentialTypes,
				credentials: messaging('email', {
					postVisitSmtpApi: { host: '127.0.0.1', port: servers.smtpAuth.port, security: 'tls', user: 'mailer', password: s('SMTP password (TLS failure)'), fromEmail: 'care@riverside.test', fromName: 'Riverside' },
				}),
			}),
	},
	{
		name: 'the journey store (Postgres) cannot be reached',
		expect: fails('Route', /.+/),
		run: async () =>
			await runWorkflow(routeAndSend([journeyItem()]), {
				nodeTypes,
				credentialTypes,
				credentials: {
					journeyStoreApi: { backend: 'postgres', host: '127.0.0.1', port: servers.closedPort, database: 'postvisit', user: 'postvisit', password: s('Journey store Postgres password'), ssl: 'off' },
					practiceProfileApi: practiceProfileCredential(),
				},
			}),
	},
	{
		name: 'the FHIR server refuses the bearer token (401)',
		expect: fails('Visit Details', /401|unauthori[sz]ed|credential|token/i),
		run: async () =>
			await readVisit('fhir', 'Encounter', 'enc-secret-1', {
				fhirR4Api: { baseUrl: servers.fhirBearer.url, authentication: 'bearer', bearerToken: s('FHIR bearer token (wrong)'), accessToken: '' },
			}),
	},
	{
		name: 'the FHIR server refuses the basic-auth password (401)',
		expect: fails('Visit Details', /401|unauthori[sz]ed|credential|password/i),
		run: async () =>
			await readVisit('fhir', 'Encounter', 'enc-secret-2', {
				fhirR4Api: { baseUrl: servers.fhirBasic.url, authentication: 'basic', username: 'fhir-user', password: s('FHIR basic password'), accessToken: '' },
			}),
	},
	{
		name: 'the FHIR token endpoint refuses a SMART client it does not know',
		expect: fails('Visit Details', /.+/),
		run: async () =>
			await readVisit('fhir', 'Encounter', 'enc-secret-3', {
				fhirR4Api: {
					baseUrl: servers.fhirBearer.url,
					authentication: 'smartBackend',
					clientId: 'unknown-smart-client',
					tokenUrl: servers.fhirBearer.tokenUrl,
					privateKey: smartKey,
					keyId: 'k1',
					algorithm: 'RS384',
					scope: 'system/*.read',
					accessToken: '',
				},
			}),
	},
	{
		name: 'athenahealth refuses the client secret (token 401)',
		expect: fails('Visit Details', /.+/),
		run: async () =>
			await readVisit('athenahealth', 'Appointment', '5001', {
				athenahealthApi: {
					environment: 'custom',
					baseUrl: servers.athena.url,
					clientId: 'athena-client',
					clientSecret: s('athenahealth client secret (wrong)'),
					practiceId: '195900',
					scope: 'athena/service/Athenanet.MDP.*',
					accessToken: '',
				},
			}),
	},
	{
		name: 'DrChrono refuses the access token and the refresh token',
		expect: fails('Visit Details', /.+/),
		run: async () =>
			await readVisit('drchrono', 'Appointment', '80001', {
				drChronoOAuth2Api: {
					baseUrl: servers.drchrono.url,
					grantType: 'authorizationCode',
					authUrl: `${servers.drchrono.url}/o/authorize/`,
					accessTokenUrl: `${servers.drchrono.url}/o/token/`,
					clientId: 'drchrono-client',
					clientSecret: s('DrChrono client secret'),
					scope: 'user:read',
					authentication: 'body',
					oauthTokenData: { access_token: s('DrChrono access token'), refresh_token: s('DrChrono refresh token'), token_type: 'Bearer', expires_in: 172800 },
				},
			}),
	},
	{
		name: 'everything works: a care summary by SMS and email (valid Twilio token, valid SMTP login)',
		expect: (result) => {
			expect(result.error('Send')).toBeUndefined();
			expect(result.output('Send', 0)).toHaveLength(1);
		},
		run: async () =>
			await runWorkflow(routeAndSend([journeyItem()]), {
				nodeTypes,
				credentialTypes,
				credentials: {
					...messaging('sms', {}),
					practiceProfileApi: practiceProfileCredential({ channelOrder: 'sms,email', perPatientPerDay: 5 }),
					postVisitTwilioApi: { authType: 'authToken', accountSid, authToken: twilioRight, from: '+15125550199', apiBaseUrl: servers.twilio.url },
					postVisitSmtpApi: { host: '127.0.0.1', port: servers.smtpAuth.port, security: 'none', user: 'mailer', password: smtpRight, fromEmail: 'care@riverside.test', fromName: 'Riverside' },
				},
			}),
	},
	{
		name: 'everything works: Visit Details reads an athenahealth visit with a valid client secret',
		expect: (result) => {
			expect(result.error('Visit Details')).toBeUndefined();
			expect(result.output('Visit Details', 0).length + result.output('Visit Details', 1).length).toBe(1);
		},
		run: async () =>
			await readVisit('athenahealth', 'Appointment', '5001', {
				athenahealthApi: { environment: 'custom', baseUrl: servers.athena.url, clientId: 'athena-client', clientSecret: athenaRight, practiceId: '195900', scope: 'athena/service/Athenanet.MDP.*', accessToken: '' },
				fhirR4Api: { baseUrl: servers.fhirBearer.url, authentication: 'bearer', bearerToken: fhirBearerRight, accessToken: '' },
			}),
	},
];

describe('secrets never appear in node outputs, errors or logs (in-process, n8n-core engine)', () => {
	const leaks: string[] = [];
	let scanned = 0;

	it.each(scenarios.map((scenario) => [scenario.name, scenario] as const))('%s', async (_name, scenario) => {
		const logStart = logs.lines.length;
		const consoleStart = consoleLines.length;
		const result = await scenario.run();
		scenario.expect(result);
		const haystacks = {
			'run data (outputs, errors)': jsonOf(result.run),
			'n8n log lines (every level)': logs.lines.slice(logStart).join('\n'),
			'console output': consoleLines.slice(consoleStart).join('\n'),
		};
		const found: string[] = [];
		for (const [where, text] of Object.entries(haystacks)) {
			for (const label of leakedIn(text, secrets)) found.push(`${label} in ${where}`);
		}
		scanned += Object.keys(secrets).length;
		leaks.push(...found.map((leak) => `${scenario.name}: ${leak}`));
		expect(found).toEqual([]);
	});

	it.each<[string, EhrKind, () => { method: 'POST'; headers: Record<string, string>; rawBody: Buffer }]>([
		['FHIR, wrong shared secret', 'fhir', () => ({ method: 'POST', headers: { 'content-type': 'application/fhir+json', 'x-webhook-secret': 'an-attacker-guess-0123456789' }, rawBody: Buffer.from(JSON.stringify(fhirBackportNotification('enc-1', 1))) })],
		['athenahealth, signed with another secret', 'athenahealth', () => {
			const delivery = buildAthenaDelivery({ practiceId: '195900', secret: 'an-attacker-guess-0123456789', events: [{ topic: 'Appointment.check-out', appointmentId: '5001', patientId: '1001', departmentId: '1' }] });
			return { method: 'POST', headers: delivery.headers, rawBody: Buffer.from(delivery.body) };
		}],
		['DrChrono, signed with another secret', 'drchrono', () => {
			const delivery = buildDrChronoDelivery({ secret: 'an-attacker-guess-0123456789', event: 'APPOINTMENT_MODIFY', object: { id: '9001', patient: 5001, status: 'Complete' }, deliveryId: 'd-1' });
			return { method: 'POST', headers: delivery.headers, rawBody: Buffer.from(delivery.rawBody) };
		}],
	])('the EHR Trigger refuses %s with 401, and neither the answer nor the log names the configured secrets', async (_name, ehr, delivery) => {
		for (const validUntil of ['2999-01-01T00:00:00Z', '2000-01-01T00:00:00Z', '']) {
			const logStart = logs.lines.length;
			const { result, response } = await deliverToTrigger(ehr, delivery(), {
				secret: s('EHR webhook secret'),
				previousSecret: s('EHR webhook previous secret'),
				previousSecretValidUntil: validUntil,
				headerName: 'X-Webhook-Secret',
			});
			expect(response.statusCode).toBe(401);
			expect(result.workflowData).toBeUndefined();
			const text = `${jsonOf(response)}\n${jsonOf(result)}\n${logs.lines.slice(logStart).join('\n')}`;
			const found = leakedIn(text, { current: s('EHR webhook secret'), previous: s('EHR webhook previous secret') });
			scanned += 2;
			leaks.push(...found.map((label) => `EHR Trigger (${ehr}, previous valid until "${validUntil}"): ${label} secret leaked`));
			expect(found).toEqual([]);
			// A refusal is visible to ops in the log (warn), with the reason.
			expect(logs.lines.slice(logStart).some((line) => line.startsWith('warn') && line.includes('401'))).toBe(true);
		}
	});

	afterAll(() => {
		recordRow(section, title, {
			check: 'Secrets absent from node outputs, errors (message, description, stack, cause) and log lines at every level, in-process',
			attempts: scanned,
			passed: scanned - leaks.length,
			failed: leaks.length,
			outcome: leaks.length ? `FAIL: ${leaks.slice(0, 3).join('; ')}` : outcomeOf(scanned - leaks.length, leaks.length),
			notes: `${scenarios.length} node runs (Twilio token and API key refused, SMTP login refused, SMTP TLS failure, Postgres store unreachable, FHIR bearer/basic/SMART refused, athenahealth and DrChrono OAuth refused, and two that succeed) and 9 forged deliveries to the EHR Trigger; ${Object.keys(secrets).length} secrets, each looked for as is, base64, URL-encoded and in 24-character pieces`,
		});
	});
});

/** Every comparison in nodes/** whose operands name a secret, signature, token, password, hmac or digest. */
function comparisonsOfSecrets(): Array<{ file: string; line: number; text: string }> {
	const root = resolve(__dirname, '../../nodes');
	const files: string[] = [];
	const walk = (dir: string) => {
		for (const name of readdirSync(dir)) {
			const path = join(dir, name);
			if (statSync(path).isDirectory()) walk(path);
			else if (path.endsWith('.ts')) files.push(path);
		}
	};
	walk(root);
	const secretWord = /(secret|signature|hmac|digest|password|passwd|api_?key|bearer|access_?token|refresh_?token|authtoken)/i;
	const comparison = /(===|!==|==|!=|\.localeCompare\(|\.startsWith\(|\.endsWith\(|\.includes\(|\.indexOf\()/;
	const found: Array<{ file: string; line: number; text: string }> = [];
	for (const file of files) {
		readFileSync(file, 'utf8')
			.split('\n')
			.forEach((text, index) => {
				const code = text.replace(/\/\/.*$/, '').replace(/'[^']*'|"[^"]*"|`[^`]*`/g, "''");
				if (!comparison.test(code) || !secretWord.test(code)) return;
				// Checks on presence, type or configuration, not on a secret's value.
				if (/typeof |=== undefined|!== undefined|\.length|=== ''|!== ''|=== null|!== null|authType|authentication|grantType|\.type ===|kind ===/.test(code)) return;
				found.push({ file: relative(resolve(__dirname, '../..'), file), line: index + 1, text: text.trim() });
			});
	}
	return found;
}

describe('constant-time comparison of secrets and signatures (audit of nodes/**)', () => {
	it('no secret or signature is compared with ===, includes() or the like; safeEqual hashes both sides and uses timingSafeEqual', () => {
		const plainComparisons = comparisonsOfSecrets();
		const signature = readFileSync(resolve(__dirname, '../../nodes/shared/ehr/signature.ts'), 'utf8');
		const constantTime = /timingSafeEqual\(sha256\(a\), sha256\(b\)\)/.test(signature);
		const otherTimingSafe = (() => {
			const users: string[] = [];
			const root = resolve(__dirname, '../../nodes');
			const walk = (dir: string) => {
				for (const name of readdirSync(dir)) {
					const path = join(dir, name);
					if (statSync(path).isDirectory()) walk(path);
					else if (path.endsWith('.ts') && !path.endsWith('signature.ts') && readFileSync(path, 'utf8').includes('timingSafeEqual')) users.push(relative(root, path));
				}
			};
			walk(root);
			return users;
		})();
		const failed = plainComparisons.length + (constantTime ? 0 : 1) + otherTimingSafe.length;
		recordRow(section, title, {
			check: 'Constant-time comparison: every secret/signature check in nodes/** goes through safeEqual (timingSafeEqual over two SHA-256 digests)',
			attempts: 1,
			passed: failed === 0 ? 1 : 0,
			failed: failed === 0 ? 0 : 1,
			outcome: failed === 0 ? 'pass' : `FAIL: ${[...plainComparisons.map((c) => `${c.file}:${c.line}`), ...otherTimingSafe].join(', ')}`,
			notes:
				'Static audit of every .ts under nodes/ for ===, !==, includes(), startsWith() and the like on secret, signature, token, password, HMAC or digest values. ' +
				'Before this suite, safeEqual compared raw bytes and returned early on a length mismatch (leaking the secret\'s length); it now hashes both sides first ' +
				'(test/ehr/signature.test.ts). Webhook signatures (athenahealth, DrChrono) and shared secrets (DrChrono token, FHIR channel header) all use matchesAnySecret → safeEqual; the credential test compares Previous Secret with Secret through safeEqual too.',
		});
		expect({ plainComparisons, constantTime, otherTimingSafe }).toEqual({ plainComparisons: [], constantTime: true, otherTimingSafe: [] });
	});
});

afterAll(() => {
	recordNote(
		section,
		title,
		'Webhook secret rotation: the EHR Webhook Secret credential has "Previous Secret Valid Until". Until then both the old and the new secret are accepted; ' +
			'from then on only the new one. Empty means the previous secret is not accepted at all (fail-closed): a rotation often follows a leak, so an old ' +
			'secret must never stay valid because a date was forgotten; the credential test reports "Previous Secret is set but Previous Secret Valid Until is empty", ' +
			'and a refused delivery is logged at warn level with the reason ("Previous Secret stopped being accepted at …"), never the secret.',
	);
});
