import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/*
 * One template per EHR, derived from the one source of each (post-visit-three-stage.json; recall-outreach.json for
 * the FHIR EHRs, the only ones with a recall list; every other template with EHR-facing nodes: patient replies,
 * delivery status, timeline preview, journey lookup), so the copies cannot drift: `npm run templates:ehr` rewrites
 * workflows-templates/by-ehr/, and test/package/ehrTemplates.test.ts fails when the checked-in copies differ from
 * what this derives. Only node built-ins here: Node 24 runs this file as it is (type stripping), without a build.
 */

export interface TemplateNode {
	id: string;
	name: string;
	type: string;
	typeVersion: number;
	position: number[];
	parameters: Record<string, unknown>;
	disabled?: boolean;
	webhookId?: string;
}
export interface Template {
	name: string;
	nodes: TemplateNode[];
	connections: Record<string, unknown>;
	[key: string]: unknown;
}

/** How completed visits reach the workflow: the EHR Trigger (push), the EHR Poll Trigger, or the HL7 v2 Trigger. */
type Intake = 'webhook' | 'poll' | 'hl7v2';

export interface EhrVariant {
	/** The file name part and the value of POST_VISIT_EHR in the Docker init. */
	slug: string;
	/** In the workflow name: "Post-Visit: Three-Stage Follow-Up (<label>)". */
	label: string;
	/** The value of every pack node's EHR field. */
	ehr: 'athenahealth' | 'drchrono' | 'fhir' | 'tebra' | 'hl7v2';
	intake: Intake;
	/** Keep the other of the EHR Trigger and EHR Poll Trigger, turned off, for practices that use it instead. */
	keepsOtherTrigger: boolean;
	/** The EHR credential's name as n8n's credential list shows it, and what to set in it. */
	credential: string;
	credentialHint: string;
	setupPage: string;
	/** What Staff Follow-Up Task creates in this EHR. */
	task: string;
	/** Said after how visits arrive, when the way this EHR takes needs a caveat. */
	intakeNote?: string;
	/** Poll Times of the EHR Poll Trigger, when the vendor asks for a slower poll than the source's. */
	pollTimes?: Record<string, unknown>;
	/** Whether the EHR lists recalls, so a recall-outreach copy is derived too. */
	recalls: boolean;
}

const fhirCredential = 'FHIR R4 API';

export const ehrVariants: EhrVariant[] = [
	{
		slug: 'athenahealth',
		label: 'athenahealth',
		ehr: 'athenahealth',
		intake: 'poll',
		keepsOtherTrigger: true,
		credential: 'athenahealth (athenaOne) API',
		credentialHint: '',
		setupPage: 'docs/setup-athenahealth.md',
		task: 'an athenahealth patient case',
		recalls: false,
	},
	{
		slug: 'drchrono',
		label: 'DrChrono',
		ehr: 'drchrono',
		intake: 'webhook',
		keepsOtherTrigger: true,
		credential: 'DrChrono OAuth2 API',
		credentialHint: '',
		setupPage: 'docs/setup-drchrono.md',
		task: 'a DrChrono task',
		recalls: false,
	},
	{
		slug: 'fhir-epic',
		label: 'FHIR R4 / Epic',
		ehr: 'fhir',
		intake: 'poll',
		keepsOtherTrigger: true,
		credential: fhirCredential,
		credentialHint: ' (*Server*: Generic FHIR R4)',
		setupPage: 'docs/setup-fhir-epic.md',
		task: 'a FHIR Task; on Epic, which takes no Task, a Communication',
		intakeNote: ' Epic is likely to refuse this search (docs/setup-fhir-epic.md, "Epic and polling"): try it in Epic\'s non-production environment first, or use the HL7 v2 Feed template.',
		recalls: true,
	},
	{
		slug: 'eclinicalworks',
		label: 'eClinicalWorks',
		ehr: 'fhir',
		intake: 'poll',
		keepsOtherTrigger: false,
		credential: fhirCredential,
		credentialHint: ' (*Server*: eClinicalWorks, with *Poll Location* or *Poll Practitioner*)',
		setupPage: 'docs/setup-fhir-epic.md',
		task: 'a FHIR Task or Communication when *Writeback Enabled* is on in the credential; otherwise only the notification',
		recalls: true,
	},
	{
		slug: 'tebra',
		label: 'Tebra',
		ehr: 'tebra',
		intake: 'poll',
		keepsOtherTrigger: false,
		credential: 'Tebra (Kareo) SOAP API',
		credentialHint: '',
		setupPage: 'docs/setup-tebra.md',
		task: 'no worklist item (Tebra has no task API): the assignee is notified',
		// Tebra asks integrators to poll sparingly (docs/setup-tebra.md: every 5 to 15 minutes).
		pollTimes: { item: [{ mode: 'everyX', value: 10, unit: 'minutes' }] },
		recalls: false,
	},
	{
		slug: 'hl7v2',
		label: 'HL7 v2 Feed',
		ehr: 'hl7v2',
		intake: 'hl7v2',
		keepsOtherTrigger: false,
		credential: fhirCredential,
		credentialHint: ' of the EHR behind the feed (*HL7 v2: Patient Identifier System* set)',
		setupPage: 'docs/setup-hl7v2.md',
		task: 'a FHIR Task through the FHIR R4 API credential',
		recalls: false,
	},
];

