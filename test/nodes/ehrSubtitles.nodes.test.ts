import type { INodeType, INodeTypeDescription, IVersionedNodeType } from 'n8n-workflow';

import { BookingCheck } from '../../nodes/BookingCheck/BookingCheck.node';
import { EhrPollTrigger } from '../../nodes/EhrPollTrigger/EhrPollTrigger.node';
import { EhrTask } from '../../nodes/EhrTask/EhrTask.node';
import { EhrTrigger } from '../../nodes/EhrTrigger/EhrTrigger.node';
import { JourneyDueTrigger } from '../../nodes/JourneyDueTrigger/JourneyDueTrigger.node';
import { PatientReplyTrigger } from '../../nodes/PatientReplyTrigger/PatientReplyTrigger.node';
import { RecordDelivery } from '../../nodes/RecordDelivery/RecordDelivery.node';
import { TimelinePreview } from '../../nodes/TimelinePreview/TimelinePreview.node';
import { VisitDetails } from '../../nodes/VisitDetails/VisitDetails.node';

/*
 * Each node with an EHR field says on the canvas which EHR it talks to: its subtitle names the picked EHR. The
 * subtitle is evaluated here as plain JavaScript with `$parameter`, the one variable it uses.
 */

const nodes: Array<INodeType | IVersionedNodeType> = [
	new BookingCheck(),
	new EhrPollTrigger(),
	new EhrTask(),
	new EhrTrigger(),
	new JourneyDueTrigger(),
	new PatientReplyTrigger(),
	new RecordDelivery(),
	new TimelinePreview(),
	new VisitDetails(),
];

function descriptionsOf(node: INodeType | IVersionedNodeType): INodeTypeDescription[] {
	return 'nodeVersions' in node ? Object.values(node.nodeVersions).map((version) => version.description) : [node.description];
}

function subtitleFor(description: INodeTypeDescription, parameters: Record<string, unknown>): string {
	const expression = /^=\{\{(.*)\}\}$/s.exec(String(description.subtitle))?.[1];
	if (expression === undefined) throw new Error(`${description.name}: subtitle is not one expression`);
	return String(new Function('$parameter', `return (${expression});`)(parameters));
}

const cases = nodes.flatMap(descriptionsOf).map((description) => [`${description.name} v${String(description.version)}`, description] as const);

describe.each(cases)('%s', (_name, description) => {
	const ehrField = description.properties.find((property) => property.name === 'ehr');
	const values = (ehrField?.options ?? []).map((option) => String((option as { value: unknown }).value));
	// Timeline Preview asks for an EHR only when it reads from one.
	const parameters = { source: 'ehrVisits', days: 7, event: 'visitCompleted', operation: 'twilioStatus', steps: { step: [{ name: 'Reminder' }] } };

	it('has an EHR field', () => {
		expect(values.length).toBeGreaterThan(0);
	});

	it('names the picked EHR in its subtitle, readably', () => {
		const names = { athenahealth: 'athenahealth', drchrono: 'DrChrono', fhir: 'FHIR R4', hl7v2: 'HL7 v2 + FHIR', tebra: 'Tebra' } as Record<string, string>;
		for (const ehr of values) expect([ehr, subtitleFor(description, { ...parameters, ehr })]).toEqual([ehr, expect.stringContaining(names[ehr])]);
		expect(subtitleFor(description, { ...parameters, ehr: 'drchrono' })).not.toContain('drchrono');
	});
});
