#!/usr/bin/env bash
# The queue-mode suite: docker/docker-compose.yml's `queue` profile proven without Docker. Debian's
# postgresql and redis-server (installed here when missing; needs root for apt-get), n8n 2.41.1 main in
# queue mode + two `n8n worker`s + one `n8n webhook` processor, each launched through the image's entrypoint
# wrapper (docker/post-visit-entrypoint.sh) from the pack baked the Dockerfile's way (docker/install-pack.sh).
# Ports 5730–5741 on 127.0.0.1. About 3–4 minutes, most of it the journey's real 75-second durable wait.
set -euo pipefail
. "$(dirname "$0")/node24.sh"
. "$(dirname "$0")/ensure-deps.sh"
cd "$PROJECT_ROOT"

if ! command -v redis-server >/dev/null 2>&1; then
  [ "$(id -u)" -eq 0 ] || { echo "test-queue: redis-server is missing and we are not root to install it" >&2; exit 1; }
  echo "[queue] installing redis-server (apt-get)" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y --no-install-recommends redis-server >&2 \
    || { apt-get update >&2 && apt-get install -y --no-install-recommends redis-server >&2; }
fi
# PostgreSQL: scripts/postgres.sh installs it when missing (from the test's beforeAll).

bash scripts/install-n8n.sh
# A tarball handed in (POST_VISIT_TARBALL) is used as it is; otherwise the pack is built and packed now.
tarball="${POST_VISIT_TARBALL:-}"
if [ -z "$tarball" ] || [ ! -f "$tarball" ]; then tarball="$(bash scripts/pack.sh | tail -n 1)"; fi
# pack.sh rewrites .sandbox/pack for everyone; keep our own copy for the whole run.
mkdir -p .sandbox/queue-pack
rm -f .sandbox/queue-pack/*.tgz
cp "$tarball" .sandbox/queue-pack/
export POST_VISIT_TARBALL="$PROJECT_ROOT/.sandbox/queue-pack/$(basename "$tarball")"

mkdir -p coverage
npx jest -c jest.queue.config.js --runInBand --json --outputFile=coverage/queue-results.json
node -e '
  const r = require("./coverage/queue-results.json");
  console.log(`queue: ${r.numPassedTests} passed, ${r.numFailedTests} failed`);
'
