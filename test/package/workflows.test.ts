import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

import { parseWorkflowYaml, YamlSubsetError } from './workflowYaml';
import type { YamlValue } from './workflowYaml';

/*
 * The release pipeline as text: what CI and publishing must contain to do their job (run the whole suite as
 * a fresh machine does; publish only a tested tag, with provenance). No YAML library is installed and
 * actionlint is not on every machine, so a strict reader of the YAML subset we write parses both files.
 */

const root = resolve(__dirname, '../..');
const workflowsDir = join(root, '.github', 'workflows');

type Mapping = { [key: string]: YamlValue };
type Step = { name?: string; uses?: string; run?: string; with?: Mapping; env?: Mapping; if?: string };

function mapping(value: YamlValue | undefined, what: string): Mapping {
	if (value === null || value === undefined || typeof value === 'string' || Array.isArray(value)) {
		throw new Error(`${what} must be a mapping`);
	}
	return value;
}

function list(value: YamlValue | undefined, what: string): YamlValue[] {
	if (!Array.isArray(value)) throw new Error(`${what} must be a list`);
	return value;
}

function readWorkflow(file: string): Mapping {
	return mapping(parseWorkflowYaml(readFileSync(join(workflowsDir, file), 'utf8')), file);
}

function stepsOf(job: Mapping, what: string): Step[] {
	return list(job.steps, `${what}.steps`).map((step, index) => mapping(step, `${what}.steps[${index}]`) as Step);
}

/** Every step runs a command or an action, and every action is pinned to a major version or a commit. */
function checkSteps(steps: Step[]): void {
	expect(steps.length).toBeGreaterThan(0);
	for (const step of steps) {
		expect(Boolean(step.run) !== Boolean(step.uses)).toBe(true);
		if (step.uses) expect(step.uses).toMatch(/^[\w.-]+\/[\w.-]+(\/[\w./-]+)?@(v\d+(\.\d+){0,2}|[0-9a-f]{40})$/);
	}
}

const allowedTopLevel = ['name', 'run-name', 'on', 'permissions', 'concurrency', 'env', 'defaults', 'jobs'];

describe('the YAML reader is strict', () => {
	it('reads mappings, sequences, block and flow scalars, quotes and comments', () => {
		const document = parseWorkflowYaml(
			[
				'name: CI # a comment',
				'on:',
				'  push:',
				'    branches: [main, "release/x"]',
				'    tags:',
				"      - 'v*'",
				'jobs:',
				'  test:',
				'    steps:',
				'      - uses: actions/checkout@v4',
				'      - name: Run',
				'        run: |',
				'          echo "a: b" # kept',
				'',
				'          echo done',
				'        env:',
				'          X: ${{ secrets.X }}',
				'    empty:',
				'    list:',
				'    - one',
				'',
			].join('\n'),
		);
		expect(document).toEqual({
			name: 'CI',
			on: { push: { branches: ['main', 'release/x'], tags: ['v*'] } },
			jobs: {
				test: {
					steps: [
						{ uses: 'actions/checkout@v4' },
						{ name: 'Run', run: 'echo "a: b" # kept\n\necho done\n', env: { X: '${{ secrets.X }}' } },
					],
					empty: null,
					list: ['one'],
				},
			},
		});
	});

	it.each([
		['a tab in the indentation', 'on:\n\tpush:\n'],
		['a duplicate key', 'name: a\nname: b\n'],
		['an anchor', 'a: &x 1\n'],
		['an alias', 'a: *x\n'],
		['a flow mapping', 'a: {b: c}\n'],
		['a tag', 'a: !!str 1\n'],
		['": " in a plain scalar', 'name: Check: this\n'],
		['an unterminated quote', "a: 'b\n"],
		['a stray deeper line', 'a: b\n    c: d\n'],
		['a line that is not "key: value"', 'jobs:\n  just text\n'],
		['a document marker', '---\na: b\n'],
	])('refuses %s', (_what, source) => {
		expect(() => parseWorkflowYaml(source)).toThrow(YamlSubsetError);
	});
});

