import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import { XMLParser } from 'fast-xml-parser';
import { DateTime } from 'luxon';

import { escapeXml, soapAction, tebraPacingMs } from '../nodes/shared/ehr/tebra';
import type { TebraOperation } from '../nodes/shared/ehr/tebra';

/**
 * A local Tebra (Kareo) SOAP Web Services 2.1 server for tests and the sandbox, answering in the element names of
 * Tebra's API Integration Technical Guide (GetAppointment §4.1, GetAppointments §4.2, GetPatient §4.5,
 * GetPractices §4.8, UpdatePatient §4.20; RequestHeader, ErrorResponse and SecurityResponse §2.2–2.4). It keeps
 * the wire quirks integrators report: the SOAPAction header must name the operation, request elements are read
 * in contract (alphabetical) order and one out of order is dropped without a word, `Filter` is required, date
 * filters come in pairs, and calls faster than the guide's rate limits get HTTP 429 with Tebra's message.
 * Where Tebra's exact answer is unknown (the wire value of ConfirmationStatus, the zone of LastModifiedDate) the
 * choice is an option. Loopback only; not production code.
 */

export type TebraAppointmentStatus =
	| 'Scheduled'
	| 'Confirmed'
	| 'CheckedIn'
	| 'Roomed'
	| 'CheckedOut'
	| 'NoShow'
	| 'Cancelled'
	| 'Rescheduled';

export interface TebraSandboxPatient {
	PatientID: string;
	FirstName: string;
	LastName: string;
	MobilePhone?: string;
	HomePhone?: string;
	EmailAddress?: string;
	/** Set by UpdatePatient. */
	Alert?: Record<string, string>;
}

export interface TebraSandboxAppointment {
	ID: string;
	PatientID: string;
	ServiceLocationID: string;
	status: TebraAppointmentStatus;
	/** Instants (UTC). */
	start: Date;
	end: Date;
	created: Date;
	modified: Date;
	reason?: string;
}

export interface TebraFault {
	operation?: TebraOperation;
	status: number;
	body?: string;
	times?: number;
}

export interface TebraRequestLog {
	operation: string;
	soapAction: string;
	/** Elements the contract order made the server ignore (the quirk), by path. */
	dropped: string[];
	filter?: Record<string, string>;
	status: number;
}

export interface TebraServerOptions {
	port?: number;
	login: { customerKey: string; user: string; password: string };
	practice: { id: string; name: string; zone: string };
	/** "guide": ConfirmationStatus as the guide lists it (Check-out, No-show…); "enum": as AppointmentStatus. */
	confirmationStatusStyle?: 'guide' | 'enum';
	/** Refuse calls faster than the guide's rate limits with 429 (default true). */
	enforceRateLimits?: boolean;
	/** The server's clock in ms (rate limits, modification times); default the real one. */
	now?: () => number;
}

export interface TebraServer {
	url: string;
	endpoint: string;
	patients: Map<string, TebraSandboxPatient>;
	appointments: Map<string, TebraSandboxAppointment>;
	requests: TebraRequestLog[];
	injectFault(fault: TebraFault): void;
	addPatient(patient: TebraSandboxPatient): void;
	addAppointment(appointment: Omit<TebraSandboxAppointment, 'created' | 'modified'> & { created?: Date }): TebraSandboxAppointment;
	/** Sets a status, as the front desk would; the appointment's LastModifiedDate becomes now. */
	setStatus(appointmentId: string, status: TebraAppointmentStatus): void;
	close(): Promise<void>;
}

const envelopeNamespace = 'http://schemas.xmlsoap.org/soap/envelope/';
const servicePath = '/services/soap/2.1/KareoServices.svc';

/** Request contracts: each element's members in the order the service reads them. */
const contracts: Record<string, string[]> = {
	request: ['Appointment', 'Fields', 'Filter', 'Patient', 'RequestHeader'],
	RequestHeader: ['CustomerKey', 'Password', 'User'],
	AppointmentsFilter: [
		'AppointmentReason', 'ConfirmationStatus', 'EndDate', 'FromCreatedDate', 'FromLastModifiedDate', 'PatientCasePayerScenario',
		'PatientFullName', 'PatientID', 'PracticeName', 'ResourceName', 'ServiceLocationName', 'StartDate', 'TimeZoneOffsetFromGMT',
		'ToCreatedDate', 'ToLastModifiedDate', 'Type',
	],
	Patient: ['Alert', 'PatientID', 'Practice'],
	Alert: ['Message', 'ShowWhenDisplayingPatientDetails', 'ShowWhenSchedulingAppointments'],
};

const guideStatus: Record<TebraAppointmentStatus, string> = {
	Scheduled: 'Scheduled',
	Confirmed: 'Confirmed',
	CheckedIn: 'Check-in',
	Roomed: 'Check-in',
	CheckedOut: 'Check-out',
	NoShow: 'No-show',
	Cancelled: 'Cancelled',
	Rescheduled: 'Rescheduled',
};

