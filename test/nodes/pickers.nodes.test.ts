import type { ICredentialDataDecryptedObject, INodeParameters } from 'n8n-workflow';

import { BookingCheck } from '../../nodes/BookingCheck/BookingCheck.node';
import { EhrTask } from '../../nodes/EhrTask/EhrTask.node';
import type { EhrKind } from '../../nodes/shared/core/schemas';
import { useEhrSandboxes } from '../helpers/ehrSandboxes';
import { loadNodeOptions, single } from '../helpers/engine';
import { packCredentialTypes, practiceProfileCredential } from '../helpers/fixtures';

/*
 * The dropdowns as the editor fills them when a node's panel opens: each node's loadOptions method in n8n-core's
 * LoadOptionsContext, with the node's own credentials (the practice profile, the EHR's against the local servers).
 */

const sandbox = useEhrSandboxes();
const nodeTypes = { ehrTask: new EhrTask(), bookingCheck: new BookingCheck() };

const coordinator = {
	key: 'care-coordinator',
	name: 'Maria Lopez',
	ehrUserIds: { fhir: 'Practitioner/staff-1', athenahealth: 'jcoordinator' },
	email: 'maria@example.test',
	notifyBy: 'email',
};
const frontDesk = { key: 'front-desk', name: 'Sam Reyes', phone: '+15125550123', notifyBy: 'sms' };

async function assigneeOptions(ehr: EhrKind, credentials: Record<string, ICredentialDataDecryptedObject>) {
	return await loadNodeOptions(single('EHR Task', 'ehrTask', { ehr }, []), { nodeTypes, credentials, credentialTypes: packCredentialTypes() }, 'EHR Task', 'staffDirectory');
}

describe('EHR Task: the Assignee dropdown is the practice profile\'s staff directory', () => {
	it('lists each person by name, stored as their key, with how they are told and what would leave a task unassigned', async () => {
		const practiceProfileApi = practiceProfileCredential({ staff: JSON.stringify([coordinator, frontDesk]) });
		expect(await assigneeOptions('drchrono', { practiceProfileApi })).toEqual([
			{ name: 'Maria Lopez', value: 'care-coordinator', description: 'key "care-coordinator" · notified by email · no user id for DrChrono: the task is not assigned there' },
			{ name: 'Sam Reyes', value: 'front-desk', description: 'key "front-desk" · notified by sms · no user id for DrChrono: the task is not assigned there' },
		]);
		expect((await assigneeOptions('athenahealth', { practiceProfileApi }))[0]).toEqual({
			name: 'Maria Lopez',
			value: 'care-coordinator',
			description: 'key "care-coordinator" · notified by email',
		});
	});

	it.each<[string, Record<string, ICredentialDataDecryptedObject>, RegExp]>([
		['no practice profile credential on the node', {}, /^Select a Post-Visit Practice Profile credential first/],
		['an empty staff directory', { practiceProfileApi: practiceProfileCredential({ staff: '[]' }) }, /Staff Directory is empty/],
		[
			'a staff directory the credential test refuses',
			{ practiceProfileApi: practiceProfileCredential({ staff: JSON.stringify([{ ...coordinator, email: 'maria' }]) }) },
			/^Practice profile: \(Advanced\) Staff Directory JSON, entry 1 \(key "care-coordinator"\), email must be an email address$/,
		],
	])('with %s, says what to do instead of an empty list', async (_case, credentials, message) => {
		await expect(assigneeOptions('fhir', credentials)).rejects.toThrow(message);
	});
});

async function appointmentTypeOptions(ehr: EhrKind, credentials: Record<string, ICredentialDataDecryptedObject>, parameters: INodeParameters = {}) {
	return await loadNodeOptions(
		single('Booking Check', 'bookingCheck', { ehr, ...parameters }, [], { typeVersion: 1.1 }),
		{ nodeTypes, credentials, credentialTypes: packCredentialTypes() },
		'Booking Check',
		'ehrAppointmentTypes',
	);
}

describe('Booking Check: "Appointment Types That Count" lists the EHR\'s own types', () => {
	it.each<[EhrKind, string[]]>([
		['athenahealth', ['Allergy Test', 'Any 15', 'Follow-Up Visit', 'Physical Exam']],
		['drchrono', ['Annual physical', 'Follow-up', 'Lab draw']],
	])('%s: through the node\'s EHR credential', async (ehr, names) => {
		const options = await appointmentTypeOptions(ehr, sandbox.credentials(ehr));
		expect(options.map((option) => option.name)).toEqual(names);
		expect(options.every((option) => typeof option.value === 'string' && option.value !== '')).toBe(true);
	});

	it('a FHIR server without an appointment-type ValueSet: a warning that says to type the codes', async () => {
		await expect(appointmentTypeOptions('fhir', sandbox.credentials('fhir'))).rejects.toThrow(
			/^The FHIR server offers no list of appointment types .*switch this field to Expression and type them, comma-separated, e\.g\. FOLLOWUP, ROUTINE$/,
		);
	});

	it('Tebra: its API lists none, so the warning names the appointment reasons to type', async () => {
		const tebraApi = { customerKey: 'k', user: 'u', password: 'p', practiceName: 'Riverside', zone: 'America/Chicago', endpoint: 'http://127.0.0.1:9/' };
		await expect(appointmentTypeOptions('tebra', { tebraApi })).rejects.toThrow(/^Tebra lists no appointment types through its API: .*appointment reasons/);
	});

	it('an EHR that refuses the request: its error, with the status', async () => {
		sandbox.athena.injectFault({ path: '/appointmenttypes', status: 403, body: { error: 'Not authorized.' } });
		await expect(appointmentTypeOptions('athenahealth', sandbox.credentials('athenahealth'))).rejects.toThrow(/athenahealth answered 403/);
	});
});
