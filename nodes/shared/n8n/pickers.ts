import { NodeOperationError } from 'n8n-workflow';
import type { ILoadOptionsFunctions, INodePropertyOptions } from 'n8n-workflow';

import { assigneeIdFor } from '../core/practice';
import type { StaffMember } from '../core/practice';
import type { EhrKind } from '../core/schemas';
import { ehrDisplayName, sentence } from '../core/summaries';
import { ehrAdapterFor } from './ehr';
import { toNodeError } from './errors';
import { practiceProfileFromCredential } from './profile';

/*
 * The lists the editor shows in the pack's dropdowns (methods.loadOptions). Each runs when the node's panel opens,
 * with the node's credentials as they are set there; what it cannot list it says in a warning the editor shows
 * next to the field, naming what to do instead.
 */

function warning(context: ILoadOptionsFunctions, message: string): NodeOperationError {
	return new NodeOperationError(context.getNode(), message, { level: 'warning' });
}

/** One line under a person's name: the key workflows store, how they are told, and what would stop a task. */
function staffLine(member: StaffMember, ehr: EhrKind | undefined): string {
	const parts = [`key "${member.key}"`, `notified by ${member.notifyBy}`];
	const address = member.notifyBy === 'sms' ? member.phone : member.email;
	if (!address && !member.email && !member.phone) parts.push('no email or phone: cannot be notified');
	else if (!address) parts.push(`no ${member.notifyBy === 'sms' ? 'phone' : 'email'}: told on the other channel`);
	if (ehr && !assigneeIdFor(member, ehr)) parts.push(`no user id for ${ehrDisplayName(ehr)}: the task is not assigned there`);
	return parts.join(' · ');
}

/** The practice profile's staff directory, for EHR Task's Assignee: a person's name, stored as their key. */
export async function staffDirectory(this: ILoadOptionsFunctions): Promise<INodePropertyOptions[]> {
	let credential;
	try {
		credential = await this.getCredentials('practiceProfileApi');
	} catch {
		throw warning(this, 'Select a Post-Visit Practice Profile credential first: this list is its Staff Directory');
	}
	let staff: StaffMember[];
	try {
		staff = practiceProfileFromCredential(credential).staff;
	} catch (error) {
		throw toNodeError(this.getNode(), error);
	}
	if (staff.length === 0) {
		throw warning(this, 'The practice profile\'s Staff Directory is empty: add the people who take over journeys there');
	}
	const ehr = this.getNodeParameter('ehr', undefined) as EhrKind | undefined;
	return staff.map((member) => ({ name: member.name, value: member.key, description: staffLine(member, ehr) }));
}

/**
 * The EHR's appointment types, for Booking Check's "Appointment Types That Count": what findFollowUp compares
 * (athenahealth appointment type ids, DrChrono appointment profile ids, FHIR appointmentType codes). An EHR that
 * lists none gets a warning that says how to type them instead.
 */
export async function ehrAppointmentTypes(this: ILoadOptionsFunctions): Promise<INodePropertyOptions[]> {
	const ehr = this.getNodeParameter('ehr', 'fhir') as EhrKind;
	const name = sentence(ehrDisplayName(ehr));
	const typeByHand = 'switch this field to Expression and type them, comma-separated';
	let types;
	try {
		const adapter = await ehrAdapterFor(this, ehr);
		if (!adapter.listAppointmentTypes) {
			const asShown = `as ${ehrDisplayName(ehr)} shows them (e.g. the appointment reasons)`;
			throw warning(this, `${name} lists no appointment types through its API: ${typeByHand} ${asShown}`);
		}
		types = await adapter.listAppointmentTypes();
	} catch (error) {
		throw toNodeError(this.getNode(), error);
	}
	if (types.length === 0) {
		const why = 'a FHIR server needs an appointment-type ValueSet';
		throw warning(this, `${name} offers no list of appointment types (${why}): ${typeByHand}, e.g. FOLLOWUP, ROUTINE`);
	}
	return types.map(({ name: typeName, value, description }) => ({ name: typeName, value, ...(description ? { description } : {}) }));
}
