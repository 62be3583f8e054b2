import { randomUUID } from 'node:crypto';
import type { IDataObject, INodeExecutionData, ITriggerFunctions } from 'n8n-workflow';

import { catchUpDecision, stepName } from '../core/resume';
import type { ReleaseBucket } from '../core/resume';
import type { EhrKind } from '../core/schemas';
import { resumedSummary } from '../core/summaries';
import { reloadJourneyEvent } from '../flows/reloadJourney';
import { resumeDueSteps, resumedTrail } from '../flows/resumeSteps';
import type { ResumeBatch, ResumedJourney, ResumeSettings, StaffHandover } from '../flows/resumeSteps';
import type { ScheduledStep } from '../store/types';
import { nowIso } from './clock';
import { ehrAdapterFor } from './ehr';
import { journeyJson } from './journeyItem';
import { practiceProfileFor, withJourneyStore } from './resources';

export const NEEDS_STAFF_OUTPUT = 'Needs Staff';

export interface DueStepSettings extends ResumeSettings {
	ehr: EhrKind;
	checkEveryMs: number;
}

/** The trigger's parameters, checked: the step names are its outputs, in order, then "Needs Staff". */
export function dueStepSettings(context: ITriggerFunctions): DueStepSettings {
	const listed = ((context.getNodeParameter('steps', {}) as IDataObject).step ?? []) as IDataObject[];
	const steps = listed.map((entry, index) => stepName(entry.name, `Steps › Step ${index + 1} › Name`));
	const options = context.getNodeParameter('options', {}) as IDataObject;
	const batchSize = Number(options.batchSize ?? 100);
	return {
		ehr: context.getNodeParameter('ehr') as EhrKind,
		workflowId: String(context.getWorkflow().id ?? 'unsaved'),
		steps,
		batchSize,
		leaseMs: Number(options.leaseMinutes ?? 10) * 60_000,
		maxAttempts: Number(options.maxAttempts ?? 3),
		maxInFlight: batchSize * Number(options.batchesInFlight ?? 5),
		backlogAfterMs: 15 * 60_000,
		backlogPerMinute: Number(options.backlogPerMinute ?? 60),
		checkEveryMs: Math.max(1, Number(options.checkEverySeconds ?? 15)) * 1000,
	};
}

/** Trigger output data: one list per step output, in the Steps order, then Needs Staff. */
function outputsOf(steps: string[], resumed: ResumedJourney[], toStaff: StaffHandover[]): INodeExecutionData[][] {
	const outputs: INodeExecutionData[][] = [...steps.map(() => []), []];
	for (const journey of resumed) {
		outputs[steps.indexOf(journey.step)].push({ json: resumedJson(journey) });
	}
	for (const journey of toStaff) {
		const summary =
			journey.reason === 'late'
				? resumedSummary({ outcome: 'late', step: journey.step, lateMinutes: journey.lateMinutes })
				: resumedSummary({ outcome: 'attempts', step: journey.step, attempt: journey.attempt });
		// `staff.summary` stays for workflows that read it (EHR Task takes its reason from it).
		outputs[steps.length].push({ json: resumedJson(journey, summary, { reason: journey.reason, summary }) });
	}
	return outputs;
}

function resumedJson(journey: ResumedJourney, handOver?: string, staff?: IDataObject): IDataObject {
	const dueAt = journey.trail.resumedFrom?.dueAt;
	const summary = handOver ?? resumedSummary({ outcome: 'resumed', step: journey.step, dueAt, zone: journey.event.zone });
	const resumed: IDataObject = { step: journey.step, attempt: journey.attempt, lateMinutes: journey.lateMinutes, summary };
	return journeyJson({ event: journey.event, trail: journey.trail, rest: {} }, journey.trail, { resumed, ...(staff ? { staff } : {}) });
}

/**
 * One check: claims due steps batch by batch and emits each batch as one execution, until nothing more is due
 * or the batches in flight reach their limit. The practice profile is read every time, so the pause switch
 * and the catch-up rule take effect at the next check.
 */
export async function resumeDueJourneys(
	context: ITriggerFunctions,
	settings: DueStepSettings,
	bucket: ReleaseBucket | undefined,
): Promise<ReleaseBucket | undefined> {
	const profile = await practiceProfileFor(context);
	const adapter = await ehrAdapterFor(context, settings.ehr);
	const reload = (record: Parameters<typeof reloadJourneyEvent>[0]) => reloadJourneyEvent(record, { adapter, context: profile });
	return await withJourneyStore(context, async (store) => {
		let current = bucket;
		for (let round = 0; round < 100; round++) {
			const batch: ResumeBatch = await resumeDueSteps(settings, { store, profile, reload, now: nowIso(), leaseToken: randomUUID(), bucket: current });
			current = batch.bucket;
			if (batch.resumed.length + batch.toStaff.length > 0) context.emit(outputsOf(settings.steps, batch.resumed, batch.toStaff));
			if (!batch.full) break;
		}
		return current;
	});
}

/**
 * A manual run: the steps due now (or, if none, the next ones), fetched from the EHR and shown on their outputs
 * without being claimed, so the nodes after them show what they would do. The store is not written.
 */
export async function previewDueJourneys(context: ITriggerFunctions, settings: DueStepSettings, limit = 10): Promise<INodeExecutionData[][]> {
	const profile = await practiceProfileFor(context);
	const adapter = await ehrAdapterFor(context, settings.ehr);
	const now = nowIso();
	return await withJourneyStore(context, async (store) => {
		const waiting = { workflowId: settings.workflowId, states: ['scheduled', 'orphaned'] as ScheduledStep['state'][] };
		const due = await store.steps({ ...waiting, dueBefore: now, limit: 100 });
		const candidates = (due.length ? due : await store.steps({ ...waiting, limit: 100 })).filter((step) => settings.steps.includes(step.step)).slice(0, limit);
		const resumed: ResumedJourney[] = [];
		for (const step of candidates) {
			const record = await store.getJourney(step.journeyId);
			if (!record) continue;
			const reloaded = await reloadJourneyEvent(record, { adapter, context: profile });
			if (reloaded.outcome !== 'reloaded') continue;
			const trail = await resumedTrail(store, step, reloaded.event, undefined);
			resumed.push({ step: step.step, event: reloaded.event, trail, attempt: step.attempt, lateMinutes: catchUpDecision(step.dueAt, now, profile.catchUp).lateMinutes });
		}
		return outputsOf(settings.steps, resumed, []);
	});
}
