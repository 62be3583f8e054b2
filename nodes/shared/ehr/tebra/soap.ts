import { XMLParser } from 'fast-xml-parser';

import { EhrHttpError, EhrResponseError } from '../http';

export const EHR = 'tebra';

/** The schema namespace of every Tebra Web Services 2.1 element (the WSDL's target namespace). */
export const tebraNamespace = 'http://www.kareo.com/api/schemas/';

/** Tebra's production endpoint (API Integration Technical Guide, Web Services API 2.1, §2.1). */
export const tebraEndpoint = 'https://webservice.kareo.com/services/soap/2.1/KareoServices.svc';

export type TebraOperation =
	| 'GetAppointment'
	| 'GetAppointments'
	| 'GetPatient'
	| 'GetPractices'
	| 'UpdatePatient';

/** One element of a request: a text value, or child elements in the order given. */
export interface XmlElement {
	name: string;
	value: string | XmlElement[];
}

export function element(name: string, value: string | XmlElement[]): XmlElement {
	return { name, value };
}

/**
 * Child elements in the order WCF's DataContract serializer expects them: by name, ordinal (its default when
 * a contract sets no Order, and what the WSDL's sequences list). Tebra's service silently drops an element
 * that comes out of that order, so every request goes through here.
 */
export function ordered(fields: Record<string, string | XmlElement[] | undefined>): XmlElement[] {
	return Object.keys(fields)
		.filter((name) => fields[name] !== undefined)
		.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
		.map((name) => element(name, fields[name] as string | XmlElement[]));
}

