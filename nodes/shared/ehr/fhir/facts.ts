import { DateTime } from 'luxon';

import { parseReference, referenceId } from './mapping';
import type { Appointment, Encounter } from './resources';

/** What the adapter needs of a visit, whether the server calls it an Encounter or an Appointment. */
export interface VisitFacts {
	type: 'Encounter' | 'Appointment';
	id: string;
	status: string;
	patientId?: string;
	completedAt?: string;
	/** The encounter's own end (Encounter.period.end), without fallbacks; absent for appointments. */
	periodEnd?: string;
	locationIds: string[];
	organizationIds: string[];
	providerName?: string;
}

export const completedStatusOf = { Encounter: 'finished', Appointment: 'fulfilled' } as const;

export function encounterFacts(encounter: Encounter): VisitFacts {
	const attending = encounter.participant?.find((participant) =>
		participant.type?.some((type) => type.coding?.some((coding) => coding.code === 'ATND' || coding.code === 'PPRF')),
	);
	const practitioner =
		attending?.individual ??
		encounter.participant?.find((participant) => parseReference(participant.individual?.reference)?.type === 'Practitioner')
			?.individual;
	return {
		type: 'Encounter',
		id: encounter.id,
		status: encounter.status,
		patientId: referenceId(encounter.subject, 'Patient'),
		completedAt: encounter.period?.end ?? encounter.meta?.lastUpdated,
		periodEnd: encounter.period?.end,
		locationIds: (encounter.location ?? [])
			.map((entry) => referenceId(entry.location, 'Location'))
			.filter((value): value is string => value !== undefined),
		organizationIds: [referenceId(encounter.serviceProvider, 'Organization')].filter(
			(value): value is string => value !== undefined,
		),
		providerName: practitioner?.display,
	};
}

export function appointmentFacts(appointment: Appointment): VisitFacts {
	const actors = (appointment.participant ?? []).map((participant) => participant.actor);
	const ofType = (type: string) =>
		actors.map((actor) => referenceId(actor, type)).filter((value): value is string => value !== undefined);
	return {
		type: 'Appointment',
		id: appointment.id,
		status: appointment.status,
		patientId: ofType('Patient')[0],
		completedAt: appointment.end ?? appointment.meta?.lastUpdated ?? appointment.start,
		locationIds: ofType('Location'),
		organizationIds: [],
		providerName: actors.find((actor) => parseReference(actor?.reference)?.type === 'Practitioner')?.display,
	};
}

export function toInstant(value: string, zone: string): string | undefined {
	const parsed = DateTime.fromISO(value, { zone, setZone: true });
	return parsed.isValid ? (parsed.toUTC().toISO() ?? undefined) : undefined;
}

export function millis(value: string | undefined): number | undefined {
	if (!value) return undefined;
	const parsed = Date.parse(value);
	return Number.isNaN(parsed) ? undefined : parsed;
}

/** A staff member's reference: given in full (`PractitionerRole/7`), or a bare id read as a Practitioner's. */
export function ownerReference(assigneeId: string): string {
	const parsed = parseReference(assigneeId);
	return parsed && `${parsed.type}/${parsed.id}` === assigneeId ? assigneeId : `Practitioner/${assigneeId}`;
}

export function versionedEventId(type: string, resource: { id: string; meta?: { versionId?: string; lastUpdated?: string } }): string {
	if (resource.meta?.versionId) return `${type}/${resource.id}/_history/${resource.meta.versionId}`;
	if (resource.meta?.lastUpdated) return `${type}/${resource.id}@${resource.meta.lastUpdated}`;
	return `${type}/${resource.id}`;
}

export function splitList(value: string | undefined): string[] {
	return (value ?? '').split(',').filter(Boolean);
}
