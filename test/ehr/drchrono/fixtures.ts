import { createDrChronoAdapter } from '../../../nodes/shared/ehr/drchrono';
import type { DrChronoAdapterOptions } from '../../../nodes/shared/ehr/drchrono';
import type { NotificationEvent, ResolveContext } from '../../../nodes/shared/ehr/types';
import { startDrChronoServer } from '../../../sandbox/drchrono-server';
import type {
	DrChronoServer,
	DrChronoServerOptions,
	SandboxAppointment,
	SandboxTaskStatus,
} from '../../../sandbox/drchrono-server';
import { fetchHttpClient, instantRetryPolicy } from '../../helpers/fetchHttpClient';

/** 10:00 in Austin (CDT, UTC-5): DST began on 2026-03-08. */
export const NOW = new Date('2026-03-10T15:00:00Z');
export const ZONE = 'America/Chicago';
export const TOKEN = 'test-access-token';
export const SECRET = '4f1c9e8b7d6a5f4e3d2c1b0a9f8e7d6c5b4a3f21';
export const PREVIOUS_SECRET = '0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e1d';

export const context: ResolveContext = {
	defaultLanguage: 'en',
	schedulingLinks: { default: 'https://book.example.org/s?order={orderId}&p={patientId}&v={visitId}' },
};

export interface Fixture {
	server: DrChronoServer;
	waits: number[];
	adapter(options?: DrChronoAdapterOptions): ReturnType<typeof createDrChronoAdapter>;
	/** The visit 9001 of the demo practice, completed now (10:00 local) on the server. */
	completeDemoVisit(): Promise<NotificationEvent>;
}

/** An adapter speaking to a sandbox server over real HTTP, with a retry policy that records its waits. */
export function adapterFor(server: DrChronoServer, options?: DrChronoAdapterOptions, waits: number[] = []) {
	const http = fetchHttpClient(server.url, () => ({ authorization: `Bearer ${TOKEN}` }));
	return createDrChronoAdapter({ http, retry: instantRetryPolicy(waits), options });
}

export async function startFixture(options: Partial<DrChronoServerOptions> = {}): Promise<Fixture> {
	const server = await startDrChronoServer({ accessToken: TOKEN, zone: ZONE, now: () => NOW, ...options });
	const waits: number[] = [];
	return {
		server,
		waits,
		adapter: (adapterOptions) => adapterFor(server, adapterOptions, waits),
		completeDemoVisit: async () => {
			await server.completeAppointment('9001');
			return appointmentEvent('9001');
		},
	};
}

/** A thin event as a poller or a replay would hand over: no resource, so the adapter reads it. */
export function appointmentEvent(id: string, resource?: unknown): NotificationEvent {
	return { ehr: 'drchrono', eventId: `test:${id}`, topic: 'APPOINTMENT_MODIFY', resourceType: 'Appointment', resourceId: id, resource };
}

let appointmentCounter = 7000;

export function addAppointment(server: DrChronoServer, fields: Partial<SandboxAppointment> & Pick<SandboxAppointment, 'scheduled_time'>): SandboxAppointment {
	const id = fields.id ?? String(++appointmentCounter);
	const appointment: SandboxAppointment = {
		id,
		patient: 5001,
		doctor: 1001,
		office: 2001,
		exam_room: 1,
		profile: 302,
		status: '',
		duration: 30,
		reason: '',
		notes: '',
		created_at: '2026-03-10T10:05:00',
		updated_at: '2026-03-10T10:05:00',
		deleted_flag: false,
		appt_is_break: false,
		status_transitions: [],
		...fields,
	};
	server.state.appointments.set(id, appointment);
	return appointment;
}

export function addTaskStatus(server: DrChronoServer, status: Pick<SandboxTaskStatus, 'id' | 'status_category'> & Partial<SandboxTaskStatus>): void {
	server.state.taskStatuses.set(status.id, { name: `Status ${status.id}`, practice_group: 77, task_category: null, archived: false, ...status });
}

export function apiCalls(server: DrChronoServer, path: string, method = 'GET') {
	return server.requests.filter((request) => request.method === method && request.path === path);
}
