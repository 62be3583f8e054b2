import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, extname, join, relative, resolve } from 'node:path';

import { headingAnchors } from './markdown';

/*
 * What the repository says must hold for whoever reads it: no pointer to a file outside it (a note that lives
 * only on a developer's machine, a sibling folder), no path of a developer's machine, and no Markdown link to a
 * file or heading that is not there. Every tracked file and every new file git would add is read, except
 * package-lock.json (registry URLs only) and binary files.
 */

const root = resolve(__dirname, '../..');
const thisFile = relative(root, __filename);

/** Files whose listed occurrences are legitimate, and why. */
const allowed: Array<{ file: string; rule: string; text: string; why: string }> = [
	{
		file: 'eslint.config.mjs',
		rule: 'outside the repository',
		text: '../',
		why: 'import-restriction patterns are relative to the importing file under nodes/shared/, not to the config',
	},
	{
		file: 'docker/Dockerfile',
		rule: 'machine path',
		text: '/root/.npm',
		why: "the image's build stage runs as root and removes npm's cache there",
	},
	{
		file: 'docs/docker.md',
		rule: 'machine path',
		text: '/tmp/creds.json',
		why: 'a path inside the n8n container, where the documented export command writes',
	},
	{
		file: thisFile,
		rule: '*',
		text: '',
		why: 'this test names the patterns it looks for, and examples of each',
	},
];

function isAllowed(file: string, rule: string, found: string): boolean {
	return allowed.some((entry) => entry.file === file && (entry.rule === rule || entry.rule === '*') && found.includes(entry.text));
}

function repositoryFiles(): string[] {
	const output = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: root, encoding: 'utf8' });
	return [...new Set(output.split('\0').filter(Boolean))]
		.filter((file) => file !== 'package-lock.json')
		// A file deleted in the working tree stays in the index until the deletion is committed.
		.filter((file) => existsSync(join(root, file)))
		.sort();
}

function readText(file: string): string | null {
	const bytes = readFileSync(join(root, file));
	return bytes.subarray(0, 8000).includes(0) ? null : bytes.toString('utf8');
}

const lineOf = (text: string, index: number) => text.slice(0, index).split('\n').length;

interface Finding {
	file: string;
	line: number;
	rule: string;
	found: string;
}

function findingsIn(file: string, text: string): Finding[] {
	const findings: Finding[] = [];
	const add = (rule: string, index: number, found: string) => {
		if (!isAllowed(file, rule, found)) findings.push({ file, line: lineOf(text, index), rule, found });
	};
	const directory = dirname(join(root, file));

	// A relative path that climbs out of the repository.
	for (const match of text.matchAll(/(?:\.\.\/)+[\w@.-][\w@./-]*/g)) {
		if (relative(root, resolve(directory, match[0])).startsWith('..')) add('outside the repository', match.index, match[0]);
	}
	// A research note named as if it were here (they live outside the repository).
	for (const match of text.matchAll(/\bresearch\/[\w./-]+\.md\b/g)) {
		if (!existsSync(join(root, match[0])) && !existsSync(resolve(directory, match[0]))) add('missing file', match.index, match[0]);
	}
	// Paths of a developer's machine. /home/node is the n8n Docker image's user, not a developer's. A path right
	// after a template expression is a URL's (`${baseUrl}/home/credentials`, a page of n8n's editor).
	const start = String.raw`(?<![\w.:/}-])`;
	for (const pattern of [
		new RegExp(`${start}/work/[^\\s'"\`)]*`, 'g'),
		new RegExp(`${start}/home/(?!node\\b)[\\w.-]+`, 'g'),
		new RegExp(`${start}/root/[^\\s'"\`)]*`, 'g'),
		new RegExp(`${start}/Users/[\\w.-]+`, 'g'),
	]) {
		for (const match of text.matchAll(pattern)) add('machine path', match.index, match[0]);
	}
	// In documentation, /tmp is where someone happened to keep files, never where a reader's are. (In code and
	// scripts /tmp is a real, chosen location and is not flagged.)
	if (extname(file) === '.md') {
		for (const match of text.matchAll(new RegExp(`${start}/tmp/[^\\s'"\`)]*`, 'g'))) add('machine path', match.index, match[0]);
	}
	if (extname(file) === '.md') {
		// Relative links must reach a file of the repository, and a heading where they name one. Code blocks and
		// HTML comments (a marked place for an image still to come) are not rendered, so they are not checked.
		const blank = (part: string) => part.replace(/[^\n]/g, ' ');
		const rendered = text.replace(/```[\s\S]*?```/g, blank).replace(/<!--[\s\S]*?-->/g, blank);
		for (const match of rendered.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
			const target = match[1];
			if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue;
			const [path, anchor] = target.split('#');
			if (path === '') {
				if (anchor && !headingAnchors(text).has(anchor)) add('missing heading', match.index, target);
				continue;
			}
			const targetFile = resolve(directory, decodeURI(path));
			if (relative(root, targetFile).startsWith('..')) {
				add('outside the repository', match.index, target);
			} else if (!existsSync(targetFile)) {
				add('missing file', match.index, target);
			} else if (anchor && extname(targetFile) === '.md' && !headingAnchors(readFileSync(targetFile, 'utf8')).has(anchor)) {
				add('missing heading', match.index, target);
			}
		}
	}
	return findings;
}

