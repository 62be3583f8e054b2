import { DomainError } from '../../nodes/shared/core/errors';
import {
	applyNumberCap,
	routeChannels,
	type ChannelRoute,
	type NumberCapInput,
	type RoutedChannel,
	type RouteChannelsInput,
	type RoutingDecision,
} from '../../nodes/shared/core/routing';
import type { Phone } from '../../nodes/shared/core/schemas';

const mobile: Phone = { number: '+15125550101', kind: 'mobile' };
const mobile2: Phone = { number: '+15125550102', kind: 'mobile' };
const unknownKind: Phone = { number: '+15125550103', kind: 'unknown' };
const landline: Phone = { number: '+15125550104', kind: 'landline' };
const email = 'ana@example.com';

type Overrides = Partial<Omit<RouteChannelsInput, 'patient' | 'consent'>> & {
	patient?: Partial<RouteChannelsInput['patient']>;
	consent?: Partial<RouteChannelsInput['consent']>;
};

function input(overrides: Overrides = {}): RouteChannelsInput {
	return {
		stage: 1,
		channelOrder: ['sms', 'email'],
		allowVoice: false,
		...overrides,
		patient: { phones: [mobile], email, ...overrides.patient },
		consent: { sms: true, email: true, voice: true, ...overrides.consent },
	};
}

const used = (route: ChannelRoute) => route.channels.map(({ channel, address, reason }) => [channel, address, reason]);
const decisionOf = (route: ChannelRoute, channel: string): RoutingDecision | undefined =>
	route.decisions.find((decision) => decision.channel === channel);

describe('routeChannels: which channels a stage uses', () => {
	it.each<[string, Overrides, ChannelRoute['strategy'], Array<[string, string, string]>]>([
		[
			'stage 1 sends SMS and email',
			{},
			'all',
			[
				['sms', mobile.number, 'practiceOrder'],
				['email', email, 'practiceOrder'],
			],
		],
		['no mobile → email', { patient: { phones: [] } }, 'all', [['email', email, 'practiceOrder']]],
		['landline → email', { patient: { phones: [landline] } }, 'all', [['email', email, 'practiceOrder']]],
		[
			'number Twilio reported as landline (21614) → email',
			{ patient: { phones: [unknownKind] }, history: { landlines: ['+1 (512) 555-0103'] } },
			'all',
			[['email', email, 'practiceOrder']],
		],
		[
			'opted out of SMS → email',
			{ stage: 2, history: { optedOut: [{ channel: 'sms', address: mobile.number }] } },
			'firstSuccess',
			[['email', email, 'practiceOrder']],
		],
		[
			'preferred email goes first, SMS is the fallback',
			{ stage: 2, patient: { preferredChannel: 'email' } },
			'firstSuccess',
			[
				['email', email, 'preferred'],
				['sms', mobile.number, 'practiceOrder'],
			],
		],
		[
			'preferred SMS at stage 2',
			{ stage: 2, channelOrder: ['email', 'sms'], patient: { preferredChannel: 'sms' } },
			'firstSuccess',
			[
				['sms', mobile.number, 'preferred'],
				['email', email, 'practiceOrder'],
			],
		],
		[
			'practice order email first',
			{ stage: 2, channelOrder: ['email', 'sms'] },
			'firstSuccess',
			[
				['email', email, 'practiceOrder'],
				['sms', mobile.number, 'practiceOrder'],
			],
		],
		[
			'an opted-out mobile is passed over for the next textable number',
			{
				patient: { phones: [mobile, unknownKind], email: undefined },
				history: { optedOut: [{ channel: 'sms', address: mobile.number }] },
			},
			'all',
			[['sms', unknownKind.number, 'practiceOrder']],
		],
		[
			'a known mobile is texted before a number of unknown kind',
			{ patient: { phones: [unknownKind, landline, mobile2] } },
			'all',
			[
				['sms', mobile2.number, 'practiceOrder'],
				['email', email, 'practiceOrder'],
			],
		],
		[
			'a number that failed earlier is passed over',
			{ stage: 2, patient: { phones: [mobile, mobile2] }, history: { failed: [{ channel: 'sms', address: mobile.number }] } },
			'firstSuccess',
			[
				['sms', mobile2.number, 'practiceOrder'],
				['email', email, 'practiceOrder'],
			],
		],
		[
			'bounced email → SMS only',
			{ history: { bounced: [{ channel: 'email', address: 'ANA@Example.com ' }] } },
			'all',
			[['sms', mobile.number, 'practiceOrder']],
		],
		[
			'a practice order without email leaves email out',
			{ channelOrder: ['sms'] },
			'all',
			[['sms', mobile.number, 'practiceOrder']],
		],
		[
			'a patient preference outside the practice order still counts',
			{ stage: 2, channelOrder: ['sms'], patient: { preferredChannel: 'email' } },
			'firstSuccess',
			[
				['email', email, 'preferred'],
				['sms', mobile.number, 'practiceOrder'],
			],
		],
		[
			'a voice preference does not apply before stage 3',
			{ stage: 2, channelOrder: ['voice', 'email', 'sms'], patient: { preferredChannel: 'voice' } },
			'firstSuccess',
			[
				['email', email, 'practiceOrder'],
				['sms', mobile.number, 'practiceOrder'],
			],
		],
		[
			'stage 3 voice on a landline',
			{ stage: 3, allowVoice: true, patient: { phones: [landline] } },
			'firstSuccess',
			[['voice', landline.number, 'voiceChosen']],
		],
		[
			'stage 3 voice for a patient who prefers it',
			{ stage: 3, allowVoice: true, patient: { preferredChannel: 'voice' } },
			'firstSuccess',
			[['voice', mobile.number, 'preferred']],
		],
		[
			'stage 3 voice passes over a number that failed',
			{
				stage: 3,
				allowVoice: true,
				patient: { phones: [mobile, landline] },
				history: { failed: [{ channel: 'voice', address: mobile.number }] },
			},
			'firstSuccess',
			[['voice', landline.number, 'voiceChosen']],
		],
	])('%s', (_name, overrides, strategy, channels) => {
		const route = routeChannels(input(overrides));
		expect(route.strategy).toBe(strategy);
		expect(used(route)).toEqual(channels);
		expect(route.staffCall).toBeUndefined();
	});
});