type Ordered = Array<Record<string, unknown>>;
const orderedParser = new XMLParser({ preserveOrder: true, removeNSPrefix: true, ignoreAttributes: true, parseTagValue: false, trimValues: true });

function nameOf(node: Record<string, unknown>): string {
	return Object.keys(node).find((key) => key !== ':@') ?? '';
}

function childrenOf(node: Record<string, unknown> | undefined): Ordered {
	return node ? ((node[nameOf(node)] as Ordered | undefined) ?? []) : [];
}

function textOf(node: Record<string, unknown> | undefined): string {
	const children = childrenOf(node);
	const text = children.find((child) => '#text' in child);
	return text ? String(text['#text']) : '';
}

/** Reads members in contract order, as WCF does: one that comes after a later member is dropped. */
function readContract(nodes: Ordered, contract: string[] | undefined, path: string, dropped: string[]): Map<string, Record<string, unknown>> {
	const read = new Map<string, Record<string, unknown>>();
	let position = 0;
	for (const node of nodes) {
		const name = nameOf(node);
		if (name === '#text') continue;
		const index = contract ? contract.indexOf(name) : position;
		if (index < position) {
			dropped.push(`${path}.${name}`);
			continue;
		}
		position = contract ? index + 1 : position;
		read.set(name, node);
	}
	return read;
}

function xml(name: string, value: unknown): string {
	if (value === undefined) return '';
	if (Array.isArray(value)) return `<${name}>${value.join('')}</${name}>`;
	return `<${name}>${escapeXml(String(value))}</${name}>`;
}

function fields(record: Record<string, unknown>): string {
	return Object.entries(record).map(([name, value]) => xml(name, value)).join('');
}

function envelope(operation: string, result: string): string {
	return (
		`<s:Envelope xmlns:s="${envelopeNamespace}"><s:Body><${operation}Response xmlns="http://www.kareo.com/api/schemas/">` +
		`<${operation}Result xmlns:i="http://www.w3.org/2001/XMLSchema-instance">${result}</${operation}Result></${operation}Response></s:Body></s:Envelope>`
	);
}

const okHeader = (customerId: string) =>
	fields({ ErrorResponse: [fields({ IsError: 'false', ErrorMessage: '', StackTrace: '' })] }) +
	fields({ SecurityResponse: [fields({ Authenticated: 'true', Authorized: 'true', CustomerId: customerId, SecurityResultSuccess: 'true' })] });

function errorResult(message: string, security = true): string {
	const securityXml = security
		? ''
		: fields({ SecurityResponse: [fields({ Authenticated: 'false', Authorized: 'false', SecurityResultSuccess: 'false', SecurityResult: 'Invalid user name and/or password' })] });
	return fields({ ErrorResponse: [fields({ IsError: 'true', ErrorMessage: message })] }) + securityXml;
}

function fault(response: ServerResponse, status: number, text: string): void {
	response.writeHead(status, { 'content-type': 'text/xml; charset=utf-8' });
	response.end(`<s:Envelope xmlns:s="${envelopeNamespace}"><s:Body><s:Fault><faultcode>s:Client</faultcode><faultstring>${escapeXml(text)}</faultstring></s:Fault></s:Body></s:Envelope>`);
}

async function readBody(request: IncomingMessage): Promise<string> {
	const chunks: Buffer[] = [];
	for await (const chunk of request) chunks.push(chunk as Buffer);
	return Buffer.concat(chunks).toString('utf8');
}

