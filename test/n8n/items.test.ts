import { NodeOperationError } from 'n8n-workflow';
import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import { ITEMS_AT_ONCE, routeEachItem } from '../../nodes/shared/n8n/items';
import type { RoutedItem } from '../../nodes/shared/n8n/items';
import type { JourneyStore } from '../../nodes/shared/store/types';

/*
 * The item loop of every pack node handles several items at once, the items of one patient one after the other,
 * and leaves its outputs, their pairing and its failures exactly as a loop taking the items in order would.
 * Which item finishes first is decided by the test (each item waits for its own gate), never by a clock.
 */

const node = { id: 'n1', name: 'Loop Under Test', type: 'n8n-nodes-post-visit.test', typeVersion: 1, position: [0, 0] as [number, number], parameters: {} };

function contextOf(items: IDataObject[], continueOnFail = false): IExecuteFunctions {
	return {
		getInputData: (): INodeExecutionData[] => items.map((json) => ({ json })),
		getNode: () => node,
		continueOnFail: () => continueOnFail,
	} as unknown as IExecuteFunctions;
}

const journeyOf = (patient: string, n: number): IDataObject => ({ n, journey: { journeyId: `j-${patient}-${n}`, patientKey: patient } });
const plain = (n: number): IDataObject => ({ n });

/** Runs the loop over `items`; each item's handler waits until the test opens its gate, and is recorded meanwhile. */
function gatedLoop(items: IDataObject[], options: { continueOnFail?: boolean; fail?: number[]; itemsAtOnce?: number; journal?: JourneyStore } = {}) {
	const gates = items.map(() => {
		let open!: () => void;
		const opened = new Promise<void>((resolve) => (open = resolve));
		return { open, opened };
	});
	const started: number[] = [];
	const finished: number[] = [];
	let running = 0;
	let mostAtOnce = 0;
	const handle = async (item: INodeExecutionData, itemIndex: number): Promise<RoutedItem[]> => {
		started.push(itemIndex);
		running += 1;
		mostAtOnce = Math.max(mostAtOnce, running);
		await gates[itemIndex].opened;
		running -= 1;
		finished.push(itemIndex);
		if (options.fail?.includes(itemIndex)) throw new Error(`item ${itemIndex} failed`);
		return [{ output: itemIndex % 2, json: { ...item.json, handled: true } }];
	};
	const outcome = routeEachItem(contextOf(items, options.continueOnFail), 2, handle, options).then(
		(outputs) => ({ outputs, error: undefined }),
		(error: unknown) => ({ outputs: undefined, error }),
	);
	return { gates, started, finished, outcome, mostAtOnce: () => mostAtOnce };
}

/** Lets every pending promise callback run (the loop starts the next items in them). */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

async function openInOrder(gates: Array<{ open: () => void }>, order: number[]) {
	for (const index of order) {
		await settle();
		gates[index].open();
	}
	await settle();
}

