import { DomainError } from '../core/errors';
import { channels, zoneSources, type Channel } from '../core/schemas';
import { AddressHasher } from './addresses';
import type { Dialect } from './migrations';
import { oneOf, selectSql } from './sql';
import type { SqlDriver, SqlRow, SqlStatement, SqlValue } from './sql';
import { SqlStepSchedule } from './steps';
import type {
	Claim,
	ClaimInfo,
	ClaimState,
	ClaimedStep,
	ContactMatch,
	ContactRecord,
	DayTouch,
	JournalEntry,
	JournalQuery,
	JourneyQuery,
	JourneyRecord,
	JourneyStore,
	NumberTouchRecord,
	OptOut,
	ScheduledStep,
	SendRecord,
	StepClaimQuery,
	StepQuery,
	StepSchedule,
	TouchRecord,
} from './types';
import {
	detailJson,
	instantMs,
	localDate,
	optionalShortText,
	optionalStage,
	shortText,
	stage,
} from './validation';

export type { SqlDriver, SqlRow, SqlStatement, SqlValue } from './sql';

export interface SqlStoreOptions {
	/** The journey-store credential's Contact Hash Secret (store/addresses.ts); absent: no opt-outs or contacts. */
	contactHashSecret?: string;
}

const claimChannels: ReadonlyArray<string> = [...channels, 'task', 'event'];
/** The key kind of the per-number rows of pv_touches (patient keys are "<ehr>:<id>", never this). */
const NUMBER_KEY_PREFIX = 'number:';

/**
 * One statement claims a key: the insert wins for a new key; for a released key the conflict branch takes it
 * back, and only while the row is still 'released' (the row lock makes a second claimer see 'claimed').
 * A row comes back exactly when this caller holds the claim.
 */
export const CLAIM_SQL = `INSERT INTO pv_claims
	(key, journey_id, patient_key, stage, channel, state, claimed_at, claimed_at_ms, updated_at, updated_at_ms, provider_id)
	VALUES ($1, $2, $3, $4, $5, 'claimed', $6, $7, $6, $7, NULL)
	ON CONFLICT (key) DO UPDATE SET
		journey_id = excluded.journey_id,
		patient_key = excluded.patient_key,
		stage = excluded.stage,
		channel = excluded.channel,
		state = 'claimed',
		claimed_at = excluded.claimed_at,
		claimed_at_ms = excluded.claimed_at_ms,
		updated_at = excluded.updated_at,
		updated_at_ms = excluded.updated_at_ms,
		provider_id = NULL
	WHERE pv_claims.state = 'released'
	RETURNING key`;

/**
 * Latest wins by the time of the opt-out or opt-in (not by arrival order, so a delayed STOP cannot undo a
 * later START); on a tie the opt-out wins, the safe side.
 */
const UPSERT_OPT_OUT_SQL = `INSERT INTO pv_opt_outs (channel, address_hash, opted_out, at, at_ms, source)
	VALUES ($1, $2, $3, $4, $5, $6)
	ON CONFLICT (channel, address_hash) DO UPDATE SET
		opted_out = excluded.opted_out, at = excluded.at, at_ms = excluded.at_ms, source = excluded.source
	WHERE excluded.at_ms > pv_opt_outs.at_ms
		OR (excluded.at_ms = pv_opt_outs.at_ms AND excluded.opted_out = 1)`;

const CLAIM_COLUMNS =
	'key, journey_id, patient_key, stage, channel, state, claimed_at, updated_at, provider_id';
const JOURNEY_COLUMNS =
	'journey_id, patient_key, kind, ehr, practice_id, department_id, patient_id, source_id, source_type, anchor_at, started_at, zone, ' +
	'zone_source, extra_zones';
const journeyKinds: ReadonlyArray<string> = ['visit', 'recall'];
const journeySourceTypes: ReadonlyArray<string> = ['appointment', 'encounter', 'recall'];
const JOURNAL_COLUMNS =
	'at, journey_id, patient_key, type, stage, channel, code, provider_id, template_id, detail';

