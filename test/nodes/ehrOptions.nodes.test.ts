import { NodeHelpers } from 'n8n-workflow';
import type { INodeParameters, INodeProperties, INodeType, INodeTypeDescription } from 'n8n-workflow';

import { BookingCheck } from '../../nodes/BookingCheck/BookingCheck.node';
import { EhrPollTrigger } from '../../nodes/EhrPollTrigger/EhrPollTrigger.node';
import { EhrTask } from '../../nodes/EhrTask/EhrTask.node';
import { EhrTrigger } from '../../nodes/EhrTrigger/EhrTrigger.node';
import { PatientReplyTrigger } from '../../nodes/PatientReplyTrigger/PatientReplyTrigger.node';
import { TimelinePreview } from '../../nodes/TimelinePreview/TimelinePreview.node';
import { DomainError } from '../../nodes/shared/core/errors';
import { ehrKinds } from '../../nodes/shared/core/schemas';
import type { EhrKind } from '../../nodes/shared/core/schemas';
import { createAthenaAdapter } from '../../nodes/shared/ehr/athenahealth';
import { createDrChronoAdapter } from '../../nodes/shared/ehr/drchrono';
import { createFhirAdapter } from '../../nodes/shared/ehr/fhir';
import { createHl7v2Adapter } from '../../nodes/shared/ehr/hl7v2';
import { createTebraAdapter } from '../../nodes/shared/ehr/tebra';
import type { EhrAdapter, HttpClient } from '../../nodes/shared/ehr/types';
import { pollEhrOptions, recallEhrs, smsConsentEhrs } from '../../nodes/shared/n8n/descriptions';

/*
 * "Show only what works": what the editor shows a node's user, per EHR, worked out with n8n's own displayOptions
 * rules (NodeHelpers), and checked against what each adapter can do. And the values workflows already store keep
 * resolving as they did.
 */

/** The node's parameters as n8n resolves them (defaults filled in), and the properties the editor shows. */
function editorView(nodeType: INodeType, parameters: INodeParameters, typeVersion = 1) {
	const description: INodeTypeDescription = nodeType.description;
	const node = { typeVersion, parameters };
	const values = NodeHelpers.getNodeParameters(description.properties, parameters, true, false, node, description) ?? {};
	const shown = description.properties.filter((property) => NodeHelpers.displayParameter(values, property, node, description));
	const property = (name: string): INodeProperties | undefined => shown.find((candidate) => candidate.name === name);
	return {
		values,
		names: shown.map((candidate) => candidate.name),
		options: (name: string) => (property(name)?.options ?? []).map((option) => (option as { value: unknown }).value),
	};
}

/** The adapter of each EHR, over a transport that answers every request with an empty FHIR search result. */
function adapterOf(ehr: EhrKind): EhrAdapter {
	const http: HttpClient = async () => ({ status: 200, headers: {}, body: { resourceType: 'Bundle', type: 'searchset', entry: [] } });
	switch (ehr) {
		case 'athenahealth':
			return createAthenaAdapter({ http, practiceId: '195900' });
		case 'drchrono':
			return createDrChronoAdapter({ http });
		case 'fhir':
			return createFhirAdapter({ http });
		case 'hl7v2':
			return createHl7v2Adapter({ http, options: {} });
		case 'tebra':
			return createTebraAdapter({ http, login: { customerKey: 'k', user: 'u', password: 'p' }, options: { endpoint: 'http://127.0.0.1:9/', practiceName: 'Riverside' } });
	}
}

async function listsRecalls(adapter: EhrAdapter): Promise<boolean> {
	try {
		await adapter.pollRecalls({ from: '2026-12-01', to: '2026-12-31' }, { defaultLanguage: 'en', schedulingLinks: {} });
		return true;
	} catch (error) {
		if (error instanceof DomainError && error.code === 'not_supported') return false;
		throw error;
	}
}

const pollEhrs = (pollEhrOptions.options ?? []).map((option) => (option as { value: EhrKind }).value);

describe('the EHR groups the nodes show options for agree with the adapters', () => {
	it.each(ehrKinds.map((ehr) => [ehr]))('%s: recalls and SMS consent', async (ehr) => {
		const adapter = adapterOf(ehr);
		expect(await listsRecalls(adapter)).toBe(recallEhrs.includes(ehr));
		expect(adapter.updateSmsConsent !== undefined).toBe(smsConsentEhrs.includes(ehr));
	});
});

