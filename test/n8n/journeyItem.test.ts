import type { IDataObject } from 'n8n-workflow';

import * as schemas from '../../nodes/shared/core/schemas';
import { startTrail } from '../../nodes/shared/core/trail';
import { journeyJson, readJourneyItem } from '../../nodes/shared/n8n/journeyItem';
import { visitEvent } from '../helpers/fixtures';

describe('journey items between pack nodes', () => {
	const firstRead = () => readJourneyItem(visitEvent() as unknown as IDataObject);
	const parses = () => jest.spyOn(schemas, 'parseJourneyEvent');
	afterEach(() => jest.restoreAllMocks());

	it('reads the item a pack node left without validating its event again', () => {
		const item = firstRead();
		const left = journeyJson(item, item.trail, { route: { channel: 'sms' } });
		const spy = parses();

		const next = readJourneyItem(left);

		expect(spy).not.toHaveBeenCalled();
		expect(next.event).toBe(item.event);
		expect(next.rest.route).toEqual({ channel: 'sms' });
	});

	it('validates afresh an item another node rebuilt, and refuses what it broke', () => {
		const item = firstRead();
		const left = journeyJson(item, item.trail);
		const rebuilt = { ...left, zone: 'Mars/Olympus' };
		const spy = parses();

		expect(() => readJourneyItem(rebuilt)).toThrow(/zone/);
		expect(spy).toHaveBeenCalledTimes(1);
	});

	it('validates afresh an item whose node replaced a field of the event', () => {
		const item = firstRead();
		const left = journeyJson(item, startTrail('visit:fhir:enc-2', 'fhir:pat-2'), { actionItems: [] });
		const spy = parses();

		const next = readJourneyItem(left);

		expect(spy).toHaveBeenCalledTimes(1);
		expect(next.event).toMatchObject({ actionItems: [] });
	});
});
