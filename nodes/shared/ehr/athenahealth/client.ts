import type { ZodIssue, ZodType, ZodTypeDef } from 'zod';

import { DomainError } from '../../core/errors';
import { EhrHttpError, EhrResponseError, defaultRetryPolicy, ownServerLink, sendWithRetry } from '../http';
import type { RetryPolicy } from '../http';
import type { HttpClient, HttpRequest, HttpResponse } from '../types';
import { EHR, rawVendorError, vendorErrorText } from './mapping';
import { appointmentListSchema, appointmentSchema, encounterSchema, oneOf, patientSchema } from './schemas';
import type { AthenaAppointment, AthenaEncounter, AthenaPatient } from './schemas';

type Schema<T> = ZodType<T, ZodTypeDef, unknown>;

export interface AthenaClientOptions {
	http: HttpClient;
	practiceId: string;
	retry?: RetryPolicy;
	baseUrl?: string;
	maxPages?: number;
}

/** athena's proprietary API as the adapter's capabilities use it: one practice, retries, typed errors. */
export interface AthenaClient {
	practiceId: string;
	/** Sends with retries (429/5xx); returns whatever status athena answered. */
	call(request: HttpRequest): Promise<HttpResponse>;
	/** Sends and throws EhrHttpError for a non-2xx answer; `action` names what was being done, never a value. */
	send(request: HttpRequest, action: string): Promise<HttpResponse>;
	httpError(response: HttpResponse, action: string): EhrHttpError;
	/** Parses athena's JSON; a mismatch names the field under `what`, never its value. */
	parse<T>(schema: Schema<T>, body: unknown, what: string): T;
	/** `/v1/{practiceid}/a/b` with each segment encoded. */
	pathOf(...segments: string[]): string;
	/**
	 * A list of appointments, following athena's `next` links (each through the shared origin check). Returns
	 * undefined when `refused` recognises a page's answer (athena's "not subscribed" on the changed feed).
	 */
	appointmentPages(
		first: HttpRequest,
		what: string,
		action: string,
		refused?: (response: HttpResponse) => boolean,
	): Promise<AthenaAppointment[] | undefined>;
	readAppointment(id: string): Promise<AthenaAppointment>;
	readEncounter(id: string): Promise<AthenaEncounter>;
	readPatient(id: string): Promise<AthenaPatient>;
}

export function isOk(response: HttpResponse): boolean {
	return response.status >= 200 && response.status < 300;
}

/**
 * athena's legacy gateway signalled rate limiting as 403 "Developer Over Qps"; treat it as the 429 it means so
 * sendWithRetry backs off. (Not confirmed for the current platform, which documents 429.)
 */
function withQpsAsRateLimit(http: HttpClient): HttpClient {
	return async (request) => {
		const response = await http(request);
		if (response.status === 403 && /over\s*(qps|rate)/i.test(rawVendorError(response.body))) {
			return { ...response, status: 429 };
		}
		return response;
	};
}

/** For a union (athena's array-or-object answers), the branch issue that got furthest into the body. */
function mostSpecificIssue(issues: ZodIssue[]): ZodIssue | undefined {
	const flat = issues.flatMap((issue) =>
		issue.code === 'invalid_union' ? issue.unionErrors.flatMap((error) => error.issues) : [issue],
	);
	return flat.reduce<ZodIssue | undefined>(
		(best, issue) => (!best || issue.path.length > best.path.length ? issue : best),
		undefined,
	);
}

/**
 * All paths are `/v1/{practiceid}/…` relative to the credential's base URL. Tokens are the credential's business:
 * in n8n a 401 makes n8n run the credential's preAuthentication again (new token) and resend once; a 401 reaching
 * the adapter means that failed too, and is reported as such.
 */
export function createAthenaClient(options: AthenaClientOptions): AthenaClient {
	const practiceId = options.practiceId.trim();
	if (!/^\d+$/.test(practiceId)) {
		throw new DomainError('athenahealth practice ID must be a number such as 195900', 'invalid_input', 'practiceId');
	}
	const http = withQpsAsRateLimit(options.http);
	const retry = options.retry ?? defaultRetryPolicy;
	const maxPages = options.maxPages ?? 20;
	const base = `/v1/${practiceId}`;

	const call = async (request: HttpRequest) => await sendWithRetry(http, request, EHR, retry);

	function httpError(response: HttpResponse, action: string): EhrHttpError {
		if (response.status === 401) {
			const hint = "check the credential's client ID, secret, scope and practice";
			return new EhrHttpError(EHR, 401, `${action}: access token refused even after a refresh; ${hint}`, false);
		}
		const detail = vendorErrorText(response.body);
		return new EhrHttpError(EHR, response.status, `${action}${detail ? `: ${detail}` : ''}`, false);
	}

	async function send(request: HttpRequest, action: string): Promise<HttpResponse> {
		const response = await call(request);
		if (isOk(response)) return response;
		throw httpError(response, action);
	}

	function parse<T>(schema: Schema<T>, body: unknown, what: string): T {
		const result = schema.safeParse(body);
		if (result.success) return result.data;
		const issue = mostSpecificIssue(result.error.issues);
		const path = issue?.path.filter((segment) => typeof segment === 'string') ?? [];
		throw new EhrResponseError(EHR, [what, ...path].join('.'), issue?.message ?? 'invalid');
	}

	async function get<T>(url: string, schema: Schema<T>, what: string): Promise<T> {
		const response = await send({ method: 'GET', url }, `reading the ${what}`);
		return parse(schema, response.body, what);
	}

	const appointmentPages: AthenaClient['appointmentPages'] = async (first, what, action, refused) => {
		const items: AthenaAppointment[] = [];
		let request = first;
		for (let page = 0; page < maxPages; page++) {
			const response = await call(request);
			if (refused?.(response)) return undefined;
			if (!isOk(response)) throw httpError(response, action);
			const list = parse(appointmentListSchema, response.body, what);
			items.push(...list.appointments);
			if (!list.next || list.appointments.length === 0) break;
			request = { method: 'GET', url: ownServerLink(list.next, EHR, 'next', options.baseUrl) };
		}
		return items;
	};

	const pathOf = (...segments: string[]) => [base, ...segments.map(encodeURIComponent)].join('/');
	return {
		practiceId,
		call,
		send,
		httpError,
		parse,
		pathOf,
		appointmentPages,
		readAppointment: async (id) => await get(pathOf('appointments', id), oneOf(appointmentSchema), 'appointment'),
		readEncounter: async (id) => await get(pathOf('chart', 'encounter', id), oneOf(encounterSchema), 'encounter'),
		readPatient: async (id) => await get(pathOf('patients', id), oneOf(patientSchema), 'patient'),
	};
}
