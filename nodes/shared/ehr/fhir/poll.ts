import { DateTime } from 'luxon';

import type { NotificationEvent, PollCursor, PollResult } from '../types';
import type { Schema, SearchParams } from './client';
import { appointmentFacts, completedStatusOf, encounterFacts, millis, ownerReference, splitList, versionedEventId } from './facts';
import type { VisitFacts } from './facts';
import type { FhirShared } from './options';
import { appointmentSchema, encounterSchema } from './resources';

type PolledResource = { id: string; meta?: { versionId?: string; lastUpdated?: string } };

/** pollChanges of the FHIR adapter: server-wide by `_lastUpdated`, or per patient for servers that require one. */
export function createPollChanges({ client, options, pageSize }: FhirShared) {
	/**
	 * `_lastUpdated=ge{since}` sorted ascending. The next cursor is the newest lastUpdated seen, never the
	 * clock, plus the ids seen at exactly that instant (`extra.seenAtSince`): the next poll asks `ge` again so a
	 * resource stamped the same millisecond but committed later is not skipped, and skips only those ids.
	 * Nothing seen → the cursor stays as it was.
	 */
	async function pollType<R extends PolledResource>(
		cursor: PollCursor,
		type: 'Encounter' | 'Appointment',
		schema: Schema<R>,
		factsOf: (resource: R) => VisitFacts,
	): Promise<PollResult> {
		const sinceMs = millis(cursor.since);
		const boundary = new Set(splitList(cursor.extra?.seenAtSince));
		const events: NotificationEvent[] = [];
		let max: { at: number; raw: string } | undefined;
		let atMax = new Set<string>();
		await client.searchPages(
			type,
			{ status: completedStatusOf[type], _lastUpdated: `ge${cursor.since}`, _sort: '_lastUpdated', _count: pageSize },
			schema,
			(resources) => {
				for (const resource of resources) {
					const eventId = versionedEventId(type, resource);
					const lastUpdated = resource.meta?.lastUpdated;
					const at = millis(lastUpdated);
					if (at !== undefined && sinceMs !== undefined && at < sinceMs) continue;
					if (at !== undefined && at === sinceMs && boundary.has(eventId)) continue;
					events.push({
						ehr: 'fhir',
						eventId,
						topic: `poll:${type}`,
						resourceType: type,
						resourceId: resource.id,
						patientId: factsOf(resource).patientId,
						resource,
						occurredAt: lastUpdated,
					});
					if (at === undefined || lastUpdated === undefined) continue;
					if (max === undefined || at > max.at) {
						max = { at, raw: lastUpdated };
						atMax = new Set([eventId]);
					} else if (at === max.at) {
						atMax.add(eventId);
					}
				}
			},
		);
		if (max === undefined) return { events, nextCursor: cursor };
		// Still at the same instant: the ids already skipped there stay skipped.
		if (max.at === sinceMs) for (const id of boundary) atMax.add(id);
		return { events, nextCursor: { since: max.raw, extra: { ...cursor.extra, seenAtSince: [...atMax].join(',') } } };
	}

	async function patientsToPoll(now: Date, zone: string): Promise<string[]> {
		if (options.pollPatients) return [...new Set(await options.pollPatients(now))];
		const today = DateTime.fromJSDate(now).setZone(zone).startOf('day');
		const params: SearchParams = {
			date: [`ge${today.minus({ days: 1 }).toISO()}`, `lt${today.plus({ days: 1 }).toISO()}`],
			_count: pageSize,
		};
		if (options.perPatient?.practitioner) params.practitioner = ownerReference(options.perPatient.practitioner);
		if (options.perPatient?.location) {
			const location = options.perPatient.location;
			params.location = location.startsWith('Location/') ? location : `Location/${location}`;
		}
		const appointments = await client.search('Appointment', params, appointmentSchema);
		return [...new Set(appointments.map((appointment) => appointmentFacts(appointment).patientId).filter((id): id is string => !!id))];
	}

	/**
	 * Per-patient polling cannot trust `_lastUpdated` (Epic may omit meta), so the cursor remembers which
	 * encounters it already emitted (`extra.emitted`, pruned to what the window still shows) instead of a time.
	 */
	async function pollPerPatient(cursor: PollCursor, now: Date): Promise<PollResult> {
		const zone = options.perPatient?.zone ?? 'UTC';
		const from = DateTime.fromJSDate(now).setZone(zone).startOf('day').minus({ days: 1 });
		const emitted = new Set(splitList(cursor.extra?.emitted));
		const stillVisible = new Set<string>();
		const events: NotificationEvent[] = [];
		let latest = millis(cursor.since) ?? 0;
		let latestRaw = cursor.since;
		for (const patientId of await patientsToPoll(now, zone)) {
			const encounters = await client.search(
				'Encounter',
				{ patient: `Patient/${patientId}`, status: 'finished', date: `ge${from.toISO()}`, _count: pageSize },
				encounterSchema,
			);
			for (const encounter of encounters) {
				const key = `Encounter/${encounter.id}`;
				stillVisible.add(key);
				const at = millis(encounter.meta?.lastUpdated);
				if (at !== undefined && at > latest) {
					latest = at;
					latestRaw = encounter.meta?.lastUpdated as string;
				}
				if (emitted.has(key)) continue;
				emitted.add(key);
				events.push({
					ehr: 'fhir',
					eventId: versionedEventId('Encounter', encounter),
					topic: 'poll:Encounter',
					resourceType: 'Encounter',
					resourceId: encounter.id,
					patientId,
					resource: encounter,
					occurredAt: encounter.meta?.lastUpdated ?? encounter.period?.end,
				});
			}
		}
		const kept = [...emitted].filter((key) => stillVisible.has(key));
		return { events, nextCursor: { since: latestRaw, extra: { ...cursor.extra, emitted: kept.join(',') } } };
	}

	return async function pollChanges(cursor: PollCursor, now: Date): Promise<PollResult> {
		if (options.pollMode === 'perPatient') return await pollPerPatient(cursor, now);
		return options.pollMode === 'appointment'
			? await pollType(cursor, 'Appointment', appointmentSchema, appointmentFacts)
			: await pollType(cursor, 'Encounter', encounterSchema, encounterFacts);
	};
}
