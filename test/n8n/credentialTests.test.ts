import { join } from 'node:path';

import type { ICredentialTestFunctions, ICredentialsDecrypted } from 'n8n-workflow';

import { JourneyStoreApi } from '../../credentials/JourneyStoreApi.credentials';
import { PracticeProfileApi } from '../../credentials/PracticeProfileApi.credentials';
import {
	ehrWebhookSecretTest,
	journeyStoreConnectionTest,
	practiceProfileTest,
	smtpConnectionTest,
} from '../../nodes/shared/n8n/credentialTests';
import { staffRowFields } from '../../nodes/shared/core/practiceRows';
import { timeZoneOptions } from '../../nodes/shared/core/zones';
import { practiceProfileFromCredential, practiceProfileLabels, practiceProfileRowLabels } from '../../nodes/shared/n8n/profile';
import { journeyStoreConfigFrom } from '../../nodes/shared/n8n/store';
import { openJourneyStore } from '../../nodes/shared/store';
import { startSmtpSink } from '../../sandbox/smtp-sink';
import { practiceProfileCredential, tempDir, testContactHashSecret } from '../helpers/fixtures';

const context = {} as ICredentialTestFunctions;
const credential = (data: Record<string, unknown>) => ({ id: 'c', name: 'c', type: 't', data }) as unknown as ICredentialsDecrypted;

