import { DomainError } from '../../nodes/shared/core/errors';
import { evaluateTouch, holdReasons, isCurableByTime } from '../../nodes/shared/core/guard';
import type { GuardInput, HoldReason, TouchHistory, TouchToGuard } from '../../nodes/shared/core/guard';
import type { Caps, SendPolicy } from '../../nodes/shared/core/practice';

const NY = 'America/New_York';
/** Wednesday 2026-06-10, 11:00 EDT: inside the default window. */
const insideWindow = '2026-06-10T15:00:00.000Z';
/** Wednesday 2026-06-10, 21:30 EDT: after the window. */
const afterWindow = '2026-06-11T01:30:00.000Z';

const defaultPolicy: SendPolicy = { window: { start: '09:00', end: '20:00' }, closedWeekdays: [], holidays: [] };
const defaultCaps: Caps = { automatedPerJourney: 2, stage3PerJourney: 1, perPatientPerDay: 1, perNumberPerDay: 1 };
const stage1Sms: TouchToGuard = { stage: 1, kind: 'automated', channel: 'sms' };
const stage3Voice: TouchToGuard = { stage: 3, kind: 'stage3', channel: 'voice' };
const noHistory: TouchHistory = {
	automatedSentThisJourney: 0,
	stage3SentThisJourney: 0,
	patientTouchesToday: 0,
	optedOutChannels: [],
};

function input(overrides: Partial<Omit<GuardInput, 'history'>> & { history?: Partial<TouchHistory> } = {}): GuardInput {
	return {
		now: insideWindow,
		zone: NY,
		policy: defaultPolicy,
		caps: defaultCaps,
		touch: stage1Sms,
		actionDone: false,
		...overrides,
		history: { ...noHistory, ...overrides.history },
	};
}

