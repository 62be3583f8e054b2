#!/usr/bin/env bash
# Builds dist/ explicitly (install scripts may be off where the tarball is installed) and packs the tarball
# that every real-n8n run installs, exactly as Settings → Community Nodes or the Dockerfile would.
set -euo pipefail
. "$(dirname "$0")/node24.sh"
cd "$PROJECT_ROOT"
npm run build >&2
mkdir -p .sandbox/pack
rm -f .sandbox/pack/*.tgz
npm pack --silent --pack-destination .sandbox/pack >&2
ls "$PROJECT_ROOT"/.sandbox/pack/*.tgz
