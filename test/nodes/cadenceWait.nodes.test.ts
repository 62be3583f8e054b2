import { join } from 'node:path';

import { DateTime } from 'luxon';
import type { IDataObject } from 'n8n-workflow';

import { CadenceWait } from '../../nodes/CadenceWait/CadenceWait.node';
import type { RecallDue, VisitEvent } from '../../nodes/shared/core/schemas';
import type { JourneyTrail } from '../../nodes/shared/core/trail';
import { openJourneyStore } from '../../nodes/shared/store';
import { runWorkflow, single } from '../helpers/engine';
import { journeyStoreCredential, practiceProfileCredential, tempDir, visitEvent, zoneWhereNowIsBetween } from '../helpers/fixtures';

/*
 * Every expected instant is built from "today" in the patient's zone, so the assertions hold at any hour the
 * suite runs: the practice profile's window is 09:00–20:00 local, every weekday open, no holidays.
 */

const nodeTypes = { cadenceWait: new CadenceWait() };

interface WaitParameters {
	anchor: 'visitClose' | 'recallDate' | 'nextAllowed';
	amount?: number;
	unit?: 'minutes' | 'hours' | 'days';
}

async function cadenceWait(items: unknown[], parameters: WaitParameters) {
	const storePath = join(tempDir(), 'journey.sqlite');
	const result = await runWorkflow(single('Cadence Wait', 'cadenceWait', { ...parameters }, items), {
		nodeTypes,
		credentials: { journeyStoreApi: journeyStoreCredential(storePath), practiceProfileApi: practiceProfileCredential() },
	});
	return { ...result, storePath };
}

async function journalOf(storePath: string, journeyId: string) {
	const store = await openJourneyStore({ backend: 'sqlite', path: storePath });
	try {
		return await store.journal({ journeyId });
	} finally {
		await store.close();
	}
}

/** Today at 00:00 in `zone`, plus whole days and a local wall time. */
function local(zone: string, days: number, hour: number, minute = 0): DateTime {
	return DateTime.now().setZone(zone).startOf('day').plus({ days }).set({ hour, minute });
}

const iso = (instant: DateTime) => instant.toUTC().toISO() as string;

function visitClosedAt(zone: string, closedAt: DateTime, overrides: Partial<VisitEvent> = {}): VisitEvent {
	return visitEvent({
		zone,
		visitId: `enc-${closedAt.toMillis()}-${zone.replace(/\W/g, '')}`,
		completedAt: iso(closedAt),
		visitDate: closedAt.toISODate() as string,
		...overrides,
	});
}

function held(event: VisitEvent, notBefore: DateTime): IDataObject {
	const journey: JourneyTrail = {
		journeyId: `visit:${event.ehr}:${event.visitId}`,
		patientKey: `${event.ehr}:${event.patientId}`,
		stage: 1,
		holds: 1,
		notBefore: iso(notBefore),
		steps: [{ at: new Date().toISOString(), node: 'Patient Message', stage: 1, outcome: 'held', reason: 'outside window' }],
	};
	return { ...(event as unknown as IDataObject), journey: journey as unknown as IDataObject };
}

function recall(zone: string, dueDate: string): RecallDue {
	const visit = visitEvent({ zone });
	return {
		kind: 'recall',
		schemaVersion: 1,
		ehr: 'fhir',
		patientId: visit.patientId,
		zone,
		zoneSource: 'patient',
		patient: visit.patient,
		consent: visit.consent,
		recallId: `sr-recall-${dueDate}`,
		dueDate,
		actionItem: { type: 'followUpVisit', description: 'Book your yearly check-up', orderId: 'sr-recall', done: false },
	};
}

const zones = ['America/Chicago', 'Pacific/Honolulu', 'Asia/Kolkata'];

