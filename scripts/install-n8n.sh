#!/usr/bin/env bash
# Installs the pinned n8n into .runtime/n8n (git-ignored), once; later runs reuse it.
set -euo pipefail
. "$(dirname "$0")/node24.sh"
N8N_VERSION=2.41.1
N8N_APP="$PROJECT_ROOT/.runtime/n8n"
if [ -x "$N8N_APP/node_modules/.bin/n8n" ] && [ -f "$N8N_APP/.installed-$N8N_VERSION" ]; then exit 0; fi
mkdir -p "$N8N_APP"
cd "$N8N_APP"
echo '{"name":"post-visit-n8n-runtime","private":true}' > package.json
echo "[n8n] installing n8n@$N8N_VERSION (first run only, a few minutes)" >&2
# --ignore-scripts: the Kafka node's native dependency cannot build offline; only sqlite3 needs its script.
npm install --no-audit --no-fund --ignore-scripts --loglevel=error "n8n@$N8N_VERSION" >&2
npm rebuild sqlite3 isolated-vm >&2
touch ".installed-$N8N_VERSION"
