import { createAthenaAdapter } from '../../../nodes/shared/ehr/athenahealth';
import type { AthenaAdapter, AthenaAdapterOptions } from '../../../nodes/shared/ehr/athenahealth';
import type { TokenHttpOptions } from '../../../nodes/shared/ehr/athenahealth/token';
import type { NotificationEvent, ResolveContext } from '../../../nodes/shared/ehr/types';
import { startAthenaServer } from '../../../sandbox/athenahealth-server';
import type { AthenaSandbox, AthenaServerOptions } from '../../../sandbox/athenahealth-server';
import { fetchHttpClient, instantRetryPolicy } from '../../helpers/fetchHttpClient';

export const practiceId = '195900';
export const clientId = '0oa-sandbox-client';
export const clientSecret = 'sandbox-secret-do-not-use';

/** A fixed server clock: Monday 10 March 2025, 11:00 Eastern (no test depends on the real hour). */
export const serverNow = new Date('2025-03-10T15:00:00Z');

export const context: ResolveContext = {
	defaultZone: 'America/Chicago',
	defaultLanguage: 'en',
	schedulingLinks: {
		imaging: 'https://book.example.test/imaging?order={orderId}',
		default: 'https://book.example.test/start?patient={patientId}',
	},
};

export interface Harness {
	server: AthenaSandbox;
	adapter: AthenaAdapter;
	/** Waits the retry policy was asked for. */
	waits: number[];
	clock: { now: Date };
}

/** A local athena server plus an adapter whose HTTP client carries a valid bearer token. */
export async function startHarness(
	adapterOptions: AthenaAdapterOptions = {},
	serverOptions: Partial<AthenaServerOptions> = {},
): Promise<Harness> {
	const clock = { now: serverNow };
	const server = await startAthenaServer({
		practiceId,
		clientId,
		clientSecret,
		now: () => clock.now,
		...serverOptions,
	});
	const token = server.issueToken();
	const waits: number[] = [];
	const adapter = createAthenaAdapter({
		http: fetchHttpClient(server.url, () => ({ authorization: `Bearer ${token}` })),
		practiceId,
		retry: instantRetryPolicy(waits),
		options: adapterOptions,
	});
	return { server, adapter, waits, clock };
}

/** A checked-in visit in an Eastern department with imaging, prescription and patient-info orders. */
export function seedVisit(server: AthenaSandbox, overrides: { patient?: Record<string, unknown>; department?: Record<string, unknown> } = {}) {
	server.addDepartment({ departmentid: '1', timezonename: 'US/Eastern', ...overrides.department });
	server.addPatient({
		patientid: '1001',
		firstname: 'Ana',
		lastname: 'Example',
		mobilephone: '(512) 555-0100',
		homephone: '5125550101',
		contactmobilephone: '5125550199',
		email: 'ana@example.test',
		consenttotext: 'true',
		consenttocall: false,
		language6392code: 'spa',
		contactpreference: 'MOBILEPHONE',
		...overrides.patient,
	});
	server.addAppointment({
		appointmentid: '5001',
		patientid: '1001',
		departmentid: '1',
		appointmentstatus: '2',
		date: '03/10/2025',
		starttime: '09:00',
		duration: 30,
		encounterid: '7001',
		appointmenttypeid: '2',
	});
	server.addEncounter({ encounterid: '7001', appointmentid: '5001', patientid: '1001', departmentid: '1', encounterdate: '03/10/2025' });
	server.setOrders('7001', [
		{ orderid: '9001', class: 'ORDER', ordertype: 'Imaging', description: 'XR chest 2 views', status: 'SUBMITTED', documentationonly: false },
		{ orderid: '9002', class: 'PRESCRIPTION', ordertype: 'Prescription', description: 'amoxicillin 500 mg', status: 'CLOSED' },
		{ orderid: '9003', class: 'PATIENTINFO', ordertype: 'Patient Info', description: 'handout', status: 'CLOSED' },
		{ orderid: '9004', class: 'LAB', ordertype: 'Lab', description: 'CBC', status: 'SUBMITTED', documentationonly: 'true' },
	]);
	server.addUser('jcoordinator');
}

/** A harness whose server already holds the visit of `seedVisit`. */
export async function startSeededHarness(
	adapterOptions: AthenaAdapterOptions = {},
	serverOptions: Partial<AthenaServerOptions> = {},
): Promise<Harness> {
	const harness = await startHarness(adapterOptions, serverOptions);
	seedVisit(harness.server);
	return harness;
}

/** athena's check-out notification for the seeded appointment 5001, plus the fields a case adds (patient, department…). */
export function checkOutNotification(extra: Partial<NotificationEvent> = {}): NotificationEvent {
	return {
		ehr: 'athenahealth',
		eventId: 'evt-1',
		topic: 'Appointment.check-out',
		resourceType: 'Appointment',
		resourceId: '5001',
		practiceId,
		...extra,
	};
}

/**
 * The subset of n8n's `helpers.httpRequest` the credential's preAuthentication uses, over fetch: what a
 * credential sees at run time (`this.helpers.httpRequest`).
 */
export async function fetchN8nHttpRequest(options: TokenHttpOptions): Promise<unknown> {
	const response = await fetch(options.url, { method: options.method, headers: options.headers, body: options.body });
	const text = await response.text();
	let body: unknown = text;
	if (options.json) {
		try {
			body = JSON.parse(text);
		} catch {
			// left as text
		}
	}
	if (!options.ignoreHttpStatusErrors && !response.ok) throw new Error(`Request failed with status code ${response.status}`);
	return options.returnFullResponse
		? { statusCode: response.status, headers: Object.fromEntries(response.headers.entries()), body }
		: body;
}
