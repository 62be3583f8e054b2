import { isInsideWindow, nextAllowedInstant, planTouch, windowStartOnNextOpenDay } from '../../nodes/shared/core/cadence';
import { evaluateTouch } from '../../nodes/shared/core/guard';
import { areaCodeOf, patientZoneOf, zip5Of, zoneFields, zoneFromPatientAddress } from '../../nodes/shared/core/patientZone';
import type { PatientZone } from '../../nodes/shared/core/patientZone';
import type { SendPolicy } from '../../nodes/shared/core/practice';
import type { Phone } from '../../nodes/shared/core/schemas';
import { zonesOfAreaCode, zonesOfZip5 } from '../../nodes/shared/core/zoneTables';

const policy: SendPolicy = { window: { start: '09:00', end: '20:00' }, closedWeekdays: [], holidays: [] };
const mobile = (number: string): Phone => ({ number, kind: 'mobile' });
const practice: PatientZone = { zone: 'America/New_York', extraZones: [], source: 'practice' };

describe('zone tables', () => {
	it.each([
		['10001', ['America/New_York']],
		['60601', ['America/Chicago']],
		['80202', ['America/Denver']],
		['85004', ['America/Phoenix']],
		['83702', ['America/Boise']],
		['94103', ['America/Los_Angeles']],
		['99501', ['America/Anchorage']],
		['96813', ['Pacific/Honolulu']],
		['00901', ['America/Puerto_Rico']],
		['96799', ['Pacific/Pago_Pago']],
		['99546', ['America/Adak']],
		['32401', ['America/Chicago', 'America/New_York']],
		['79901', ['America/Denver']],
		['86033', ['America/Phoenix', 'America/Denver']],
	])('ZIP %s is in %j', (zip, zones) => {
		expect(zonesOfZip5(zip)).toEqual(zones);
	});

	it('knows no zone for military mail and unused prefixes', () => {
		expect(zonesOfZip5('09001')).toBeUndefined();
		expect(zonesOfZip5('96201')).toBeUndefined();
		expect(zonesOfZip5('00100')).toBeUndefined();
	});

	it.each([
		['212', ['America/New_York']],
		['512', ['America/Chicago']],
		['808', ['Pacific/Honolulu']],
		['602', ['America/Phoenix']],
		['850', ['America/Chicago', 'America/New_York']],
		['208', ['America/Boise', 'America/Los_Angeles']],
		['604', undefined],
	])('area code %s is in %j', (code, zones) => {
		expect(zonesOfAreaCode(code)).toEqual(zones);
	});

	it('lists every zone of every entry as a zone the runtime knows', () => {
		const codes = Array.from({ length: 800 }, (_, index) => String(200 + index));
		const zips = Array.from({ length: 1000 }, (_, index) => `${String(index).padStart(3, '0')}01`);
		const zones = new Set([...codes.flatMap((code) => zonesOfAreaCode(code) ?? []), ...zips.flatMap((zip) => zonesOfZip5(zip) ?? [])]);
		for (const zone of zones) expect(Intl.DateTimeFormat(undefined, { timeZone: zone }).resolvedOptions().timeZone).toBeTruthy();
		expect(zones.size).toBeGreaterThan(8);
	});
});

describe('patient zone derivation', () => {
	it.each([
		['10001', undefined, '10001'],
		['10001-2345', 'US', '10001'],
		['100012345', 'USA', '10001'],
		['SW1A 1AA', 'GB', undefined],
		['75008', 'FR', undefined],
		['1000', undefined, undefined],
	])('reads ZIP %s (%s) as %s', (postalCode, country, zip5) => {
		expect(zip5Of(postalCode, country)).toBe(zip5);
	});

	it('takes the area code of the mobile first, else of a number of unknown kind, never a known landline', () => {
		expect(areaCodeOf([{ number: '+12125550100', kind: 'landline' }, mobile('+18085550100')])).toBe('808');
		expect(areaCodeOf([{ number: '+12125550100', kind: 'landline' }, { number: '+13125550100', kind: 'unknown' }])).toBe('312');
		expect(areaCodeOf([{ number: '+12125550100', kind: 'landline' }])).toBeUndefined();
		expect(areaCodeOf([mobile('+447700900123')])).toBeUndefined();
	});

	it('prefers the ZIP code to the area code: a Honolulu patient with a New York mobile', () => {
		expect(zoneFromPatientAddress({ postalCode: '96813', phones: [mobile('+12125550100')] })).toEqual({
			zone: 'Pacific/Honolulu',
			extraZones: [],
			source: 'zip',
		});
	});

	it('falls back to the area code, then to nothing', () => {
		expect(zoneFromPatientAddress({ postalCode: 'H2X 1Y4', country: 'CA', phones: [mobile('+18085550100')] })).toEqual({
			zone: 'Pacific/Honolulu',
			extraZones: [],
			source: 'areaCode',
		});
		expect(zoneFromPatientAddress({ phones: [mobile('+16045550100')] })).toBeUndefined();
	});

	it('keeps the patient record zone first and calls the EHR fallback only when needed', async () => {
		const fallback = jest.fn(() => practice);
		await expect(patientZoneOf({ patientZone: 'America/Denver', postalCode: '96813', phones: [] }, fallback)).resolves.toMatchObject({
			zone: 'America/Denver',
			source: 'patient',
		});
		await expect(patientZoneOf({ postalCode: '96813', phones: [] }, fallback)).resolves.toMatchObject({ source: 'zip' });
		expect(fallback).not.toHaveBeenCalled();
		await expect(patientZoneOf({ phones: [] }, fallback)).resolves.toEqual(practice);
		expect(fallback).toHaveBeenCalledTimes(1);
	});

	it('gives the event fields: extra zones and the record zone only when they say something', () => {
		expect(zoneFields(practice, 'America/New_York')).toEqual({ zone: 'America/New_York', zoneSource: 'practice' });
		const panhandle = zoneFromPatientAddress({ postalCode: '32401', phones: [] }) as PatientZone;
		expect(zoneFields(panhandle, 'America/New_York')).toEqual({
			zone: 'America/Chicago',
			zoneSource: 'zip',
			extraZones: ['America/New_York'],
			recordZone: 'America/New_York',
		});
	});
});

