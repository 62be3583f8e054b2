#!/bin/sh
# The image's entrypoint (run by tini): makes sure n8n's user folder holds the pack baked into the image,
# then hands over to n8n's own /docker-entrypoint.sh with the same arguments (`worker`, `webhook`,
# `import:workflow …` or none), so user, signals and behaviour stay those of the stock n8nio/n8n image.
#
# Why: a volume on /home/node/.n8n hides whatever the image put below it, and installing the pack anywhere
# else (N8N_CUSTOM_EXTENSIONS) renames its node types to CUSTOM.*, which breaks the templates. So the pack
# is baked at $POST_VISIT_BAKED_NODES and copied into <user folder>/.n8n/nodes/node_modules when it is
# missing there or stamped with another build (an image update), before n8n starts and scans that folder.
# Other community packages in the same folder are left alone. POST_VISIT_PACK_SYNC=false turns this off.
set -eu

baked_nodes="${POST_VISIT_BAKED_NODES:-/opt/post-visit/nodes}"
user_folder="${N8N_USER_FOLDER:-${HOME:-/home/node}}"
nodes_dir="$user_folder/.n8n/nodes"
package=n8n-nodes-post-visit
source_dir="$baked_nodes/node_modules/$package"
target_dir="$nodes_dir/node_modules/$package"

stamp() { cat "$1/.post-visit-build" 2>/dev/null || true; }

if [ "${POST_VISIT_PACK_SYNC:-true}" != "false" ]; then
	wanted="$(stamp "$source_dir")"
	[ -n "$wanted" ] || { echo "post-visit: no baked pack at $source_dir" >&2; exit 1; }
	if [ "$(stamp "$target_dir")" != "$wanted" ]; then
		mkdir -p "$nodes_dir/node_modules"
		incoming="$nodes_dir/node_modules/.$package.incoming.$$"
		rm -rf "$incoming"
		cp -R "$source_dir" "$incoming"
		rm -rf "$target_dir"
		mv "$incoming" "$target_dir"
		node -e '
			const fs = require("node:fs");
			const [ledger, manifest] = process.argv.slice(1);
			const { name, version } = JSON.parse(fs.readFileSync(manifest, "utf8"));
			const current = fs.existsSync(ledger) ? JSON.parse(fs.readFileSync(ledger, "utf8")) : { name: "installed-nodes", private: true };
			current.dependencies = { ...current.dependencies, [name]: version };
			fs.writeFileSync(ledger, JSON.stringify(current, null, 2));
		' "$nodes_dir/package.json" "$target_dir/package.json"
		echo "post-visit: installed $package (build $(echo "$wanted" | cut -c 1-12)) into $nodes_dir" >&2
	fi
fi

exec "${POST_VISIT_NEXT_ENTRYPOINT:-/docker-entrypoint.sh}" "$@"
