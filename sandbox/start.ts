import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, relative } from 'node:path';

import { DateTime } from 'luxon';

import { startControlServer } from './control';
import type { ControlServer, DemoZoneMode } from './control';
import { demoPatients, demoPractice } from './demo-patients';
import { demoEhrs, sandboxEhrs, startSandbox } from './environment';
import type { Sandbox } from './environment';
import { owner, projectRoot } from './n8n';
import type { N8nProcess } from './n8n';
import { localTimeIn, zoneWhereNowIsBetween } from './zones';

/*
 * `npm start` (scripts/start.sh runs this compiled, from .build/sandbox/start.js): the whole sandbox on fixed
 * loopback ports, the practice's data kept in .sandbox/main between runs, until Ctrl-C.
 */

/** n8n's task-runner broker defaults to 5679, so it gets a port of its own. */
export const startPorts = {
	n8n: 5678,
	broker: 5690,
	fhir: 8103,
	athenahealth: 8104,
	drchrono: 8105,
	twilio: 8106,
	tebra: 8107,
	/** The HL7 v2 workflow's MLLP listener: 2575, the port registered for HL7 over MLLP. */
	mllp: 2575,
	smtp: 2525,
	control: 5699,
} as const;

export interface StartArgs {
	tarball: string;
	zones: DemoZoneMode;
	/** Start from an empty n8n database and journey store. */
	reset: boolean;
}

export const startUsage = `usage: npm start [-- --real-zones | --now-window] [--reset]
  --now-window   (default) demo patients get a zone where it is 10:00-19:00 now, so messages go out at once
                 (also POST_VISIT_DEMO_ANYTIME=1; POST_VISIT_DEMO_ANYTIME=0 means --real-zones)
  --real-zones   the demo patients' own zones (Chicago, New York, Honolulu, Phoenix): at night sends wait
                 for 09:00 local, as they would for a real practice
  --reset        forget the kept n8n database, journey store and executions (.sandbox/main) and start over`;

export function parseStartArgs(argv: string[], env: NodeJS.ProcessEnv): StartArgs {
	const anytime = env.POST_VISIT_DEMO_ANYTIME;
	let zones: DemoZoneMode = anytime === '0' || anytime === 'false' ? 'real' : 'nowWindow';
	let tarball = env.POST_VISIT_TARBALL ?? '';
	let reset = false;
	for (let i = 0; i < argv.length; i++) {
		const arg = argv[i];
		if (arg === '--now-window') zones = 'nowWindow';
		else if (arg === '--real-zones') zones = 'real';
		else if (arg === '--reset') reset = true;
		else if (arg === '--tarball') tarball = argv[++i] ?? '';
		else if (arg.startsWith('--tarball=')) tarball = arg.slice('--tarball='.length);
		else throw new Error(`unknown option ${JSON.stringify(arg)}\n${startUsage}`);
	}
	if (!tarball) throw new Error('no packed tarball: run `npm start` (scripts/start.sh packs it) or pass --tarball <file>');
	if (!existsSync(tarball)) throw new Error(`the packed tarball ${tarball} does not exist`);
	return { tarball, zones, reset };
}

async function assertPortFree(name: string, port: number): Promise<void> {
	await new Promise<void>((resolve, reject) => {
		const probe = createServer();
		probe.once('error', (error: NodeJS.ErrnoException) =>
			reject(
				new Error(
					error.code === 'EADDRINUSE'
						? `port ${port} (${name}) is already in use: is another \`npm start\` running? (\`ss -ltnp | grep :${port}\` shows who)`
						: `port ${port} (${name}): ${error.message}`,
				),
			),
		);
		probe.listen(port, '127.0.0.1', () => probe.close(() => resolve()));
	});
}

