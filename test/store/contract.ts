import { createHash, createHmac, randomBytes } from 'node:crypto';

import { DomainError } from '../../nodes/shared/core/errors';
import type { ClaimInfo, JournalEntry, JourneyRecord, JourneyStore, SendRecord, StepClaimQuery, StepSchedule } from '../../nodes/shared/store/types';

/** Fixed instants: nothing here reads the clock. */
const t = (minutes: number) => new Date(Date.UTC(2025, 2, 10, 14, 0) + minutes * 60_000).toISOString();

const info: ClaimInfo = { journeyId: 'visit:fhir:enc-1', patientKey: 'fhir:pat-1', stage: 1, channel: 'sms' };

const journey = (id: string, anchorMinutes: number, extra: Partial<JourneyRecord> = {}): JourneyRecord => ({
	journeyId: `visit:fhir:${id}`,
	patientKey: 'fhir:pat-1',
	kind: 'visit',
	ehr: 'fhir',
	patientId: 'pat-1',
	sourceId: id,
	sourceType: 'encounter',
	anchorAt: t(anchorMinutes),
	startedAt: t(anchorMinutes + 1),
	zone: 'America/Chicago',
	...extra,
});

async function expectDomainError(promise: Promise<unknown>, code: string, field?: string): Promise<DomainError> {
	const error = await promise.then(
		() => undefined,
		(caught: unknown) => caught,
	);
	expect(error).toBeInstanceOf(DomainError);
	expect((error as DomainError).code).toBe(code);
	if (field !== undefined) expect((error as DomainError).field).toBe(field);
	return error as DomainError;
}

/** How the contract reaches a backend. */
export interface ContractBackend {
	/**
	 * A fresh, empty, migrated store keyed with `contactHashSecret` (default: test/helpers/contactHashSecret.ts), or
	 * without a key when it is null.
	 */
	open(contactHashSecret?: string | null): Promise<JourneyStore>;
	/** The database of the store last opened, opened again with this key. */
	reopen(contactHashSecret: string): Promise<JourneyStore>;
	/** Runs one statement ($1, $2 … parameters) on the database of the store last opened, behind the store's back. */
	exec(sql: string, params: Array<string | number>): Promise<void>;
}

const legacyHash = (canonical: string) => createHash('sha256').update(canonical).digest('hex');
const insertOptOut = 'INSERT INTO pv_opt_outs (channel, address_hash, opted_out, at, at_ms, source) VALUES ($1, $2, $3, $4, $5, $6)';
const insertContact = 'INSERT INTO pv_contacts (channel, address_hash, journey_id, patient_key, at, at_ms) VALUES ($1, $2, $3, $4, $5, $6)';

/**
 * The JourneyStore contract, run against every backend.
 */