export async function startTebraServer(options: TebraServerOptions): Promise<TebraServer> {
	const now = options.now ?? (() => Date.now());
	const zone = options.practice.zone;
	const patients = new Map<string, TebraSandboxPatient>();
	const appointments = new Map<string, TebraSandboxAppointment>();
	const requests: TebraRequestLog[] = [];
	const faults: TebraFault[] = [];
	const lastCall = new Map<string, number>();
	const local = (instant: Date) => DateTime.fromJSDate(instant).setZone(zone);
	const stamp = (instant: Date) => local(instant).toFormat('M/d/yyyy h:mm:ss a');
	const statusText = (status: TebraAppointmentStatus) => (options.confirmationStatusStyle === 'enum' ? status : guideStatus[status]);
	const filterTime = (value: string | undefined) => {
		if (!value) return undefined;
		for (const format of ['M/d/yyyy h:mm:ss a', 'M/d/yyyy']) {
			const parsed = DateTime.fromFormat(value, format, { zone });
			if (parsed.isValid) return parsed;
		}
		return null;
	};

	function appointmentRow(appointment: TebraSandboxAppointment): string {
		const patient = patients.get(appointment.PatientID);
		return xml('AppointmentData', [
			fields({
				ID: appointment.ID,
				CreatedDate: stamp(appointment.created),
				LastModifiedDate: stamp(appointment.modified),
				PracticeName: options.practice.name,
				PracticeID: options.practice.id,
				Type: 'P',
				ConfirmationStatus: statusText(appointment.status),
				ServiceLocationID: appointment.ServiceLocationID,
				PatientID: appointment.PatientID,
				PatientFullName: patient ? `${patient.FirstName} ${patient.LastName}` : '',
				StartDate: stamp(appointment.start),
				EndDate: stamp(appointment.end),
				AppointmentReason1: appointment.reason ?? '',
			}),
		]);
	}

	/** GetAppointments: PracticeName required, date filters in pairs (guide §3.2), dates inclusive, in the practice's zone. */
	function getAppointments(filter: Record<string, string>): string {
		if (filter.PracticeName !== options.practice.name) return errorResult('PracticeName is required and must name a practice of this account');
		const pairs: Array<[string, string]> = [['StartDate', 'EndDate'], ['FromLastModifiedDate', 'ToLastModifiedDate'], ['FromCreatedDate', 'ToCreatedDate']];
		for (const [from, to] of pairs) {
			if (Boolean(filter[from]) !== Boolean(filter[to])) return errorResult(`${from} and ${to} must be used together`);
			if (filterTime(filter[from]) === null || filterTime(filter[to]) === null) return errorResult(`${from} or ${to} is not a date`);
		}
		const startFrom = filterTime(filter.StartDate)?.startOf('day');
		const startTo = filterTime(filter.EndDate)?.endOf('day');
		const modifiedFrom = filterTime(filter.FromLastModifiedDate);
		const modifiedTo = filterTime(filter.ToLastModifiedDate);
		const rows = [...appointments.values()].filter((appointment) => {
			if (filter.PatientID && appointment.PatientID !== filter.PatientID) return false;
			const start = local(appointment.start);
			if (startFrom && (start < startFrom || (startTo && start > startTo))) return false;
			const modified = local(appointment.modified);
			return !modifiedFrom || (modified >= modifiedFrom && (!modifiedTo || modified <= modifiedTo));
		});
		return okHeader(options.practice.id) + xml('Appointments', rows.map(appointmentRow));
	}

	function getAppointment(appointmentId: string): string {
		const appointment = appointments.get(appointmentId);
		if (!appointment) return errorResult('Appointment not found');
		const patient = patients.get(appointment.PatientID);
		const summary = patient
			? xml('PatientSummary', [fields({ PatientID: patient.PatientID, FirstName: patient.FirstName, LastName: patient.LastName, Email: patient.EmailAddress ?? '', MobilePhone: patient.MobilePhone ?? '', PreferredPhoneType: 'Mobile Phone' })])
			: '';
		return okHeader(options.practice.id) + xml('Appointment', [
			fields({
				AppointmentID: appointment.ID,
				AppointmentStatus: appointment.status,
				AppointmentType: 'P',
				EndTime: appointment.end.toISOString(),
				PatientID: appointment.PatientID,
				PracticeID: options.practice.id,
				ServiceLocationID: appointment.ServiceLocationID,
				StartTime: appointment.start.toISOString(),
			}),
			summary,
		]);
	}

	function getPatient(patientId: string): string {
		const patient = patients.get(patientId);
		if (!patient) return errorResult('Patient not found');
		const { Alert: alert, ...rest } = patient;
		return okHeader(options.practice.id) + xml('Patient', [fields({ ...rest, WorkPhone: '', MedicalRecordNumber: `MRN${patient.PatientID}` }), alert ? xml('Alert', [fields(alert)]) : '']);
	}

	function handle(operation: string, request: Map<string, Record<string, unknown>>, log: TebraRequestLog): string {
		const header = readContract(childrenOf(request.get('RequestHeader')), contracts.RequestHeader, 'RequestHeader', log.dropped);
		const login = options.login;
		if (textOf(header.get('CustomerKey')) !== login.customerKey || textOf(header.get('User')) !== login.user || textOf(header.get('Password')) !== login.password) {
			return errorResult('Invalid user name and/or password', false);
		}
		const filterNode = request.get('Filter');
		const filter = Object.fromEntries(
			[...readContract(childrenOf(filterNode), operation === 'GetAppointments' ? contracts.AppointmentsFilter : undefined, 'Filter', log.dropped)].map(([name, node]) => [name, textOf(node)]),
		);
		log.filter = filter;
		switch (operation) {
			case 'GetAppointments':
				return filterNode ? getAppointments(filter) : errorResult('At least one filter is required');
			case 'GetAppointment': {
				const appointment = childrenOf(request.get('Appointment')).find((node) => nameOf(node) === 'AppointmentId');
				return getAppointment(textOf(appointment));
			}
			case 'GetPatient':
				return getPatient(filter.PatientID ?? '');
			case 'GetPractices':
				return okHeader(options.practice.id) + xml('Practices', filter.PracticeName === options.practice.name ? [xml('PracticeData', [fields({ ID: options.practice.id, PracticeName: options.practice.name, Active: 'true' })])] : []);
			case 'UpdatePatient':
				return updatePatient(request, log);
			default:
				return errorResult(`Operation ${operation} is not offered by this sandbox`);
		}
	}

	function updatePatient(request: Map<string, Record<string, unknown>>, log: TebraRequestLog): string {
		const patientNode = readContract(childrenOf(request.get('Patient')), contracts.Patient, 'Patient', log.dropped);
		const patient = patients.get(textOf(patientNode.get('PatientID')));
		if (!patient) return errorResult('Patient not found');
		const alert = readContract(childrenOf(patientNode.get('Alert')), contracts.Alert, 'Patient.Alert', log.dropped);
		// UpdatePatient replaces the alert as a whole: whatever was there before is gone.
		patient.Alert = Object.fromEntries([...alert].map(([name, node]) => [name, textOf(node)]));
		return okHeader(options.practice.id) + xml('PatientID', patient.PatientID);
	}

	function rateLimited(operation: string): boolean {
		const limit = tebraPacingMs[operation as TebraOperation];
		if (options.enforceRateLimits === false || limit === undefined) return false;
		const at = now();
		const previous = lastCall.get(operation);
		if (previous !== undefined && at - previous < limit) return true;
		lastCall.set(operation, at);
		return false;
	}

	async function serve(request: IncomingMessage, response: ServerResponse): Promise<void> {
		const url = new URL(request.url ?? '/', 'http://localhost');
		if (url.pathname !== servicePath) return fault(response, 404, 'There was no endpoint listening at this address');
		if (request.method !== 'POST') return fault(response, 405, 'Method not allowed');
		const text = await readBody(request);
		let document: Ordered;
		try {
			document = orderedParser.parse(text) as Ordered;
		} catch {
			return fault(response, 400, 'The request is not well-formed XML');
		}
		const body = childrenOf(childrenOf(document.find((node) => nameOf(node) === 'Envelope')).find((node) => nameOf(node) === 'Body'));
		const operationNode = body.find((node) => nameOf(node) !== '#text');
		const operation = operationNode ? nameOf(operationNode) : '';
		const log: TebraRequestLog = { operation, soapAction: String(request.headers.soapaction ?? ''), dropped: [], status: 200 };
		requests.push(log);
		if (log.soapAction !== soapAction(operation as TebraOperation)) {
			log.status = 500;
			return fault(response, 500, `The message with Action '${log.soapAction}' cannot be processed at the receiver (ActionNotSupported)`);
		}
		const injected = faults.find((candidate) => !candidate.operation || candidate.operation === operation);
		if (injected) {
			if ((injected.times = (injected.times ?? 1) - 1) <= 0) faults.splice(faults.indexOf(injected), 1);
			log.status = injected.status;
			response.writeHead(injected.status, { 'content-type': 'text/plain' });
			return void response.end(injected.body ?? `${injected.status}: injected fault`);
		}
		if (rateLimited(operation)) {
			log.status = 429;
			response.writeHead(429, { 'content-type': 'text/plain' });
			return void response.end(`429: ${operation} endpoint requested more than allowed over time interval ${tebraPacingMs[operation as TebraOperation]} milliseconds. Please wait to try again.`);
		}
		const requestNode = childrenOf(operationNode).find((node) => nameOf(node) === 'request');
		const members = readContract(childrenOf(requestNode), contracts.request, 'request', log.dropped);
		response.writeHead(200, { 'content-type': 'text/xml; charset=utf-8' });
		response.end(envelope(operation, handle(operation, members, log)));
	}

	const server = createServer((request, response) => {
		serve(request, response).catch(() => fault(response, 500, 'Internal error'));
	});
	await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
	const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

	return {
		url,
		endpoint: url + servicePath,
		patients,
		appointments,
		requests,
		injectFault: (added) => void faults.push(added),
		addPatient: (patient) => void patients.set(patient.PatientID, patient),
		addAppointment(appointment) {
			const stored = { ...appointment, created: appointment.created ?? new Date(now()), modified: new Date(now()) };
			appointments.set(stored.ID, stored);
			return stored;
		},
		setStatus(appointmentId, status) {
			const appointment = appointments.get(appointmentId);
			if (!appointment) throw new Error(`no appointment ${appointmentId}`);
			appointment.status = status;
			appointment.modified = new Date(now());
		},
		close: async () => {
			server.closeAllConnections();
			await new Promise<void>((resolve) => server.close(() => resolve()));
		},
	};
}
