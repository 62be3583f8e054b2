import { execFile } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';

import { DateTime } from 'luxon';
import { Client } from 'pg';

import { openJourneyStore } from '../../nodes/shared/store';
import { demoPatients } from '../../sandbox/demo-patients';
import { startSandbox } from '../../sandbox/environment';
import type { Sandbox } from '../../sandbox/environment';
import { closeFhirVisit, ensureFhirPatient, fhirBackportNotification } from '../../sandbox/fhir-demo';
import { projectRoot } from '../../sandbox/n8n';
import type { N8nProcess } from '../../sandbox/n8n';
import { eventually } from '../e2e/harness';
import { zoneWhereNowIsBetween } from '../helpers/fixtures';
import {
	bakedNodes,
	bakePack,
	encryptionKey,
	entrypointWrapper,
	jobsStartedBy,
	journeyStoreCredential,
	journeyStoreRole,
	ports,
	RedisProcess,
	runInit,
	sharedEnv,
	startPostgres,
	stopPostgres,
	webhookProcess,
	workDir,
	workerProcess,
} from './topology';

/**
 * docker-compose.yml's `queue` profile without Docker: n8n main (queue mode, production webhooks off),
 * two `n8n worker`s and one `n8n webhook` processor on one Postgres and one Redis, every process started
 * through the image's entrypoint wrapper from an empty user folder, the journey store on Postgres.
 */
const packNodeTypes = ['ehrTrigger', 'ehrPollTrigger', 'visitDetails', 'cadenceWait', 'bookingCheck', 'channelRouter', 'patientMessage', 'ehrTask'];
const templateNames = ['Post-Visit: Three-Stage Follow-Up', 'Post-Visit: Recall Outreach', 'Post-Visit: Error Alert'];

let sandbox: Sandbox | undefined;
let main: N8nProcess | undefined;
const workers = [workerProcess(0), workerProcess(1)];
const webhook = webhookProcess();
const redis = new RedisProcess(ports.redis, join(workDir, 'redis.log'));
let firstInitOutput = '';
let eventNumber = 0;

const packVersion: string = JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')).version;
const patient = (key: string) => demoPatients.find((p) => p.key === key)!;
const bakedStamp = () => readFileSync(join(bakedNodes, 'node_modules', 'n8n-nodes-post-visit', '.post-visit-build'), 'utf8');
const installedStamp = (n8n: N8nProcess) =>
	readFileSync(join(n8n.options.userFolder, '.n8n', 'nodes', 'node_modules', 'n8n-nodes-post-visit', '.post-visit-build'), 'utf8');

function live(): Sandbox {
	if (!sandbox) throw new Error('the queue-mode sandbox did not start (see beforeAll)');
	return sandbox;
}

beforeAll(async () => {
	const tarball = process.env.POST_VISIT_TARBALL;
	if (!tarball) throw new Error('POST_VISIT_TARBALL is not set: run the suite through `npm run test:queue`');
	const began = Date.now();
	const step = (what: string) => console.log(`[queue] ${what} after ${((Date.now() - began) / 1000).toFixed(1)} s`);
	rmSync(workDir, { recursive: true, force: true });
	mkdirSync(workDir, { recursive: true });
	bakePack(tarball);
	step('pack baked (docker/install-pack.sh)');
	startPostgres();
	await redis.start();
	step('Postgres and Redis up');
	// As compose does: the one-shot init (which also runs n8n's migrations) before any n8n process.
	firstInitOutput = await runInit();
	step('init done (migrations, templates, journey store credential)');

	const started = await Promise.allSettled([
		startSandbox({
			workDir: join(workDir, 'main'),
			tarball,
			n8nPort: ports.main,
			brokerPort: ports.mainBroker,
			fresh: true,
			// Stage 2 follows stage 1 within minutes here; the daily cap has tests of its own.
			profile: { perPatientPerDay: 3, perNumberPerDay: 5 },
			// The wrapper installs the pack at launch, as in the image; nothing is installed beforehand.
			installPack: () => {},
			n8nProcess: {
				launcher: ['sh', entrypointWrapper],
				encryptionKey,
				ownProcessGroup: true,
				// Production webhooks are the webhook processor's job (the reverse proxy routes /webhook/ there).
				extraEnv: { ...sharedEnv(), N8N_DISABLE_PRODUCTION_MAIN_PROCESS: 'true' },
			},
			credentialOverrides: { journeyStoreApi: journeyStoreCredential },
			// Main's Journey Due Trigger checks every 2 s and hands out small batches, so several reach both workers.
			journeyDue: { checkEverySeconds: 2, batchSize: 5 },
			webhookBaseUrl: `http://127.0.0.1:${ports.webhook}`,
			onN8nProcess: (n8n) => {
				main = n8n;
			},
			log: (line) => console.log(`[queue] ${line}`),
		}),
		...workers.map((worker) => worker.start(240_000)),
		webhook.start(240_000),
	]);
	step('main, 2 workers and the webhook processor ready');
	const [first] = started;
	if (first.status === 'fulfilled') sandbox = first.value;
	const failure = started.find((result) => result.status === 'rejected');
	if (failure) throw failure.reason;
}, 420_000);

