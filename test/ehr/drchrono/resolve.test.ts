import { DomainError } from '../../../nodes/shared/core/errors';
import { parseVisitEvent } from '../../../nodes/shared/core/schemas';
import type { VisitEvent } from '../../../nodes/shared/core/schemas';
import { parseDrChronoNotification } from '../../../nodes/shared/ehr/drchrono';
import { languageOf, phonesOf } from '../../../nodes/shared/ehr/drchrono/mapping';
import { EhrHttpError } from '../../../nodes/shared/ehr/http';
import type { ResolveResult } from '../../../nodes/shared/ehr/types';
import { startDrChronoServer } from '../../../sandbox/drchrono-server';
import { adapterFor, appointmentEvent, apiCalls, context, NOW, SECRET, startFixture, TOKEN, ZONE } from './fixtures';
import type { Fixture } from './fixtures';

function completedEvent(result: ResolveResult): VisitEvent {
	if (result.status !== 'completed' || result.event.kind !== 'visit') throw new Error(`expected a completed visit, got ${JSON.stringify(result)}`);
	return result.event;
}

describe('DrChrono resolveVisit', () => {
	let fixture: Fixture;
	beforeEach(async () => {
		fixture = await startFixture();
	});
	afterEach(async () => {
		await fixture.server.close();
	});

	it('turns the webhook of a completed visit into a valid VisitEvent, reading the appointment back from DrChrono', async () => {
		const server = await startDrChronoServer({ accessToken: TOKEN, zone: ZONE, now: () => NOW, webhook: { secret: SECRET } });
		try {
			const { delivery } = await server.completeAppointment('9001');
			const parsed = parseDrChronoNotification(delivery!, { current: SECRET });
			if (parsed.kind !== 'events') throw new Error('expected an event');
			const adapter = adapterFor(server);
			const event = completedEvent(await adapter.resolveVisit(parsed.events[0]!, context));

			expect(parseVisitEvent(event)).toEqual(event);
			expect(event).toEqual<VisitEvent>({
				kind: 'visit',
				schemaVersion: 1,
				ehr: 'drchrono',
				departmentId: '2001',
				patientId: '5001',
				zone: 'America/Chicago',
				zoneSource: 'areaCode',
				patient: {
					firstName: 'Maria',
					phones: [
						{ number: '+15125550142', kind: 'mobile' },
						{ number: '+15125550143', kind: 'unknown' },
					],
					email: 'maria.lopez@example.org',
					language: 'es',
				},
				consent: { sms: true, email: true, voice: true },
				visitId: '9001',
				visitType: 'appointment',
				completedAt: '2026-03-10T10:00:00-05:00',
				visitDate: '2026-03-10',
				providerName: 'Ana Grey MD',
				actionItems: [],
			});
			// The delivered object is never proof of completion: DrChrono's own copy is read (issue 19).
			expect(apiCalls(server, '/api/appointments/9001')).toHaveLength(1);
		} finally {
			await server.close();
		}
	});

	/** What a delivery can claim: a completed appointment, with its transition to Complete. */
	const completedCopy = (id: string) => ({
		...{ id, patient: '5001', doctor: '1001', office: '2001', status: 'Complete', scheduled_time: '2026-03-10T09:00:00' },
		status_transitions: [{ datetime: '2026-03-10T10:00:00', from_status: 'In Session', to_status: 'Complete' }],
	});

	it('refuses a delivered "Complete" appointment that DrChrono does not have (a forged delivery)', async () => {
		const result = await fixture.adapter().resolveVisit(appointmentEvent('424242', completedCopy('424242')), context);
		expect(result).toEqual({ status: 'notCompleted', reason: 'DrChrono has no appointment 424242 (deleted, or a delivery DrChrono did not send)' });
		expect(apiCalls(fixture.server, '/api/appointments/424242')).toHaveLength(1);
		expect(apiCalls(fixture.server, '/api/patients/5001')).toHaveLength(0);
	});

	it('goes by DrChrono\'s status, not the delivered copy\'s: a visit still in session is not completed', async () => {
		const result = await fixture.adapter().resolveVisit(appointmentEvent('9001', completedCopy('9001')), context);
		expect(result).toMatchObject({ status: 'notCompleted', reason: expect.stringMatching(/not Complete|status is/) });
	});

	it('reads the appointment (verbose, for its status transitions) when the event carries none', async () => {
		const event = completedEvent(await fixture.adapter().resolveVisit(await fixture.completeDemoVisit(), context));
		expect(event.completedAt).toBe('2026-03-10T10:00:00-05:00');
		expect(apiCalls(fixture.server, '/api/appointments/9001')).toEqual([expect.objectContaining({ query: { verbose: 'true' } })]);
	});

	it('takes completedAt from the last transition to Complete, not from a later edit', async () => {
		const appointment = fixture.server.state.appointments.get('9001')!;
		appointment.status = 'Complete';
		appointment.updated_at = '2026-03-10T16:45:00';
		appointment.status_transitions.push(
			{ appointment: '9001', datetime: '2026-03-10T09:40:00', from_status: 'In Session', to_status: 'Complete' },
			{ appointment: '9001', datetime: '2026-03-10T09:50:00', from_status: 'Complete', to_status: 'In Session' },
			{ appointment: '9001', datetime: '2026-03-10T09:55:00', from_status: 'In Session', to_status: 'Complete' },
		);
		const event = completedEvent(await fixture.adapter().resolveVisit(appointmentEvent('9001'), context));
		expect(event.completedAt).toBe('2026-03-10T09:55:00-05:00');
	});

	it('falls back to updated_at when there is no transition to Complete', async () => {
		const appointment = fixture.server.state.appointments.get('9001')!;
		Object.assign(appointment, { status: 'Complete', updated_at: '2026-03-10T11:20:00', status_transitions: [] });
		const event = completedEvent(await fixture.adapter().resolveVisit(appointmentEvent('9001'), context));
		expect(event.completedAt).toBe('2026-03-10T11:20:00-05:00');
	});

	it.each([
		['the doctor\'s time zone', 'America/Denver', undefined, 'America/Denver', '2026-03-10T10:00:00-06:00'],
		['the practice default when the doctor has none', '', 'America/New_York', 'America/New_York', '2026-03-10T10:00:00-04:00'],
		['the practice default when the doctor\'s zone is not IANA', 'Central Time', 'America/New_York', 'America/New_York', '2026-03-10T10:00:00-04:00'],
	])('reads the naive DrChrono times in %s', async (_label, doctorZone, defaultZone, recordZone, completedAt) => {
		fixture.server.state.doctors.get(1001)!.timezone = doctorZone;
		await fixture.server.completeAppointment('9001');
		const event = completedEvent(await fixture.adapter().resolveVisit(appointmentEvent('9001'), { ...context, defaultZone }));
		// The patient's zone comes from the mobile's area code (512, Austin); the EHR's times stay the office's.
		expect(event).toMatchObject({ zone: 'America/Chicago', zoneSource: 'areaCode', recordZone, completedAt, visitDate: '2026-03-10' });
	});

	it.each([
		['the patient\'s ZIP code first', '96813', '(512) 555-0142', 'Pacific/Honolulu', 'zip'],
		['the doctor\'s zone, recorded as "doctor", when ZIP code and number give none', '', '', 'America/Denver', 'doctor'],
	])('takes the zone from %s', async (_label, zipCode, cellPhone, zone, zoneSource) => {
		fixture.server.state.doctors.get(1001)!.timezone = 'America/Denver';
		Object.assign(fixture.server.state.patients.get(5001)!, { zip_code: zipCode, cell_phone: cellPhone, home_phone: '' });
		await fixture.server.completeAppointment('9001');
		const event = completedEvent(await fixture.adapter().resolveVisit(appointmentEvent('9001'), context));
		expect(event).toMatchObject({ zone, zoneSource, completedAt: '2026-03-10T10:00:00-06:00' });
	});

	it('fails with a DomainError naming defaultZone when no zone is known', async () => {
		fixture.server.state.doctors.get(1001)!.timezone = '';
		const error = await fixture.adapter().resolveVisit(await fixture.completeDemoVisit(), context).catch((caught: unknown) => caught);
		expect(error).toBeInstanceOf(DomainError);
		expect(error).toMatchObject({ code: 'missing_zone', field: 'defaultZone' });
	});

	it.each([
		['spa', 'en', 'es'],
		['eng', 'es', 'en'],
		['zho', 'en', 'zh'],
		['por', 'en', 'pt'],
		['blank', 'es', 'es'],
		['declined', 'en', 'en'],
		['other', 'es', 'es'],
		['', 'en', 'en'],
	])('maps preferred_language "%s" (practice default %s) to %s', async (preferred, defaultLanguage, language) => {
		fixture.server.state.patients.get(5001)!.preferred_language = preferred;
		const event = completedEvent(
			await fixture.adapter().resolveVisit(await fixture.completeDemoVisit(), { ...context, defaultLanguage }),
		);
		expect(event.patient.language).toBe(language);
	});

	it('uses the nickname, drops an invalid e-mail and honours disable_sms_messages', async () => {
		fixture.server.state.appointments.get('9001')!.patient = 5002;
		const event = completedEvent(await fixture.adapter().resolveVisit(await fixture.completeDemoVisit(), context));
		expect(event.patient).toEqual({
			firstName: 'Bob',
			phones: [
				{ number: '+15125550177', kind: 'mobile' },
				{ number: '+15125550178', kind: 'unknown' },
			],
			language: 'en',
		});
		expect(event.consent).toEqual({ sms: false, email: true, voice: true });
	});

	it('withdraws every consent for a deceased patient', async () => {
		fixture.server.state.patients.get(5001)!.patient_status = 'D';
		const event = completedEvent(await fixture.adapter().resolveVisit(await fixture.completeDemoVisit(), context));
		expect(event.consent).toEqual({ sms: false, email: false, voice: false });
	});

	it.each([
		['In Session', {}, 'appointment status is "In Session"'],
		['a No Show', { status: 'No Show' }, 'appointment status is "No Show"'],
		['a break', { patient: null, appt_is_break: true }, 'a calendar break, not a visit'],
	])('reports %s as not completed', async (_label, change, reason) => {
		Object.assign(fixture.server.state.appointments.get('9001')!, change);
		expect(await fixture.adapter().resolveVisit(appointmentEvent('9001'), context)).toEqual({ status: 'notCompleted', reason });
	});

	it('fails clearly on a patient without a first name', async () => {
		Object.assign(fixture.server.state.patients.get(5001)!, { first_name: '', nick_name: '' });
		await expect(fixture.adapter().resolveVisit(await fixture.completeDemoVisit(), context)).rejects.toMatchObject({
			code: 'missing_first_name',
		});
	});

	it('maps what DrChrono exposes as orders to patient-facing action items with scheduling links', async () => {
		const { state } = fixture.server;
		state.labOrders.set(77, { id: 77, patient: 5001, doctor: 1001, sublab: 1, status: 'S', priority: 'N', timestamp: '2026-03-10T09:30:00', requisition_id: '77', accession_number: '', notes: 'CBC, lipid panel', icd10_codes: ['E78.5'] });
		state.labOrders.set(78, { id: 78, patient: 5002, doctor: 1001, sublab: 1, status: 'S', priority: 'N', timestamp: '2026-03-10T09:35:00', requisition_id: '78', accession_number: '', notes: '', icd10_codes: [] });
		state.labOrders.set(79, { id: 79, patient: 5001, doctor: 1001, sublab: 1, status: 'S', priority: 'N', timestamp: '2026-03-20T09:00:00', requisition_id: '79', accession_number: '', notes: '', icd10_codes: [] });
		state.medications.set(501, { id: 501, patient: 5001, doctor: 1001, appointment: 9001, name: 'Lisinopril 10 mg', order_status: 'Electronic eRx Sent', status: 'active', date_prescribed: '2026-03-10' });
		state.medications.set(502, { id: 502, patient: 5001, doctor: 1001, appointment: 9001, name: 'Flu vaccine', order_status: 'Administered during visit', status: 'active', date_prescribed: '2026-03-10' });
		state.medications.set(503, { id: 503, patient: 5001, doctor: 1001, appointment: 8000, name: 'Old drug', order_status: 'Paper Rx', status: 'active', date_prescribed: '2025-01-10' });
		state.carePlans.set(601, { id: 601, patient: 5001, appointment: '9001', plan_type: '5', title: 'Cardiology referral', description: 'Chest pain', instructions: '', scheduled_date: '2026-04-01', created_at: '2026-03-10T09:40:00', updated_at: '2026-03-10T09:40:00' });
		state.carePlans.set(602, { id: 602, patient: 5001, appointment: '9001', plan_type: '2', title: 'Diet education', description: '', instructions: '', scheduled_date: null, created_at: '2026-03-10T09:40:00', updated_at: '2026-03-10T09:40:00' });

		const adapter = fixture.adapter({ followUpAction: { description: 'Book your follow-up visit' } });
		const event = completedEvent(
			await adapter.resolveVisit(await fixture.completeDemoVisit(), {
				...context,
				schedulingLinks: { ...context.schedulingLinks, lab: 'https://labs.example.org/book?order={orderId}' },
			}),
		);
		expect(event.actionItems).toEqual([
			{ type: 'followUpVisit', description: 'Book your follow-up visit', orderId: 'visit-9001', done: false, schedulingLink: 'https://book.example.org/s?order=visit-9001&p=5001&v=9001' },
			{ type: 'referral', description: 'Book the specialist visit your provider referred you to', orderId: 'careplan-601', dueBy: '2026-04-01', done: false, schedulingLink: 'https://book.example.org/s?order=careplan-601&p=5001&v=9001' },
			{ type: 'lab', description: 'Get the lab tests your provider ordered', orderId: 'lab-77', done: false, schedulingLink: 'https://labs.example.org/book?order=lab-77' },
			{ type: 'prescription', description: 'Pick up your new prescription from your pharmacy', orderId: 'medication-501', done: false, schedulingLink: 'https://book.example.org/s?order=medication-501&p=5001&v=9001' },
		]);
		expect(JSON.stringify(event.actionItems)).not.toMatch(/CBC|Lisinopril|Cardiology|Chest|E78/);
		expect(apiCalls(fixture.server, '/api/lab_orders')[0]?.query).toMatchObject({ doctor: '1001', since: '2026-03-10' });
	});

	it('marks a lab action done when every order of the visit has results', async () => {
		fixture.server.state.labOrders.set(77, { id: 77, patient: 5001, doctor: 1001, sublab: 1, status: 'R', priority: 'N', timestamp: '2026-03-10T09:30:00', requisition_id: '77', accession_number: '', notes: '', icd10_codes: [] });
		const event = completedEvent(await fixture.adapter({ orderSources: ['labOrders'] }).resolveVisit(await fixture.completeDemoVisit(), context));
		expect(event.actionItems).toEqual([expect.objectContaining({ type: 'lab', done: true })]);
		expect(apiCalls(fixture.server, '/api/medications')).toHaveLength(0);
	});

	it('surfaces a missing patient as a PHI-free EhrHttpError', async () => {
		fixture.server.state.patients.delete(5001);
		const error = await fixture.adapter().resolveVisit(await fixture.completeDemoVisit(), context).catch((caught: unknown) => caught);
		expect(error).toBeInstanceOf(EhrHttpError);
		expect(error).toMatchObject({ status: 404, retryable: false, vendorMessage: 'reading the patient: does not know this record (Not found.)' });
	});
});

