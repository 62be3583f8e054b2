#!/usr/bin/env bash
# End-to-end tests in a real n8n 2.41.1 (installed once into .runtime/, then reused).
set -euo pipefail
. "$(dirname "$0")/node24.sh"
. "$(dirname "$0")/ensure-deps.sh"
cd "$PROJECT_ROOT"
bash scripts/install-n8n.sh
export POST_VISIT_TARBALL="$(bash scripts/pack.sh | tail -n 1)"
mkdir -p coverage
npx jest -c jest.e2e.config.js --runInBand --json --outputFile=coverage/e2e-results.json
node -e '
  const r = require("./coverage/e2e-results.json");
  console.log(`e2e: ${r.numPassedTests} passed, ${r.numFailedTests} failed`);
'