describe('evaluateTouch', () => {
	it.each([
		['a first message inside the window', input()],
		['the second automated message', input({ touch: { stage: 2, kind: 'automated', channel: 'email' }, history: { automatedSentThisJourney: 1 } })],
		['the stage-3 touch after both automated ones', input({ touch: stage3Voice, history: { automatedSentThisJourney: 2 } })],
		['opted out of another channel only', input({ history: { optedOutChannels: ['email', 'voice'] } })],
		['a raised daily cap with room left', input({ caps: { ...defaultCaps, perPatientPerDay: 2 }, history: { patientTouchesToday: 1 } })],
		['the patient zone decides the window (19:30 in Los Angeles)', input({ now: '2026-06-11T02:30:00Z', zone: 'America/Los_Angeles' })],
	])('allows %s', (_name, guardInput) => {
		expect(evaluateTouch(guardInput)).toEqual({ allowed: true });
	});

	it.each<[string, GuardInput, HoldReason, string | undefined]>([
		['the action is done', input({ actionDone: true }), 'actionDone', undefined],
		['the channel opted out', input({ history: { optedOutChannels: ['sms'] } }), 'optedOut', undefined],
		['two automated messages already sent', input({ touch: { stage: 2, kind: 'automated', channel: 'sms' }, history: { automatedSentThisJourney: 2 } }), 'perJourneyCap', undefined],
		['the stage-3 touch already made', input({ touch: stage3Voice, history: { stage3SentThisJourney: 1 } }), 'perJourneyCap', undefined],
		['an ops cap of zero automated messages', input({ caps: { ...defaultCaps, automatedPerJourney: 0 } }), 'perJourneyCap', undefined],
		['after the window', input({ now: afterWindow }), 'outsideWindow', '2026-06-11T13:00:00.000Z'],
		['before the window on the spring-forward Sunday', input({ now: '2026-03-08T07:30:00Z' }), 'outsideWindow', '2026-03-08T13:00:00.000Z'],
		['in the repeated hour of the fall-back Sunday', input({ now: '2026-11-01T06:30:00Z' }), 'outsideWindow', '2026-11-01T14:00:00.000Z'],
		['a closed weekday', input({ now: '2026-06-13T15:00:00Z', policy: { ...defaultPolicy, closedWeekdays: ['sat', 'sun'] } }), 'outsideWindow', '2026-06-15T13:00:00.000Z'],
		['a holiday', input({ now: '2026-07-03T15:00:00Z', policy: { ...defaultPolicy, holidays: ['2026-07-03'] } }), 'outsideWindow', '2026-07-04T13:00:00.000Z'],
		['the daily cap reached', input({ history: { patientTouchesToday: 1 } }), 'dailyCap', '2026-06-11T13:00:00.000Z'],
		['the daily cap reached on a Friday with weekends closed', input({ now: '2026-06-12T15:00:00Z', policy: { ...defaultPolicy, closedWeekdays: ['sat', 'sun'] }, history: { patientTouchesToday: 1 } }), 'dailyCap', '2026-06-15T13:00:00.000Z'],
		['the daily cap reached before the spring-forward Sunday', input({ now: '2026-03-07T15:00:00Z', history: { patientTouchesToday: 3 } }), 'dailyCap', '2026-03-08T13:00:00.000Z'],
		['the daily cap reached in Honolulu', input({ now: '2026-06-11T05:00:00Z', zone: 'Pacific/Honolulu', history: { patientTouchesToday: 1 } }), 'dailyCap', '2026-06-11T19:00:00.000Z'],
	])('holds when %s', (_name, guardInput, reason, retryAt) => {
		const decision = evaluateTouch(guardInput);
		expect(decision).toEqual({
			allowed: false,
			reason,
			...(retryAt ? { retryAt } : {}),
			detail: expect.any(String),
		});
	});

	// Each row breaks every rule from its reason onwards, so only the precedence decides the answer.
	it.each<[HoldReason, GuardInput]>([
		['actionDone', input({ actionDone: true, now: afterWindow, history: { optedOutChannels: ['sms'], automatedSentThisJourney: 2, patientTouchesToday: 1 } })],
		['optedOut', input({ now: afterWindow, history: { optedOutChannels: ['sms'], automatedSentThisJourney: 2, patientTouchesToday: 1 } })],
		['perJourneyCap', input({ now: afterWindow, history: { automatedSentThisJourney: 2, patientTouchesToday: 1 } })],
		['outsideWindow', input({ now: afterWindow, history: { patientTouchesToday: 1 } })],
		['dailyCap', input({ history: { patientTouchesToday: 1 } })],
	])('precedence: %s wins over the reasons after it', (reason, guardInput) => {
		expect(evaluateTouch(guardInput)).toMatchObject({ allowed: false, reason });
	});

	it.each([
		['actionDone', input({ actionDone: true })],
		['optedOut', input({ history: { optedOutChannels: ['sms'] } })],
		['perJourneyCap', input({ history: { automatedSentThisJourney: 2 } })],
		['outsideWindow', input({ now: afterWindow })],
		['dailyCap', input({ history: { patientTouchesToday: 1 } })],
	])('the %s detail names no contact data', (_reason, guardInput) => {
		const decision = evaluateTouch(guardInput);
		expect(decision.allowed).toBe(false);
		const detail = decision.allowed ? '' : decision.detail;
		expect(detail.length).toBeGreaterThan(10);
		expect(detail).not.toMatch(/\+\d{7,}|@/);
	});

	it.each([
		['caps.perPatientPerDay', input({ caps: { ...defaultCaps, perPatientPerDay: 0 } })],
		['caps.automatedPerJourney', input({ caps: { ...defaultCaps, automatedPerJourney: 9 } })],
		['touch.channel', input({ touch: { stage: 1, kind: 'automated', channel: 'fax' as 'sms' } })],
		['touch.kind', input({ touch: { stage: 1, kind: 'robocall' as 'automated', channel: 'sms' } })],
		['touch.stage', input({ touch: { stage: 4 as 1, kind: 'automated', channel: 'sms' } })],
		['history.patientTouchesToday', input({ history: { patientTouchesToday: -1 } })],
		['history.automatedSentThisJourney', input({ history: { automatedSentThisJourney: 0.5 } })],
		['history.optedOutChannels.0', input({ history: { optedOutChannels: ['pager' as 'sms'] } })],
		['actionDone', input({ actionDone: 'yes' as unknown as boolean })],
		['zone', input({ actionDone: true, zone: 'Nowhere/City' })],
		['now', input({ actionDone: true, now: 'tomorrow' })],
		['policy.window', input({ policy: { ...defaultPolicy, window: { start: '06:00', end: '22:00' } } })],
	])('rejects a bad %s with a DomainError naming it', (field, guardInput) => {
		expect(() => evaluateTouch(guardInput)).toThrow(DomainError);
		expect(() => evaluateTouch(guardInput)).toThrow(expect.objectContaining({ field }));
	});
});

describe('isCurableByTime', () => {
	it.each<[HoldReason, boolean]>([
		['actionDone', false],
		['optedOut', false],
		['perJourneyCap', false],
		['outsideWindow', true],
		['dailyCap', true],
	])('%s → %s', (reason, curable) => {
		expect(isCurableByTime(reason)).toBe(curable);
	});

	it('lists the reasons in precedence order', () => {
		expect(holdReasons).toEqual(['actionDone', 'optedOut', 'perJourneyCap', 'outsideWindow', 'dailyCap']);
	});
});
