import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

import type { ICredentialType, INodeProperties, INodeType, INodeTypeDescription, IVersionedNodeType } from 'n8n-workflow';

const root = resolve(__dirname, '../..');
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
	n8n: { nodes: string[]; credentials: string[] };
};

beforeAll(() => {
	// The build is what n8n loads; test the compiled files, not the sources.
	if (!existsSync(join(root, 'dist', 'nodes'))) execFileSync('npm', ['run', 'build'], { cwd: root, stdio: 'ignore' });
}, 120_000);

function loadClass<T>(path: string): T {
	const exports = require(join(root, path)) as Record<string, new () => T>;
	const classes = Object.values(exports).filter((value) => typeof value === 'function');
	expect(classes).toHaveLength(1);
	return new classes[0]();
}

function iconFiles(path: string, icon: unknown): string[] {
	const { light, dark } = icon as { light: string; dark: string };
	return [light, dark].map((file) => join(root, dirname(path), file.replace(/^file:/, '')));
}

/**
 * Every option value and default must be meaningful: no undefined options, defaults among the options. A list
 * loaded when the panel opens (loadOptionsMethod) has no options here; the node's method is tested instead.
 */
function checkProperties(properties: INodeProperties[]): void {
	for (const property of properties) {
		expect(property.name).toBeTruthy();
		expect(property.displayName).toBeTruthy();
		expect(property.default).not.toBeUndefined();
		if (property.type === 'options' && !property.typeOptions?.loadOptionsMethod) {
			const values = (property.options ?? []).map((option) => (option as { value: unknown }).value);
			expect(values.every((value) => value !== undefined)).toBe(true);
			if (typeof property.default !== 'string' || !property.default.startsWith('=')) expect(values).toContain(property.default);
		}
		if (property.type === 'fixedCollection') {
			for (const option of property.options ?? []) checkProperties((option as { values: INodeProperties[] }).values);
		}
	}
}

/** Every version's description of a node class (one for a plain node; each of a VersionedNodeType's). */
function versionDescriptions(path: string): INodeTypeDescription[] {
	const node = loadClass<INodeType | IVersionedNodeType>(path);
	return 'nodeVersions' in node ? Object.values(node.nodeVersions).map((version) => version.description) : [node.description];
}

describe('the package n8n loads', () => {
	it.each(manifest.n8n.nodes)('%s exists, loads as a node class and renders its parameters', (path) => {
		expect(existsSync(join(root, path))).toBe(true);
		for (const description of versionDescriptions(path)) {
			expect(description.name).toMatch(/^[a-z][A-Za-z0-9]+$/);
			expect(description.displayName).toBeTruthy();
			expect(description.description).toBeTruthy();
			for (const file of iconFiles(path, description.icon)) expect(existsSync(file)).toBe(true);
			const [light, dark] = iconFiles(path, description.icon).map((file) => readFileSync(file, 'utf8'));
			expect(light).not.toBe(dark);
			checkProperties(description.properties);
		}
		expect(existsSync(join(root, path.replace(/\.node\.js$/, '.node.json')))).toBe(true);
	});

	it.each(manifest.n8n.credentials)('%s exists, loads as a credential class with icons and a test', (path) => {
		expect(existsSync(join(root, path))).toBe(true);
		const credential = loadClass<ICredentialType>(path);
		expect(credential.name).toMatch(/Api$/);
		for (const file of iconFiles(path, credential.icon)) expect(existsSync(file)).toBe(true);
		checkProperties(credential.properties);
		const testedByANode = manifest.n8n.nodes.some((nodePath) =>
			versionDescriptions(nodePath).some((description) => (description.credentials ?? []).some((c) => c.name === credential.name && c.testedBy)),
		);
		expect(Boolean(credential.test) || Boolean(credential.extends?.includes('oAuth2Api')) || testedByANode).toBe(true);
	});

	it('ships the templates in dist/ for the npm tarball', () => {
		for (const file of ['post-visit-three-stage.json', 'recall-outreach.json', 'error-alert.json', 'by-ehr/post-visit-three-stage.athenahealth.json']) {
			expect(existsSync(join(root, 'dist', 'workflows-templates', file))).toBe(true);
		}
	});
});
