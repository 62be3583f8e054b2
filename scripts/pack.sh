#!/usr/bin/env bash
# Builds dist/ explicitly (install scripts may be off where the tarball is installed) and packs the tarball
# that every real-n8n run installs, exactly as Settings → Community Nodes or the Dockerfile would.
# PACK_DEST (default .sandbox/pack) is where the tarball lands; a lock keeps concurrent callers from
# cleaning dist/ under each other's feet.
set -euo pipefail
. "$(dirname "$0")/node24.sh"
cd "$PROJECT_ROOT"
dest="${PACK_DEST:-$PROJECT_ROOT/.sandbox/pack}"
mkdir -p .sandbox "$dest"
exec 9>"$PROJECT_ROOT/.sandbox/pack.lock"
flock 9
npm run build >&2
rm -f "$dest"/*.tgz
npm pack --silent --pack-destination "$dest" >&2
flock -u 9
ls "$dest"/*.tgz
