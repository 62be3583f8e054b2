/**
 * Duplicates and races (issue #7) in a real n8n 2.41.1: every event is delivered five times at once and again
 * later, for each push EHR, and the EHR's own poll trigger picks the same visit up as well; a failed execution is
 * re-run through n8n's "Retry" (POST /rest/executions/:id/retry, what the executions list calls). Each visit +
 * stage + channel must be sent exactly once: counted in the Twilio and SMTP outboxes and in the journey store.
 */
import type { Sandbox, SandboxEhr } from '../../sandbox/environment';
import { sandboxEhrs } from '../../sandbox/environment';
import {
	closeVisit,
	emailsTo,
	enablePollTrigger,
	eventually,
	executionsOfVisit,
	isActionable,
	itemsLeaving,
	newPatient,
	patientMailFrom,
	practiceManager,
	ranNodes,
	retryExecution,
	secondsSince,
	settleJourney,
	smsTo,
	startReliabilitySandbox,
	storeFacts,
} from './helpers-faults';
import type { RelVisit } from './helpers-faults';
import { byProfile, counts, reliabilityPort } from './profile';
import { outcomeOf, recordNote, recordRow } from './results';

const section = 'duplicates';
const title = 'Duplicates and races';

/** Events per EHR, each delivered `counts.concurrentDeliveries` times at once and once more later. */
const eventsPerEhr = byProfile({ ci: 1, full: 4 });
/** Also wait for the EHR poll trigger to find each visit (up to a minute): the push/poll race. */
const waitForPoll = byProfile({ ci: false, full: true });

let sandbox: Sandbox;

beforeAll(async () => {
	sandbox = await startReliabilitySandbox('duplicates', reliabilityPort(5760));
	// The template ships the poll triggers off (the EHRs push); with them on, each visit also arrives by polling.
	if (waitForPoll) for (const ehr of sandboxEhrs) await enablePollTrigger(sandbox, ehr);
}, 300_000);

afterAll(async () => {
	await sandbox?.stop();
});

/** What the outboxes and the journey store hold for one visit's stage 1. */
async function sendsOf(visit: RelVisit) {
	const facts = storeFacts(sandbox, visit.ehr, visit.patientId);
	const sentRows = facts.journal.filter((row) => row.type === 'touch.sent' && row.stage === 1);
	const touchClaims = facts.claims.filter((claim) => claim.key.startsWith('touch:') && claim.stage === 1);
	return {
		sms: smsTo(sandbox, visit.patient.mobile, visit.since).length,
		emails: emailsTo(sandbox, visit.patient.email, visit.since).length,
		sentRows: sentRows.map((row) => row.channel).sort(),
		claims: touchClaims.map((claim) => `${claim.channel}:${claim.state}`).sort(),
		journeys: new Set(facts.journal.filter((row) => row.type === 'journey.started').map((row) => row.journey_id)).size,
		// Deliveries that Visit Details let out by "Skipped" (duplicate event, or journey already started).
		skipped: (await executionsOfVisit(sandbox, visit)).filter((e) => itemsLeaving(e, 'Visit Details', 1) > 0).length,
	};
}

