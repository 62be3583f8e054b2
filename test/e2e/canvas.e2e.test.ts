import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';

import { demoPractice } from '../../sandbox/demo-patients';
import type { Sandbox } from '../../sandbox/environment';
import { projectRoot } from '../../sandbox/n8n';
import { launchChromium, ownerAuthCookie } from './browser';
import { eventually, startE2eSandbox } from './harness';

/*
 * The three-stage template as a user meets it: n8n 2.41.1's editor in headless Chromium, logged in as the owner.
 * What n8n draws on a node it cannot run as it is was found by rendering deliberately broken nodes (the probe
 * workflow below), so the clean result of the first test means something.
 */

const screenshotPath = join(projectRoot, 'test', 'artifacts', 'post-visit-three-stage.png');
const assigneeScreenshotPath = join(projectRoot, 'test', 'artifacts', 'assignee-dropdown.png');

/** The status marks of n8n 2.41's CanvasNodeStatusIcons that mean "this node cannot run as it is". */
const issueMarks = [
	// A type of a community package that is not installed (our own nodes, were the pack not loaded).
	'node-not-installed',
	// Parameter issues (a required parameter empty) and credential issues (a required credential not set).
	'node-issues',
	// Credential issues only, when n8n's credential setup panel is enabled.
	'node-setup-required',
	'node-restricted',
];
/** A type n8n does not know at all gets no status mark, only this "?" in place of its icon. */
const unknownTypeIcon = '[class*="nodeIconPlaceholder"]';

type TemplateNode = { name: string; type: string; parameters: Record<string, unknown> };

const template = JSON.parse(
	readFileSync(join(projectRoot, 'workflows-templates', 'post-visit-three-stage.json'), 'utf8'),
) as { nodes: TemplateNode[] };
const isSticky = (node: TemplateNode) => node.type === 'n8n-nodes-base.stickyNote';
const templateNodeNames = template.nodes.filter((node) => !isSticky(node)).map((node) => node.name);
const stickyTitles = template.nodes.filter(isSticky).map((node) => {
	const heading = /^#+\s*(.+)$/m.exec(String(node.parameters.content ?? ''));
	if (!heading) throw new Error(`sticky note ${node.name} has no heading`);
	return heading[1].trim();
});
const stageTitles = stickyTitles.filter((title) => /^Stage \d/.test(title)).sort();

let sandbox: Sandbox;
let browser: Browser;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
	sandbox = await startE2eSandbox('canvas', 5712);
	browser = await launchChromium();
}, 300_000);

afterAll(async () => {
	for (const context of contexts) await context.close().catch(() => undefined);
	await browser?.close();
	await sandbox?.stop();
});

const nodeSelector = (name: string) => `[data-test-id="canvas-node"][data-node-name="${name.replace(/["\\]/g, '\\$&')}"]`;

/** Opens a workflow in the editor and waits until its nodes are drawn and their icons have loaded. */
async function openCanvas(workflowId: string, nodeCount: number): Promise<Page> {
	const context = await browser.newContext({ viewport: { width: 1920, height: 1080 }, deviceScaleFactor: 2 });
	contexts.push(context);
	await context.addCookies([{ name: 'n8n-auth', value: await ownerAuthCookie(sandbox.n8n.baseUrl), url: sandbox.n8n.baseUrl }]);
	const page = await context.newPage();
	await page.goto(`${sandbox.n8n.baseUrl}/workflow/${workflowId}`);
	const nodes = page.locator('[data-test-id="canvas-node"]');
	await eventually(`${nodeCount} nodes on the canvas of ${workflowId}`, async () => ((await nodes.count()) === nodeCount ? true : undefined), 120_000);
	await page.waitForLoadState('networkidle');
	await page.waitForFunction('[...document.querySelectorAll(\'[data-test-id="canvas-node"] img\')].every((img) => img.complete)');
	// The "Production Checklist" popover of a published workflow covers the canvas' top left corner.
	const checklistClose = page.locator('[data-test-id="suggested-actions-close"]');
	if (await checklistClose.isVisible()) await checklistClose.click();
	return page;
}

async function canvasBox(page: Page) {
	const box = await page.locator('[data-test-id="canvas-wrapper"]').boundingBox();
	if (!box) throw new Error('the canvas is not on screen');
	return box;
}