afterAll(async () => {
	await Promise.allSettled([sandbox ? sandbox.stop() : main?.stop(), ...workers.map((w) => w.stop()), webhook.stop()]);
	await redis.stop();
	stopPostgres();
}, 120_000);

/** Closes a visit for a demo patient in the FHIR sandbox and prepares its signed notification. */
async function closeVisit(key: string, completedAt: DateTime) {
	const box = live();
	const patientId = await ensureFhirPatient(box.fhir, patient(key), zoneWhereNowIsBetween(9, 20));
	const visit = await closeFhirVisit(box.fhir, patientId, { completedAt: completedAt.toUTC().toISO() as string });
	eventNumber += 1;
	const body = JSON.stringify(fhirBackportNotification(visit.encounterId, eventNumber));
	const deliver = () =>
		box.deliver('fhir', body, { 'content-type': 'application/fhir+json', 'x-webhook-secret': box.webhookSecret });
	return { patientId, ...visit, deliver };
}

const smsTo = (number: string) => live().twilio.messages.filter((m) => m.to === number);
const emailsTo = (address: string) => live().smtp.messages.filter((m) => m.to.includes(address));

async function journeyStoreQuery<T>(sql: string): Promise<T[]> {
	const client = new Client({ host: '127.0.0.1', port: ports.postgres, ...journeyStoreRole });
	await client.connect();
	try {
		return (await client.query(sql)).rows as T[];
	} finally {
		await client.end();
	}
}

