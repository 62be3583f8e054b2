import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

import type { INodeType, INodeTypeDescription, IVersionedNodeType } from 'n8n-workflow';

import { credentialServesEhr } from '../../nodes/shared/n8n/descriptions';
import { deriveEhrTemplates, ehrFacingSources, ehrVariants, sourceFiles, variantFileName } from '../../scripts/ehr-templates';
import type { EhrVariant, Template, TemplateNode } from '../../scripts/ehr-templates';

/*
 * The per-EHR templates in workflows-templates/by-ehr/ are generated (npm run templates:ehr): the checked-in files
 * are exactly what the generator derives from the sources now, and each is ready for its EHR.
 * test/package/templates.test.ts runs the checks every template passes on them too.
 */

const templatesDir = resolve(__dirname, '../../workflows-templates');
const byEhrDir = join(templatesDir, 'by-ehr');
const derived = deriveEhrTemplates(templatesDir);
const read = (dir: string, file: string) => JSON.parse(readFileSync(join(dir, file), 'utf8')) as Template;

const pack = 'n8n-nodes-post-visit.';
const intakeTypes: Record<EhrVariant['intake'], string> = {
	webhook: `${pack}ehrTrigger`,
	poll: `${pack}ehrPollTrigger`,
	hl7v2: `${pack}hl7v2Trigger`,
};

/** The description of the version a node uses, from its class in nodes/<Name>/<Name>.node.ts. */
function descriptionOf(node: TemplateNode): INodeTypeDescription {
	const short = node.type.slice(pack.length);
	const name = short[0].toUpperCase() + short.slice(1);
	const exported = jest.requireActual<Record<string, new () => INodeType | IVersionedNodeType>>(`../../nodes/${name}/${name}.node`);
	const instance = new exported[name]();
	return ('nodeVersions' in instance ? instance.getNodeType(node.typeVersion) : instance).description;
}

/** The EHR API credential a node requires with this EHR picked, as its description declares it. */
function requiresEhrCredential(node: TemplateNode, ehr: string): boolean {
	return (descriptionOf(node).credentials ?? []).some((credential) => credential.required && credential.displayOptions !== undefined && credentialServesEhr(credential, ehr));
}

const stickyText = (template: Template) =>
	template.nodes
		.filter((node) => node.type === 'n8n-nodes-base.stickyNote')
		.map((node) => String(node.parameters.content))
		.join('\n');

/** Every source with per-EHR copies. */
const allSources = [sourceFiles.threeStage, sourceFiles.recall, ...ehrFacingSources.map((source) => source.file)];

/** Every name any source template or copy gives a node: a note that names one of them names a node. */
const knownNodeNames = new Set(
	[
		...allSources.map((file) => read(templatesDir, file)),
		...[...derived.values()].map((text) => JSON.parse(text) as Template),
	].flatMap((template) => template.nodes.map((node) => node.name)),
);

describe('the per-EHR templates in workflows-templates/by-ehr/', () => {
	it('are exactly what npm run templates:ehr derives from the sources (no drift, nothing stale)', () => {
		const checkedIn = readdirSync(byEhrDir).filter((file) => file.endsWith('.json')).sort();
		expect(checkedIn).toEqual([...derived.keys()].sort());
		for (const [file, text] of derived) expect([file, readFileSync(join(byEhrDir, file), 'utf8')]).toEqual([file, text]);
	});

	it('derive a recall-outreach copy only for the EHRs with a recall list (FHIR), and a three-stage copy for every EHR', () => {
		for (const variant of ehrVariants) {
			expect(derived.has(variantFileName(sourceFiles.threeStage, variant))).toBe(true);
			expect([variant.slug, derived.has(variantFileName(sourceFiles.recall, variant))]).toEqual([variant.slug, variant.ehr === 'fhir']);
		}
	});

	it('derive a copy of every other template with EHR-facing nodes for each EHR, but the timeline preview for an HL7 v2 feed', () => {
		const withEhrNodes = readdirSync(templatesDir)
			.filter((file) => file.endsWith('.json'))
			.filter((file) => read(templatesDir, file).nodes.some((node) => node.type.startsWith(pack) && ('ehr' in node.parameters || 'lookupEhr' in node.parameters)));
		expect(withEhrNodes.sort()).toEqual([...allSources].sort());
		for (const { file } of ehrFacingSources) {
			const copies = ehrVariants.filter((variant) => derived.has(variantFileName(file, variant))).map((variant) => variant.slug);
			const expected = ehrVariants.filter((variant) => file !== 'timeline-preview.json' || variant.intake !== 'hl7v2').map((variant) => variant.slug);
			expect([file, copies]).toEqual([file, expected]);
		}
	});

	it.each(ehrFacingSources)('copies of $file keep every node, connection and setting but the EHR, the notes and settings the EHR does not offer', (spec) => {
		const source = read(templatesDir, spec.file);
		const comparable = (template: Template, leftOut: Record<string, string[]> = {}) =>
			template.nodes.map((node) => ({
				...node,
				parameters: Object.fromEntries(
					Object.entries({ ...node.parameters, ehr: undefined, lookupEhr: undefined, content: undefined }).filter(([name]) => !leftOut[node.name]?.includes(name)),
				),
			}));
		for (const variant of ehrVariants.filter((candidate) => derived.has(variantFileName(spec.file, candidate)))) {
			const template = JSON.parse(derived.get(variantFileName(spec.file, variant))!) as Template;
			expect(comparable(template)).toEqual(comparable(source, spec.notOffered?.(variant)));
			expect(template.connections).toEqual(source.connections);
			expect(template.settings).toEqual(source.settings);
			for (const node of template.nodes.filter((candidate) => 'lookupEhr' in candidate.parameters)) expect(node.parameters.lookupEhr).toBe(variant.ehr);
		}
	});
});