/** Clicks "zoom to fit" and waits until the viewport's transform stops changing (it animates). */
async function zoomToFit(page: Page): Promise<void> {
	await page.locator('[data-test-id="zoom-to-fit"]').click();
	const pane = page.locator('.vue-flow__transformationpane');
	let previous = '';
	await eventually('the zoom to settle', async () => {
		const current = (await pane.getAttribute('style')) ?? '';
		const settled = current === previous;
		previous = current;
		return settled ? true : undefined;
	});
}

type TooltipPart = { getAttribute?: (name: string) => string | null; innerText?: string; textContent: string | null };

/** The text of the tooltip n8n shows on hovering a status mark (the issue list, or "Install the package…"). */
async function tooltipOf(page: Page, mark: Locator): Promise<string> {
	await mark.hover();
	const tooltip = page.locator('[data-test-id="tooltip-content"]:visible').last();
	const shown = await tooltip.waitFor({ state: 'visible', timeout: 10_000 }).then(
		() => true,
		() => false,
	);
	// Still a finding (the mark is there), only without its text: e.g. a mark too small to hover when zoomed out.
	if (!shown) return '(tooltip did not open)';
	// Leaves out the tooltip's visually hidden copy for screen readers (role="tooltip"), which repeats the text.
	const text = await tooltip.evaluate((element: { childNodes: ArrayLike<TooltipPart> }) =>
		Array.from(element.childNodes)
			.filter((part) => part.getAttribute?.('role') !== 'tooltip')
			.map((part) => part.innerText ?? part.textContent ?? '')
			.join(' '),
	);
	const box = await canvasBox(page);
	await page.mouse.move(box.x + box.width / 2, box.y + 80);
	await page.locator('[data-test-id="tooltip-content"]:visible').waitFor({ state: 'hidden', timeout: 10_000 });
	return text.replace(/\s+/g, ' ').trim();
}

/** Everything the canvas flags on each node, by node name: status marks with their tooltip, "?" icons, broken icons. */
async function canvasProblems(page: Page): Promise<Record<string, string[]>> {
	const problems: Record<string, string[]> = {};
	for (const node of await page.locator('[data-test-id="canvas-node"]').all()) {
		const name = (await node.getAttribute('data-node-name')) ?? '(unnamed)';
		const found: string[] = [];
		for (const testId of issueMarks) {
			for (const mark of await node.locator(`[data-test-id="${testId}"]`).all()) {
				found.push(`${testId}: ${await tooltipOf(page, mark)}`);
			}
		}
		if ((await node.locator(unknownTypeIcon).count()) > 0) found.push('unknown node type ("?" icon)');
		// A known type in an unknown typeVersion keeps its icon path, relative: the image fails to load.
		const brokenIcons = await node
			.locator('img')
			.evaluateAll((images: Array<{ complete: boolean; naturalWidth: number }>) => images.filter((i) => i.complete && i.naturalWidth === 0).length);
		if (brokenIcons > 0) found.push('icon failed to load (unknown type version)');
		problems[name] = found;
	}
	return problems;
}

const withProblems = (problems: Record<string, string[]>) => Object.fromEntries(Object.entries(problems).filter(([, found]) => found.length > 0));

/**
 * What the canvas cannot show an owner: a node type or typeVersion n8n does not know, and a credential
 * reference to no credential of that type (n8n 2.41 flags a dangling reference only for users who may not
 * read all credentials).
 */
async function referenceProblems(workflowId: string): Promise<Record<string, string[]>> {
	const workflow = (await sandbox.client.rest('GET', `/workflows/${workflowId}`)).data as {
		nodes: Array<{ name: string; type: string; typeVersion: number; credentials?: Record<string, { id: string | null; name: string }> }>;
	};
	const versions = new Map<string, number[]>();
	for (const type of (await sandbox.client.nodeTypes()) as Array<{ name: string; version: number | number[] }>) {
		versions.set(type.name, [...(versions.get(type.name) ?? []), ...[type.version].flat()]);
	}
	const credentials = (await sandbox.client.rest('GET', '/credentials')).data as Array<{ id: string; type: string }>;
	const problems: Record<string, string[]> = {};
	for (const node of workflow.nodes) {
		const found: string[] = [];
		const known = versions.get(node.type);
		if (!known) found.push(`unknown node type ${node.type}`);
		else if (!known.includes(node.typeVersion)) found.push(`unknown version ${node.typeVersion} of ${node.type}`);
		for (const [type, reference] of Object.entries(node.credentials ?? {})) {
			if (!credentials.some((credential) => credential.id === reference.id && credential.type === type)) {
				found.push(`credential ${type} ${reference.id ?? '(no id)'} does not exist`);
			}
		}
		problems[node.name] = found;
	}
	return problems;
}

