import { DateTime } from 'luxon';

import { EhrHttpError } from '../http';
import type { NotificationEvent, PollCursor, PollResult } from '../types';
import { EHR, athenaDateTime, easternDateTime, isCompletedStatus, isoOf, rawVendorError, vendorErrorText } from './mapping';
import type { AthenaReadWindow, AthenaShared } from './options';
import { successSchema } from './schemas';
import type { AthenaAppointment } from './schemas';

const notSubscribedText = 'require setup (subscription)';

/** The read window recorded in a cursor by pollChanges, if any. */
export function lastReadWindow(cursor: PollCursor | undefined): AthenaReadWindow | undefined {
	const start = cursor?.extra?.lastReadStart;
	const end = cursor?.extra?.lastReadEnd;
	return start && end ? { start, end } : undefined;
}

/** The completed visits among appointment records (changed feed or a plain list), one event per change. */
export function eventsOf(
	records: AthenaAppointment[],
	practiceId: string,
	timestampZone: string,
	topic = 'appointments/changed',
): NotificationEvent[] {
	const events = new Map<string, NotificationEvent>();
	for (const record of records) {
		if (!isCompletedStatus(record.appointmentstatus)) continue;
		// Stable across re-reads: the same change always yields the same id.
		const { appointmentid, appointmentstatus, lastmodified } = record;
		const eventId = `appointment:${appointmentid}:status:${appointmentstatus}:${lastmodified ?? ''}`;
		if (events.has(eventId)) continue;
		const modified = athenaDateTime(record.lastmodified, timestampZone);
		events.set(eventId, {
			ehr: EHR,
			eventId,
			topic,
			resourceType: 'Appointment',
			resourceId: record.appointmentid,
			practiceId,
			...(record.patientid ? { patientId: record.patientid } : {}),
			...(record.departmentid ? { departmentId: record.departmentid } : {}),
			// Only the change's own facts travel on: athena's record also carries notes and patient details.
			resource: {
				appointmentid: record.appointmentid,
				appointmentstatus: record.appointmentstatus,
				...(record.departmentid ? { departmentid: record.departmentid } : {}),
				...(record.date ? { date: record.date } : {}),
				...(record.lastmodified ? { lastmodified: record.lastmodified } : {}),
			},
			...(modified ? { occurredAt: isoOf(modified) } : {}),
		});
	}
	return [...events.values()];
}

