import { z } from 'zod';
import type { ZodType, ZodTypeDef } from 'zod';

import { DomainError } from '../../core/errors';
import { EhrHttpError, EhrResponseError, ownServerLink, parseVendor, sendWithRetry } from '../http';
import type { RetryPolicy } from '../http';
import type { HttpClient, HttpRequest, HttpResponse } from '../types';
import { EHR, vendorErrorMessage } from './mapping';
import { pageSchema } from './schemas';

type Schema<T> = ZodType<T, ZodTypeDef, unknown>;

/** parseVendor for schemas whose input differs from their output (ids normalised to strings). */
export function vendor<T>(schema: Schema<T>, body: unknown): T {
	return parseVendor(schema as unknown as ZodType<T>, body, EHR);
}

export function truncate(text: string, max: number): string {
	const trimmed = text.trim();
	return trimmed.length <= max ? trimmed : `${trimmed.slice(0, max - 1)}…`;
}

export function numericId(value: string, field: string): number {
	if (!/^\d+$/.test(value)) {
		throw new DomainError(`DrChrono expects a numeric id in "${field}"`, 'invalid_input', field);
	}
	return Number(value);
}

export function isOk(response: HttpResponse): boolean {
	return response.status >= 200 && response.status < 300;
}

export interface DrChronoClientOptions {
	http: HttpClient;
	retry?: RetryPolicy;
	baseUrl?: string;
	pageSize: number;
	maxPages: number;
}

/** DrChrono's v4 REST API as the adapter's capabilities use it: retries, typed errors, paging. */
export interface DrChronoClient {
	/** Sends with retries (429/5xx); returns whatever status DrChrono answered. */
	sendRaw(request: HttpRequest): Promise<HttpResponse>;
	/** EhrHttpError for an answer the adapter cannot use; `action` names what was being done, never a value. */
	failure(response: HttpResponse, action: string): EhrHttpError;
	/** Sends and returns the body of a 2xx answer, else throws `failure`. */
	send(request: HttpRequest, action: string): Promise<unknown>;
	getOne<T>(url: string, schema: Schema<T>, action: string, qs?: HttpRequest['qs']): Promise<T>;
	/** Every row of a list, following `next` (`results`, or `data` as in the OpenAPI). */
	listAll<T>(url: string, qs: HttpRequest['qs'], schema: Schema<T>, action: string): Promise<T[]>;
}

/**
 * A `next` link as the request for the next page. It passes the origin check every EHR link passes, then only
 * its path and query are kept (DrChrono's API paths are relative to the credential's base URL), under /api/.
 */
function nextRequest(next: string, baseUrl: string | undefined): HttpRequest {
	const url = new URL(ownServerLink(next, EHR, 'next', baseUrl), 'https://app.drchrono.com');
	if (!url.pathname.startsWith('/api/')) throw new EhrResponseError(EHR, 'next', 'is not an API link');
	return { method: 'GET', url: `${url.pathname}${url.search}` };
}

export function createDrChronoClient(options: DrChronoClientOptions): DrChronoClient {
	const sendRaw = async (request: HttpRequest) => await sendWithRetry(options.http, request, EHR, options.retry);

	const failure = (response: HttpResponse, action: string) =>
		new EhrHttpError(EHR, response.status, vendorErrorMessage(response.status, response.body, action), false);

	async function send(request: HttpRequest, action: string): Promise<unknown> {
		const response = await sendRaw(request);
		if (isOk(response)) return response.body;
		throw failure(response, action);
	}

	async function listAll<T>(url: string, qs: HttpRequest['qs'], schema: Schema<T>, action: string): Promise<T[]> {
		const items: T[] = [];
		let request: HttpRequest = { method: 'GET', url, qs: { page_size: options.pageSize, ...qs } };
		for (let page = 0; page < options.maxPages; page++) {
			const body = vendor(pageSchema, await send(request, action));
			const rows = body.results ?? body.data;
			if (!rows) throw new EhrResponseError(EHR, 'results', 'a list page has neither "results" nor "data"');
			items.push(...vendor(z.array(schema), rows));
			if (!body.next) return items;
			request = nextRequest(body.next, options.baseUrl);
		}
		throw new EhrResponseError(EHR, 'next', `more than ${options.maxPages} pages`);
	}

	return {
		sendRaw,
		failure,
		send,
		getOne: async (url, schema, action, qs) => vendor(schema, await send({ method: 'GET', url, qs }, action)),
		listAll,
	};
}