describe('files of the repository', () => {
	const files = repositoryFiles();

	it('are listed by git', () => {
		expect(files).toContain('package.json');
		expect(files).toContain('README.md');
	});

	it('point at nothing outside the repository and name no path of a developer machine', () => {
		const findings = files.flatMap((file) => {
			const text = readText(file);
			return text === null ? [] : findingsIn(file, text);
		});
		expect(findings.map((f) => `${f.file}:${f.line} ${f.rule}: ${f.found}`)).toEqual([]);
	});

	it('each allowance still matches something (a stale one is removed)', () => {
		for (const entry of allowed) {
			const text = readText(entry.file);
			expect(text).not.toBeNull();
			expect(text).toContain(entry.text);
		}
	});
});

describe('the checks themselves', () => {
	it.each([
		['docs/x.md', 'see `../shared/research/ehr-apis.md`', 'missing file'],
		['docs/x.md', 'in research/n8n-platform.md §2', 'missing file'],
		['README.md', 'one level up: ../notes/plan.md', 'outside the repository'],
		['sandbox/x.ts', "// as in /work/shared/DESIGN.md", 'machine path'],
		['docs/x.md', 'copied from /home/alice/projects/x', 'machine path'],
		['scripts/x.sh', 'cp a /root/.cache/b', 'machine path'],
		['docs/x.md', 'the trace is in /tmp/pv-bench/trace.json', 'machine path'],
		['docs/x.md', 'see [the notes](notes/missing.md)', 'missing file'],
		['docs/x.md', 'see [the README](../README.md#no-such-heading)', 'missing heading'],
	])('%s flags %j', (file, text, rule) => {
		expect(findingsIn(file, text).map((f) => f.rule)).toContain(rule);
	});

	it.each([
		['nodes/x.ts', "import { a } from '../shared/core/schemas';"],
		['docs/x.md', 'the volume on `/home/node/.n8n`'],
		['scripts/x.sh', 'exec 8>/tmp/post-visit.lock'],
		['sandbox/x.ts', 'const dir = join(os.tmpdir(), "x");'],
		['docs/x.md', 'https://example.org/work/ and https://example.org/tmp/x'],
		['test/x.ts', 'await page.goto(`${baseUrl}/home/credentials/create`);'],
		['docs/x.md', 'see [the README](../README.md#installation) and [below](#the-checks)'],
	])('%s passes %j', (file, text) => {
		expect(findingsIn(file, `# The checks\n${text}\n`)).toEqual([]);
	});
});
