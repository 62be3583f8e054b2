import { DomainError } from '../../nodes/shared/core/errors';
import { journeyIdOf, parseJourneyEvent, parseRecallDue, parseVisitEvent, patientKeyOf } from '../../nodes/shared/core/schemas';
import type { RecallDue } from '../../nodes/shared/core/schemas';
import { visitEvent } from '../helpers/fixtures';

const recall = (): RecallDue => {
	const visit = visitEvent();
	return {
		kind: 'recall',
		schemaVersion: 1,
		ehr: 'fhir',
		patientId: visit.patientId,
		zone: visit.zone,
		zoneSource: 'patient',
		patient: visit.patient,
		consent: visit.consent,
		recallId: 'sr-77',
		dueDate: '2026-07-01',
		actionItem: { type: 'followUpVisit', description: 'Book your annual check-up', orderId: 'sr-77', done: false },
	};
};

describe('journey and patient ids', () => {
	it.each([
		['a visit', () => visitEvent({ visitId: 'enc-9' }), 'visit:fhir:enc-9'],
		['a recall', recall, 'recall:fhir:sr-77'],
	])('of %s', (_what, event, id) => {
		expect(journeyIdOf(event())).toBe(id);
	});

	it.each([
		[{ ehr: 'athenahealth' as const, practiceId: '195900', patientId: '1234' }, 'athenahealth:195900:1234'],
		[{ ehr: 'fhir' as const, patientId: 'pat-1' }, 'fhir:pat-1'],
	])('of a patient, with the practice where there is one', (facts, key) => {
		expect(patientKeyOf(facts)).toBe(key);
	});
});

describe('parsing events at the boundary', () => {
	it('reads a recall and a visit as what they are', () => {
		expect(parseJourneyEvent(recall()).kind).toBe('recall');
		expect(parseRecallDue(recall()).recallId).toBe('sr-77');
		expect(parseVisitEvent(visitEvent()).kind).toBe('visit');
	});

	it.each([
		['a journey event', () => parseJourneyEvent({ kind: 'visit' })],
		['a visit event', () => parseVisitEvent({ ...visitEvent(), visitId: undefined })],
		['a recall event', () => parseRecallDue({ ...recall(), dueDate: 'someday' })],
	])('refuses a broken %s with a domain error naming the field', (_what, parse) => {
		expect(parse).toThrow(DomainError);
	});
});