const pack = 'n8n-nodes-post-visit.';
const ehrTriggerType = `${pack}ehrTrigger`;
const pollTriggerType = `${pack}ehrPollTrigger`;
const hl7v2TriggerType = `${pack}hl7v2Trigger`;
const stickyType = 'n8n-nodes-base.stickyNote';

export const sourceFiles = { threeStage: 'post-visit-three-stage.json', recall: 'recall-outreach.json' } as const;

/**
 * A template whose EHR nodes only need the EHR picked and the notes to say so: its Overview has one line asking to
 * pick the EHR (found by its start), replaced in each copy by what is set and where the EHR credential goes.
 */
export interface EhrFacingSource {
	file: string;
	/** The start of the Overview's line that asks to pick the EHR; a leading "2. " is kept. */
	pickEhrLine: string;
	/** Other text of a note about picking the EHR, dropped from the copies: the EHR is set already. */
	drop?: Array<{ sticky: string; text: string }>;
	/** Why an EHR gets no copy of it (its nodes cannot work with that EHR); undefined: it gets one. */
	unsupported?: (variant: EhrVariant) => string | undefined;
	/** Settings a node does not offer for this EHR, by node name: left out of the copy, as the editor would. */
	notOffered?: (variant: EhrVariant) => Record<string, string[]>;
}

export const ehrFacingSources: EhrFacingSource[] = [
	{
		file: 'patient-replies.json',
		pickEhrLine: '2. Pick the same **EHR**',
		// Tebra's API has no SMS consent to update (the trigger shows a notice instead of the switch).
		notOffered: (variant): Record<string, string[]> => (variant.ehr === 'tebra' ? { 'Patient Reply Trigger': ['updateEhrConsent'] } : {}),
	},
	{
		file: 'delivery-status.json',
		pickEhrLine: '3. Pick the same **EHR**',
		drop: [{ sticky: 'Fallback note', text: '; pick the same **EHR** in the trigger' }],
	},
	{
		file: 'timeline-preview.json',
		pickEhrLine: '**EHR:** pick the same **EHR**',
		// Timeline Preview reads the visits as the poll trigger does; an HL7 v2 feed is pushed and cannot be read back.
		unsupported: (variant) => (variant.intake === 'hl7v2' ? 'an HL7 v2 feed cannot be read back: preview its visits with Input Items' : undefined),
	},
	{
		file: 'journey-lookup.json',
		pickEhrLine: '2. Pick the same **EHR**',
	},
];

/** `post-visit-three-stage.json` → `post-visit-three-stage.athenahealth.json`. */
export function variantFileName(sourceFile: string, variant: EhrVariant): string {
	return sourceFile.replace(/\.json$/, `.${variant.slug}.json`);
}

const copy = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;
const italic = (names: string[]) => names.map((name) => `*${name}*`).join(', ');

/** Replaces text the source must contain: a source edit that removes it fails the generator, not the copies silently. */
function replaceExactly(text: string, find: string, replacement: string, where: string): string {
	if (!text.includes(find)) throw new Error(`${where}: the source no longer contains "${find.slice(0, 60)}"; update scripts/ehr-templates.ts`);
	return text.replace(find, () => replacement);
}

/** Replaces the line that starts with `prefix`. */
function replaceLine(text: string, prefix: string, replacement: string, where: string): string {
	const line = text.split('\n').find((candidate) => candidate.startsWith(prefix));
	if (line === undefined) throw new Error(`${where}: the source no longer has a line starting "${prefix}"; update scripts/ehr-templates.ts`);
	return text.replace(line, () => replacement);
}

function editSticky(template: Template, name: string, edit: (content: string) => string): void {
	const sticky = template.nodes.find((node) => node.name === name && node.type === stickyType);
	if (!sticky) throw new Error(`${template.name}: no sticky note "${name}"`);
	sticky.parameters.content = edit(String(sticky.parameters.content));
}

