import type { ICredentialsDisplayOptions, INodeCredentialDescription, INodeProperties } from 'n8n-workflow';

const webhookEhrs = [
	{ name: 'athenahealth (athenaOne)', value: 'athenahealth' },
	{ name: 'DrChrono', value: 'drchrono' },
	{ name: 'FHIR R4 / R4B (Epic, eClinicalWorks, Others)', value: 'fhir' },
];
const tebra = { name: 'Tebra (Kareo)', value: 'tebra' };
const hl7v2 = {
	name: 'HL7 v2 Feed (Epic, Interface Engines), Details From FHIR',
	value: 'hl7v2',
	description: 'Journeys the HL7 v2 Trigger started; patient details, bookings and tasks come from the FHIR R4 credential',
};

const allEhrs = [...webhookEhrs, hl7v2, tebra].map((option) => option.value);

/** The EHR picker every EHR-facing node shows first. */
export const ehrOptions: INodeProperties = {
	displayName: 'EHR',
	name: 'ehr',
	type: 'options',
	noDataExpression: true,
	options: [...webhookEhrs, hl7v2, tebra],
	default: 'fhir',
};

/** Short EHR names for node subtitles: the canvas shows which EHR each node talks to. */
const ehrShortNames: Record<string, string> = {
	athenahealth: 'athenahealth',
	drchrono: 'DrChrono',
	fhir: 'FHIR R4',
	hl7v2: 'HL7 v2 + FHIR',
	tebra: 'Tebra',
};

/** An expression, for use inside a subtitle's `={{ }}`, naming the EHR picked in the `ehr` field. */
export const ehrNameExpression = `(${JSON.stringify(ehrShortNames)}[$parameter["ehr"]] || $parameter["ehr"])`;

/** The EHRs that push webhooks (the EHR Trigger): Tebra pushes nothing, HL7 v2 arrives over MLLP. */
export const webhookEhrOptions: INodeProperties = { ...ehrOptions, options: webhookEhrs };

/** The EHRs that can be polled (the EHR Poll Trigger): an HL7 v2 feed is pushed to the HL7 v2 Trigger. */
export const pollEhrOptions: INodeProperties = { ...ehrOptions, options: [...webhookEhrs, tebra] };

/*
 * What only some EHRs can do, for `displayOptions`: a node shows an option only for the EHRs that have it, and
 * names the way round for the others. The adapters are the authority (an EHR without the capability throws
 * not_supported); test/nodes/ehrOptions.nodes.test.ts checks each list against them.
 */

/** Recalls are active ServiceRequests in a FHIR server; athenahealth, DrChrono and Tebra have no recall API. */
export const recallEhrs = ['fhir'];
/** The EHRs the poll trigger reads (pollEhrOptions) that have no recall list. */
export const pollEhrsWithoutRecalls = ['athenahealth', 'drchrono', 'tebra'];
/** The EHR picker where recalls are read: only the EHRs that list them. */
export const recallEhrOptions: INodeProperties = {
	...ehrOptions,
	options: webhookEhrs.filter((option) => recallEhrs.includes(option.value)),
};
/** The EHRs whose API records a patient's SMS consent (updateSmsConsent). */
export const smsConsentEhrs = ['athenahealth', 'drchrono', 'fhir', 'hl7v2'];

/**
 * The EHR API credential matching the picked EHR. An HL7 v2 journey reads and writes through the FHIR R4 API of
 * the EHR behind the feed (Epic, eClinicalWorks), so that credential serves both.
 */
export const ehrApiCredentials: INodeCredentialDescription[] = [
	{ name: 'athenahealthApi', required: true, displayOptions: forEhrs(['athenahealth']) },
	{ name: 'drChronoOAuth2Api', required: true, displayOptions: forEhrs(['drchrono']) },
	{ name: 'fhirR4Api', required: true, displayOptions: forEhrs(['fhir', 'hl7v2']) },
	{ name: 'tebraApi', required: true, testedBy: 'tebraConnectionTest', displayOptions: forEhrs(['tebra']) },
];

/**
 * A credential shown for these EHRs only, written as "hidden for every other EHR" on purpose. n8n's editor takes a
 * field whose every value some credential's `show` names for the node's sign-in choice (its "main auth field"):
 * it then hides that field from the node's parameters, and fills the box of every other required credential
 * (Practice Profile, Journey Store) with the EHR credentials, where the one selected shows as an id.
 */
export function forEhrs(ehrs: string[]): ICredentialsDisplayOptions {
	return { hide: { ehr: allEhrs.filter((ehr) => !ehrs.includes(ehr)) } };
}

/** Whether a credential of a node is asked for with this EHR picked (forEhrs, or no EHR condition). */
export function credentialServesEhr(credential: INodeCredentialDescription, ehr: string): boolean {
	const hiddenFor = credential.displayOptions?.hide?.ehr as string[] | undefined;
	const shownFor = credential.displayOptions?.show?.ehr as string[] | undefined;
	return !hiddenFor?.includes(ehr) && (!shownFor || shownFor.includes(ehr));
}

export const stageOption: INodeProperties = {
	displayName: 'Stage',
	name: 'stage',
	type: 'options',
	noDataExpression: true,
	options: [
		{ name: 'Stage 1 — Care Summary / Recall Nudge', value: 1 },
		{ name: 'Stage 2 — Reminder', value: 2 },
		{ name: 'Stage 3 — Escalation', value: 3 },
	],
	default: 1,
	description: 'Which step of the journey this node serves; caps and exactly-once keys are counted per stage',
};

/** The practice's journey store and practice profile: the two credentials every journey node reads. */
export const journeyCredentials: INodeCredentialDescription[] = [
	{ name: 'journeyStoreApi', required: true, testedBy: 'journeyStoreConnectionTest' },
	{ name: 'practiceProfileApi', required: true, testedBy: 'practiceProfileTest' },
];
