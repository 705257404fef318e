#!/usr/bin/env bash
# Installs oidc-provider for the interop tests (tests/tests/interop), exactly as pinned by
# package-lock.json (`npm ci`; from the offline kit's npm cache when one is in use), only if
# node_modules does not already hold that version. Safe to run before every test run.
set -euo pipefail
cd "$(dirname "$0")"
# npm from the offline kit's cache when one is in use (scripts/offline-kit.sh).
source ../../scripts/offline-kit.sh env

locked=$(node -p "require('./package-lock.json').packages['node_modules/oidc-provider'].version")
installed=$(node -p "try { require('./node_modules/oidc-provider/package.json').version } catch { '' }")
if [ "$locked" != "$installed" ]; then
    echo "setup: npm ci (oidc-provider $locked)"
    npm ci --no-audit --no-fund --loglevel=error
fi
echo "setup: oidc-provider $locked"