describe('routeChannels: skip decisions carry a machine reason', () => {
	it.each<[string, Overrides, string, Omit<RoutingDecision, 'channel'>]>([
		['no phone', { patient: { phones: [] } }, 'sms', { decision: 'skip', reason: 'noMobile' }],
		['landline kind', { patient: { phones: [landline] } }, 'sms', { decision: 'skip', reason: 'landline' }],
		['no SMS consent', { consent: { sms: false } }, 'sms', { decision: 'skip', reason: 'noConsent' }],
		[
			'SMS opted out',
			{ history: { optedOut: [{ channel: 'sms', address: mobile.number }] } },
			'sms',
			{ address: mobile.number, decision: 'skip', reason: 'optedOut' },
		],
		[
			'opt-out outranks a failure on another number',
			{
				patient: { phones: [mobile, mobile2] },
				history: {
					failed: [{ channel: 'sms', address: mobile.number }],
					optedOut: [{ channel: 'sms', address: mobile2.number }],
				},
			},
			'sms',
			{ address: mobile2.number, decision: 'skip', reason: 'optedOut' },
		],
		[
			'SMS opted out under the national spelling of the number',
			{ history: { optedOut: [{ channel: 'sms', address: '(512) 555-0101' }] } },
			'sms',
			{ address: mobile.number, decision: 'skip', reason: 'optedOut' },
		],
		[
			'SMS failed under a spelling with the trunk 1 and dots',
			{ history: { failed: [{ channel: 'sms', address: '1.512.555.0101' }] } },
			'sms',
			{ address: mobile.number, decision: 'skip', reason: 'failed' },
		],
		[
			'SMS failed',
			{ history: { failed: [{ channel: 'sms', address: mobile.number }] } },
			'sms',
			{ address: mobile.number, decision: 'skip', reason: 'failed' },
		],
		['no email', { patient: { email: undefined } }, 'email', { decision: 'skip', reason: 'noAddress' }],
		['blank email', { patient: { email: '  ' } }, 'email', { decision: 'skip', reason: 'noAddress' }],
		['no email consent', { consent: { email: false } }, 'email', { address: email, decision: 'skip', reason: 'noConsent' }],
		[
			'email opted out',
			{ history: { optedOut: [{ channel: 'email', address: email }] } },
			'email',
			{ address: email, decision: 'skip', reason: 'optedOut' },
		],
		[
			'email bounced',
			{ history: { bounced: [{ channel: 'email', address: email }] } },
			'email',
			{ address: email, decision: 'skip', reason: 'bounced' },
		],
		[
			'email failed',
			{ history: { failed: [{ channel: 'email', address: email }] } },
			'email',
			{ address: email, decision: 'skip', reason: 'failed' },
		],
		['email not in the practice order', { channelOrder: ['sms'] }, 'email', { decision: 'skip', reason: 'notInPracticeOrder' }],
		['voice before stage 3', {}, 'voice', { decision: 'skip', reason: 'voiceStage3Only' }],
		['voice not chosen at stage 3', { stage: 3 }, 'voice', { decision: 'skip', reason: 'voiceNotChosen' }],
		['SMS at stage 3', { stage: 3, allowVoice: true }, 'sms', { decision: 'skip', reason: 'notThisStage' }],
		['used SMS', {}, 'sms', { address: mobile.number, decision: 'use', reason: 'practiceOrder' }],
	])('%s', (_name, overrides, channel, decision) => {
		expect(decisionOf(routeChannels(input(overrides)), channel)).toEqual({ channel, ...decision });
	});

	it('lists each channel once, also when the practice order names voice', () => {
		const route = routeChannels(input({ channelOrder: ['voice', 'sms', 'sms', 'email'] }));
		expect(route.decisions.map((d) => d.channel).sort()).toEqual(['email', 'sms', 'voice']);
	});

	it('tolerates an untyped caller leaving out phones and the practice order', () => {
		const loose = { ...input({ stage: 2, patient: { preferredChannel: 'email' } }), channelOrder: undefined } as never;
		(loose as RouteChannelsInput).patient = { email, preferredChannel: 'email' } as never;
		const route = routeChannels(loose);
		expect(used(route)).toEqual([['email', email, 'preferred']]);
		expect(decisionOf(route, 'sms')).toEqual({ channel: 'sms', decision: 'skip', reason: 'notInPracticeOrder' });
		const voice = routeChannels({ ...(loose as RouteChannelsInput), stage: 3, allowVoice: true });
		expect(voice.staffCall).toEqual({ reason: 'noContact' });
		expect(decisionOf(voice, 'voice')).toEqual({ channel: 'voice', decision: 'skip', reason: 'noPhone' });
		const sms = routeChannels({ ...(loose as RouteChannelsInput), channelOrder: ['sms'] });
		expect(decisionOf(sms, 'sms')).toEqual({ channel: 'sms', decision: 'skip', reason: 'noMobile' });
	});

	it('works without any history', () => {
		const withoutHistory = input();
		delete withoutHistory.history;
		expect(used(routeChannels(withoutHistory))).toHaveLength(2);
	});
});

