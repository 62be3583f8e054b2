import { DomainError } from '../../../nodes/shared/core/errors';
import { parseVisitEvent } from '../../../nodes/shared/core/schemas';
import type { VisitEvent } from '../../../nodes/shared/core/schemas';
import type { NotificationEvent, ResolveResult } from '../../../nodes/shared/ehr/types';
import type { Harness } from './helpers';
import { checkOutNotification, context, practiceId, seedVisit, startHarness, startSeededHarness } from './helpers';

const checkOutEvent = checkOutNotification({ patientId: '1001', departmentId: '1' });

function completed(result: ResolveResult): VisitEvent {
	if (result.status !== 'completed') throw new Error(`expected completed, got ${result.reason}`);
	if (result.event.kind !== 'visit') throw new Error('not a visit');
	return result.event;
}

/** No ZIP code and no US number: the department and practice decide the zone. */
const noUsAddress = { mobilephone: undefined, homephone: undefined, contactmobilephone: undefined, zip: undefined };

describe('athenahealth resolveVisit', () => {
	let harness: Harness;

	afterEach(async () => {
		await harness.server.close();
	});

	it('builds a full visit event from the appointment, patient, department and encounter orders', async () => {
		harness = await startSeededHarness();
		// Checked out at 10:40 Eastern (athena server time).
		harness.server.checkOut('5001', new Date('2025-03-10T14:40:00Z'));

		const visit = completed(await harness.adapter.resolveVisit(checkOutEvent, context));

		expect(parseVisitEvent(visit)).toEqual(visit);
		expect(visit).toMatchObject({
			kind: 'visit',
			ehr: 'athenahealth',
			practiceId,
			departmentId: '1',
			patientId: '1001',
			visitId: '5001',
			visitType: 'appointment',
			// The patient's zone from the mobile's area code (512, Austin); athena's times are the department's.
			zone: 'America/Chicago',
			zoneSource: 'areaCode',
			recordZone: 'America/New_York',
			completedAt: '2025-03-10T14:40:00.000Z',
			visitDate: '2025-03-10',
			patient: {
				firstName: 'Ana',
				phones: [
					{ number: '+15125550100', kind: 'mobile' },
					{ number: '+15125550101', kind: 'unknown' },
				],
				email: 'ana@example.test',
				preferredChannel: 'sms',
				language: 'es',
			},
			consent: { sms: true, email: true, voice: false },
		});
		expect(visit.actionItems).toEqual([
			{
				type: 'imaging',
				description: 'Schedule your imaging appointment',
				orderId: '9001',
				done: false,
				schedulingLink: 'https://book.example.test/imaging?order=9001',
			},
			{
				type: 'prescription',
				description: 'Pick up your prescription',
				orderId: '9002',
				done: false,
				schedulingLink: 'https://book.example.test/start?patient=1001',
			},
		]);
		// Clinical order text and the emergency contact's phone never reach the event.
		expect(JSON.stringify(visit)).not.toMatch(/XR chest|amoxicillin|5125550199|Example/);
	});

	it.each([
		['2', 'appointment status 2 (checked in)'],
		['f', 'appointment status f (future)'],
		['x', 'appointment status x (cancelled)'],
	])('reports an appointment in status %s as not completed', async (status, reason) => {
		harness = await startSeededHarness();
		harness.server.state.appointments.get('5001')!.appointmentstatus = status;
		expect(await harness.adapter.resolveVisit(checkOutEvent, context)).toEqual({ status: 'notCompleted', reason });
	});

	it('accepts status 4 (charge entered) and places the visit at lastmodified when there is no checkout time', async () => {
		harness = await startSeededHarness();
		harness.server.emitChange({ appointmentId: '5001', status: '4', at: new Date('2025-03-10T20:00:00Z') });
		const visit = completed(await harness.adapter.resolveVisit(checkOutEvent, context));
		expect(visit.completedAt).toBe('2025-03-10T20:00:00.000Z');
	});

	it('falls back to the scheduled start plus duration in the department zone when athena gives no timestamps', async () => {
		harness = await startHarness();
		seedVisit(harness.server, { department: { timezonename: 'US/Pacific' } });
		Object.assign(harness.server.state.appointments.get('5001')!, { appointmentstatus: '3' });
		const visit = completed(await harness.adapter.resolveVisit(checkOutEvent, context));
		expect(visit).toMatchObject({ zone: 'America/Chicago', recordZone: 'America/Los_Angeles', completedAt: '2025-03-10T16:30:00.000Z' });
	});

	it.each([
		['a valid IANA timezonename', { timezonename: 'America/Denver' }, 'America/Denver', 'department'],
		['US/Arizona mapped to its canonical zone', { timezonename: 'US/Arizona' }, 'America/Phoenix', 'department'],
		['only timezoneoffset -7 without DST', { timezonename: undefined, timezoneoffset: -7, doesnotobservedst: true }, 'America/Phoenix', 'department'],
		['only timezoneoffset -6 with DST', { timezonename: 'Central', timezoneoffset: '-6', doesnotobservedst: 'false' }, 'America/Chicago', 'department'],
		['nothing usable', { timezonename: undefined, timezoneoffset: undefined }, 'America/Chicago', 'practice'],
	])('takes the zone from %s', async (_name, department, zone, zoneSource) => {
		harness = await startHarness();
		seedVisit(harness.server, { department, patient: noUsAddress });
		harness.server.checkOut('5001');
		const visit = completed(await harness.adapter.resolveVisit(checkOutEvent, context));
		expect([visit.zone, visit.zoneSource]).toEqual([zone, zoneSource]);
	});

	it.each([
		['the ZIP code over the area code and the department', { zip: '96813-1234' }, ['Pacific/Honolulu', 'zip', undefined]],
		['the area code when the address is abroad', { zip: '75008', countrycode3166: 'FR' }, ['America/Chicago', 'areaCode', undefined]],
		['every zone of an area code spanning two', { mobilephone: '(850) 555-0100', homephone: undefined }, ['America/Chicago', 'areaCode', ['America/New_York']]],
	])('derives the patient zone from %s', async (_name, patient, expected) => {
		harness = await startHarness();
		seedVisit(harness.server, { patient });
		harness.server.checkOut('5001');
		const visit = completed(await harness.adapter.resolveVisit(checkOutEvent, context));
		expect([visit.zone, visit.zoneSource, visit.extraZones]).toEqual(expected);
		expect(visit.recordZone).toBe('America/New_York');
	});

	it('uses the practice zone when the department is unknown to athena, and fails without one', async () => {
		harness = await startSeededHarness();
		harness.server.state.departments.delete('1');
		Object.assign(harness.server.state.patients.get('1001')!, noUsAddress);
		harness.server.checkOut('5001');
		expect(completed(await harness.adapter.resolveVisit(checkOutEvent, context)).zoneSource).toBe('practice');
		const withoutZone = { ...context, defaultZone: undefined };
		await expect(harness.adapter.resolveVisit(checkOutEvent, withoutZone)).rejects.toThrow(DomainError);
		await expect(harness.adapter.resolveVisit(checkOutEvent, withoutZone)).rejects.toMatchObject({ code: 'missing_zone', field: 'defaultZone' });
	});

	it.each([
		['no consent flags recorded', {}, false, { sms: false, voice: false, email: true }],
		['no consent flags recorded, practice assumes consent', {}, true, { sms: true, voice: true, email: true }],
		['texts refused', { consenttotext: false, consenttocall: true }, true, { sms: false, voice: true, email: true }],
		['do-not-call overrides call consent', { consenttotext: 'true', consenttocall: 'true', donotcall: 'true' }, false, { sms: true, voice: false, email: true }],
	])('maps consent when %s', async (_name, flags, consentWhenUnrecorded, consent) => {
		harness = await startHarness({ consentWhenUnrecorded });
		seedVisit(harness.server, { patient: { consenttotext: undefined, consenttocall: undefined, ...flags } });
		harness.server.checkOut('5001');
		expect(completed(await harness.adapter.resolveVisit(checkOutEvent, context)).consent).toEqual(consent);
	});

	it.each([
		[{ language6392code: 'eng' }, 'en'],
		[{ language6392code: 'vie' }, 'vi'],
		[{ language6392code: 'declined', language: 'Spanish' }, 'es'],
		[{ language6392code: undefined, language: undefined }, 'en'],
	])('maps the language %o to %s', async (fields, language) => {
		harness = await startHarness();
		seedVisit(harness.server, { patient: fields });
		harness.server.checkOut('5001');
		expect(completed(await harness.adapter.resolveVisit(checkOutEvent, context)).patient.language).toBe(language);
	});

	it('drops phone numbers it cannot read as E.164 and an unusable email', async () => {
		harness = await startHarness();
		seedVisit(harness.server, { patient: { mobilephone: '555-0100', homephone: '+44 20 7946 0958', email: 'not an email' } });
		harness.server.checkOut('5001');
		const visit = completed(await harness.adapter.resolveVisit(checkOutEvent, context));
		expect(visit.patient.phones).toEqual([{ number: '+442079460958', kind: 'unknown' }]);
		expect(visit.patient.email).toBeUndefined();
	});

	it.each([
		['an exchange starting with 0', '4150552155'],
		['an exchange starting with 1', '(415) 165-2155'],
		['an N11 area code', '411-465-2155'],
		['a length the UK numbering plan does not have', '+44 123456'],
	])('drops a phone number with %s', async (_why, number) => {
		harness = await startHarness();
		seedVisit(harness.server, { patient: { mobilephone: number, homephone: number } });
		harness.server.checkOut('5001');
		expect(completed(await harness.adapter.resolveVisit(checkOutEvent, context)).patient.phones).toEqual([]);
	});

	it('keys a signed-off encounter of a booked visit by its appointment (one journey with the check-out)', async () => {
		harness = await startSeededHarness();
		harness.server.checkOut('5001');
		harness.server.state.encounters.get('7001')!.status = 'CLOSED';
		const event: NotificationEvent = { ...checkOutEvent, topic: 'Encounter.signoff', resourceType: 'Encounter', resourceId: '7001' };
		const visit = completed(await harness.adapter.resolveVisit(event, context));
		expect([visit.visitId, visit.visitType]).toEqual(['5001', 'appointment']);
	});

	it('resolves a signed-off encounter without an appointment as an encounter visit', async () => {
		harness = await startSeededHarness();
		harness.server.addEncounter({ encounterid: '7002', patientid: '1001', departmentid: '1', encounterdate: '03/09/2025', status: 'CLOSED' });
		const event: NotificationEvent = {
			...checkOutEvent,
			topic: 'Encounter.signoff',
			resourceType: 'Encounter',
			resourceId: '7002',
			occurredAt: '2025-03-09T22:15:00Z',
		};
		const visit = completed(await harness.adapter.resolveVisit(event, context));
		expect(visit).toMatchObject({ visitId: 'encounter-7002', visitType: 'encounter', visitDate: '2025-03-09', completedAt: '2025-03-09T22:15:00.000Z', actionItems: [] });
	});

	it('reports an encounter that is not signed off as not completed', async () => {
		harness = await startSeededHarness();
		harness.server.addEncounter({ encounterid: '7002', patientid: '1001', departmentid: '1', status: 'OPEN' });
		const event: NotificationEvent = { ...checkOutEvent, resourceType: 'Encounter', resourceId: '7002' };
		expect(await harness.adapter.resolveVisit(event, context)).toEqual({ status: 'notCompleted', reason: 'encounter status OPEN' });
	});

	it('ignores a notification for another practice without calling athena', async () => {
		harness = await startHarness();
		const result = await harness.adapter.resolveVisit({ ...checkOutEvent, practiceId: '1' }, context);
		expect(result.status).toBe('notCompleted');
		expect(harness.server.state.requests).toEqual([]);
	});

	it('still resolves the visit, without order items, when athena refuses the orders endpoint', async () => {
		harness = await startSeededHarness({ followUpVisitItem: 'whenNoOrderItems' });
		harness.server.checkOut('5001');
		harness.server.injectFault({ path: '/orders', status: 403, body: { error: 'Clinicals is not enabled for this department.' } });
		const visit = completed(await harness.adapter.resolveVisit(checkOutEvent, context));
		expect(visit.actionItems.map((item) => item.type)).toEqual(['followUpVisit']);
	});

	it('collapses orders of one type into one action item and marks a resulted lab as done', async () => {
		harness = await startSeededHarness();
		harness.server.setOrders('7001', [
			{ orderid: '1', class: 'LAB', ordertype: 'Lab', status: 'CLOSED' },
			{ orderid: '2', class: 'LAB', ordertype: 'Lab', status: 'SUBMITTED' },
			{ orderid: '3', class: 'REFERRAL', ordertype: 'Referral', status: 'SUBMITTED' },
			{ orderid: '4', class: 'IMAGING', ordertype: 'MRI', status: 'DELETED' },
			{ orderid: '5', class: 'VACCINE', ordertype: 'Vaccine', status: 'CLOSED' },
		]);
		harness.server.checkOut('5001');
		const visit = completed(await harness.adapter.resolveVisit(checkOutEvent, context));
		expect(visit.actionItems.map((item) => [item.type, item.orderId, item.done])).toEqual([
			['lab', '2', false],
			['referral', '3', false],
		]);
	});
});
