import { join } from 'node:path';

import { DateTime } from 'luxon';
import type { Encounter } from '@medplum/fhirtypes';
import type { IDataObject } from 'n8n-workflow';

import { BookingCheck } from '../../nodes/BookingCheck/BookingCheck.node';
import { VisitDetails } from '../../nodes/VisitDetails/VisitDetails.node';
import type { EhrKind } from '../../nodes/shared/core/schemas';
import type { NotificationEvent } from '../../nodes/shared/ehr/types';
import { closeAthenaVisit, openAthenaVisit } from '../../sandbox/athena-demo';
import { athenaEastern } from '../../sandbox/athenahealth-server';
import { openDrChronoVisit } from '../../sandbox/drchrono-demo';
import { demoIds } from '../../sandbox/drchrono-server';
import { bookFhirFollowUp, closeFhirVisit, ensureFhirPatient, fhirBackportNotification } from '../../sandbox/fhir-demo';
import { createResource, updateResource } from '../../sandbox/fhir-server';
import { john, post, useEhrSandboxes } from '../helpers/ehrSandboxes';
import { loadNodeOptions, runWorkflow, single } from '../helpers/engine';
import { journeyStoreCredential, packCredentialTypes, practiceProfileCredential, tempDir } from '../helpers/fixtures';

const secret = 'whsec-booking-check-0123456789abcdef';
const sandbox = useEhrSandboxes({ webhookSecret: secret });

const nodeTypes = { visitDetails: new VisitDetails(), bookingCheck: new BookingCheck() };

function credentials(ehr: EhrKind, storePath: string) {
	return {
		...sandbox.credentials(ehr),
		journeyStoreApi: journeyStoreCredential(storePath),
		practiceProfileApi: practiceProfileCredential(),
	};
}

/** Visit Details turns the notification into the journey item that later reaches Booking Check (after a wait). */
async function admit(ehr: EhrKind, notification: NotificationEvent, storePath: string): Promise<IDataObject> {
	const result = await runWorkflow(single('Visit Details', 'visitDetails', { ehr }, [notification]), {
		nodeTypes,
		credentials: credentials(ehr, storePath),
		credentialTypes: packCredentialTypes(),
	});
	const [visit] = result.output('Visit Details', 0);
	if (!visit) throw new Error(`not admitted: ${JSON.stringify(result.error('Visit Details') ?? result.output('Visit Details', 1))}`);
	return visit;
}

/** Version 1 stores the types as comma-separated text, 1.1 as the list picked from the EHR (or an expression). */
async function bookingCheck(ehr: EhrKind, item: IDataObject, storePath: string, appointmentTypes: string | string[] = '', typeVersion = 1) {
	const result = await runWorkflow(single('Booking Check', 'bookingCheck', { ehr, appointmentTypes }, [item], { typeVersion }), {
		nodeTypes,
		credentials: credentials(ehr, storePath),
		credentialTypes: packCredentialTypes(),
	});
	return { ...result, stillOpen: result.output('Booking Check', 0), done: result.output('Booking Check', 1) };
}

let fhirEventNumber = 0;

/** A finished FHIR encounter of a patient of its own (appointments are searched by patient), admitted by Visit Details. */
async function fhirVisit() {
	const storePath = join(tempDir(), 'journey.sqlite');
	const patientId = await ensureFhirPatient(sandbox.fhir, { ...john, key: `john-${++fhirEventNumber}` });
	const completedAt = DateTime.utc().minus({ hours: 50 });
	const { encounterId } = await closeFhirVisit(sandbox.fhir, patientId, { completedAt: completedAt.toISO() as string });
	const delivery = JSON.stringify(fhirBackportNotification(encounterId, ++fhirEventNumber));
	const notification = sandbox.verified(
		'fhir',
		post(delivery, { 'content-type': 'application/fhir+json', 'x-webhook-secret': secret }),
	);
	return { storePath, patientId, encounterId, item: await admit('fhir', notification, storePath) };
}