describe('the pack on n8n 2.41.1 in queue mode (main + 2 workers + webhook processor, Postgres, Redis)', () => {
	it('installs the baked pack into every process\'s empty user folder at launch, keeping the n8n-nodes-post-visit. types', async () => {
		const box = live();
		for (const n8n of [box.n8n, ...workers, webhook]) {
			expect(installedStamp(n8n)).toBe(bakedStamp());
			expect(n8n.logText()).toContain('post-visit: installed n8n-nodes-post-visit');
		}
		const nodeTypes = (await box.client.nodeTypes()).map((t) => t.name);
		for (const name of packNodeTypes) expect(nodeTypes).toContain(`n8n-nodes-post-visit.${name}`);
		expect(nodeTypes.filter((name) => name.startsWith('CUSTOM.'))).toEqual([]);
	});

	it('leaves a current copy alone on the next launch, replaces a stale one, and keeps other community packages', async () => {
		const nodesDir = join(workDir, 'stale', '.n8n', 'nodes');
		const stampFile = join(nodesDir, 'node_modules', 'n8n-nodes-post-visit', '.post-visit-build');
		// A package an admin installed through Settings → Community Nodes, and n8n's ledger of it.
		mkdirSync(join(nodesDir, 'node_modules', 'n8n-nodes-other'), { recursive: true });
		writeFileSync(join(nodesDir, 'node_modules', 'n8n-nodes-other', 'package.json'), JSON.stringify({ name: 'n8n-nodes-other', version: '1.0.0' }));
		writeFileSync(join(nodesDir, 'package.json'), JSON.stringify({ name: 'installed-nodes', private: true, dependencies: { 'n8n-nodes-other': '1.0.0' } }));
		// The wrapper with `true` in place of n8n's entrypoint: only its install step runs.
		const launch = async () =>
			await new Promise<{ status: number; stderr: string }>((resolve) => {
				const env = { ...process.env, N8N_USER_FOLDER: join(workDir, 'stale'), POST_VISIT_BAKED_NODES: bakedNodes, POST_VISIT_NEXT_ENTRYPOINT: 'true' };
				execFile('sh', [entrypointWrapper, 'worker'], { env, encoding: 'utf8' }, (error, _stdout, stderr) =>
					resolve({ status: error ? Number(error.code ?? 1) : 0, stderr }),
				);
			});
		const firstLaunch = await launch();
		expect(firstLaunch.status).toBe(0);
		expect(firstLaunch.stderr).toContain('post-visit: installed');
		const again = await launch();
		expect(again.status).toBe(0);
		expect(again.stderr).not.toContain('post-visit: installed');
		writeFileSync(stampFile, 'an-older-image\n');
		const afterUpdate = await launch();
		expect(afterUpdate.status).toBe(0);
		expect(afterUpdate.stderr).toContain('post-visit: installed');
		expect(readFileSync(stampFile, 'utf8')).toBe(bakedStamp());
		expect(JSON.parse(readFileSync(join(nodesDir, 'package.json'), 'utf8')).dependencies).toEqual({ 'n8n-nodes-other': '1.0.0', 'n8n-nodes-post-visit': packVersion });
		expect(readFileSync(join(nodesDir, 'node_modules', 'n8n-nodes-other', 'package.json'), 'utf8')).toContain('n8n-nodes-other');
	});

	it('backs up the single set-up\'s two SQLite databases online (docker/backup-sqlite.js)', async () => {
		const userFolder = join(workDir, 'sqlite-backup');
		mkdirSync(join(userFolder, '.n8n', 'post-visit'), { recursive: true });
		for (const file of ['database.sqlite', join('post-visit', 'journey.sqlite')]) {
			const db = new DatabaseSync(join(userFolder, '.n8n', file));
			db.exec("CREATE TABLE kept (value TEXT); INSERT INTO kept VALUES ('still here')");
			db.close();
		}
		const output = await new Promise<string>((resolve, reject) =>
			execFile(process.execPath, [join(projectRoot, 'docker', 'backup-sqlite.js')], { env: { ...process.env, N8N_USER_FOLDER: userFolder } }, (error, stdout) =>
				error ? reject(error) : resolve(stdout),
			),
		);
		const backups = readdirSync(join(userFolder, '.n8n', 'backups'));
		expect(backups.map((name) => name.split('-')[0]).sort()).toEqual(['database', 'journey']);
		for (const name of backups) {
			const file = join(userFolder, '.n8n', 'backups', name);
			expect(output).toContain(file);
			expect(statSync(file).mode & 0o777).toBe(0o600);
			const copy = new DatabaseSync(file, { readOnly: true });
			expect(copy.prepare('SELECT value FROM kept').all()).toEqual([{ value: 'still here' }]);
			copy.close();
		}
	});

	it('imports each template once on first start (init service) and writes the journey store credential from env', async () => {
		const box = live();
		for (const name of templateNames) expect(firstInitOutput).toContain(`importing "${name}"`);
		const secondRun = await runInit();
		for (const name of templateNames) expect(secondRun).toContain(`"${name}" is already there`);
		const workflows: Array<{ id: string; name: string; active: boolean; nodes: Array<{ type: string }> }> = (
			await box.client.api('GET', '/workflows?limit=250')
		).data;
		for (const name of templateNames) {
			// The sandbox made its own error workflow of the same name; the init's are the others.
			const imported = workflows.filter((w) => w.name === name && w.id !== box.workflows.errorAlert.id);
			expect(imported).toHaveLength(1);
			expect(imported[0].active).toBe(false);
			const packTypes = imported[0].nodes.map((n) => n.type).filter((type) => !type.startsWith('n8n-nodes-base.'));
			for (const type of packTypes) expect(type).toMatch(/^n8n-nodes-post-visit\.[a-zA-Z]+$/);
		}
		const credentials: Array<{ id: string; name: string; type: string }> = (await box.client.api('GET', '/credentials?limit=250')).data;
		expect(credentials.filter((c) => c.id === 'post-visit-journey-store')).toEqual([
			expect.objectContaining({ name: 'Post-Visit Journey Store', type: 'journeyStoreApi' }),
		]);
	}, 120_000);

	it('leaves production webhooks to the webhook processor: the main process does not serve them', async () => {
		const box = live();
		const path = box.workflows.threeStage.fhir.webhookPath;
		const atMain = await fetch(`${box.n8n.baseUrl}/webhook/${path}`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
		expect(atMain.status).toBe(404);
		const atProcessor = await fetch(`http://127.0.0.1:${ports.webhook}/webhook/${path}`, {
			method: 'POST',
			body: '{}',
			headers: { 'content-type': 'application/json', 'x-webhook-secret': 'not-the-secret' },
		});
		expect(atProcessor.status).toBe(401);
	});

	it('runs the journey over both workers: stage 1, a step scheduled in the journey store and resumed by main\'s trigger, stage 2, nothing sent twice', async () => {
		const box = live();
		const john = patient('john');
		const ana = patient('ana');
		const leilani = patient('leilani');
		const workflowId = box.workflows.threeStage.fhir.id;

		// John's stage 2 falls due 75 s from now; Ana's and Leilani's in 2 days. Ana's notification arrives twice at once.
		const dueIn = { seconds: 75 };
		const reminded = await closeVisit('john', DateTime.utc().minus({ days: 2 }).plus(dueIn));
		const duplicated = await closeVisit('ana', DateTime.utc().minus({ minutes: 2 }));
		const single = await closeVisit('leilani', DateTime.utc().minus({ minutes: 1 }));
		const statuses = await Promise.all([reminded.deliver(), duplicated.deliver(), duplicated.deliver(), single.deliver()]);
		expect(statuses.map((response) => response.status)).toEqual([200, 200, 200, 200]);

		await eventually('stage 1 for all three patients', () =>
			smsTo(john.mobile!).length && emailsTo(john.email!).length && smsTo(ana.mobile!).length && emailsTo(ana.email!).length && emailsTo(leilani.email!).length
				? true
				: undefined,
		120_000);
		const johnsJourney = `visit:fhir:${reminded.encounterId}`;
		const [scheduled] = await eventually('John\'s Reminder scheduled in the Postgres journey store', async () => {
			const rows = await journeyStoreQuery<{ step: string; due_at: string; workflow_id: string }>(
				`SELECT step, due_at, workflow_id FROM pv_steps WHERE journey_id = '${johnsJourney}'`,
			);
			return rows.length === 1 ? rows : undefined;
		});
		expect(scheduled).toMatchObject({ step: 'Reminder', workflow_id: workflowId });
		expect(Date.parse(scheduled.due_at)).toBeGreaterThan(Date.now());
		// Nothing waits in n8n itself any more.
		expect((await box.client.executions(workflowId)).filter((e) => e.status === 'waiting')).toEqual([]);

		// Main's Journey Due Trigger claims the step when due and emits a batch; a worker runs it.
		const reminder = await eventually('John\'s stage-2 reminder', () => smsTo(john.mobile!)[1], 240_000);
		expect(reminder.body).toContain('about your follow-up visit.');
		await eventually('John\'s journey to wait for its Escalation', async () => {
			const rows = await journeyStoreQuery<{ step: string }>(`SELECT step FROM pv_steps WHERE journey_id = '${johnsJourney}'`);
			return rows[0]?.step === 'Escalation' ? rows : undefined;
		}, 60_000);

		// Four from the EHR Trigger (Ana's twice: one ends as a duplicate) and one batch from the Journey Due Trigger.
		const executions = await eventually('all five executions to settle', async () => {
			const list = await box.client.executions(workflowId);
			return list.length === 5 && list.every((e) => e.status !== 'running' && e.status !== 'new') ? list : undefined;
		});
		// Settle, then count: no late duplicate may arrive.
		await new Promise((resolve) => setTimeout(resolve, 3000));
		expect(smsTo(john.mobile!)).toHaveLength(2);
		expect(emailsTo(john.email!)).toHaveLength(1);
		expect(smsTo(ana.mobile!)).toHaveLength(1);
		expect(emailsTo(ana.email!)).toHaveLength(1);
		expect(emailsTo(leilani.email!)).toHaveLength(1);
		expect(box.twilio.messages).toHaveLength(3);

		// Who ran what: every execution was run by a worker (never main), both workers got work, each once.
		const jobs = jobsStartedBy(workers.map((worker, index) => ({ name: `worker-${index + 1}`, logFile: worker.options.logFile })));
		console.log(`[queue] jobs: ${jobs.map((job) => `execution ${job.executionId} job ${job.jobId} → ${job.worker}`).join('; ')}`);
		const executionIds = executions.map((e) => String(e.id));
		for (const id of executionIds) expect(jobs.map((job) => job.executionId)).toContain(id);
		expect(new Set(jobs.filter((job) => executionIds.includes(job.executionId)).map((job) => job.worker))).toEqual(new Set(['worker-1', 'worker-2']));
		for (const id of executionIds) expect(jobs.filter((job) => job.executionId === id)).toHaveLength(1);
		expect(new Set(jobs.map((job) => job.jobId)).size).toBe(jobs.length);
		expect(box.n8n.logText()).not.toContain('Worker started execution');

		// The claims that made it exactly once live in the Postgres journey store, shared by both workers.
		const sent = await journeyStoreQuery<{ channel: string; count: string }>(
			"SELECT channel, count(*) AS count FROM pv_claims WHERE state = 'sent' AND key LIKE 'touch:%' GROUP BY channel ORDER BY channel",
		);
		expect(sent).toEqual([
			{ channel: 'email', count: '3' },
			{ channel: 'sms', count: '3' },
		]);
		// The sandbox's Twilio reports each message delivered to the published Delivery Status workflow, which
		// records it once per message, on whichever worker ran it.
		const delivered = await eventually('the three SMS delivery reports recorded', async () => {
			const rows = await journeyStoreQuery<{ channel: string; count: string }>(
				"SELECT channel, count(*) AS count FROM pv_claims WHERE state = 'sent' AND key LIKE 'delivery:%' GROUP BY channel",
			);
			return rows.length === 1 && rows[0].count === '3' ? rows : undefined;
		}, 60_000);
		expect(delivered).toEqual([{ channel: 'sms', count: '3' }]);
		const [owner] = await journeyStoreQuery<{ tableowner: string }>("SELECT tableowner FROM pg_tables WHERE tablename = 'pv_claims'");
		expect(owner.tableowner).toBe(journeyStoreRole.user);
		}, 420_000);

	it('resumes each due step exactly once when main\'s trigger hands batches to both workers', async () => {
		const box = live();
		const workflowId = box.workflows.threeStage.fhir.id;
		const since = Date.now();
		const zone = zoneWhereNowIsBetween(9, 19);
		const completedAt = DateTime.utc().minus({ days: 2 }).toISO() as string;
		const store = await openJourneyStore({ backend: 'postgres', host: '127.0.0.1', port: ports.postgres, ...journeyStoreRole, ssl: false }, { reusePool: false });
		const journeys: Array<{ journeyId: string; mobile: string }> = [];
		try {
			for (let index = 0; index < 20; index++) {
				const mobile = `+1737556${String(index).padStart(4, '0')}`;
				const patientId = await ensureFhirPatient(box.fhir, { ...patient('john'), key: `queue-${index}`, mobile, email: undefined }, zone);
				const visit = await closeFhirVisit(box.fhir, patientId, { completedAt });
				const journeyId = `visit:fhir:${visit.encounterId}`;
				const at = new Date().toISOString();
				await store.recordJourney({ journeyId, patientKey: `fhir:${patientId}`, kind: 'visit', ehr: 'fhir', patientId, sourceId: visit.encounterId, sourceType: 'encounter', anchorAt: completedAt, startedAt: at, zone });
				await store.scheduleStep({ journeyId, patientKey: `fhir:${patientId}`, workflowId, step: 'Reminder', dueAt: at, at });
				journeys.push({ journeyId, mobile });
			}
			await eventually('a reminder for each of the 20 journeys', () => (journeys.every((j) => smsTo(j.mobile).length > 0) ? true : undefined), 240_000);
			await new Promise((resolve) => setTimeout(resolve, 3000));
			for (const { journeyId, mobile } of journeys) {
				expect([journeyId, smsTo(mobile).length]).toEqual([journeyId, 1]);
				expect([journeyId, (await store.journal({ journeyId, type: 'step.resumed' })).length]).toEqual([journeyId, 1]);
			}
		} finally {
			await store.close();
		}
		const batches = (await box.client.executions(workflowId)).filter((e) => Date.parse(e.startedAt) >= since);
		expect(batches.length).toBeGreaterThanOrEqual(4);
		const jobs = jobsStartedBy(workers.map((worker, index) => ({ name: `worker-${index + 1}`, logFile: worker.options.logFile })));
		const batchJobs = jobs.filter((job) => batches.some((batch) => String(batch.id) === job.executionId));
		expect(batchJobs).toHaveLength(batches.length);
		expect(new Set(batchJobs.map((job) => job.worker))).toEqual(new Set(['worker-1', 'worker-2']));
	}, 420_000);
});
