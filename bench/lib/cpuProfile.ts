/** V8 CPU profiles (the inspector's Profiler.stop, or node --cpu-prof) summed by who spent the time. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface CpuProfileNode {
	id: number;
	callFrame: { functionName: string; url: string };
	children?: number[];
}

export interface CpuProfile {
	nodes: CpuProfileNode[];
	samples: number[];
	timeDeltas: number[];
	startTime: number;
	endTime: number;
}

export const cpuCategories = [
	'expression engine',
	'execution database',
	'workflow nodes',
	'garbage collection',
	'n8n and Node.js, other',
] as const;
export type CpuCategory = (typeof cpuCategories)[number];

/** n8n 2.x evaluates expressions in isolated-vm through @n8n/expression-runtime (plus n8n-workflow's side). */
const expressionEngine = /@n8n\/expression-runtime|\/isolated-vm\/|n8n-workflow\/dist\/(cjs|esm)\/expression/;
/** n8n's own database layer: executions, their data and status (TypeORM over sqlite3 or pg). */
const executionDatabase = /@n8n\/typeorm|\/node_modules\/sqlite3\/|\/node_modules\/pg\/|@n8n\/db\//;
/** Code of the nodes a workflow runs: this pack (with its libraries) or n8n's stock nodes. */
const workflowNodes = /\/n8n-nodes-post-visit\/|\/n8n-nodes-base\//;

/**
 * Attributes each sampled tick to one category by its whole stack: time under an expression evaluation or
 * n8n's database layer counts there even when a node asked for it; otherwise time under a node's code counts
 * to the workflow's nodes (node:sqlite and the other native calls they make included); the rest is n8n's
 * execution engine, webhook handling and Node itself. Idle time is left out.
 */
export function summarizeCpuProfile(profile: CpuProfile): { busyMs: number; byCategory: Record<CpuCategory, number> } {
	const byId = new Map(profile.nodes.map((node) => [node.id, node]));
	const parentOf = new Map<number, number>();
	for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);

	const microsByNode = new Map<number, number>();
	profile.samples.forEach((id, index) => microsByNode.set(id, (microsByNode.get(id) ?? 0) + (profile.timeDeltas[index] ?? 0)));

	const byCategory = Object.fromEntries(cpuCategories.map((category) => [category, 0])) as Record<CpuCategory, number>;
	let busyMicros = 0;
	for (const [id, micros] of microsByNode) {
		const leaf = byId.get(id);
		if (!leaf || leaf.callFrame.functionName === '(idle)') continue;
		busyMicros += micros;
		byCategory[categoryOf(leaf, byId, parentOf)] += micros / 1000;
	}
	return { busyMs: busyMicros / 1000, byCategory };
}

function categoryOf(leaf: CpuProfileNode, byId: Map<number, CpuProfileNode>, parentOf: Map<number, number>): CpuCategory {
	if (leaf.callFrame.functionName === '(garbage collector)') return 'garbage collection';
	let underNode = false;
	for (let current: number | undefined = leaf.id; current !== undefined; current = parentOf.get(current)) {
		const url = byId.get(current)?.callFrame.url ?? '';
		if (expressionEngine.test(url)) return 'expression engine';
		if (executionDatabase.test(url)) return 'execution database';
		if (workflowNodes.test(url)) underNode = true;
	}
	return underNode ? 'workflow nodes' : 'n8n and Node.js, other';
}

const packFrame = /\/n8n-nodes-post-visit\/dist\/nodes\/(?:shared\/([^/]+)\/)?/;

/**
 * Where the pack's own time goes (the "workflow nodes" category, pack only), by the innermost frame of the pack's
 * code on the stack: the shared layer (`store` with its node:sqlite calls, `ehr`, `messaging` with the twilio SDK
 * and nodemailer, `flows`, `core`, `n8n`: transport through n8n's helpers) or `node classes`. The libraries it
 * ships count to the layer that called them (npm installs them beside the pack, not inside it). Time under the
 * expression engine or n8n's database layer is left out, as in summarizeCpuProfile.
 */
export function packTimeByArea(profile: CpuProfile): Record<string, number> {
	const byId = new Map(profile.nodes.map((node) => [node.id, node]));
	const parentOf = new Map<number, number>();
	for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);
	const byArea: Record<string, number> = {};
	profile.samples.forEach((id, index) => {
		const leaf = byId.get(id);
		if (!leaf || leaf.callFrame.functionName === '(idle)' || leaf.callFrame.functionName === '(garbage collector)') return;
		let area: string | undefined;
		for (let current: number | undefined = id; current !== undefined; current = parentOf.get(current)) {
			const url = byId.get(current)?.callFrame.url ?? '';
			if (expressionEngine.test(url) || executionDatabase.test(url)) return;
			const match = area === undefined ? packFrame.exec(url) : null;
			if (match) area = match[1] ?? 'node classes';
		}
		if (area !== undefined) byArea[area] = (byArea[area] ?? 0) + (profile.timeDeltas[index] ?? 0) / 1000;
	});
	return byArea;
}

/** With BENCH_CPU_PROF set to a folder, keeps a raw profile there (`<name>-<time>.cpuprofile`, for DevTools). */
export function keepCpuProfile(name: string, profile: CpuProfile, env: NodeJS.ProcessEnv = process.env): void {
	const folder = env.BENCH_CPU_PROF;
	if (!folder) return;
	mkdirSync(folder, { recursive: true });
	writeFileSync(join(folder, `${name}-${Date.now()}.cpuprofile`), JSON.stringify(profile));
}