describe('Booking Check against the local FHIR server', () => {
	it('sends a journey with nothing booked to "Still Open", saying what it checked', async () => {
		const { storePath, item } = await fhirVisit();
		const result = await bookingCheck('fhir', item, storePath);
		expect(result.error('Booking Check')).toBeUndefined();
		expect(result.done).toEqual([]);
		expect(result.stillOpen).toHaveLength(1);
		const [open] = result.stillOpen;
		expect(open.booking).toMatchObject({ status: 'open', checked: expect.arrayContaining([expect.stringMatching(/^Encounter\/.+ is finished$/)]) });
		expect(open.visitId).toBe(item.visitId);
		expect((open.journey as { steps: Array<{ outcome: string }> }).steps.map((step) => step.outcome)).toEqual(['admitted', 'stillOpen']);
		expect(result.items('Booking Check', 0)[0].pairedItem).toEqual({ item: 0 });
	});

	it('sends a journey whose follow-up was booked in the EHR to "Done", with status booked and the appointment', async () => {
		const { storePath, patientId, item } = await fhirVisit();
		const start = DateTime.utc().plus({ days: 12 }).startOf('hour').toISO() as string;
		const appointmentId = await bookFhirFollowUp(sandbox.fhir, patientId, start);
		const result = await bookingCheck('fhir', item, storePath);
		expect(result.stillOpen).toEqual([]);
		expect(result.done).toHaveLength(1);
		expect(result.done[0].booking).toMatchObject({ status: 'booked', appointmentId, start: expect.any(String) });
		expect(Date.parse((result.done[0].booking as { start: string }).start)).toBe(Date.parse(start));
	});

	it('sends a journey whose visit was cancelled in the EHR to "Done" with status visitCancelled', async () => {
		const { storePath, encounterId, item } = await fhirVisit();
		const encounter = (await sandbox.fhir.repo.readResource('Encounter', encounterId)) as Encounter & { id: string };
		await updateResource(sandbox.fhir.repo, { ...encounter, status: 'cancelled' });
		const result = await bookingCheck('fhir', item, storePath);
		expect(result.stillOpen).toEqual([]);
		expect(result.done).toEqual([expect.objectContaining({ booking: expect.objectContaining({ status: 'visitCancelled' }) })]);
	});

	it('checks a recall journey by booking only (a recall has no visit to re-read): open, then booked', async () => {
		const storePath = join(tempDir(), 'journey.sqlite');
		const patientId = await ensureFhirPatient(sandbox.fhir, { ...john, key: `john-recall-${++fhirEventNumber}` });
		const due = DateTime.utc().plus({ days: 30 });
		const order = await createResource(sandbox.fhir.repo, {
			resourceType: 'ServiceRequest',
			status: 'active',
			intent: 'order',
			subject: { reference: `Patient/${patientId}` },
			code: { coding: [{ system: 'http://snomed.info/sct', code: '390906007' }] },
			occurrenceDateTime: due.toISO() as string,
		});
		const startedAt = DateTime.utc().minus({ days: 16 }).toISO() as string;
		const recall = {
			kind: 'recall',
			schemaVersion: 1,
			ehr: 'fhir',
			patientId,
			zone: 'America/New_York',
			zoneSource: 'patient',
			patient: { firstName: 'John', phones: [{ number: john.mobile, kind: 'mobile' }], email: john.email, language: 'en' },
			consent: { sms: true, email: true, voice: true },
			recallId: order.id,
			dueDate: due.toISODate(),
			actionItem: { type: 'followUpVisit', description: 'Book your annual visit', orderId: order.id, done: false },
			journey: {
				journeyId: `recall:fhir:${order.id}`,
				patientKey: `fhir:${patientId}`,
				stage: 1,
				holds: 0,
				steps: [{ at: startedAt, node: 'Send Recall Nudge', stage: 1, outcome: 'sent', channel: 'sms' }],
			},
		};
		const open = await bookingCheck('fhir', recall, storePath);
		expect(open.error('Booking Check')).toBeUndefined();
		expect(open.stillOpen).toEqual([expect.objectContaining({ booking: expect.objectContaining({ status: 'open' }) })]);

		const appointmentId = await bookFhirFollowUp(sandbox.fhir, patientId, due.minus({ days: 2 }).toISO() as string);
		const booked = await bookingCheck('fhir', recall, storePath);
		expect(booked.done).toEqual([expect.objectContaining({ booking: expect.objectContaining({ status: 'booked', appointmentId }) })]);
	});

	it('counts only the appointment types listed in "Appointment Types That Count"', async () => {
		const { storePath, patientId, item } = await fhirVisit();
		await bookFhirFollowUp(sandbox.fhir, patientId, DateTime.utc().plus({ days: 3 }).toISO() as string);
		const untypedOnly = await bookingCheck('fhir', item, storePath, 'FOLLOWUP');
		expect(untypedOnly.stillOpen).toHaveLength(1);

		const typed = await createResource(sandbox.fhir.repo, {
			resourceType: 'Appointment',
			status: 'booked',
			start: DateTime.utc().plus({ days: 14 }).toISO() as string,
			end: DateTime.utc().plus({ days: 14, minutes: 20 }).toISO() as string,
			appointmentType: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0276', code: 'FOLLOWUP' }] },
			participant: [{ actor: { reference: `Patient/${patientId}` }, status: 'accepted' }],
		});
		const counted = await bookingCheck('fhir', item, storePath, 'FOLLOWUP, ROUTINE');
		expect(counted.done).toEqual([expect.objectContaining({ booking: expect.objectContaining({ status: 'booked', appointmentId: typed.id }) })]);
	});
});