export function describeStoreContract(name: string, backend: ContractBackend): void {
	const open = () => backend.open();
	describeKeyedHashes(name, backend);
	describe(`JourneyStore contract: ${name}`, () => {
		let store: JourneyStore;

		beforeEach(async () => {
			store = await open();
		});
		afterEach(async () => {
			await store.close();
		});

		describe('migrate', () => {
			it('is idempotent and leaves the data alone', async () => {
				expect(await store.claim('k', info, t(0))).toBe(true);
				await store.migrate();
				await store.migrate();
				expect((await store.getClaim('k'))?.state).toBe('claimed');
			});

			it('runs safely when called concurrently', async () => {
				await Promise.all(Array.from({ length: 5 }, () => store.migrate()));
				expect(await store.claim('k', info, t(0))).toBe(true);
			});
		});

		describe('claim', () => {
			it('is true exactly once per key and records the claim', async () => {
				expect(await store.claim('visit:fhir:enc-1:1:sms', info, t(0))).toBe(true);
				expect(await store.claim('visit:fhir:enc-1:1:sms', info, t(1))).toBe(false);
				expect(await store.claim('visit:fhir:enc-1:1:email', { ...info, channel: 'email' }, t(1))).toBe(true);
				expect(await store.getClaim('visit:fhir:enc-1:1:sms')).toEqual({
					key: 'visit:fhir:enc-1:1:sms',
					...info,
					state: 'claimed',
					claimedAt: t(0),
					updatedAt: t(0),
				});
				expect(await store.getClaim('never-claimed')).toBeUndefined();
			});

			it('keeps optional fields optional', async () => {
				expect(await store.claim('event:fhir:ev-1', { journeyId: 'j', patientKey: 'p', channel: 'event' }, t(0))).toBe(
					true,
				);
				const claim = await store.getClaim('event:fhir:ev-1');
				expect(claim).toEqual({
					key: 'event:fhir:ev-1',
					journeyId: 'j',
					patientKey: 'p',
					channel: 'event',
					state: 'claimed',
					claimedAt: t(0),
					updatedAt: t(0),
				});
				expect(claim).not.toHaveProperty('stage');
			});

			it('gives exactly one of 20 concurrent claimers the key', async () => {
				const results = await Promise.all(Array.from({ length: 20 }, (_, i) => store.claim('race', info, t(i))));
				expect(results.filter(Boolean)).toHaveLength(1);
			});

			it('after release, gives the key again to exactly one of 20 concurrent claimers', async () => {
				expect(await store.claim('k', info, t(0))).toBe(true);
				await store.release('k', t(1));
				expect((await store.getClaim('k'))?.state).toBe('released');
				const results = await Promise.all(
					Array.from({ length: 20 }, (_, i) => store.claim('k', { ...info, channel: 'email' }, t(2 + i))),
				);
				expect(results.filter(Boolean)).toHaveLength(1);
				const claim = await store.getClaim('k');
				expect(claim).toMatchObject({ state: 'claimed', channel: 'email' });
				expect(await store.claim('k', info, t(30))).toBe(false);
			});

			it.each([
				['an empty key', '', info, t(0), 'invalid_input', 'key'],
				['a missing journey id', 'k', { ...info, journeyId: '' }, t(0), 'invalid_input', 'journeyId'],
				['an unknown channel', 'k', { ...info, channel: 'fax' as never }, t(0), 'invalid_input', 'channel'],
				['a fractional stage', 'k', { ...info, stage: 1.5 }, t(0), 'invalid_input', 'stage'],
				['a time without offset', 'k', info, '2025-03-10T14:00:00', 'invalid_input', 'at'],
				['a date instead of a time', 'k', info, '2025-03-10', 'invalid_input', 'at'],
				['a key longer than 200 characters', 'k'.repeat(201), info, t(0), 'value_too_long', 'key'],
			])('rejects %s', async (_label, key, claimInfo, at, code, field) => {
				await expectDomainError(store.claim(key, claimInfo, at), code, field);
				expect(await store.staleClaims(t(60))).toEqual([]);
			});
		});

		describe('markSent and release', () => {
			it('markSent records the provider id and blocks every later claim', async () => {
				await store.claim('k', info, t(0));
				await store.markSent('k', 'SM123', t(1));
				expect(await store.getClaim('k')).toMatchObject({ state: 'sent', providerId: 'SM123', updatedAt: t(1) });
				expect(await store.claim('k', info, t(2))).toBe(false);
			});

			it('markSent without provider id, then again with one, fills it in', async () => {
				await store.claim('k', info, t(0));
				await store.markSent('k', undefined, t(1));
				expect(await store.getClaim('k')).not.toHaveProperty('providerId');
				await store.markSent('k', 'SM9', t(2));
				expect(await store.getClaim('k')).toMatchObject({ state: 'sent', providerId: 'SM9', updatedAt: t(1) });
				await store.markSent('k', 'SM-other', t(3));
				expect((await store.getClaim('k'))?.providerId).toBe('SM9');
			});

			it('markSent after a release (it went out after all) blocks re-claims', async () => {
				await store.claim('k', info, t(0));
				await store.release('k', t(1));
				await store.markSent('k', 'SM1', t(2));
				expect((await store.getClaim('k'))?.state).toBe('sent');
				expect(await store.claim('k', info, t(3))).toBe(false);
			});

			it('refuses to release a sent claim, which would allow a second send', async () => {
				await store.claim('k', info, t(0));
				await store.markSent('k', 'SM1', t(1));
				await expectDomainError(store.release('k', t(2)), 'claim_already_sent', 'key');
				expect((await store.getClaim('k'))?.state).toBe('sent');
			});

			it('release is idempotent', async () => {
				await store.claim('k', info, t(0));
				await store.release('k', t(1));
				await store.release('k', t(2));
				expect(await store.getClaim('k')).toMatchObject({ state: 'released', updatedAt: t(1) });
			});

			it('appendAll writes every line in one transaction, or none when one is refused', async () => {
				const line = (type: string) => ({ at: t(0), journeyId: info.journeyId, patientKey: info.patientKey, type });
				await store.appendAll([line('step.resumed'), line('step.resumed')]);
				await store.appendAll([]);
				expect(await store.journal({ journeyId: info.journeyId })).toHaveLength(2);
				await expect(store.appendAll([line('step.resumed'), line('')])).rejects.toThrow();
				expect(await store.journal({ journeyId: info.journeyId })).toHaveLength(2);
			});

			describe('recordSend (what a send leaves, in one transaction)', () => {
				const send = (overrides: Partial<SendRecord> = {}): SendRecord => ({
					claim: { key: 'k', providerId: 'SM1', at: t(1) },
					touch: { patientKey: info.patientKey, journeyId: info.journeyId, stage: 1, localDate: '2026-03-02', at: t(1) },
					contact: { channel: 'sms', address: '+15125550100', journeyId: info.journeyId, patientKey: info.patientKey, at: t(1) },
					numberTouch: { address: '+15125550100', journeyId: info.journeyId, stage: 1, localDate: '2026-03-02', at: t(1) },
					entry: { at: t(1), journeyId: info.journeyId, patientKey: info.patientKey, stage: 1, type: 'touch.sent', channel: 'sms', providerId: 'SM1' },
					...overrides,
				});

				it('marks the claim sent and records the touch, the number touch, the contact and the journal line', async () => {
					await store.claim('k', info, t(0));
					await store.recordSend(send());
					expect(await store.getClaim('k')).toMatchObject({ state: 'sent', providerId: 'SM1', updatedAt: t(1) });
					expect(await store.touchesOn(info.patientKey, '2026-03-02')).toBe(1);
					expect(await store.numberTouchesOn('+15125550100', '2026-03-02')).toEqual([{ journeyId: info.journeyId, stage: 1 }]);
					expect((await store.journeysContactedAt('sms', '+15125550100')).map((match) => match.journeyId)).toEqual([info.journeyId]);
					expect(await store.journal({ journeyId: info.journeyId })).toEqual([expect.objectContaining({ type: 'touch.sent', providerId: 'SM1' })]);
				});

				it('without a claim (already marked sent) records the rest; on a sent claim only fills a missing provider id', async () => {
					await store.claim('k', info, t(0));
					await store.markSent('k', undefined, t(1));
					await store.recordSend(send({ claim: { key: 'k', providerId: 'SM2', at: t(2) } }));
					expect(await store.getClaim('k')).toMatchObject({ state: 'sent', providerId: 'SM2', updatedAt: t(1) });
					const { claim: _none, numberTouch: _email, ...emailSend } = send();
					await store.recordSend({ ...emailSend, contact: { ...emailSend.contact, channel: 'email', address: 'pat@clinic.test' } });
					expect(await store.numberTouchesOn('+15125550100', '2026-03-02')).toEqual([{ journeyId: info.journeyId, stage: 1 }]);
					expect(await store.journal({ journeyId: info.journeyId, type: 'touch.sent' })).toHaveLength(2);
				});

				it('writes nothing when one of its writes is refused', async () => {
					await store.claim('k', info, t(0));
					const refused = store.recordSend(send({ entry: { ...send().entry, journeyId: '' } }));
					await expect(refused).rejects.toThrow();
					expect((await store.getClaim('k'))?.state).toBe('claimed');
					expect(await store.touchesOn(info.patientKey, '2026-03-02')).toBe(0);
					expect(await store.journal({ journeyId: info.journeyId })).toEqual([]);
				});

				it('throws claim_not_found for an unknown claim key', async () => {
					await expectDomainError(store.recordSend(send({ claim: { key: 'nope', at: t(1) } })), 'claim_not_found', 'key');
				});
			});

			it.each(['markSent', 'release'] as const)('%s on an unknown key throws claim_not_found', async (method) => {
				const call = method === 'markSent' ? store.markSent('nope', 'SM1', t(0)) : store.release('nope', t(0));
				await expectDomainError(call, 'claim_not_found', 'key');
			});
		});

		describe('staleClaims (the crash window: claimed, never sent nor released)', () => {
			it('lists only claims still claimed since before the cutoff, oldest first', async () => {
				await store.claim('crashed-late', info, t(5));
				await store.claim('crashed-early', info, t(0));
				await store.claim('sent', info, t(0));
				await store.markSent('sent', 'SM1', t(1));
				await store.claim('released', info, t(0));
				await store.release('released', t(1));
				await store.claim('recent', info, t(20));
				const stale = await store.staleClaims(t(10));
				expect(stale.map((claim) => claim.key)).toEqual(['crashed-early', 'crashed-late']);
				expect(stale[0]).toMatchObject({ state: 'claimed', journeyId: info.journeyId, claimedAt: t(0) });
				expect(await store.staleClaims(t(0))).toEqual([]);
			});

			it('compares instants, not strings, whatever offset the caller wrote', async () => {
				await store.claim('k', info, '2025-03-10T09:30:00-05:00'); // 14:30Z
				expect(await store.staleClaims('2025-03-10T14:29:00Z')).toEqual([]);
				expect((await store.staleClaims('2025-03-10T15:31:00+01:00')).map((c) => c.key)).toEqual(['k']);
			});
		});

		describe('journal', () => {
			const entry = (minutes: number, overrides: Partial<JournalEntry> = {}): JournalEntry => ({
				at: t(minutes),
				journeyId: 'visit:fhir:enc-1',
				patientKey: 'fhir:pat-1',
				type: 'touch.sent',
				...overrides,
			});

			beforeEach(async () => {
				// Appended out of order; one written with an offset.
				await store.append(entry(30, { type: 'touch.held', stage: 2, channel: 'sms', code: 'outsideWindow' }));
				await store.append(
					entry(0, {
						stage: 1,
						channel: 'sms',
						providerId: 'SM1',
						templateId: 'care-summary-sms@1',
						detail: { attempt: 1, fallback: false, orderId: 'ord-7', none: null },
					}),
				);
				await store.append({ ...entry(0), at: '2025-03-10T10:10:00-04:00', type: 'event.received' }); // 14:10Z
				await store.append(entry(20, { journeyId: 'visit:fhir:enc-2', patientKey: 'fhir:pat-2' }));
				await store.append(entry(60 * 24, { type: 'followup.booked' }));
			});

			it('returns one journey in time order with every field intact', async () => {
				const rows = await store.journal({ journeyId: 'visit:fhir:enc-1' });
				expect(rows.map((row) => row.type)).toEqual(['touch.sent', 'event.received', 'touch.held', 'followup.booked']);
				expect(rows[0]).toEqual(
					entry(0, {
						stage: 1,
						channel: 'sms',
						providerId: 'SM1',
						templateId: 'care-summary-sms@1',
						detail: { attempt: 1, fallback: false, orderId: 'ord-7', none: null },
					}),
				);
				expect(rows[1].at).toBe('2025-03-10T10:10:00-04:00');
				expect(rows[2]).toEqual(entry(30, { type: 'touch.held', stage: 2, channel: 'sms', code: 'outsideWindow' }));
			});

			it.each([
				['patient', { patientKey: 'fhir:pat-2' }, [20]],
				['type', { type: 'touch.sent' }, [0, 20]],
				['type and patient', { type: 'touch.sent', patientKey: 'fhir:pat-1' }, [0]],
				['from (inclusive)', { from: t(20) }, [20, 30, 1440]],
				['to (exclusive)', { to: t(20) }, [0, 10]],
				['range', { from: t(10), to: t(31) }, [10, 20, 30]],
				['range written with offsets', { from: '2025-03-10T15:05:00+01:00', to: '2025-03-10T09:25:00-05:00' }, [10, 20]],
				['a day', { from: '2025-03-11T00:00:00Z', to: '2025-03-12T00:00:00Z' }, [1440]],
				['limit', { limit: 2 }, [0, 10]],
				['nothing matching', { journeyId: 'visit:fhir:none' }, []],
			])('filters by %s', async (_label, query, minutes) => {
				const rows = await store.journal(query);
				expect(rows.map((row) => (Date.parse(row.at) - Date.parse(t(0))) / 60_000)).toEqual(minutes);
			});

			it.each([
				['from', { from: '2025-03-10' }],
				['to', { to: 'yesterday' }],
				['limit', { limit: 0 }],
			])('rejects a bad %s', async (field, query) => {
				await expectDomainError(store.journal(query), 'invalid_input', field);
			});

			it('accepts detail strings up to 200 characters', async () => {
				await store.append(entry(90, { type: 'x.long', detail: { ref: 'r'.repeat(200) } }));
				expect((await store.journal({ type: 'x.long' }))[0].detail).toEqual({ ref: 'r'.repeat(200) });
			});

			it.each([
				['a detail string over 200 characters', { detail: { note: 'Your results show …'.padEnd(201, '.') } }, 'value_too_long', 'detail.note'],
				['a long code', { code: 'c'.repeat(201) }, 'value_too_long', 'code'],
				['a nested object', { detail: { nested: { a: 1 } as never } }, 'invalid_input', 'detail.nested'],
				['an array', { detail: { list: [1, 2] as never } }, 'invalid_input', 'detail.list'],
				['a non-finite number', { detail: { n: Number.NaN } }, 'invalid_input', 'detail.n'],
				['too many keys', { detail: Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`k${i}`, i])) }, 'invalid_input', 'detail'],
				['a time without offset', { at: '2025-03-10T14:00:00' }, 'invalid_input', 'at'],
				['an empty type', { type: '' }, 'invalid_input', 'type'],
			])('rejects %s, naming the field and not the value', async (_label, overrides, code, field) => {
				const error = await expectDomainError(store.append(entry(90, { type: 'x.rejected', ...overrides })), code, field);
				expect(error.message).not.toContain('Your results');
				expect(await store.journal({ type: 'x.rejected' })).toEqual([]);
			});
		});

		describe('opt-outs', () => {
			it('matches the same number however it is written, and keeps channels apart', async () => {
				await store.setOptOut({ channel: 'sms', address: '+1 (512) 555-0100', at: t(0), source: 'twilio:STOP' });
				expect(
					await store.optedOut('sms', ['+15125550100', '512-555-0100', '1 512 555 0100', '+15125550199']),
				).toEqual(['+15125550100', '512-555-0100', '1 512 555 0100']);
				expect(await store.optedOut('voice', ['+15125550100'])).toEqual([]);
				expect(await store.optedOut('sms', [])).toEqual([]);
			});

			it('matches email case-insensitively', async () => {
				await store.setOptOut({ channel: 'email', address: ' Pat.Doe@Example.COM ', at: t(0), source: 'unsubscribe' });
				expect(await store.optedOut('email', ['pat.doe@example.com', 'other@example.com'])).toEqual([
					'pat.doe@example.com',
				]);
			});

			it('clears, and the latest time wins whatever the order of arrival', async () => {
				await store.setOptOut({ channel: 'sms', address: '+15125550100', at: t(0), source: 'twilio:STOP' });
				await store.clearOptOut('sms', '+15125550100', t(10), 'twilio:START');
				expect(await store.optedOut('sms', ['+15125550100'])).toEqual([]);
				// A STOP processed late, but sent before the START: still opted in.
				await store.setOptOut({ channel: 'sms', address: '+15125550100', at: t(5), source: 'twilio:STOP' });
				expect(await store.optedOut('sms', ['+15125550100'])).toEqual([]);
				await store.setOptOut({ channel: 'sms', address: '+15125550100', at: t(20), source: 'twilio:STOP' });
				expect(await store.optedOut('sms', ['+15125550100'])).toEqual(['+15125550100']);
			});

			it('lets an opt-out win a tie with an opt-in at the same instant', async () => {
				await store.setOptOut({ channel: 'sms', address: '+15125550100', at: t(0), source: 'a' });
				await store.clearOptOut('sms', '+15125550100', t(0), 'b');
				expect(await store.optedOut('sms', ['+15125550100'])).toEqual(['+15125550100']);
				await store.clearOptOut('sms', '+15125550101', t(0), 'b');
				await store.setOptOut({ channel: 'sms', address: '+15125550101', at: t(0), source: 'a' });
				expect(await store.optedOut('sms', ['+15125550101'])).toEqual(['+15125550101']);
			});

			it.each([
				['sms', 'not a number'],
				['sms', '12345'],
				['email', 'no-at-sign'],
			] as const)('rejects a %s address it cannot normalise, without echoing it', async (channel, address) => {
				const error = await expectDomainError(store.optedOut(channel, [address]), 'invalid_input', 'address');
				expect(error.message).not.toContain(address);
			});
		});

		describe('touches', () => {
			const touch = (journeyId: string, stage: number, localDate: string, minutes: number, patientKey = 'fhir:pat-1') => ({
				journeyId,
				stage,
				localDate,
				patientKey,
				at: t(minutes),
			});

			beforeEach(async () => {
				await store.recordTouch(touch('visit:fhir:enc-1', 1, '2025-03-10', 0));
				await store.recordTouch(touch('visit:fhir:enc-1', 1, '2025-03-10', 1)); // the email of the same stage
				await store.recordTouch(touch('recall:fhir:r-1', 1, '2025-03-10', 30));
				await store.recordTouch(touch('visit:fhir:enc-1', 2, '2025-03-12', 60 * 48));
				await store.recordTouch(touch('visit:fhir:enc-9', 1, '2025-03-10', 5, 'fhir:pat-2'));
			});

			it.each([
				['fhir:pat-1', '2025-03-10', 2],
				['fhir:pat-1', '2025-03-12', 1],
				['fhir:pat-1', '2025-03-11', 0],
				['fhir:pat-2', '2025-03-10', 1],
				['fhir:nobody', '2025-03-10', 0],
			])('counts distinct journey stages of %s on %s', async (patientKey, date, count) => {
				expect(await store.touchesOn(patientKey, date)).toBe(count);
			});

			it('lists the touches of one journey in time order', async () => {
				expect(await store.touchesOfJourney('visit:fhir:enc-1')).toEqual([
					touch('visit:fhir:enc-1', 1, '2025-03-10', 0),
					touch('visit:fhir:enc-1', 2, '2025-03-12', 60 * 48),
				]);
				expect(await store.touchesOfJourney('visit:fhir:none')).toEqual([]);
			});

			it('rejects a malformed local date', async () => {
				await expectDomainError(
					store.recordTouch(touch('visit:fhir:enc-1', 3, '03/10/2025', 0)),
					'invalid_input',
					'localDate',
				);
				await expectDomainError(store.touchesOn('fhir:pat-1', '2025-02-30'), 'invalid_input', 'localDate');
			});

			it('lists the distinct journey stages touchesOn counts', async () => {
				expect(await store.patientTouchesOn('fhir:pat-1', '2025-03-10')).toEqual([
					{ journeyId: 'recall:fhir:r-1', stage: 1 },
					{ journeyId: 'visit:fhir:enc-1', stage: 1 },
				]);
			});

			describe('per phone number (shared phones)', () => {
				const numberTouch = (journeyId: string, stage: number, address: string, minutes = 0, localDate = '2025-03-10') => ({
					address,
					journeyId,
					stage,
					localDate,
					at: t(minutes),
				});

				beforeEach(async () => {
					// A parent's and a child's care summaries to one mobile, written two ways; a retry adds nothing.
					await store.recordNumberTouch(numberTouch('visit:fhir:enc-1', 1, '+15125550100'));
					await store.recordNumberTouch(numberTouch('visit:fhir:enc-1', 1, '+15125550100', 2));
					await store.recordNumberTouch(numberTouch('visit:fhir:enc-9', 1, '(512) 555-0100', 5));
					await store.recordNumberTouch(numberTouch('visit:fhir:enc-9', 1, '+15125550111', 5));
					await store.recordNumberTouch(numberTouch('visit:fhir:enc-1', 2, '+15125550100', 60 * 48, '2025-03-12'));
				});

				it.each([
					['+1 512 555 0100', '2025-03-10', [{ journeyId: 'visit:fhir:enc-1', stage: 1 }, { journeyId: 'visit:fhir:enc-9', stage: 1 }]],
					['+15125550100', '2025-03-12', [{ journeyId: 'visit:fhir:enc-1', stage: 2 }]],
					['+15125550111', '2025-03-10', [{ journeyId: 'visit:fhir:enc-9', stage: 1 }]],
					['+15125550199', '2025-03-10', []],
				])('lists the journey stages that messaged %s on %s, whichever patient', async (address, date, expected) => {
					expect(await store.numberTouchesOn(address, date)).toEqual(expected);
				});

				it('leaves the patients\' own counts and the journeys\' touches as they were', async () => {
					expect(await store.touchesOn('fhir:pat-1', '2025-03-10')).toBe(2);
					expect(await store.touchesOn('fhir:pat-2', '2025-03-10')).toBe(1);
					expect((await store.touchesOfJourney('visit:fhir:enc-1')).map((row) => row.stage)).toEqual([1, 2]);
				});

				it('is pruned with the other touches', async () => {
					await store.prune(t(60 * 24));
					expect(await store.numberTouchesOn('+15125550100', '2025-03-10')).toEqual([]);
					expect(await store.numberTouchesOn('+15125550100', '2025-03-12')).toHaveLength(1);
				});

				it('rejects what is not a phone number or a date, without echoing it', async () => {
					const error = await expectDomainError(store.recordNumberTouch(numberTouch('j', 1, 'call me 4321')), 'invalid_input', 'address');
					expect(error.message).not.toContain('4321');
					await expectDomainError(store.numberTouchesOn('+15125550100', '10/03/2025'), 'invalid_input', 'localDate');
				});
			});
		});

		describe('journeys', () => {
			it('records a journey once and finds it again by id with every field intact', async () => {
				const record = journey('enc-1', 0, { practiceId: '195900', departmentId: '1' });
				await store.recordJourney(record);
				await store.recordJourney({ ...record, zone: 'Europe/Paris', startedAt: t(50) });
				expect(await store.getJourney(record.journeyId)).toEqual(record);
				expect(await store.getJourney('visit:fhir:nope')).toBeUndefined();
			});

			it('keeps optional fields optional', async () => {
				await store.recordJourney(journey('enc-2', 0));
				const found = await store.getJourney('visit:fhir:enc-2');
				expect(found).not.toHaveProperty('practiceId');
				expect(found).not.toHaveProperty('departmentId');
			});

			it('lists journeys by anchor range (from inclusive, to exclusive), kind, department and patient', async () => {
				await store.recordJourney(journey('a', 0, { departmentId: '1' }));
				await store.recordJourney(journey('b', 10, { departmentId: '2' }));
				await store.recordJourney(journey('c', 20, { departmentId: '1', patientKey: 'fhir:pat-2' }));
				await store.recordJourney(
					journey('r', 15, { journeyId: 'recall:fhir:r', kind: 'recall', sourceType: 'recall', departmentId: '1' }),
				);
				const ids = async (query: Parameters<JourneyStore['journeys']>[0]) =>
					(await store.journeys(query)).map((record) => record.sourceId);
				expect(await ids({})).toEqual(['a', 'b', 'r', 'c']);
				expect(await ids({ anchorFrom: t(0), anchorTo: t(20) })).toEqual(['a', 'b', 'r']);
				expect(await ids({ kind: 'visit', departmentId: '1' })).toEqual(['a', 'c']);
				expect(await ids({ patientKey: 'fhir:pat-2' })).toEqual(['c']);
				expect(await ids({ limit: 2 })).toEqual(['a', 'b']);
			});

			it.each([
				['kind', { kind: 'other' }],
				['sourceType', { sourceType: 'visit' }],
				['anchorAt', { anchorAt: '2025-03-10 14:00' }],
				['patientId', { patientId: '' }],
			])('rejects a record with a bad %s, naming the field', async (field, bad) => {
				await expectDomainError(
					store.recordJourney({ ...journey('x', 0), ...(bad as Partial<JourneyRecord>) }),
					'invalid_input',
					field,
				);
			});
		});

		describe('contacts', () => {
			it('finds the journeys that reached an address, most recent first, however the number is written', async () => {
				await store.recordContact({ channel: 'sms', address: '+15125550100', journeyId: 'j-1', patientKey: 'p', at: t(0) });
				await store.recordContact({ channel: 'sms', address: '(512) 555-0100', journeyId: 'j-2', patientKey: 'p', at: t(5) });
				await store.recordContact({ channel: 'sms', address: '+15125550100', journeyId: 'j-1', patientKey: 'p', at: t(9) });
				await store.recordContact({ channel: 'sms', address: '+15125550100', journeyId: 'j-1', patientKey: 'p', at: t(3) });
				await store.recordContact({ channel: 'email', address: 'Ana@Example.org', journeyId: 'j-3', patientKey: 'p', at: t(1) });
				expect(await store.journeysContactedAt('sms', '+1 512 555 0100')).toEqual([
					{ journeyId: 'j-1', patientKey: 'p', at: t(9) },
					{ journeyId: 'j-2', patientKey: 'p', at: t(5) },
				]);
				expect((await store.journeysContactedAt('email', 'ana@example.org')).map((m) => m.journeyId)).toEqual(['j-3']);
				expect(await store.journeysContactedAt('voice', '+15125550100')).toEqual([]);
			});

			it('rejects an address that is not a phone number on a phone channel', async () => {
				await expectDomainError(
					store.recordContact({ channel: 'sms', address: 'not-a-number', journeyId: 'j', patientKey: 'p', at: t(0) }),
					'invalid_input',
					'address',
				);
			});
		});

		describe('journal by provider id', () => {
			it('finds the entries of one send by its provider id', async () => {
				await store.append({ at: t(0), journeyId: 'j-1', patientKey: 'p', type: 'touch.sent', channel: 'sms', providerId: 'SM1' });
				await store.append({ at: t(1), journeyId: 'j-2', patientKey: 'p', type: 'touch.sent', channel: 'sms', providerId: 'SM2' });
				await store.append({ at: t(2), journeyId: 'j-1', patientKey: 'p', type: 'touch.delivered', channel: 'sms', providerId: 'SM1' });
				expect((await store.journal({ providerId: 'SM1' })).map((entry) => entry.type)).toEqual(['touch.sent', 'touch.delivered']);
			});
		});

		describe('prune', () => {
			it('removes old journal rows, touches and finished claims; keeps open claims and opt-outs', async () => {
				const old = -60 * 24 * 500;
				await store.append({ at: t(old), journeyId: 'j-old', patientKey: 'p', type: 'touch.sent' });
				await store.append({ at: t(0), journeyId: 'j-new', patientKey: 'p', type: 'touch.sent' });
				await store.recordTouch({ journeyId: 'j-old', stage: 1, localDate: '2023-10-27', patientKey: 'p', at: t(old) });
				await store.recordTouch({ journeyId: 'j-new', stage: 1, localDate: '2025-03-10', patientKey: 'p', at: t(0) });
				for (const key of ['sent-old', 'released-old', 'claimed-old', 'sent-new']) {
					await store.claim(key, info, key.endsWith('old') ? t(old) : t(0));
				}
				await store.markSent('sent-old', 'SM1', t(old + 1));
				await store.release('released-old', t(old + 1));
				await store.markSent('sent-new', 'SM2', t(1));
				await store.setOptOut({ channel: 'sms', address: '+15125550100', at: t(old), source: 'twilio:STOP' });
				await store.recordJourney(journey('old', old));
				await store.recordJourney(journey('new', 0));
				await store.recordContact({ channel: 'sms', address: '+15125550100', journeyId: 'j-old', patientKey: 'p', at: t(old) });
				await store.recordContact({ channel: 'sms', address: '+15125550100', journeyId: 'j-new', patientKey: 'p', at: t(0) });

				expect(await store.prune(t(-60 * 24 * 400))).toBe(6);

				expect((await store.journal({})).map((row) => row.journeyId)).toEqual(['j-new']);
				expect((await store.touchesOfJourney('j-old')).length).toBe(0);
				expect((await store.touchesOfJourney('j-new')).length).toBe(1);
				expect(await store.getClaim('sent-old')).toBeUndefined();
				expect(await store.getClaim('released-old')).toBeUndefined();
				expect((await store.getClaim('claimed-old'))?.state).toBe('claimed');
				expect((await store.getClaim('sent-new'))?.state).toBe('sent');
				expect(await store.optedOut('sms', ['+15125550100'])).toEqual(['+15125550100']);
				expect((await store.journeys({})).map((record) => record.sourceId)).toEqual(['new']);
				expect((await store.journeysContactedAt('sms', '+15125550100')).map((m) => m.journeyId)).toEqual(['j-new']);
				// A pruned key can be claimed again: that is why retention must outlast every journey.
				expect(await store.claim('sent-old', info, t(2))).toBe(true);
				expect(await store.prune(t(-60 * 24 * 400))).toBe(0);
			});
		});

		describe('scheduled steps', () => {
			const wf = 'wf-three-stage';
			const schedule = (journey: string, step: string, dueMinutes: number, extra: Partial<StepSchedule> = {}): StepSchedule => ({
				journeyId: `visit:fhir:${journey}`,
				patientKey: `fhir:${journey}`,
				workflowId: wf,
				step,
				dueAt: t(dueMinutes),
				at: t(0),
				...extra,
			});
			const claim = (now: number, extra: Partial<StepClaimQuery> = {}) =>
				store.claimDueSteps({
					workflowId: wf,
					steps: ['Reminder', 'Escalation'],
					now: t(now),
					limit: 100,
					leaseMs: 60_000,
					leaseToken: `lease-${now}`,
					includeHeldUntilResume: true,
					...extra,
				});

			it('hands out only due steps of the workflow and names asked for, earliest first, with one attempt', async () => {
				await store.scheduleStep(schedule('b', 'Reminder', 20));
				await store.scheduleStep(schedule('a', 'Escalation', 10));
				await store.scheduleStep(schedule('c', 'Reminder', 60));
				await store.scheduleStep(schedule('d', 'Recall', 5));
				await store.scheduleStep({ ...schedule('e', 'Reminder', 5), workflowId: 'wf-other' });
				const claimed = await claim(30);
				expect(claimed.map((step) => [step.journeyId, step.step, step.state, step.attempt])).toEqual([
					['visit:fhir:a', 'Escalation', 'claimed', 1],
					['visit:fhir:b', 'Reminder', 'claimed', 1],
				]);
				expect(claimed[0]).toMatchObject({ leaseToken: 'lease-30', leaseUntil: t(31), dueAt: t(10), patientKey: 'fhir:a' });
				expect(await claim(30.5)).toEqual([]);
				expect(await store.stepsInFlight(wf, t(30))).toBe(2);
			});

			it('respects the limit and the due range (on time versus backlog)', async () => {
				for (let minute = 1; minute <= 5; minute++) await store.scheduleStep(schedule(`j${minute}`, 'Reminder', minute));
				expect((await claim(10, { dueAfter: t(3) })).map((step) => step.dueAt)).toEqual([t(4), t(5)]);
				expect((await claim(10, { limit: 2 })).map((step) => step.dueAt)).toEqual([t(1), t(2)]);
				expect((await claim(10, { dueBefore: t(2) })).map((step) => step.dueAt)).toEqual([]);
				expect((await claim(10)).map((step) => step.dueAt)).toEqual([t(3)]);
			});

			it('completes only with the lease that holds the step, and a new step replaces the old one', async () => {
				await store.scheduleStep(schedule('a', 'Reminder', 1));
				const [first] = await claim(5);
				expect(await store.completeStep(first.journeyId, wf, 'someone-else')).toBe(false);
				await store.scheduleStep(schedule('a', 'Escalation', 100));
				expect(await store.completeStep(first.journeyId, wf, first.leaseToken)).toBe(false);
				const [next] = await store.steps({ journeyId: first.journeyId });
				expect(next).toMatchObject({ step: 'Escalation', state: 'scheduled', attempt: 0, dueAt: t(100) });
				expect(next.leaseUntil).toBeUndefined();
				const [again] = await claim(100);
				expect(await store.completeStep(again.journeyId, wf, again.leaseToken)).toBe(true);
				expect(await store.steps({})).toEqual([]);
			});

			it('hands a step out again when its lease ran out, one attempt more, and never to two holders at once', async () => {
				await store.scheduleStep(schedule('a', 'Reminder', 1));
				const [first] = await claim(5);
				expect(await claim(5.5)).toEqual([]);
				const [second] = await claim(6);
				expect(second).toMatchObject({ attempt: 2, leaseToken: 'lease-6' });
				expect(await store.completeStep(first.journeyId, wf, first.leaseToken)).toBe(false);
				expect(await store.completeStep(second.journeyId, wf, second.leaseToken)).toBe(true);
			});

			it('extends a lease only for its holder, and not once the step was handed to another execution', async () => {
				await store.scheduleStep(schedule('a', 'Reminder', 1));
				const [first] = await claim(5);
				expect(await store.renewStepLease(first.journeyId, wf, first.leaseToken, t(20))).toBe(true);
				expect(await claim(10)).toEqual([]);
				const [second] = await claim(20);
				expect(second.attempt).toBe(2);
				expect(await store.renewStepLease(first.journeyId, wf, first.leaseToken, t(40))).toBe(false);
				expect(await store.renewStepLease(second.journeyId, wf, second.leaseToken, t(40))).toBe(true);
				expect(await store.renewStepLease(second.journeyId, wf, 'never-held', t(40))).toBe(false);
			});

			it('records a step with its journal line in one transaction, or neither when one is refused', async () => {
				const line = { at: t(0), journeyId: 'visit:fhir:a', patientKey: 'fhir:a', type: 'wait.scheduled' };
				await store.scheduleStep(schedule('a', 'Reminder', 1), line);
				expect(await store.steps({ journeyId: 'visit:fhir:a' })).toHaveLength(1);
				expect(await store.journal({ journeyId: 'visit:fhir:a' })).toEqual([expect.objectContaining({ type: 'wait.scheduled' })]);
				await expect(store.scheduleStep(schedule('b', 'Reminder', 1), { ...line, journeyId: 'visit:fhir:b', type: '' })).rejects.toThrow();
				expect(await store.steps({ journeyId: 'visit:fhir:b' })).toEqual([]);
				expect(await store.journal({ journeyId: 'visit:fhir:b' })).toEqual([]);
			});

			it('tells by a read whether a lease still holds its step: not once it ran out, was completed or handed on', async () => {
				await store.scheduleStep(schedule('a', 'Reminder', 1));
				const [first] = await claim(5);
				expect(await store.holdsStepLease(first.journeyId, wf, first.leaseToken, t(5.5))).toBe(true);
				expect(await store.holdsStepLease(first.journeyId, wf, 'never-held', t(5.5))).toBe(false);
				expect(await store.holdsStepLease(first.journeyId, wf, first.leaseToken, first.leaseUntil)).toBe(false);
				const [second] = await claim(20);
				expect(await store.holdsStepLease(first.journeyId, wf, first.leaseToken, t(20.5))).toBe(false);
				expect(await store.holdsStepLease(second.journeyId, wf, second.leaseToken, t(20.5))).toBe(true);
				expect(await store.completeStep(second.journeyId, wf, second.leaseToken)).toBe(true);
				expect(await store.holdsStepLease(second.journeyId, wf, second.leaseToken, t(20.5))).toBe(false);
			});

			it('gives a step back for later (attempts kept) and sets one aside for a person', async () => {
				await store.scheduleStep(schedule('a', 'Reminder', 1));
				await store.scheduleStep(schedule('b', 'Reminder', 1));
				const [a, b] = await claim(5);
				expect(await store.retryStep(a.journeyId, wf, a.leaseToken, t(20), 'ehrUnreachable')).toBe(true);
				expect(await store.setStepAside(b.journeyId, wf, b.leaseToken, 'attemptsUsedUp', t(5))).toBe(true);
				expect(await store.setStepAside(b.journeyId, wf, b.leaseToken, 'attemptsUsedUp', t(5))).toBe(false);
				expect(await claim(10)).toEqual([]);
				const [retried] = await claim(20);
				expect(retried).toMatchObject({ journeyId: a.journeyId, attempt: 2, code: 'ehrUnreachable' });
				expect(await store.steps({ states: ['failed'] })).toEqual([
					expect.objectContaining({ journeyId: b.journeyId, state: 'failed', code: 'attemptsUsedUp' }),
				]);
			});

			it('keeps steps held until resume while outreach is paused', async () => {
				await store.scheduleStep(schedule('a', 'Reminder', 1, { untilResume: true }));
				await store.scheduleStep(schedule('b', 'Reminder', 1));
				expect((await claim(5, { includeHeldUntilResume: false })).map((step) => step.journeyId)).toEqual(['visit:fhir:b']);
				expect(await claim(5.5, { includeHeldUntilResume: true })).toEqual([
					expect.objectContaining({ journeyId: 'visit:fhir:a', untilResume: true }),
				]);
			});

			it('marks due steps with no trigger output as orphaned once, and claims them when the name comes back', async () => {
				await store.scheduleStep(schedule('a', 'Old Name', 1));
				await store.scheduleStep(schedule('b', 'Old Name', 50));
				await store.scheduleStep(schedule('c', 'Reminder', 1));
				const orphans = await store.markOrphanedSteps(wf, ['Reminder'], t(5), 100);
				expect(orphans.map((step) => [step.journeyId, step.state, step.code])).toEqual([['visit:fhir:a', 'orphaned', 'noTriggerOutput']]);
				expect(await store.markOrphanedSteps(wf, ['Reminder'], t(5), 100)).toEqual([]);
				expect((await claim(5, { steps: ['Old Name'] })).map((step) => step.journeyId)).toEqual(['visit:fhir:a']);
			});

			it('lists what each journey waits for by workflow, patient, state and due time', async () => {
				await store.scheduleStep(schedule('a', 'Reminder', 30));
				await store.scheduleStep({ ...schedule('a', 'Care Summary', 10), workflowId: 'wf-delivery' });
				await store.scheduleStep(schedule('b', 'Escalation', 20));
				expect((await store.steps({ journeyId: 'visit:fhir:a' })).map((step) => [step.workflowId, step.step])).toEqual([
					['wf-delivery', 'Care Summary'],
					[wf, 'Reminder'],
				]);
				expect((await store.steps({ dueBefore: t(25), states: ['scheduled'] })).map((step) => step.journeyId)).toEqual([
					'visit:fhir:a',
					'visit:fhir:b',
				]);
				expect((await store.steps({ patientKey: 'fhir:b' })).map((step) => step.step)).toEqual(['Escalation']);
				expect(await store.steps({ states: [] })).toEqual([]);
				expect((await store.steps({ limit: 1 })).map((step) => step.dueAt)).toEqual([t(10)]);
			});

			it('gives each of 20 concurrent claimers disjoint steps', async () => {
				for (let index = 0; index < 60; index++) await store.scheduleStep(schedule(`j${index}`, 'Reminder', 1));
				const batches = await Promise.all(
					Array.from({ length: 20 }, (_, index) => claim(5, { limit: 5, leaseToken: `lease-${index}` })),
				);
				const ids = batches.flat().map((step) => step.journeyId);
				expect(new Set(ids).size).toBe(ids.length);
				expect(ids.length).toBe(60);
			});

			it.each([
				['an unknown state', () => store.steps({ states: ['waiting' as never] }), 'states'],
				['a due time without offset', () => store.scheduleStep(schedule('a', 'Reminder', 1, { dueAt: '2025-03-10T14:00:00' })), 'dueAt'],
				['an empty step name', () => store.scheduleStep(schedule('a', '', 1)), 'step'],
				['a lease under a second', () => claim(5, { leaseMs: 10 }), 'leaseMs'],
			])('refuses %s, naming the field', async (_what, call, field) => {
				await expectDomainError(call(), 'invalid_input', field);
			});
		});

		it('refuses calls after close', async () => {
			await store.close();
			await expectDomainError(store.claim('k', info, t(0)), 'store_closed');
			await store.close();
		});
	});
}

