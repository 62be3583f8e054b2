import type { RetryPolicy } from '../http';
import type { HttpClient } from '../types';
import type { Pacer, TebraClient } from './client';
import type { TebraLogin } from './soap';

export interface TebraAdapterOptions {
	/** The SOAP endpoint; default Tebra's production URL. */
	endpoint?: string;
	/** GetAppointments requires it: the practice's name exactly as Tebra shows it. */
	practiceName: string;
	/** IANA zone of the practice: Tebra's service locations carry none (guide §4.11). */
	zone?: string;
	/**
	 * Stage 3 also sets a patient Alert through UpdatePatient. Off by default: UpdatePatient replaces the
	 * patient's alert, so an alert staff wrote by hand is overwritten.
	 */
	patientAlert?: boolean;
	/** Tebra has no order API: every visit gets one "book your follow-up" item unless this is false. */
	followUpItem?: boolean;
	/** How far back a poll re-reads LastModifiedDate (Tebra's filter zone and precision are not documented). */
	overlapMinutes?: number;
	/** How many days after the visit the Booking Check looks for a booked appointment. */
	followUpHorizonDays?: number;
}

export interface TebraAdapterConfig {
	http: HttpClient;
	login: TebraLogin;
	options: TebraAdapterOptions;
	retry?: RetryPolicy;
	pacer?: Pacer;
}

/** What every capability of the Tebra adapter works with. */
export interface TebraShared {
	client: TebraClient;
	options: TebraAdapterOptions;
}
