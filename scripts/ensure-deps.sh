# Source me after scripts/node24.sh: installs the project's npm dependencies when they are missing or stale.
if [ ! -f "$PROJECT_ROOT/node_modules/.package-lock.json" ] \
  || [ "$PROJECT_ROOT/package-lock.json" -nt "$PROJECT_ROOT/node_modules/.package-lock.json" ]; then
  echo "[deps] npm ci" >&2
  (cd "$PROJECT_ROOT" && npm ci --no-audit --no-fund >&2)
fi
