#!/usr/bin/env bash
# `npm run bench`: benchmarks in a real n8n 2.41.1 with the sandbox, and the core in-process (issue #8).
#   npm run bench                          full profile (the issue's numbers, about 2 hours; run it on a quiet machine)
#   BENCH_PROFILE=quick npm run bench      small counts, about 20 minutes
#   npm run bench -- core footprint        only some of: core footprint stage-one stage-one-eager stage-two waiting scheduled
# Prints a table; writes bench/results/*.json and regenerates BENCHMARKS.md (see bench/run.ts).
set -euo pipefail
. "$(dirname "$0")/node24.sh"
. "$(dirname "$0")/ensure-deps.sh"
cd "$PROJECT_ROOT"
bash scripts/install-n8n.sh
echo "[bench] building and packing the pack" >&2
TARBALL="$(PACK_DEST="$PROJECT_ROOT/.sandbox/bench/pack" bash scripts/pack.sh | tail -n 1)"
echo "[bench] compiling the benchmarks" >&2
npx tsc -p bench/tsconfig.json
exec node .sandbox/bench/build/bench/run.js --tarball "$TARBALL" "$@"
