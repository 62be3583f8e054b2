#!/bin/sh
# Build-time step of docker/Dockerfile (and of the queue-mode test, which proves the same layout without Docker).
#
#   sh docker/install-pack.sh <n8n-nodes-post-visit-x.y.z.tgz> <nodes-dir>
#
# Installs the packed pack into <nodes-dir>/node_modules/n8n-nodes-post-visit exactly as n8n 2.41's own
# community-package installer lays a package out (CommunityPackagesService.downloadPackage): the tarball is
# unpacked into its own folder, dev/peer/optional dependencies are dropped from its package.json, and its
# runtime dependencies are installed inside that folder with install scripts off. The folder is therefore
# self-contained and can be copied into any n8n user folder's nodes/node_modules next to other community
# packages. It is stamped with the tarball's SHA-256 so the entrypoint can tell an outdated copy from a
# current one, and recorded in <nodes-dir>/package.json (n8n's ledger of installed packages).
set -eu

[ $# -eq 2 ] || { echo "usage: $0 <tarball> <nodes-dir>" >&2; exit 2; }
tarball="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
nodes_dir="$2"
package=n8n-nodes-post-visit
target="$nodes_dir/node_modules/$package"

[ -f "$tarball" ] || { echo "install-pack: no tarball at $tarball" >&2; exit 1; }
rm -rf "$target"
mkdir -p "$target"
tar -xzf "$tarball" -C "$target" --strip-components=1

node -e '
	const fs = require("node:fs");
	const file = process.argv[1];
	const { devDependencies, peerDependencies, optionalDependencies, ...manifest } = JSON.parse(fs.readFileSync(file, "utf8"));
	fs.writeFileSync(file, JSON.stringify(manifest, null, 2));
' "$target/package.json"

(cd "$target" && npm install --omit=dev --legacy-peer-deps --ignore-scripts --install-strategy=shallow \
	--package-lock=false --bin-links=false --no-audit --no-fund --loglevel=error)

sha256sum "$tarball" | cut -d ' ' -f 1 >"$target/.post-visit-build"

node -e '
	const fs = require("node:fs");
	const [ledger, manifest] = process.argv.slice(1);
	const { name, version } = JSON.parse(fs.readFileSync(manifest, "utf8"));
	const current = fs.existsSync(ledger) ? JSON.parse(fs.readFileSync(ledger, "utf8")) : { name: "installed-nodes", private: true };
	current.dependencies = { ...current.dependencies, [name]: version };
	fs.writeFileSync(ledger, JSON.stringify(current, null, 2));
' "$nodes_dir/package.json" "$target/package.json"

echo "install-pack: $package $(cat "$target/.post-visit-build" | cut -c 1-12) installed into $nodes_dir" >&2