describe('send window across several zones', () => {
	const chicago = 'America/Chicago';
	const newYork = ['America/New_York'];

	it('is inside only when inside the window in every zone', () => {
		// 19:30 in Chicago is 20:30 in New York: outside there.
		expect(isInsideWindow('2026-06-10T00:30:00Z', chicago, policy)).toBe(true);
		expect(isInsideWindow('2026-06-10T00:30:00Z', chicago, policy, newYork)).toBe(false);
		// 08:30 in Chicago is 09:30 in New York: outside in Chicago.
		expect(isInsideWindow('2026-06-10T13:30:00Z', chicago, policy, newYork)).toBe(false);
		expect(isInsideWindow('2026-06-10T14:30:00Z', chicago, policy, newYork)).toBe(true);
	});

	it('moves a send to the first hour inside both windows', () => {
		// 08:00 New York / 07:00 Chicago → 09:00 Chicago (10:00 New York).
		const early = nextAllowedInstant({ candidate: '2026-06-10T12:00:00Z', now: '2026-06-10T12:00:00Z', zone: chicago, policy, extraZones: newYork });
		expect(early).toMatchObject({ at: '2026-06-10T14:00:00.000Z', local: '2026-06-10T09:00:00.000-05:00', shifted: true, reason: 'beforeWindow' });
		// 19:30 Chicago (20:30 New York) → next day 09:00 Chicago.
		const late = nextAllowedInstant({ candidate: '2026-06-11T00:30:00Z', now: '2026-06-11T00:30:00Z', zone: chicago, policy, extraZones: newYork });
		expect(late).toMatchObject({ at: '2026-06-11T14:00:00.000Z', shifted: true, reason: 'afterWindow' });
	});

	it('leaves a send already inside both windows as it is, and ignores the primary zone listed again', () => {
		const slot = nextAllowedInstant({ candidate: '2026-06-10T15:00:00Z', now: '2026-06-10T15:00:00Z', zone: chicago, policy, extraZones: [chicago, ...newYork] });
		expect(slot).toEqual({ at: '2026-06-10T15:00:00.000Z', local: '2026-06-10T10:00:00.000-05:00', shifted: false });
	});

	it('plans touches and holds in the intersection: the guard, the next-day retry, the plan', () => {
		const decision = evaluateTouch({
			now: '2026-06-11T00:30:00Z',
			zone: chicago,
			extraZones: newYork,
			policy,
			caps: { automatedPerJourney: 2, stage3PerJourney: 1, perPatientPerDay: 1, perNumberPerDay: 1 },
			touch: { stage: 2, kind: 'automated', channel: 'sms' },
			history: { automatedSentThisJourney: 1, stage3SentThisJourney: 0, patientTouchesToday: 0, optedOutChannels: [] },
			actionDone: false,
		});
		expect(decision).toMatchObject({ allowed: false, reason: 'outsideWindow', retryAt: '2026-06-11T14:00:00.000Z' });
		expect(windowStartOnNextOpenDay({ after: '2026-06-10T15:00:00Z', zone: chicago, policy, extraZones: newYork }).at).toBe('2026-06-11T14:00:00.000Z');
		const plan = planTouch({
			anchor: '2026-06-09T00:00:00Z',
			offset: { amount: 2, unit: 'days', direction: 'after' },
			zone: chicago,
			extraZones: newYork,
			policy,
			now: '2026-06-09T00:00:00Z',
		});
		// Due 19:00 Chicago = 20:00 New York, the end of New York's window: next morning 09:00 Chicago.
		expect(plan).toMatchObject({ due: '2026-06-11T00:00:00.000Z', sendAt: '2026-06-11T14:00:00.000Z', shifted: true });
	});

	it('says so when the zones never share an open hour', () => {
		const narrow: SendPolicy = { ...policy, window: { start: '09:00', end: '10:00' } };
		expect(() =>
			nextAllowedInstant({ candidate: '2026-06-10T12:00:00Z', now: '2026-06-10T12:00:00Z', zone: chicago, policy: narrow, extraZones: ['Pacific/Honolulu'] }),
		).toThrow(expect.objectContaining({ code: 'no_common_window' }));
	});
});