describe('routeChannels: staff call when no channel is left', () => {
	it.each<[string, Overrides, string]>([
		['no phone, no email', { patient: { phones: [], email: undefined } }, 'noContact'],
		['landline only, no email', { patient: { phones: [landline], email: undefined } }, 'noContact'],
		['a practice order with no channels', { channelOrder: [] }, 'noContact'],
		[
			'opted out of SMS and email',
			{
				stage: 2,
				history: {
					optedOut: [
						{ channel: 'sms', address: mobile.number },
						{ channel: 'email', address: email },
					],
				},
			},
			'optedOutEverywhere',
		],
		[
			'opted out of SMS, no email',
			{ patient: { email: undefined }, history: { optedOut: [{ channel: 'sms', address: mobile.number }] } },
			'optedOutEverywhere',
		],
		['no consent anywhere', { consent: { sms: false, email: false } }, 'noConsent'],
		[
			'opted out of SMS, no email consent',
			{ consent: { email: false }, history: { optedOut: [{ channel: 'sms', address: mobile.number }] } },
			'noConsent',
		],
		[
			'SMS failed and email bounced',
			{
				stage: 2,
				history: {
					failed: [{ channel: 'sms', address: mobile.number }],
					bounced: [{ channel: 'email', address: email }],
				},
			},
			'allFailed',
		],
		[
			'SMS opted out and email bounced',
			{
				history: {
					optedOut: [{ channel: 'sms', address: mobile.number }],
					bounced: [{ channel: 'email', address: email }],
				},
			},
			'allFailed',
		],
		['stage 3 voice without a phone', { stage: 3, allowVoice: true, patient: { phones: [] } }, 'noContact'],
		['stage 3 voice without consent', { stage: 3, allowVoice: true, consent: { voice: false } }, 'noConsent'],
		[
			'stage 3 voice to a number that texted STOP',
			{ stage: 3, allowVoice: true, history: { optedOut: [{ channel: 'sms', address: mobile.number }] } },
			'optedOutEverywhere',
		],
		[
			'stage 3 voice opted out on voice',
			{ stage: 3, allowVoice: true, history: { optedOut: [{ channel: 'voice', address: mobile.number }] } },
			'optedOutEverywhere',
		],
		[
			'stage 3 voice call failed',
			{ stage: 3, allowVoice: true, history: { failed: [{ channel: 'voice', address: mobile.number }] } },
			'allFailed',
		],
	])('%s → %s', (_name, overrides, reason) => {
		const route = routeChannels(input(overrides));
		expect(route.channels).toEqual([]);
		expect(route.staffCall).toEqual({ reason });
	});

	it('stage 3 without voice routes nothing and asks for no staff call: the human task is the touch', () => {
		const route = routeChannels(input({ stage: 3, allowVoice: false }));
		expect(route).toEqual({
			channels: [],
			strategy: 'firstSuccess',
			decisions: [
				{ channel: 'sms', decision: 'skip', reason: 'notThisStage' },
				{ channel: 'email', decision: 'skip', reason: 'notThisStage' },
				{ channel: 'voice', decision: 'skip', reason: 'voiceNotChosen' },
			],
		});
	});
});

