import { packTimeByArea, summarizeCpuProfile } from '../../bench/lib/cpuProfile';
import type { CpuProfile, CpuProfileNode } from '../../bench/lib/cpuProfile';

const n8n = 'file:///srv/n8n/node_modules/n8n-core/dist/execution-engine/workflow-execute.js';
const pack = 'file:///home/node/.n8n/nodes/node_modules/n8n-nodes-post-visit/dist/nodes/VisitDetails/VisitDetails.node.js';
const packLibrary = 'file:///home/node/.n8n/nodes/node_modules/n8n-nodes-post-visit/node_modules/zod/lib/types.js';
const stockNode = 'file:///srv/n8n/node_modules/n8n-nodes-base/dist/nodes/HttpRequest/V3/HttpRequestV3.node.js';
const expression = 'file:///srv/n8n/node_modules/@n8n/expression-runtime/dist/bridge.js';
const database = 'file:///srv/n8n/node_modules/@n8n/typeorm/query-runner/QueryRunner.js';

/** A profile from a call tree (name → url, children) and the milliseconds each node was sampled as the leaf. */
function profileOf(tree: Array<[id: number, parent: number | undefined, functionName: string, url: string, selfMs: number]>): CpuProfile {
	const nodes: CpuProfileNode[] = tree.map(([id, , functionName, url]) => ({ id, callFrame: { functionName, url }, children: [] }));
	for (const [id, parent] of tree) if (parent !== undefined) nodes.find((node) => node.id === parent)!.children!.push(id);
	const samples: number[] = [];
	const timeDeltas: number[] = [];
	for (const [id, , , , selfMs] of tree) {
		for (let ms = 0; ms < selfMs; ms++) {
			samples.push(id);
			timeDeltas.push(1_000);
		}
	}
	return { nodes, samples, timeDeltas, startTime: 0, endTime: timeDeltas.length * 1_000 };
}

describe('summarizeCpuProfile', () => {
	const profile = profileOf([
		[1, undefined, '(root)', '', 0],
		[2, 1, '(idle)', '', 500],
		[3, 1, '(garbage collector)', '', 7],
		[4, 1, 'runNode', n8n, 11],
		[5, 4, 'execute', pack, 13],
		[6, 5, 'parse', packLibrary, 17],
		[7, 5, 'prepare', '', 19], // node:sqlite's native call under the pack's code
		[8, 5, 'getNodeParameter', n8n, 0],
		[9, 8, 'evaluate', expression, 23],
		[10, 9, 'applySync', '', 29], // isolated-vm's native call under the expression runtime
		[11, 4, 'saveExecution', database, 31],
		[12, 4, 'execute', stockNode, 37],
		[13, 1, 'emit', 'node:events', 41],
	]);
	const { busyMs, byCategory } = summarizeCpuProfile(profile);

	it('leaves idle time out of the busy time and counts every other sample once', () => {
		expect(busyMs).toBe(7 + 11 + 13 + 17 + 19 + 23 + 29 + 31 + 37 + 41);
		expect(Object.values(byCategory).reduce((sum, ms) => sum + ms, 0)).toBeCloseTo(busyMs, 6);
	});

	it('counts time under an expression evaluation to the expression engine, even when a node asked for it', () => {
		expect(byCategory['expression engine']).toBe(23 + 29);
	});

	it("counts n8n's database layer apart", () => {
		expect(byCategory['execution database']).toBe(31);
	});

	it("counts a node's own code, its libraries and its native calls to the workflow's nodes, for the pack and stock nodes alike", () => {
		expect(byCategory['workflow nodes']).toBe(13 + 17 + 19 + 37);
	});

	it("leaves garbage collection and n8n's own engine in their categories", () => {
		expect(byCategory['garbage collection']).toBe(7);
		expect(byCategory['n8n and Node.js, other']).toBe(11 + 41);
	});
});

describe('packTimeByArea', () => {
	const hoistedLibrary = 'file:///home/node/.n8n/nodes/node_modules/zod/lib/types.js';
	const shared = (area: string) => `file:///home/node/.n8n/nodes/node_modules/n8n-nodes-post-visit/dist/nodes/shared/${area}/x.js`;
	const profile = profileOf([
		[1, undefined, '(root)', '', 0],
		[2, 1, 'runNode', n8n, 3],
		[3, 2, 'execute', pack, 5],
		[4, 3, 'sendTouch', shared('flows'), 7],
		[5, 4, 'append', shared('store'), 11],
		[6, 5, 'run', '', 13], // node:sqlite's native call under the store
		[7, 4, 'parse', hoistedLibrary, 17],
		[8, 3, 'getNodeParameter', n8n, 0],
		[9, 8, 'evaluate', expression, 19],
		[10, 2, 'execute', stockNode, 23],
		[11, 1, '(garbage collector)', '', 29],
	]);
	const byArea = packTimeByArea(profile);

	it('counts each sample to the innermost layer of the pack on its stack, with the libraries and native calls it made', () => {
		expect(byArea).toEqual({ 'node classes': 5, flows: 7 + 17, store: 11 + 13 });
	});

	it('leaves out n8n, stock nodes, the expression engine and garbage collection', () => {
		expect(Object.values(byArea).reduce((sum, ms) => sum + ms, 0)).toBe(5 + 7 + 11 + 13 + 17);
	});
});
