import type { IDataObject } from 'n8n-workflow';

import { DomainError } from '../core/errors';
import { journeyIdOf, parseJourneyEvent, patientKeyOf } from '../core/schemas';
import type { JourneyEvent } from '../core/schemas';
import { startTrail } from '../core/trail';
import { holdResumedStep } from '../flows/steps';
import type { JourneyStore } from '../store/types';
import type { JourneyTrail } from '../core/trail';

export interface JourneyItem {
	event: JourneyEvent;
	trail: JourneyTrail;
	/** Everything else the item carries (route, delivery, fields ops added), passed on untouched. */
	rest: IDataObject;
}

function isTrail(value: unknown): value is JourneyTrail {
	const trail = value as JourneyTrail | undefined;
	return typeof trail?.journeyId === 'string' && Array.isArray(trail.steps);
}

/**
 * Reads a journey item: the normalised event at the top level of `json` (so ops can use
 * `{{$json.patient.firstName}}`) and the journey record under `json.journey`.
 */
export function readJourneyItem(json: IDataObject): JourneyItem {
	if (json.kind !== 'visit' && json.kind !== 'recall') {
		throw new DomainError(
			'This item is not a journey: connect this node after Visit Details (or the recall trigger)',
			'not_a_journey',
			'kind',
		);
	}
	const event = eventsLeftByPackNodes.get(json) ?? parseJourneyEvent(json);
	const trail = isTrail(json.journey) ? json.journey : startTrail(journeyIdOf(event), patientKeyOf(event));
	return { event, trail, rest: json };
}

/**
 * The items a pack node left, with the event it had already validated. The next pack node usually receives the
 * very same object (n8n hands a node's output on as it is) and skips validating it again; any other node in
 * between (Edit Fields, Code) makes a new object, which is validated afresh.
 */
const eventsLeftByPackNodes = new WeakMap<IDataObject, JourneyEvent>();

/** The item that leaves a node: the event, the updated journey record, and what this node adds. */
export function journeyJson(item: JourneyItem, trail: JourneyTrail, additions: IDataObject = {}): IDataObject {
	const json = { ...item.rest, ...(item.event as unknown as IDataObject), journey: trail as unknown as IDataObject, ...additions };
	if (!Object.keys(additions).some((key) => key in item.event)) eventsLeftByPackNodes.set(json, item.event);
	return json;
}

/**
 * The journey item a node may act on, or undefined when its resumed step was meanwhile handed to a newer execution
 * (this one held it past its lease): the node then leaves the item alone and the newer execution carries it.
 */
export async function journeyItemToActOn(json: IDataObject, store: JourneyStore, now: string): Promise<JourneyItem | undefined> {
	const item = readJourneyItem(json);
	return (await holdResumedStep(store, item.trail, now)) ? item : undefined;
}