describe('duplicates and races in a real n8n', () => {
	it.each(sandboxEhrs.map((ehr) => [ehr]))(
		'%s: an event delivered 5 times at once and again later sends once per visit, stage and channel',
		async (ehr: SandboxEhr) => {
			const started = Date.now();
			const visits: RelVisit[] = [];
			for (let i = 0; i < eventsPerEhr; i++) visits.push(await closeVisit(sandbox, ehr, newPatient('smsEmail')));
			const burst = await Promise.all(
				visits.flatMap((visit) => Array.from({ length: counts.concurrentDeliveries }, async () => (await visit.deliver()).status)),
			);
			for (const visit of visits) await settleJourney(sandbox, visit);
			const later = await Promise.all(visits.map(async (visit) => (await visit.deliver()).status));
			if (waitForPoll) {
				for (const visit of visits) {
					await eventually('the poll trigger to find the visit too', async () => {
						const executions = await executionsOfVisit(sandbox, visit);
						return executions.some((e) => ranNodes(e).includes('EHR Poll Trigger')) ? true : undefined;
					}, 120_000);
				}
			}
			const ends = [];
			for (const visit of visits) ends.push(await settleJourney(sandbox, visit));
			const results = [];
			for (const visit of visits) results.push({ visit, ...(await sendsOf(visit)) });
			const exact = results.filter(
				(r) =>
					r.sms === 1 &&
					r.emails === 1 &&
					r.journeys === 1 &&
					r.sentRows.join() === 'email,sms' &&
					r.claims.join() === 'email:sent,sms:sent',
			);
			const deliveries = visits.length * (counts.concurrentDeliveries + 1);
			const skipped = results.reduce((sum, r) => sum + r.skipped, 0);
			recordRow(section, title, {
				check: `${ehr}: each event delivered ${counts.concurrentDeliveries}× at once, then once more${waitForPoll ? ', and found by the poll trigger' : ''}`,
				attempts: deliveries,
				passed: exact.length === visits.length ? deliveries : exact.length * (counts.concurrentDeliveries + 1),
				failed: (visits.length - exact.length) * (counts.concurrentDeliveries + 1),
				outcome:
					exact.length === visits.length
						? `${visits.length} visit(s): one SMS and one email each, one journey; ${skipped} repeat(s) left by Visit Details "Skipped" (${secondsSince(started)} s)`
						: `FAIL: ${JSON.stringify(results.map(({ visit, ...r }) => ({ visit: visit.resourceId, ...r })))}`,
			});
			expect(burst.every((status) => status === 200)).toBe(true);
			expect(later.every((status) => status === 200)).toBe(true);
			expect(ends.map((end) => end.state)).toEqual(visits.map(() => 'sent'));
			for (const r of results) {
				expect({ sms: r.sms, emails: r.emails, journeys: r.journeys, sentRows: r.sentRows, claims: r.claims }).toEqual({
					sms: 1,
					emails: 1,
					journeys: 1,
					sentRows: ['email', 'sms'],
					claims: ['email:sent', 'sms:sent'],
				});
				expect(r.skipped).toBeGreaterThanOrEqual(counts.concurrentDeliveries);
			}
		},
	);

	it.each(byProfile<Array<[string, boolean]>>({ ci: [['original workflow', false]], full: [['original workflow', false], ['saved workflow', true]] }))(
		'a failed execution re-run with "Retry" (%s) sends only what was not sent',
		async (variant: string, loadWorkflow: boolean) => {
			const started = Date.now();
			const visit = await closeVisit(sandbox, 'fhir', newPatient('smsEmail'));
			// The SMS goes out, then the mail server refuses the practice's sender: the execution fails at Send Care Summary.
			sandbox.smtp.setSenderBehaviour(patientMailFrom, 'refuse');
			let failed;
			try {
				expect((await visit.deliver()).status).toBe(200);
				failed = await settleJourney(sandbox, visit);
			} finally {
				sandbox.smtp.setSenderBehaviour(patientMailFrom, undefined);
			}
			const failedExecution = failed.errors[0];
			expect(failed.state).toBe('errorAlert');
			expect(failedExecution?.node).toBe('Send Care Summary');
			expect(isActionable(failedExecution?.message ?? '', visit.patient)).toBe(true);
			expect([failed.sms, failed.emails]).toEqual([1, 0]);

			// The practice fixes the mail server; ops presses Retry on the failed execution.
			await retryExecution(sandbox, failedExecution!.executionId, loadWorkflow);
			const retried = await settleJourney(sandbox, visit);
			// A second Retry of the same failed execution (a double click, two people) sends nothing either.
			let secondRetry = 'refused by n8n';
			try {
				await retryExecution(sandbox, failedExecution!.executionId, loadWorkflow);
				secondRetry = 'ran';
			} catch (error) {
				secondRetry = `refused by n8n (${String(error).slice(0, 80)})`;
			}
			const end = await settleJourney(sandbox, visit);
			const sends = await sendsOf(visit);
			const retries = end.executions.filter((e) => e.mode === 'retry');
			const ok = sends.sms === 1 && sends.emails === 1 && sends.claims.join() === 'email:sent,sms:sent';
			recordRow(section, title, {
				check: `Retry of a failed execution (${variant}) after the SMS went out and the email failed`,
				attempts: 1,
				passed: ok ? 1 : 0,
				failed: ok ? 0 : 1,
				outcome: ok
					? `one SMS and one email in the end; the retry left the SMS as already sent; a second Retry ${secondRetry}, nothing sent (${secondsSince(started)} s)`
					: `FAIL: ${JSON.stringify(sends)}`,
			});
			recordNote(
				section,
				title,
				'A Retry re-runs the failed node with its original input; the claim of every channel already sent (journey + stage + channel, in the journey store) turns the repeat into "already sent", so only the channel that failed goes out.',
			);
			expect(retried.state).not.toBe('lost');
			expect(retries.length).toBeGreaterThanOrEqual(1);
			expect(sends).toMatchObject({ sms: 1, emails: 1, claims: ['email:sent', 'sms:sent'] });
			expect(emailsTo(sandbox, practiceManager, visit.since).length).toBeGreaterThanOrEqual(1);
			expect(outcomeOf(ok ? 1 : 0, ok ? 0 : 1)).toBe('pass');
		},
	);
});
