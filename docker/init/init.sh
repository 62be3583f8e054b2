#!/bin/sh
# One-shot init of a post-visit n8n (the `n8n-init` services of docker-compose.yml; the queue-mode test runs
# it the same way). Idempotent: run it on every `docker compose up`.
#
#  1. Imports every workflow template shipped in the pack (three-stage follow-up, recall outreach, error
#     alert, replies, delivery status, reports, watchdog, timeline preview, journey lookup) that n8n does not hold yet, matched by name: a template an ops person already edited (or
#     renamed and re-imported) is never overwritten. Imported workflows stay unpublished until someone
#     assigns credentials and publishes them.
#     With POST_VISIT_EHR set (athenahealth, drchrono, fhir-epic, eclinicalworks, tebra, hl7v2), a template
#     that has per-EHR copies in by-ehr/ (every template with EHR nodes) is replaced by that EHR's copy (EHR,
#     triggers and notes set for it), or left out when that EHR has none (recall outreach: FHIR EHRs only;
#     timeline preview: not for hl7v2). Unset: the generic templates.
#  2. When POST_VISIT_JOURNEY_STORE_BACKEND is set, writes the "Post-Visit Journey Store" credential from
#     the environment (id post-visit-journey-store), so every workflow of the practice shares one store.
#     The env is the source of truth for that connection, like n8n's own DB_* settings: it is rewritten
#     on every run.
#
# It needs n8n's database settings (DB_*) and N8N_ENCRYPTION_KEY, like any n8n process. It runs n8n's CLI,
# which also runs n8n's database migrations, so it is safe before the main process has ever started.
set -eu

n8n_cli="${N8N_CLI:-n8n}"
baked_nodes="${POST_VISIT_BAKED_NODES:-/opt/post-visit/nodes}"
templates="${POST_VISIT_TEMPLATES:-$baked_nodes/node_modules/n8n-nodes-post-visit/dist/workflows-templates}"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT

[ -d "$templates" ] || { echo "post-visit init: no templates at $templates" >&2; exit 1; }

# shellcheck disable=SC2086 # N8N_CLI may be "node /path/to/n8n" outside the image
$n8n_cli list:workflow >"$scratch/existing.txt" 2>"$scratch/list.log" || {
	cat "$scratch/list.log" >&2
	exit 1
}

mkdir "$scratch/import"
node -e '
	const fs = require("node:fs");
	const path = require("node:path");
	const [templates, existingFile, out] = process.argv.slice(1);
	// list:workflow prints one "<id>|<name>" line per workflow (among other log lines).
	const existing = new Set(
		fs.readFileSync(existingFile, "utf8").split("\n").map((line) => line.split("|").slice(1).join("|").trim()).filter(Boolean),
	);
	const ehr = (process.env.POST_VISIT_EHR ?? "").trim();
	const byEhr = path.join(templates, "by-ehr");
	const copies = fs.existsSync(byEhr) ? fs.readdirSync(byEhr).filter((f) => f.endsWith(".json")) : [];
	if (ehr && !copies.some((f) => f.endsWith(`.${ehr}.json`))) {
		const known = [...new Set(copies.map((f) => f.split(".").slice(-2, -1)[0]))].sort().join(", ");
		console.error(`post-visit init: POST_VISIT_EHR="${ehr}" has no templates in by-ehr/; use one of: ${known}`);
		process.exit(1);
	}
	// A template with per-EHR copies gives way to the copy for the chosen EHR, or to nothing when that EHR has none.
	const chosen = (file) => {
		const base = file.replace(/\.json$/, "");
		if (!ehr || !copies.some((f) => f.startsWith(`${base}.`))) return path.join(templates, file);
		return copies.includes(`${base}.${ehr}.json`) ? path.join(byEhr, `${base}.${ehr}.json`) : undefined;
	};
	for (const file of fs.readdirSync(templates).filter((f) => f.endsWith(".json")).sort()) {
		const source = chosen(file);
		if (!source) {
			console.log(`post-visit init: ${file} has no copy for ${ehr}, not imported`);
			continue;
		}
		const workflow = JSON.parse(fs.readFileSync(source, "utf8"));
		if (existing.has(workflow.name)) {
			console.log(`post-visit init: "${workflow.name}" is already there, left as it is`);
			continue;
		}
		fs.copyFileSync(source, path.join(out, path.basename(source)));
		console.log(`post-visit init: importing "${workflow.name}"`);
	}
' "$templates" "$scratch/existing.txt" "$scratch/import"

if [ -n "$(ls "$scratch/import")" ]; then
	# shellcheck disable=SC2086
	$n8n_cli import:workflow --separate --input="$scratch/import"
fi

if [ -n "${POST_VISIT_JOURNEY_STORE_BACKEND:-}" ]; then
	node -e '
		const fs = require("node:fs");
		const env = process.env;
		const data = env.POST_VISIT_JOURNEY_STORE_BACKEND === "postgres"
			? {
					backend: "postgres",
					host: env.POST_VISIT_JOURNEY_STORE_HOST ?? "postgres",
					port: Number(env.POST_VISIT_JOURNEY_STORE_PORT ?? 5432),
					database: env.POST_VISIT_JOURNEY_STORE_DATABASE ?? "post_visit",
					user: env.POST_VISIT_JOURNEY_STORE_USER ?? "post_visit",
					password: env.POST_VISIT_JOURNEY_STORE_PASSWORD ?? "",
					ssl: env.POST_VISIT_JOURNEY_STORE_SSL ?? "off",
					retentionDays: Number(env.POST_VISIT_JOURNAL_RETENTION_DAYS ?? 400),
				}
			: { backend: "sqlite", sqlitePath: env.POST_VISIT_JOURNEY_STORE_SQLITE_PATH ?? "", retentionDays: Number(env.POST_VISIT_JOURNAL_RETENTION_DAYS ?? 400) };
		if (data.backend === "postgres" && !data.password) {
			console.error("post-visit init: POST_VISIT_JOURNEY_STORE_PASSWORD is empty");
			process.exit(1);
		}
		// The store keys its hashes of phone numbers and emails with it; it must never change (docs/journey-store.md).
		data.contactHashSecret = (env.POST_VISIT_CONTACT_HASH_SECRET ?? "").trim();
		if (data.contactHashSecret.length < 32) {
			console.error("post-visit init: POST_VISIT_CONTACT_HASH_SECRET must be at least 32 characters (openssl rand -hex 32)");
			process.exit(1);
		}
		const credential = { id: "post-visit-journey-store", name: "Post-Visit Journey Store", type: "journeyStoreApi", data };
		fs.writeFileSync(process.argv[1], JSON.stringify([credential]));
	' "$scratch/journey-store.json"
	# shellcheck disable=SC2086
	$n8n_cli import:credentials --input="$scratch/journey-store.json"
	echo "post-visit init: journey store credential written (backend $POST_VISIT_JOURNEY_STORE_BACKEND)"
fi

echo "post-visit init: done"
