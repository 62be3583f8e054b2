import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { DateTime } from 'luxon';
import type { DurationLikeObject } from 'luxon';
import type { Browser, Locator, Page } from 'playwright-core';

import { builtInTexts } from '../../nodes/shared/core/compose/texts';
import { athenaPatientId, openAthenaVisit } from '../../sandbox/athena-demo';
import { easternStamp } from '../../sandbox/athenahealth-server';
import { demoPatients, demoPractice } from '../../sandbox/demo-patients';
import type { Sandbox } from '../../sandbox/environment';
import { practiceNumber, twilioAccount } from '../../sandbox/environment';
import { projectRoot } from '../../sandbox/n8n';
import { zoneWhereNowIsBetween } from '../../sandbox/zones';
import { launchChromium, ownerAuthCookie } from './browser';
import { eventually, outputOf, startE2eSandbox, withJourneyStore } from './harness';

/*
 * Issue #17's "Done when": an ops person takes the athenahealth practice live from n8n 2.41.1's editor in headless
 * Chromium. Credentials are typed into their forms, the template is imported from a file, texts and test mode are
 * changed in the credential forms, Timeline Preview and Publish are clicked; the patients' side is the sandbox's
 * athenahealth fake, Twilio-shaped API and SMTP sink. Screenshots: test/artifacts/golive-<step>.png.
 *
 * The sandbox seeds its own credentials ("Sandbox <type>"); this test's are made through the forms and named
 * "Go-Live …", and only they are used by the workflows imported here.
 */

const artifacts = join(projectRoot, 'test', 'artifacts');
const names = {
	athenahealthApi: 'Go-Live athenahealth',
	practiceProfileApi: 'Go-Live Practice Profile',
	postVisitMessageTextsApi: 'Go-Live Message Texts',
	postVisitTwilioApi: 'Go-Live Twilio',
	postVisitSmtpApi: 'Go-Live SMTP',
	journeyStoreApi: 'Go-Live Journey Store',
} as const;
type CredentialType = keyof typeof names;
const displayNames: Record<CredentialType, string> = {
	athenahealthApi: 'athenahealth (athenaOne) API',
	practiceProfileApi: 'Post-Visit Practice Profile',
	postVisitMessageTextsApi: 'Post-Visit Message Texts',
	postVisitTwilioApi: 'Post-Visit Twilio API',
	postVisitSmtpApi: 'Post-Visit SMTP',
	journeyStoreApi: 'Post-Visit Journey Store',
};
const reminderSms = 'Hi {{firstName}}, {{practiceName}} here: your {{actionType}} is still open. Book: {{schedulingLink}} or call {{practicePhone}}.';
const builtInReminderEmailBody = builtInTexts.en.templates?.actionReminder?.emailBody as string;

const listed = demoPatients.find((p) => p.key === 'john')!;
const notListed = demoPatients.find((p) => p.key === 'ana')!;

let sandbox: Sandbox;
let browser: Browser;
let page: Page;
const credentialIds = {} as Record<CredentialType, string>;
const workflowIds = { threeStage: '', preview: '' };

beforeAll(async () => {
	sandbox = await startE2eSandbox('golive', 5840);
	browser = await launchChromium();
	const context = await browser.newContext({ viewport: { width: 1600, height: 1000 } });
	await context.addCookies([{ name: 'n8n-auth', value: await ownerAuthCookie(sandbox.n8n.baseUrl), url: sandbox.n8n.baseUrl }]);
	page = await context.newPage();
	mkdirSync(artifacts, { recursive: true });
}, 300_000);

afterAll(async () => {
	await browser?.close();
	await sandbox?.stop();
});

async function screenshot(step: string): Promise<void> {
	await page.screenshot({ path: join(artifacts, `golive-${step}.png`) });
}

