#!/usr/bin/env bash
# Measures what the Tidings capture trigger costs on a write-heavy table.
#
# Starts a throwaway durable cluster (fsync on, as a production server), creates
#   bench(id bigserial primary key, v int, note text),
# and runs pgbench (8 clients, 30 s, one INSERT per transaction) four times:
# without and with the capture trigger, each with synchronous_commit on and off.
# The trigger is installed from capture_bench.sql, the SQL Migrator generates for
#   - table: public.bench, topics: ["bench/{id}"], old: key
# after applying Migrations/*.sql. With BREAKDOWN=1 it then reruns the captured case with
# tidings.log_change stripped of the advisory lock, of the NOTIFY, and of both, to show where
# the time goes (the topic keys too).
#
# Throughput on a busy machine swings by 2x between runs, so each run also prints the CPU the whole
# cluster spent per transaction (every postgres process, including the backends that ended), which
# a build on the other core disturbs far less. To compare two versions of the capture SQL in one
# harness, point CAPTURE_FROM at another checkout's root (it needs Migrations/ and
# Benchmarks/pgbench/capture_bench.sql), e.g. `git archive <commit> Sources/TidingsPostgres/Migrations
# Migrations Benchmarks/pgbench | tar -x -C /tmp/before`.
# Usage: [BREAKDOWN=1] [CAPTURE_FROM=dir] Benchmarks/pgbench/capture_overhead.sh [seconds] [clients]
set -euo pipefail

SECONDS_PER_RUN=${1:-30}
CLIENTS=${2:-8}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
CAPTURE_SQL=$HERE/capture_bench.sql
if [[ -n "${CAPTURE_FROM:-}" ]]; then
    ROOT=$(cd "$CAPTURE_FROM" && pwd)
    CAPTURE_SQL=$ROOT/Benchmarks/pgbench/capture_bench.sql
fi

BIN=""
for dir in $(command -v initdb >/dev/null 2>&1 && dirname "$(readlink -f "$(command -v initdb)")") \
    $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [[ -x "$dir/initdb" && -x "$dir/pg_ctl" && -x "$dir/pgbench" && -x "$dir/psql" ]]; then BIN=$dir; break; fi
done
[[ -n "$BIN" ]] || { echo "needs initdb, pg_ctl, psql and pgbench: apt-get install postgresql postgresql-contrib" >&2; exit 1; }