describe('Cadence Wait in n8n\'s engine', () => {
	describe.each(zones)('for a patient in %s', (zone) => {
		it('puts the execution to wait until visit close + 48 h, pushed to 09:00 the next local day when it lands after the window', async () => {
			// Closed yesterday 22:30 local: + 48 h is tomorrow ~22:30 (21:30/23:30 across a DST change), after 20:00.
			const closedAt = local(zone, -1, 22, 30);
			const event = visitClosedAt(zone, closedAt);
			const result = await cadenceWait([event], { anchor: 'visitClose', amount: 48, unit: 'hours' });
			const expected = local(zone, 2, 9);
			expect(result.error('Cadence Wait')).toBeUndefined();
			expect(result.status).toBe('waiting');
			expect(result.waitTill?.toISOString()).toBe(iso(expected));
			// The waiting node passes its input on unchanged (n8n does not re-run it on resume).
			expect(result.output('Cadence Wait')).toEqual([event]);
			const journal = await journalOf(result.storePath, `visit:fhir:${event.visitId}`);
			expect(journal).toEqual([
				expect.objectContaining({ type: 'wait.scheduled', detail: { due: iso(closedAt.plus({ hours: 48 })), sendAt: iso(expected) } }),
			]);
		});

		it('waits exactly 48 h when visit close + 48 h falls inside the window', async () => {
			const closedAt = local(zone, -1, 12, 10);
			const result = await cadenceWait([visitClosedAt(zone, closedAt)], { anchor: 'visitClose', amount: 48, unit: 'hours' });
			expect(result.status).toBe('waiting');
			expect(result.waitTill?.getTime()).toBe(closedAt.toMillis() + 48 * 3_600_000);
		});

		it('counts "days" as calendar days in the patient\'s zone (same wall time, DST or not)', async () => {
			const closedAt = local(zone, -1, 15, 45);
			const result = await cadenceWait([visitClosedAt(zone, closedAt)], { anchor: 'visitClose', amount: 7, unit: 'days' });
			expect(result.status).toBe('waiting');
			expect(result.waitTill?.toISOString()).toBe(iso(local(zone, 6, 15, 45)));
		});

		it('waits for "Recall Date Minus": 30 days before the recall date, at the window\'s start that day', async () => {
			const dueDate = local(zone, 40, 0).toISODate() as string;
			const result = await cadenceWait([recall(zone, dueDate)], { anchor: 'recallDate', amount: 30, unit: 'days' });
			expect(result.error('Cadence Wait')).toBeUndefined();
			expect(result.status).toBe('waiting');
			expect(result.waitTill?.toISOString()).toBe(iso(local(zone, 10, 9)));
		});
	});

	it('passes an item whose time has come straight through, inside the window, without waiting', async () => {
		const zone = zoneWhereNowIsBetween(9, 20);
		const event = visitClosedAt(zone, DateTime.now().setZone(zone).minus({ days: 3 }));
		const result = await cadenceWait([event], { anchor: 'visitClose', amount: 48, unit: 'hours' });
		expect(result.status).toBe('success');
		expect(result.waitTill).toBeUndefined();
		expect(result.items('Cadence Wait')).toEqual([{ json: event, pairedItem: { item: 0 } }]);
		const journal = await journalOf(result.storePath, `visit:fhir:${event.visitId}`);
		expect(journal.map((entry) => entry.type)).toEqual(['wait.passedThrough']);
	});

	it.each([
		['inside the window: exactly then', 10, 17, 10, 17],
		['at night: the window\'s start that morning', 2, 0, 9, 0],
	])('"Next Allowed Time" respects a hold\'s notBefore %s', async (_case, holdHour, holdMinute, hour, minute) => {
		const zone = 'America/Chicago';
		const event = visitClosedAt(zone, local(zone, -1, 12));
		const result = await cadenceWait([held(event, local(zone, 1, holdHour, holdMinute))], { anchor: 'nextAllowed' });
		expect(result.status).toBe('waiting');
		expect(result.waitTill?.toISOString()).toBe(iso(local(zone, 1, hour, minute)));
	});

	it('never releases a held item before its notBefore, even when visit close + 48 h has long passed', async () => {
		const zone = 'America/Chicago';
		const event = visitClosedAt(zone, local(zone, -4, 12));
		const notBefore = local(zone, 1, 10, 17);
		const result = await cadenceWait([held(event, notBefore)], { anchor: 'visitClose', amount: 48, unit: 'hours' });
		expect(result.status).toBe('waiting');
		expect(result.waitTill?.toISOString()).toBe(iso(notBefore));
	});

	it('waits for the latest item when several journeys wait together', async () => {
		const zone = 'America/Chicago';
		const early = visitClosedAt(zone, local(zone, -1, 11));
		const late = visitClosedAt(zone, local(zone, -1, 14), { patientId: 'pat-2' });
		const result = await cadenceWait([late, early], { anchor: 'visitClose', amount: 48, unit: 'hours' });
		expect(result.waitTill?.toISOString()).toBe(iso(local(zone, -1, 14).plus({ hours: 48 })));
		expect(result.items('Cadence Wait').map((item) => item.pairedItem)).toEqual([{ item: 0 }, { item: 1 }]);
	});

	it.each([
		['a recall with "Visit Close Plus"', 'visitClose' as const, () => recall('America/Chicago', local('America/Chicago', 40, 0).toISODate() as string), /"Visit Close Plus" needs a visit/],
		['a visit with "Recall Date Minus"', 'recallDate' as const, () => visitEvent(), /"Recall Date Minus" needs a recall/],
	])('refuses %s, naming the "anchor" field', async (_case, anchor, item, message) => {
		const result = await cadenceWait([item()], { anchor, amount: 30, unit: 'days' });
		expect(result.status).toBe('error');
		expect(result.nodeError('Cadence Wait')).toMatchObject({
			name: 'NodeOperationError',
			message: expect.stringMatching(message),
			description: 'Check the field "anchor".',
			context: { itemIndex: 0 },
		});
		expect(result.waitTill).toBeUndefined();
	});

	it('refuses an item that is not a journey, naming the "kind" field', async () => {
		const result = await cadenceWait([{ hello: 'world' }], { anchor: 'visitClose', amount: 48, unit: 'hours' });
		expect(result.nodeError('Cadence Wait')).toMatchObject({ name: 'NodeOperationError', description: 'Check the field "kind".' });
	});
});
