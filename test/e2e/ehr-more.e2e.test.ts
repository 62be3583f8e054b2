import type { DemoPatient } from '../../sandbox/demo-patients';
import { demoPatients } from '../../sandbox/demo-patients';
import type { Sandbox } from '../../sandbox/environment';
import { ensureFhirPatient } from '../../sandbox/fhir-demo';
import { ackCodeOf, checkedOutSiu, sendMllp } from '../../sandbox/hl7v2-demo';
import { closeTebraVisit } from '../../sandbox/tebra-demo';
import { malformedMessages } from '../ehr/hl7v2/messages';
import { msaOf } from '../ehr/hl7v2/mllpClient';
import { zoneWhereNowIsBetween } from '../helpers/fixtures';
import { eventually, outputOf, startE2eSandbox } from './harness';

/*
 * The two triggers of issue 20 in a real n8n 2.41.1, each starting the sandbox's three-stage workflow: the EHR Poll
 * Trigger finding a check-out in the Tebra double, and the HL7 v2 Trigger taking Epic's checked-out SIU over MLLP
 * (a NAK and nothing started for malformed frames; an ACK and nothing started for a resent control id). The
 * patients' zone (FHIR) and the Tebra practice's are ones where now is inside the send window.
 */

let sandbox: Sandbox;
const zone = zoneWhereNowIsBetween(9, 20);
const patient = (key: string) => demoPatients.find((p) => p.key === key)!;
const john = patient('john');
let tebraAppointmentId: string;

beforeAll(async () => {
	sandbox = await startE2eSandbox('ehr-more', 5722, { tebraZone: zone });
	// The poll trigger read Tebra once when the workflow was published, and counts from there. The Tebra visit is
	// checked out now, so the wait for the next poll (n8n polls once a minute at most) runs beside the HL7 v2 cases.
	await eventually('the Tebra poll trigger\'s first read', () => (sandbox.tebra.requests.some((r) => r.operation === 'GetAppointments' && r.status === 200) ? true : undefined));
	tebraAppointmentId = closeTebraVisit(sandbox.tebra, john, `${Date.now()}`);
}, 300_000);

afterAll(async () => {
	await sandbox?.stop();
});

const smsTo = (number: string) => sandbox.twilio.messages.filter((m) => m.to === number);
const emailsTo = (address: string) => sandbox.smtp.messages.filter((m) => m.to.includes(address));
/** Every visit a valid message with a new control id was sent for: each must start exactly one execution. */
const validVisits: string[] = [];

/** Epic's checked-out SIU for a demo patient whose FHIR record (zone, consent) is in the sandbox's FHIR server. */
async function siuFor(demo: DemoPatient, visitId: string): Promise<string> {
	const fhirPatientId = await ensureFhirPatient(sandbox.fhir, demo, zone);
	validVisits.push(visitId);
	return checkedOutSiu({ patient: demo, fhirPatientId, appointmentId: visitId, controlId: `E2E${visitId}`, at: new Date() });
}

/** The visit of each execution of the HL7 v2 workflow so far, sorted. */
async function visitsRun(): Promise<string[]> {
	const executions = await sandbox.client.executions(sandbox.workflows.hl7v2.id, 250);
	return executions.map((execution) => String(outputOf(execution, 'HL7 v2 Trigger')[0]?.resourceId)).sort();
}

/**
 * The visits the HL7 v2 workflow ran for, once the run for `lastVisitId` (sent after the frames under test, on the
 * same connection) has shown and nothing is running: n8n's list leaves out running executions.
 */
async function visitsRunAfter(lastVisitId: string): Promise<string[]> {
	const workflowId = sandbox.workflows.hl7v2.id;
	return await eventually(`the HL7 v2 workflow's run for visit ${lastVisitId}`, async () => {
		const running = await sandbox.client.api('GET', `/executions?workflowId=${workflowId}&status=running`);
		if (running.data.length > 0) return undefined;
		const visits = await visitsRun();
		return visits.includes(lastVisitId) ? visits : undefined;
	});
}

describe('HL7 v2 Trigger (MLLP) in a real n8n', () => {
	it('acknowledges a checked-out SIU with AA and sends the care summary by SMS and email, with the order\'s link', async () => {
		const ana = patient('ana');
		const visitId = `${Date.now()}`;
		const [ack] = await sendMllp(sandbox.mllpPort, [await siuFor(ana, visitId)]);
		expect(msaOf(ack)).toMatchObject({ code: 'AA', controlId: `E2E${visitId}` });
		const sms = await eventually('the care summary SMS', () => smsTo(ana.mobile!)[0]);
		const email = await eventually('the care summary email', () => emailsTo(ana.email!)[0]);
		expect(sms.body).toContain(`https://riverside.example/schedule?order=FU-${visitId}`);
		expect(email.text).toContain(`https://riverside.example/schedule?order=FU-${visitId}`);
	});

	it('answers malformed frames with a NAK (AR) each and starts no execution; a valid message after them runs once', async () => {
		const visitId = `${Date.now()}`;
		const acks = await sendMllp(sandbox.mllpPort, [...malformedMessages(25), await siuFor(patient('leilani'), visitId)]);
		expect(acks.map(ackCodeOf)).toEqual([...Array.from({ length: 25 }, () => 'AR'), 'AA']);
		expect(await visitsRunAfter(visitId)).toEqual([...validVisits].sort());
		await eventually('Leilani\'s care summary email', () => emailsTo(patient('leilani').email!)[0]);
	});

	it('acknowledges a resent control id (MSH-10) with AA and starts no second execution', async () => {
		const sam: DemoPatient = { key: 'e2e-resent', firstName: 'Sam', lastName: 'Rivera', birthDate: '1980-05-05', mobile: '+15555550170', language: 'en', zone };
		const visitId = `${Date.now()}`;
		const message = await siuFor(sam, visitId);
		const nextVisitId = `${Number(visitId) + 1}`;
		const acks = await sendMllp(sandbox.mllpPort, [message, message, message, await siuFor(sam, nextVisitId)]);
		expect(acks.map(msaOf).map((msa) => [msa.code, msa.text])).toEqual([
			['AA', ''],
			['AA', 'Duplicate control id: already received'],
			['AA', 'Duplicate control id: already received'],
			['AA', ''],
		]);
		// Each visit once: the resent control id started nothing.
		expect(await visitsRunAfter(nextVisitId)).toEqual([...validVisits].sort());
	});
});

describe('EHR Poll Trigger against the Tebra double in a real n8n', () => {
	it('finds the check-out on its next poll and sends the care summary by SMS and email', async () => {
		const sms = await eventually('the Tebra care summary SMS', () => smsTo(john.mobile!)[0], 150_000);
		const email = await eventually('the Tebra care summary email', () => emailsTo(john.email!)[0]);
		expect(sms.body).toMatch(/follow-up/i);
		expect(email.text).toContain('John');
		const execution = await eventually('the Tebra workflow\'s execution', async () => (await sandbox.client.executions(sandbox.workflows.tebra.id))[0]);
		expect(outputOf(execution, 'EHR Poll Trigger')).toEqual([expect.objectContaining({ ehr: 'tebra', resourceId: tebraAppointmentId })]);
		expect(sandbox.tebra.requests.filter((request) => request.status === 429)).toEqual([]);
	});
});