/** pollChanges and rereadProcessed of the athenahealth adapter, over the destructive changed feed. */
export function createChangedFeed({ client, options, timestampZone, departmentIds }: AthenaShared) {
	const { practiceId } = client;

	/** One changed-feed read (all pages); 'notSubscribed' when athena says the subscription is missing. */
	async function readChanged(qs: Record<string, string>): Promise<AthenaAppointment[] | 'notSubscribed'> {
		const records = await client.appointmentPages(
			{ method: 'GET', url: client.pathOf('appointments', 'changed'), qs },
			'changed appointments',
			'reading the appointment changed feed',
			(response) => response.status >= 400 && rawVendorError(response.body).includes(notSubscribedText),
		);
		return records ?? 'notSubscribed';
	}

	/** Each configured department (athena filters by one departmentid per call), or the whole practice. */
	function perDepartment(qs: Record<string, string>): Array<Record<string, string>> {
		return departmentIds.length > 0 ? departmentIds.map((departmentid) => ({ ...qs, departmentid })) : [qs];
	}

	async function subscribe(): Promise<void> {
		const events = options.subscriptionEvents?.filter(Boolean) ?? [];
		const action = 'subscribing to the appointment changed feed';
		for (const eventname of events.length > 0 ? events : [undefined]) {
			const form: Record<string, string> = eventname ? { eventname } : {};
			if (departmentIds.length > 0) form.departmentids = departmentIds.join(',');
			const response = await client.send({ method: 'POST', url: client.pathOf('appointments', 'changed', 'subscription'), form }, action);
			if (successSchema.safeParse(response.body).data?.success === false) {
				const detail = vendorErrorText(response.body) ?? 'refused';
				throw new EhrHttpError(EHR, response.status, `${action}: ${detail}`, false);
			}
		}
	}

	async function rereadRecords(window: AthenaReadWindow): Promise<AthenaAppointment[]> {
		const records: AthenaAppointment[] = [];
		const qs = {
			showprocessedstartdatetime: window.start,
			showprocessedenddatetime: window.end,
			// A server that also returns new changes in a re-read must not consume them here.
			leaveunprocessed: 'true',
		};
		for (const departmentQs of perDepartment(qs)) {
			const read = await readChanged(departmentQs);
			if (read !== 'notSubscribed') records.push(...read);
		}
		return records;
	}

	/*
	 * The changed feed is a DESTRUCTIVE read: a GET marks what it returns as processed, and athena does not
	 * return it again. Why nothing is lost anyway:
	 * 1. This method returns the events to the poll trigger, which hands them to n8n; n8n writes the new
	 *    execution, with these items as the trigger's output, to its database before any downstream node runs.
	 *    A workflow that fails later leaves a failed execution holding the items (retry it from the UI), and
	 *    every event is claimed in the journey store before anything is sent.
	 * 2. The remaining gap is a crash between athena's answer and n8n persisting the execution. For that the
	 *    cursor records the window this read consumed (extra.lastReadStart/lastReadEnd, Eastern, as athena wants
	 *    them); `rereadProcessed(window)` fetches those changes again with showprocessedstartdatetime/
	 *    showprocessedenddatetime (athena keeps processed messages for a short time only, so do it promptly).
	 *    Each poll does that itself before its own read: it re-reads what was processed between the end of the
	 *    last successful read (extra.lastReadAt in the cursor n8n saved; athena's clock may lag ours by less than
	 *    a poll interval) and now. Normally that is nothing; after a poll that read
	 *    the feed and then failed before n8n saved its output, it is exactly what that poll consumed.
	 * 3. Re-reading is safe: event ids are built from appointment id + status + lastmodified, so a re-read
	 *    yields the same ids, and the journey store's claims turn repeats into visible duplicates, not messages.
	 * cursor.extra.leaveUnprocessed = "true" reads without consuming (athena's leaveunprocessed; for tests and
	 * the editor's "fetch test event"); such a read leaves the cursor as it was.
	 */
	async function pollChanges(cursor: PollCursor, now: Date): Promise<PollResult> {
		const margin = options.readWindowMarginMinutes ?? 5;
		const nowTime = DateTime.fromJSDate(now);
		const leaveUnprocessed = cursor.extra?.leaveUnprocessed === 'true';
		const windowStart = easternDateTime(nowTime.minus({ minutes: margin }));
		const readStarted = performance.now();
		const records: AthenaAppointment[] = [];
		const lost = lastReadWindow(cursor);
		// From the end of the last saved read, not of its window (+ margin): a crash minutes later must be covered.
		const rereadFrom = cursor.extra?.lastReadAt ?? lost?.start;
		if (lost && rereadFrom && !leaveUnprocessed) {
			records.push(...(await rereadRecords({ start: rereadFrom, end: easternDateTime(nowTime) })));
		}
		let subscriptionRequestedAt: string | undefined;
		for (const qs of perDepartment(leaveUnprocessed ? { leaveunprocessed: 'true' } : {})) {
			let read = await readChanged(qs);
			if (read === 'notSubscribed') {
				await subscribe();
				subscriptionRequestedAt = now.toISOString();
				// athena activates a subscription within minutes (10-15 in preview): usually nothing to read yet.
				read = await readChanged(qs);
			}
			if (read !== 'notSubscribed') records.push(...read);
		}
		const windowEnd = easternDateTime(nowTime.plus({ minutes: margin }));
		// When this read was over, rounded up to athena's whole seconds: what it consumed is stamped before it.
		const readEnd = nowTime.plus({ milliseconds: performance.now() - readStarted, seconds: 1 }).startOf('second');

		// Turning the trigger on must not replay old visits still queued in the feed.
		const since = DateTime.fromISO(cursor.since, { setZone: true });
		const staleBefore = since.isValid ? since.minus({ hours: options.staleChangeHours ?? 6 }) : undefined;
		const fresh = records.filter((record) => {
			const modified = athenaDateTime(record.lastmodified, timestampZone);
			return !staleBefore || !modified || modified >= staleBefore;
		});

		const extra: Record<string, string> = leaveUnprocessed
			? { ...(cursor.extra ?? {}) }
			: { lastReadStart: windowStart, lastReadEnd: windowEnd, lastReadAt: easternDateTime(readEnd) };
		delete extra.leaveUnprocessed;
		if (subscriptionRequestedAt) extra.subscriptionRequestedAt = subscriptionRequestedAt;
		const advance = !leaveUnprocessed && (!since.isValid || nowTime > since);
		return { events: eventsOf(fresh, practiceId, timestampZone), nextCursor: { since: advance ? isoOf(nowTime) : cursor.since, extra } };
	}

	return {
		pollChanges,
		rereadProcessed: async (window: AthenaReadWindow) => eventsOf(await rereadRecords(window), practiceId, timestampZone),
	};
}
