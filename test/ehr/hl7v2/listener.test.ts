import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { completionRules, startMllpListener } from '../../../nodes/shared/ehr/hl7v2';
import type { MllpListener, MllpListenerOptions } from '../../../nodes/shared/ehr/hl7v2';
import type { NotificationEvent } from '../../../nodes/shared/ehr/types';
import { acceptHl7Frame } from '../../../nodes/shared/flows/hl7v2Intake';
import { openJourneyStore } from '../../../nodes/shared/store';
import type { JourneyStore } from '../../../nodes/shared/store/types';
import { tempDir, testContactHashSecret } from '../../helpers/fixtures';
import { adtA03, malformedMessages, siuMessage } from './messages';
import { MllpTestClient, msaOf } from './mllpClient';

let store: JourneyStore;
const emitted: NotificationEvent[] = [];
let failEmit = false;
let counter = 0;

beforeAll(async () => {
	store = await openJourneyStore({ backend: 'sqlite', path: join(tempDir(), 'journey.sqlite'), contactHashSecret: testContactHashSecret });
});
afterAll(async () => await store.close());
beforeEach(() => {
	emitted.length = 0;
	failEmit = false;
});

async function listen(extra: Partial<MllpListenerOptions> = {}): Promise<MllpListener> {
	const rules = completionRules({});
	return await startMllpListener({
		port: 0,
		host: '127.0.0.1',
		answer: async (event) =>
			(
				await acceptHl7Frame(event, {
					rules,
					store,
					now: () => new Date('2026-03-10T20:31:00Z'),
					nextControlId: () => `ACK${++counter}`,
					emit: async (notification) => {
						if (failEmit) throw new Error('n8n is shutting down');
						emitted.push(notification);
					},
				})
			).ack,
		...extra,
	});
}

