#!/usr/bin/env bash
# Installs schemathesis (PyPI, pinned with everything it pulls in: requirements.txt) into
# interop/schemathesis/.venv, for crates/zhima-cli/tests/schemathesis.rs. Idempotent: a stamp
# keyed on the pins and the interpreter version makes a repeated run a no-op. Needs
# python3 >= 3.11; on Debian, as root, it apt-installs python3-venv when venv is missing.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$HERE"

die() { echo "interop/schemathesis/setup.sh: ERROR: $*" >&2; exit 1; }
log() { echo "interop/schemathesis/setup.sh: $*" >&2; }

PYTHON="${PYTHON:-python3}"
command -v "$PYTHON" >/dev/null 2>&1 || die "python3 not found on PATH (need Python >= 3.11)"
PY_VERSION="$("$PYTHON" -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])')"
"$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' \
    || die "Python $PY_VERSION is too old (schemathesis 4.32 needs >= 3.11)"

# Concurrent callers (nextest runs tests in separate processes) wait for the first one.
exec 9>"$HERE/.stamp.lock"
if command -v flock >/dev/null 2>&1; then
    flock 9
fi

KEY="$(cat requirements.txt setup.sh <(echo "$PY_VERSION") | sha256sum | cut -c1-16)"
STAMP="$HERE/.stamp-$KEY"
if [ -f "$STAMP" ] && [ -x .venv/bin/schemathesis ]; then
    exit 0
fi
rm -f "$HERE"/.stamp-*

if [ ! -x .venv/bin/python ] || ! .venv/bin/python -m pip --version >/dev/null 2>&1; then
    rm -rf .venv
    if ! "$PYTHON" -m venv .venv >/dev/null 2>&1; then
        rm -rf .venv
        # Debian ships venv/ensurepip separately (python3.X-venv).
        if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
            PYMM="$("$PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
            log "installing Debian package python$PYMM-venv"
            apt-get update -qq >/dev/null || die "apt-get update failed"
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "python$PYMM-venv" >/dev/null \
                || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null \
                || die "cannot apt-get install python3-venv"
        fi
        "$PYTHON" -m venv .venv || die "'$PYTHON -m venv' failed; install the python3-venv package"
    fi
fi
log "installing schemathesis (requirements.txt) from PyPI"
if ! .venv/bin/python -m pip install --disable-pip-version-check --no-input -q \
        --timeout 30 --retries 2 -r requirements.txt; then
    die "pip install -r interop/schemathesis/requirements.txt failed: is PyPI reachable? (see pip output above)"
fi
.venv/bin/schemathesis --version >/dev/null || die "schemathesis installed but does not run"
.venv/bin/python -c 'import cryptography.hazmat.primitives.asymmetric.rsa' \
    || die "cryptography installed but cannot be imported"

touch "$STAMP"
log "done (python $PY_VERSION, $(.venv/bin/schemathesis --version))"
