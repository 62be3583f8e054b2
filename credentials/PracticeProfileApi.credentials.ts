import type { ICredentialType, INodeProperties } from 'n8n-workflow';

import { schedulingLinkKeys } from '../nodes/shared/core/practiceRows';
import { actionItemTypeNames } from '../nodes/shared/core/schemas';
import { timeZoneOptions } from '../nodes/shared/core/zones';

const schedulingLinkNames: Record<(typeof schedulingLinkKeys)[number], string> = {
	default: 'Default (Any Other Order Type)',
	...actionItemTypeNames,
};

/** One staff member's fields; the EHR user ids are flat fields so the form needs no nested collection. */
const staffRowProperties: INodeProperties[] = [
	{ displayName: 'Key', name: 'key', type: 'string', default: '', placeholder: 'care-coordinator', description: 'What the EHR Task node refers to: a role name such as care-coordinator' },
	{ displayName: 'Name', name: 'name', type: 'string', default: '', placeholder: 'Maria Lopez' },
	{ displayName: 'Email', name: 'email', type: 'string', placeholder: 'name@email.com', default: '' },
	{ displayName: 'Mobile Phone', name: 'phone', type: 'string', default: '', placeholder: '+15125550100', description: 'In international form; needed to notify by SMS' },
	{
		displayName: 'Notify By',
		name: 'notifyBy',
		type: 'options',
		options: [
			{ name: 'Email', value: 'email' },
			{ name: 'SMS', value: 'sms' },
		],
		default: 'email',
		description: 'How they are told that a task waits for them',
	},
	{ displayName: 'EHR User ID (Any EHR)', name: 'ehrUserId', type: 'string', default: '', description: 'Their ID in the EHR, used where no per-EHR ID below is given' },
	{ displayName: 'athenahealth Username', name: 'athenahealthUserId', type: 'string', default: '', description: 'Their athenaNet username' },
	{ displayName: 'DrChrono Username', name: 'drchronoUserId', type: 'string', default: '', description: 'Their DrChrono username, or group:<ID> for a task group' },
	{ displayName: 'FHIR Practitioner', name: 'fhirUserId', type: 'string', default: '', placeholder: 'Practitioner/123' },
	{ displayName: 'Tebra User ID', name: 'tebraUserId', type: 'string', default: '' },
	{ displayName: 'HL7 v2 User ID', name: 'hl7v2UserId', type: 'string', default: '' },
];

/**
 * The practice's rules in one place, read at run time by every node, so a change applies to journeys
 * already in flight. It holds no secret; it is a credential because n8n's variables are a paid feature
 * and `$env` is blocked in n8n 2.x. Checked by the nodes' `practiceProfileTest`.
 */
export class PracticeProfileApi implements ICredentialType {
	name = 'practiceProfileApi';

	displayName = 'Post-Visit Practice Profile';

	icon = { light: 'file:practiceProfile.svg', dark: 'file:practiceProfile.dark.svg' } as const;

	documentationUrl = 'https://www.npmjs.com/package/n8n-nodes-post-visit#post-visit-practice-profile';