/**
 * Issue 19 (finding 3): addresses are hashed under the credential's Contact Hash Secret; rows written before the key
 * (unkeyed SHA-256) stay readable: opt-outs for good, contacts until retention prunes them.
 */
function describeKeyedHashes(name: string, backend: ContractBackend): void {
	describe(`JourneyStore contract: ${name}: keyed address hashes`, () => {
		let store: JourneyStore;
		afterEach(async () => {
			await store.close();
		});

		it('hashes addresses with HMAC-SHA256 under the key, not the SHA-256 anyone can compute for every number', async () => {
			store = await backend.open('m'.repeat(40));
			const keyed = createHmac('sha256', 'm'.repeat(40)).update('address:+15125550100').digest('hex');
			expect(store.addressHash('sms', '(512) 555-0100')).toBe(keyed);
			expect(store.addressHashes('voice', '+1 512 555 0100')).toEqual([keyed, legacyHash('+15125550100')]);
		});

		it('finds an opt-out recorded before the key under its unkeyed hash, and a later START still wins', async () => {
			store = await backend.open();
			await backend.exec(insertOptOut, ['sms', legacyHash('+15125550100'), 1, t(0), Date.parse(t(0)), 'twilio:STOP']);
			await backend.exec(insertOptOut, ['email', legacyHash('pat@example.com'), 1, t(0), Date.parse(t(0)), 'unsubscribe']);
			expect(await store.optedOut('sms', ['(512) 555-0100', '+15125550101'])).toEqual(['(512) 555-0100']);
			expect(await store.optedOut('email', ['Pat@Example.com'])).toEqual(['Pat@Example.com']);
			await store.clearOptOut('sms', '+15125550100', t(10), 'twilio:START');
			expect(await store.optedOut('sms', ['+15125550100'])).toEqual([]);
			// A STOP after that START (recorded keyed) opts out again; a START older than the old STOP changes nothing.
			await store.setOptOut({ channel: 'sms', address: '+15125550100', at: t(20), source: 'twilio:STOP' });
			expect(await store.optedOut('sms', ['+15125550100'])).toEqual(['+15125550100']);
			await store.clearOptOut('email', 'pat@example.com', t(-5), 'web:resubscribe');
			expect(await store.optedOut('email', ['pat@example.com'])).toEqual(['pat@example.com']);
		});

		it('keeps an old opt-out found through retention (opt-outs are never pruned)', async () => {
			store = await backend.open();
			const old = t(-60 * 24 * 900);
			await backend.exec(insertOptOut, ['sms', legacyHash('+15125550100'), 1, old, Date.parse(old), 'twilio:STOP']);
			await store.prune(t(-60 * 24 * 400));
			expect(await store.optedOut('sms', ['+15125550100'])).toEqual(['+15125550100']);
		});

		it('finds journeys a contact recorded before the key reached, once per journey, until retention prunes it', async () => {
			store = await backend.open();
			await backend.exec(insertContact, ['sms', legacyHash('+15125550100'), 'j-before', 'p', t(0), Date.parse(t(0))]);
			await backend.exec(insertContact, ['sms', legacyHash('+15125550100'), 'j-both', 'p', t(1), Date.parse(t(1))]);
			await store.recordContact({ channel: 'sms', address: '+15125550100', journeyId: 'j-both', patientKey: 'p', at: t(5) });
			expect(await store.journeysContactedAt('sms', '(512) 555-0100')).toEqual([
				{ journeyId: 'j-both', patientKey: 'p', at: t(5) },
				{ journeyId: 'j-before', patientKey: 'p', at: t(0) },
			]);
			await store.prune(t(2));
			expect((await store.journeysContactedAt('sms', '+15125550100')).map((match) => match.journeyId)).toEqual(['j-both']);
		});

		it('refuses to open with a key other than the one its rows were recorded under', async () => {
			const [first, second] = [randomBytes(20).toString('hex'), randomBytes(20).toString('hex')];
			store = await backend.open(first);
			await store.setOptOut({ channel: 'sms', address: '+15125550100', at: t(0), source: 'twilio:STOP' });
			const changed = backend.reopen(second);
			await expectDomainError(changed, 'contact_hash_secret_mismatch', 'contactHashSecret');
			await expect(changed).rejects.not.toThrow(second);
			const again = await backend.reopen(first);
			expect(await again.optedOut('sms', ['+15125550100'])).toEqual(['+15125550100']);
			await again.close();
		});

		it('without a key opens, keeps claims and the journal, and refuses opt-outs and contacts naming the field', async () => {
			store = await backend.open(null);
			expect(await store.claim('k', info, t(0))).toBe(true);
			await store.append({ at: t(0), journeyId: 'j', patientKey: 'p', type: 'touch.held' });
			const refusals: Array<Promise<unknown>> = [
				store.setOptOut({ channel: 'sms', address: '+15125550100', at: t(0), source: 'twilio:STOP' }),
				store.clearOptOut('sms', '+15125550100', t(0), 'twilio:START'),
				store.optedOut('sms', ['+15125550100']),
				store.recordContact({ channel: 'sms', address: '+15125550100', journeyId: 'j', patientKey: 'p', at: t(0) }),
				store.journeysContactedAt('sms', '+15125550100'),
				store.recordNumberTouch({ address: '+15125550100', journeyId: 'j', stage: 1, localDate: '2025-03-10', at: t(0) }),
				store.numberTouchesOn('+15125550100', '2025-03-10'),
				Promise.resolve().then(() => store.addressHash('sms', '+15125550100')),
			];
			for (const refusal of refusals) await expectDomainError(refusal, 'contact_hash_secret_missing', 'contactHashSecret');
		});
	});
}
