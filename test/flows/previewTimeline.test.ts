import type { RecallDue } from '../../nodes/shared/core/schemas';
import { defaultStepNames, scheduledStepOf } from '../../nodes/shared/flows/previewTimeline';
import type { ScheduledStep } from '../../nodes/shared/store/types';
import { visitEvent } from '../helpers/fixtures';
import { scheduledStep } from '../helpers/steps';

const visit = visitEvent({ zone: 'America/Chicago', completedAt: '2026-06-10T15:00:00.000Z', visitDate: '2026-06-10' });
const recall: RecallDue = {
	kind: 'recall',
	schemaVersion: 1,
	ehr: 'fhir',
	patientId: 'pat-1',
	zone: 'America/Chicago',
	zoneSource: 'patient',
	patient: visit.patient,
	consent: visit.consent,
	recallId: 'sr-1',
	dueDate: '2026-07-15',
	actionItem: { type: 'followUpVisit', description: 'Book your annual exam', done: false },
};

const step = (fields: Partial<ScheduledStep>) => scheduledStep(fields);

describe('which stage a step already scheduled in the store leads to (the Timeline Preview)', () => {
	it.each<[string, Parameters<typeof scheduledStepOf>[0], ScheduledStep[], ReturnType<typeof scheduledStepOf>]>([
		['the reminder, by its name', visit, [step({})], { stage: 2, step: 'Reminder', dueAt: '2026-06-12T15:00:00.000Z' }],
		['the escalation, whatever the case and spaces', visit, [step({ step: ' escalation' })], { stage: 3, step: ' escalation', dueAt: '2026-06-12T15:00:00.000Z' }],
		['a recall\'s nudge', recall, [step({ step: 'Nudge' })], { stage: 1, step: 'Nudge', dueAt: '2026-06-12T15:00:00.000Z' }],
		['not a nudge for a visit (its care summary goes at the close)', visit, [step({ step: 'Nudge' })], undefined],
		['a step being resumed now', visit, [step({ state: 'claimed', attempt: 1 })], { stage: 2, step: 'Reminder', dueAt: '2026-06-12T15:00:00.000Z' }],
		['not a step set aside or orphaned: it does not resume at its time', visit, [step({ state: 'failed' }), step({ state: 'orphaned' })], undefined],
		['not a step held until outreach resumes: it has no time', visit, [step({ untilResume: true })], undefined],
		['not a step of another name', visit, [step({ step: 'Day 2' })], undefined],
	])('%s', (_name, event, steps, expected) => {
		expect(scheduledStepOf(event, steps, defaultStepNames)).toEqual(expected);
	});

	it('takes the names the node gives', () => {
		expect(scheduledStepOf(visit, [step({ step: 'Day 2' })], { ...defaultStepNames, reminder: 'Day 2' })).toMatchObject({ stage: 2 });
	});
});
