import type { CompletedVisitList, VisitDateWindow } from '../types';
import { athenaDate, isCompletedStatus } from './mapping';
import type { AthenaShared } from './options';
import { eventsOf } from './poll';
import { departmentListSchema } from './schemas';
import type { AthenaAppointment } from './schemas';

/**
 * listCompletedVisits of the athenahealth adapter: the checked-out appointments (status 3 or 4) of a date window,
 * from GET /appointments/booked per department, filtered here (athena's `appointmentstatus` takes one status).
 * Only GETs: the changed feed is never read (a read consumes it) and no subscription is made, so a preview
 * neither steals the poll trigger's changes nor changes the practice's athena set-up.
 */
export function createCompletedVisitLister({ client, timestampZone, departmentIds }: AthenaShared) {
	/** The configured departments, else every department athena lists (/appointments/booked wants a departmentid). */
	async function departmentsToRead(): Promise<string[]> {
		if (departmentIds.length > 0) return departmentIds;
		const response = await client.send({ method: 'GET', url: client.pathOf('departments'), qs: { limit: 5000 } }, 'listing the departments');
		return client.parse(departmentListSchema, response.body, 'departments').departments.map((department) => department.departmentid);
	}

	return async function listCompletedVisits(window: VisitDateWindow): Promise<CompletedVisitList> {
		const departments = await departmentsToRead();
		const startdate = athenaDate(window.from);
		const enddate = athenaDate(window.to);
		const booked: AthenaAppointment[] = [];
		for (const departmentid of departments) {
			const request = { method: 'GET' as const, url: client.pathOf('appointments', 'booked'), qs: { departmentid, startdate, enddate } };
			// A permissioned endpoint: a practice where athena has not enabled it gets athena's refusal as the error.
			const pages = await client.appointmentPages(request, 'booked appointments', 'reading the booked appointments');
			booked.push(...(pages ?? []));
		}
		const completed = booked.filter((appointment) => isCompletedStatus(appointment.appointmentstatus));
		const dates = startdate === enddate ? `on ${startdate}` : `from ${startdate} to ${enddate}`;
		const where = departments.length === 0
			? 'in no department (athena listed none)'
			: `in department${departments.length > 1 ? 's' : ''} ${departments.join(', ')}`;
		return {
			events: eventsOf(completed, client.practiceId, timestampZone, 'appointments/booked'),
			read: `athenahealth booked appointments ${dates} ${where}: ${booked.length} found, ${completed.length} checked out (status 3 or 4)`,
		};
	};
}
