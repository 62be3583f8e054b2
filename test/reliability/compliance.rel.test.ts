/**
 * Compliance (issue #7): random journeys run through the pack's nodes in-process, in n8n-core's engine, with the
 * clock passed in — nothing may be sent outside the send window in the patient's zone, over a cap, to an
 * opted-out channel, or after the action was done. How it runs: compliance-runner.ts; the world it draws:
 * compliance-world.ts; the rules: compliance-invariants.ts. The real-n8n sample is compliance-n8n.rel.test.ts.
 *
 * Replay one simulated practice: RELIABILITY_SEED=<seed> COMPLIANCE_COHORT=<index> npx jest -c jest.reliability.config.js compliance.rel
 */
import { installSimulatedDate } from './compliance-clock';
import { checkCohort, journeyStory, rules } from './compliance-invariants';
import type { Rule, Violation } from './compliance-invariants';
import { loadTemplate, runCohort } from './compliance-runner';
import type { CohortResult } from './compliance-runner';
import { cohortPlan } from './compliance-world';
import { byProfile, counts, profile, seed } from './profile';
import { outcomeOf, recordNote, recordRow } from './results';

const section = 'compliance';
const title = 'Compliance: send window, caps, opt-outs, done actions';

/** Simulated practices run side by side (each on its own clock and servers); their waits on SMTP and HTTP overlap. */
const parallelPractices = Number(process.env.COMPLIANCE_PARALLEL ?? 12);
const replayCohort = process.env.COMPLIANCE_COHORT === undefined ? undefined : Number(process.env.COMPLIANCE_COHORT);

interface Totals {
	cohorts: number;
	dstCohorts: number;
	journeys: number;
	ends: Record<string, number>;
	sends: Record<string, number>;
	tasks: number;
	holds: number;
	executions: number;
	items: number;
	maxItems: number;
	checked: Record<Rule, number>;
	violations: Violation[];
	examples: string[];
	zones: Set<string>;
	dstChanges: Set<string>;
}

function emptyTotals(): Totals {
	return {
		cohorts: 0,
		dstCohorts: 0,
		journeys: 0,
		ends: {},
		sends: {},
		tasks: 0,
		holds: 0,
		executions: 0,
		items: 0,
		maxItems: 0,
		checked: Object.fromEntries(rules.map((rule) => [rule, 0])) as Record<Rule, number>,
		violations: [],
		examples: [],
		zones: new Set(),
		dstChanges: new Set(),
	};
}

function addCohort(totals: Totals, result: CohortResult): void {
	const check = checkCohort(result);
	totals.cohorts++;
	if (result.plan.dateChoice.startsWith('DST')) {
		totals.dstCohorts++;
		totals.dstChanges.add(result.plan.dateChoice);
	}
	totals.journeys += result.outcomes.length;
	for (const outcome of result.outcomes) {
		totals.ends[outcome.end ?? 'unknown'] = (totals.ends[outcome.end ?? 'unknown'] ?? 0) + 1;
		totals.holds += outcome.holds;
	}
	for (const patient of result.plan.patients) totals.zones.add(patient.zone ?? result.plan.policy.defaultZone);
	for (const send of result.sends) totals.sends[send.channel] = (totals.sends[send.channel] ?? 0) + 1;
	totals.tasks += result.tasks.length;
	totals.executions += result.executions;
	totals.items += result.itemsPerExecution.reduce((sum, items) => sum + items, 0);
	totals.maxItems = Math.max(totals.maxItems, ...result.itemsPerExecution);
	for (const rule of rules) totals.checked[rule] += check.checked[rule];
	totals.violations.push(...check.violations);
	for (const violation of check.violations) {
		if (totals.examples.length >= 12) break;
		totals.examples.push(
			`[${violation.rule}] cohort ${violation.cohort} (${result.plan.dateChoice}) ${violation.journeyId ?? ''}: ${violation.detail}` +
				(violation.journeyId ? `\n${journeyStory(result, violation.journeyId)}` : ''),
		);
	}
}

