import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import type { JourneyStore } from '../store/types';
import { nowIso } from './clock';
import { toNodeError } from './errors';

/** Where an item leaves a node: the output index and the JSON it carries. */
export interface RoutedItem {
	output: number;
	json: IDataObject;
}

export interface ItemLoopOptions {
	/** Where a failed journey item is journaled, once, at the node where it failed. */
	journal?: JourneyStore;
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
 * The one item loop every action node uses: runs `handle` per input item and links every output to its input
 * (`pairedItem`). A failure throws a node error tagged with the item, or, with "On Error: Continue", becomes a
 * `failedItem`: on the error output with "Continue (using error output)", on the first output with plain
 * "Continue", where the next pack nodes pass it through untouched. It is journaled once, here.
 */
export async function routeEachItem(
	context: IExecuteFunctions,
	outputCount: number,
	handle: (item: INodeExecutionData, itemIndex: number) => Promise<RoutedItem[]>,
	options: ItemLoopOptions = {},
): Promise<INodeExecutionData[][]> {
	const outputs: INodeExecutionData[][] = Array.from({ length: outputCount }, () => []);
	const items = context.getInputData();
	for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
		const item = items[itemIndex];
		if (failedEarlier(item)) {
			outputs[0].push({ json: item.json, pairedItem: { item: itemIndex } });
			continue;
		}
		try {
			for (const routed of await handle(item, itemIndex)) {
				outputs[routed.output].push({ json: routed.json, pairedItem: { item: itemIndex } });
			}
		} catch (error) {
			const nodeError = toNodeError(context.getNode(), error, itemIndex);
			if (!context.continueOnFail()) throw nodeError;
			const ids = journeyIdsOf(item.json);
			if (options.journal && ids) {
				await options.journal.append({ at: nowIso(), ...ids, type: 'node.failed', detail: { node: context.getNode().name.slice(0, 200) } });
			}
			outputs[0].push(failedItem(nodeError, itemIndex));
		}
	}
	return outputs;
}