/**
 * The journey store over any SqlDriver. Claim life: claim → markSent, or claim → release → claim again.
 * - markSent on a 'claimed' or 'released' key records it sent (a send that went out after all must block
 *   further claims); on a 'sent' key it only fills a missing provider id; on an unknown key it throws.
 * - release on a 'sent' key throws (a message that went out cannot be un-sent); on 'released' it is a no-op.
 */
export class SqlJourneyStore implements JourneyStore {
	readonly backend: Dialect;
	private readonly driver: SqlDriver;
	private readonly schedule: SqlStepSchedule;
	private readonly hasher: AddressHasher;
	private closed = false;

	constructor(driver: SqlDriver, options: SqlStoreOptions = {}) {
		this.driver = driver;
		this.backend = driver.dialect;
		this.schedule = new SqlStepSchedule(driver);
		this.hasher = new AddressHasher(options.contactHashSecret);
	}

	async migrate(): Promise<void> {
		this.assertOpen();
		await this.driver.migrate();
	}

	/**
	 * Records the Contact Hash Secret's check value the first time a secret is used, and afterwards refuses a
	 * different one: opt-outs recorded under one secret are not found under another, so a changed secret must stop
	 * the store, not quietly forget every STOP since. Without a secret there is nothing to check.
	 */
	async checkContactHashSecret(at: string): Promise<void> {
		this.assertOpen();
		if (!this.hasher.keyed) return;
		const check = this.hasher.secretCheck();
		await this.driver.run(
			`INSERT INTO pv_settings (name, value, at) VALUES ('contact_hash_secret_check', $1, $2) ON CONFLICT (name) DO NOTHING`,
			[check, at],
		);
		const rows = await this.driver.all("SELECT value FROM pv_settings WHERE name = 'contact_hash_secret_check'", []);
		if (String(rows[0]?.value) !== check) {
			throw new DomainError(
				'Journey store: "Contact Hash Secret" is not the secret this store recorded its opt-outs and contacts under. ' +
					'Put the original one back: under another secret no earlier STOP would be found',
				'contact_hash_secret_mismatch',
				'contactHashSecret',
			);
		}
	}

	addressHash(channel: Channel, address: string): string {
		return this.hasher.hash(optOutChannel(channel), address);
	}

	addressHashes(channel: Channel, address: string): string[] {
		return this.hasher.hashes(optOutChannel(channel), address);
	}

	async claim(key: string, info: ClaimInfo, at: string): Promise<boolean> {
		this.assertOpen();
		if (!info || typeof info !== 'object') {
			throw new DomainError('Journey store: claim info must be an object', 'invalid_input', 'info');
		}
		const params = [
			shortText(key, 'key'),
			shortText(info.journeyId, 'journeyId'),
			shortText(info.patientKey, 'patientKey'),
			optionalStage(info.stage),
			claimChannel(info.channel),
			at,
			instantMs(at, 'at'),
		];
		const rows = await this.driver.all(CLAIM_SQL, params);
		return rows.length === 1;
	}

	async markSent(key: string, providerId: string | undefined, at: string): Promise<void> {
		this.assertOpen();
		const { sql, params } = markSentStatement(key, providerId, at);
		await this.afterMarkSent(key, providerId, await this.driver.run(sql, params));
	}

	/**
	 * What a send leaves, in one commit: the claim marked sent (as markSent), the caps' counts (recordTouch,
	 * recordNumberTouch), the contact (recordContact) and its journal line (append). One commit instead of five:
	 * each commit waits for the disk.
	 */
	async recordSend(send: SendRecord): Promise<void> {
		this.assertOpen();
		const statements: SqlStatement[] = [];
		if (send.claim) statements.push(markSentStatement(send.claim.key, send.claim.providerId, send.claim.at));
		statements.push(touchStatement(send.touch), this.contactStatement(send.contact));
		if (send.numberTouch) statements.push(this.numberTouchStatement(send.numberTouch));
		statements.push(journalStatement(send.entry));
		const [claimChanged] = await this.driver.runTogether(statements);
		if (send.claim) await this.afterMarkSent(send.claim.key, send.claim.providerId, claimChanged);
	}