describe('HL7 v2 listener (MLLP, in-process)', () => {
	it('starts a journey for a completed visit and acknowledges it with AA', async () => {
		const listener = await listen();
		const client = await MllpTestClient.open(listener.port);
		client.send(siuMessage({ controlId: 'OK-1' }));
		const [ack] = await client.acksUpTo(1);
		expect(msaOf(ack)).toMatchObject({ code: 'AA', controlId: 'OK-1' });
		expect(emitted).toHaveLength(1);
		expect(emitted[0]).toMatchObject({ ehr: 'hl7v2', eventId: 'EPIC|RIVERSIDE|OK-1', resourceType: 'Appointment', resourceId: 'APT-77', practiceId: 'RIVERSIDE' });
		client.close();
		await listener.close();
	});

	it('a resent control id (MSH-10) is acknowledged and starts nothing', async () => {
		const listener = await listen();
		const client = await MllpTestClient.open(listener.port);
		for (let i = 0; i < 3; i++) client.send(siuMessage({ controlId: 'DUP-1' }));
		const acks = await client.acksUpTo(3);
		expect(acks.map((ack) => msaOf(ack).code)).toEqual(['AA', 'AA', 'AA']);
		expect(msaOf(acks[2]).text).toContain('Duplicate');
		expect(emitted).toHaveLength(1);
		client.close();
		await listener.close();
	});

	it('the same control id from another sending facility is another message', async () => {
		const listener = await listen();
		const client = await MllpTestClient.open(listener.port);
		client.send(adtA03({ controlId: 'SAME-1' }));
		client.send(siuMessage({ controlId: 'SAME-1' }));
		await client.acksUpTo(2);
		expect(emitted.map((event) => event.eventId)).toEqual(['ECW|CLINIC7|SAME-1', 'EPIC|RIVERSIDE|SAME-1']);
		client.close();
		await listener.close();
	});

	it('a valid message that is not a completed visit gets AA and starts nothing', async () => {
		const listener = await listen();
		const client = await MllpTestClient.open(listener.port);
		client.send(siuMessage({ controlId: 'BOOK-1', event: 'S12', status: 'Booked' }));
		expect(msaOf((await client.acksUpTo(1))[0]).code).toBe('AA');
		expect(emitted).toEqual([]);
		client.close();
		await listener.close();
	});

	it('when the workflow cannot be started: AE, and the resend is not taken for a duplicate', async () => {
		const listener = await listen();
		const client = await MllpTestClient.open(listener.port);
		failEmit = true;
		client.send(siuMessage({ controlId: 'RETRY-1' }));
		expect(msaOf((await client.acksUpTo(1))[0]).code).toBe('AE');
		failEmit = false;
		client.send(siuMessage({ controlId: 'RETRY-1' }));
		expect(msaOf((await client.acksUpTo(2))[1]).code).toBe('AA');
		expect(emitted).toHaveLength(1);
		client.close();
		await listener.close();
	});

	it('1,000 malformed messages each get a NAK (AR), start nothing, and the listener keeps serving', async () => {
		const listener = await listen();
		const client = await MllpTestClient.open(listener.port);
		const messages = malformedMessages(1000);
		for (const message of messages) client.send(message);
		const acks = await client.acksUpTo(messages.length);
		expect(acks).toHaveLength(1000);
		expect(acks.filter((ack) => msaOf(ack).code === 'AR')).toHaveLength(1000);
		expect(emitted).toEqual([]);
		client.send(siuMessage({ controlId: 'AFTER-1000' }));
		expect(msaOf((await client.acksUpTo(1001))[1000]).code).toBe('AA');
		expect(emitted).toHaveLength(1);
		client.close();
		await listener.close();
	});

	it.each([
		['bytes outside a frame', Buffer.from('hello\r')],
		['a frame over the size limit', Buffer.concat([Buffer.from([0x0b]), Buffer.alloc(2048, 0x41), Buffer.from([0x1c, 0x0d])])],
	])('%s get a NAK without costing the connection', async (_case, bytes) => {
		const listener = await listen({ maxFrameBytes: 1024 });
		const client = await MllpTestClient.open(listener.port);
		client.sendRaw(bytes);
		client.send(siuMessage({ controlId: `AFTER-RAW-${bytes.length}` }));
		const acks = await client.acksUpTo(2);
		expect(acks.map((ack) => msaOf(ack).code)).toEqual(['AR', 'AA']);
		client.close();
		await listener.close();
	});

	it('a client address outside the allow-list is disconnected without an answer', async () => {
		const refused: string[] = [];
		const listener = await listen({ allowedClients: ['10.0.0.1'], onRefused: (reason) => refused.push(reason) });
		const client = await MllpTestClient.open(listener.port);
		client.send(siuMessage({ controlId: 'NOPE-1' }));
		expect(await client.acksUpTo(1)).toEqual([]);
		expect(refused).toEqual(['client address not in the allow-list']);
		expect(emitted).toEqual([]);
		await listener.close();
	});

	describe('over TLS with client certificates', () => {
		let pki: { key: string; cert: string; ca: string; clientKey: string; clientCert: string; otherKey: string; otherCert: string };

		beforeAll(() => {
			const dir = tempDir('hl7-tls-');
			const run = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
			run('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=Test CA');
			const issue = (name: string, cn: string, signer: [string, string]) => {
				run('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`);
				run('x509', '-req', '-in', `${name}.csr`, '-CA', signer[0], '-CAkey', signer[1], '-CAcreateserial', '-out', `${name}.pem`, '-days', '2');
			};
			issue('server', 'localhost', ['ca.pem', 'ca.key']);
			issue('client', 'epic-bridges', ['ca.pem', 'ca.key']);
			issue('other', 'someone-else', ['ca.pem', 'ca.key']);
			const read = (file: string) => readFileSync(join(dir, file), 'utf8');
			pki = { key: read('server.key'), cert: read('server.pem'), ca: read('ca.pem'), clientKey: read('client.key'), clientCert: read('client.pem'), otherKey: read('other.key'), otherCert: read('other.pem') };
		});

		it('accepts a sender whose certificate the CA signed and whose name is allowed', async () => {
			const listener = await listen({ tls: { key: pki.key, cert: pki.cert, ca: pki.ca, allowedSubjects: ['epic-bridges'] } });
			const client = await MllpTestClient.open(listener.port, { ca: pki.ca, key: pki.clientKey, cert: pki.clientCert, servername: 'localhost' });
			client.send(siuMessage({ controlId: 'TLS-1' }));
			expect(msaOf((await client.acksUpTo(1))[0]).code).toBe('AA');
			client.close();
			await listener.close();
		});

		it('disconnects a sender whose certificate name is not allowed', async () => {
			const listener = await listen({ tls: { key: pki.key, cert: pki.cert, ca: pki.ca, allowedSubjects: ['epic-bridges'] } });
			const client = await MllpTestClient.open(listener.port, { ca: pki.ca, key: pki.otherKey, cert: pki.otherCert, servername: 'localhost' });
			client.send(siuMessage({ controlId: 'TLS-2' }));
			expect(await client.acksUpTo(1)).toEqual([]);
			expect(emitted).toEqual([]);
			await listener.close();
		});
	});
});
