import { schedulingLinkFor } from '../../core/compose/links';
import { DomainError } from '../../core/errors';
import { patientZoneOf, zoneFields } from '../../core/patientZone';
import type { PatientZone } from '../../core/patientZone';
import type { ActionItem, ActionItemType, VisitEvent } from '../../core/schemas';
import type { ResolveContext } from '../types';
import { parseResource, resourcePath } from './client';
import type { Schema } from './client';
import {
	actionTypeOf,
	descriptionOf,
	dueOf,
	emailOf,
	firstNameOf,
	languageOf,
	localDate,
	phonesOf,
	postalAddressOf,
	preferredChannelOf,
	referenceId,
	zoneFromExtensions,
} from './mapping';
import type { FhirShared } from './options';
import { locationSchema, organizationSchema } from './resources';
import type { Patient, ServiceRequest } from './resources';

export interface PatientFacts {
	/**
	 * The zone, most specific first: the patient's own `timezone` extension → the ZIP code of their home address →
	 * their mobile's area code (core/patientZone.ts) → the visit's Location → the managing Organization (of the
	 * visit, the location, then the patient) → the practice default.
	 */
	resolveZone(
		patient: Patient,
		locationIds: string[],
		organizationIds: string[],
		context: ResolveContext,
	): Promise<{ zone: string; zoneSource: VisitEvent['zoneSource']; extraZones?: string[] }>;
	/** `what` names the record in the error when the patient has no first name (never a value). */
	contactOf(patient: Patient, context: ResolveContext, what: string): VisitEvent['patient'];
	/** A ServiceRequest as the patient's action item, or undefined when its type is not recognised. */
	serviceRequestItem(
		request: ServiceRequest,
		zone: string,
		context: ResolveContext,
		ids: { patientId: string; visitId?: string },
		typeOverride?: ActionItemType,
	): ActionItem | undefined;
}

/** The patient-side facts a visit and a recall share: zone, contact details, orders as action items. */
export function createPatientFacts({ client, options }: FhirShared): PatientFacts {
	/** A lookup the zone chain can do without: a server that hides Locations (403/404) just skips that source. */
	async function readOptional<T>(type: string, id: string, schema: Schema<T>): Promise<T | undefined> {
		const response = await client.send({ method: 'GET', url: resourcePath(type, id) });
		if (response.status === 403 || response.status === 404 || response.status === 410) return undefined;
		return parseResource(schema, client.ensureOk(response, `reading ${type}`).body);
	}

	const resolveZone: PatientFacts['resolveZone'] = async (patient, locationIds, organizationIds, context) => {
		const facts = {
			patientZone: zoneFromExtensions(patient.extension),
			...postalAddressOf(patient),
			phones: phonesOf(patient, options.defaultCountryCode),
		};
		return zoneFields(await patientZoneOf(facts, async () => await recordZone(patient, locationIds, organizationIds, context)));
	};

	/** The zone the EHR's own records give, when the patient's address and mobile give none. */
	async function recordZone(
		patient: Patient,
		locationIds: string[],
		organizationIds: string[],
		context: ResolveContext,
	): Promise<PatientZone> {
		const organizations = [...organizationIds];
		for (const id of locationIds) {
			const location = await readOptional('Location', id, locationSchema);
			const zone = zoneFromExtensions(location?.extension);
			if (zone) return { zone, extraZones: [], source: 'location' };
			const managing = referenceId(location?.managingOrganization, 'Organization');
			if (managing) organizations.push(managing);
		}
		const patientOrganization = referenceId(patient.managingOrganization, 'Organization');
		if (patientOrganization) organizations.push(patientOrganization);
		for (const id of [...new Set(organizations)]) {
			const organization = await readOptional('Organization', id, organizationSchema);
			const zone = zoneFromExtensions(organization?.extension);
			if (zone) return { zone, extraZones: [], source: 'practice' };
		}
		if (context.defaultZone) return { zone: context.defaultZone, extraZones: [], source: 'practice' };
		throw new DomainError(
			'No time zone for this patient: add the FHIR "timezone" extension to the Patient, Location or Organization, or set a default zone in the practice profile',
			'no_zone',
			'zone',
		);
	}

	const contactOf: PatientFacts['contactOf'] = (patient, context, what) => {
		const firstName = firstNameOf(patient);
		if (!firstName) {
			throw new DomainError(`${what}: the Patient has no given name to greet with`, 'no_first_name', 'patient.firstName');
		}
		return {
			firstName,
			phones: phonesOf(patient, options.defaultCountryCode),
			email: emailOf(patient),
			preferredChannel: preferredChannelOf(patient),
			language: languageOf(patient, context.defaultLanguage || 'en'),
		};
	};

	const serviceRequestItem: PatientFacts['serviceRequestItem'] = (request, zone, context, ids, typeOverride) => {
		const mapped = typeOverride ?? actionTypeOf(request);
		const type = mapped ?? (options.unmappedOrders && options.unmappedOrders !== 'skip' ? options.unmappedOrders : undefined);
		if (!type) return undefined;
		const due = dueOf(request);
		const item: ActionItem = {
			type,
			description: descriptionOf(type, request),
			orderId: request.id,
			dueBy: due ? localDate(due, zone) : undefined,
			done: request.status === 'completed',
		};
		item.schedulingLink = schedulingLinkFor(item, context.schedulingLinks, { ...ids, orderId: request.id });
		return item;
	};

	return { resolveZone, contactOf, serviceRequestItem };
}
