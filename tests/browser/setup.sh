#!/usr/bin/env bash
# Installs what the browser end-to-end tests need on a fresh machine, and nothing when it is
# already there (safe to run before every test run, CI included):
#   - Debian's chromium and chromium-driver (/usr/bin/chromium, /usr/bin/chromedriver), plus
#     fonts-liberation so the screenshots render real text; `apt-get update` only if one is missing;
#   - playwright-core, exactly as pinned by package-lock.json (`npm ci`; from the offline kit's
#     npm cache when one is in use), only if node_modules does not already hold that version. playwright-core never downloads a browser: the tests launch
#     the system Chromium through `executablePath`.
set -euo pipefail
cd "$(dirname "$0")"
# npm from the offline kit's cache when one is in use (scripts/offline-kit.sh).
source ../../scripts/offline-kit.sh env

sudo_if_needed() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ -x /usr/bin/chromedriver ] || missing+=(chromium-driver)
dpkg-query -W -f='${Status}' fonts-liberation 2>/dev/null | grep -q "ok installed" \
    || missing+=(fonts-liberation)
if [ "${#missing[@]}" -gt 0 ]; then
    echo "setup: installing ${missing[*]} (apt-get)"
    sudo_if_needed apt-get update -qq
    sudo_if_needed env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
/usr/bin/chromium --version 2>/dev/null  # (its launcher script may warn about /dev/shm)

locked=$(node -p "require('./package-lock.json').packages['node_modules/playwright-core'].version")
installed=$(node -p "try { require('./node_modules/playwright-core/package.json').version } catch { '' }")
if [ "$locked" != "$installed" ]; then
    echo "setup: npm ci (playwright-core $locked)"
    npm ci --no-audit --no-fund --loglevel=error
fi
echo "setup: playwright-core $locked"
