import { join } from 'node:path';

import { parsePracticeProfile } from '../../nodes/shared/core/practice';
import type { RecallDue } from '../../nodes/shared/core/schemas';
import { templateCadence } from '../../nodes/shared/core/timeline';
import { defaultStepNames, previewTimeline, scheduledStepOf } from '../../nodes/shared/flows/previewTimeline';
import { openJourneyStore } from '../../nodes/shared/store';
import type { ScheduledStep } from '../../nodes/shared/store/types';
import { tempDir, testContactHashSecret, visitEvent } from '../helpers/fixtures';
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

describe('Timeline Preview counts the sends the journey store already holds today toward the caps', () => {
	const profile = parsePracticeProfile({ practiceName: 'Riverside', practicePhone: '(512) 555-0100' });
	// 10:30 in Chicago, half an hour after the visit closed.
	const now = '2026-06-10T15:30:00.000Z';
	const sibling = visitEvent({ patientId: 'pat-2', visitId: 'enc-2', zone: 'America/Chicago', completedAt: '2026-06-10T14:00:00.000Z', visitDate: '2026-06-10' });

	async function previewWith(record: (store: Awaited<ReturnType<typeof openJourneyStore>>) => Promise<void>, event = visit) {
		const store = await openJourneyStore({ backend: 'sqlite', path: join(tempDir(), 'j.sqlite'), contactHashSecret: testContactHashSecret });
		try {
			await record(store);
			const touches = await previewTimeline({ journeys: [event], profile, cadence: templateCadence, store, now });
			return { touches, journal: await store.journal({}), numberTouches: await store.numberTouchesOn('+15125550101', '2026-06-10') };
		} finally {
			await store.close();
		}
	}

	it('a recall nudge the patient got this morning: the care summary is shown held to tomorrow (dailyCap), as the live run holds it', async () => {
		const { touches, journal } = await previewWith(async (store) => {
			await store.recordTouch({ patientKey: 'fhir:pat-1', journeyId: 'recall:fhir:sr-1', stage: 1, localDate: '2026-06-10', at: '2026-06-10T14:05:00.000Z' });
		});
		expect(touches[0]).toMatchObject({ stage: 1, channel: 'sms', timingRule: 'dailyCap', at: '2026-06-11T14:00:00.000Z' });
		expect(journal).toEqual([]);
	});

	it('a sibling\'s text to the shared mobile this morning: the care summary goes by email only, and nothing is written', async () => {
		const { touches, numberTouches } = await previewWith(async (store) => {
			await store.recordNumberTouch({ address: sibling.patient.phones[0].number, journeyId: 'visit:fhir:enc-2', stage: 1, localDate: '2026-06-10', at: '2026-06-10T14:05:00.000Z' });
		});
		expect(touches.filter((t) => t.stage === 1).map((t) => [t.channel, t.rule])).toEqual([['email', 'sms:numberCap→email']]);
		expect(numberTouches).toEqual([{ journeyId: 'visit:fhir:enc-2', stage: 1 }]);
	});

	it('nothing sent today: on time by SMS and email', async () => {
		const { touches } = await previewWith(async () => undefined);
		expect(touches.filter((t) => t.stage === 1).map((t) => [t.channel, t.rule])).toEqual([['sms', 'onTime'], ['email', 'onTime']]);
	});

	it('puts when, what and why first, the ids after: the columns of n8n\'s table view follow that order', async () => {
		const { touches } = await previewWith(async () => undefined);
		expect(Object.keys(touches[0]).slice(0, 6)).toEqual(['localTime', 'stage', 'step', 'channel', 'action', 'why']);
		expect(Object.keys(touches[0]).indexOf('journeyId')).toBeGreaterThan(Object.keys(touches[0]).indexOf('rule'));
	});
});
