/**
 * Compliance (issue #7), the sample in a real n8n 2.41.1: journeys through the published three-stage template with
 * the real clock, chosen so that what must happen now is known — inside or outside the send window in the
 * patient's zone, opted out in the journey store or without consent in the EHR, booked or not 48 hours after the
 * visit, cancelled, unreachable. Each must do exactly what is predicted, and the same rules as the in-process run
 * hold for what reached the outboxes (window in the patient's zone, no opted-out channel, caps, nothing after
 * the booking).
 */
import { randomInt } from 'node:crypto';

import { DateTime } from 'luxon';

import { openJourneyStore } from '../../nodes/shared/store';
import type { JournalEntry } from '../../nodes/shared/store/types';
import { demoPractice } from '../../sandbox/demo-patients';
import type { Sandbox } from '../../sandbox/environment';
import { bookFhirFollowUp, closeFhirVisit, fhirBackportNotification } from '../../sandbox/fhir-demo';
import { createResource, updateResource } from '../../sandbox/fhir-server';
import { eventually, startE2eSandbox } from '../e2e/harness';
import { northAmericanNumber } from '../helpers/phoneNumbers';
import { insideWindow } from './compliance-invariants';
import { patientResource } from './compliance-runner';
import { allZones } from './compliance-world';
import type { PatientPlan } from './compliance-world';
import { counts, reliabilityPort, seed } from './profile';
import { recordNote, recordRow } from './results';

const section = 'compliance';
const title = 'Compliance: send window, caps, opt-outs, done actions';
const port = reliabilityPort(5770);
const policy = {
	windowStart: '09:00',
	windowEnd: '20:00',
	closedWeekdays: [],
	holidays: [],
	automatedPerJourney: 2,
	stage3PerJourney: 1,
	perPatientPerDay: 3,
	channelOrder: 'sms,email',
	defaultZone: 'America/Chicago',
	voiceAtStage3: false,
};

const kinds = ['inside', 'night', 'smsOptedOut', 'booked48h', 'open48h', 'noSmsConsent', 'noContact', 'cancelled', 'emailOptedOut', 'landlineOnly'] as const;
type Kind = (typeof kinds)[number];
/** ci: the three the issue names first; full: every kind twice, in zones of every shape. */
const sample: Kind[] = Array.from({ length: counts.complianceRealSample }, (_, index) => kinds[index % kinds.length] as Kind);

interface Prediction {
	sms: number;
	email: number;
	task: boolean;
	/** The journal line that says the journey did all it will do now. */
	settled: (journal: JournalEntry[]) => boolean;
}

const has = (journal: JournalEntry[], type: string, stage?: number) => journal.some((entry) => entry.type === type && (stage === undefined || entry.stage === stage));
const predictions: Record<Kind, Prediction> = {
	inside: { sms: 1, email: 1, task: false, settled: (j) => has(j, 'touch.sent', 1) && has(j, 'wait.scheduled') },
	night: { sms: 0, email: 0, task: false, settled: (j) => has(j, 'touch.held', 1) && has(j, 'wait.scheduled') },
	smsOptedOut: { sms: 0, email: 1, task: false, settled: (j) => has(j, 'touch.sent', 1) && has(j, 'wait.scheduled') },
	booked48h: { sms: 1, email: 1, task: false, settled: (j) => has(j, 'followup.booked') },
	open48h: { sms: 2, email: 1, task: false, settled: (j) => has(j, 'touch.sent', 2) && j.filter((e) => e.type.startsWith('wait.')).length >= 2 },
	noSmsConsent: { sms: 0, email: 1, task: false, settled: (j) => has(j, 'touch.sent', 1) && has(j, 'wait.scheduled') },
	noContact: { sms: 0, email: 0, task: true, settled: (j) => has(j, 'staff.notified') || has(j, 'staff.notifyFailed') },
	cancelled: { sms: 0, email: 0, task: false, settled: () => false },
	emailOptedOut: { sms: 1, email: 0, task: false, settled: (j) => has(j, 'touch.sent', 1) && has(j, 'wait.scheduled') },
	landlineOnly: { sms: 0, email: 0, task: true, settled: (j) => has(j, 'staff.notified') || has(j, 'staff.notifyFailed') },
};

let sandbox: Sandbox;

beforeAll(async () => {
	sandbox = await startE2eSandbox('reliability-compliance', port, {
		profile: {
			windowStart: policy.windowStart,
			windowEnd: policy.windowEnd,
			perPatientPerDay: policy.perPatientPerDay,
			perNumberPerDay: policy.perPatientPerDay,
			channelOrder: policy.channelOrder,
			defaultZone: policy.defaultZone,
		},
	});
}, 300_000);

afterAll(async () => {
	await sandbox?.stop();
});

