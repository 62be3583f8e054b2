import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { sandboxEhrs } from '../../sandbox/environment';
import type { Sandbox } from '../../sandbox/environment';
import { projectRoot } from '../../sandbox/n8n';
import { banner, parseStartArgs, startPorts } from '../../sandbox/start';
import { tempDir } from '../helpers/fixtures';

const tarball = join(tempDir('post-visit-start-'), 'n8n-nodes-post-visit-0.1.0.tgz');
writeFileSync(tarball, '');

describe('npm start options', () => {
	it.each([
		['no option', [], {}, 'nowWindow'],
		['--real-zones', ['--real-zones'], {}, 'real'],
		['POST_VISIT_DEMO_ANYTIME=0', [], { POST_VISIT_DEMO_ANYTIME: '0' }, 'real'],
		['POST_VISIT_DEMO_ANYTIME=1', [], { POST_VISIT_DEMO_ANYTIME: '1' }, 'nowWindow'],
		['--now-window over POST_VISIT_DEMO_ANYTIME=0', ['--now-window'], { POST_VISIT_DEMO_ANYTIME: '0' }, 'nowWindow'],
	])('%s gives the %s demo zones', (_case, argv, env, zones) => {
		expect(parseStartArgs(['--tarball', tarball, ...argv], env).zones).toBe(zones);
	});

	it.each([
		[['--tarball', tarball], {}, false],
		[['--tarball', tarball, '--reset'], {}, true],
	])('%j resets the kept data: %s', (argv, env, reset) => {
		expect(parseStartArgs(argv, env).reset).toBe(reset);
	});

	it.each([
		['an unknown option', ['--tarball', tarball, '--fast'], {}, /unknown option "--fast"/],
		['no tarball', [], {}, /no packed tarball/],
		['a tarball that is not there', ['--tarball', join(tarball, 'missing.tgz')], {}, /does not exist/],
	])('refuses %s', (_case, argv, env, message) => {
		expect(() => parseStartArgs(argv, env)).toThrow(message);
	});

	it('takes the tarball from POST_VISIT_TARBALL too', () => {
		expect(parseStartArgs([], { POST_VISIT_TARBALL: tarball }).tarball).toBe(tarball);
	});
});

describe('the start banner', () => {
	const workflow = (name: string) => ({ id: name, name, webhookPath: '' });
	const perEhr = (kind: string) => Object.fromEntries(sandboxEhrs.map((ehr) => [ehr, workflow(`${kind} (${ehr})`)]));
	const sandbox = {
		options: { workDir: join(projectRoot, '.sandbox', 'main'), tebraZone: 'Etc/GMT+6' },
		n8n: { baseUrl: 'http://127.0.0.1:5678' },
		reused: { credentials: 0, workflows: 0 },
		fhir: { url: 'http://127.0.0.1:8103' },
		athena: { url: 'http://127.0.0.1:8104' },
		drchrono: { url: 'http://127.0.0.1:8105' },
		tebra: { endpoint: 'http://127.0.0.1:8107/services/soap/2.1/KareoServices.svc' },
		mllpPort: startPorts.mllp,
		twilio: { url: 'http://127.0.0.1:8106' },
		smtp: { port: 2525 },
		workflows: {
			threeStage: perEhr('Three-Stage'),
			patientReplies: perEhr('Replies'),
			...Object.fromEntries(['tebra', 'hl7v2', 'recall', 'errorAlert', 'deliveryStatus', 'weeklyReport', 'journeyWatchdog', 'timelinePreview', 'journeyLookup'].map((key) => [key, workflow(key)])),
		},
	} as unknown as Sandbox;
	const control = { url: 'http://127.0.0.1:5699', port: 5699, actions: [], close: async () => {} };
	const text = banner(sandbox, control, { tarball, zones: 'nowWindow', reset: false }, 'Etc/GMT+6');

	it.each([
		['the Tebra close-visit', 'npm run close-visit -- tebra ana'],
		['the HL7 v2 close-visit', 'npm run close-visit -- hl7v2 ana'],
		['every EHR close-visit takes', 'EHR: fhir | athenahealth | drchrono | tebra | hl7v2'],
		['the MLLP port', `127.0.0.1:${startPorts.mllp}`],
		['the Tebra practice zone', 'practice zone Etc/GMT+6'],
		['the Tebra and HL7 v2 workflows', 'tebra, hl7v2'],
	])('names %s', (_what, expected) => {
		expect(text).toContain(expected);
	});
});
