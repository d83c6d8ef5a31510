#!/usr/bin/env bash
# The whole test suite, on a fresh machine or a warm one:
#   1. installs what the tests need (official Alipay SDKs for interop, cargo-nextest if absent);
#   2. runs every test of the workspace with cargo-nextest.
# Idempotent; safe to re-run. Used verbatim by .ci/run.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

echo "== installing test dependencies"
bash interop/setup.sh
if ! cargo nextest --version >/dev/null 2>&1; then
    cargo install --locked cargo-nextest
fi

echo "== building"
cargo build --workspace --all-targets --locked

echo "== running tests"
cargo nextest run --workspace --locked --no-fail-fast "$@"

echo "== doc tests"
cargo test --workspace --doc --locked