	async release(key: string, at: string): Promise<void> {
		this.assertOpen();
		const params = [shortText(key, 'key'), at, instantMs(at, 'at')];
		const changed = await this.driver.run(
			`UPDATE pv_claims SET state = 'released', updated_at = $2, updated_at_ms = $3
			WHERE key = $1 AND state = 'claimed'`,
			params,
		);
		if (changed === 1) return;
		const current = await this.getClaim(key);
		if (!current) throw claimNotFound();
		if (current.state === 'sent') {
			throw new DomainError(
				'Journey store: this claim is already marked sent and cannot be released (that would allow a second send)',
				'claim_already_sent',
				'key',
			);
		}
	}

	async getClaim(key: string): Promise<Claim | undefined> {
		this.assertOpen();
		const rows = await this.driver.all(`SELECT ${CLAIM_COLUMNS} FROM pv_claims WHERE key = $1`, [
			shortText(key, 'key'),
		]);
		return rows.length ? claimOf(rows[0]) : undefined;
	}

	async staleClaims(olderThan: string): Promise<Claim[]> {
		this.assertOpen();
		const rows = await this.driver.all(
			`SELECT ${CLAIM_COLUMNS} FROM pv_claims WHERE state = 'claimed' AND claimed_at_ms < $1
			ORDER BY claimed_at_ms, key`,
			[instantMs(olderThan, 'olderThan')],
		);
		return rows.map(claimOf);
	}

	async append(entry: JournalEntry): Promise<void> {
		this.assertOpen();
		const { sql, params } = journalStatement(entry);
		await this.driver.run(sql, params);
	}

	async appendAll(entries: JournalEntry[]): Promise<void> {
		this.assertOpen();
		if (entries.length) await this.driver.runTogether(entries.map(journalStatement));
	}

	/** Entries matching every given filter, oldest first; `from` is inclusive and `to` exclusive. */
	async journal(query: JournalQuery): Promise<JournalEntry[]> {
		this.assertOpen();
		const filters: Array<[string, SqlValue | undefined]> = [
			['journey_id = ?', query.journeyId === undefined ? undefined : shortText(query.journeyId, 'journeyId')],
			['patient_key = ?', query.patientKey === undefined ? undefined : shortText(query.patientKey, 'patientKey')],
			['type = ?', query.type === undefined ? undefined : shortText(query.type, 'type')],
			['provider_id = ?', query.providerId === undefined ? undefined : shortText(query.providerId, 'providerId')],
			['at_ms >= ?', query.from === undefined ? undefined : instantMs(query.from, 'from')],
			['at_ms < ?', query.to === undefined ? undefined : instantMs(query.to, 'to')],
		];
		const { sql, params } = selectSql(`SELECT ${JOURNAL_COLUMNS} FROM pv_journal`, filters, 'at_ms, id', query.limit);
		const rows = await this.driver.all(sql, params);
		return rows.map(journalEntryOf);
	}

	async recordJourney(record: JourneyRecord): Promise<void> {
		this.assertOpen();
		if (!record || typeof record !== 'object') {
			throw new DomainError('Journey store: a journey record must be an object', 'invalid_input', '(root)');
		}
		await this.driver.run(
			`INSERT INTO pv_journeys (journey_id, patient_key, kind, ehr, practice_id, department_id, patient_id,
				source_id, source_type, anchor_at, anchor_at_ms, started_at, started_at_ms, zone, zone_source, extra_zones)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
			ON CONFLICT (journey_id) DO NOTHING`,
			[
				shortText(record.journeyId, 'journeyId'),
				shortText(record.patientKey, 'patientKey'),
				oneOf(record.kind, journeyKinds, 'kind'),
				shortText(record.ehr, 'ehr'),
				optionalShortText(record.practiceId, 'practiceId'),
				optionalShortText(record.departmentId, 'departmentId'),
				shortText(record.patientId, 'patientId'),
				shortText(record.sourceId, 'sourceId'),
				oneOf(record.sourceType, journeySourceTypes, 'sourceType'),
				record.anchorAt,
				instantMs(record.anchorAt, 'anchorAt'),
				record.startedAt,
				instantMs(record.startedAt, 'startedAt'),
				shortText(record.zone, 'zone'),
				record.zoneSource === undefined ? null : oneOf(record.zoneSource, zoneSources, 'zoneSource'),
				extraZonesText(record.extraZones),
			],
		);
	}