/** On a failure, what the page showed, for the next person to read (not an assertion). */
async function keepEvidence(step: string): Promise<void> {
	const dir = join(sandbox.options.workDir, 'evidence');
	mkdirSync(dir, { recursive: true });
	await page.screenshot({ path: join(dir, `${step}.png`) }).catch(() => undefined);
	writeFileSync(join(dir, `${step}.html`), await page.content().catch(() => ''));
}

/** The steps build on each other: after a failed one, the later ones fail at once instead of waiting out their timeouts. */
let failedStep: string | undefined;

async function step<T>(name: string, work: () => Promise<T>): Promise<T> {
	try {
		return await work();
	} catch (error) {
		failedStep = name;
		await keepEvidence(name);
		throw error;
	}
}

// The form's header (name, Save) sits beside the element n8n marks credential-edit-dialog, inside the same modal.
const dialog = () => page.locator('.el-dialog:has([data-test-id="credential-edit-dialog"])');
const field = (name: string, scope: Locator = dialog()) => scope.locator(`[data-test-id="parameter-input-${name}"]`);

async function typeInto(name: string, value: string, scope?: Locator): Promise<void> {
	const input = field(name, scope).locator('input, textarea').first();
	await input.click();
	await input.fill(value);
	await input.press('Tab');
}

/** Picks an option of a dropdown field by its visible text (typing to filter long lists such as time zones). */
async function choose(name: string, option: string, scope?: Locator): Promise<void> {
	const input = field(name, scope).locator('input').first();
	await input.click();
	await input.pressSequentially(option.slice(0, 12));
	await page.locator('.el-select-dropdown__item:visible', { hasText: option }).first().click();
}

/** Saves the open credential form and waits for its connection test to pass; resolves with the credential's id. */
async function saveCredential(): Promise<string> {
	const saved = page.waitForResponse((r) => /\/rest\/credentials(\/[^/?]+)?(\?|$)/.test(r.url()) && ['POST', 'PATCH'].includes(r.request().method()));
	await dialog().locator('[data-test-id="credential-save-button"]').click();
	const response = await saved;
	expect(response.ok()).toBe(true);
	await dialog().getByText('Connection tested successfully').waitFor({ state: 'visible' });
	return ((await response.json()) as { data: { id: string } }).data.id;
}

async function closeCredential(): Promise<void> {
	await page.keyboard.press('Escape');
	await dialog().waitFor({ state: 'hidden' });
}

/** Settings → Credentials → Create credential → the type → its form, named. */
async function newCredential(type: CredentialType): Promise<void> {
	await page.goto(`${sandbox.n8n.baseUrl}/home/credentials/create`);
	const typeSelect = page.locator('[data-test-id="new-credential-type-select"] input');
	await typeSelect.click();
	await typeSelect.pressSequentially(displayNames[type]);
	await page.locator('[data-test-id="new-credential-type-select-option"]', { hasText: displayNames[type] }).first().click();
	await page.locator('[data-test-id="new-credential-type-button"]').click();
	await dialog().waitFor({ state: 'visible' });
	await dialog().locator('[data-test-id="inline-edit-preview"]').click();
	await page.keyboard.press('Control+a');
	await page.keyboard.type(names[type]);
	await page.keyboard.press('Enter');
}

async function openCredential(type: CredentialType): Promise<void> {
	await page.goto(`${sandbox.n8n.baseUrl}/home/credentials/${credentialIds[type]}`);
	await dialog().waitFor({ state: 'visible' });
}

async function credentialData(type: CredentialType): Promise<Record<string, unknown>> {
	return (await sandbox.client.rest('GET', `/credentials/${credentialIds[type]}?includeData=true`)).data.data as Record<string, unknown>;
}

/**
 * A workflow file as a practice keeps it: the shipped template with this practice's credentials selected in each
 * node (by the credential types the node declares), and the EHR picked where asked.
 */
