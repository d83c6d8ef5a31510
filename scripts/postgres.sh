#!/usr/bin/env bash
# Makes sure the PostgreSQL server of URL ($1) answers. When it is the local default server,
# installs Debian's `postgresql` if absent, creates/starts its cluster, and lets the
# `postgres` user in over TCP from 127.0.0.1 without a password (a test machine only).
# Exits non-zero with a clear message when the server cannot be reached: tests never skip.
set -euo pipefail
url="${1:-postgres://postgres@127.0.0.1:5432/postgres}"

answers() { psql "$url" -Atqc 'SELECT 1' >/dev/null 2>&1; }

if command -v psql >/dev/null 2>&1 && answers; then
    echo "PostgreSQL answers at $url"
    exit 0
fi

case "$url" in
    postgres://postgres@127.0.0.1:5432/*|postgres://postgres@localhost:5432/*) ;;
    *)
        echo "error: PostgreSQL at ZHIMA_TEST_DATABASE_URL=$url does not answer; start it or unset the variable" >&2
        exit 1
        ;;
esac

if ! command -v pg_ctlcluster >/dev/null 2>&1; then
    echo "installing postgresql (Debian)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq postgresql >/dev/null
fi

version="$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n1 || true)"
if [ -z "$version" ]; then
    version="$(ls /usr/lib/postgresql | sort -V | tail -n1)"
    pg_createcluster "$version" main
fi
conf="/etc/postgresql/$version/main"
# Trust local TCP connections of the test user (first matching line wins).
if ! grep -q '^host all all 127.0.0.1/32 trust' "$conf/pg_hba.conf"; then
    sed -i '1i host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust' "$conf/pg_hba.conf"
    pg_ctlcluster --skip-systemctl-redirect "$version" main reload 2>/dev/null || true
fi
if ! pg_lsclusters -h | awk -v v="$version" '$1 == v && $2 == "main" && $4 == "online"' | grep -q .; then
    echo "starting PostgreSQL $version"
    pg_ctlcluster --skip-systemctl-redirect "$version" main start
fi

for _ in $(seq 1 30); do
    if answers; then
        echo "PostgreSQL answers at $url"
        exit 0
    fi
    sleep 1
done
echo "error: PostgreSQL at $url does not answer after starting it; see /var/log/postgresql/" >&2
exit 1