/** The guide's §2.2: &, <, >, " and ' must be sent escaped in every field, the password above all. */
export function escapeXml(text: string): string {
	return text
		.replace(/&/g, '&amp;')
		.replace(/</g, '&lt;')
		.replace(/>/g, '&gt;')
		.replace(/"/g, '&quot;')
		.replace(/'/g, '&apos;');
}

function render(node: XmlElement): string {
	const body = typeof node.value === 'string' ? escapeXml(node.value) : node.value.map(render).join('');
	return `<sch:${node.name}>${body}</sch:${node.name}>`;
}

export interface TebraLogin {
	customerKey: string;
	user: string;
	password: string;
}

/** The RequestHeader every call carries (guide §2.2), its fields in contract order. */
export function requestHeader(login: TebraLogin): XmlElement {
	return element('RequestHeader', ordered({ CustomerKey: login.customerKey, Password: login.password, User: login.user }));
}

/** A SOAP 1.1 envelope for one operation: `<Op><request>RequestHeader, …fields</request></Op>`. */
export function soapEnvelope(operation: TebraOperation, login: TebraLogin, fields: Record<string, string | XmlElement[] | undefined>): string {
	const request = element('request', ordered({ ...fields, RequestHeader: requestHeader(login).value }));
	return (
		'<?xml version="1.0" encoding="utf-8"?>' +
		`<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:sch="${tebraNamespace}">` +
		`<soapenv:Header/><soapenv:Body><sch:${operation}>${render(request)}</sch:${operation}></soapenv:Body></soapenv:Envelope>`
	);
}

/** The quoted SOAPAction header Tebra's WCF endpoint routes by. */
export function soapAction(operation: TebraOperation): string {
	return `"${tebraNamespace}KareoServices/${operation}"`;
}

/** Elements that repeat in Tebra's answers: always read as lists, also when only one came back. */
const listElements = new Set(['AppointmentData', 'PatientData', 'PracticeData', 'PatientSummary', 'string', 'PracticeAuthorized']);

const parser = new XMLParser({
	ignoreAttributes: true,
	removeNSPrefix: true,
	parseTagValue: false,
	trimValues: true,
	isArray: (name) => listElements.has(name),
	processEntities: true,
});

const maxMessageLength = 120;

/** Tebra's error text made safe to log: quoted values, e-mail addresses and numbers masked, cut short. */
export function maskVendorText(text: string): string {
	const masked = text
		.replace(/"[^"]*"|'[^']*'/g, '"…"')
		.replace(/[\w.+-]+@[\w-]+(?:\.[\w-]+)+/g, '…@…')
		.replace(/\d[\d\s().-]{3,}\d/g, '…')
		.replace(/\s+/g, ' ')
		.trim();
	return masked.length > maxMessageLength ? `${masked.slice(0, maxMessageLength - 1)}…` : masked;
}

function parseXml(text: string, operation: TebraOperation): Record<string, unknown> {
	try {
		return parser.parse(text) as Record<string, unknown>;
	} catch {
		throw new EhrResponseError(EHR, `${operation}Response`, 'is not XML');
	}
}

function bodyOf(document: Record<string, unknown>): Record<string, unknown> | undefined {
	const envelope = document.Envelope as Record<string, unknown> | undefined;
	return envelope?.Body as Record<string, unknown> | undefined;
}

function faultOf(text: string): Record<string, unknown> | undefined {
	if (!text.includes('Fault')) return undefined;
	try {
		return bodyOf(parser.parse(text) as Record<string, unknown>)?.Fault as Record<string, unknown> | undefined;
	} catch {
		return undefined;
	}
}

/** A SOAP fault's text (HTTP 500 from WCF), masked; undefined when the body is not a fault. */
export function soapFaultText(text: string): string | undefined {
	const fault = faultOf(text);
	if (!fault) return undefined;
	const reason = fault.faultstring ?? (fault.Reason as Record<string, unknown> | undefined)?.Text;
	return typeof reason === 'string' ? maskVendorText(reason) : 'SOAP fault';
}

/** A fault the request caused (a client/sender fault, an unknown SOAPAction): sending it again cannot help. */
export function isClientFault(text: string): boolean {
	const fault = faultOf(text);
	const code = fault ? String(fault.faultcode ?? (fault.Code as Record<string, unknown> | undefined)?.Value ?? '') : '';
	return /Client|Sender|ActionNotSupported/.test(code) || /ActionNotSupported/.test(String(fault?.faultstring ?? ''));
}

const isTrue = (value: unknown) => String(value).toLowerCase() === 'true';

/**
 * The `<Op>Result` of a Tebra answer, after the checks every answer gets (guide §2.3–2.4): `ErrorResponse.IsError`
 * → EhrHttpError with Tebra's (masked) message; `SecurityResponse` not authenticated → 401, not authorized → 403
 * naming the missing permissions. Tebra answers these with HTTP 200.
 */
export function soapResult(text: string, operation: TebraOperation): Record<string, unknown> {
	const body = bodyOf(parseXml(text, operation));
	const response = body?.[`${operation}Response`] as Record<string, unknown> | undefined;
	const result = response?.[`${operation}Result`];
	if (!result || typeof result !== 'object') {
		throw new EhrResponseError(EHR, `${operation}Response.${operation}Result`, 'is missing');
	}
	const fields = result as Record<string, unknown>;
	const security = fields.SecurityResponse as Record<string, unknown> | undefined;
	if (security && !isTrue(security.Authenticated)) {
		throw new EhrHttpError(EHR, 401, `${operation}: the customer key, user or password was not accepted`, false);
	}
	if (security && !isTrue(security.Authorized)) {
		const missing = permissionsMissing(security.PermissionsMissing);
		throw new EhrHttpError(EHR, 403, `${operation}: the Tebra user lacks permissions${missing ? ` (${missing})` : ''}`, false);
	}
	const error = fields.ErrorResponse as Record<string, unknown> | undefined;
	if (error && isTrue(error.IsError)) {
		const message = typeof error.ErrorMessage === 'string' ? maskVendorText(error.ErrorMessage) : 'no message';
		throw new EhrHttpError(EHR, 422, `${operation}: ${message}`, false);
	}
	return fields;
}

function permissionsMissing(value: unknown): string {
	if (!value || typeof value !== 'object') return typeof value === 'string' ? maskVendorText(value) : '';
	const names = Object.values(value as Record<string, unknown>).flat();
	return names.filter((name): name is string => typeof name === 'string').map(maskVendorText).join(', ');
}
