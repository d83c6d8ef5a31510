#!/usr/bin/env bash
# Installs the official Alipay SDKs used by the interop drivers:
#   interop/.venv         alipay-sdk-python 3.7.1411 (+ pinned deps from requirements.txt)
#   interop/node_modules  alipay-sdk 4.14.0 (npm ci from the committed package-lock.json)
# Idempotent: a stamp keyed on the pinned inputs and the interpreter versions makes a
# repeated run a no-op. Needs python3 (>= 3.8) and node (>= 18) with npm; on Debian it
# installs python3-venv / npm through apt-get when they are missing and we are root.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$HERE"

die() { echo "interop/setup.sh: ERROR: $*" >&2; exit 1; }
log() { echo "interop/setup.sh: $*" >&2; }

PYTHON="${PYTHON:-python3}"
command -v "$PYTHON" >/dev/null 2>&1 || die "python3 not found on PATH (need Python >= 3.8)"
command -v node >/dev/null 2>&1 || die "node not found on PATH (need Node.js >= 18)"

apt_install() {
    # Only a Debian/Ubuntu root shell can fix a missing python3-venv or npm by itself.
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        log "installing Debian package(s): $*"
        apt-get update -qq >/dev/null || die "apt-get update failed (Debian mirror unreachable?)"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null \
            || die "apt-get install $* failed"
    else
        return 1
    fi
}

if ! command -v npm >/dev/null 2>&1; then
    apt_install npm || die "npm not found on PATH and cannot apt-get install it (not root / no apt)"
fi

PY_VERSION="$("$PYTHON" -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])')"
NODE_VERSION="$(node --version)"
"$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 8) else 1)' \
    || die "Python $PY_VERSION is too old (need >= 3.8)"
[ "${NODE_VERSION#v}" != "$NODE_VERSION" ] && [ "$(echo "${NODE_VERSION#v}" | cut -d. -f1)" -ge 18 ] \
    || die "Node.js $NODE_VERSION is too old (need >= 18)"

# Concurrent callers (nextest runs every test in its own process) wait here for the
# first one to finish instead of installing over each other.
exec 9>"$HERE/.stamp.lock"
if command -v flock >/dev/null 2>&1; then
    flock 9
fi

# The stamp covers everything that decides what gets installed.
KEY="$(cat requirements.txt package.json package-lock.json setup.sh \
        <(echo "$PY_VERSION $NODE_VERSION") | sha256sum | cut -c1-16)"
STAMP="$HERE/.stamp-$KEY"
if [ -f "$STAMP" ] && [ -x .venv/bin/python ] && [ -d node_modules/alipay-sdk ]; then
    exit 0
fi
rm -f "$HERE"/.stamp-*

# ---- Python: alipay-sdk-python into .venv ---------------------------------------------
if [ ! -x .venv/bin/python ] || ! .venv/bin/python -m pip --version >/dev/null 2>&1; then
    rm -rf .venv
    if ! "$PYTHON" -m venv .venv >/dev/null 2>&1; then
        # Debian ships venv/ensurepip separately (python3.X-venv).
        rm -rf .venv
        PYMM="$("$PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
        apt_install "python$PYMM-venv" || apt_install python3-venv \
            || die "'$PYTHON -m venv' failed; install the python3-venv package"
        "$PYTHON" -m venv .venv || die "'$PYTHON -m venv' failed even after installing python3-venv"
    fi
fi
log "installing Python packages (requirements.txt) from PyPI"
if ! .venv/bin/python -m pip install --disable-pip-version-check --no-input -q --no-compile \
        --timeout 30 --retries 2 -r requirements.txt; then
    die "pip install -r interop/requirements.txt failed: is PyPI reachable? (see pip output above)"
fi
.venv/bin/python -c 'import alipay.aop.api.DefaultAlipayClient, rsa, Crypto' \
    || die "alipay-sdk-python installed but cannot be imported"

# ---- Node: alipay-sdk via npm ci -------------------------------------------------------
log "installing npm packages (package-lock.json) from the npm registry"
if ! npm ci --no-audit --no-fund --loglevel=error --fetch-timeout=30000 --fetch-retries=2 >&2; then
    die "npm ci in interop/ failed: is the npm registry reachable? (see npm output above)"
fi
node --input-type=module -e "import('$HERE/node_modules/alipay-sdk/dist/esm/index.js')" \
    || die "alipay-sdk installed but cannot be imported"

touch "$STAMP"
log "done (python $PY_VERSION, node $NODE_VERSION)"