describe('EHR Poll Trigger', () => {
	it.each(pollEhrs.map((ehr) => [ehr]))('%s: "Recall Coming Due" only where the EHR lists recalls, else a notice with the way round', (ehr) => {
		const view = editorView(new EhrPollTrigger(), { ehr });
		const recalls = recallEhrs.includes(ehr);
		expect(view.options('event')).toEqual(recalls ? ['visitCompleted', 'recallDue'] : ['visitCompleted']);
		expect(view.names.includes('recallNotice')).toBe(!recalls);
		expect(view.names.includes('tebraPollNotice')).toBe(ehr === 'tebra');
	});

	it('the recall notice names the alternative: a recall list from a CSV or Google Sheet in Timeline Preview', () => {
		const notice = new EhrPollTrigger().description.properties.find((property) => property.name === 'recallNotice')!;
		expect(notice.displayName).toMatch(/CSV export or a Google Sheet.*Timeline Preview \("Input Items" or "JSON List"\)/);
	});

	it.each<[string, INodeParameters, INodeParameters]>([
		['the recall template (FHIR)', { ehr: 'fhir', event: 'recallDue', recallLeadDays: 30 }, { ehr: 'fhir', event: 'recallDue', recallLeadDays: 30 }],
		['a FHIR visit poll', { ehr: 'fhir', event: 'visitCompleted' }, { ehr: 'fhir', event: 'visitCompleted' }],
		['an athenahealth visit poll', { ehr: 'athenahealth' }, { ehr: 'athenahealth', event: 'visitCompleted' }],
		['a Tebra visit poll', { ehr: 'tebra', event: 'visitCompleted' }, { ehr: 'tebra', event: 'visitCompleted' }],
	])('%s keeps its stored values', (_case, stored, resolved) => {
		expect(editorView(new EhrPollTrigger(), stored).values).toMatchObject(resolved);
	});
});

describe('Timeline Preview', () => {
	it('recalls from the EHR: FHIR only, with the notice; visits: every EHR that can be polled', () => {
		const recalls = editorView(new TimelinePreview(), { source: 'ehrRecalls' });
		expect(recalls.options('ehr')).toEqual(recallEhrs);
		expect(recalls.names).toContain('recallNotice');
		const visits = editorView(new TimelinePreview(), { source: 'ehrVisits' });
		expect(visits.options('ehr')).toEqual(pollEhrs);
		expect(visits.names).not.toContain('recallNotice');
	});

	it.each<[INodeParameters]>([[{ source: 'ehrRecalls', ehr: 'fhir', days: 40 }], [{ source: 'ehrVisits', ehr: 'drchrono', days: 7 }], [{ source: 'json', visitsJson: '[]' }]])(
		'keeps stored values %j',
		(stored) => {
			expect(editorView(new TimelinePreview(), stored).values).toMatchObject(stored);
		},
	);
});

describe('EHR Trigger, Patient Reply Trigger, EHR Task and Booking Check', () => {
	it.each<[EhrKind, string[], string[]]>([
		['fhir', ['fhirNotice', 'manageSubscription', 'maxEventAgeDays'], ['registrationNotice', 'drChronoSignature']],
		['athenahealth', ['registrationNotice', 'maxEventAgeDays'], ['fhirNotice', 'manageSubscription', 'drChronoSignature']],
		['drchrono', ['registrationNotice', 'drChronoSignature'], ['fhirNotice', 'manageSubscription', 'maxEventAgeDays']],
	])('EHR Trigger, %s: shows %j, hides %j', (ehr, shown, hidden) => {
		const { names } = editorView(new EhrTrigger(), { ehr, path: 'post-visit/visit-completed' });
		expect(shown.filter((name) => !names.includes(name))).toEqual([]);
		expect(hidden.filter((name) => names.includes(name))).toEqual([]);
	});

	it.each(ehrKinds.map((ehr) => [ehr]))('Patient Reply Trigger, %s: the EHR consent switch only where the EHR records consent', (ehr) => {
		const { names } = editorView(new PatientReplyTrigger(), { ehr });
		expect(names.includes('updateEhrConsent')).toBe(smsConsentEhrs.includes(ehr));
		expect(names.includes('tebraConsentNotice')).toBe(ehr === 'tebra');
	});

	it.each(ehrKinds.map((ehr) => [ehr]))('EHR Task and Booking Check, %s: the Tebra notices only for Tebra', (ehr) => {
		expect(editorView(new EhrTask(), { ehr }).names.includes('tebraNotice')).toBe(ehr === 'tebra');
		expect(editorView(new BookingCheck(), { ehr }, 1.1).names.includes('tebraTypesNotice')).toBe(ehr === 'tebra');
	});

	it('Booking Check: version 1 keeps its comma-separated text, version 1.1 picks from a list', () => {
		const definitions = new BookingCheck().description.properties.filter((property) => property.name === 'appointmentTypes');
		expect(definitions.map((property) => property.type)).toEqual(['string', 'multiOptions']);
		expect(editorView(new BookingCheck(), { ehr: 'athenahealth', appointmentTypes: '2, 21' }, 1).values.appointmentTypes).toBe('2, 21');
		expect(editorView(new BookingCheck(), { ehr: 'athenahealth', appointmentTypes: ['2', '21'] }, 1.1).values.appointmentTypes).toEqual(['2', '21']);
		expect(editorView(new BookingCheck(), { ehr: 'athenahealth' }, 1.1).values.appointmentTypes).toEqual([]);
	});
});
