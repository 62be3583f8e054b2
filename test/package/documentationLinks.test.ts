import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

import type { INodeType, IVersionedNodeType } from 'n8n-workflow';

import { BookingCheck } from '../../nodes/BookingCheck/BookingCheck.node';
import { CadenceWait } from '../../nodes/CadenceWait/CadenceWait.node';
import { ChannelRouter } from '../../nodes/ChannelRouter/ChannelRouter.node';
import { DeliveryStatusTrigger } from '../../nodes/DeliveryStatusTrigger/DeliveryStatusTrigger.node';
import { EhrPollTrigger } from '../../nodes/EhrPollTrigger/EhrPollTrigger.node';
import { EhrTask } from '../../nodes/EhrTask/EhrTask.node';
import { EhrTrigger } from '../../nodes/EhrTrigger/EhrTrigger.node';
import { FollowUpReport } from '../../nodes/FollowUpReport/FollowUpReport.node';
import { Hl7v2Trigger } from '../../nodes/Hl7v2Trigger/Hl7v2Trigger.node';
import { JourneyDueTrigger } from '../../nodes/JourneyDueTrigger/JourneyDueTrigger.node';
import { JourneyLog } from '../../nodes/JourneyLog/JourneyLog.node';
import { PatientMessage } from '../../nodes/PatientMessage/PatientMessage.node';
import { PatientReplyTrigger } from '../../nodes/PatientReplyTrigger/PatientReplyTrigger.node';
import { RecordDelivery } from '../../nodes/RecordDelivery/RecordDelivery.node';
import { StaffEmail } from '../../nodes/StaffEmail/StaffEmail.node';
import { TimelinePreview } from '../../nodes/TimelinePreview/TimelinePreview.node';
import { VisitDetails } from '../../nodes/VisitDetails/VisitDetails.node';
import { headingSections } from './markdown';

/*
 * Every documentation link the package ships (credentials' documentationUrl, the nodes' codex resources,
 * package.json's homepage) derives from one place: package.json's `repository`, through `documentationLink`
 * below. Until a maintainer sets it, the links point to the npm package page, which shows only the README: a
 * credential with a set-up page under docs/ links to its README section, and that section links to the page.
 * Once `repository` is set, such a link is the page itself in the repository (CONTRIBUTING.md). README anchors
 * must be headings of the README, which both the npm page and the repository show.
 */

const root = resolve(__dirname, '../..');
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
	name: string;
	homepage?: string;
	repository?: string | { url?: string };
};

/** https://github.com/<owner>/<name> from the forms npm accepts, or null when the field is not set. */
function repositoryPage(repository: string | { url?: string } | undefined): string | null {
	const url = typeof repository === 'string' ? repository : repository?.url;
	if (!url) return null;
	const shorthand = /^(?:github:)?([\w.-]+)\/([\w.-]+)$/.exec(url);
	if (shorthand) return `https://github.com/${shorthand[1]}/${shorthand[2].replace(/\.git$/, '')}`;
	const full = /^(?:git\+)?(?:https?|git|ssh):\/\/(?:git@)?github\.com[/:]([\w.-]+)\/([\w.-]+?)(?:\.git)?\/?$/.exec(url);
	if (!full) throw new Error(`package.json repository "${url}" is not a GitHub address this test understands`);
	return `https://github.com/${full[1]}/${full[2]}`;
}

const npmPage = `https://www.npmjs.com/package/${manifest.name}`;
const repository = repositoryPage(manifest.repository);
const docsBase = repository ?? npmPage;
const readme = readFileSync(join(root, 'README.md'), 'utf8');

/**
 * Where each credential's documentation leads: its README section (under "Credentials") and, for a credential
 * that needs something from a vendor, its set-up page. The EHR Webhook Secret serves three EHRs, so it keeps its
 * README section, which links to each of their pages; the practice profile and the journey store need nothing
 * from a vendor. A new credential gets a row here.
 */
