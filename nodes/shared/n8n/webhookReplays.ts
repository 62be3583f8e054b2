import type { IDataObject, IWebhookFunctions, IWebhookResponseData } from 'n8n-workflow';

import { patientKeyOf } from '../core/schemas';
import type { EhrKind } from '../core/schemas';
import { eventsByAge } from '../ehr/notifications';
import type { NotificationEvent } from '../ehr/types';
import { nowIso } from './clock';
import { openStoreFrom } from './store';

export const defaultMaxEventAgeDays = 7;

function idsOf(events: NotificationEvent[]): string {
	return events.map((event) => event.eventId).join(', ');
}

/**
 * One journal line per refused event, when the trigger has a journey store: the journal is where ops look for
 * what happened to a delivery that started nothing. A store that cannot be reached is logged, not thrown: the
 * refusal stands either way.
 */
async function journalTooOld(context: IWebhookFunctions, events: NotificationEvent[], maxAgeDays: number): Promise<void> {
	if (!context.getNode().credentials?.journeyStoreApi) return;
	try {
		const store = await openStoreFrom(await context.getCredentials('journeyStoreApi'));
		try {
			const at = nowIso();
			for (const event of events) {
				await store.append({
					at,
					journeyId: `pending:event:${event.ehr}:${event.eventId}`,
					patientKey: patientKeyOf({ ehr: event.ehr, practiceId: event.practiceId, patientId: event.patientId ?? 'unknown' }),
					type: 'event.refused',
					code: 'tooOld',
					detail: { eventId: event.eventId, topic: event.topic, occurredAt: event.occurredAt ?? null, maxAgeDays },
				});
			}
		} finally {
			await store.close();
		}
	} catch (error) {
		const reason = error instanceof Error ? error.name : 'unknown error';
		context.logger.warn(`EHR Trigger could not journal the refused events ${idsOf(events)} (${reason})`);
	}
}

/**
 * Starts an execution with the events whose own time is within "Maximum Event Age (Days)", and refuses the
 * others: a captured signed delivery replayed after the journey store's claims were pruned would otherwise start
 * a journey again. Polls are not aged (they may catch up after an outage). All refused → 400.
 */
export async function startFreshEvents(context: IWebhookFunctions, ehr: EhrKind, events: NotificationEvent[]): Promise<IWebhookResponseData> {
	const maxAgeDays = context.getNodeParameter('maxEventAgeDays', defaultMaxEventAgeDays) as number;
	const { fresh, tooOld } = eventsByAge(events, nowIso(), maxAgeDays);
	if (tooOld.length > 0) {
		const what = `older than ${maxAgeDays} days by their own time (events ${idsOf(tooOld)})`;
		context.logger.warn(
			fresh.length === 0
				? `EHR Trigger refused a ${ehr} delivery with 400: every event is ${what}`
				: `EHR Trigger dropped ${tooOld.length} of the events of a ${ehr} delivery: ${what}`,
		);
		await journalTooOld(context, tooOld, maxAgeDays);
	}
	if (fresh.length === 0) {
		context.getResponseObject().status(400).json({ error: 'Event too old' });
		return { noWebhookResponse: true };
	}
	return {
		workflowData: [fresh.map((event) => ({ json: event as unknown as IDataObject }))],
		webhookResponse: { received: true, events: fresh.length },
	};
}