/** The pack's EHR pickers: `ehr` on the nodes that talk to the EHR, `lookupEhr` on Journey Log's lookup (patient keys). */
const ehrParameters = ['ehr', 'lookupEhr'];

function setEhr(template: Template, ehr: string): void {
	for (const node of template.nodes) {
		if (!node.type.startsWith(pack)) continue;
		for (const name of ehrParameters) if (name in node.parameters) node.parameters[name] = ehr;
	}
}

/** The enabled nodes that read the EHR through its API credential (the EHR Trigger only verifies pushed events). */
export function nodesNeedingEhrCredential(template: Template): string[] {
	return template.nodes
		.filter((node) => node.type.startsWith(pack) && 'ehr' in node.parameters && node.type !== ehrTriggerType && !node.disabled)
		.map((node) => node.name);
}

function removeNode(template: Template, name: string): void {
	template.nodes = template.nodes.filter((node) => node.name !== name);
	delete template.connections[name];
}

function nodeOfType(template: Template, type: string): TemplateNode {
	const node = template.nodes.find((candidate) => candidate.type === type);
	if (!node) throw new Error(`${template.name}: no ${type} node`);
	return node;
}

/** The HL7 v2 Trigger takes the EHR Trigger's place and connections; the sender pushes, so no poll either. */
function useHl7v2Trigger(template: Template, webhook: TemplateNode, poll: TemplateNode): void {
	const outputs = template.connections[webhook.name];
	removeNode(template, poll.name);
	removeNode(template, webhook.name);
	template.nodes.push({
		id: webhook.id,
		name: 'HL7 v2 Trigger',
		type: hl7v2TriggerType,
		typeVersion: 1,
		position: webhook.position,
		parameters: { port: 2575 },
	});
	template.connections['HL7 v2 Trigger'] = outputs;
}

/** Leaves exactly one enabled trigger of the variant's kind; returns what the set-up steps say about connecting it. */
function pickTrigger(template: Template, variant: EhrVariant): string {
	const webhook = nodeOfType(template, ehrTriggerType);
	const poll = nodeOfType(template, pollTriggerType);
	if (variant.intake === 'hl7v2') {
		useHl7v2Trigger(template, webhook, poll);
		return `3. Select *Post-Visit Journey Store* in *HL7 v2 Trigger* (and an *HL7 v2 MLLP TLS* credential unless the feed runs on a private network), set its **Port** and **Allowed Client Addresses**, and ask the EHR's interface team to send SIU/ADT^A03 to this host and port (${variant.setupPage}).`;
	}
	const [on, off] = variant.intake === 'poll' ? [poll, webhook] : [webhook, poll];
	delete on.disabled;
	if (variant.pollTimes && on === poll) on.parameters.pollTimes = variant.pollTimes;
	if (variant.keepsOtherTrigger) off.disabled = true;
	else removeNode(template, off.name);
	const alternative = variant.keepsOtherTrigger
		? off === webhook
			? ` *${webhook.name}* is off: it is for push (${variant.setupPage}); turn one of the two on, never both.`
			: ` *${poll.name}* is off: if you cannot register the webhook, turn it on with the *${variant.credential}* credential, and *${webhook.name}* off.`
		: '';
	const note = `${alternative}${variant.intakeNote ?? ''}`;
	if (on === poll) {
		return `3. *${poll.name}* asks the EHR for completed visits on its **Poll Times**; nothing to register. Click **Fetch Test Event** in it once the credential is set.${note}`;
	}
	return `3. Select *EHR Webhook Secret* in *${webhook.name}*, **Publish**, then give the EHR the trigger's **Production URL** and the secret (${variant.setupPage}).${note}`;
}

function threeStageVariant(source: Template, variant: EhrVariant): Template {
	const template = copy(source);
	template.name = `${source.name} (${variant.label})`;
	setEhr(template, variant.ehr);
	const connectStep = pickTrigger(template, variant);
	const where = `${template.name} overview`;
	editSticky(template, 'Overview', (content) => {
		let text = replaceExactly(content, 'your EHR (FHIR R4, athenahealth or DrChrono), *EHR Webhook Secret*', `*${variant.credential}*${variant.credentialHint}`, where);
		text = replaceLine(
			text,
			'2. Pick the same **EHR**',
			`2. **EHR** is already set to ${variant.label} in every node. Select the *${variant.credential}* credential in ${italic(nodesNeedingEhrCredential(template))}; the journey store, practice profile, Twilio and SMTP credentials in every node that asks. Step by step: ${variant.setupPage}.`,
			where,
		);
		return replaceLine(text, '3. Give the EHR the trigger', connectStep, where);
	});
	editSticky(template, 'Stage 1 note', (content) =>
		replaceLine(content, '*EHR Poll Trigger* is off', `Visits arrive through ${italic(enabledTriggers(template))}: see step 3 of the overview.`, `${template.name} stage 1 note`),
	);
	editSticky(template, 'Stage 3 note', (content) =>
		replaceExactly(content, '(athenahealth patient case, DrChrono task, FHIR Task)', `(${variant.task})`, `${template.name} stage 3 note`),
	);
	return template;
}