async function workflowFile(template: string, ehrOverride?: string): Promise<string> {
	const source = JSON.parse(readFileSync(join(projectRoot, 'workflows-templates', template), 'utf8')) as { nodes: Array<Record<string, unknown>> };
	const declared = new Map<string, string[]>();
	for (const type of (await sandbox.client.nodeTypes()) as Array<{ name: string; credentials?: Array<{ name: string }> }>) {
		declared.set(type.name, (type.credentials ?? []).map((credential) => credential.name));
	}
	const nodes = source.nodes.map((node) => {
		const type = String(node.type);
		if (!type.startsWith('n8n-nodes-post-visit.')) return node;
		const parameters = { ...(node.parameters as Record<string, unknown>) };
		if (ehrOverride && 'ehr' in parameters) parameters.ehr = ehrOverride;
		const ours = (declared.get(type) ?? []).filter((credentialType): credentialType is CredentialType => credentialType in names);
		const credentials = Object.fromEntries(ours.map((credentialType) => [credentialType, { id: credentialIds[credentialType], name: names[credentialType] }]));
		return { ...node, parameters, credentials };
	});
	const path = join(sandbox.options.workDir, `import-${template.replace(/\//g, '-')}`);
	writeFileSync(path, JSON.stringify({ ...source, nodes }, null, 2));
	return path;
}

/** Workflow menu → Import from File… in a new workflow, then saves it; resolves with its id. */
async function importWorkflow(file: string, nodeCount: number): Promise<string> {
	await page.goto(`${sandbox.n8n.baseUrl}/workflow/new`);
	await page.locator('[data-test-id="canvas-wrapper"]').waitFor({ state: 'visible' });
	await page.locator('[data-test-id="workflow-menu"]').click();
	await page.getByText('Import', { exact: true }).hover();
	const chooser = page.waitForEvent('filechooser');
	await page.locator('[role=menuitem]:visible', { hasText: 'From file' }).first().click();
	await (await chooser).setFiles(file);
	await eventually(`${nodeCount} nodes on the canvas`, async () => ((await page.locator('[data-test-id="canvas-node"]').count()) === nodeCount ? true : undefined));
	const saved = page.waitForResponse((r) => /\/rest\/workflows(\/[^/?]+)?(\?|$)/.test(r.url()) && ['POST', 'PATCH'].includes(r.request().method()) && r.ok());
	await page.keyboard.press('Control+s');
	return ((await (await saved).json()) as { data: { id: string } }).data.id;
}

const templateNodes = (file: string) =>
	(JSON.parse(readFileSync(join(projectRoot, 'workflows-templates', file), 'utf8')) as { nodes: Array<{ type: string }> }).nodes.filter(
		(node) => node.type !== 'n8n-nodes-base.stickyNote',
	).length;

function smsTo(number: string, since: number) {
	return sandbox.twilio.messages.filter((m) => m.to === number && m.receivedAt >= since);
}
function emailsTo(address: string, since: number) {
	return sandbox.smtp.messages.filter((m) => m.to.includes(address) && m.receivedAt >= since);
}

/**
 * A visit of a demo patient, closed in athenahealth: checked out `closedAgo` ago, its check-out reported on the
 * changed feed now (the poll trigger ignores changes older than its start), so stage 2 falls due within minutes.
 */
function closeVisit(patient: (typeof demoPatients)[number], closedAgo: DurationLikeObject, zone: string) {
	const closedAt = DateTime.now().minus(closedAgo);
	const { appointmentId } = openAthenaVisit(sandbox.athena, patient, zone, {
		patientId: athenaPatientId(patient),
		appointmentId: `${athenaPatientId(patient)}${Date.now() % 1_000_000}`,
		closedAt,
	});
	sandbox.athena.emitChange({ appointmentId, status: '3', fields: { checkoutdatetime: easternStamp(closedAt.toJSDate()), encounterstatus: 'CHECKEDOUT' } });
	return { appointmentId, journeyId: `visit:athenahealth:${appointmentId}` };
}

const journalOf = async (journeyId: string) => await withJourneyStore(sandbox, async (store) => await store.journal({ journeyId }));

