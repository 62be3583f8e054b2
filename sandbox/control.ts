import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import type { Task } from '@medplum/fhirtypes';
import { DateTime } from 'luxon';

import { athenaPatientId, closeAthenaVisit, openAthenaVisit } from './athena-demo';
import { athenaEastern, closeDemoVisit } from './athenahealth-server';
import { demoPatients, demoPractice } from './demo-patients';
import type { DemoPatient } from './demo-patients';
import { drChronoPatientId, openDrChronoVisit } from './drchrono-demo';
import { buildDrChronoDelivery, demoIds } from './drchrono-server';
import type { SandboxAppointment } from './drchrono-server';
import { demoEhrs } from './environment';
import type { DemoEhr, Sandbox, SandboxEhr } from './environment';
import { bookFhirFollowUp, closeFhirVisit, ensureFhirPatient, fhirBackportNotification } from './fhir-demo';
import { ackCodeOf, checkedOutSiu, sendMllp } from './hl7v2-demo';
import { bookTebraFollowUp, closeTebraVisit, tebraPatientId, tebraSandboxAccount } from './tebra-demo';
import { zoneWhereNowIsBetween } from './zones';

/*
 * The sandbox's control API and outbox page, on 127.0.0.1 only:
 *   GET  /                   the outbox: what the demo patients and staff received, newest first (HTML)
 *   GET  /api/outbox         the same as JSON
 *   POST /api/close-visit    {ehr, patient, hoursAgo?}: a visit closes in that sandbox EHR, which notifies n8n (Tebra:
 *                            n8n's poll finds it; HL7 v2: an SIU checked-out message over MLLP)
 *   POST /api/book-follow-up {ehr, patient}: the patient books the follow-up, so Booking Check stops the journey
 *   POST /api/text-in        {patient | from, body}: a patient texts the practice number (Twilio's signed webhook to
 *                            the Patient Replies workflow); answers with what Twilio would text back
 */

/** What the control API needs of a running sandbox (a stub in unit tests). */
export type ControlTarget = Pick<Sandbox, 'fhir' | 'athena' | 'drchrono' | 'tebra' | 'mllpPort' | 'twilio' | 'smtp' | 'webhookSecret' | 'deliver'>;

/** "real": each demo patient's own zone; "nowWindow": a zone where it is 10:00–19:00 now, so sends go out at once. */
export type DemoZoneMode = 'real' | 'nowWindow';

export interface ControlOptions {
	/** 0 (default) = any free port. */
	port?: number;
	zones: DemoZoneMode;
	/** The zone of the DrChrono sandbox's naive local times (its doctor's zone). */
	drchronoZone?: string;
	/** The Tebra practice's zone (the sandbox's Tebra credential and server). */
	tebraZone?: string;
	/** Linked from the outbox page. */
	editorUrl?: string;
}

export interface DemoAction {
	/** Epoch milliseconds. */
	at: number;
	action: 'close-visit' | 'book-follow-up';
	ehr: DemoEhr;
	patient: string;
	/** The visit (encounter or appointment) closed, or the follow-up appointment booked. */
	id: string;
	/** close-visit: n8n's HTTP status for the EHR's notification. */
	delivered?: number;
	/** close-visit over HL7 v2: the acknowledgement code n8n's MLLP listener answered (MSA-1: AA, AE, AR). */
	acknowledged?: string;
	zone?: string;
	localTime?: string;
	/** close-visit: whether the patient's local time is inside the default 09:00–20:00 send window. */
	insideWindow?: boolean;
}

export interface ControlServer {
	url: string;
	port: number;
	/** Newest last. */
	actions: DemoAction[];
	close(): Promise<void>;
}

export class RequestError extends Error {
	constructor(
		readonly status: number,
		message: string,
	) {
		super(message);
	}
}

const ehrNames = new Map<string, DemoEhr>([
	['fhir', 'fhir'],
	['athenahealth', 'athenahealth'],
	['athena', 'athenahealth'],
	['drchrono', 'drchrono'],
	['tebra', 'tebra'],
	['kareo', 'tebra'],
	['hl7v2', 'hl7v2'],
	['hl7', 'hl7v2'],
]);
const maxBodyBytes = 16 * 1024;
const maxHoursAgo = 24 * 30;
// The Tebra poll reads appointments that start yesterday to tomorrow (practice zone); a 30-minute visit that ended
// at most 23 hours ago always starts inside that range.
const maxTebraHoursAgo = 23;
const windowStartHour = 9;
const windowEndHour = 20;

