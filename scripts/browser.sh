#!/usr/bin/env bash
# Installs what the browser tests need, idempotently (a second run is a no-op):
#   * Debian's `chromium` (the tests drive /usr/bin/chromium; no browser is downloaded) and
#     `fonts-noto-cjk` (the pages are Chinese: without it screenshots show empty boxes);
#   * playwright-core from npm into browser/node_modules (npm ci from the committed lock).
# apt-get needs root on Debian/Ubuntu; elsewhere install chromium yourself (ZHIMA_CHROMIUM
# names another binary). Fails loudly: the browser tests never skip.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$HERE/browser"

die() { echo "scripts/browser.sh: ERROR: $*" >&2; exit 1; }
log() { echo "scripts/browser.sh: $*" >&2; }

CHROMIUM="${ZHIMA_CHROMIUM:-/usr/bin/chromium}"

# Concurrent callers (nextest runs tests in separate processes) wait for the first one.
exec 9>"$HERE/browser/.stamp.lock"
if command -v flock >/dev/null 2>&1; then
    flock 9
fi

need_apt=()
[ -x "$CHROMIUM" ] || need_apt+=(chromium)
if command -v fc-list >/dev/null 2>&1; then
    fc-list :lang=zh 2>/dev/null | grep -q . || need_apt+=(fonts-noto-cjk)
else
    need_apt+=(fonts-noto-cjk)
fi
if [ "${#need_apt[@]}" -gt 0 ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        log "installing Debian package(s): ${need_apt[*]}"
        apt-get update -qq >/dev/null || die "apt-get update failed (Debian mirror unreachable?)"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null \
            || die "apt-get install ${need_apt[*]} failed"
    else
        die "missing ${need_apt[*]} and cannot apt-get install (not root / no apt); install them or set ZHIMA_CHROMIUM"
    fi
fi
[ -x "$CHROMIUM" ] || die "$CHROMIUM is not an executable browser"

command -v node >/dev/null 2>&1 || die "node not found on PATH (need Node.js >= 20)"
command -v npm >/dev/null 2>&1 || die "npm not found on PATH"
NODE_MAJOR="$(node --version | sed 's/^v//' | cut -d. -f1)"
[ "$NODE_MAJOR" -ge 20 ] || die "Node.js $(node --version) is too old for playwright-core (need >= 20)"

KEY="$(cat package.json package-lock.json <(node --version) | sha256sum | cut -c1-16)"
STAMP="$HERE/browser/.stamp-$KEY"
if [ -f "$STAMP" ] && [ -d node_modules/playwright-core ]; then
    exit 0
fi
rm -f "$HERE"/browser/.stamp-*
log "installing playwright-core (package-lock.json) from the npm registry"
npm ci --no-audit --no-fund --loglevel=error --fetch-timeout=30000 --fetch-retries=2 >&2 \
    || die "npm ci in browser/ failed: is the npm registry reachable?"
node --input-type=module -e "import('$HERE/browser/node_modules/playwright-core/index.mjs')" \
    || die "playwright-core installed but cannot be imported"
touch "$STAMP"
log "done ($("$CHROMIUM" --version 2>/dev/null | head -1))"