function zoneLines(zones: DemoZoneMode, drchronoZone: string): string[] {
	const now = DateTime.utc();
	if (zones === 'nowWindow') {
		const zone = zoneWhereNowIsBetween(9, 20, now);
		return [
			`  Demo zones: now-window. Each demo visit gives its patient a zone where it is 10:00-19:00 at that moment`,
			`  (now ${zone}, ${localTimeIn(zone, now)} there; DrChrono's doctor zone and Tebra's practice zone, fixed at start: ${drchronoZone}),`,
			`  so the care summary goes out at once. \`npm start -- --real-zones\` uses the patients' own zones.`,
		];
	}
	return [
		'  Demo zones: real. Sends wait for 09:00-20:00 in the patient\'s own zone:',
		...demoPatients.map((p) => `    ${p.key.padEnd(8)} ${p.zone.padEnd(18)} ${localTimeIn(p.zone, now)} now`),
		`  DrChrono and Tebra visits use the practice's zone ${drchronoZone} (${localTimeIn(drchronoZone, now)} now). --now-window sends at any hour.`,
	];
}

export function banner(sandbox: Sandbox, control: ControlServer, args: StartArgs, drchronoZone: string): string {
	const editor = `${sandbox.n8n.baseUrl}/`;
	const kept = sandbox.reused.workflows > 0
		? `kept from the last run (${sandbox.reused.workflows} workflows, ${sandbox.reused.credentials} credentials reused as they were; \`npm start -- --reset\` starts over)`
		: 'new: templates imported and published';
	const rule = '─'.repeat(100);
	return [
		rule,
		'Post-Visit sandbox is running. Ctrl-C stops everything (n8n included).',
		'',
		`  n8n editor   ${editor}`,
		`               log in as ${owner.email} / ${owner.password}`,
		`  outbox       ${control.url}/   what patients and staff received (SMS, email, calls, EHR tasks); JSON at ${control.url}/api/outbox`,
		'',
		'  Close a demo visit (the sandbox EHR closes it and notifies n8n; the care summary follows):',
		'    bash scripts/close-visit.sh fhir ana',
		`    EHR: ${demoEhrs.join(' | ')}   patient: ${demoPatients.map((p) => p.key).join(' | ')}   (--hours-ago N backdates the visit)`,
		'    npm run close-visit -- tebra ana     Tebra pushes nothing: the EHR Poll Trigger finds the check-out within a minute',
		`    npm run close-visit -- hl7v2 ana     an SIU checked-out message over MLLP to 127.0.0.1:${sandbox.mllpPort} (details from FHIR)`,
		'  The patient books the follow-up (Booking Check then ends that journey before the next stage):',
		'    bash scripts/close-visit.sh --book-follow-up fhir ana',
		'  A patient texts back (STOP, ALTO, START, HELP, YES, or anything else for a staff task):',
		`    curl -X POST ${control.url}/api/text-in -H 'content-type: application/json' -d '{"patient":"ana","body":"YES"}'`,
		'  At most one message per patient per day (practice profile): a second visit of the same patient in the',
		'  same EHR on the same day waits for the next day. Try another patient or EHR.',
		'',
		...zoneLines(args.zones, drchronoZone),
		'',
		`  workflows    ${sandboxEhrs.map((ehr) => sandbox.workflows.threeStage[ehr].name).join(', ')},`,
		`               ${sandbox.workflows.tebra.name}, ${sandbox.workflows.hl7v2.name}, ${sandbox.workflows.recall.name}, ${sandbox.workflows.errorAlert.name},`,
		`               ${sandboxEhrs.map((ehr) => sandbox.workflows.patientReplies[ehr].name).join(', ')},`,
		`               ${[sandbox.workflows.deliveryStatus, sandbox.workflows.weeklyReport, sandbox.workflows.journeyWatchdog, sandbox.workflows.timelinePreview, sandbox.workflows.journeyLookup].map((workflow) => workflow.name).join(', ')}`,
		`  data         ${relative(projectRoot, sandbox.options.workDir)}: ${kept}`,
		`  n8n log      ${relative(projectRoot, join(sandbox.options.workDir, 'n8n.log'))}`,
		`  sandbox EHRs FHIR ${sandbox.fhir.url} · athenahealth ${sandbox.athena.url} · DrChrono ${sandbox.drchrono.url}`,
		`               Tebra ${sandbox.tebra.endpoint} (practice zone ${sandbox.options.tebraZone ?? drchronoZone}) · HL7 v2 MLLP 127.0.0.1:${sandbox.mllpPort}`,
		`               (in memory: their visits are gone after a restart; n8n's executions and the journey store stay)`,
		`  messaging    Twilio-shaped API ${sandbox.twilio.url} · SMTP 127.0.0.1:${sandbox.smtp.port}`,
		rule,
	].join('\n');
}