export interface CloseVisitRequest {
	ehr: DemoEhr;
	patient: DemoPatient;
	hoursAgo: number;
}

/** Shows a caller's value in an error message: JSON-quoted, cut short (it is echoed back, never trusted). */
function quoted(value: unknown): string {
	const text = JSON.stringify(value) ?? String(value);
	return text.length > 40 ? `${text.slice(0, 37)}…` : text;
}

/** Validates a close-visit / book-follow-up body; the error says which field is wrong and what it may be. */
export function parseDemoRequest(body: unknown, options: { allowHoursAgo: boolean }): CloseVisitRequest {
	if (typeof body !== 'object' || body === null || Array.isArray(body)) {
		throw new RequestError(400, 'the body must be a JSON object like {"ehr": "fhir", "patient": "ana"}');
	}
	const fields = body as Record<string, unknown>;
	const unknown = (field: string) => (fields[field] === undefined ? `${field} is missing` : `unknown ${field} ${quoted(fields[field])}`);
	const ehr = typeof fields.ehr === 'string' ? ehrNames.get(fields.ehr.toLowerCase()) : undefined;
	if (!ehr) throw new RequestError(400, `${unknown('ehr')}: use one of ${demoEhrs.join(', ')}`);
	const patient = demoPatients.find((p) => typeof fields.patient === 'string' && p.key === fields.patient.toLowerCase());
	if (!patient) throw new RequestError(400, `${unknown('patient')}: use one of ${demoPatients.map((p) => p.key).join(', ')}`);
	let hoursAgo = 0;
	if (fields.hoursAgo !== undefined) {
		if (!options.allowHoursAgo) throw new RequestError(400, 'hoursAgo applies to close-visit only');
		hoursAgo = typeof fields.hoursAgo === 'string' && fields.hoursAgo.trim() !== '' ? Number(fields.hoursAgo) : (fields.hoursAgo as number);
		if (typeof hoursAgo !== 'number' || !Number.isFinite(hoursAgo) || hoursAgo < 0 || hoursAgo > maxHoursAgo) {
			throw new RequestError(400, `hoursAgo must be a number of hours from 0 to ${maxHoursAgo}, got ${quoted(fields.hoursAgo)}`);
		}
		if (ehr === 'tebra' && hoursAgo > maxTebraHoursAgo) {
			throw new RequestError(400, `hoursAgo for tebra is at most ${maxTebraHoursAgo}: its poll reads appointments from yesterday to tomorrow`);
		}
	}
	return { ehr, patient, hoursAgo };
}

/** Validates a text-in body: a demo patient's key (their mobile) or an E.164 number, and the text (1–1600 characters). */
export function parseTextInRequest(body: unknown): { from: string; body: string } {
	if (typeof body !== 'object' || body === null || Array.isArray(body)) {
		throw new RequestError(400, 'the body must be a JSON object like {"patient": "john", "body": "STOP"}');
	}
	const fields = body as Record<string, unknown>;
	let from: string | undefined;
	if (fields.patient !== undefined) {
		const patient = demoPatients.find((p) => typeof fields.patient === 'string' && p.key === fields.patient.toLowerCase());
		if (!patient) throw new RequestError(400, `unknown patient ${quoted(fields.patient)}: use one of ${demoPatients.map((p) => p.key).join(', ')}`);
		if (!patient.mobile) throw new RequestError(400, `${patient.key} has no mobile number to text from: pass "from" instead`);
		from = patient.mobile;
	} else if (typeof fields.from === 'string' && /^\+[1-9]\d{6,14}$/.test(fields.from)) {
		from = fields.from;
	} else {
		throw new RequestError(400, `give "patient" (${demoPatients.map((p) => p.key).join(', ')}) or "from" as an E.164 number, got ${quoted(fields.from)}`);
	}
	if (typeof fields.body !== 'string' || fields.body.length === 0 || fields.body.length > 1600) {
		throw new RequestError(400, 'body must be the text of the message, 1 to 1600 characters');
	}
	return { from, body: fields.body };
}

// ---- the outbox ----

