import type { INodeCredentialDescription, INodeProperties } from 'n8n-workflow';

/** The EHR picker every EHR-facing node shows first. */
export const ehrOptions: INodeProperties = {
	displayName: 'EHR',
	name: 'ehr',
	type: 'options',
	noDataExpression: true,
	options: [
		{ name: 'athenahealth (athenaOne)', value: 'athenahealth' },
		{ name: 'DrChrono', value: 'drchrono' },
		{ name: 'FHIR R4 / R4B (Epic, Others)', value: 'fhir' },
	],
	default: 'fhir',
};

/** The EHR API credential matching the picked EHR. */
export const ehrApiCredentials: INodeCredentialDescription[] = [
	{ name: 'athenahealthApi', required: true, displayOptions: { show: { ehr: ['athenahealth'] } } },
	{ name: 'drChronoOAuth2Api', required: true, displayOptions: { show: { ehr: ['drchrono'] } } },
	{ name: 'fhirR4Api', required: true, displayOptions: { show: { ehr: ['fhir'] } } },
];

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