	async getJourney(journeyId: string): Promise<JourneyRecord | undefined> {
		this.assertOpen();
		const rows = await this.driver.all(`SELECT ${JOURNEY_COLUMNS} FROM pv_journeys WHERE journey_id = $1`, [
			shortText(journeyId, 'journeyId'),
		]);
		return rows[0] ? journeyRecordOf(rows[0]) : undefined;
	}

	/** `anchorFrom` is inclusive and `anchorTo` exclusive. */
	async journeys(query: JourneyQuery): Promise<JourneyRecord[]> {
		this.assertOpen();
		const filters: Array<[string, SqlValue | undefined]> = [
			['anchor_at_ms >= ?', query.anchorFrom === undefined ? undefined : instantMs(query.anchorFrom, 'anchorFrom')],
			['anchor_at_ms < ?', query.anchorTo === undefined ? undefined : instantMs(query.anchorTo, 'anchorTo')],
			['kind = ?', query.kind === undefined ? undefined : oneOf(query.kind, journeyKinds, 'kind')],
			['department_id = ?', query.departmentId === undefined ? undefined : shortText(query.departmentId, 'departmentId')],
			['patient_key = ?', query.patientKey === undefined ? undefined : shortText(query.patientKey, 'patientKey')],
		];
		const { sql, params } = selectSql(`SELECT ${JOURNEY_COLUMNS} FROM pv_journeys`, filters, 'anchor_at_ms, journey_id', query.limit);
		const rows = await this.driver.all(sql, params);
		return rows.map(journeyRecordOf);
	}

	async recordContact(contact: ContactRecord): Promise<void> {
		this.assertOpen();
		const { sql, params } = this.contactStatement(contact);
		await this.driver.run(sql, params);
	}

	/** Under the keyed hash, and the unkeyed one of contacts recorded before the key (until retention prunes them). */
	async journeysContactedAt(channel: Channel, address: string): Promise<ContactMatch[]> {
		this.assertOpen();
		const checkedChannel = optOutChannel(channel);
		const [keyed, legacy] = this.hasher.hashes(checkedChannel, address);
		const rows = await this.driver.all(
			`SELECT journey_id, patient_key, at FROM pv_contacts WHERE channel = $1 AND address_hash IN ($2, $3)
			ORDER BY at_ms DESC, journey_id`,
			[checkedChannel, keyed, legacy],
		);
		const seen = new Set<string>();
		const matches: ContactMatch[] = [];
		for (const row of rows) {
			const journeyId = String(row.journey_id);
			if (seen.has(journeyId)) continue;
			seen.add(journeyId);
			matches.push({ journeyId, patientKey: String(row.patient_key), at: String(row.at) });
		}
		return matches;
	}

	async setOptOut(optOut: OptOut): Promise<void> {
		this.assertOpen();
		await this.writeOptOut(optOut.channel, optOut.address, true, optOut.at, optOut.source);
	}

	async clearOptOut(channel: Channel, address: string, at: string, source: string): Promise<void> {
		this.assertOpen();
		await this.writeOptOut(channel, address, false, at, source);
	}