export interface OutboxSnapshot {
	generatedAt: string;
	/** `status`: the last status Twilio reported by callback (delivered, undelivered 30003…), '' before any. */
	sms: Array<{ at: string; to: string; who: string; body: string; segments: number; sid: string; status: string }>;
	emails: Array<{ at: string; to: string[]; who: string; subject: string; excerpt: string }>;
	calls: Array<{ at: string; to: string; who: string; message: string; status: string }>;
	tasks: Array<{ at: string; ehr: SandboxEhr; id: string; patient: string; title: string; assignee: string; status: string }>;
	actions: Array<Omit<DemoAction, 'at'> & { at: string }>;
	/** Texts patients sent to the practice number, with the webhook's HTTP answer and the reply it texted back. */
	replies: Array<{ at: string; from: string; who: string; text: string; answered: string; reply: string }>;
}

/** Who an address or number belongs to in the demo practice ('' when nobody known). */
function whoIs(address: string): string {
	const value = address.trim().toLowerCase();
	const patient = demoPatients.find((p) => [p.mobile, p.landline, p.email].some((a) => a?.toLowerCase() === value));
	if (patient) return `${patient.firstName} ${patient.lastName} (patient)`;
	if (value === demoPractice.coordinator.email.toLowerCase()) return `${demoPractice.coordinator.name} (care coordinator)`;
	if (value.startsWith('practice-manager@')) return 'practice manager';
	return '';
}

function excerpt(text: string | undefined, length = 280): string {
	const flat = (text ?? '').replace(/\s+/g, ' ').trim();
	return flat.length > length ? `${flat.slice(0, length - 1)}…` : flat;
}

function stripTags(markup: string): string {
	return markup.replace(/<[^>]*>/g, ' ');
}

const iso = (ms: number) => new Date(ms).toISOString();
const newestFirst = <T extends { ms: number }>(rows: T[]) => rows.sort((a, b) => b.ms - a.ms);

