import { parseSearchRequest } from '@medplum/core';
import { MemoryRepository } from '@medplum/fhir-router';
import type { Encounter, Resource, ServiceRequest } from '@medplum/fhirtypes';

import { ReferenceIndexedRepository } from '../../sandbox/fhir-reference-index';
import { ensureFhirDefinitions } from '../../sandbox/fhir-server';

/*
 * The sandbox FHIR server answers reference searches from an index instead of Medplum's scan of every stored
 * resource: the answers must be the same, whatever was written, changed or deleted before and after the index
 * was built.
 */

beforeAll(() => ensureFhirDefinitions());

/** The same writes into the indexed repository and into Medplum's own, with the same ids and versions. */
class Twins {
	readonly indexed = new ReferenceIndexedRepository();
	readonly plain = new MemoryRepository();

	async create<T extends Resource>(resource: T): Promise<T & { id: string }> {
		const created = await this.indexed.createResource(resource);
		await this.plain.createResource(created);
		return created as T & { id: string };
	}

	async update<T extends Resource & { id: string }>(resource: T): Promise<void> {
		const updated = await this.indexed.updateResource(resource);
		await this.plain.createResource(updated);
	}

	async delete(type: string, id: string): Promise<void> {
		await this.indexed.deleteResource(type, id);
		await this.plain.deleteResource(type, id);
	}

	async expectSameAnswer(query: string): Promise<Array<string | undefined>> {
		const [type, params] = query.split('?');
		const request = () => parseSearchRequest(type as 'ServiceRequest', Object.fromEntries(new URLSearchParams(params)));
		const indexed = await this.indexed.search(request());
		expect([query, indexed]).toEqual([query, await this.plain.search(request())]);
		return (indexed.entry ?? []).map((entry) => entry.resource?.id);
	}
}

async function visit(twins: Twins, patient: string, status: ServiceRequest['status'] = 'active') {
	const encounter = await twins.create<Encounter>({ resourceType: 'Encounter', status: 'finished', class: { code: 'AMB' }, subject: { reference: `Patient/${patient}` } });
	const order = await twins.create<ServiceRequest>({
		resourceType: 'ServiceRequest',
		status,
		intent: 'order',
		subject: { reference: `Patient/${patient}` },
		encounter: { reference: `Encounter/${encounter.id}` },
		authoredOn: '2026-11-0' + ((patient.length % 9) + 1),
	});
	return { encounter, order };
}

describe('reference searches of the sandbox FHIR server', () => {
	it('answers as Medplum\'s scan does: one match, several, none, with other filters, a sort and a count', async () => {
		const twins = new Twins();
		const first = await visit(twins, 'p1');
		await visit(twins, 'p2', 'completed');
		const third = await visit(twins, 'p1', 'completed');
		await twins.create<ServiceRequest>({ resourceType: 'ServiceRequest', status: 'active', intent: 'order', subject: { reference: 'Patient/p1' } });

		expect(await twins.expectSameAnswer(`ServiceRequest?encounter=Encounter/${first.encounter.id}`)).toEqual([first.order.id]);
		expect(await twins.expectSameAnswer('ServiceRequest?patient=Patient/p1')).toHaveLength(3);
		expect(await twins.expectSameAnswer('ServiceRequest?patient=Patient/p1&status=completed')).toEqual([third.order.id]);
		await twins.expectSameAnswer('ServiceRequest?subject=Patient/p1&_sort=-authored&_count=2');
		await twins.expectSameAnswer('ServiceRequest?patient=Patient/nobody');
		await twins.expectSameAnswer('ServiceRequest?patient=p1');
		// Not answered from the index (several values, empty): still the scan.
		await twins.expectSameAnswer('ServiceRequest?patient=Patient/p1,Patient/p2');
		await twins.expectSameAnswer('ServiceRequest?encounter=');
	});

	it('scans the stored resources once, to build the index, and not for later searches', async () => {
		const twins = new Twins();
		await visit(twins, 'p1');
		const scan = jest.spyOn(MemoryRepository.prototype, 'search');
		try {
			await twins.indexed.search(parseSearchRequest('ServiceRequest', { patient: 'Patient/p1' }));
			await visit(twins, 'p1');
			await twins.indexed.search(parseSearchRequest('ServiceRequest', { patient: 'Patient/p1' }));
			expect(scan.mock.contexts.filter((repository) => repository === twins.indexed)).toHaveLength(1);
		} finally {
			scan.mockRestore();
		}
	});

	it('follows writes after the index exists: a new resource, a changed reference, a deletion', async () => {
		const twins = new Twins();
		const first = await visit(twins, 'p1');
		await twins.expectSameAnswer('ServiceRequest?patient=Patient/p1');
		const second = await visit(twins, 'p1');
		expect(await twins.expectSameAnswer('ServiceRequest?patient=Patient/p1')).toEqual([first.order.id, second.order.id]);

		await twins.update({ ...first.order, subject: { reference: 'Patient/p9' } });
		expect(await twins.expectSameAnswer('ServiceRequest?patient=Patient/p1')).toEqual([second.order.id]);
		expect(await twins.expectSameAnswer('ServiceRequest?patient=Patient/p9')).toEqual([first.order.id]);

		await twins.delete('ServiceRequest', second.order.id);
		expect(await twins.expectSameAnswer('ServiceRequest?patient=Patient/p1')).toEqual([]);
		twins.indexed.clear();
		twins.plain.clear();
		await twins.expectSameAnswer('ServiceRequest?patient=Patient/p9');
	});
});