describe('the three-stage template in the n8n editor', () => {
	it('draws every node and stage of the FHIR sandbox workflow, flags none of them, and fits on one screenshot', async () => {
		const { id } = sandbox.workflows.threeStage.fhir;
		const page = await openCanvas(id, templateNodeNames.length);

		const drawn = await page.locator('[data-test-id="canvas-node"]').evaluateAll((nodes: Array<{ getAttribute(name: string): string | null }>) =>
			nodes.map((node) => node.getAttribute('data-node-name')),
		);
		expect([...drawn].sort()).toEqual([...templateNodeNames].sort());
		for (const name of templateNodeNames) {
			expect(await page.locator(nodeSelector(name)).getByText(name, { exact: true }).first().isVisible()).toBe(true);
		}
		const stickies = page.locator('[data-test-id="sticky"]');
		expect(await stickies.count()).toBe(stickyTitles.length);
		for (const title of stickyTitles) {
			expect(await stickies.filter({ hasText: title }).count()).toBe(1);
			expect(await stickies.filter({ hasText: title }).isVisible()).toBe(true);
		}

		await zoomToFit(page);
		const canvas = await canvasBox(page);
		for (const element of await page.locator('[data-test-id="canvas-node"], [data-test-id="sticky"]').all()) {
			const box = await element.boundingBox();
			expect(box).not.toBeNull();
			expect(box!.x).toBeGreaterThanOrEqual(canvas.x);
			expect(box!.y).toBeGreaterThanOrEqual(canvas.y);
			expect(box!.x + box!.width).toBeLessThanOrEqual(canvas.x + canvas.width);
			expect(box!.y + box!.height).toBeLessThanOrEqual(canvas.y + canvas.height);
		}
		const stageLefts: number[] = [];
		for (const title of stageTitles) stageLefts.push((await stickies.filter({ hasText: title }).boundingBox())!.x);
		expect(stageTitles).toHaveLength(3);
		expect(stageLefts).toEqual([...stageLefts].sort((a, b) => a - b));

		mkdirSync(dirname(screenshotPath), { recursive: true });
		await page.screenshot({ path: screenshotPath });

		expect(withProblems(await canvasProblems(page))).toEqual({});
		expect(withProblems(await referenceProblems(id))).toEqual({});
	});
});

describe('the pickers in the node panel', () => {
	it('opens "Staff Follow-Up Task" and lists the practice profile\'s staff directory in the Assignee dropdown', async () => {
		const { id } = sandbox.workflows.threeStage.fhir;
		const page = await openCanvas(id, templateNodeNames.length);
		await page.locator(nodeSelector('Staff Follow-Up Task')).dblclick();
		const assignee = page.locator('[data-test-id="ndv"] [data-test-id="parameter-input-assignee"]');
		await assignee.waitFor({ state: 'visible', timeout: 30_000 });
		// The stored value (the staff key) is shown by the name the directory gives it, once the list has loaded.
		await eventually('the Assignee field to show the coordinator by name', async () =>
			((await assignee.locator('input').first().inputValue()) === demoPractice.coordinator.name ? true : undefined),
		);
		await assignee.locator('input').first().click();
		const option = page.locator('.el-select-dropdown__item:visible', { hasText: demoPractice.coordinator.name });
		await option.first().waitFor({ state: 'visible', timeout: 30_000 });
		expect(await option.count()).toBe(1);
		expect(await option.first().textContent()).toContain(`key "${demoPractice.coordinator.key}"`);

		mkdirSync(dirname(assigneeScreenshotPath), { recursive: true });
		await page.screenshot({ path: assigneeScreenshotPath });
	});
});