/** Cohort indexes until the journeys reach the profile's count (or the one cohort being replayed). */
function cohortIndexes(wanted: number): number[] {
	if (replayCohort !== undefined) return [replayCohort];
	const indexes: number[] = [];
	let journeys = 0;
	for (let index = 0; journeys < wanted; index++) {
		indexes.push(index);
		journeys += cohortPlan(seed, index).visits.length;
	}
	return indexes;
}

let restoreDate: () => void;
beforeAll(() => {
	restoreDate = installSimulatedDate();
});
afterAll(() => restoreDate?.());

describe('compliance over random journeys, in-process (n8n-core engine, the template\'s node chain, clock passed in)', () => {
	it(
		`${counts.complianceJourneys} journeys: nothing outside the window, over a cap, to an opted-out channel or after the action was done`,
		async () => {
			const started = Date.now();
			const graph = loadTemplate();
			const indexes = cohortIndexes(counts.complianceJourneys);
			const totals = emptyTotals();
			let next = 0;
			const worker = async () => {
				while (next < indexes.length) {
					const index = indexes[next++] as number;
					addCohort(totals, await runCohort(graph, cohortPlan(seed, index)));
				}
			};
			await Promise.all(Array.from({ length: Math.min(parallelPractices, indexes.length) }, worker));
			const seconds = Math.round((Date.now() - started) / 1000);

			const count = (rule: Rule) => totals.violations.filter((violation) => violation.rule === rule).length;
			const sends = Object.values(totals.sends).reduce((sum, n) => sum + n, 0);
			const ended = (totals.ends.done ?? 0) + (totals.ends.escalated ?? 0) + (totals.ends.skipped ?? 0);
			const replay = `RELIABILITY_SEED=${seed} COMPLIANCE_COHORT=<cohort>`;
			const row = (check: string, rule: Rule, attempts: number, outcome: string, notes?: string) =>
				recordRow(section, title, { check, attempts, passed: attempts - count(rule), failed: count(rule), outcome: count(rule) ? `FAIL: ${count(rule)} violation(s)` : outcome, notes });
			recordRow(section, title, {
				check: 'Random journeys through the template\'s nodes, in-process, ending in a known state',
				attempts: totals.journeys,
				passed: ended,
				failed: totals.journeys - ended,
				outcome: `${totals.ends.done ?? 0} done (booked, cancelled, or stage-3 call placed), ${totals.ends.escalated ?? 0} handed to staff (EHR task), ${totals.ends.skipped ?? 0} never started (cancelled before Visit Details)`,
				notes: `${totals.cohorts} simulated practices, ${totals.dstCohorts} of them in the week of a DST change; seed ${seed}; ${seconds} s`,
			});
			row('Sent inside the send window, in the patient\'s zone (open days, holidays, DST)', 'window', totals.checked.window, 'pass', `${sends} messages and calls: ${JSON.stringify(totals.sends)}`);
			row('Within the caps: 2 automated + 1 stage-3 per visit, one of each stage and channel, per patient per local day', 'cap', totals.checked.cap, 'pass', `${totals.tasks} staff tasks`);
			row('Nothing to an opted-out channel (journey-store opt-out at any time, EHR consent)', 'optOut', totals.checked.optOut, 'pass');
			row('Nothing after the follow-up was booked or the visit cancelled', 'afterDone', totals.checked.afterDone, 'pass', 'sends and staff tasks');
			row('Every outbox message is a touch.sent in the journal, and the reverse', 'accounting', totals.checked.accounting, 'pass');
			recordNote(
				section,
				title,
				`How it ran (${profile} profile): ${totals.journeys} journeys in ${totals.cohorts} simulated practices, each with its own FHIR server (Medplum), ` +
					`Twilio-shaped API (twilio SDK), smtp-server (nodemailer) and SQLite journey store, run ${Math.min(parallelPractices, indexes.length)} at a time. ` +
					(process.env.COMPLIANCE_TEMPLATE ? `NOT the shipped template: ${process.env.COMPLIANCE_TEMPLATE}. ` : '') +
					'The template post-visit-three-stage.json is read as it is and cut at its Cadence Wait nodes; each piece runs in n8n-core\'s WorkflowExecute with the template\'s own ' +
					'nodes, parameters and connections; a Cadence Wait runs in an execution of its own and each journey resumes at the time it planned (plus n8n\'s resume lateness: ' +
					'0 to 59 s, sometimes 10 min to 26 h for a downtime) at the node the wait connects to. The clock is passed in: `Date` answers each practice\'s simulated time. ' +
					`${totals.executions} executions carried ${totals.items} items (journeys due at the same instant at the same node share one; at most ${totals.maxItems}). ` +
					`Random over: ${totals.zones.size} zones (US, EU, southern-hemisphere, 30-minute and midnight DST changes, no-DST, +05:45, +14), ${totals.dstChanges.size} different DST changes, ` +
					'windows from 08:00–17:00 to 10:00–21:00, closed weekdays, holidays, per-day caps 1–2, 1 or 2 automated messages, stage 3 as a call or a task only, ' +
					'phones (mobile, landline, both, none), email or none, preferred channel, language, EHR consent per channel, STOP/unsubscribe before or during the journey, ' +
					'follow-ups booked at checkout, later or never, visits cancelled before admission or during the journey, patients with 2–3 overlapping visits, ' +
					'notifications late by 0 s to 14 h. The rules are checked from the Twilio and SMTP outboxes and the EHR\'s tasks, against the world the run drew, ' +
					`with luxon in the patient's zone (not the pack's guard). Replay one practice: ${replay}.`,
			);
			const byKind = new Map<string, number>();
			for (const violation of totals.violations) byKind.set(violation.kind, (byKind.get(violation.kind) ?? 0) + 1);
			if (byKind.size > 0) {
				recordNote(section, title, `Violations by cause (${profile} profile, seed ${seed}): ${[...byKind].map(([kind, n]) => `${kind}: ${n}`).join('; ')}.`);
			}
			recordNote(
				section,
				title,
				'Found and fixed by this run: Patient Message re-used the channels the Channel Router had chosen before a hold (night, weekend, daily cap) and checked ' +
					'opt-outs only for the first of them, so a STOP or an unsubscribe that arrived during the hold did not stop the send (and an opted-out first channel ' +
					'sent the whole touch to staff). Every target is now checked against the journey store at sending (nodes/shared/flows/sendTouch.ts; ' +
					'test/flows/sendTouch.optOutAfterRouting.test.ts).',
			);
			recordNote(
				section,
				title,
				'Found by this run and fixed in the template: each "Wait for Window (Stage N)" led straight back to its send node, so after a hold (until the ' +
					'next window, open day or daily-cap reset: hours to days) nothing asked the EHR again — in 10,010 journeys, 253 care summaries went out after ' +
					'the visit was cancelled, 17 staff tasks were created for cancelled visits and 6 stage-3 calls were placed after the follow-up was booked. ' +
					'Now stage 1 resumes through "Visit Still On?" (a Booking Check that ends the journey only when the visit was cancelled: a patient who ' +
					'booked meanwhile still gets the care summary), and stages 2 and 3 through their own Booking Check, which also routes afresh.',
			);
			const byRule = rules.map((rule) => `${rule}: ${count(rule)}`).join(', ');
			expect({ violations: byRule, byCause: Object.fromEntries(byKind), examples: totals.examples, seed }).toEqual({
				violations: rules.map((rule) => `${rule}: 0`).join(', '),
				byCause: {},
				examples: [],
				seed,
			});
			expect(outcomeOf(ended, totals.journeys - ended)).toBe('pass');
		},
		byProfile({ ci: 1_800_000, full: 4 * 3_600_000 }),
	);
});