/** A zone (of the in-process run's list, else a fixed offset) whose local hour now lies in [from, to). */
function zoneWhereNow(from: number, to: number, pick: number): string {
	const now = DateTime.utc();
	const fits = (zone: string) => {
		const hour = now.setZone(zone).hour;
		return hour >= from && hour < to;
	};
	const named = allZones.filter(fits);
	if (named.length > 0) return named[pick % named.length] as string;
	const fixed = Array.from({ length: 27 }, (_, i) => i - 12).map((offset) => (offset === 0 ? 'Etc/UTC' : `Etc/GMT${offset > 0 ? '-' : '+'}${Math.abs(offset)}`));
	return fixed.find(fits) as string;
}

let serial = randomInt(100_000, 900_000);

interface SampleJourney {
	kind: Kind;
	patient: PatientPlan;
	zone: string;
	encounterId: string;
	eventNumber: number;
	bookedAt?: number;
	since: number;
}

async function startJourney(kind: Kind, index: number): Promise<SampleJourney> {
	serial += 1;
	const since = Date.now();
	const zone = kind === 'night' ? zoneWhereNow(1, 6, index + seed) : zoneWhereNow(10, 18, index + seed);
	const mobile = northAmericanNumber('555', serial);
	const patient: PatientPlan = {
		index: serial,
		fhirId: `n8n-sample-${serial}`,
		zone,
		phones: kind === 'noContact' ? [] : kind === 'landlineOnly' ? [{ number: mobile, kind: 'landline' }] : [{ number: mobile, kind: 'mobile' }],
		email: kind === 'noContact' || kind === 'landlineOnly' ? undefined : `sample${serial}@patients.example`,
		language: index % 2 === 0 ? 'en' : 'es',
		consent: { sms: kind !== 'noSmsConsent', email: true, voice: true },
		optOuts: [],
	};
	await createResource(sandbox.fhir.repo, patientResource(patient));
	if (kind === 'landlineOnly') sandbox.twilio.setNumberBehaviour(mobile, 'notMobile');
	if (kind === 'smsOptedOut' || kind === 'emailOptedOut') {
		const store = await openJourneyStore({ backend: 'sqlite', path: sandbox.journeyStorePath, contactHashSecret: demoPractice.contactHashSecret });
		const channel = kind === 'smsOptedOut' ? 'sms' : 'email';
		await store.setOptOut({ channel, address: channel === 'sms' ? mobile : (patient.email as string), at: new Date().toISOString(), source: channel === 'sms' ? 'reply:STOP' : 'unsubscribe' });
		await store.close();
	}
	const closedAt = kind === 'booked48h' || kind === 'open48h' ? DateTime.utc().minus({ hours: 49 }) : DateTime.utc().minus({ minutes: 3 });
	const { encounterId } = await closeFhirVisit(sandbox.fhir, patient.fhirId, { completedAt: closedAt.toISO() as string });
	let bookedAt: number | undefined;
	if (kind === 'booked48h') {
		bookedAt = Date.now();
		await bookFhirFollowUp(sandbox.fhir, patient.fhirId, DateTime.utc().plus({ days: 5 }).toISO() as string);
	}
	if (kind === 'cancelled') {
		const encounter = await sandbox.fhir.repo.readResource('Encounter', encounterId);
		await updateResource(sandbox.fhir.repo, { ...encounter, status: 'cancelled' } as never);
	}
	const eventNumber = serial;
	const body = JSON.stringify(fhirBackportNotification(encounterId, eventNumber));
	const response = await sandbox.deliver('fhir', body, { 'content-type': 'application/fhir+json', 'x-webhook-secret': sandbox.webhookSecret });
	if (response.status !== 200) throw new Error(`the delivery was answered ${response.status}`);
	return { kind, patient, zone, encounterId, eventNumber, bookedAt, since };
}

async function journalOf(journey: SampleJourney): Promise<JournalEntry[]> {
	const store = await openJourneyStore({ backend: 'sqlite', path: sandbox.journeyStorePath, contactHashSecret: demoPractice.contactHashSecret });
	try {
		if (journey.kind === 'cancelled') {
			return (await store.journal({ type: 'event.notCompleted', from: new Date(journey.since).toISOString() })).filter((entry) =>
				String(entry.detail?.eventId ?? '').endsWith(`#${journey.eventNumber}`),
			);
		}
		return await store.journal({ journeyId: `visit:fhir:${journey.encounterId}` });
	} finally {
		await store.close();
	}
}

