import { createPacer, createTebraAdapter } from '../../../nodes/shared/ehr/tebra';
import type { TebraAdapterOptions } from '../../../nodes/shared/ehr/tebra';
import type { EhrAdapter } from '../../../nodes/shared/ehr/types';
import { startTebraServer } from '../../../sandbox/tebra-server';
import type { TebraServer } from '../../../sandbox/tebra-server';
import { fetchHttpClient, instantRetryPolicy } from '../../helpers/fetchHttpClient';

export const tebraLogin = { customerKey: 'ck-sandbox-0001', user: 'api@riverside.example', password: 'p&ss<word>"\'' };
export const tebraPractice = { id: '1', name: 'Riverside Family Medicine', zone: 'America/Chicago' };

/**
 * One fake clock for the server's rate limits and the adapter's pacer: the pacer's waits advance it, so calls are
 * spaced as Tebra asks without the tests waiting in real time.
 */
export function fakeClock(start = Date.parse('2026-03-10T15:00:00Z')) {
	let now = start;
	return {
		now: () => now,
		advance: (ms: number) => {
			now += ms;
		},
		pacer: () =>
			createPacer(
				() => now,
				async (ms) => {
					now += ms;
				},
			),
	};
}

export interface TebraFixture {
	server: TebraServer;
	clock: ReturnType<typeof fakeClock>;
	adapter(options?: Partial<TebraAdapterOptions>): EhrAdapter;
}

/** A Tebra sandbox per test file with the demo practice, and adapters talking to it through real HTTP. */
export function useTebraSandbox(serverOptions: { confirmationStatusStyle?: 'guide' | 'enum' } = {}): TebraFixture {
	const clock = fakeClock();
	let server: TebraServer | undefined;
	beforeAll(async () => {
		server = await startTebraServer({ login: tebraLogin, practice: tebraPractice, now: clock.now, ...serverOptions });
	});
	afterAll(async () => await server?.close());
	beforeEach(() => {
		server?.appointments.clear();
		server?.patients.clear();
		if (server) server.requests.length = 0;
		// Past every rate-limit window of the previous test.
		clock.advance(10_000);
	});
	const started = () => {
		if (!server) throw new Error('the Tebra sandbox runs only inside the tests of the file that uses it');
		return server;
	};
	return {
		get server() {
			return started();
		},
		clock,
		adapter: (options = {}) =>
			createTebraAdapter({
				http: fetchHttpClient(started().url),
				login: tebraLogin,
				options: { endpoint: started().endpoint, practiceName: tebraPractice.name, zone: tebraPractice.zone, ...options },
				retry: instantRetryPolicy(),
				pacer: clock.pacer(),
			}),
	};
}

/** Ana, checked out of a 30-minute visit that ended at `end`. */
export function seedCheckedOutVisit(server: TebraServer, end: Date, id = '5001', status: 'CheckedOut' | 'CheckedIn' = 'CheckedOut') {
	server.addPatient({ PatientID: '301', FirstName: 'Ana', LastName: 'García', MobilePhone: '(512) 555-0101', HomePhone: '512.555.0199', EmailAddress: 'ana.garcia@patients.example' });
	server.addAppointment({ ID: id, PatientID: '301', ServiceLocationID: '11', status: 'CheckedIn', start: new Date(end.getTime() - 30 * 60_000), end });
	server.setStatus(id, status);
}