AS=()
if [[ $(id -u) -eq 0 ]]; then AS=(runuser -u postgres --); fi
DIR=$(mktemp -d /tmp/tidings-bench-XXXXXX)
[[ ${#AS[@]} -gt 0 ]] && chown postgres "$DIR"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cleanup() { (cd "$DIR" && "${AS[@]}" "$BIN/pg_ctl" -D "$DIR/data" -m immediate -w stop >/dev/null 2>&1) || true; rm -rf "$DIR"; }
trap cleanup EXIT

cd "$DIR"
"${AS[@]}" "$BIN/initdb" -D "$DIR/data" -A trust -U postgres -E UTF8 --no-locale >/dev/null
"${AS[@]}" "$BIN/pg_ctl" -D "$DIR/data" -w -l "$DIR/server.log" \
    -o "-p $PORT -k $DIR -c listen_addresses=127.0.0.1 -c max_connections=100 -c shared_buffers=256MB" start >/dev/null

PSQL=(env PGOPTIONS=--client-min-messages=warning "$BIN/psql" -h 127.0.0.1 -p "$PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 -q -X)
"${PSQL[@]}" -c "CREATE TABLE bench (id bigserial PRIMARY KEY, v int, note text)"
"${PSQL[@]}" -c "CREATE SCHEMA tidings; CREATE TABLE tidings.schema_migrations (version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
for file in "$ROOT"/Migrations/*.sql; do "${PSQL[@]}" -f "$file"; done

POSTMASTER=$(head -1 "$DIR/data/postmaster.pid")
# CPU seconds the cluster has spent: the postmaster, its live children, and the children it reaped.
cluster_cpu() {
    python3 - "$POSTMASTER" <<'PY'
import os, sys
root = sys.argv[1]
tick = os.sysconf("SC_CLK_TCK")
def fields(pid):
    with open(f"/proc/{pid}/stat") as f:
        return f.read().rsplit(")", 1)[1].split()
total = 0
for pid in os.listdir("/proc"):
    if not pid.isdigit():
        continue
    try:
        f = fields(pid)
    except OSError:
        continue
    if pid == root:
        total += int(f[11]) + int(f[12]) + int(f[13]) + int(f[14])
    elif f[1] == root:
        total += int(f[11]) + int(f[12])
print(total / tick)
PY
}
# Waits until no pgbench session is left, so the ended backends' CPU is in the postmaster's count.
await_sessions_gone() {
    while [[ $("${PSQL[@]}" -At -c "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pgbench'") != 0 ]]; do
        sleep 0.1
    done
}

run() { # label, PGOPTIONS
    local tps cpu_before cpu_after
    "${PSQL[@]}" -c "TRUNCATE bench, tidings.changes, tidings.change_keys; CHECKPOINT"
    cpu_before=$(cluster_cpu)
    tps=$(PGOPTIONS="$2" "$BIN/pgbench" -h 127.0.0.1 -p "$PORT" -U postgres -n -c "$CLIENTS" -j "$CLIENTS" -T "$SECONDS_PER_RUN" \
        -f "$HERE/insert.sql" postgres 2>/dev/null | sed -n 's/^tps = \([0-9.]*\).*/\1/p')
    await_sessions_gone
    cpu_after=$(cluster_cpu)
    local rows
    rows=$("${PSQL[@]}" -At -c "SELECT count(*) FROM bench")
    local logged
    logged=$("${PSQL[@]}" -At -c "SELECT count(*) FROM tidings.changes")
    local cpu_per_tx
    cpu_per_tx=$(python3 -c "print(f'{($cpu_after - $cpu_before) * 1e6 / max($rows, 1):.0f}')")
    printf '%-40s %10s tps   %6s µs CPU/tx   (%s events logged)\n' "$1" "$tps" "$cpu_per_tx" "$logged" >&2
    echo "$tps"
}

echo "PostgreSQL $("$BIN/postgres" --version | awk '{print $3}'), $(nproc) CPUs, $CLIENTS clients, ${SECONDS_PER_RUN}s per run" >&2
plain=$(run "no trigger, synchronous_commit=on" "")
plain_async=$(run "no trigger, synchronous_commit=off" "-c synchronous_commit=off")
"${PSQL[@]}" -f "$CAPTURE_SQL"
captured=$(run "capture trigger, synchronous_commit=on" "")
captured_async=$(run "capture trigger, synchronous_commit=off" "-c synchronous_commit=off")
python3 - "$plain" "$captured" "$plain_async" "$captured_async" <<'PY' >&2
import sys
p, c, pa, ca = map(float, sys.argv[1:])
print(f"capture / plain, synchronous_commit=on : {c / p:.2f}  ({(1 - c / p) * 100:.0f}% fewer tps)")
print(f"capture / plain, synchronous_commit=off: {ca / pa:.2f}  ({(1 - ca / pa) * 100:.0f}% fewer tps)")
PY

if [[ "${BREAKDOWN:-0}" == 1 ]]; then
    # The topic keys /changes reads through (tidings.change_keys, filled by a trigger on the log).
    "${PSQL[@]}" -c "ALTER TABLE tidings.changes DISABLE TRIGGER tidings_change_keys"
    run "capture, no topic keys, sync on" "" >/dev/null
    run "capture, no topic keys, sync off" "-c synchronous_commit=off" >/dev/null
    "${PSQL[@]}" -c "ALTER TABLE tidings.changes ENABLE TRIGGER tidings_change_keys"
    # tidings.log_change as shipped, minus the lines matching $1 (an extended regex).
    record_change_without() {
        awk '/^CREATE FUNCTION tidings.log_change\(/,/^\$log\$;/' "$ROOT"/Migrations/0004_*.sql |
            sed -e 's/^CREATE FUNCTION/CREATE OR REPLACE FUNCTION/' | grep -Ev "$1" | "${PSQL[@]}"
    }
    record_change_without 'pg_advisory_xact_lock'
    run "capture, NOTIFY but no lock, sync on" "" >/dev/null
    run "capture, NOTIFY but no lock, sync off" "-c synchronous_commit=off" >/dev/null
    record_change_without 'pg_notify'
    run "capture, lock but no NOTIFY, sync on" "" >/dev/null
    run "capture, lock but no NOTIFY, sync off" "-c synchronous_commit=off" >/dev/null
    record_change_without 'pg_advisory_xact_lock|pg_notify'
    run "capture, neither lock nor NOTIFY, sync on" "" >/dev/null
    run "capture, neither lock nor NOTIFY, sync off" "-c synchronous_commit=off" >/dev/null
fi