function problemsOf(journey: SampleJourney, journal: JournalEntry[]): string[] {
	const prediction = predictions[journey.kind];
	const sms = sandbox.twilio.messages.filter((message) => journey.patient.phones.some((phone) => phone.number === message.to));
	const emails = sandbox.smtp.messages.filter((message) => journey.patient.email && message.to.includes(journey.patient.email));
	const taskOfJourney = journal.some((entry) => entry.type === 'task.created');
	const problems: string[] = [];
	if (sms.length !== prediction.sms) problems.push(`${sms.length} SMS, predicted ${prediction.sms}`);
	if (emails.length !== prediction.email) problems.push(`${emails.length} emails, predicted ${prediction.email}`);
	if (taskOfJourney !== prediction.task) problems.push(`staff task ${taskOfJourney ? 'created' : 'not created'}, predicted ${prediction.task ? 'one' : 'none'}`);
	if (journey.kind === 'cancelled' && journal.length !== 1) problems.push('Visit Details did not skip the cancelled visit');
	if (journey.kind === 'night') {
		const held = journal.find((entry) => entry.type === 'touch.held');
		const retryAt = Date.parse(String(held?.detail?.retryAt ?? ''));
		if (!held || held.code !== 'outsideWindow') problems.push('not held as outside the window');
		else if (!insideWindow(retryAt, journey.zone, policy)) problems.push(`held until ${new Date(retryAt).toISOString()}, not inside the next window in ${journey.zone}`);
	}
	// The rules of the in-process run, on what reached the outboxes.
	for (const [channel, at] of [...sms.map((m) => ['sms', m.receivedAt] as const), ...emails.map((m) => ['email', m.receivedAt] as const)]) {
		if (!insideWindow(at, journey.zone, policy)) problems.push(`${channel} at ${new Date(at).toISOString()} outside the window in ${journey.zone}`);
		if ((journey.kind === 'smsOptedOut' || journey.kind === 'noSmsConsent') && channel === 'sms') problems.push('SMS to an opted-out number');
		if (journey.kind === 'emailOptedOut' && channel === 'email') problems.push('email to an opted-out address');
	}
	const stage2 = journal.filter((entry) => entry.type === 'touch.sent' && (entry.stage ?? 0) >= 2);
	if (journey.bookedAt !== undefined && stage2.some((entry) => Date.parse(entry.at) >= (journey.bookedAt as number))) problems.push('a reminder after the booking');
	const stages = new Set(journal.filter((entry) => entry.type === 'touch.sent').map((entry) => entry.stage));
	if (stages.size > policy.automatedPerJourney) problems.push(`${stages.size} automated stages`);
	return problems;
}

describe('compliance sample in a real n8n (the published template, the real clock)', () => {
	it(`${sample.length} journeys do what their zone, window, opt-outs and bookings predict`, async () => {
		const started = Date.now();
		const results: Array<{ journey: SampleJourney; problems: string[] }> = [];
		for (const [index, kind] of sample.entries()) {
			const journey = await startJourney(kind, index);
			const prediction = predictions[kind];
			const journal =
				kind === 'cancelled'
					? await eventually('the cancelled visit to be skipped', async () => ((await journalOf(journey)).length > 0 ? await journalOf(journey) : undefined), 90_000)
					: await eventually(`the ${kind} journey to settle`, async () => {
							const entries = await journalOf(journey);
							return prediction.settled(entries) ? entries : undefined;
						}, 120_000);
			// Anything that was going to reach an outbox has had time to.
			await new Promise((resolve) => setTimeout(resolve, 2_000));
			results.push({ journey, problems: problemsOf(journey, journal) });
		}
		const failed = results.filter((result) => result.problems.length > 0);
		recordRow(section, title, {
			check: 'Real n8n 2.41.1: journeys through the published template with the real clock do what was predicted, within the rules',
			attempts: results.length,
			passed: results.length - failed.length,
			failed: failed.length,
			outcome: failed.length ? `FAIL: ${failed.slice(0, 3).map((f) => `${f.journey.kind}: ${f.problems.join(', ')}`).join('; ')}` : 'pass',
			notes: `${[...new Set(sample)].join(', ')}; zones ${[...new Set(results.map((r) => r.journey.zone))].join(', ')}; ${Math.round((Date.now() - started) / 1000)} s`,
		});
		recordNote(
			section,
			title,
			'The real-n8n sample delivers signed FHIR notifications to the published three-stage template (pack installed from its npm tarball) and reads the Twilio and SMTP outboxes and the journey store: ' +
				'inside the window now → SMS and email; night in the patient\'s zone → held until the next window start there; STOP in the journey store or no SMS consent in the EHR → email only; unsubscribed → SMS only; ' +
				'closed 49 h ago and booked → care summary, then Booking Check ends the journey with no reminder; closed 49 h ago, not booked → care summary and reminder; no contact or a landline only → staff task; cancelled before delivery → nothing.',
		);
		expect(results.map((result) => ({ kind: result.journey.kind, zone: result.journey.zone, problems: result.problems }))).toEqual(
			results.map((result) => ({ kind: result.journey.kind, zone: result.journey.zone, problems: [] })),
		);
	}, 1_800_000);
});
