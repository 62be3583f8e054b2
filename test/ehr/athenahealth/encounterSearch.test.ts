import { encounterOfVisit } from '../../../nodes/shared/ehr/athenahealth/encounters';
import type { VisitEvent } from '../../../nodes/shared/core/schemas';
import type { AthenaFollowUpVisitItem } from '../../../nodes/shared/ehr/athenahealth';
import type { ResolveResult } from '../../../nodes/shared/ehr/types';
import type { Harness } from './helpers';
import { checkOutNotification, context, startSeededHarness } from './helpers';

const checkOutEvent = checkOutNotification({ patientId: '1001', departmentId: '1' });

function completed(result: ResolveResult): VisitEvent {
	if (result.status !== 'completed' || result.event.kind !== 'visit') throw new Error('expected a completed visit');
	return result.event;
}

/** athena's own sample of a checked-out appointment: encounterstatus, but no encounterid. */
async function checkedOutWithoutEncounterId(followUpVisitItem?: AthenaFollowUpVisitItem): Promise<Harness> {
	const harness = await startSeededHarness(followUpVisitItem ? { followUpVisitItem } : {});
	harness.server.checkOut('5001');
	delete harness.server.state.appointments.get('5001')!.encounterid;
	return harness;
}

const encounterSearches = (harness: Harness) => harness.server.state.requests.filter((request) => request.path.endsWith('/chart/1001/encounters'));
const orderReads = (harness: Harness) => harness.server.state.requests.filter((request) => request.path.endsWith('/orders'));

describe('athenahealth: the encounter of an appointment that names none', () => {
	let harness: Harness;

	afterEach(async () => {
		await harness.server.close();
	});

	it('is searched by patient, department and date, and its orders become the action items', async () => {
		harness = await checkedOutWithoutEncounterId();

		const visit = completed(await harness.adapter.resolveVisit(checkOutEvent, context));

		expect(encounterSearches(harness).map((request) => request.query)).toEqual([
			{ departmentid: '1', startdate: '03/10/2025', enddate: '03/10/2025' },
		]);
		expect(orderReads(harness).map((request) => request.path)).toEqual(['/v1/195900/chart/encounter/7001/orders']);
		expect(visit.actionItems.map((item) => [item.type, item.orderId])).toEqual([
			['imaging', '9001'],
			['prescription', '9002'],
		]);
	});

	it('is not searched when the appointment names its encounter', async () => {
		harness = await startSeededHarness();
		harness.server.checkOut('5001');
		await harness.adapter.resolveVisit(checkOutEvent, context);
		expect(encounterSearches(harness)).toEqual([]);
	});

	it.each<[string, AthenaFollowUpVisitItem | undefined, string[]]>([
		['the follow-up-visit action when the practice chose "when no order gives a next step"', 'whenNoOrderItems', ['followUpVisit']],
		['the follow-up-visit action when the practice chose "every visit"', 'everyVisit', ['followUpVisit']],
		['no action item when the practice chose "never"', 'never', []],
		['no action item by default (the adapter\'s default is "never"; the n8n credential\'s is not)', undefined, []],
	])('found nowhere gives %s', async (_name, option, types) => {
		harness = await checkedOutWithoutEncounterId(option);
		harness.server.state.encounters.delete('7001');

		const visit = completed(await harness.adapter.resolveVisit(checkOutEvent, context));

		expect(encounterSearches(harness)).toHaveLength(1);
		expect(orderReads(harness)).toEqual([]);
		expect(visit.actionItems.map((item) => item.type)).toEqual(types);
		if (types.length > 0) {
			expect(visit.actionItems[0]).toMatchObject({ done: false, schedulingLink: 'https://book.example.test/start?patient=1001' });
		}
	});

	it('adds the follow-up visit to the orders\' items only when the practice chose "every visit"', async () => {
		harness = await checkedOutWithoutEncounterId('everyVisit');
		const visit = completed(await harness.adapter.resolveVisit(checkOutEvent, context));
		expect(visit.actionItems.map((item) => item.type)).toEqual(['imaging', 'prescription', 'followUpVisit']);
	});

	it('reads no orders of another visit of the same day', async () => {
		harness = await checkedOutWithoutEncounterId('whenNoOrderItems');
		// The only encounter that day belongs to another appointment of the patient.
		harness.server.state.encounters.get('7001')!.appointmentid = '5002';

		const visit = completed(await harness.adapter.resolveVisit(checkOutEvent, context));

		expect(orderReads(harness)).toEqual([]);
		expect(visit.actionItems.map((item) => item.type)).toEqual(['followUpVisit']);
	});

	it('still admits the visit when athena refuses the encounter search (no athenaClinicals)', async () => {
		harness = await checkedOutWithoutEncounterId('whenNoOrderItems');
		harness.server.injectFault({ path: '/encounters', status: 403, body: { error: 'Clinicals is not enabled for this department.' } });
		const visit = completed(await harness.adapter.resolveVisit(checkOutEvent, context));
		expect(visit.actionItems.map((item) => item.type)).toEqual(['followUpVisit']);
	});

	it('fails with the search named when athena refuses the token for it', async () => {
		harness = await checkedOutWithoutEncounterId();
		harness.server.injectFault({ path: '/encounters', status: 401 });
		await expect(harness.adapter.resolveVisit(checkOutEvent, context)).rejects.toThrow(/searching the encounters of the visit/);
	});
});

describe('which of the day\'s encounters is the visit\'s', () => {
	const encounter = (encounterid: string, fields: Record<string, string> = {}) => ({ encounterid, ...fields });

	it.each<[string, Array<ReturnType<typeof encounter>>, string | undefined]>([
		['the one naming the appointment, among others', [encounter('1'), encounter('2', { appointmentid: '5001' })], '2'],
		['the only one naming no appointment', [encounter('1', { appointmentid: '5002' }), encounter('2')], '2'],
		['the visit rather than an orders-only encounter', [encounter('1', { encountertype: 'ORDERSONLY' }), encounter('2', { encountertype: 'VISIT' })], '2'],
		['none of two unlinked visits (ambiguous)', [encounter('1', { encountertype: 'VISIT' }), encounter('2', { encountertype: 'VISIT' })], undefined],
		['none that is deleted', [encounter('1', { appointmentid: '5001', status: 'DELETED' })], undefined],
		['none when every encounter names another appointment', [encounter('1', { appointmentid: '5002' })], undefined],
		['none of an empty list', [], undefined],
	])('%s', (_name, encounters, expected) => {
		expect(encounterOfVisit(encounters, '5001')).toBe(expected);
	});
});
