#!/usr/bin/env bash
# The reliability and security suite (issue #7) against a real n8n 2.41.1 and the sandbox servers.
#   bash scripts/test-reliability.sh [--profile ci|full] [jest args...]     (default: full)
# full (`npm run test:reliability`) meets the issue's figures and rewrites RELIABILITY.md from the results;
# ci (`npm test`) is the short profile and leaves RELIABILITY.md alone. Figures of either run stay in
# coverage/reliability/*.json; jest's summary in coverage/reliability-results.json. Extra arguments go to
# jest, e.g. a path pattern to run one file: `bash scripts/test-reliability.sh --profile ci security`.
set -euo pipefail
. "$(dirname "$0")/node24.sh"
. "$(dirname "$0")/ensure-deps.sh"
cd "$PROJECT_ROOT"

profile=full
jest_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --profile) profile="${2:-}"; shift; [ $# -eq 0 ] || shift ;;
    --profile=*) profile="${1#--profile=}"; shift ;;
    -h|--help) sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) jest_args+=("$1"); shift ;;
  esac
done
case "$profile" in
  ci|full) ;;
  *) echo "test-reliability: --profile must be ci or full, not '$profile'" >&2; exit 2 ;;
esac
export RELIABILITY_PROFILE="$profile"

bash scripts/install-n8n.sh
# Our own copy of the tarball: pack.sh's default destination is rewritten by every other run.
export POST_VISIT_TARBALL="$(PACK_DEST="$PROJECT_ROOT/.sandbox/reliability-pack" bash scripts/pack.sh | tail -n 1)"

mkdir -p coverage
# A whole run starts from empty figures; a run of some files (jest args) keeps the other sections' figures.
if [ ${#jest_args[@]} -eq 0 ]; then rm -rf coverage/reliability; fi
rm -f coverage/reliability-results.json
status=0
npx jest -c jest.reliability.config.js --runInBand --json --outputFile=coverage/reliability-results.json \
  ${jest_args[@]+"${jest_args[@]}"} || status=$?
if [ ! -f coverage/reliability-results.json ]; then
  echo "reliability: jest wrote no results (exit $status)" >&2
  [ "$status" -ne 0 ] || status=1
  exit "$status"
fi
node -e '
  const r = require("./coverage/reliability-results.json");
  console.log(`reliability: ${r.numPassedTests} passed, ${r.numFailedTests} failed`);
'
if [ "$profile" = full ]; then
  node --disable-warning=MODULE_TYPELESS_PACKAGE_JSON test/reliability/report.ts
fi
exit "$status"
