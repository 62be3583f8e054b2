#!/usr/bin/env node
// Online, consistent copies of the single set-up's SQLite databases (n8n's own and the journey store's),
// taken with SQLite's VACUUM INTO while n8n keeps running (docs/docker.md, "Backup"):
//
//   docker compose exec n8n node /opt/post-visit/bin/backup-sqlite.js [output-dir]
//
// Default output: <user folder>/.n8n/backups/<name>-<UTC timestamp>.sqlite, mode 0600 (they hold PHI).
// POST_VISIT_JOURNEY_SQLITE overrides the journey store's path (if its credential names another file).
'use strict';
const { chmodSync, existsSync, mkdirSync } = require('node:fs');
const { homedir } = require('node:os');
const { join } = require('node:path');
const { DatabaseSync } = require('node:sqlite');

const n8nDir = join(process.env.N8N_USER_FOLDER || homedir(), '.n8n');
const outDir = process.argv[2] || join(n8nDir, 'backups');
const stamp = new Date().toISOString().replace(/[:.]/g, '-');
const sources = [
	['database', join(n8nDir, 'database.sqlite')],
	['journey', process.env.POST_VISIT_JOURNEY_SQLITE || join(n8nDir, 'post-visit', 'journey.sqlite')],
];

mkdirSync(outDir, { recursive: true, mode: 0o700 });
let copied = 0;
for (const [name, file] of sources) {
	if (!existsSync(file)) {
		console.log(`skipped ${name}: no ${file}`);
		continue;
	}
	const target = join(outDir, `${name}-${stamp}.sqlite`);
	const db = new DatabaseSync(file, { readOnly: true });
	try {
		db.exec(`VACUUM INTO '${target.replaceAll("'", "''")}'`);
	} finally {
		db.close();
	}
	chmodSync(target, 0o600);
	copied += 1;
	console.log(target);
}
if (copied === 0) process.exitCode = 1;
