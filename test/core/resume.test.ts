import { DomainError } from '../../nodes/shared/core/errors';
import type { JournalEntry } from '../../nodes/shared/core/journal';
import { catchUpDecision, refillBucket, stepName, takeFromBucket, trailFromJournal } from '../../nodes/shared/core/resume';

/** Fixed instants: nothing here reads the clock. */
const t = (minutes: number) => new Date(Date.UTC(2026, 5, 1, 14, 0) + minutes * 60_000).toISOString();
const ids = { journeyId: 'visit:fhir:enc-1', patientKey: 'fhir:pat-1' };
const entry = (minutes: number, type: string, extra: Partial<JournalEntry> = {}): JournalEntry => ({ at: t(minutes), ...ids, type, ...extra });
const addresses: Record<string, string> = { 'sms:hash-mobile': '+15125550101', 'email:hash-mail': 'ana@example.test' };
const addressOf = (channel: string, hash: string) => addresses[`${channel}:${hash}`];

describe('the trail of a journey resumed from the journey store, rebuilt from its journal', () => {
	it('keeps what was sent and what failed, in time order whatever the order given, with the stage reached', () => {
		const trail = trailFromJournal(ids.journeyId, ids.patientKey, [
			entry(30, 'touch.sent', { stage: 1, channel: 'email', providerId: 'msg-2' }),
			entry(0, 'journey.started'),
			entry(10, 'touch.failed', { stage: 1, channel: 'sms', code: '21614', detail: { fallback: 'landline', addressHash: 'hash-mobile' } }),
			entry(20, 'route.send', { code: 'all' }),
		], addressOf);
		expect(trail).toEqual({
			...ids,
			stage: 1,
			holds: 0,
			steps: [
				{ at: t(0), node: 'journal', outcome: 'received' },
				{ at: t(10), node: 'journal', outcome: 'failed', stage: 1, channel: 'sms', reason: 'landline', address: '+15125550101' },
				{ at: t(30), node: 'journal', outcome: 'sent', stage: 1, channel: 'email', providerId: 'msg-2' },
			],
		});
	});

	it.each<[string, JournalEntry, { reason: string; address?: string }]>([
		['a bounce reported later', entry(5, 'touch.undelivered', { stage: 2, channel: 'email', detail: { addressHash: 'hash-mail' } }), { reason: 'bounce', address: 'ana@example.test' }],
		['an undelivered SMS with its reason', entry(5, 'touch.undelivered', { stage: 2, channel: 'sms', detail: { reason: 'landline', addressHash: 'hash-mobile' } }), { reason: 'landline', address: '+15125550101' }],
		['an undelivered SMS without a reason', entry(5, 'touch.undelivered', { stage: 2, channel: 'sms' }), { reason: 'undelivered' }],
		['a failure with only a code', entry(5, 'touch.failed', { stage: 2, channel: 'sms', code: 'twilio:30003' }), { reason: 'twilio:30003' }],
		['a failure with neither', entry(5, 'touch.failed', { stage: 2, channel: 'voice' }), { reason: 'failed' }],
		['an address that is no longer the patient\'s', entry(5, 'touch.failed', { stage: 2, channel: 'sms', detail: { fallback: 'other', addressHash: 'hash-old' } }), { reason: 'other' }],
	])('reads %s as a failure the router skips', (_what, failure, expected) => {
		const [step] = trailFromJournal(ids.journeyId, ids.patientKey, [failure], addressOf).steps;
		expect(step).toMatchObject({ outcome: 'failed', stage: 2, ...expected });
		if (!expected.address) expect(step.address).toBeUndefined();
	});

	it('ignores failures of channels it does not know and lines that are not touches', () => {
		const trail = trailFromJournal(ids.journeyId, ids.patientKey, [
			entry(1, 'touch.failed', { channel: 'task' }),
			entry(2, 'task.created', { stage: 3, channel: 'task' }),
			entry(3, 'step.resumed', { detail: { step: 'Reminder' } }),
		], addressOf);
		expect(trail).toMatchObject({ stage: 0, steps: [] });
	});

	it('counts the holds in a row since the last send, not those of a pause', () => {
		const held = (minutes: number, code = 'outsideWindow') => entry(minutes, 'touch.held', { stage: 2, code });
		const journal = [held(1), entry(2, 'touch.sent', { stage: 1, channel: 'sms' }), held(3), held(4, 'outreachPaused'), held(5, 'dailyCap')];
		expect(trailFromJournal(ids.journeyId, ids.patientKey, journal, addressOf).holds).toBe(2);
	});

	it('carries the step it was resumed from, and none when there is none', () => {
		const resumedFrom = { name: 'Reminder', workflowId: 'wf-1', dueAt: t(0), attempt: 1, leaseToken: 'lease', leaseMs: 600_000 };
		expect(trailFromJournal(ids.journeyId, ids.patientKey, [], addressOf, resumedFrom).resumedFrom).toEqual(resumedFrom);
		expect('resumedFrom' in trailFromJournal(ids.journeyId, ids.patientKey, [], addressOf)).toBe(false);
	});
});

describe('the catch-up rule for a step found late', () => {
	it.each<[string, number, 'nextAllowed' | 'handToStaff', number, string, number]>([
		['on time', 0, 'nextAllowed', 24, 'resume', 0],
		['due in the future (clock skew)', -5, 'handToStaff', 1, 'resume', 0],
		['late, sent at the next allowed time', 60 * 30, 'nextAllowed', 24, 'resume', 1800],
		['late within the limit', 90, 'handToStaff', 2, 'resume', 90],
		['late beyond the limit', 121, 'handToStaff', 2, 'handToStaff', 121],
	])('%s', (_what, lateMinutes, rule, maxLateHours, action, reported) => {
		expect(catchUpDecision(t(0), t(lateMinutes), { rule, maxLateHours })).toEqual({ action, lateMinutes: reported });
	});
});

describe('the backlog release rate (a token bucket)', () => {
	const at = (minutes: number) => Date.parse(t(minutes));

	it('starts full, gives out at most what it holds, and refills at the rate, never beyond a minute\'s worth', () => {
		let bucket = refillBucket(undefined, at(0), 60);
		expect(bucket).toEqual({ tokens: 60, atMs: at(0) });
		const first = takeFromBucket(bucket, 100);
		expect(first.taken).toBe(60);
		bucket = refillBucket(first.bucket, at(0.5), 60);
		expect(takeFromBucket(bucket, 100).taken).toBe(30);
		expect(refillBucket(first.bucket, at(600), 60).tokens).toBe(60);
	});

	it('does not refill backwards when the clock steps back, and takes nothing for a negative wish', () => {
		const bucket = { tokens: 5, atMs: at(10) };
		expect(refillBucket(bucket, at(9), 60).tokens).toBe(5);
		expect(takeFromBucket(bucket, -3)).toEqual({ taken: 0, bucket });
	});
});

describe('a step name as ops type it', () => {
	it('is trimmed', () => {
		expect(stepName('  Reminder ', 'step')).toBe('Reminder');
	});

	it.each([
		['empty', ''],
		['blank', '   '],
		['not text', 42],
		['longer than 100 characters', 'x'.repeat(101)],
	])('is refused when %s, naming the field', (_what, value) => {
		const error = (() => {
			try {
				stepName(value, 'Steps › Step 2 › Name');
			} catch (caught) {
				return caught;
			}
			return undefined;
		})();
		expect(error).toBeInstanceOf(DomainError);
		expect((error as DomainError).field).toBe('Steps › Step 2 › Name');
	});
});