async function collectOutbox(target: ControlTarget, actions: DemoAction[], drchronoZone: string): Promise<OutboxSnapshot> {
	const lastStatus = (sid: string) => {
		const last = target.twilio.statusCallbacks.filter((callback) => callback.sid === sid).at(-1);
		return last ? [last.params.MessageStatus ?? last.params.CallStatus, last.params.ErrorCode].filter(Boolean).join(' ') : '';
	};
	const sms = newestFirst(target.twilio.messages.map((m) => ({ ms: m.receivedAt, m }))).map(({ m }) => ({
		at: iso(m.receivedAt),
		to: m.to,
		who: whoIs(m.to),
		body: m.body,
		segments: m.numSegments,
		sid: m.sid,
		status: lastStatus(m.sid),
	}));
	const emails = newestFirst(target.smtp.messages.map((m) => ({ ms: m.receivedAt, m }))).map(({ m }) => ({
		at: iso(m.receivedAt),
		to: m.to,
		who: m.to.map(whoIs).filter(Boolean).join(', '),
		subject: m.subject,
		excerpt: excerpt(m.text ?? stripTags(m.html ?? '')),
	}));
	const calls = newestFirst(target.twilio.calls.map((c) => ({ ms: c.receivedAt, c }))).map(({ c }) => ({
		at: iso(c.receivedAt),
		to: c.to,
		who: whoIs(c.to),
		message: excerpt(c.twiml ? stripTags(c.twiml) : (c.url ?? '')),
		status: lastStatus(c.sid),
	}));

	const tasks: Array<OutboxSnapshot['tasks'][number] & { ms: number }> = [];
	const fhirTasks = (await target.fhir.repo.searchResources({ resourceType: 'Task', count: 1000 })) as Task[];
	for (const task of fhirTasks) {
		const ms = Date.parse(task.meta?.lastUpdated ?? task.authoredOn ?? '') || 0;
		const patientRef = task.for?.reference ?? '';
		const demo = demoPatients.find((p) => patientRef === `Patient/demo-${p.key}`);
		tasks.push({
			ms,
			at: iso(ms),
			ehr: 'fhir',
			id: `Task/${task.id}`,
			patient: demo ? `${demo.firstName} ${demo.lastName}` : patientRef,
			title: task.code?.text ?? task.description ?? '',
			assignee: task.owner?.display ?? task.owner?.reference ?? '(unassigned)',
			status: task.status ?? '',
		});
	}
	for (const patientCase of target.athena.state.patientCases.values()) {
		const stamp = DateTime.fromFormat(String(patientCase.createddatetime ?? ''), 'MM/dd/yyyy HH:mm:ss', { zone: athenaEastern });
		const ms = stamp.isValid ? stamp.toMillis() : 0;
		const demo = demoPatients.find((p) => athenaPatientId(p) === String(patientCase.patientid));
		tasks.push({
			ms,
			at: iso(ms),
			ehr: 'athenahealth',
			id: `patient case ${String(patientCase.patientcaseid)}`,
			patient: demo ? `${demo.firstName} ${demo.lastName}` : String(patientCase.patientid),
			title: String(patientCase.subject ?? ''),
			assignee: String(patientCase.assignedto ?? '(unassigned)'),
			status: String(patientCase.status ?? ''),
		});
	}
	for (const task of target.drchrono.state.tasks.values()) {
		const created = DateTime.fromISO(task.created_at, { zone: drchronoZone });
		const ms = created.isValid ? created.toMillis() : 0;
		const patientItem = task.associated_items.find((item) => item.type === 'Patient');
		const demo = demoPatients.find((p) => patientItem && drChronoPatientId(p) === patientItem.value);
		tasks.push({
			ms,
			at: iso(ms),
			ehr: 'drchrono',
			id: `task ${task.id}`,
			patient: demo ? `${demo.firstName} ${demo.lastName}` : patientItem ? String(patientItem.value) : '',
			title: task.title,
			assignee: task.assignee_user ?? (task.assignee_group !== null ? `group ${task.assignee_group}` : '(unassigned)'),
			status: target.drchrono.state.taskStatuses.get(task.status)?.name ?? String(task.status),
		});
	}

	const replies = newestFirst(target.twilio.inbound.map((m) => ({ ms: m.sentAt, m }))).map(({ m }) => ({
		at: iso(m.sentAt),
		from: m.from,
		who: whoIs(m.from),
		text: m.body,
		answered: String(m.answer ?? ''),
		reply: m.reply ?? '',
	}));

	return {
		generatedAt: new Date().toISOString(),
		replies,
		sms,
		emails,
		calls,
		tasks: newestFirst(tasks).map(({ ms: _ms, ...task }) => task),
		actions: [...actions].sort((a, b) => b.at - a.at).map((action) => ({ ...action, at: iso(action.at) })),
	};
}