const credentialDocs: Record<string, { section: string; page?: string }> = {
	'AthenahealthApi.credentials.ts': { section: 'athenahealth-athenaone-api', page: 'docs/setup-athenahealth.md' },
	'DrChronoOAuth2Api.credentials.ts': { section: 'drchrono-oauth2-api', page: 'docs/setup-drchrono.md' },
	'FhirR4Api.credentials.ts': { section: 'fhir-r4-api-epic-and-other-fhir-ehrs', page: 'docs/setup-fhir-epic.md' },
	'TebraApi.credentials.ts': { section: 'tebra-kareo-soap-api', page: 'docs/setup-tebra.md' },
	'Hl7v2MllpTlsApi.credentials.ts': { section: 'hl7-v2-mllp-tls', page: 'docs/setup-hl7v2.md' },
	'PostVisitTwilioApi.credentials.ts': { section: 'post-visit-twilio-api', page: 'docs/setup-twilio.md' },
	'PostVisitSmtpApi.credentials.ts': { section: 'post-visit-smtp', page: 'docs/setup-email.md' },
	'EhrWebhookApi.credentials.ts': { section: 'ehr-webhook-secret' },
	'PracticeProfileApi.credentials.ts': { section: 'post-visit-practice-profile' },
	'JourneyStoreApi.credentials.ts': { section: 'post-visit-journey-store' },
	'PostVisitMessageTextsApi.credentials.ts': { section: 'post-visit-message-texts' },
};

/**
 * The one rule every shipped documentation link follows. Without a repository: the npm page and a README
 * anchor (the npm page cannot show docs/). With one: a page under docs/ at the repository's default branch
 * (`blob/HEAD`), or the repository's README and an anchor.
 */
function documentationLink(repositoryUrl: string | null, target: { section: string; page?: string }): string {
	if (repositoryUrl && target.page) return `${repositoryUrl}/blob/HEAD/${target.page}`;
	return `${repositoryUrl ?? npmPage}#${target.section}`;
}

function credentialFiles(): string[] {
	return readdirSync(join(root, 'credentials')).filter((file) => file.endsWith('.credentials.ts'));
}

function declaredDocumentationUrl(file: string): string {
	const declared = /^\s*documentationUrl = '([^']+)';$/m.exec(readFileSync(join(root, 'credentials', file), 'utf8'));
	expect(declared).not.toBeNull();
	return declared![1];
}

/** The credential type name (`name = '…'`) each credential file declares, mapped to its file. */
function credentialFileByType(): Map<string, string> {
	return new Map(
		credentialFiles().map((file) => [/^\s*name = '([^']+)';$/m.exec(readFileSync(join(root, 'credentials', file), 'utf8'))![1], file]),
	);
}

const packNodes: Record<string, INodeType | IVersionedNodeType> = {
	BookingCheck: new BookingCheck(),
	CadenceWait: new CadenceWait(),
	ChannelRouter: new ChannelRouter(),
	DeliveryStatusTrigger: new DeliveryStatusTrigger(),
	EhrPollTrigger: new EhrPollTrigger(),
	EhrTask: new EhrTask(),
	EhrTrigger: new EhrTrigger(),
	FollowUpReport: new FollowUpReport(),
	Hl7v2Trigger: new Hl7v2Trigger(),
	JourneyDueTrigger: new JourneyDueTrigger(),
	JourneyLog: new JourneyLog(),
	PatientMessage: new PatientMessage(),
	PatientReplyTrigger: new PatientReplyTrigger(),
	RecordDelivery: new RecordDelivery(),
	StaffEmail: new StaffEmail(),
	TimelinePreview: new TimelinePreview(),
	VisitDetails: new VisitDetails(),
};

/** The credential types a node declares, over all its versions. */
function declaredCredentials(node: INodeType | IVersionedNodeType): Set<string> {
	const descriptions = 'nodeVersions' in node ? Object.values(node.nodeVersions).map((version) => version.description) : [node.description];
	return new Set(descriptions.flatMap((description) => (description.credentials ?? []).map((credential) => credential.name)));
}

