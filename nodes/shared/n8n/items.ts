import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import { toNodeError } from './errors';

/** Where an item leaves a node: the output index and the JSON it carries. */
export interface RoutedItem {
	output: number;
	json: IDataObject;
}

/**
 * The one item loop every action node uses: runs `handle` per input item, links every output to its
 * input (`pairedItem`), and on failure either throws a node error tagged with the item or, with
 * "Continue On Fail", emits an error item on the first output and goes on.
 */
export async function routeEachItem(
	context: IExecuteFunctions,
	outputCount: number,
	handle: (item: INodeExecutionData, itemIndex: number) => Promise<RoutedItem[]>,
): Promise<INodeExecutionData[][]> {
	const outputs: INodeExecutionData[][] = Array.from({ length: outputCount }, () => []);
	const items = context.getInputData();
	for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
		try {
			for (const routed of await handle(items[itemIndex], itemIndex)) {
				outputs[routed.output].push({ json: routed.json, pairedItem: { item: itemIndex } });
			}
		} catch (error) {
			const nodeError = toNodeError(context.getNode(), error, itemIndex);
			if (!context.continueOnFail()) throw nodeError;
			outputs[0].push({
				json: { ...items[itemIndex].json, error: nodeError.message, errorDescription: nodeError.description ?? null },
				pairedItem: { item: itemIndex },
			});
		}
	}
	return outputs;
}