describe('credential tests ops run from the credential dialog', () => {
	it('journey store: creates and migrates a new SQLite store, then reports OK', async () => {
		const path = join(tempDir(), 'nested', 'journey.sqlite');
		const result = await journeyStoreConnectionTest.call(context, credential({ backend: 'sqlite', sqlitePath: path, contactHashSecret: testContactHashSecret }));
		expect(result).toEqual({ status: 'OK', message: expect.stringMatching(/up to date/) });
		const store = await openJourneyStore({ backend: 'sqlite', path, contactHashSecret: testContactHashSecret });
		expect(await store.claim('k', { journeyId: 'j', patientKey: 'p' }, new Date().toISOString())).toBe(true);
		await store.close();
	});

	it.each([
		['empty (a credential saved before the field existed)', {}, /"Contact Hash Secret" is empty/],
		['blank', { contactHashSecret: '   ' }, /"Contact Hash Secret" is empty/],
		['too short to resist guessing', { contactHashSecret: 'hunter2' }, /contactHashSecret.*at least 32 characters/],
	])('journey store: a Contact Hash Secret that is %s is an Error naming the field', async (_why, key, message) => {
		const sqlitePath = join(tempDir(), 'journey.sqlite');
		const result = await journeyStoreConnectionTest.call(context, credential({ backend: 'sqlite', sqlitePath, ...key }));
		expect(result).toEqual({ status: 'Error', message: expect.stringMatching(message) });
		expect(result.message).not.toContain('hunter2');
	});

	it('journey store: a Contact Hash Secret other than the one the store was keyed with is an Error (no STOP may be lost)', async () => {
		const sqlitePath = join(tempDir(), 'journey.sqlite');
		expect(await journeyStoreConnectionTest.call(context, credential({ backend: 'sqlite', sqlitePath, contactHashSecret: testContactHashSecret }))).toMatchObject({ status: 'OK' });
		const changed = await journeyStoreConnectionTest.call(context, credential({ backend: 'sqlite', sqlitePath, contactHashSecret: 'another-key-0123456789abcdef0123456789' }));
		expect(changed).toEqual({ status: 'Error', message: expect.stringMatching(/"Contact Hash Secret" is not the secret this store recorded/) });
	});

	it('journey store: the Contact Hash Secret is an optional password field (empty: derived from n8n\'s encryption key)', () => {
		const field = new JourneyStoreApi().properties.find((property) => property.name === 'contactHashSecret');
		expect(field).toMatchObject({ type: 'string', typeOptions: { password: true }, default: '' });
		expect(field?.required).toBeFalsy();
		expect(field?.description).toMatch(/encryption key/);
	});

	it('journey store: an unreachable Postgres is an Error, not an exception', async () => {
		const result = await journeyStoreConnectionTest.call(
			context,
			credential({ backend: 'postgres', host: '127.0.0.1', port: 1, database: 'x', user: 'u', password: 'p', ssl: 'off' }),
		);
		expect(result.status).toBe('Error');
	});

	it('journey store: the credential maps to the store config (empty path → the n8n user folder)', () => {
		process.env.N8N_USER_FOLDER = tempDir();
		const config = journeyStoreConfigFrom({ backend: 'sqlite', sqlitePath: '' });
		expect(config.backend).toBe('sqlite');
		expect((config as { path: string }).path).toBe(join(process.env.N8N_USER_FOLDER, '.n8n', 'post-visit', 'journey.sqlite'));
		expect(journeyStoreConfigFrom({ backend: 'postgres', host: 'db', port: 5433, database: 'pv', user: 'u', password: 'p', ssl: 'noVerify' })).toEqual({
			backend: 'postgres', host: 'db', port: 5433, database: 'pv', user: 'u', password: 'p', ssl: 'no-verify',
		});
	});

	it('journey store: the Contact Hash Secret reaches the store trimmed, on either backend', () => {
		const key = `  ${testContactHashSecret}\n`;
		expect(journeyStoreConfigFrom({ backend: 'sqlite', sqlitePath: '/data/journey.sqlite', contactHashSecret: key })).toEqual({
			backend: 'sqlite', path: '/data/journey.sqlite', contactHashSecret: testContactHashSecret,
		});
		expect(journeyStoreConfigFrom({ backend: 'postgres', host: 'db', database: 'pv', user: 'u', contactHashSecret: key })).toMatchObject({ contactHashSecret: testContactHashSecret });
	});

	it('journey store: Postgres verifies the server\'s certificate unless told otherwise (PHI in transit)', () => {
		const connection = { backend: 'postgres', host: 'db', port: 5432, database: 'pv', user: 'u', password: 'p' };
		expect(journeyStoreConfigFrom(connection)).toMatchObject({ ssl: true });
		expect(journeyStoreConfigFrom({ ...connection, ssl: 'verify' })).toMatchObject({ ssl: true });
		expect(journeyStoreConfigFrom({ ...connection, ssl: 'off' })).toMatchObject({ ssl: false });
		const tls = new JourneyStoreApi().properties.find((property) => property.name === 'ssl');
		expect(tls?.default).toBe('verify');
	});

	it.each([
		['a valid profile', {}, 'OK', /Riverside/],
		['a window wider than 08:00-21:00', { windowStart: '07:00' }, 'Error', /^Practice profile: Send Window Start and Send Window End may not be wider than 08:00-21:00/],
		['a window time that is not a time', { windowEnd: '8pm' }, 'Error', /^Practice profile: Send Window End must be a time HH:mm(;|$)/],
		['an unknown zone', { defaultZone: 'Mars/Olympus' }, 'Error', /^Practice profile: Default Time Zone /],
		['broken staff JSON', { staff: '[{' }, 'Error', /^Practice profile: \(Advanced\) Staff Directory JSON is not valid JSON/],
		['a cap that is not a whole number', { perPatientPerDay: 1.5 }, 'Error', /^Practice profile: Messages Per Patient Per Day must be a whole number$/],
		['no message at all per number', { perNumberPerDay: 0 }, 'Error', /^Practice profile: Messages Per Number Per Day must be at least 1$/],
		['a holiday that is not a date', { holidays: '2026-12-25, Christmas' }, 'Error', /^Practice profile: Holidays, entry 2 must be a date YYYY-MM-DD$/],
		['an empty practice name', { practiceName: '' }, 'Error', /^Practice profile: Practice Name must not be empty$/],
	])('practice profile: %s → %s', async (_label, overrides, status, message) => {
		const result = await practiceProfileTest.call(context, credential(practiceProfileCredential(overrides)));
		expect(result.status).toBe(status);
		expect(result.message).toMatch(message);
	});

	it('practice profile: reports every invalid field at once, by the label of the credential form, without its value', async () => {
		const staff = JSON.stringify([
			{ key: 'care-coordinator', name: 'Maria Lopez', ehrUserId: '', email: 'maria-at-example', notifyBy: 'fax' },
			{ key: 'front-desk', name: 'Sam', phone: '512 555 0100' },
		]);
		const overrides = { practicePhone: '', windowEnd: '22:30', channelOrder: 'sms,pager', schedulingLinks: '{"default": ', staff };
		const result = await practiceProfileTest.call(context, credential(practiceProfileCredential(overrides)));
		expect(result.status).toBe('Error');
		const problems = result.message.replace(/^Practice profile: /, '').split('; ');
		expect(problems).toEqual([
			'(Advanced) Scheduling Links JSON is not valid JSON (check the quotes, commas and brackets)',
			'Practice Phone must be at least 7 characters long',
			'Send Window Start and Send Window End may not be wider than 08:00-21:00 (TCPA quiet hours)',
			'(Advanced) Staff Directory JSON, entry 1 (key "care-coordinator"), ehrUserId must not be empty',
			'(Advanced) Staff Directory JSON, entry 1 (key "care-coordinator"), email must be an email address',
			'(Advanced) Staff Directory JSON, entry 1 (key "care-coordinator"), notifyBy must be one of: email, sms',
			'(Advanced) Staff Directory JSON, entry 2 (key "front-desk"), phone must be a mobile number in international form, such as +15125550100',
			'Channel Order, entry 2 must be one of: sms, email, voice',
		]);
		for (const value of ['maria-at-example', 'fax', '512 555 0100', 'pager']) expect(result.message).not.toContain(value);
		expect(result.message).not.toMatch(/staff\.\d|sendPolicy|\bcaps\./);
	});

	it('practice profile: every label it reports is a field of the credential form', () => {
		const formLabels = new Set(new PracticeProfileApi().properties.map((property) => property.displayName));
		const labels = Object.values(practiceProfileLabels).flatMap((label) => label.split(' and '));
		expect(labels.filter((label) => !formLabels.has(label))).toEqual([]);
	});

	const linkRows = (...rows: Array<Record<string, unknown>>) => ({ schedulingLinkRows: { link: rows } });
	const staffRows = (...rows: Array<Record<string, unknown>>) => ({ staffRows: { member: rows } });
	const maria = { key: 'care-coordinator', name: 'Maria Lopez', email: 'maria@riverside.test', phone: '', notifyBy: 'email', ehrUserId: '', athenahealthUserId: 'mlopez' };

	it('practice profile: rows win over the (Advanced) JSON fields, which are then not even read', () => {
		const profile = practiceProfileFromCredential(practiceProfileCredential({
			...linkRows({ orderType: 'default', url: 'https://book.riverside.test/s?order={orderId}' }, { orderType: 'lab', url: 'https://labs.riverside.test/{orderId}' }),
			...staffRows(maria, { key: 'front-desk', name: 'Sam', phone: '+15125550100', notifyBy: 'sms' }),
			schedulingLinks: '{"default": ',
			staff: '[{',
		}));
		expect(profile.schedulingLinks).toEqual({ default: 'https://book.riverside.test/s?order={orderId}', lab: 'https://labs.riverside.test/{orderId}' });
		expect(profile.staff).toEqual([
			{ key: 'care-coordinator', name: 'Maria Lopez', email: 'maria@riverside.test', notifyBy: 'email', ehrUserIds: { athenahealth: 'mlopez' } },
			{ key: 'front-desk', name: 'Sam', phone: '+15125550100', notifyBy: 'sms' },
		]);
	});

	it('practice profile: without rows (a credential saved before they existed) the JSON fields are used', () => {
		const profile = practiceProfileFromCredential(practiceProfileCredential({ schedulingLinkRows: {}, staffRows: { member: [] } }));
		expect(profile.schedulingLinks).toEqual({ default: 'https://schedule.example.test/book?order={orderId}' });
		expect(profile.staff.map((member) => member.key)).toEqual(['care-coordinator']);
	});

	it('practice profile: reports every invalid row field at once, by row number and label', async () => {
		const overrides = {
			...linkRows({ orderType: 'default', url: 'https://example.org/schedule?order={orderId}' }, { orderType: 'default', url: 'https://b.riverside.test/' }, { orderType: 'lab', url: '' }),
			...staffRows(maria, { key: 'front-desk', name: '', email: 'sam-at-riverside', phone: '512 555 0100', notifyBy: 'sms', drchronoUserId: '' }),
		};
		const result = await practiceProfileTest.call(context, credential(practiceProfileCredential(overrides)));
		expect(result.status).toBe('Error');
		expect(result.message.replace(/^Practice profile: /, '').split('; ')).toEqual([
			'Scheduling Links, row 2, Order Type is already given in row 1',
			'Scheduling Links, row 3, Address must not be empty',
			'Staff Directory, row 2, Name is missing',
			'Staff Directory, row 2, Email must be an email address',
			'Staff Directory, row 2, Mobile Phone must be a mobile number in international form, such as +15125550100',
			'Scheduling Links, row 1, Address is a placeholder address (example.org): give your practice\'s own booking page',
		]);
		for (const value of ['sam-at-riverside', '512 555 0100']) expect(result.message).not.toContain(value);
	});

	it.each([
		['the form\'s default JSON link', { schedulingLinks: new PracticeProfileApi().properties.find((property) => property.name === 'schedulingLinks')?.default }, '(Advanced) Scheduling Links JSON, default'],
		['a JSON link on example.com', { schedulingLinks: JSON.stringify({ imaging: 'https://scans.example.com/{orderId}' }) }, '(Advanced) Scheduling Links JSON, imaging'],
		['a row on example.net', linkRows({ orderType: 'referral', url: 'https://example.net/r' }), 'Scheduling Links, row 1, Address'],
	])('practice profile: %s is refused by the credential test, naming the field', async (_case, overrides, label) => {
		const result = await practiceProfileTest.call(context, credential(practiceProfileCredential(overrides)));
		expect(result).toEqual({ status: 'Error', message: expect.stringMatching(/is a placeholder address \(example\.(org|com|net)\)/) });
		expect(result.message.startsWith(`Practice profile: ${label} is a placeholder address`)).toBe(true);
	});

	it('practice profile: a placeholder link is refused by the credential test only; a running node still reads the profile', () => {
		const data = practiceProfileCredential({ schedulingLinks: JSON.stringify({ default: 'https://example.org/schedule?order={orderId}' }) });
		expect(practiceProfileFromCredential(data).schedulingLinks).toEqual({ default: 'https://example.org/schedule?order={orderId}' });
	});

	it('practice profile: the sandbox\'s .example links pass the credential test', async () => {
		const overrides = { schedulingLinks: JSON.stringify({ default: 'https://riverside.example/schedule?order={orderId}' }) };
		expect(await practiceProfileTest.call(context, credential(practiceProfileCredential(overrides)))).toMatchObject({ status: 'OK' });
	});

	it('practice profile: the time zone is a dropdown of the IANA zones, keeping the saved field name', () => {
		const zone = new PracticeProfileApi().properties.find((property) => property.displayName === 'Default Time Zone');
		expect(zone).toMatchObject({ name: 'defaultZone', type: 'options', default: '' });
		expect(zone?.options?.slice(1)).toEqual(timeZoneOptions());
		expect(zone?.options?.[0]).toMatchObject({ value: '' });
	});

	it('practice profile: the row fields of the form are the ones the parser reads and the labels it reports', () => {
		const properties = new PracticeProfileApi().properties;
		const rowFields = (name: string) => {
			const collection = properties.find((property) => property.name === name);
			expect(collection).toMatchObject({ type: 'fixedCollection', typeOptions: { multipleValues: true }, default: {} });
			const [option] = collection!.options as Array<{ name: string; values: Array<{ name: string; displayName: string }> }>;
			return { option: option.name, labels: Object.fromEntries(option.values.map((value) => [value.name, value.displayName])) };
		};
		expect(rowFields('schedulingLinkRows')).toEqual({ option: 'link', labels: practiceProfileRowLabels.schedulingLinkRows });
		expect(rowFields('staffRows')).toEqual({ option: 'member', labels: practiceProfileRowLabels.staffRows });
		expect(Object.keys(practiceProfileRowLabels.staffRows)).toEqual([...staffRowFields]);
	});

	it('webhook secret: too short is an Error, a long one OK', async () => {
		expect((await ehrWebhookSecretTest.call(context, credential({ secret: 'short' }))).status).toBe('Error');
		expect((await ehrWebhookSecretTest.call(context, credential({ secret: 'f'.repeat(40) }))).status).toBe('OK');
	});

	it('SMTP: connects to a real server; a closed port is an Error', async () => {
		const sink = await startSmtpSink({ disableStartTls: true });
		try {
			const ok = await smtpConnectionTest.call(context, credential({ host: '127.0.0.1', port: sink.port, security: 'none', fromEmail: 'care@example.test' }));
			expect(ok.status).toBe('OK');
			expect(sink.messages).toHaveLength(0);
		} finally {
			await sink.close();
		}
		const closed = await smtpConnectionTest.call(context, credential({ host: '127.0.0.1', port: 1, security: 'none', fromEmail: 'care@example.test' }));
		expect(closed.status).toBe('Error');
	});
});