	/**
	 * Looks each address up under its keyed hash and, permanently, under the unkeyed hash of opt-outs recorded
	 * before the key existed (an opt-out never ages out). Of the rows found, the latest STOP or START wins; on a
	 * tie the opt-out.
	 */
	async optedOut(channel: Channel, addresses: string[]): Promise<string[]> {
		this.assertOpen();
		const checkedChannel = optOutChannel(channel);
		if (addresses.length === 0) return [];
		const hashesOf = addresses.map((address) => this.hasher.hashes(checkedChannel, address));
		const distinct = [...new Set(hashesOf.flat())];
		const placeholders = distinct.map((_, index) => `$${index + 2}`).join(', ');
		const rows = await this.driver.all(
			`SELECT address_hash, opted_out, at_ms FROM pv_opt_outs WHERE channel = $1 AND address_hash IN (${placeholders})`,
			[checkedChannel, ...distinct],
		);
		const states = new Map(rows.map((row) => [String(row.address_hash), { out: Number(row.opted_out) === 1, atMs: Number(row.at_ms) }]));
		return addresses.filter((_, index) => {
			const found = (hashesOf[index] ?? []).flatMap((hash) => states.get(hash) ?? []);
			const latest = Math.max(...found.map((state) => state.atMs));
			return found.some((state) => state.out && state.atMs === latest);
		});
	}

	/** Idempotent (touchStatement). */
	async recordTouch(touch: TouchRecord): Promise<void> {
		this.assertOpen();
		const { sql, params } = touchStatement(touch);
		await this.driver.run(sql, params);
	}

	async touchesOn(patientKey: string, date: string): Promise<number> {
		this.assertOpen();
		const rows = await this.driver.all(
			`SELECT COUNT(*) AS touches FROM
				(SELECT DISTINCT journey_id, stage FROM pv_touches WHERE patient_key = $1 AND local_date = $2) AS distinct_touches`,
			[shortText(patientKey, 'patientKey'), localDate(date, 'localDate')],
		);
		return Number(rows[0]?.touches ?? 0);
	}

	async patientTouchesOn(patientKey: string, date: string): Promise<DayTouch[]> {
		this.assertOpen();
		return await this.distinctTouchesOn(shortText(patientKey, 'patientKey'), date);
	}

	/** Under the number's keyed hash (numberTouchStatement). */
	async recordNumberTouch(touch: NumberTouchRecord): Promise<void> {
		this.assertOpen();
		const { sql, params } = this.numberTouchStatement(touch);
		await this.driver.run(sql, params);
	}

	async numberTouchesOn(address: string, date: string): Promise<DayTouch[]> {
		this.assertOpen();
		const numberKey = this.numberKey(address);
		const touches = await this.distinctTouchesOn(numberKey, date);
		return touches.map((touch) => ({ ...touch, journeyId: touch.journeyId.slice(numberKey.length + 1) }));
	}

	async touchesOfJourney(journeyId: string): Promise<TouchRecord[]> {
		this.assertOpen();
		const rows = await this.driver.all(
			`SELECT journey_id, stage, local_date, patient_key, at FROM pv_touches WHERE journey_id = $1
			ORDER BY at_ms, stage`,
			[shortText(journeyId, 'journeyId')],
		);
		return rows.map((row) => ({
			patientKey: String(row.patient_key),
			journeyId: String(row.journey_id),
			stage: Number(row.stage),
			localDate: String(row.local_date),
			at: String(row.at),
		}));
	}

	async scheduleStep(schedule: StepSchedule, entry?: JournalEntry): Promise<void> {
		this.assertOpen();
		const step = this.schedule.scheduleStatement(schedule);
		if (entry) await this.driver.runTogether([step, journalStatement(entry)]);
		else await this.driver.run(step.sql, step.params);
	}

	async claimDueSteps(query: StepClaimQuery): Promise<ClaimedStep[]> {
		this.assertOpen();
		return await this.schedule.claim(query);
	}

	async completeStep(journeyId: string, workflowId: string, leaseToken: string): Promise<boolean> {
		this.assertOpen();
		return await this.schedule.complete(journeyId, workflowId, leaseToken);
	}

	async renewStepLease(journeyId: string, workflowId: string, leaseToken: string, leaseUntil: string): Promise<boolean> {
		this.assertOpen();
		return await this.schedule.renew(journeyId, workflowId, leaseToken, leaseUntil);
	}