/** HTML-escapes text for element content and quoted attribute values. */
export function escapeHtml(value: unknown): string {
	return String(value ?? '')
		.replace(/&/g, '&amp;')
		.replace(/</g, '&lt;')
		.replace(/>/g, '&gt;')
		.replace(/"/g, '&quot;')
		.replace(/'/g, '&#39;');
}

function table(caption: string, headers: string[], rows: unknown[][], empty: string): string {
	const head = headers.map((h) => `<th>${escapeHtml(h)}</th>`).join('');
	const body = rows.length
		? rows.map((row) => `<tr>${row.map((cell) => `<td>${escapeHtml(cell)}</td>`).join('')}</tr>`).join('\n')
		: `<tr><td colspan="${headers.length}" class="empty">${escapeHtml(empty)}</td></tr>`;
	return `<h2>${escapeHtml(caption)} (${rows.length})</h2>\n<table><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

/** "2026-11-26 14:03:07 UTC" */
const shortTime = (at: string) => at.replace('T', ' ').replace(/\.\d+Z$/, ' UTC');

export function renderOutbox(snapshot: OutboxSnapshot, options: { editorUrl?: string } = {}): string {
	const hint = 'Nothing yet. Close a demo visit: bash scripts/close-visit.sh fhir ana';
	const sections = [
		table('Demo actions', ['time', 'action', 'EHR', 'patient', 'visit / appointment', 'n8n answered', 'patient zone (local time)'], snapshot.actions.map((a) => [
			shortTime(a.at),
			a.action,
			a.ehr,
			a.patient,
			a.id,
			a.delivered ?? a.acknowledged ?? (a.ehr === 'tebra' && a.action === 'close-visit' ? 'polled within a minute' : ''),
			a.zone ? `${a.zone} (${a.localTime})${a.insideWindow === false ? ' — outside 09:00–20:00: sends wait for the window' : ''}` : '',
		]), hint),
		table('Text messages (SMS)', ['time', 'to', 'who', 'message', 'segments', 'delivery status'], snapshot.sms.map((m) => [shortTime(m.at), m.to, m.who, m.body, m.segments, m.status]), 'No text message sent yet.'),
		table('Patient replies (texts to the practice number)', ['time', 'from', 'who', 'text', 'n8n answered', 'texted back'], (snapshot.replies ?? []).map((r) => [shortTime(r.at), r.from, r.who, r.text, r.answered, r.reply]), 'No reply yet. A patient texts in: POST /api/text-in {"patient": "john", "body": "STOP"}'),
		table('Emails', ['time', 'to', 'who', 'subject', 'text (excerpt)'], snapshot.emails.map((m) => [shortTime(m.at), m.to.join(', '), m.who, m.subject, m.excerpt]), 'No email sent yet.'),
		table('Voice calls', ['time', 'to', 'who', 'message (excerpt)', 'outcome'], snapshot.calls.map((c) => [shortTime(c.at), c.to, c.who, c.message, c.status]), 'No call placed yet.'),
		table('EHR tasks (FHIR Task, athenahealth patient case, DrChrono task)', ['time', 'EHR', 'id', 'patient', 'title', 'assignee', 'status'], snapshot.tasks.map((t) => [shortTime(t.at), t.ehr, t.id, t.patient, t.title, t.assignee, t.status]), 'No task created yet (stage 3 comes 7 days after the visit when nothing is booked).'),
	];
	const links = [`<a href="/api/outbox">JSON</a>`, ...(options.editorUrl ? [`<a href="${escapeHtml(options.editorUrl)}">n8n editor</a>`] : [])];
	return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="refresh" content="5">
<title>Post-Visit sandbox outbox</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5rem; color: #222; }
table { border-collapse: collapse; width: 100%; margin-bottom: 1.5rem; }
th, td { border: 1px solid #ccc; padding: .3rem .5rem; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
td { white-space: pre-wrap; word-break: break-word; }
td.empty { color: #777; font-style: italic; }
h2 { font-size: 1.05rem; margin: 1rem 0 .4rem; }
</style>
</head>
<body>
<h1>Post-Visit sandbox: outbox</h1>
<p>What the demo practice's patients and staff received (sandbox Twilio, SMTP and EHRs), newest first. Refreshes every 5 s; generated ${escapeHtml(shortTime(snapshot.generatedAt))}. ${links.join(' · ')}</p>
${sections.join('\n')}
</body>
</html>
`;
}

// ---- the demo actions ----

const fhirNotificationHeaders = (secret: string) => ({ 'content-type': 'application/fhir+json', 'x-webhook-secret': secret });

function stringHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
	const result: Record<string, string> = {};
	for (const [key, value] of Object.entries(headers)) if (typeof value === 'string') result[key] = value;
	return result;
}

/**
 * A check-out on the HL7 v2 feed: the patient in the FHIR sandbox behind the feed (zone, consent), then the SIU^S14
 * "Complete" Epic's Cadence interface sends, over MLLP to the HL7 v2 workflow's listener.
 */
async function sendHl7v2CheckOut(
	target: ControlTarget,
	request: { patient: DemoPatient; zone: string; completedAt: DateTime; visitId: string },
): Promise<{ id: string; acknowledged: string }> {
	const fhirPatientId = await ensureFhirPatient(target.fhir, request.patient, request.zone);
	const message = checkedOutSiu({
		patient: request.patient,
		fhirPatientId,
		appointmentId: request.visitId,
		controlId: `DEMO${request.visitId}`,
		at: request.completedAt.toJSDate(),
	});
	const [ack] = await sendMllp(target.mllpPort, [message], '127.0.0.1', 30_000);
	return { id: `appointment ${request.visitId}`, acknowledged: ackCodeOf(ack) };
}

export async function startControlServer(target: ControlTarget, options: ControlOptions): Promise<ControlServer> {
	const drchronoZone = options.drchronoZone ?? demoPractice.zone;
	const tebraZone = options.tebraZone ?? tebraSandboxAccount.practice.zone;
	const actions: DemoAction[] = [];
	// Ids stay unique across `npm start` runs: the journey store (kept between runs) claims events and visits by id.
	let lastId = 0;
	const uniqueId = () => String((lastId = Math.max(Date.now(), lastId + 1)));
	let lastEventNumber = 0;
	const nextEventNumber = () => (lastEventNumber = Math.max(Date.now(), lastEventNumber + 1));

	function record(action: DemoAction): DemoAction {
		actions.push(action);
		if (actions.length > 200) actions.shift();
		return action;
	}

	function zoneOf(patient: DemoPatient): string {
		return options.zones === 'nowWindow' ? zoneWhereNowIsBetween(windowStartHour, windowEndHour) : patient.zone;
	}

	function windowFacts(zone: string) {
		const local = DateTime.utc().setZone(zone);
		return { zone, localTime: local.toFormat('HH:mm'), insideWindow: local.hour >= windowStartHour && local.hour < windowEndHour };
	}

	async function closeVisit(request: CloseVisitRequest): Promise<DemoAction> {
		const { ehr, patient, hoursAgo } = request;
		const completedAt = DateTime.utc().minus({ hours: hoursAgo });
		const base = { at: Date.now(), action: 'close-visit' as const, ehr, patient: patient.key };
		if (ehr === 'fhir') {
			const zone = zoneOf(patient);
			const patientId = await ensureFhirPatient(target.fhir, patient, zone);
			const visit = await closeFhirVisit(target.fhir, patientId, { completedAt: completedAt.toISO() as string });
			const body = JSON.stringify(fhirBackportNotification(visit.encounterId, nextEventNumber()));
			const response = await target.deliver('fhir', body, fhirNotificationHeaders(target.webhookSecret));
			await response.arrayBuffer();
			return record({ ...base, id: `Encounter/${visit.encounterId}`, delivered: response.status, ...windowFacts(zone) });
		}
		if (ehr === 'athenahealth') {
			const zone = zoneOf(patient);
			const { appointmentId } = openAthenaVisit(target.athena, patient, zone);
			if (hoursAgo > 0) {
				// The visit happened earlier: its day and start time move with it.
				const start = completedAt.minus({ minutes: 30 }).setZone(athenaEastern);
				const appointment = target.athena.state.appointments.get(appointmentId)!;
				appointment.date = start.toFormat('MM/dd/yyyy');
				appointment.starttime = start.toFormat('HH:mm');
				const encounter = target.athena.state.encounters.get(String(appointment.encounterid));
				if (encounter) encounter.encounterdate = appointment.date;
			}
			const delivery = hoursAgo > 0
				? closeDemoVisit(target.athena, { appointmentId, secret: target.webhookSecret, at: completedAt.toJSDate() })
				: closeAthenaVisit(target.athena, appointmentId, target.webhookSecret);
			const response = await target.deliver('athenahealth', delivery.body, delivery.headers);
			await response.arrayBuffer();
			return record({ ...base, id: `appointment ${appointmentId}`, delivered: response.status, ...windowFacts(zone) });
		}
		if (ehr === 'tebra') {
			// Tebra pushes nothing: the three-stage workflow's EHR Poll Trigger finds the check-out within a minute.
			const appointmentId = closeTebraVisit(target.tebra, patient, uniqueId(), completedAt.toJSDate());
			return record({ ...base, id: `appointment ${appointmentId}`, ...windowFacts(tebraZone) });
		}
		if (ehr === 'hl7v2') {
			const zone = zoneOf(patient);
			const sent = await sendHl7v2CheckOut(target, { patient, zone, completedAt, visitId: uniqueId() });
			return record({ ...base, ...sent, ...windowFacts(zone) });
		}
		const opened = openDrChronoVisit(target.drchrono, patient);
		const appointment = rekeyDrChronoAppointment(opened.appointmentId, uniqueId());
		let delivered: number | undefined;
		if (hoursAgo > 0) {
			// DrChrono's completeAppointment stamps "now": an earlier visit is completed and notified here instead.
			const local = (at: DateTime) => at.setZone(drchronoZone).toFormat("yyyy-MM-dd'T'HH:mm:ss");
			const start = local(completedAt.minus({ minutes: 25 }));
			const done = local(completedAt);
			Object.assign(appointment, { scheduled_time: start, created_at: start, updated_at: done, status: 'Complete' });
			appointment.status_transitions = [
				{ appointment: appointment.id, datetime: start, from_status: '', to_status: 'In Session' },
				{ appointment: appointment.id, datetime: done, from_status: 'In Session', to_status: 'Complete' },
			];
			const delivery = buildDrChronoDelivery({ secret: target.webhookSecret, event: 'APPOINTMENT_MODIFY', object: { ...appointment } });
			const response = await target.deliver('drchrono', delivery.rawBody.toString('utf8'), delivery.headers);
			await response.arrayBuffer();
			delivered = response.status;
		} else {
			const completed = await target.drchrono.completeAppointment(appointment.id);
			delivered = completed.deliveredStatus;
			if (delivered === undefined && completed.delivery) {
				// A DrChrono sandbox without a callback URL hands the delivery back instead of posting it.
				const response = await target.deliver('drchrono', completed.delivery.rawBody.toString('utf8'), stringHeaders(completed.delivery.headers));
				await response.arrayBuffer();
				delivered = response.status;
			}
		}
		return record({ ...base, id: `appointment ${appointment.id}`, delivered, ...windowFacts(drchronoZone) });
	}

	/** openDrChronoVisit numbers visits from the in-memory map's size, which restarts with every run. */
	function rekeyDrChronoAppointment(oldId: string, newId: string): SandboxAppointment {
		const appointments = target.drchrono.state.appointments;
		const appointment = appointments.get(oldId)!;
		appointments.delete(oldId);
		appointment.id = newId;
		for (const transition of appointment.status_transitions) transition.appointment = newId;
		appointments.set(newId, appointment);
		return appointment;
	}

	async function bookFollowUp(request: CloseVisitRequest): Promise<DemoAction> {
		const { ehr, patient } = request;
		const base = { at: Date.now(), action: 'book-follow-up' as const, ehr, patient: patient.key };
		const noVisit = () => new RequestError(409, `no ${ehr} visit for ${patient.key} yet: close one first (POST /api/close-visit)`);
		// An HL7 v2 journey's Booking Check asks the FHIR API behind the feed, where the patient is demo-<key> too.
		if (ehr === 'fhir' || ehr === 'hl7v2') {
			const start = DateTime.utc().plus({ days: 5 }).set({ hour: 15, minute: 0, second: 0, millisecond: 0 });
			const id = await bookFhirFollowUp(target.fhir, `demo-${patient.key}`, start.toISO() as string);
			return record({ ...base, id: `Appointment/${id}` });
		}
		if (ehr === 'athenahealth') {
			const patientId = athenaPatientId(patient);
			const athenaPatient = target.athena.state.patients.get(patientId);
			if (!athenaPatient) throw noVisit();
			const day = DateTime.utc().setZone(athenaEastern).plus({ days: 5 });
			const appointmentId = uniqueId();
			target.athena.addAppointment({
				appointmentid: appointmentId,
				patientid: patientId,
				departmentid: String(athenaPatient.departmentid),
				appointmentstatus: 'f',
				date: day.toFormat('MM/dd/yyyy'),
				starttime: '10:00',
				duration: 20,
				appointmenttypeid: '2',
				providerid: '21',
			});
			return record({ ...base, id: `appointment ${appointmentId}` });
		}
		if (ehr === 'tebra') {
			if (!target.tebra.patients.has(tebraPatientId(patient))) throw noVisit();
			return record({ ...base, id: `appointment ${bookTebraFollowUp(target.tebra, patient, uniqueId())}` });
		}
		const patientId = drChronoPatientId(patient);
		if (!target.drchrono.state.patients.has(patientId)) throw noVisit();
		const now = target.drchrono.localNow();
		const start = DateTime.fromISO(now).plus({ days: 5 }).set({ hour: 10, minute: 0, second: 0 }).toFormat("yyyy-MM-dd'T'HH:mm:ss");
		const appointmentId = uniqueId();
		target.drchrono.state.appointments.set(appointmentId, {
			id: appointmentId,
			patient: patientId,
			doctor: demoIds.doctor,
			office: demoIds.office,
			exam_room: 1,
			profile: null,
			status: 'Confirmed',
			scheduled_time: start,
			duration: 20,
			reason: 'Follow-up visit',
			notes: '',
			created_at: now,
			updated_at: now,
			deleted_flag: false,
			appt_is_break: false,
			status_transitions: [],
		});
		return record({ ...base, id: `appointment ${appointmentId}` });
	}

	async function readJson(request: IncomingMessage): Promise<unknown> {
		const type = String(request.headers['content-type'] ?? '');
		// Only JSON: a browser cannot send it cross-site without a CORS preflight this server never grants.
		if (!/^application\/json\b/i.test(type)) throw new RequestError(415, 'send the body as JSON (Content-Type: application/json)');
		const chunks: Buffer[] = [];
		let size = 0;
		for await (const chunk of request) {
			size += (chunk as Buffer).length;
			if (size > maxBodyBytes) throw new RequestError(413, 'the body is too large');
			chunks.push(chunk as Buffer);
		}
		try {
			return JSON.parse(Buffer.concat(chunks).toString('utf8') || 'null');
		} catch {
			throw new RequestError(400, 'the body is not valid JSON: send {"ehr": "fhir", "patient": "ana"}');
		}
	}

	function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
		response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers });
		response.end(JSON.stringify(body, null, 2) + '\n');
	}

	let port = 0;
	const allowedHosts = () => new Set([`127.0.0.1:${port}`, `localhost:${port}`]);

	async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
		// A page on another site must not reach this API through a DNS name that resolves to 127.0.0.1.
		if (!allowedHosts().has(String(request.headers.host ?? '').toLowerCase())) {
			throw new RequestError(421, 'use http://127.0.0.1:<port>/');
		}
		const path = new URL(request.url ?? '/', 'http://control').pathname;
		const method = request.method ?? 'GET';
		const route = `${method} ${path}`;
		const allow = (methods: string) => new RequestError(405, `use ${methods} ${path}`);
		switch (path) {
			case '/': {
				if (method !== 'GET' && method !== 'HEAD') throw allow('GET');
				const html = renderOutbox(await collectOutbox(target, actions, drchronoZone), { editorUrl: options.editorUrl });
				response.writeHead(200, {
					'content-type': 'text/html; charset=utf-8',
					'cache-control': 'no-store',
					'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'",
					'x-content-type-options': 'nosniff',
				});
				response.end(method === 'HEAD' ? undefined : html);
				return;
			}
			case '/api/outbox':
				if (method !== 'GET') throw allow('GET');
				return sendJson(response, 200, await collectOutbox(target, actions, drchronoZone));
			case '/api/close-visit': {
				if (route !== 'POST /api/close-visit') throw allow('POST');
				const action = await closeVisit(parseDemoRequest(await readJson(request), { allowHoursAgo: true }));
				return sendJson(response, 200, { ...action, at: iso(action.at), visitId: action.id });
			}
			case '/api/book-follow-up': {
				if (route !== 'POST /api/book-follow-up') throw allow('POST');
				const action = await bookFollowUp(parseDemoRequest(await readJson(request), { allowHoursAgo: false }));
				return sendJson(response, 200, { ...action, at: iso(action.at), appointmentId: action.id });
			}
			case '/api/text-in': {
				if (route !== 'POST /api/text-in') throw allow('POST');
				const text = parseTextInRequest(await readJson(request));
				const sent = await target.twilio.textIn(text);
				return sendJson(response, 200, { from: sent.from, body: sent.body, messageSid: sent.sid, answered: sent.answer ?? null, reply: sent.reply ?? null });
			}
			default:
				throw new RequestError(404, 'not found: GET /, GET /api/outbox, POST /api/close-visit, POST /api/book-follow-up, POST /api/text-in');
		}
	}

	const server = createServer((request, response) => {
		handle(request, response).catch((error: unknown) => {
			if (response.headersSent) return response.destroy();
			if (error instanceof RequestError) return sendJson(response, error.status, { error: error.message });
			// e.g. n8n not answering: say what failed, not the stack.
			const reason = error instanceof Error ? error.message : String(error);
			sendJson(response, 502, { error: `the sandbox could not do it: ${reason}` });
		});
	});
	await new Promise<void>((resolve, reject) => {
		server.once('error', reject);
		server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
	});
	port = (server.address() as AddressInfo).port;

	return {
		url: `http://127.0.0.1:${port}`,
		port,
		actions,
		async close() {
			server.closeAllConnections();
			await new Promise<void>((resolve) => server.close(() => resolve()));
		},
	};
}
