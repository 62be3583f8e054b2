#!/usr/bin/env bash
# The README's test command: lint, type-check, build, unit/integration tests (jest), then the
# end-to-end suite against a real n8n, then the same journey on n8n's queue mode (Postgres, Redis,
# workers). Bootstraps Node 24 and dependencies on a fresh machine.
set -euo pipefail
. "$(dirname "$0")/node24.sh"
. "$(dirname "$0")/ensure-deps.sh"
cd "$PROJECT_ROOT"

npm run lint
npm run typecheck
npm run build
mkdir -p coverage
npx jest --coverage --json --outputFile=coverage/jest-results.json
node -e '
  const r = require("./coverage/jest-results.json");
  console.log(`jest: ${r.numPassedTests} passed, ${r.numFailedTests} failed`);
'
if [ "${SKIP_E2E:-}" != "1" ] && [ -f scripts/test-e2e.sh ]; then
  bash scripts/test-e2e.sh
fi
if [ "${SKIP_QUEUE:-}" != "1" ] && [ -f scripts/test-queue.sh ]; then
  bash scripts/test-queue.sh
fi
# The reliability suite's short profile; `npm run test:reliability` runs it in full and rewrites RELIABILITY.md.
if [ "${SKIP_RELIABILITY:-}" != "1" ] && [ -f scripts/test-reliability.sh ]; then
  bash scripts/test-reliability.sh --profile ci
fi