describe('the issue checks on a workflow broken on purpose', () => {
	const credential = (type: string) => ({ [type]: { id: sandbox.credentialIds[type], name: `Sandbox ${type}` } });
	const visitDetailsCredentials = () => ({ ...credential('fhirR4Api'), ...credential('journeyStoreApi'), ...credential('practiceProfileApi') });
	const visitDetails = { type: 'n8n-nodes-post-visit.visitDetails', typeVersion: 1, parameters: { ehr: 'fhir' } };

	/** canvas: what the canvas must flag ([] = nothing); left out where n8n shows an owner nothing. */
	const probes: Array<{ name: string; node: () => Record<string, unknown>; canvas?: RegExp[]; references: RegExp[] }> = [
		{ name: 'Healthy Visit Details', node: () => ({ ...visitDetails, credentials: visitDetailsCredentials() }), canvas: [], references: [] },
		{
			name: 'Package Not Installed',
			node: () => ({ type: 'n8n-nodes-not-installed.someNode', typeVersion: 1, parameters: {} }),
			canvas: [/^node-not-installed: Install the package to use this node$/, /^unknown node type/],
			references: [/^unknown node type n8n-nodes-not-installed\.someNode$/],
		},
		{
			name: 'Unknown Core Node',
			node: () => ({ type: 'n8n-nodes-base.noSuchNodeAnywhere', typeVersion: 1, parameters: {} }),
			canvas: [/^unknown node type/],
			references: [/^unknown node type n8n-nodes-base\.noSuchNodeAnywhere$/],
		},
		{
			name: 'Visit Details From The Future',
			node: () => ({ ...visitDetails, typeVersion: 99, credentials: visitDetailsCredentials() }),
			canvas: [/^icon failed to load/],
			references: [/^unknown version 99 of n8n-nodes-post-visit\.visitDetails$/],
		},
		{
			name: 'Visit Details Without Credentials',
			node: () => ({ ...visitDetails }),
			canvas: [/^node-issues: Issues Credentials for Visit Details are not set\./],
			references: [],
		},
		{
			// The EHR picked needs the athenahealth credential; only the FHIR one is assigned.
			name: 'Visit Details With The Wrong EHR Credential',
			node: () => ({ ...visitDetails, parameters: { ehr: 'athenahealth' }, credentials: visitDetailsCredentials() }),
			canvas: [/^node-issues: Issues Credentials for Visit Details are not set\.$/],
			references: [],
		},
		{
			name: 'EHR Trigger Without Path',
			node: () => ({ type: 'n8n-nodes-post-visit.ehrTrigger', typeVersion: 1, parameters: { ehr: 'fhir', path: '' }, credentials: credential('ehrWebhookApi') }),
			canvas: [/^node-issues: Issues Parameter "Path" is required\.$/],
			references: [],
		},
		{
			name: 'Visit Details With A Deleted Credential',
			node: () => ({ ...visitDetails, credentials: { ...visitDetailsCredentials(), fhirR4Api: { id: 'deletedCredential01', name: 'Deleted FHIR' } } }),
			references: [/^credential fhirR4Api deletedCredential01 does not exist$/],
		},
	];

	let canvas: Record<string, string[]>;
	let references: Record<string, string[]>;

	beforeAll(async () => {
		const created = await sandbox.client.rest('POST', '/workflows', {
			name: 'Canvas probe: broken on purpose',
			nodes: probes.map((probe, index) => ({ ...probe.node(), id: `probe-${index}`, name: probe.name, position: [index * 260, 0] })),
			connections: {},
			settings: { executionOrder: 'v1' },
		});
		const page = await openCanvas(created.data.id, probes.length);
		canvas = await canvasProblems(page);
		references = await referenceProblems(created.data.id);
	}, 300_000);

	it.each(probes.map((probe) => [probe.name, probe] as const))('%s', (name, probe) => {
		if (probe.canvas) expect(canvas[name]).toEqual(probe.canvas.map((pattern) => expect.stringMatching(pattern)));
		expect(references[name]).toEqual(probe.references.map((pattern) => expect.stringMatching(pattern)));
	});
});
