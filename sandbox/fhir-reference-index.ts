import {
	convertToSearchableReferences,
	evalFhirPathTyped,
	globalSchema,
	Operator,
	toTypedValue,
} from '@medplum/core';
import type { Filter, SearchRequest, WithId } from '@medplum/core';
import { MemoryRepository } from '@medplum/fhir-router';
import type { Bundle, Resource, ResourceType } from '@medplum/fhirtypes';

/** For one reference search parameter of one resource type: reference value → resource ids, and back. */
interface ReferenceIndex {
	expression: string;
	idsByReference: Map<string, Set<string>>;
	referencesById: Map<string, string[]>;
	/** Settles once the resources stored before the index existed are in it (writes meanwhile go in directly). */
	filled?: Promise<void>;
}

/**
 * Medplum's in-memory repository answers every search by evaluating the search parameter's FHIRPath against
 * every stored resource of the type: about 0.3–0.5 ms per stored resource, so `ServiceRequest?encounter=` took
 * 485 ms with 1,000 visits stored and 1.5 s with 5,000. A real EHR indexes such lookups. This repository keeps,
 * for each reference search parameter a search has used, which resources hold each reference value, computed
 * exactly as Medplum's matcher computes it, and answers a search with an equality filter on such a parameter
 * from those resources only. Every filter, the sort, the count and the order are still Medplum's own (the
 * candidates go through MemoryRepository.search, in creation order), so the answers do not change, only the cost.
 */
export class ReferenceIndexedRepository extends MemoryRepository {
	/** `${resourceType} ${code}` → its index, built on the first search that filters by that parameter. */
	private readonly indexes = new Map<string, ReferenceIndex>();
	/** `${resourceType}/${id}` → when it was first created: the order Medplum's scan finds resources in. */
	private readonly creationOrder = new Map<string, number>();

	clear(): void {
		super.clear();
		this.indexes.clear();
		this.creationOrder.clear();
	}

	async createResource<T extends Resource>(resource: T): Promise<WithId<T>> {
		const created = await super.createResource(resource);
		const key = `${created.resourceType}/${created.id}`;
		if (!this.creationOrder.has(key)) this.creationOrder.set(key, this.creationOrder.size);
		for (const [name, index] of this.indexes) {
			if (name.startsWith(`${created.resourceType} `)) indexResource(index, created);
		}
		return created;
	}

	async deleteResource(resourceType: string, id: string): Promise<void> {
		await super.deleteResource(resourceType, id);
		for (const [name, index] of this.indexes) if (name.startsWith(`${resourceType} `)) unindex(index, id);
	}

	async search<T extends Resource>(searchRequest: SearchRequest<T>): Promise<Bundle<WithId<T>>> {
		const filter = indexableFilter(searchRequest);
		if (!filter) return await super.search(searchRequest);
		const index = await this.indexFor(searchRequest.resourceType, filter.code);
		const order = (id: string) => this.creationOrder.get(`${searchRequest.resourceType}/${id}`) ?? 0;
		const ids = [...(index.idsByReference.get(filter.value) ?? [])].sort((a, b) => order(a) - order(b));
		const candidates = new MemoryRepository();
		for (const id of ids) {
			// Deleted while the index was being filled: gone, as Medplum's scan would find it.
			const current = await super.readResource(searchRequest.resourceType, id).catch(() => undefined);
			if (current) await candidates.createResource(current);
		}
		return await candidates.search(searchRequest);
	}

	private async indexFor(resourceType: string, code: string): Promise<ReferenceIndex> {
		const name = `${resourceType} ${code}`;
		let index = this.indexes.get(name);
		if (!index) {
			const expression = globalSchema.types[resourceType]?.searchParams?.[code]?.expression as string;
			index = { expression, idsByReference: new Map(), referencesById: new Map() };
			// In the map before it is filled, so a write meanwhile is indexed (and not overwritten by the older copy).
			this.indexes.set(name, index);
			index.filled = this.fill(index, resourceType);
		}
		await index.filled;
		return index;
	}

	private async fill(index: ReferenceIndex, resourceType: string): Promise<void> {
		for (const entry of (await super.search({ resourceType: resourceType as ResourceType })).entry ?? []) {
			const resource = entry.resource as WithId<Resource>;
			if (!index.referencesById.has(resource.id)) indexResource(index, resource);
		}
	}
}

/**
 * The first filter an index can answer exactly: equality on a reference parameter with one non-empty value (an
 * empty value matches resources without the reference, a comma means several values, `_compartment` also matches
 * by id alone).
 */
function indexableFilter(searchRequest: SearchRequest): Filter | undefined {
	const searchParams = globalSchema.types[searchRequest.resourceType]?.searchParams;
	return searchRequest.filters?.find(
		(filter) =>
			filter.operator === Operator.EQUALS &&
			filter.code !== '_compartment' &&
			filter.value !== '' &&
			!filter.value.includes(',') &&
			searchParams?.[filter.code]?.type === 'reference' &&
			typeof searchParams[filter.code].expression === 'string',
	);
}

function indexResource(index: ReferenceIndex, resource: WithId<Resource>): void {
	unindex(index, resource.id);
	const references = convertToSearchableReferences(evalFhirPathTyped(index.expression, [toTypedValue(resource)]));
	index.referencesById.set(resource.id, references);
	for (const reference of references) {
		let ids = index.idsByReference.get(reference);
		if (!ids) index.idsByReference.set(reference, (ids = new Set()));
		ids.add(resource.id);
	}
}

function unindex(index: ReferenceIndex, id: string): void {
	for (const reference of index.referencesById.get(id) ?? []) {
		const ids = index.idsByReference.get(reference);
		ids?.delete(id);
		if (ids?.size === 0) index.idsByReference.delete(reference);
	}
	index.referencesById.delete(id);
}
