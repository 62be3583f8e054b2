import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import type { JourneyStore } from '../store/types';
import { nowIso } from './clock';
import { toNodeError } from './errors';

/** Where an item leaves a node: the output index and the JSON it carries. */
export interface RoutedItem {
	output: number;
	json: IDataObject;
}

/**
 * Items one node handles at once. Each item waits mostly on round trips (the EHR, Twilio, SMTP, the journey store
 * in Postgres), so a batch of 100 resumed journeys would otherwise take 100 of them end to end.
 */
export const ITEMS_AT_ONCE = 8;

export interface ItemLoopOptions {
	/** Where a failed journey item is journaled, once, at the node where it failed. */
	journal?: JourneyStore;
	/** Most items handled at once (default ITEMS_AT_ONCE); the items of one patient always one after the other. */
	itemsAtOnce?: number;
}

/**
 * An item an earlier node failed on, passed along under "On Error: Continue" (n8n leaves such items on the regular
 * output): the pack's nodes carry it through untouched, acting on nothing.
 */
function failedEarlier(item: INodeExecutionData): boolean {
	return typeof item.json.error === 'string';
}

/** The journey a failed item belongs to, for the journal (items that are not journeys are not journaled). */
function journeyIdsOf(json: IDataObject): { journeyId: string; patientKey: string } | undefined {
	const journey = json.journey as IDataObject | undefined;
	if (typeof journey?.journeyId !== 'string' || typeof journey.patientKey !== 'string') return undefined;
	return { journeyId: journey.journeyId, patientKey: journey.patientKey };
}

/**
 * The item a failure becomes under "On Error: Continue". Its JSON holds only `error` and `details`, the shape n8n
 * routes by: "Continue (using error output)" moves it to the error output and merges the input item's fields back
 * in (so the journey is there for the next node), and plain "Continue" leaves it on the first output. Not
 * `item.error`: n8n replaces the JSON of such an item with its message alone, journey and all.
 */
export function failedItem(nodeError: ReturnType<typeof toNodeError>, itemIndex: number): INodeExecutionData {
	const details = nodeError.description ?? undefined;
	return { json: { error: nodeError.message, ...(details ? { details } : {}) }, pairedItem: { item: itemIndex } };
}

/**
 * Which items must not run at the same time: those of one patient (the daily cap and the per-journey caps are read,
 * then written: two messages to one patient handled at once could both pass). Items that name no patient share one
 * lane, so they run one after the other as before.
 */
function laneOf(item: INodeExecutionData): string {
	return journeyIdsOf(item.json)?.patientKey ?? '';
}

/**
 * Runs `work` for the indices 0…count−1, at most `limit` lanes at once and the indices of one lane one after the
 * other, in order. Lanes start in the order of their first index. `shouldStart` is asked before each index.
 */
async function eachByLane(
	count: number,
	limit: number,
	laneOfIndex: (index: number) => string,
	shouldStart: (index: number) => boolean,
	work: (index: number) => Promise<void>,
): Promise<void> {
	const lanes = new Map<string, number[]>();
	for (let index = 0; index < count; index++) {
		const key = laneOfIndex(index);
		const lane = lanes.get(key);
		if (lane) lane.push(index);
		else lanes.set(key, [index]);
	}
	const queue = [...lanes.values()];
	let next = 0;
	const worker = async () => {
		while (next < queue.length) {
			for (const index of queue[next++]) {
				if (!shouldStart(index)) break;
				await work(index);
			}
		}
	};
	await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, queue.length)) }, worker));
}

/**
 * The one item loop every action node uses: runs `handle` per input item, several items at once but the items of
 * one patient one after the other (`laneOf`), and returns the outputs in input order with every output linked to
 * its input (`pairedItem`). A failure throws a node error tagged with the item, or, with "On Error: Continue",
 * becomes a `failedItem`: on the error output with "Continue (using error output)", on the first output with
 * plain "Continue", where the next pack nodes pass it through untouched. It is journaled once, here.
 *
 * A failure that stops the node is the one a loop taking the items in order would have stopped at: once an item
 * fails, no item after it starts, every item before it still runs, and the lowest failing item's error is thrown.
 * Items after it that had already started (at most `itemsAtOnce − 1`) have acted, as an item before it would have.
 */
export async function routeEachItem(
	context: IExecuteFunctions,
	outputCount: number,
	handle: (item: INodeExecutionData, itemIndex: number) => Promise<RoutedItem[]>,
	options: ItemLoopOptions = {},
): Promise<INodeExecutionData[][]> {
	const items = context.getInputData();
	const leaving: Array<Array<{ output: number; item: INodeExecutionData }>> = items.map(() => []);
	const stop = { at: Infinity, error: undefined as unknown };
	const handleOne = async (itemIndex: number): Promise<void> => {
		const item = items[itemIndex];
		if (failedEarlier(item)) {
			leaving[itemIndex] = [{ output: 0, item: { json: item.json, pairedItem: { item: itemIndex } } }];
			return;
		}
		try {
			leaving[itemIndex] = (await handle(item, itemIndex)).map((routed) => {
				if (!(routed.output >= 0 && routed.output < outputCount)) throw new RangeError(`no output ${routed.output}`);
				return { output: routed.output, item: { json: routed.json, pairedItem: { item: itemIndex } } };
			});
		} catch (error) {
			const nodeError = toNodeError(context.getNode(), error, itemIndex);
			if (!context.continueOnFail()) throw nodeError;
			const ids = journeyIdsOf(item.json);
			if (options.journal && ids) {
				await options.journal.append({ at: nowIso(), ...ids, type: 'node.failed', detail: { node: context.getNode().name.slice(0, 200) } });
			}
			leaving[itemIndex] = [{ output: 0, item: failedItem(nodeError, itemIndex) }];
		}
	};
	await eachByLane(
		items.length,
		options.itemsAtOnce ?? ITEMS_AT_ONCE,
		(index) => laneOf(items[index]),
		(index) => index < stop.at,
		async (index) => {
			try {
				await handleOne(index);
			} catch (error) {
				if (index < stop.at) Object.assign(stop, { at: index, error });
			}
		},
	);
	if (stop.at !== Infinity) throw stop.error;
	const outputs: INodeExecutionData[][] = Array.from({ length: outputCount }, () => []);
	for (const routed of leaving.flat()) outputs[routed.output].push(routed.item);
	return outputs;
}
