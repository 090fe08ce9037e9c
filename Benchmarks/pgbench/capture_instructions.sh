#!/usr/bin/env bash
# Counts the CPU instructions one captured one-row INSERT transaction costs PostgreSQL, with
# Valgrind's callgrind on a single-user backend: a figure that does not move with the machine's
# load, unlike the throughput capture_overhead.sh measures (which swings by 2x on a shared box).
#
# Runs three clusters: no capture, and the capture SQL of this checkout (capture_bench.sql after
# Migrations/*.sql), and, with CAPTURE_FROM=dir, that of another checkout for comparison, e.g.
#   mkdir /tmp/before && git archive <commit> Sources/TidingsPostgres/Migrations Migrations \
#       Benchmarks/pgbench | tar -x -C /tmp/before
#   CAPTURE_FROM=/tmp/before Benchmarks/pgbench/capture_instructions.sh
# Each cluster runs 500 and then 2,500 autocommitted inserts; the difference over 2,000 is the
# cost of one transaction without the backend's start-up. Needs valgrind (apt-get install valgrind).
# Usage: [CAPTURE_FROM=dir] Benchmarks/pgbench/capture_instructions.sh
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
command -v valgrind >/dev/null || { echo "needs valgrind: apt-get install valgrind" >&2; exit 1; }
BIN=""
for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [[ -x "$dir/initdb" && -x "$dir/postgres" && -x "$dir/pg_ctl" && -x "$dir/psql" ]]; then BIN=$dir; break; fi
done
[[ -n "$BIN" ]] || { echo "needs initdb, postgres, pg_ctl and psql: apt-get install postgresql" >&2; exit 1; }

AS=()
if [[ $(id -u) -eq 0 ]]; then AS=(runuser -u postgres --); fi
DIR=$(mktemp -d /tmp/tidings-instructions-XXXXXX)
chmod 755 "$DIR"
[[ ${#AS[@]} -gt 0 ]] && chown postgres "$DIR"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cleanup() { "${AS[@]}" "$BIN/pg_ctl" -D "$DIR/data" -m immediate -w stop >/dev/null 2>&1 || true; rm -rf "$DIR"; }
trap cleanup EXIT

# A fresh cluster with `bench` and the capture SQL of checkout $1 ($2: its capture_bench.sql, or "").
prepare() {
    "${AS[@]}" "$BIN/pg_ctl" -D "$DIR/data" -m immediate -w stop >/dev/null 2>&1 || true
    rm -rf "$DIR/data"
    "${AS[@]}" "$BIN/initdb" -D "$DIR/data" -A trust -U postgres -E UTF8 --no-locale >/dev/null
    "${AS[@]}" "$BIN/pg_ctl" -D "$DIR/data" -w -l "$DIR/server.log" \
        -o "-p $PORT -k $DIR -c listen_addresses=127.0.0.1" start >/dev/null
    local psql=(env PGOPTIONS=--client-min-messages=warning "$BIN/psql" -h 127.0.0.1 -p "$PORT" -U postgres -d postgres
        -v ON_ERROR_STOP=1 -q -X)
    "${psql[@]}" -c "CREATE TABLE bench (id bigserial PRIMARY KEY, v int, note text)"
    "${psql[@]}" -c "CREATE SCHEMA tidings; CREATE TABLE tidings.schema_migrations (version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
    for file in "$1"/Migrations/*.sql; do "${psql[@]}" -f "$file"; done
    [[ -n "$2" ]] && "${psql[@]}" -f "$2"
    "${AS[@]}" "$BIN/pg_ctl" -D "$DIR/data" -m fast -w stop >/dev/null
}

# Instructions a single-user backend executes for $1 autocommitted one-row inserts.
instructions() {
    python3 -c "print('\n'.join(\"INSERT INTO bench (v, note) VALUES (%d, 'pgbench row');\" % i for i in range($1)))" \
        >"$DIR/inserts.sql"
    chmod 644 "$DIR/inserts.sql"
    "${AS[@]}" valgrind --tool=callgrind --callgrind-out-file=/dev/null "$BIN/postgres" --single -D "$DIR/data" postgres \
        <"$DIR/inserts.sql" 2>&1 >/dev/null | sed -n 's/.*Collected : //p'
}

per_transaction() { # label
    local few many
    few=$(instructions 500)
    many=$(instructions 2500)
    python3 -c "print(f'{($many - $few) / 2000:.0f}')"
}

echo "PostgreSQL $("$BIN/postgres" --version | awk '{print $3}'), instructions per one-row INSERT transaction" >&2
prepare "$ROOT" ""
plain=$(per_transaction)
printf '%-28s %10s\n' "no capture" "$plain" >&2
prepare "$ROOT" "$HERE/capture_bench.sql"
captured=$(per_transaction)
printf '%-28s %10s\n' "capture (this checkout)" "$captured" >&2
if [[ -n "${CAPTURE_FROM:-}" ]]; then
    other=$(cd "$CAPTURE_FROM" && pwd)
    prepare "$other" "$other/Benchmarks/pgbench/capture_bench.sql"
    before=$(per_transaction)
    printf '%-28s %10s\n' "capture ($other)" "$before" >&2
    python3 -c "print(f'this checkout / {\"$other\"}: {$captured / $before:.3f} of the instructions per transaction')" >&2
fi
python3 -c "print(f'capture / no capture: {$captured / $plain:.2f}x the instructions per transaction')" >&2