function recallVariant(source: Template, variant: EhrVariant): Template {
	const template = copy(source);
	template.name = `${source.name} (${variant.label})`;
	setEhr(template, variant.ehr);
	editSticky(template, 'Overview', (content) =>
		replaceExactly(
			content,
			'pick your EHR in every EHR node (*Recalls Coming Due*, *Journey Due Trigger*, *Recall Booked?*, *Recall Booked After Reminder?*, *Staff Recall Task*)',
			`**EHR** is already set to ${variant.label}; select the *${variant.credential}* credential${variant.credentialHint} in ${italic(nodesNeedingEhrCredential(template))} (step by step: ${variant.setupPage})`,
			`${template.name} overview`,
		),
	);
	return template;
}

function ehrFacingVariant(source: Template, spec: EhrFacingSource, variant: EhrVariant): Template {
	const template = copy(source);
	template.name = `${source.name} (${variant.label})`;
	setEhr(template, variant.ehr);
	const where = `${template.name} overview`;
	const lead = /^\d+\. /.exec(spec.pickEhrLine)?.[0] ?? '';
	editSticky(template, 'Overview', (content) =>
		replaceLine(
			content,
			spec.pickEhrLine,
			`${lead}**EHR** is already set to ${variant.label} in every node. Select the *${variant.credential}* credential${variant.credentialHint} in ${italic(nodesNeedingEhrCredential(template))} (step by step: ${variant.setupPage}).`,
			where,
		),
	);
	for (const [name, parameters] of Object.entries(spec.notOffered?.(variant) ?? {})) {
		const node = template.nodes.find((candidate) => candidate.name === name);
		if (!node) throw new Error(`${template.name}: no node "${name}"`);
		for (const parameter of parameters) delete node.parameters[parameter];
	}
	for (const { sticky, text } of spec.drop ?? []) editSticky(template, sticky, (content) => replaceExactly(content, text, '', `${template.name} ${sticky}`));
	return template;
}

/** The names of the enabled trigger nodes of the pack's EHR intake. */
export function enabledTriggers(template: Template): string[] {
	return template.nodes.filter((node) => [ehrTriggerType, pollTriggerType, hl7v2TriggerType].includes(node.type) && !node.disabled).map((node) => node.name);
}

/** Every per-EHR copy, by file name under by-ehr/, as the text written to disk. */
export function deriveEhrTemplates(templatesDir: string): Map<string, string> {
	const read = (file: string) => JSON.parse(readFileSync(join(templatesDir, file), 'utf8')) as Template;
	const threeStage = read(sourceFiles.threeStage);
	const recall = read(sourceFiles.recall);
	const files = new Map<string, string>();
	const write = (file: string, template: Template) => files.set(file, `${JSON.stringify(template, null, '\t')}\n`);
	for (const variant of ehrVariants) {
		write(variantFileName(sourceFiles.threeStage, variant), threeStageVariant(threeStage, variant));
		if (variant.recalls) write(variantFileName(sourceFiles.recall, variant), recallVariant(recall, variant));
	}
	for (const spec of ehrFacingSources) {
		const source = read(spec.file);
		for (const variant of ehrVariants.filter((candidate) => !spec.unsupported?.(candidate))) {
			write(variantFileName(spec.file, variant), ehrFacingVariant(source, spec, variant));
		}
	}
	return files;
}

/** Rewrites workflows-templates/by-ehr/ from the sources; a copy no variant makes any more is deleted. */
export function writeEhrTemplates(templatesDir: string): string[] {
	const outDir = join(templatesDir, 'by-ehr');
	mkdirSync(outDir, { recursive: true });
	const files = deriveEhrTemplates(templatesDir);
	for (const stale of readdirSync(outDir).filter((file) => file.endsWith('.json') && !files.has(file))) rmSync(join(outDir, stale));
	for (const [file, text] of files) writeFileSync(join(outDir, file), text);
	return [...files.keys()];
}

if (process.argv[1]?.endsWith('ehr-templates.ts')) {
	const written = writeEhrTemplates(join(process.cwd(), 'workflows-templates'));
	console.log(`workflows-templates/by-ehr: ${written.join(', ')}`);
}
