import { eventsByAge } from '../../nodes/shared/ehr/notifications';
import type { NotificationEvent } from '../../nodes/shared/ehr/types';

const now = '2026-12-07T12:00:00Z';

function event(eventId: string, occurredAt?: string): NotificationEvent {
	return { ehr: 'athenahealth', eventId, topic: 'Appointment.check-out', resourceType: 'Appointment', resourceId: '5001', occurredAt };
}

describe('eventsByAge: pushed events older than the maximum age are refused by their own time', () => {
	it.each<[string, string | undefined, 'fresh' | 'tooOld']>([
		['an hour old', '2026-12-07T11:00:00Z', 'fresh'],
		['exactly 7 days old', '2026-11-30T12:00:00Z', 'fresh'],
		['7 days and a second old', '2026-11-30T11:59:59Z', 'tooOld'],
		['8 days old, with an offset', '2026-11-29T08:00:00-05:00', 'tooOld'],
		['a year old', '2025-12-07T12:00:00Z', 'tooOld'],
		['without a time (DrChrono)', undefined, 'fresh'],
		['with a time that is not one', 'yesterday', 'fresh'],
		['a naive time read at the latest instant it can name (UTC-12)', '2026-11-30T00:00:00', 'fresh'],
		['a naive time too old even so', '2026-11-29T23:59:00', 'tooOld'],
	])('%s → %s', (_label, occurredAt, expected) => {
		const split = eventsByAge([event('e1', occurredAt)], now, 7);
		expect(split[expected].map((kept) => kept.eventId)).toEqual(['e1']);
	});

	it('splits a batch, keeping the order', () => {
		const split = eventsByAge([event('old', '2026-11-01T00:00:00Z'), event('new', '2026-12-07T10:00:00Z'), event('older', '2026-10-01T00:00:00Z')], now, 7);
		expect(split.fresh.map((kept) => kept.eventId)).toEqual(['new']);
		expect(split.tooOld.map((kept) => kept.eventId)).toEqual(['old', 'older']);
	});

	it.each([0, -1, Number.NaN])('refuses a maximum age of %s, naming the parameter', (days) => {
		expect(() => eventsByAge([], now, days)).toThrow(expect.objectContaining({ field: 'maxEventAgeDays' }));
	});
});