	async holdsStepLease(journeyId: string, workflowId: string, leaseToken: string, now: string): Promise<boolean> {
		this.assertOpen();
		return await this.schedule.holds(journeyId, workflowId, leaseToken, now);
	}

	async retryStep(journeyId: string, workflowId: string, leaseToken: string, dueAt: string, code: string): Promise<boolean> {
		this.assertOpen();
		return await this.schedule.retry(journeyId, workflowId, leaseToken, dueAt, code);
	}

	async setStepAside(journeyId: string, workflowId: string, leaseToken: string, code: string, at: string): Promise<boolean> {
		this.assertOpen();
		return await this.schedule.setAside(journeyId, workflowId, leaseToken, code, at);
	}

	async markOrphanedSteps(workflowId: string, steps: string[], now: string, limit: number): Promise<ScheduledStep[]> {
		this.assertOpen();
		return await this.schedule.markOrphaned(workflowId, steps, now, limit);
	}

	async stepsInFlight(workflowId: string, now: string): Promise<number> {
		this.assertOpen();
		return await this.schedule.inFlight(workflowId, now);
	}

	async steps(query: StepQuery): Promise<ScheduledStep[]> {
		this.assertOpen();
		return await this.schedule.list(query);
	}

	/**
	 * Deletes journal rows, touches, journeys, contacts and finished (sent or released) claims older than `olderThan`. Claims still
	 * 'claimed' stay, whatever their age: each is an unresolved "unknown — check" that a person must settle,
	 * and deleting it would let the same send be claimed again. Opt-outs are never pruned.
	 */
	async prune(olderThan: string): Promise<number> {
		this.assertOpen();
		const cutoff = instantMs(olderThan, 'olderThan');
		const journal = await this.driver.run('DELETE FROM pv_journal WHERE at_ms < $1', [cutoff]);
		const touches = await this.driver.run('DELETE FROM pv_touches WHERE at_ms < $1', [cutoff]);
		const journeys = await this.driver.run('DELETE FROM pv_journeys WHERE started_at_ms < $1', [cutoff]);
		const contacts = await this.driver.run('DELETE FROM pv_contacts WHERE at_ms < $1', [cutoff]);
		const claims = await this.driver.run(
			"DELETE FROM pv_claims WHERE state IN ('sent', 'released') AND updated_at_ms < $1",
			[cutoff],
		);
		return journal + touches + journeys + contacts + claims;
	}

	async close(): Promise<void> {
		if (this.closed) return;
		this.closed = true;
		await this.driver.close();
	}

	/** markSent's rest when its update changed no row: an unknown key throws; a sent one gets a missing provider id. */
	private async afterMarkSent(key: string, providerId: string | undefined, changed: number | undefined): Promise<void> {
		if (changed === 1) return;
		const current = await this.getClaim(key);
		if (!current) throw claimNotFound();
		if (current.providerId === undefined && providerId !== undefined) {
			await this.driver.run(
				"UPDATE pv_claims SET provider_id = $2 WHERE key = $1 AND state = 'sent' AND provider_id IS NULL",
				[key, optionalShortText(providerId, 'providerId')],
			);
		}
	}

	private contactStatement(contact: ContactRecord): SqlStatement {
		const channel = optOutChannel(contact.channel);
		return {
			sql: `INSERT INTO pv_contacts (channel, address_hash, journey_id, patient_key, at, at_ms)
			VALUES ($1, $2, $3, $4, $5, $6)
			ON CONFLICT (channel, address_hash, journey_id) DO UPDATE SET at = excluded.at, at_ms = excluded.at_ms
			WHERE excluded.at_ms > pv_contacts.at_ms`,
			params: [
				channel,
				this.hasher.hash(channel, contact.address),
				shortText(contact.journeyId, 'journeyId'),
				shortText(contact.patientKey, 'patientKey'),
				contact.at,
				instantMs(contact.at, 'at'),
			],
		};
	}