describe('.github/workflows/ci.yml', () => {
	const workflow = readWorkflow('ci.yml');
	const on = mapping(workflow.on, 'on');
	const jobs = mapping(workflow.jobs, 'jobs');

	it('has only the top-level keys GitHub knows', () => {
		for (const key of Object.keys(workflow)) expect(allowedTopLevel).toContain(key);
	});

	it('runs on pushes to main, on pull requests, and when publish.yml calls it', () => {
		expect(list(mapping(on.push, 'on.push').branches, 'on.push.branches')).toContain('main');
		expect(on).toHaveProperty('pull_request');
		expect(on).toHaveProperty('workflow_call');
	});

	it('reads the repository and nothing more', () => {
		expect(mapping(workflow.permissions, 'permissions')).toEqual({ contents: 'read' });
	});

	it('runs .ci/run on an Ubuntu runner, with apt under sudo first', () => {
		const jobList = Object.entries(jobs).map(([name, job]) => [name, mapping(job, `jobs.${name}`)] as const);
		const runners = jobList.filter(([, job]) => stepsOf(job, 'job').some((step) => /(^|\s)bash \.ci\/run\b/.test(step.run ?? '')));
		expect(runners).toHaveLength(1);
		const [name, job] = runners[0];
		expect(job['runs-on']).toMatch(/^ubuntu-(latest|\d+\.\d+)$/);
		const steps = stepsOf(job, `jobs.${name}`);
		checkSteps(steps);
		const index = (pattern: RegExp) => steps.findIndex((step) => pattern.test(step.uses ?? step.run ?? ''));
		const checkout = index(/^actions\/checkout@/);
		const systemDeps = index(/^sudo bash scripts\/system-deps\.sh$/);
		const ciRun = index(/(^|\s)bash \.ci\/run\b/);
		expect(checkout).toBe(0);
		expect(systemDeps).toBeGreaterThan(checkout);
		expect(ciRun).toBeGreaterThan(systemDeps);
		// The suite itself runs as the runner's user: only the apt step uses sudo.
		expect(steps.filter((step) => /\bsudo\b/.test(step.run ?? ''))).toHaveLength(1);
	});

	it('calls scripts that exist and do what the workflow expects', () => {
		const ciRun = readFileSync(join(root, '.ci', 'run'), 'utf8');
		expect(ciRun).toMatch(/^bash scripts\/system-deps\.sh$/m);
		expect(ciRun).toMatch(/^npm test$/m);
		expect(existsSync(join(root, 'scripts', 'system-deps.sh'))).toBe(true);
	});
});

describe('.github/workflows/publish.yml', () => {
	const workflow = readWorkflow('publish.yml');
	const on = mapping(workflow.on, 'on');
	const jobs = mapping(workflow.jobs, 'jobs');
	const publishJobs = Object.entries(jobs)
		.map(([name, job]) => [name, mapping(job, `jobs.${name}`)] as const)
		.filter(([, job]) => Array.isArray(job.steps) && stepsOf(job, 'job').some((step) => /\bnpm publish\b/.test(step.run ?? '')));

	it('has only the top-level keys GitHub knows', () => {
		for (const key of Object.keys(workflow)) expect(allowedTopLevel).toContain(key);
	});

	it('runs on version tags only', () => {
		expect(Object.keys(on)).toEqual(['push']);
		const push = mapping(on.push, 'on.push');
		expect(Object.keys(push)).toEqual(['tags']);
		expect(list(push.tags, 'on.push.tags')).toEqual(['v*']);
	});

	it('lets only the publishing job mint an OIDC token', () => {
		expect(mapping(workflow.permissions, 'permissions')).toEqual({ contents: 'read' });
		expect(publishJobs).toHaveLength(1);
		const [, job] = publishJobs[0];
		expect(mapping(job.permissions, 'publish permissions')).toEqual({ 'id-token': 'write', contents: 'read' });
		for (const [name, other] of Object.entries(jobs)) {
			if (name !== publishJobs[0][0]) expect(JSON.stringify(other)).not.toContain('id-token');
		}
	});

	it('publishes only after the whole CI suite passed for the tag', () => {
		const [, job] = publishJobs[0];
		const needs = typeof job.needs === 'string' ? [job.needs] : list(job.needs, 'needs');
		const callers = Object.entries(jobs).filter(([, other]) => mapping(other, 'job').uses === './.github/workflows/ci.yml');
		expect(callers).toHaveLength(1);
		expect(needs).toContain(callers[0][0]);
	});

	it('checks the tag and the repository, builds on Node 24 and publishes with provenance', () => {
		const [name, job] = publishJobs[0];
		expect(job['runs-on']).toMatch(/^ubuntu-(latest|\d+\.\d+)$/);
		const steps = stepsOf(job, `jobs.${name}`);
		checkSteps(steps);
		const index = (pattern: RegExp) => steps.findIndex((step) => pattern.test(step.uses ?? step.run ?? ''));
		const checkout = index(/^actions\/checkout@/);
		const setupNode = index(/^actions\/setup-node@/);
		const check = index(/GITHUB_REF_NAME[\s\S]*package\.json[\s\S]*repository/);
		const install = index(/^npm ci\b/);
		const build = index(/^npm run build$/);
		const publish = index(/^npm publish --provenance --access public$/);
		expect([checkout, setupNode, check, install, build, publish].every((i) => i >= 0)).toBe(true);
		expect(checkout).toBeLessThan(setupNode);
		expect(setupNode).toBeLessThan(check);
		expect(check).toBeLessThan(publish);
		expect(install).toBeLessThan(build);
		expect(build).toBeLessThan(publish);
		const nodeSetup = mapping(steps[setupNode].with, 'setup-node with');
		expect(nodeSetup['node-version']).toBe('24');
		expect(nodeSetup['registry-url']).toBe('https://registry.npmjs.org');
		// The tag must be the version, and the repository field what npm checks provenance against.
		expect(steps[check].run).toContain('"v$version"');
		expect(steps[check].run).toContain('github.com/$GITHUB_REPOSITORY');
	});

	it('takes no secret but the optional npm token', () => {
		const secrets = [...readFileSync(join(workflowsDir, 'publish.yml'), 'utf8').matchAll(/secrets\.(\w+)/g)].map((m) => m[1]);
		expect(new Set(secrets)).toEqual(new Set(['NPM_TOKEN']));
	});
});
