#!/usr/bin/env bash
# The whole test suite, on a fresh machine or a warm one:
#   1. installs what the tests need (official Alipay SDKs for interop; schemathesis for the
#      OpenAPI conformance run (interop/schemathesis/setup.sh); Debian's chromium, CJK
#      fonts and playwright-core for the browser tests (scripts/browser.sh); cargo-nextest if
#      absent);
#   2. makes sure PostgreSQL runs (the storage suites run on both backends): installs Debian's
#      `postgresql` if absent, starts its cluster if stopped, and fails loudly if it cannot be
#      reached. ZHIMA_TEST_DATABASE_URL points the tests at another server
#      (default postgres://postgres@127.0.0.1:5432/postgres, trust auth);
#   3. runs every test of the workspace with cargo-nextest (heavy tests in the serial group of
#      .config/nextest.toml).
# Idempotent; safe to re-run. Used verbatim by .ci/run.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

echo "== installing test dependencies"
bash interop/setup.sh
bash interop/schemathesis/setup.sh
bash scripts/browser.sh
if ! cargo nextest --version >/dev/null 2>&1; then
    cargo install --locked cargo-nextest
fi

echo "== PostgreSQL"
export ZHIMA_TEST_DATABASE_URL="${ZHIMA_TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
bash scripts/postgres.sh "$ZHIMA_TEST_DATABASE_URL"

echo "== building"
cargo build --workspace --all-targets --locked

echo "== running tests"
cargo nextest run --workspace --locked --no-fail-fast "$@"

echo "== doc tests"
cargo test --workspace --doc --locked
