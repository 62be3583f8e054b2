import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

import { headingAnchors } from './markdown';

/*
 * Every documentation link the package ships (credentials' documentationUrl, the nodes' codex resources,
 * package.json's homepage) derives from one place: package.json's `repository`. Until a maintainer sets it,
 * the links point to the npm package page; once set, to the repository (CONTRIBUTING.md). Anchors must be
 * headings of the README, which both pages show.
 */

const root = resolve(__dirname, '../..');
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
	name: string;
	homepage?: string;
	repository?: string | { url?: string };
};
const readmeAnchors = headingAnchors(readFileSync(join(root, 'README.md'), 'utf8'));

/** https://github.com/<owner>/<name> from the forms npm accepts, or null when the field is not set. */
function repositoryPage(repository: string | { url?: string } | undefined): string | null {
	const url = typeof repository === 'string' ? repository : repository?.url;
	if (!url) return null;
	const shorthand = /^(?:github:)?([\w.-]+)\/([\w.-]+)$/.exec(url);
	if (shorthand) return `https://github.com/${shorthand[1]}/${shorthand[2].replace(/\.git$/, '')}`;
	const full = /^(?:git\+)?(?:https?|git|ssh):\/\/(?:git@)?github\.com[/:]([\w.-]+)\/([\w.-]+?)(?:\.git)?\/?$/.exec(url);
	if (!full) throw new Error(`package.json repository "${url}" is not a GitHub address this test understands`);
	return `https://github.com/${full[1]}/${full[2]}`;
}

const docsBase = repositoryPage(manifest.repository) ?? `https://www.npmjs.com/package/${manifest.name}`;

function credentialFiles(): string[] {
	return readdirSync(join(root, 'credentials')).filter((file) => file.endsWith('.credentials.ts'));
}

function codexFiles(): string[] {
	return readdirSync(join(root, 'nodes'), { withFileTypes: true })
		.filter((entry) => entry.isDirectory() && entry.name !== 'shared')
		.flatMap((entry) =>
			readdirSync(join(root, 'nodes', entry.name))
				.filter((file) => file.endsWith('.node.json'))
				.map((file) => join('nodes', entry.name, file)),
		);
}

/** The README anchor a link names, or '' for the page itself; throws when the link is not under docsBase. */
function anchorOf(url: string): string {
	const [page, anchor] = url.split('#');
	expect(page).toBe(docsBase);
	return anchor ?? '';
}

describe('documentation links', () => {
	it('derive from package.json', () => {
		expect(repositoryPage(undefined)).toBeNull();
		expect(repositoryPage('github:owner/name')).toBe('https://github.com/owner/name');
		expect(repositoryPage({ url: 'git+https://github.com/owner/name.git' })).toBe('https://github.com/owner/name');
		expect([docsBase, `${docsBase}#readme`]).toContain(manifest.homepage);
	});

	it.each(credentialFiles())("%s: documentationUrl is the README's section for it", (file) => {
		const source = readFileSync(join(root, 'credentials', file), 'utf8');
		const declared = /^\s*documentationUrl = '([^']+)';$/m.exec(source);
		expect(declared).not.toBeNull();
		const anchor = anchorOf(declared![1]);
		expect(anchor).not.toBe('');
		expect(readmeAnchors).toContain(anchor);
	});

	it.each(codexFiles())('%s: documentation resources point into the README', (file) => {
		const codex = JSON.parse(readFileSync(join(root, file), 'utf8')) as {
			resources?: Record<string, Array<{ url: string }>>;
		};
		const resources = codex.resources ?? {};
		expect(resources.primaryDocumentation?.length).toBeGreaterThan(0);
		expect(resources.credentialDocumentation?.length).toBeGreaterThan(0);
		for (const { url } of Object.values(resources).flat()) {
			const anchor = anchorOf(url);
			if (anchor !== '') expect(readmeAnchors).toContain(anchor);
		}
	});

	it("every credential's section is one a codex file can name, and the other way round", () => {
		const credentialAnchors = new Set(
			credentialFiles().map((file) => anchorOf(/documentationUrl = '([^']+)'/.exec(readFileSync(join(root, 'credentials', file), 'utf8'))![1])),
		);
		for (const file of codexFiles()) {
			const codex = JSON.parse(readFileSync(join(root, file), 'utf8')) as { resources: { credentialDocumentation: Array<{ url: string }> } };
			for (const { url } of codex.resources.credentialDocumentation) expect(credentialAnchors).toContain(anchorOf(url));
		}
	});
});
