import type { RetryPolicy } from '../http';
import type { HttpClient } from '../types';
import type { DrChronoClient } from './client';
import type { DrChronoLookups } from './lookups';

export type DrChronoOrderSource = 'labOrders' | 'medications' | 'carePlans';

export interface DrChronoAdapterOptions {
	/**
	 * The credential's base URL. When given, a `next` link DrChrono returns must be on it (same origin) before it
	 * is followed with the token; the n8n transport checks every request against it in any case.
	 */
	baseUrl?: string;
	/** Days after the visit date searched for a follow-up appointment (default 180). */
	followUpWindowDays?: number;
	/**
	 * Longest `date_range` sent in one request (default 90 days). DrChrono documents no cap; longer searches
	 * are split into consecutive windows of at most this many days.
	 */
	maxDateRangeDays?: number;
	/** Rows asked for per page (DrChrono caps pages at 250). */
	pageSize?: number;
	/** Pages followed through `next` before giving up (a guard against a looping `next`). */
	maxPages?: number;
	/**
	 * The practice's zone when DrChrono's doctor record has none, for the calls that have no practice profile
	 * at hand (polling, task due dates). resolveVisit uses the profile's `defaultZone` instead.
	 */
	defaultZone?: string;
	/** Where action items come from (default: all three). Lab orders need the `labs:read` scope. */
	orderSources?: DrChronoOrderSource[];
	/** Lab orders submitted up to this many days after the visit date count as the visit's (default 1). */
	labOrderGraceDays?: number;
	/**
	 * DrChrono has no "follow-up visit" order. When set, every completed visit carries a follow-up action
	 * item with this patient-facing description (e.g. "Book your follow-up visit").
	 */
	followUpAction?: { description: string };
}

export interface DrChronoAdapterConfig {
	http: HttpClient;
	retry?: RetryPolicy;
	options?: DrChronoAdapterOptions;
}

/** What every capability of the DrChrono adapter works with. */
export interface DrChronoShared {
	client: DrChronoClient;
	lookups: DrChronoLookups;
	options: DrChronoAdapterOptions;
	/** The practice zone configured on the adapter, when valid. */
	defaultZone?: string;
}