function nodeDirectories(): string[] {
	return readdirSync(join(root, 'nodes'), { withFileTypes: true })
		.filter((entry) => entry.isDirectory() && entry.name !== 'shared')
		.map((entry) => entry.name);
}

function codexOf(directory: string): { resources?: Record<string, Array<{ url: string }>> } {
	const file = readdirSync(join(root, 'nodes', directory)).find((name) => name.endsWith('.node.json'));
	expect(file).toBeDefined();
	return JSON.parse(readFileSync(join(root, 'nodes', directory, file!), 'utf8')) as { resources?: Record<string, Array<{ url: string }>> };
}

function setupPagesOnDisk(): string[] {
	return readdirSync(join(root, 'docs'))
		.filter((file) => /^setup-.+\.md$/.test(file))
		.map((file) => `docs/${file}`)
		.sort();
}

/** The text under a README heading, or fails when the README has no such heading. */
function readmeSection(anchor: string): string {
	const section = headingSections(readme).find((candidate) => candidate.anchor === anchor);
	expect(section).toBeDefined();
	return section!.body;
}

describe('documentation links', () => {
	it('derive from package.json', () => {
		expect(repositoryPage(undefined)).toBeNull();
		expect(repositoryPage('github:owner/name')).toBe('https://github.com/owner/name');
		expect(repositoryPage({ url: 'git+https://github.com/owner/name.git' })).toBe('https://github.com/owner/name');
		expect([docsBase, `${docsBase}#readme`]).toContain(manifest.homepage);
	});

	it('lead to the README section on the npm page today, and to the set-up page once the repository is named', () => {
		const athena = credentialDocs['AthenahealthApi.credentials.ts'];
		const secret = credentialDocs['EhrWebhookApi.credentials.ts'];
		expect(documentationLink(null, athena)).toBe(`${npmPage}#athenahealth-athenaone-api`);
		expect(documentationLink('https://github.com/owner/name', athena)).toBe('https://github.com/owner/name/blob/HEAD/docs/setup-athenahealth.md');
		expect(documentationLink(null, secret)).toBe(`${npmPage}#ehr-webhook-secret`);
		expect(documentationLink('https://github.com/owner/name', secret)).toBe('https://github.com/owner/name#ehr-webhook-secret');
	});

	it('cover every credential, and only those', () => {
		expect(Object.keys(credentialDocs).sort()).toEqual(credentialFiles().sort());
	});

	it('every set-up page exists, and each is the page of a credential', () => {
		const pages = [...new Set(Object.values(credentialDocs).flatMap((target) => (target.page ? [target.page] : [])))].sort();
		expect(setupPagesOnDisk()).toEqual(pages);
	});

	it.each(credentialFiles())("%s: documentationUrl resolves to the credential's set-up page or README section", (file) => {
		const target = credentialDocs[file];
		expect(target).toBeDefined();
		expect(declaredDocumentationUrl(file)).toBe(documentationLink(repository, target));
		// The README section is what the npm page shows; it must lead on to the set-up page.
		const section = readmeSection(target.section);
		if (target.page) expect(section).toContain(`](${target.page})`);
	});

	it('the go-live checklist links every set-up page', () => {
		const checklist = readmeSection('go-live-checklist');
		for (const page of setupPagesOnDisk()) expect(checklist).toContain(`](${page})`);
	});

	it.each(nodeDirectories())('%s: codex documentation is the package page and the links of the credentials it declares', (directory) => {
		const resources = codexOf(directory).resources ?? {};
		expect(resources.primaryDocumentation?.map(({ url }) => url)).toEqual([docsBase]);
		const node = packNodes[directory];
		expect(node).toBeDefined();
		const files = credentialFileByType();
		const expected = [...declaredCredentials(node)].map((type) => {
			expect(files.get(type)).toBeDefined();
			return documentationLink(repository, credentialDocs[files.get(type)!]);
		});
		expect((resources.credentialDocumentation ?? []).map(({ url }) => url).sort()).toEqual(expected.sort());
	});
});