	properties: INodeProperties[] = [
		{
			displayName: 'Outreach Paused',
			name: 'outreachPaused',
			type: 'boolean',
			default: false,
			description:
				'Whether to hold every patient message (SMS, email, voice) of every workflow of the practice. Journeys keep their place and go on when this is switched off again, following the catch-up rule below. Replies to STOP, START and HELP, staff notifications and EHR tasks continue.',
		},
		{
			displayName: 'Test Mode: Send Only To',
			name: 'testModeSendOnlyTo',
			type: 'string',
			typeOptions: { rows: 3 },
			default: '',
			placeholder: '+15125550100, test.patient@yourpractice.com',
			description:
				'Test mode, for going live: patient messages (SMS, email, voice, answers to texts) go only to these phone numbers and email addresses, one per line or comma-separated. Every other patient gets nothing, is journaled "suppressed: test mode", and their journey ends for good (it sends nothing later, even after test mode is off). Staff notifications and EHR tasks are not affected. Leave empty to turn test mode off. While Outreach Paused is on, nothing is sent at all.',
		},
		{
			displayName: 'Catch-Up Rule',
			name: 'catchUpRule',
			type: 'options',
			options: [
				{
					name: 'Send at the Next Allowed Time',
					value: 'nextAllowed',
					description: 'A step that fell due during a pause (or while its workflow was off) goes on when it can; the EHR is asked again first',
				},
				{
					name: 'Hand to Staff When Too Late',
					value: 'handToStaff',
					description: 'A step more late than the limit below goes to a person (EHR task) instead of a message',
				},
			],
			default: 'nextAllowed',
		},
		{
			displayName: 'Too Late After (Hours)',
			name: 'catchUpMaxLateHours',
			type: 'number',
			typeOptions: { minValue: 1 },
			default: 24,
			displayOptions: { show: { catchUpRule: ['handToStaff'] } },
		},
		{
			displayName: 'Practice Name',
			name: 'practiceName',
			type: 'string',
			default: '',
			required: true,
			description: 'As patients know it; appears in every message',
		},
		{
			displayName: 'Practice Phone',
			name: 'practicePhone',
			type: 'string',
			default: '',
			required: true,
			placeholder: '(512) 555-0100',
		},
		{
			displayName: 'Default Time Zone',
			name: 'defaultZone',
			type: 'options',
			options: [{ name: 'None (Patient or Visit Location Zone Only)', value: '' }, ...timeZoneOptions()],
			default: '',
			description: 'Used only when neither the patient nor the visit location has a time zone. Never the server\'s zone.',
		},
		{
			displayName: 'Default Language',
			name: 'defaultLanguage',
			type: 'string',
			default: 'en',
			placeholder: 'en',
			description:
				'Language code for patients whose EHR record names none: en, es, or any language with texts in the "Post-Visit Message Texts" credential (e.g. fr)',
		},
		{
			displayName: 'Send Window Start',
			name: 'windowStart',
			type: 'string',
			default: '09:00',
			description: 'Earliest local time (patient\'s zone) a message may go out; not before 08:00',
		},
		{
			displayName: 'Send Window End',
			name: 'windowEnd',
			type: 'string',
			default: '20:00',
			description: 'Messages go out before this local time; not after 21:00',
		},
		{
			displayName: 'Days Without Messages',
			name: 'closedWeekdays',
			type: 'multiOptions',
			options: [
				{ name: 'Monday', value: 'mon' },
				{ name: 'Tuesday', value: 'tue' },
				{ name: 'Wednesday', value: 'wed' },
				{ name: 'Thursday', value: 'thu' },
				{ name: 'Friday', value: 'fri' },
				{ name: 'Saturday', value: 'sat' },
				{ name: 'Sunday', value: 'sun' },
			],
			default: [],
		},
		{
			displayName: 'Holidays',
			name: 'holidays',
			type: 'string',
			default: '',
			placeholder: '2026-12-25, 2027-01-01',
			description: 'Dates (YYYY-MM-DD, comma-separated) on which nothing is sent',
		},
		{
			displayName: 'Automated Messages Per Visit',
			name: 'automatedPerJourney',
			type: 'number',
			default: 2,
			description: 'Care summary plus reminder',
		},
		{
			displayName: 'Stage-3 Touches Per Visit',
			name: 'stage3PerJourney',
			type: 'number',
			default: 1,
			description: 'A voice message or a staff task',
		},
		{
			displayName: 'Messages Per Patient Per Day',
			name: 'perPatientPerDay',
			type: 'number',
			default: 1,
			description: 'Across all workflows of the practice (post-visit and recall)',
		},
		{
			displayName: 'Messages Per Number Per Day',
			name: 'perNumberPerDay',
			type: 'number',
			default: 1,
			description:
				'Texts and voice messages to one phone number per day, whichever patient they are for (a family sharing a mobile). A care summary over the limit goes by email at once, or is held to the next day and journaled as numberCapCareSummary; a reminder waits for the next allowed day.',
		},
		{
			displayName: 'Channel Order',
			name: 'channelOrder',
			type: 'options',
			options: [
				{ name: 'SMS, Then Email', value: 'sms,email' },
				{ name: 'Email, Then SMS', value: 'email,sms' },
			],
			default: 'sms,email',
			description: 'Tried in this order when the patient states no preference',
		},
		{
			displayName: 'Scheduling Links',
			name: 'schedulingLinkRows',
			type: 'fixedCollection',
			typeOptions: { multipleValues: true },
			placeholder: 'Add Scheduling Link',
			default: {},
			description:
				'One row per order type: the page where patients book it. "Default" serves every order type without its own row. {orderId}, {patientId} and {visitId} in the address are filled in. When this has rows, "(Advanced) Scheduling Links JSON" is ignored.',
			options: [
				{
					displayName: 'Link',
					name: 'link',
					values: [
						{
							displayName: 'Order Type',
							name: 'orderType',
							type: 'options',
							options: schedulingLinkKeys.map((key) => ({ name: schedulingLinkNames[key], value: key })),
							default: 'default',
						},
						{
							displayName: 'Address',
							name: 'url',
							type: 'string',
							default: '',
							placeholder: 'https://book.yourpractice.com/schedule?order={orderId}',
						},
					],
				},
			],
		},
		{
			displayName: 'Staff Directory',
			name: 'staffRows',
			type: 'fixedCollection',
			typeOptions: { multipleValues: true },
			placeholder: 'Add Staff Member',
			default: {},
			description:
				'Who takes over journeys (EHR tasks) and how to reach them, one row per person or role. When this has rows, "(Advanced) Staff Directory JSON" is ignored.',
			options: [
				{
					displayName: 'Staff Member',
					name: 'member',
					values: staffRowProperties,
				},
			],
		},
		{
			displayName: '(Advanced) Scheduling Links JSON',
			name: 'schedulingLinks',
			type: 'json',
			default: '{\n  "default": "https://example.org/schedule?order={orderId}"\n}',
			description:
				'Used only when "Scheduling Links" above has no rows. An object of order type to address; order types: followUpVisit, imaging, referral, lab, prescription, default. Example: {"default": "https://book.yourpractice.com/schedule?order={orderId}", "lab": "https://book.yourpractice.com/lab?order={orderId}"}. The example.org address must be replaced: the credential test refuses it.',
		},
		{
			displayName: '(Advanced) Staff Directory JSON',
			name: 'staff',
			type: 'json',
			default: '[\n  {"key": "care-coordinator", "name": "Care Coordinator", "ehrUserId": "", "email": "", "notifyBy": "email"}\n]',
			description:
				'Used only when "Staff Directory" above has no rows. A list of {"key", "name", "ehrUserId", "email", "phone" (e.g. +15125550100), "notifyBy": "email" or "sms"}. "key" is what the EHR Task node refers to; "ehrUserId" is their athenaNet username, DrChrono username (or "group:<id>") or FHIR Practitioner/<id>. On more than one EHR, give "ehrUserIds": {"athenahealth": "…", "drchrono": "…", "fhir": "…", "tebra": "…", "hl7v2": "…"}.',
		},
	];
}
