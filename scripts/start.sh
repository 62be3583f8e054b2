#!/usr/bin/env bash
# `npm start`: the whole demo on this machine, in one command. First run installs Node 24 and n8n 2.41.1 into
# the project's git-ignored .tools/ and .runtime/ (cached afterwards), then: npm ci if needed, build + pack the
# pack, compile the sandbox, and start it (sandbox/start.ts) until Ctrl-C. Options: npm start -- --help
set -euo pipefail
. "$(dirname "$0")/node24.sh"
. "$(dirname "$0")/ensure-deps.sh"
cd "$PROJECT_ROOT"
case " $* " in
  *" --help "*|*" -h "*)
    echo "usage: npm start [-- --real-zones | --now-window] [--reset]"
    echo "  --now-window   (default) demo patients get a zone where it is 10:00-19:00 now, so messages go out at once"
    echo "                 (also POST_VISIT_DEMO_ANYTIME=1; POST_VISIT_DEMO_ANYTIME=0 means --real-zones)"
    echo "  --real-zones   the demo patients' own zones (Chicago, New York, Honolulu, Phoenix): at night sends wait"
    echo "  --reset        forget the kept n8n database, journey store and executions (.sandbox/main) and start over"
    exit 0 ;;
esac
bash scripts/install-n8n.sh
echo "[start] building and packing the pack" >&2
TARBALL="$(bash scripts/pack.sh | tail -n 1)"
echo "[start] compiling the sandbox" >&2
npx tsc -p tsconfig.sandbox.json
# exec: Ctrl-C and `kill` reach the sandbox directly, which stops n8n before it exits.
exec node .build/sandbox/start.js --tarball "$TARBALL" "$@"