describe('Booking Check against the local athenahealth and DrChrono servers', () => {
	it('athenahealth: a follow-up booked after the check-out sends the journey to "Done" (booked)', async () => {
		const storePath = join(tempDir(), 'journey.sqlite');
		const { appointmentId, patientId } = openAthenaVisit(sandbox.athena, john);
		const delivery = closeAthenaVisit(sandbox.athena, appointmentId, secret);
		const item = await admit('athenahealth', sandbox.verified('athenahealth', post(delivery.body, delivery.headers)), storePath);

		const before = await bookingCheck('athenahealth', item, storePath);
		expect(before.stillOpen).toHaveLength(1);

		const visit = sandbox.athena.state.appointments.get(appointmentId)!;
		sandbox.athena.addAppointment({
			appointmentid: `${appointmentId}1`,
			patientid: patientId,
			departmentid: String(visit.departmentid),
			appointmentstatus: 'f',
			date: DateTime.now().setZone(athenaEastern).plus({ days: 9 }).toFormat('MM/dd/yyyy'),
			starttime: '10:30',
			appointmenttypeid: '2',
		});
		const after = await bookingCheck('athenahealth', item, storePath);
		expect(after.stillOpen).toEqual([]);
		expect(after.done).toEqual([
			expect.objectContaining({ booking: expect.objectContaining({ status: 'booked', appointmentId: `${appointmentId}1` }) }),
		]);
		expect((after.done[0]!.booking as IDataObject).summary).toMatch(
			new RegExp(`^Booked: appointment ${appointmentId}1 for \\w{3} \\d{4}-\\d{2}-\\d{2} 10:30 \\S+; the journey ends$`),
		);

		// The type the follow-up was booked with, as the editor lists it (athena's "Follow-Up Visit", id 2), in each way
		// a node stores it: typed (version 1), picked (1.1), or an expression in 1.1.
		const followUpType = (await loadNodeOptions(
			single('Booking Check', 'bookingCheck', { ehr: 'athenahealth' }, [], { typeVersion: 1.1 }),
			{ nodeTypes, credentials: credentials('athenahealth', storePath), credentialTypes: packCredentialTypes() },
			'Booking Check',
			'ehrAppointmentTypes',
		)).find((option) => option.name === 'Follow-Up Visit')!.value as string;
		for (const [types, version] of [[followUpType, 1], [`${followUpType}, 21`, 1], [[followUpType, '21'], 1.1], [`={{ "${followUpType}, 21" }}`, 1.1]] as const) {
			const counted = await bookingCheck('athenahealth', item, storePath, types as string | string[], version);
			expect([types, counted.done.length, counted.stillOpen.length]).toEqual([types, 1, 0]);
		}
		const otherType = await bookingCheck('athenahealth', item, storePath, ['4'], 1.1);
		expect(otherType.stillOpen).toEqual([expect.objectContaining({ booking: expect.objectContaining({ status: 'open', summary: 'Still open: nothing booked or done in the EHR yet' }) })]);
	});

	it('DrChrono: a follow-up booked after the visit sends the journey to "Done" (booked)', async () => {
		const storePath = join(tempDir(), 'journey.sqlite');
		const { appointmentId, patientId } = openDrChronoVisit(sandbox.drchrono, john);
		const { delivery } = await sandbox.drchrono.completeAppointment(appointmentId);
		const item = await admit('drchrono', sandbox.verified('drchrono', delivery!), storePath);

		const before = await bookingCheck('drchrono', item, storePath);
		expect(before.stillOpen).toHaveLength(1);

		const now = DateTime.fromISO(sandbox.drchrono.localNow());
		const followUpId = String(appointmentId) + '9';
		sandbox.drchrono.state.appointments.set(followUpId, {
			id: followUpId,
			patient: patientId,
			doctor: demoIds.doctor,
			office: demoIds.office,
			exam_room: 1,
			profile: null,
			status: '',
			scheduled_time: now.plus({ days: 10 }).set({ hour: 10, minute: 0 }).toFormat("yyyy-MM-dd'T'HH:mm:ss"),
			duration: 20,
			reason: 'Follow-up',
			notes: '',
			created_at: sandbox.drchrono.localNow(),
			updated_at: sandbox.drchrono.localNow(),
			deleted_flag: false,
			appt_is_break: false,
			status_transitions: [],
		});
		const after = await bookingCheck('drchrono', item, storePath);
		expect(after.stillOpen).toEqual([]);
		expect(after.done).toEqual([expect.objectContaining({ booking: expect.objectContaining({ status: 'booked', appointmentId: followUpId }) })]);
	});
});