	/**
	 * A row of pv_touches under a second kind of key, so no migration is needed: `number:<keyed hash>` in place of
	 * the patient key, and the journey id behind the same prefix (the table's primary key is journey + stage + date,
	 * which the patient's own row of this touch already holds). touchesOn and touchesOfJourney never see these rows.
	 */
	private numberTouchStatement(touch: NumberTouchRecord): SqlStatement {
		const numberKey = this.numberKey(touch.address);
		return touchRowStatement(
			shortText(`${numberKey}:${shortText(touch.journeyId, 'journeyId')}`, 'journeyId'),
			touch.stage,
			touch.localDate,
			numberKey,
			touch.at,
		);
	}

	private async writeOptOut(
		channel: Channel,
		address: string,
		optedOut: boolean,
		at: string,
		source: string,
	): Promise<void> {
		const checkedChannel = optOutChannel(channel);
		await this.driver.run(UPSERT_OPT_OUT_SQL, [
			checkedChannel,
			this.hasher.hash(checkedChannel, address),
			optedOut ? 1 : 0,
			at,
			instantMs(at, 'at'),
			shortText(source, 'source'),
		]);
	}

	/** SMS and voice to one number count together: both hash the same E.164 number. */
	private numberKey(address: string): string {
		return `${NUMBER_KEY_PREFIX}${this.hasher.hash('sms', address)}`;
	}

	private async distinctTouchesOn(key: string, date: string): Promise<DayTouch[]> {
		const rows = await this.driver.all(
			`SELECT DISTINCT journey_id, stage FROM pv_touches WHERE patient_key = $1 AND local_date = $2
			ORDER BY journey_id, stage`,
			[key, localDate(date, 'localDate')],
		);
		return rows.map((row) => ({ journeyId: String(row.journey_id), stage: Number(row.stage) }));
	}

	private assertOpen(): void {
		if (this.closed) {
			throw new DomainError('Journey store: this store was closed', 'store_closed');
		}
	}
}

function claimChannel(value: unknown): string | null {
	if (value === undefined || value === null) return null;
	if (typeof value !== 'string' || !claimChannels.includes(value)) {
		throw new DomainError(
			`Journey store: "channel" must be one of ${claimChannels.join(', ')}`,
			'invalid_input',
			'channel',
		);
	}
	return value;
}

function optOutChannel(value: unknown): Channel {
	if (typeof value !== 'string' || !(channels as readonly string[]).includes(value)) {
		throw new DomainError(
			`Journey store: "channel" must be one of ${channels.join(', ')}`,
			'invalid_input',
			'channel',
		);
	}
	return value as Channel;
}

function journeyRecordOf(row: SqlRow): JourneyRecord {
	const record: JourneyRecord = {
		journeyId: String(row.journey_id),
		patientKey: String(row.patient_key),
		kind: String(row.kind) as JourneyRecord['kind'],
		ehr: String(row.ehr) as JourneyRecord['ehr'],
		patientId: String(row.patient_id),
		sourceId: String(row.source_id),
		sourceType: String(row.source_type) as JourneyRecord['sourceType'],
		anchorAt: String(row.anchor_at),
		startedAt: String(row.started_at),
		zone: String(row.zone),
	};
	if (row.practice_id !== null && row.practice_id !== undefined) record.practiceId = String(row.practice_id);
	if (row.department_id !== null && row.department_id !== undefined) record.departmentId = String(row.department_id);
	if (row.zone_source !== null && row.zone_source !== undefined) record.zoneSource = String(row.zone_source) as JourneyRecord['zoneSource'];
	if (typeof row.extra_zones === 'string' && row.extra_zones !== '') record.extraZones = row.extra_zones.split(' ');
	return record;
}

/** Extra zones as one space-separated column (IANA names hold no spaces); NULL when there are none. */
function extraZonesText(extraZones: unknown): string | null {
	if (extraZones === undefined || (Array.isArray(extraZones) && extraZones.length === 0)) return null;
	if (!Array.isArray(extraZones)) {
		throw new DomainError('Journey store: "extraZones" must be a list of zone names', 'invalid_input', 'extraZones');
	}
	const names = extraZones.map((zone, index) => shortText(zone, `extraZones[${index}]`));
	if (names.some((name) => /\s/.test(name))) {
		throw new DomainError('Journey store: "extraZones" must be zone names without spaces', 'invalid_input', 'extraZones');
	}
	return names.join(' ');
}

