import { join } from 'node:path';

import { parseTwilioStatusCallback } from '../../nodes/shared/core/deliveryStatus';
import { DomainError } from '../../nodes/shared/core/errors';
import { buildFollowUpReport } from '../../nodes/shared/flows/followUpReport';
import { recordDelivery, recordSettledDelivery } from '../../nodes/shared/flows/recordDelivery';
import { openJourneyStore } from '../../nodes/shared/store';
import type { JournalEntry, JourneyStore } from '../../nodes/shared/store/types';
import { tempDir, testContactHashSecret } from '../helpers/fixtures';

/*
 * The Delivery Status Trigger records delivered and answered statuses in its webhook (recordSettledDelivery);
 * Record Delivery records every status in an execution (recordDelivery). Both must leave the same journal, and
 * so the same "delivered within 2 hours" figure. Fixed instants: nothing here depends on the clock.
 */
const closedAt = '2026-03-02T15:00:00.000Z';
const sentAt = '2026-03-02T15:01:00.000Z';
const deliveredAt = '2026-03-02T15:03:00.000Z';
const journeyId = 'visit:fhir:enc-41';
const patientKey = 'fhir:pat-41';
const sid = 'SM' + 'd4'.repeat(16);

const delivered = parseTwilioStatusCallback({ MessageSid: sid, MessageStatus: 'delivered', To: '+15125550141', From: '+15125550199' });

async function storeWithSentSummary(): Promise<JourneyStore> {
	const store = await openJourneyStore({ backend: 'sqlite', path: join(tempDir(), 'journey.sqlite'), contactHashSecret: testContactHashSecret });
	await store.recordJourney({
		journeyId,
		patientKey,
		kind: 'visit',
		ehr: 'fhir',
		departmentId: '1',
		patientId: 'pat-41',
		sourceId: 'enc-41',
		sourceType: 'encounter',
		anchorAt: closedAt,
		startedAt: closedAt,
		zone: 'America/Chicago',
	});
	await store.append({ at: sentAt, journeyId, patientKey, type: 'touch.sent', stage: 1, channel: 'sms', providerId: sid, templateId: 'careSummary' });
	return store;
}

const withoutReload = async (): Promise<never> => {
	throw new Error('a delivered status must not fetch the visit again');
};

async function careSummaryFigures(store: JourneyStore) {
	const period = { from: '2026-03-02T00:00:00.000Z', to: '2026-03-03T00:00:00.000Z', zone: 'UTC', label: '2 March 2026' };
	const { report, journeys } = await buildFollowUpReport(store, { period, departments: [], asOf: '2026-03-10T00:00:00.000Z' });
	return { figures: report.careSummaries, row: journeys[0] };
}

const deliveredEntries = async (store: JourneyStore): Promise<JournalEntry[]> => await store.journal({ journeyId, type: 'touch.delivered' });

describe('recordSettledDelivery (the trigger\'s webhook) and recordDelivery (Record Delivery) record a delivered SMS alike', () => {
	it('journal the same entry, so the "delivered within 2 hours" figure is the same', async () => {
		const byTrigger = await storeWithSentSummary();
		const byRecordDelivery = await storeWithSentSummary();
		try {
			const settled = await recordSettledDelivery({ report: delivered, store: byTrigger, now: deliveredAt });
			const recorded = await recordDelivery({ report: delivered, store: byRecordDelivery, now: deliveredAt, reload: withoutReload, nodeName: 'Record Delivery' });
			expect(settled).toEqual(recorded);
			expect(settled).toMatchObject({ output: 'recorded', reason: 'recorded' });

			const [triggerEntry] = await deliveredEntries(byTrigger);
			expect(await deliveredEntries(byRecordDelivery)).toEqual([triggerEntry]);
			expect(triggerEntry).toMatchObject({ at: deliveredAt, stage: 1, channel: 'sms', code: 'delivered', providerId: sid, templateId: 'careSummary', detail: { status: 'delivered' } });

			const fromTrigger = await careSummaryFigures(byTrigger);
			expect(await careSummaryFigures(byRecordDelivery)).toEqual(fromTrigger);
			expect(fromTrigger.figures.delivered).toMatchObject({ numerator: 1, denominator: 1 });
			expect(fromTrigger.figures.byChannel.sms).toEqual({ sent: 1, sentWithin: 1, deliveredWithin: 1, undelivered: 0 });
			expect(fromTrigger.row).toMatchObject({ summaryDelivered: 'yes', summaryDeliveredAt: deliveredAt, summaryDeliveryEvidence: 'smsDelivered' });
		} finally {
			await byTrigger.close();
			await byRecordDelivery.close();
		}
	});

	it('count a status once whichever of the two gets it first', async () => {
		const store = await storeWithSentSummary();
		try {
			await recordSettledDelivery({ report: delivered, store, now: deliveredAt });
			const later = await recordDelivery({ report: delivered, store, now: '2026-03-02T15:04:00.000Z', reload: withoutReload, nodeName: 'Record Delivery' });
			expect(later).toMatchObject({ output: 'recorded', reason: 'duplicate' });
			expect(await recordSettledDelivery({ report: delivered, store, now: '2026-03-02T15:05:00.000Z' })).toMatchObject({ reason: 'duplicate' });
			expect(await deliveredEntries(store)).toHaveLength(1);
		} finally {
			await store.close();
		}
	});

	it('give the claim back when the journal cannot be written, so the provider\'s retry records the status', async () => {
		const store = await storeWithSentSummary();
		try {
			const failingAppend: JourneyStore = Object.create(store);
			failingAppend.append = async () => {
				throw new Error('disk I/O error');
			};
			await expect(recordSettledDelivery({ report: delivered, store: failingAppend, now: deliveredAt })).rejects.toThrow('disk I/O error');
			expect(await recordSettledDelivery({ report: delivered, store, now: '2026-03-02T15:04:00.000Z' })).toMatchObject({ reason: 'recorded' });
			expect(await deliveredEntries(store)).toHaveLength(1);
		} finally {
			await store.close();
		}
	});
});

describe('recordSettledDelivery', () => {
	it('drops intermediate statuses and provider ids no touch carries', async () => {
		const store = await storeWithSentSummary();
		try {
			const sent = parseTwilioStatusCallback({ MessageSid: sid, MessageStatus: 'sent' });
			const unknown = parseTwilioStatusCallback({ MessageSid: 'SM' + 'e5'.repeat(16), MessageStatus: 'delivered' });
			expect(await recordSettledDelivery({ report: sent, store, now: deliveredAt })).toEqual({ output: 'recorded', reason: 'intermediate' });
			expect(await recordSettledDelivery({ report: unknown, store, now: deliveredAt })).toEqual({ output: 'recorded', reason: 'unknownTouch' });
			expect(await deliveredEntries(store)).toEqual([]);
		} finally {
			await store.close();
		}
	});

	it('refuses an undelivered status without claiming it: its fallback needs Record Delivery', async () => {
		const store = await storeWithSentSummary();
		try {
			const undelivered = parseTwilioStatusCallback({ MessageSid: sid, MessageStatus: 'undelivered', ErrorCode: '30003' });
			const refusal = recordSettledDelivery({ report: undelivered, store, now: deliveredAt });
			await expect(refusal).rejects.toBeInstanceOf(DomainError);
			await expect(refusal).rejects.toMatchObject({ code: 'needs_follow_up', field: 'outcome' });
			expect(await store.claim(`delivery:${sid}`, { journeyId, patientKey, stage: 1, channel: 'sms' }, deliveredAt)).toBe(true);
		} finally {
			await store.close();
		}
	});
});
