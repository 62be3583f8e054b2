import { DomainError } from '../../core/errors';
import type { DrChronoClient } from './client';
import { isValidZone } from './mapping';
import { doctorSchema, taskStatusSchema, userSchema } from './schemas';
import type { DrChronoDoctor, DrChronoTaskStatus } from './schemas';

export function missingZone(field: string): DomainError {
	return new DomainError(
		'DrChrono gives no valid time zone for this provider and no default zone is set: set "Default Time Zone" in the practice profile',
		'missing_zone',
		field,
	);
}

/**
 * Lookups made during one adapter's life (doctors, task statuses, the current user), remembered by this instance
 * only: one adapter per execution. A failed lookup is forgotten, so the next call asks again.
 */
export interface DrChronoLookups {
	getDoctor(doctorId: string): Promise<DrChronoDoctor>;
	/** The doctor's zone, when DrChrono has a valid one. */
	doctorZone(doctorId: string | undefined): Promise<string | undefined>;
	/** The zone of the user the credential belongs to (their doctor's setting), for task due dates. */
	accountZone(): Promise<string | undefined>;
	taskStatuses(): Promise<DrChronoTaskStatus[]>;
}

function remembered<T>(load: () => Promise<T>): () => Promise<T> {
	let loading: Promise<T> | undefined;
	return () => {
		loading ??= load().catch((error: unknown) => {
			loading = undefined;
			throw error;
		});
		return loading;
	};
}

export function createDrChronoLookups(client: DrChronoClient): DrChronoLookups {
	const doctors = new Map<string, () => Promise<DrChronoDoctor>>();

	const getDoctor = (doctorId: string): Promise<DrChronoDoctor> => {
		let load = doctors.get(doctorId);
		if (!load) {
			load = remembered(() => client.getOne(`/api/doctors/${encodeURIComponent(doctorId)}`, doctorSchema, 'reading the provider'));
			doctors.set(doctorId, load);
		}
		return load();
	};

	const doctorZone = async (doctorId: string | undefined): Promise<string | undefined> => {
		if (!doctorId) return undefined;
		const timezone = (await getDoctor(doctorId)).timezone;
		return isValidZone(timezone) ? timezone : undefined;
	};

	const accountZone = remembered(async () => {
		const user = await client.getOne('/api/users/current', userSchema, 'reading the connected user');
		return await doctorZone(user.doctor);
	});

	const taskStatuses = remembered(() => client.listAll('/api/task_statuses', {}, taskStatusSchema, 'listing task statuses'));

	return { getDoctor, doctorZone, accountZone, taskStatuses };
}
