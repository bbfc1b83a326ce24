#!/usr/bin/env bash
# Installs @chainsafe/lodestar 1.5.1 for the end-to-end test of the Beacon API source
# (test/e2e/source-lodestar.test.ts, through test/support/lodestar/devnet.ts), into a cache
# outside the clone:
#   ${TRACKER_LODESTAR_DIR:-$HOME/.cache/libp2p-peer-tracker/lodestar-1.5.1}
#
# Idempotent and non-interactive: a marker file written last says the install is complete,
# so a second run returns at once and a half-done install (interrupted, failed rebuild) is
# redone from scratch.
#
# Why it looks like this (checked on this machine, see docs/development.md):
# - 1.5.1 is the one Lodestar that installs from the npm registry with npm; its @lodestar/*
#   packages are pinned to 1.5.1 with `overrides` (newer ones would be mixed in otherwise), and
#   @multiformats/multiaddr 11.6.1 with mafmt 11.1.1 (without them identify breaks and peers'
#   agent_version reads "NA");
# - install scripts are skipped (some download prebuilt binaries, which cannot be fetched
#   here); the native modules are then compiled against Debian's Node 20 headers
#   (/usr/include/node, npm_config_nodedir=/usr) with Debian's /usr/bin/node, which is also
#   the Node that must run Lodestar: a Node 22 or 24 cannot load these modules;
# - Lodestar 1.5.1's dependencies call Promise.withResolvers, which Node 20 lacks: preload.cjs
#   defines it (node --require preload.cjs).
set -euo pipefail

VERSION=1.5.1
DIR="${TRACKER_LODESTAR_DIR:-$HOME/.cache/libp2p-peer-tracker/lodestar-$VERSION}"
MARKER="$DIR/installed"
NODE=/usr/bin/node

if [ -f "$MARKER" ]; then
  echo "lodestar-install: Lodestar $VERSION already installed in $DIR"
  exit 0
fi

started=$(date +%s)

# What a fresh Debian machine may lack, named in one line with the packages that bring it.
missing=()
packages=()
command -v g++ >/dev/null 2>&1 || { missing+=(g++); packages+=(g++); }
command -v make >/dev/null 2>&1 || { missing+=(make); packages+=(make); }
command -v python3 >/dev/null 2>&1 || { missing+=(python3); packages+=(python3); }
[ -x "$NODE" ] || { missing+=("$NODE"); packages+=(nodejs); }
[ -f /usr/include/node/node.h ] || { missing+=("Node headers in /usr/include/node"); packages+=(nodejs); }
command -v npm >/dev/null 2>&1 || { missing+=(npm); packages+=(npm); }
if [ "${#missing[@]}" -gt 0 ]; then
  mapfile -t packages < <(printf '%s\n' "${packages[@]}" | sort -u)
  echo "lodestar-install: cannot build Lodestar $VERSION: this machine lacks ${missing[*]} (Debian: apt-get install ${packages[*]})" >&2
  exit 1
fi

# A previous attempt that did not finish: start again from an empty folder.
rm -rf "$DIR"
mkdir -p "$DIR"
cd "$DIR"

cat > package.json <<EOF
{
  "name": "libp2p-peer-tracker-lodestar-devnet",
  "private": true,
  "description": "Lodestar $VERSION for libp2p-peer-tracker's end-to-end tests (made by test/support/lodestar/install.sh)",
  "dependencies": {
    "@chainsafe/lodestar": "$VERSION"
  },
  "overrides": {
    "@lodestar/api": "$VERSION",
    "@lodestar/beacon-node": "$VERSION",
    "@lodestar/config": "$VERSION",
    "@lodestar/db": "$VERSION",
    "@lodestar/fork-choice": "$VERSION",
    "@lodestar/light-client": "$VERSION",
    "@lodestar/params": "$VERSION",
    "@lodestar/reqresp": "$VERSION",
    "@lodestar/state-transition": "$VERSION",
    "@lodestar/types": "$VERSION",
    "@lodestar/utils": "$VERSION",
    "@lodestar/validator": "$VERSION",
    "@multiformats/mafmt": "11.1.1",
    "@multiformats/multiaddr": "11.6.1"
  }
}
EOF

cat > preload.cjs <<'EOF'
// Loaded with `node --require` before Lodestar: Node 20 has no Promise.withResolvers, which
// some of Lodestar 1.5.1's dependencies call.
if (typeof Promise.withResolvers !== 'function') {
  Promise.withResolvers = function withResolvers () {
    let resolve
    let reject
    const promise = new this((res, rej) => { resolve = res; reject = rej })
    return { promise, resolve, reject }
  }
}
EOF

# npm runs with Debian's Node 20 whatever Node is first on PATH (CI's second run puts a Node
# 22 there), so node-gyp builds for the Node that will run Lodestar.
export PATH="/usr/bin:$PATH"
export CI=true npm_config_yes=true npm_config_fund=false npm_config_audit=false npm_config_update_notifier=false

echo "lodestar-install: installing @chainsafe/lodestar $VERSION into $DIR"
"$NODE" "$(command -v npm)" install --ignore-scripts --no-audit --no-fund --loglevel=error </dev/null
echo "lodestar-install: compiling the native modules against $("$NODE" --version)'s headers"
npm_config_nodedir=/usr "$NODE" "$(command -v npm)" rebuild --loglevel=error \
  @chainsafe/blst classic-level gc-stats bcrypto snappy bigint-buffer keccak secp256k1 </dev/null

# It must start: the CLI answers --version only once every module it imports has loaded.
version_out=$("$NODE" --require "$DIR/preload.cjs" "$DIR/node_modules/@chainsafe/lodestar/lib/index.js" --version 2>&1) || {
  echo "lodestar-install: the installed Lodestar does not start: $version_out" >&2
  exit 1
}

# The marker names the Node that built the native modules: devnet.ts runs Lodestar with it.
printf '%s\n' "$NODE" > "$MARKER.tmp" && mv "$MARKER.tmp" "$MARKER"
echo "lodestar-install: Lodestar $VERSION ready in $DIR ($(du -sh "$DIR" | cut -f1)) in $(( $(date +%s) - started )) s: $(grep -o 'Version: [^ ]*' <<<"$version_out" || true)"