function markSentStatement(key: string, providerId: string | undefined, at: string): SqlStatement {
	return {
		sql: `UPDATE pv_claims SET state = 'sent', provider_id = $2, updated_at = $3, updated_at_ms = $4
			WHERE key = $1 AND state IN ('claimed', 'released')`,
		params: [shortText(key, 'key'), optionalShortText(providerId, 'providerId'), at, instantMs(at, 'at')],
	};
}

function journalStatement(entry: JournalEntry): SqlStatement {
	if (!entry || typeof entry !== 'object') {
		throw new DomainError('Journey store: a journal entry must be an object', 'invalid_input', '(root)');
	}
	return {
		sql: `INSERT INTO pv_journal (at, at_ms, journey_id, patient_key, type, stage, channel, code, provider_id,
				template_id, detail)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		params: [
			entry.at,
			instantMs(entry.at, 'at'),
			shortText(entry.journeyId, 'journeyId'),
			shortText(entry.patientKey, 'patientKey'),
			shortText(entry.type, 'type'),
			optionalStage(entry.stage),
			optionalShortText(entry.channel, 'channel'),
			optionalShortText(entry.code, 'code'),
			optionalShortText(entry.providerId, 'providerId'),
			optionalShortText(entry.templateId, 'templateId'),
			detailJson(entry.detail),
		],
	};
}

/** Idempotent: one row per journey, stage and local date (a retry or a second channel adds nothing). */
function touchStatement(touch: TouchRecord): SqlStatement {
	return touchRowStatement(shortText(touch.journeyId, 'journeyId'), touch.stage, touch.localDate, shortText(touch.patientKey, 'patientKey'), touch.at);
}

function touchRowStatement(journeyKey: string, touchStage: unknown, touchDate: string, patientKey: string, at: string): SqlStatement {
	return {
		sql: `INSERT INTO pv_touches (journey_id, stage, local_date, patient_key, at, at_ms)
			VALUES ($1, $2, $3, $4, $5, $6)
			ON CONFLICT (journey_id, stage, local_date) DO NOTHING`,
		params: [journeyKey, stage(touchStage), localDate(touchDate, 'localDate'), patientKey, at, instantMs(at, 'at')],
	};
}

function claimNotFound(): DomainError {
	return new DomainError('Journey store: no claim exists for this key', 'claim_not_found', 'key');
}

function claimOf(row: SqlRow): Claim {
	const claim: Claim = {
		key: String(row.key),
		journeyId: String(row.journey_id),
		patientKey: String(row.patient_key),
		state: String(row.state) as ClaimState,
		claimedAt: String(row.claimed_at),
		updatedAt: String(row.updated_at),
	};
	if (row.stage !== null && row.stage !== undefined) claim.stage = Number(row.stage);
	if (row.channel !== null && row.channel !== undefined) claim.channel = String(row.channel) as Claim['channel'];
	if (row.provider_id !== null && row.provider_id !== undefined) claim.providerId = String(row.provider_id);
	return claim;
}

function journalEntryOf(row: SqlRow): JournalEntry {
	const entry: JournalEntry = {
		at: String(row.at),
		journeyId: String(row.journey_id),
		patientKey: String(row.patient_key),
		type: String(row.type),
	};
	if (row.stage !== null && row.stage !== undefined) entry.stage = Number(row.stage);
	if (row.channel !== null && row.channel !== undefined) entry.channel = String(row.channel);
	if (row.code !== null && row.code !== undefined) entry.code = String(row.code);
	if (row.provider_id !== null && row.provider_id !== undefined) entry.providerId = String(row.provider_id);
	if (row.template_id !== null && row.template_id !== undefined) entry.templateId = String(row.template_id);
	if (row.detail !== null && row.detail !== undefined) entry.detail = JSON.parse(String(row.detail));
	return entry;
}