describe('routeEachItem: several items at once', () => {
	it('returns the outputs in input order, each paired with its input, whichever item finished first', async () => {
		const items = Array.from({ length: 6 }, (_, n) => journeyOf(`p${n}`, n));
		const loop = gatedLoop(items);
		await openInOrder(loop.gates, [5, 3, 1, 4, 2, 0]);
		const { outputs } = await loop.outcome;
		expect(loop.finished).toEqual([5, 3, 1, 4, 2, 0]);
		expect(outputs![0].map((item) => [item.json.n, item.pairedItem])).toEqual([[0, { item: 0 }], [2, { item: 2 }], [4, { item: 4 }]]);
		expect(outputs![1].map((item) => [item.json.n, item.pairedItem])).toEqual([[1, { item: 1 }], [3, { item: 3 }], [5, { item: 5 }]]);
	});

	it(`handles at most ${ITEMS_AT_ONCE} items at once by default, and as many as asked`, async () => {
		const items = Array.from({ length: 20 }, (_, n) => journeyOf(`p${n}`, n));
		const loop = gatedLoop(items);
		await settle();
		expect(loop.started).toEqual(Array.from({ length: ITEMS_AT_ONCE }, (_, n) => n));
		await openInOrder(loop.gates, items.map((_, n) => n));
		await loop.outcome;
		expect(loop.mostAtOnce()).toBe(ITEMS_AT_ONCE);

		const three = gatedLoop(items, { itemsAtOnce: 3 });
		await openInOrder(three.gates, items.map((_, n) => n).reverse());
		await openInOrder(three.gates, items.map((_, n) => n));
		await three.outcome;
		expect(three.mostAtOnce()).toBe(3);
	});

	it('runs the items of one patient one after the other, in input order, while other patients go on', async () => {
		const items = [journeyOf('ana', 0), journeyOf('ben', 1), journeyOf('ana', 2), journeyOf('cruz', 3), journeyOf('ana', 4)];
		const loop = gatedLoop(items);
		await settle();
		expect(loop.started).toEqual([0, 1, 3]);
		await openInOrder(loop.gates, [3, 1]);
		expect(loop.started).toEqual([0, 1, 3]);
		await openInOrder(loop.gates, [0]);
		expect(loop.started).toEqual([0, 1, 3, 2]);
		await openInOrder(loop.gates, [2, 4]);
		const { outputs } = await loop.outcome;
		expect(loop.finished).toEqual([3, 1, 0, 2, 4]);
		expect([...outputs![0], ...outputs![1]].map((item) => item.json.n).sort()).toEqual([0, 1, 2, 3, 4]);
	});

	it('runs items that are not journeys one after the other, as before', async () => {
		const items = [plain(0), plain(1), plain(2)];
		const loop = gatedLoop(items);
		await settle();
		expect(loop.started).toEqual([0]);
		await openInOrder(loop.gates, [0, 1, 2]);
		await loop.outcome;
		expect(loop.mostAtOnce()).toBe(1);
	});

	it('passes an item an earlier node failed on through at its place, acting on nothing', async () => {
		const items = [journeyOf('p0', 0), { error: 'failed upstream', details: 'x' }, journeyOf('p2', 2)];
		const loop = gatedLoop(items);
		await openInOrder(loop.gates, [2, 0]);
		const { outputs } = await loop.outcome;
		expect(loop.started).toEqual([0, 2]);
		expect(outputs![0].map((item) => [item.json.n ?? item.json.error, item.pairedItem])).toEqual([
			[0, { item: 0 }],
			['failed upstream', { item: 1 }],
			[2, { item: 2 }],
		]);
	});
});

describe('routeEachItem: failures', () => {
	it('stops at the failure a loop in input order would stop at: earlier items still run, later ones do not start', async () => {
		// ana's items 0 and 4 share a lane: 4 waits for 0; the failure of 3 must not keep 2 (ben, before it) from running.
		const items = [journeyOf('ana', 0), journeyOf('ben', 1), journeyOf('ben', 2), journeyOf('cruz', 3), journeyOf('ana', 4), journeyOf('dee', 5)];
		const loop = gatedLoop(items, { fail: [3, 5], itemsAtOnce: 3 });
		await settle();
		expect(loop.started).toEqual([0, 1, 3]);
		await openInOrder(loop.gates, [3]);
		await openInOrder(loop.gates, [1, 2, 0]);
		const { error } = await loop.outcome;
		expect(loop.started).toEqual([0, 1, 3, 2]);
		expect(error).toBeInstanceOf(NodeOperationError);
		expect((error as NodeOperationError).message).toBe('item 3 failed');
		expect((error as NodeOperationError).context.itemIndex).toBe(3);
	});

	it('throws the lowest failing item\'s error even when a later item failed first', async () => {
		const items = Array.from({ length: 4 }, (_, n) => journeyOf(`p${n}`, n));
		const loop = gatedLoop(items, { fail: [1, 3] });
		await openInOrder(loop.gates, [3, 2, 0, 1]);
		const { error } = await loop.outcome;
		expect((error as NodeOperationError).context.itemIndex).toBe(1);
	});

	it('with "On Error: Continue", turns each failed item into a failed item at its place and journals it once', async () => {
		const append = jest.fn(async (_entry: { journeyId: string; type: string }) => undefined);
		const journal = { append } as unknown as JourneyStore;
		const items = Array.from({ length: 5 }, (_, n) => journeyOf(`p${n}`, n));
		const loop = gatedLoop(items, { continueOnFail: true, fail: [1, 4], journal });
		await openInOrder(loop.gates, [4, 3, 2, 1, 0]);
		const { outputs } = await loop.outcome;
		expect(outputs![0].map((item) => [item.json.n ?? item.json.error, item.pairedItem])).toEqual([
			[0, { item: 0 }],
			['item 1 failed', { item: 1 }],
			[2, { item: 2 }],
			['item 4 failed', { item: 4 }],
		]);
		expect(outputs![1].map((item) => item.json.n)).toEqual([3]);
		expect(append.mock.calls.map(([entry]) => [entry.journeyId, entry.type]).sort()).toEqual([
			['j-p1-1', 'node.failed'],
			['j-p4-4', 'node.failed'],
		]);
	});
});
