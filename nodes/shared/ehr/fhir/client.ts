import type { ZodType, ZodTypeDef } from 'zod';

import { DomainError } from '../../core/errors';
import { EhrHttpError, EhrResponseError, ownServerLink, parseVendor, sendWithRetry } from '../http';
import type { RetryPolicy } from '../http';
import type { HttpClient, HttpRequest, HttpResponse } from '../types';
import { isFhirId } from './mapping';
import { bundleSchema, EHR, operationOutcomeSchema } from './resources';

export type Schema<T> = ZodType<T, ZodTypeDef, unknown>;
export type SearchParams = NonNullable<HttpRequest['qs']>;

const maxMessageLength = 120;

/** parseVendor for schemas whose input type is unknown (zod's default input type is the output type). */
export function parseResource<T>(schema: Schema<T>, body: unknown): T {
	return parseVendor(schema as unknown as ZodType<T>, body, EHR);
}

/**
 * The OperationOutcome's own words, made safe to log: values a server may quote back (names in quotes,
 * e-mail addresses, phone numbers and record numbers) are masked and the text is cut short. Anything that
 * is not an OperationOutcome (an HTML error page, a resource) is never echoed.
 */
export function summarizeOutcome(body: unknown): string | undefined {
	const parsed = operationOutcomeSchema.safeParse(body);
	if (!parsed.success) return undefined;
	const issue = parsed.data.issue[0];
	const text = (issue.diagnostics ?? issue.details?.text ?? '').trim();
	const masked = text
		.replace(/"[^"]*"|'[^']*'/g, '"…"')
		.replace(/[\w.+-]+@[\w-]+(?:\.[\w-]+)+/g, '…@…')
		.replace(/\+?\d[\d\s().-]{4,}\d/g, '…')
		.replace(/\s+/g, ' ');
	const cut = masked.length > maxMessageLength ? `${masked.slice(0, maxMessageLength - 1)}…` : masked;
	return [issue.code, cut].filter(Boolean).join(': ') || undefined;
}

/** True when a server says it does not do this at all (Epic's Task create), as opposed to a bad request. */
export function isUnsupported(response: HttpResponse): boolean {
	if (response.status === 403 || response.status === 405 || response.status === 501) return true;
	const parsed = operationOutcomeSchema.safeParse(response.body);
	return parsed.success && parsed.data.issue.some((issue) => issue.code === 'not-supported');
}

/**
 * `/{type}/{id}` for a read or an update. An id that is not a FHIR id never becomes a path: `..` would read the
 * server's base and `.` would search every resource of the type.
 */
export function resourcePath(resourceType: string, id: string): string {
	if (!isFhirId(id)) throw new DomainError(`${resourceType} id is not a FHIR id`, 'invalid_input', `${resourceType}.id`);
	return `/${resourceType}/${encodeURIComponent(id)}`;
}

export interface FhirClient {
	send(request: HttpRequest): Promise<HttpResponse>;
	/** Throws EhrHttpError for a non-2xx answer; `what` names the interaction, never a value. */
	ensureOk(response: HttpResponse, what: string): HttpResponse;
	read<T>(resourceType: string, id: string, schema: Schema<T>): Promise<T>;
	/** Reads a resource; a 404/410 comes back as undefined. */
	readIfExists<T>(resourceType: string, id: string, schema: Schema<T>): Promise<T | undefined>;
	/** Searches and follows `Bundle.link[next]` up to `maxPages`; only entries of `resourceType` are kept. */
	search<T>(resourceType: string, params: SearchParams, schema: Schema<T>, maxPages?: number): Promise<T[]>;
	/** Like search, page by page; `onPage` returns false to stop early. Returns whether pages were left unread. */
	searchPages<T>(
		resourceType: string,
		params: SearchParams,
		schema: Schema<T>,
		onPage: (resources: T[]) => boolean | void,
		maxPages?: number,
	): Promise<{ truncated: boolean }>;
}

export interface FhirClientOptions {
	http: HttpClient;
	retry?: RetryPolicy;
	/** When known, next links pointing elsewhere are refused (ownServerLink): they would carry the credential to another host. */
	baseUrl?: string;
	maxPages: number;
}

export function createFhirClient(options: FhirClientOptions): FhirClient {
	// Accept is the transport's job (n8n's asks for application/json and application/fhir+json).
	const send = (request: HttpRequest) => sendWithRetry(options.http, request, EHR, options.retry);

	const ensureOk = (response: HttpResponse, what: string): HttpResponse => {
		if (response.status >= 200 && response.status < 300) return response;
		const summary = summarizeOutcome(response.body);
		throw new EhrHttpError(EHR, response.status, summary ? `${what}: ${summary}` : what, false);
	};

	const searchPages: FhirClient['searchPages'] = async (resourceType, params, schema, onPage, maxPages) => {
		const limit = maxPages ?? options.maxPages;
		let request: HttpRequest = { method: 'GET', url: `/${resourceType}`, qs: params };
		const seen = new Set<string>();
		for (let page = 1; ; page++) {
			const response = ensureOk(await send(request), `searching ${resourceType}`);
			const bundle = parseVendor(bundleSchema, response.body, EHR);
			const resources = (bundle.entry ?? [])
				.filter((entry) => entry.search?.mode !== 'include' && entry.search?.mode !== 'outcome')
				.map((entry) => entry.resource)
				.filter((resource) => (resource as { resourceType?: unknown } | undefined)?.resourceType === resourceType)
				.map((resource) => parseResource(schema, resource));
			if (onPage(resources) === false) return { truncated: false };
			const next = bundle.link?.find((link) => link.relation === 'next')?.url;
			if (!next) return { truncated: false };
			if (page >= limit) return { truncated: true };
			const url = ownServerLink(next, EHR, 'Bundle.link.next', options.baseUrl);
			if (seen.has(url)) throw new EhrResponseError(EHR, 'Bundle.link.next', 'repeats a page already read');
			seen.add(url);
			request = { method: 'GET', url };
		}
	};

	return {
		send,
		ensureOk,
		read: async (resourceType, id, schema) => {
			const response = ensureOk(await send({ method: 'GET', url: resourcePath(resourceType, id) }), `reading ${resourceType}`);
			return parseResource(schema, response.body);
		},
		readIfExists: async (resourceType, id, schema) => {
			const response = await send({ method: 'GET', url: resourcePath(resourceType, id) });
			if (response.status === 404 || response.status === 410) return undefined;
			return parseResource(schema, ensureOk(response, `reading ${resourceType}`).body);
		},
		search: async <T>(resourceType: string, params: SearchParams, schema: Schema<T>, maxPages?: number) => {
			const all: T[] = [];
			await searchPages(
				resourceType,
				params,
				schema,
				(resources) => {
					all.push(...resources);
				},
				maxPages,
			);
			return all;
		},
		searchPages,
	};
}