describe('routeChannels: input', () => {
	it.each([0, 4, '2'])('rejects stage %j naming the field', (stage) => {
		expect(() => routeChannels(input({ stage: stage as never }))).toThrow(
			expect.objectContaining({ name: 'DomainError', code: 'invalid_input', field: 'stage' }),
		);
		expect(() => routeChannels(input({ stage: stage as never }))).toThrow(DomainError);
	});
});

describe('applyNumberCap: the per-number daily cap (shared phones)', () => {
	const sms: RoutedChannel = { channel: 'sms', address: mobile.number, reason: 'practiceOrder' };
	const mail: RoutedChannel = { channel: 'email', address: email, reason: 'practiceOrder' };
	const voice: RoutedChannel = { channel: 'voice', address: mobile.number, reason: 'voiceChosen' };
	// Tuesday 2026-03-10, 10:00 in Chicago; the next open day's window starts Wednesday 09:00 (14:00 UTC).
	const now = '2026-03-10T15:00:00.000Z';
	const nextDay = '2026-03-11T14:00:00.000Z';
	const capInput = (overrides: Partial<NumberCapInput>): NumberCapInput => ({
		stage: 1,
		targets: [sms, mail],
		perNumberPerDay: 1,
		sentToday: [],
		now,
		zone: 'America/Chicago',
		policy: { window: { start: '09:00', end: '20:00' }, closedWeekdays: [], holidays: [] },
		...overrides,
	});
	// The sibling's text went to the same number, written another way.
	const siblingText = [{ address: '(512) 555-0101', messages: 1 }];

	it.each<[string, Partial<NumberCapInput>, RoutedChannel[], RoutedChannel[]]>([
		['nothing sent to the number today: every channel', {}, [sms, mail], []],
		['a sibling\'s text today: the care summary goes by email at once, SMS skipped', { sentToday: siblingText }, [mail], [sms]],
		['under a cap of 2: both', { sentToday: siblingText, perNumberPerDay: 2 }, [sms, mail], []],
		['another number was messaged: not this one', { sentToday: [{ address: '+15125550199', messages: 3 }] }, [sms, mail], []],
		['a reminder by email first: sent, the capped SMS fallback dropped', { stage: 2, targets: [mail, sms], sentToday: siblingText }, [mail], [sms]],
	])('%s', (_name, overrides, targets, capped) => {
		expect(applyNumberCap(capInput(overrides))).toEqual({ allowed: true, targets, capped });
	});

	it.each<[string, Partial<NumberCapInput>, string]>([
		['a care summary with no email: held to the next open day, and says so', { targets: [sms], sentToday: siblingText }, 'numberCapCareSummary'],
		['a reminder by SMS: held to the next open day, the channel kept', { stage: 2, targets: [sms, mail], sentToday: siblingText }, 'numberCap'],
		['a stage-3 call to the number: held', { stage: 3, targets: [voice], sentToday: siblingText }, 'numberCap'],
		['counts added over the number\'s spellings', { stage: 2, targets: [sms], perNumberPerDay: 2, sentToday: [...siblingText, { address: mobile.number, messages: 1 }] }, 'numberCap'],
	])('%s', (_name, overrides, reason) => {
		const decision = applyNumberCap(capInput(overrides));
		expect(decision).toMatchObject({ allowed: false, reason, retryAt: nextDay });
		expect(decision).toHaveProperty('detail', expect.not.stringContaining('555'));
	});

	it('the next open day skips closed days', () => {
		// Friday 2026-03-13 with weekends closed: Monday 09:00 in Chicago.
		const decision = applyNumberCap(
			capInput({
				now: '2026-03-13T15:00:00.000Z',
				stage: 2,
				targets: [sms],
				sentToday: siblingText,
				policy: { window: { start: '09:00', end: '20:00' }, closedWeekdays: ['sat', 'sun'], holidays: [] },
			}),
		);
		expect(decision).toMatchObject({ allowed: false, retryAt: '2026-03-16T14:00:00.000Z' });
	});

	it.each([0, 1.5])('rejects a cap of %j naming the field', (cap) => {
		expect(() => applyNumberCap(capInput({ perNumberPerDay: cap }))).toThrow(
			expect.objectContaining({ code: 'invalid_input', field: 'perNumberPerDay' }),
		);
	});
});
