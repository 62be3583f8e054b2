/**
 * Figures of the reliability suite, written by each test file and rendered into RELIABILITY.md by report.ts.
 *
 * API (small and stable — every *.rel.test.ts uses only this):
 *
 *   recordRow(section, title, row)   adds one measured check to coverage/reliability/<section>.json;
 *                                    a row with the same `check` in that section is replaced, so a
 *                                    retried test never counts twice.
 *   recordNote(section, title, text) adds a paragraph under the section (advice, a named defect, a limit);
 *                                    the same text is stored once.
 *   outcomeOf(passed, failed)        'pass' when nothing failed, otherwise 'FAIL' — for `outcome` when no
 *                                    better sentence exists.
 *
 * `section` is a file-name-safe id ('security', 'input', 'duplicates', ...); `title` is the heading shown in
 * RELIABILITY.md (the last title written for a section wins). `attempts` counts what was tried, `passed` and
 * `failed` how many behaved as required, `outcome` says in a few words what happened ("401 every time, no
 * execution, nothing sent"). Record the row before asserting, so a failing check still shows its figures.
 *
 * scripts/test-reliability.sh empties coverage/reliability/ before each run; the profile in every file is
 * RELIABILITY_PROFILE of that run (see profile.ts).
 */
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

import { profile, type ReliabilityProfile } from './profile';

export interface ReliabilityRow {
	check: string;
	attempts: number;
	passed: number;
	failed: number;
	outcome: string;
	notes?: string;
}

export interface ReliabilitySection {
	section: string;
	title: string;
	profile: ReliabilityProfile;
	rows: ReliabilityRow[];
	notes?: string[];
}

export const RESULTS_DIR = resolve(__dirname, '../../coverage/reliability');

const SECTION_ID = /^[a-z0-9][a-z0-9-]*$/;

export function sectionFile(section: string): string {
	if (!SECTION_ID.test(section)) throw new Error(`reliability section id must match ${SECTION_ID}: ${section}`);
	return join(RESULTS_DIR, `${section}.json`);
}

export function readSection(section: string): ReliabilitySection | undefined {
	const file = sectionFile(section);
	if (!existsSync(file)) return undefined;
	return JSON.parse(readFileSync(file, 'utf8')) as ReliabilitySection;
}

function writeSection(data: ReliabilitySection): void {
	mkdirSync(RESULTS_DIR, { recursive: true });
	writeFileSync(sectionFile(data.section), `${JSON.stringify(data, null, '\t')}\n`);
}

function loadOrStart(section: string, title: string): ReliabilitySection {
	const existing = readSection(section);
	return existing
		? { ...existing, title, profile }
		: { section, title, profile, rows: [] };
}

export function recordRow(section: string, title: string, row: ReliabilityRow): void {
	const data = loadOrStart(section, title);
	const index = data.rows.findIndex((existing) => existing.check === row.check);
	if (index >= 0) data.rows[index] = row;
	else data.rows.push(row);
	writeSection(data);
}

export function recordNote(section: string, title: string, text: string): void {
	const data = loadOrStart(section, title);
	const notes = data.notes ?? [];
	if (!notes.includes(text)) notes.push(text);
	writeSection({ ...data, notes });
}

export function outcomeOf(passed: number, failed: number): string {
	return failed === 0 && passed > 0 ? 'pass' : 'FAIL';
}