describe.each(ehrVariants)('the $slug variant', (variant) => {
	const files = allSources.map((source) => variantFileName(source, variant)).filter((file) => derived.has(file));
	const variants = files.map((file) => [file, read(byEhrDir, file)] as const);
	const [, threeStage] = variants[0];
	const source = read(templatesDir, sourceFiles.threeStage);

	it.each(variants)('%s sets EHR on every pack node that has the field, and names its EHR', (_file, template) => {
		const withEhr = template.nodes.filter((node) => node.type.startsWith(pack) && 'ehr' in node.parameters);
		expect(withEhr.length).toBeGreaterThan(0);
		for (const node of withEhr) expect([node.name, node.parameters.ehr]).toEqual([node.name, variant.ehr]);
		expect(template.name).toMatch(new RegExp(`^Post-Visit: .+ \\(${variant.label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\)$`));
	});

	it.each(variants)('%s: every node its notes name exists, and the overview names each node that needs the EHR credential', (_file, template) => {
		const names = new Set(template.nodes.map((node) => node.name));
		const notes = stickyText(template);
		const emphasised = [...notes.matchAll(/\*{1,2}([^*\n]+)\*{1,2}/g)].map((match) => match[1]);
		for (const name of emphasised.filter((candidate) => knownNodeNames.has(candidate))) expect([name, names.has(name)]).toEqual([name, true]);
		const needingCredential = template.nodes.filter((node) => node.type.startsWith(pack) && !node.disabled && requiresEhrCredential(node, variant.ehr));
		expect(needingCredential.length).toBeGreaterThan(0);
		for (const node of needingCredential) expect(notes).toContain(`*${node.name}*`);
		expect(notes).toContain(`*${variant.credential}*`);
		expect(notes).toContain(variant.setupPage);
		// The generic wording for "any EHR" is gone.
		expect(notes).not.toMatch(/Pick the same \*\*EHR\*\*|pick your EHR|athenahealth or DrChrono/);
	});

	it('has exactly one enabled trigger for completed visits, of the kind this EHR needs, connected to Visit Details', () => {
		const intakes = threeStage.nodes.filter((node) => Object.values(intakeTypes).includes(node.type));
		const enabled = intakes.filter((node) => !node.disabled);
		expect(enabled.map((node) => node.type)).toEqual([intakeTypes[variant.intake]]);
		const targets = (threeStage.connections[enabled[0].name] as { main: Array<Array<{ node: string }>> }).main;
		expect(targets).toEqual([[expect.objectContaining({ node: 'Visit Details' })]]);
		// An EHR that cannot push has no EHR Trigger, or only one turned off; Tebra's EHR field would not even offer it.
		if (variant.intake !== 'webhook') expect(intakes.filter((node) => node.type === intakeTypes.webhook && !node.disabled)).toEqual([]);
		if (variant.ehr === 'tebra' || variant.intake === 'hl7v2') expect(intakes.map((node) => node.type)).not.toContain(intakeTypes.webhook);
	});

	it('keeps every other node, connection and setting of the source (only the EHR, the triggers and the notes differ)', () => {
		const triggerTypes = new Set(Object.values(intakeTypes));
		const comparable = (template: Template) =>
			template.nodes
				.filter((node) => !triggerTypes.has(node.type))
				.map((node) => ({ ...node, parameters: { ...node.parameters, ehr: undefined, content: undefined } }));
		expect(comparable(threeStage)).toEqual(comparable(source));
		const withoutTriggers = (template: Template) => Object.fromEntries(Object.entries(template.connections).filter(([name]) => !/Trigger$/.test(name) || name === 'Journey Due Trigger'));
		expect(withoutTriggers(threeStage)).toEqual(withoutTriggers(source));
		expect(threeStage.settings).toEqual(source.settings);
	});
});