describe('going live on athenahealth from the n8n editor', () => {
	beforeEach(() => {
		if (failedStep) throw new Error(`step ${failedStep} failed`);
	});

	it('1. creates the athenahealth set of credentials through the credential forms', async () => {
		await step('1-athenahealth', async () => {
			await newCredential('athenahealthApi');
			await choose('environment', 'Custom Base URL');
			await typeInto('baseUrl', sandbox.athena.url);
			await typeInto('clientId', 'sandbox-client');
			await typeInto('clientSecret', 'sandbox-client-secret');
			await typeInto('practiceId', sandbox.athena.practiceId);
			credentialIds.athenahealthApi = await saveCredential();
			await screenshot('1-athenahealth');
			await closeCredential();
		});
		await step('1-practice-profile', async () => {
			await newCredential('practiceProfileApi');
			await typeInto('practiceName', demoPractice.name);
			await typeInto('practicePhone', demoPractice.phone);
			await choose('defaultZone', demoPractice.zone);
			// Care summary and reminder within minutes of each other in this test: allow them on one day.
			await typeInto('perPatientPerDay', '3');
			await typeInto('perNumberPerDay', '5');
			const links = dialog().locator('[data-test-id="fixed-collection-schedulingLinkRows"]');
			await links.locator('[data-test-id="fixed-collection-add"]').click();
			await typeInto('url', 'https://riverside.example/schedule?order={orderId}', links);
			const staff = dialog().locator('[data-test-id="fixed-collection-staffRows"]');
			await staff.locator('[data-test-id="fixed-collection-add"]').click();
			await typeInto('key', demoPractice.coordinator.key, staff);
			await typeInto('name', demoPractice.coordinator.name, staff);
			await typeInto('email', demoPractice.coordinator.email, staff);
			await typeInto('athenahealthUserId', 'jcoordinator', staff);
			credentialIds.practiceProfileApi = await saveCredential();
			await links.scrollIntoViewIfNeeded();
			await screenshot('1-practice-profile');
			await closeCredential();
		});
		await step('1-message-texts', async () => {
			await newCredential('postVisitMessageTextsApi');
			credentialIds.postVisitMessageTextsApi = await saveCredential();
			await closeCredential();
		});
		await step('1-twilio', async () => {
			await newCredential('postVisitTwilioApi');
			await typeInto('accountSid', twilioAccount.accountSid);
			await typeInto('authToken', twilioAccount.authToken);
			await typeInto('from', practiceNumber);
			await typeInto('apiBaseUrl', sandbox.twilio.url);
			credentialIds.postVisitTwilioApi = await saveCredential();
			await screenshot('1-twilio');
			await closeCredential();
		});
		await step('1-smtp', async () => {
			await newCredential('postVisitSmtpApi');
			await typeInto('host', '127.0.0.1');
			await typeInto('port', String(sandbox.smtp.port));
			await choose('security', 'None');
			await typeInto('fromEmail', 'care@riverside.example');
			await typeInto('fromName', demoPractice.name);
			credentialIds.postVisitSmtpApi = await saveCredential();
			await screenshot('1-smtp');
			await closeCredential();
		});
		await step('1-journey-store', async () => {
			await newCredential('journeyStoreApi');
			await typeInto('sqlitePath', sandbox.journeyStorePath);
			await typeInto('contactHashSecret', demoPractice.contactHashSecret);
			credentialIds.journeyStoreApi = await saveCredential();
			await screenshot('1-journey-store');
			await closeCredential();
		});

		const profile = await credentialData('practiceProfileApi');
		expect(profile).toMatchObject({
			practiceName: demoPractice.name,
			defaultZone: demoPractice.zone,
			// n8n stores no field left at its default (Order Type "Default"): the row holds the address only.
			schedulingLinkRows: { link: [expect.objectContaining({ url: 'https://riverside.example/schedule?order={orderId}' })] },
			staffRows: { member: [expect.objectContaining({ key: demoPractice.coordinator.key, athenahealthUserId: 'jcoordinator' })] },
		});
		expect(await credentialData('athenahealthApi')).toMatchObject({ environment: 'custom', baseUrl: sandbox.athena.url, practiceId: sandbox.athena.practiceId });
		expect(await credentialData('postVisitSmtpApi')).toMatchObject({ host: '127.0.0.1', port: sandbox.smtp.port, security: 'none' });
	});

	it('2. imports the athenahealth template (and Timeline Preview) from a file in the editor', async () => {
		await step('2-import', async () => {
			workflowIds.threeStage = await importWorkflow(await workflowFile('by-ehr/post-visit-three-stage.athenahealth.json'), templateNodes('by-ehr/post-visit-three-stage.athenahealth.json'));
			await page.locator('[data-test-id="zoom-to-fit"]').click();
			await screenshot('2-import');
		});
		const workflow = (await sandbox.client.rest('GET', `/workflows/${workflowIds.threeStage}`)).data as {
			nodes: Array<{ name: string; type: string; parameters: { ehr?: string }; credentials?: Record<string, { id: string }> }>;
		};
		const ehrNodes = workflow.nodes.filter((node) => node.parameters.ehr !== undefined);
		expect(ehrNodes.map((node) => node.parameters.ehr)).toEqual(ehrNodes.map(() => 'athenahealth'));
		// Every node that talks to athenahealth (all but the push-only EHR Trigger, off in this template) uses the form-made credential.
		const apiNodes = ehrNodes.filter((node) => node.type !== 'n8n-nodes-post-visit.ehrTrigger');
		const template = JSON.parse(readFileSync(join(projectRoot, 'workflows-templates', 'by-ehr', 'post-visit-three-stage.athenahealth.json'), 'utf8')) as {
			nodes: Array<{ name: string; type: string; parameters: { ehr?: string } }>;
		};
		const templateApiNodes = template.nodes.filter((node) => node.parameters.ehr !== undefined && node.type !== 'n8n-nodes-post-visit.ehrTrigger');
		expect(apiNodes.map((node) => node.name).sort()).toEqual(templateApiNodes.map((node) => node.name).sort());
		for (const node of apiNodes) expect(node.credentials?.athenahealthApi?.id).toBe(credentialIds.athenahealthApi);
	});

	it('3. changes the reminder SMS (English) in Message Texts and leaves the reminder email as built in', async () => {
		await step('3-message-texts', async () => {
			await openCredential('postVisitMessageTextsApi');
			const sms = field('actionReminder_en_sms');
			await sms.scrollIntoViewIfNeeded();
			await typeInto('actionReminder_en_sms', reminderSms);
			await saveCredential();
			await sms.scrollIntoViewIfNeeded();
			await screenshot('3-message-texts');
			expect(await field('actionReminder_en_emailBody').locator('textarea').first().inputValue()).toBe(builtInReminderEmailBody);
			await closeCredential();
		});
		const texts = await credentialData('postVisitMessageTextsApi');
		expect(texts.actionReminder_en_sms).toBe(reminderSms);
		// n8n stores a field left at its default not at all: the reminder email body is the built-in one.
		expect(texts).not.toHaveProperty('actionReminder_en_emailBody');
	});

	it('4. turns test mode on: the Practice Profile sends only to one demo patient', async () => {
		await step('4-test-mode', async () => {
			await openCredential('practiceProfileApi');
			await typeInto('testModeSendOnlyTo', `${listed.mobile}\n${listed.email}`);
			await saveCredential();
			await screenshot('4-test-mode');
			await closeCredential();
		});
		expect(String((await credentialData('practiceProfileApi')).testModeSendOnlyTo).split('\n')).toEqual([listed.mobile, listed.email]);
	});

	it('5. runs Timeline Preview from the editor, and it writes nothing to athenahealth', async () => {
		const zone = zoneWhereNowIsBetween(9, 20);
		// Of another patient: an appointment of the allow-listed patient after step 7's visit would count as booked.
		const earlier = closeVisit(demoPatients.find((p) => p.key === 'leilani')!, { hours: 3 }, zone);
		const requestsBefore = sandbox.athena.state.requests.length;
		await step('5-timeline-preview', async () => {
			workflowIds.preview = await importWorkflow(await workflowFile('timeline-preview.json', 'athenahealth'), templateNodes('timeline-preview.json'));
			await page.locator('[data-test-id="execute-workflow-button"]').click();
			await eventually('the preview execution to finish', async () => {
				const [execution] = await sandbox.client.executions(workflowIds.preview);
				return execution && execution.status !== 'running' && execution.status !== 'new' ? true : undefined;
			}, 120_000);
			await page.locator('[data-test-id="canvas-node"][data-node-name="Timeline Preview"]').dblclick();
			const output = page.locator('[data-test-id="output-panel"]');
			await eventually('the preview rows in the output panel', async () => ((await output.innerText()).includes(earlier.appointmentId) ? true : undefined));
			// Each credential box shows its own credential by name, and the EHR field is there to pick (not taken
			// for the node's sign-in choice, which would hide it and fill every box with EHR credentials).
			const boxes = page.locator('[data-test-id="node-credentials-select"] input');
			const shown = await eventually('the credential boxes to show names', async () => {
				const values = await boxes.evaluateAll((inputs: Array<{ value: string }>) => inputs.map((input) => input.value));
				return values.length === 3 && values.every(Boolean) ? values : undefined;
			});
			expect([...shown].sort()).toEqual([names.athenahealthApi, names.journeyStoreApi, names.practiceProfileApi].sort());
			await expect(page.locator('[data-test-id="parameter-input-ehr"]').isVisible()).resolves.toBe(true);
			await screenshot('5-timeline-preview');
			await page.locator('[data-test-id="ndv-close-button"]').click();
		});
		const [execution] = await sandbox.client.executions(workflowIds.preview);
		const touches = outputOf(execution, 'Timeline Preview');
		expect(touches.filter((touch) => touch.journeyId === earlier.journeyId).length).toBeGreaterThan(0);
		const writes = sandbox.athena.state.requests.slice(requestsBefore).filter((r) => r.path.startsWith('/v1/') && (r.method !== 'GET' || r.path.includes('/appointments/changed')));
		expect(writes).toEqual([]);
		expect(sandbox.athena.state.subscription.active).toBe(false);
	});

	it('6. publishes the three-stage workflow from the editor', async () => {
		await step('6-publish', async () => {
			await page.goto(`${sandbox.n8n.baseUrl}/workflow/${workflowIds.threeStage}`);
			await page.locator('[data-test-id="canvas-node"]').first().waitFor({ state: 'visible' });
			await page.locator('[data-test-id="workflow-open-publish-modal-button"]').click();
			await page.locator('[data-test-id="workflow-publish-button"]').click();
			await eventually('the workflow to be published', async () => ((await sandbox.client.api('GET', `/workflows/${workflowIds.threeStage}`)).active ? true : undefined));
			await screenshot('6-publish');
		});
		// The EHR Poll Trigger subscribes to athena's changed feed on its first poll.
		await eventually('the poll trigger to subscribe to the changed feed', () => (sandbox.athena.state.subscription.active ? true : undefined), 150_000);
	});

	it('7. in test mode only the allow-listed patient gets anything; the others\' journeys end for good', async () => {
		const since = Date.now();
		const zone = zoneWhereNowIsBetween(9, 20);
		// Stage 2 (2 days after the visit) falls due about three minutes from now.
		const closedAgo = { days: 2, minutes: -3 };
		const listedVisit = closeVisit(listed, closedAgo, zone);
		const otherVisit = closeVisit(notListed, closedAgo, zone);

		await eventually('the care summary SMS and email to the allow-listed patient', () =>
			smsTo(listed.mobile!, since).length >= 1 && emailsTo(listed.email!, since).length >= 1 ? true : undefined,
		180_000);
		// The link comes from the Scheduling Links row typed into the Practice Profile form.
		expect(smsTo(listed.mobile!, since)[0].body).toContain('https://riverside.example/schedule?order=');
		const ended = await eventually('the other journey to end in test mode', async () => {
			const journal = await journalOf(otherVisit.journeyId);
			return journal.some((entry) => entry.type === 'journey.ended' && entry.code === 'testMode') ? journal : undefined;
		});
		expect(ended.filter((entry) => entry.type === 'touch.suppressed').map((entry) => [entry.channel, entry.code])).toEqual(
			expect.arrayContaining([['sms', 'testMode'], ['email', 'testMode']]),
		);
		expect(smsTo(notListed.mobile!, since)).toEqual([]);
		expect(emailsTo(notListed.email!, since)).toEqual([]);

		// Test mode off; the allow-listed patient's reminder (the changed SMS) then goes out, the ended journey stays ended.
		await step('7-test-mode-off', async () => {
			await openCredential('practiceProfileApi');
			await typeInto('testModeSendOnlyTo', '');
			await saveCredential();
			await closeCredential();
		});
		const reminder = await eventually('the stage-2 reminder with the changed SMS text', () => smsTo(listed.mobile!, since)[1], 300_000).catch(async (error: Error) => {
			const journal = await journalOf(listedVisit.journeyId);
			throw new Error(`${error.message}; journal: ${journal.map((entry) => `${entry.type}:${entry.code ?? ''}`).join(', ')}`);
		});
		expect(reminder.body).toContain(`${demoPractice.name} here: your`);
		expect(smsTo(notListed.mobile!, since)).toEqual([]);
		expect(emailsTo(notListed.email!, since)).toEqual([]);
		expect(await withJourneyStore(sandbox, async (store) => await store.steps({ journeyId: otherVisit.journeyId }))).toEqual([]);
		const listedJournal = await journalOf(listedVisit.journeyId);
		expect(listedJournal.some((entry) => entry.type === 'touch.suppressed')).toBe(false);
		await step('7-executions', async () => {
			await page.goto(`${sandbox.n8n.baseUrl}/workflow/${workflowIds.threeStage}/executions`);
			// The "Production Checklist" popover of a published workflow covers the list of executions.
			const checklistClose = page.locator('[data-test-id="suggested-actions-close"]');
			await checklistClose.waitFor({ state: 'visible', timeout: 10_000 }).then(
				async () => await checklistClose.click(),
				() => undefined,
			);
			await screenshot('7-executions');
		});
	});

	it('7b. with test mode and Outreach Paused both on, nothing is sent', async () => {
		await step('7b-paused', async () => {
			await openCredential('practiceProfileApi');
			await typeInto('testModeSendOnlyTo', `${listed.mobile}\n${listed.email}`);
			await field('outreachPaused').locator('.el-switch').click();
			await saveCredential();
			await screenshot('7-paused-and-test-mode');
			await closeCredential();
		});
		expect(await credentialData('practiceProfileApi')).toMatchObject({ outreachPaused: true });
		const since = Date.now();
		const zone = zoneWhereNowIsBetween(9, 20);
		const visit = closeVisit(listed, { minutes: 1 }, zone);
		const held = await eventually('the care summary held for the pause', async () => {
			const journal = await journalOf(visit.journeyId);
			return journal.some((entry) => entry.type === 'touch.held' && entry.code === 'outreachPaused') ? journal : undefined;
		}, 180_000);
		expect(held.some((entry) => entry.type === 'touch.suppressed')).toBe(false);
		expect(smsTo(listed.mobile!, since)).toEqual([]);
		expect(emailsTo(listed.email!, since)).toEqual([]);
	});
});