describe('DrChrono contact mapping', () => {
	it.each([
		['(512) 555-0100', '+15125550100'],
		['512.555.0100', '+15125550100'],
		['1-512-555-0100', '+15125550100'],
		['+44 20 7946 0958', '+442079460958'],
		['(512) 555-0178 x12', '+15125550178'],
		['555-0100', undefined],
		['012-555-0100', undefined],
		['512-055-0100', undefined],
		['512-155-0100', undefined],
		['+1 512 911 0100', undefined],
		['+44 123456', undefined],
		['', undefined],
		[undefined, undefined],
	])('the cell phone %p reads as %p', (raw, expected) => {
		expect(phonesOf({ cell_phone: raw })).toEqual(expected ? [{ number: expected, kind: 'mobile' }] : []);
	});

	it('keeps each number once, cell phone first', () => {
		expect(phonesOf({ cell_phone: '512-555-0100', home_phone: '(512) 555-0100', office_phone: '512 555 0199' })).toEqual([
			{ number: '+15125550100', kind: 'mobile' },
			{ number: '+15125550199', kind: 'unknown' },
		]);
	});

	it.each([
		['SPA', 'es'],
		[' jpn ', 'ja'],
		['unknown', 'fr'],
		[undefined, 'fr'],
	])('languageOf(%p) with fallback fr → %s', (preferred, expected) => {
		expect(languageOf(preferred, 'fr')).toBe(expected);
	});
});