async function main(): Promise<void> {
	const args = parseStartArgs(process.argv.slice(2), process.env);
	for (const [name, port] of Object.entries(startPorts)) await assertPortFree(name, port);

	let n8nProcess: N8nProcess | undefined;
	let signals = 0;
	let requestStop!: () => void;
	const stopRequested = new Promise<'stop'>((resolve) => (requestStop = () => resolve('stop')));
	const onSignal = (signal: NodeJS.Signals) => {
		signals += 1;
		if (signals === 1) {
			console.log(`\n${signal}: stopping n8n and the sandbox servers…`);
			requestStop();
		} else {
			console.log('still stopping: n8n finishes what it is running first (it is killed after 30 s)');
		}
	};
	process.on('SIGINT', onSignal);
	process.on('SIGTERM', onSignal);

	const workDir = join(projectRoot, '.sandbox', 'main');
	const drchronoZone = args.zones === 'nowWindow' ? zoneWhereNowIsBetween(9, 20) : demoPractice.zone;
	console.log(`[start] sandbox in ${relative(projectRoot, workDir)}${args.reset ? ' (reset: empty database)' : ''}; n8n takes about a minute`);
	const starting = startSandbox({
		workDir,
		tarball: args.tarball,
		n8nPort: startPorts.n8n,
		brokerPort: startPorts.broker,
		ports: {
			fhir: startPorts.fhir,
			athenahealth: startPorts.athenahealth,
			drchrono: startPorts.drchrono,
			tebra: startPorts.tebra,
			mllp: startPorts.mllp,
			twilio: startPorts.twilio,
			smtp: startPorts.smtp,
		},
		drchronoZone,
		// Tebra records no zone: its practice gets the DrChrono doctor's, so both EHRs' demo visits behave alike.
		tebraZone: drchronoZone,
		fresh: args.reset,
		log: (line) => console.log(`[start] ${line}`),
		onN8nProcess: (process) => {
			n8nProcess = process;
		},
	});
	const first = await Promise.race([starting, stopRequested]);
	if (first === 'stop') {
		// Mid-start: stop n8n as soon as it is spawned; startSandbox then fails and closes its own servers.
		let settled = false;
		const outcome = starting.then(
			(sandbox) => sandbox,
			() => undefined,
		).finally(() => (settled = true));
		while (!settled) {
			await n8nProcess?.stop();
			await new Promise((resolve) => setTimeout(resolve, 300));
		}
		await (await outcome)?.stop();
		console.log('stopped.');
		return;
	}
	const sandbox = first;
	let control: ControlServer;
	try {
		control = await startControlServer(sandbox, {
			port: startPorts.control,
			zones: args.zones,
			drchronoZone,
			tebraZone: drchronoZone,
			editorUrl: `${sandbox.n8n.baseUrl}/`,
		});
	} catch (error) {
		await sandbox.stop();
		throw error;
	}
	console.log(banner(sandbox, control, args, drchronoZone));

	await stopRequested;
	await control.close();
	await sandbox.stop();
	console.log('stopped.');
}

if (require.main === module) {
	main().then(
		() => process.exit(0),
		(error: unknown) => {
			console.error(`[start] ${error instanceof Error ? error.message : String(error)}`);
			process.exit(1);
		},
	);
}
