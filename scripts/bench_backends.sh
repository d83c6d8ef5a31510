#!/usr/bin/env bash
# Throughput of SQLite vs PostgreSQL (one and two `zhima serve` processes) in one run, with
# `zhima replay --concurrency 64` (the client signs and verifies every request too, on the same
# machine). Usage: scripts/bench_backends.sh [N]   (N syncs of each kind, default 4000)
# Needs a release build (ZHIMA_BIN, default target/release/zhima) and PostgreSQL at
# ZHIMA_BENCH_DATABASE_URL's server (default postgres://postgres@127.0.0.1:5432/postgres).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
Z="${ZHIMA_BIN:-${CARGO_TARGET_DIR:-target}/release/zhima}"
N="${1:-4000}"
ADMIN="${ZHIMA_BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
work="$(mktemp -d)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

# The demo sandbox (keys, app, agreement, state machine), created once and shared by every run.
"$Z" serve --data-dir "$work/demo" --listen 127.0.0.1:0 > "$work/boot.out" 2>/dev/null &
boot=$!; pids+=("$boot")
until grep -q "listening on" "$work/boot.out"; do sleep 0.1; done
kill "$boot"; wait "$boot" 2>/dev/null || true
conn=(--app-id 2021000000000001 --key "$work/demo/keys/app_private.pem" --platform-key "$work/demo/keys/platform_public.pem")

# $1 = run name: N v3 cumulation syncs and N v1 state syncs, all distinct.
gen() {
    python3 - "$1" "$N" "$work" <<'PY'
import json, sys
run, n, work = sys.argv[1], int(sys.argv[2]), sys.argv[3]
with open(f"{work}/{run}-v3.jsonl", "w") as f:
    for i in range(n):
        f.write(json.dumps({"path": "/v3/zhima/credit/pe/zmgo/cumulation/sync", "body": {
            "agreement_no": "20195108518085620000", "user_id": "2088602002015001",
            "partner_id": "2088621805983504", "out_biz_no": f"{run}-c-{i}", "biz_action": "ORDER_PAID",
            "biz_time": "2024-05-20 10:00:00", "cumulate_data_type": "TASK",
            "task_type_data": {"name": "打车1次"}, "request_from": "ExternalMerchantSource"}}) + "\n")
with open(f"{work}/{run}-v1.jsonl", "w") as f:
    for i in range(n):
        f.write(json.dumps({"method": "zhima.data.state.data.sync", "biz_content": {
            "user_id": "2088602002015001", "out_biz_no": f"{run}-s-{i}", "out_principal_id": f"{run}-p-{i}",
            "biz_state_code": "CONTRACT_STATE_WATCH_MOVIE_BUY", "category_code": "WATCH_MOVIE",
            "service_id": "2019080700000000000001800100", "biz_data": "{\"orderNo\":\"o-1\"}"}}) + "\n")
PY
}

# Starts `zhima serve` with extra args; prints its base URL.
serve() {
    local out="$work/serve.$RANDOM"
    "$Z" serve --config "$work/demo/zhima.toml" --listen 127.0.0.1:0 "$@" > "$out" 2>/dev/null &
    pids+=("$!")
    until grep -q "listening on" "$out"; do sleep 0.1; done
    grep -o "listening on http://[0-9.:]*" "$out" | head -1 | sed 's/listening on //'
}

# replay FILE over the URLs given (the file split evenly, one client per URL, 64 in flight in
# total); prints the wall time in seconds.
replay() {
    local file="$1"; shift
    local n=$#; local per=$((64 / n)); local i=0; local rp=()
    split -n "l/$n" -d "$file" "$file.part."
    local t0; t0=$(date +%s.%N)
    for url in "$@"; do
        "$Z" replay "$file.part.0$i" --concurrency "$per" --url "$url" "${conn[@]}" > "$work/replay.$i.out" 2>&1 &
        rp+=("$!"); i=$((i + 1))
    done
    for p in "${rp[@]}"; do wait "$p" || { echo "replay failed:" >&2; cat "$work"/replay.*.out >&2; exit 1; }; done
    echo "$(date +%s.%N) - $t0" | bc
}

fresh_db() {
    local name="zhima_bench_$1_$$"
    psql "$ADMIN" -qc "DROP DATABASE IF EXISTS $name" -c "CREATE DATABASE $name" >/dev/null
    echo "${ADMIN%/*}/$name"
}

declare -A secs
run() { # name, then serve args per process separated by ';'
    local name="$1"; shift
    gen "$name"
    local urls=()
    IFS=';' read -ra procs <<< "$*"
    for p in "${procs[@]}"; do
        # shellcheck disable=SC2086
        urls+=("$(serve $p)")
    done
    secs[$name-v1]=$(replay "$work/$name-v1.jsonl" "${urls[@]}")
    secs[$name-v3]=$(replay "$work/$name-v3.jsonl" "${urls[@]}")
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    pids=()
    sleep 0.5
}

pg1=$(fresh_db one); pg2=$(fresh_db two)
run sqlite "--data-dir $work/sqlite"
run pg1 "--database-url $pg1"
run pg2 "--database-url $pg2;--database-url $pg2"
psql "$ADMIN" -qc "DROP DATABASE zhima_bench_one_$$ WITH (FORCE)" -c "DROP DATABASE zhima_bench_two_$$ WITH (FORCE)" >/dev/null

printf "%-14s %18s %18s\n" "" "v1 state sync" "v3 cumulation"
for r in sqlite pg1 pg2; do
    v1=${secs[$r-v1]}; v3=${secs[$r-v3]}
    printf "%-14s %9.0f/s %5.2fx  %9.0f/s %5.2fx\n" "$r" \
        "$(echo "$N / $v1" | bc -l)" "$(echo "${secs[sqlite-v1]} / $v1" | bc -l)" \
        "$(echo "$N / $v3" | bc -l)" "$(echo "${secs[sqlite-v3]} / $v3" | bc -l)"
done
