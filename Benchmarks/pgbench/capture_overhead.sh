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
# With MODE=logical the cluster runs with wal_level=logical and the captured runs go through
# `tidings serve` in capture.mode: logical (TIDINGS= the binary; default .build/release/tidings):
# no trigger on the table; the script also prints how long the capturer took to catch up.
# Usage: [BREAKDOWN=1] [MODE=logical] [CAPTURE_FROM=dir] Benchmarks/pgbench/capture_overhead.sh [seconds] [clients]
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
MODE=${MODE:-triggers}
GATEWAY_PID=""
SERVER_SETTINGS=""
if [[ "$MODE" == logical ]]; then
    TIDINGS=${TIDINGS:-$ROOT/.build/release/tidings}
    [[ -x "$TIDINGS" ]] || { echo "MODE=logical needs the tidings binary: swift build -c release --product tidings" >&2; exit 1; }
    SERVER_SETTINGS="-c wal_level=logical -c max_wal_senders=10 -c max_replication_slots=10"
fi
cleanup() {
    [[ -n "$GATEWAY_PID" ]] && kill "$GATEWAY_PID" 2>/dev/null && wait "$GATEWAY_PID" 2>/dev/null
    (cd "$DIR" && "${AS[@]}" "$BIN/pg_ctl" -D "$DIR/data" -m immediate -w stop >/dev/null 2>&1) || true
    rm -rf "$DIR"
}
trap cleanup EXIT

cd "$DIR"
"${AS[@]}" "$BIN/initdb" -D "$DIR/data" -A trust -U postgres -E UTF8 --no-locale >/dev/null
"${AS[@]}" "$BIN/pg_ctl" -D "$DIR/data" -w -l "$DIR/server.log" \
    -o "-p $PORT -k $DIR -c listen_addresses=127.0.0.1 -c max_connections=100 -c shared_buffers=256MB $SERVER_SETTINGS" start >/dev/null

PSQL=(env PGOPTIONS=--client-min-messages=warning "$BIN/psql" -h 127.0.0.1 -p "$PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 -q -X)
"${PSQL[@]}" -c "CREATE TABLE bench (id bigserial PRIMARY KEY, v int, note text)"
"${PSQL[@]}" -c "CREATE SCHEMA tidings; CREATE TABLE tidings.schema_migrations (version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
if [[ "$MODE" != logical ]]; then
    for file in "$ROOT"/Migrations/*.sql; do "${PSQL[@]}" -f "$file"; done
fi

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
    if [[ -n "$("${PSQL[@]}" -At -c "SELECT to_regclass('tidings.changes')")" ]]; then
        "${PSQL[@]}" -c "TRUNCATE bench, tidings.changes, tidings.change_keys; CHECKPOINT"
    else
        "${PSQL[@]}" -c "TRUNCATE bench; CHECKPOINT"
    fi
    cpu_before=$(cluster_cpu)
    tps=$(PGOPTIONS="$2" "$BIN/pgbench" -h 127.0.0.1 -p "$PORT" -U postgres -n -c "$CLIENTS" -j "$CLIENTS" -T "$SECONDS_PER_RUN" \
        -f "$HERE/insert.sql" postgres 2>/dev/null | sed -n 's/^tps = \([0-9.]*\).*/\1/p')
    await_sessions_gone
    local rows caught_up=""
    rows=$("${PSQL[@]}" -At -c "SELECT count(*) FROM bench")
    if [[ "$MODE" == logical && -n "$GATEWAY_PID" ]]; then
        # The capturer writes after the commits: wait until it has logged every row (its CPU
        # until then is counted too).
        local start=$SECONDS
        until [[ $("${PSQL[@]}" -At -c "SELECT count(*) FROM tidings.changes") -ge $rows ]]; do sleep 0.2; done
        caught_up=", capturer caught up $((SECONDS - start)) s after the run"
    fi
    cpu_after=$(cluster_cpu)
    local logged
    logged=$("${PSQL[@]}" -At -c "SELECT count(*) FROM tidings.changes" 2>/dev/null || echo 0)
    local cpu_per_tx
    cpu_per_tx=$(python3 -c "print(f'{($cpu_after - $cpu_before) * 1e6 / max($rows, 1):.0f}')")
    printf '%-40s %10s tps   %6s µs CPU/tx   (%s events logged%s)\n' "$1" "$tps" "$cpu_per_tx" "$logged" "$caught_up" >&2
    echo "$tps"
}

echo "PostgreSQL $("$BIN/postgres" --version | awk '{print $3}'), $(nproc) CPUs, $CLIENTS clients, ${SECONDS_PER_RUN}s per run" >&2
plain=$(run "no trigger, synchronous_commit=on" "")
plain_async=$(run "no trigger, synchronous_commit=off" "-c synchronous_commit=off")
if [[ "$MODE" == logical ]]; then
    GATEWAY_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    cat >"$DIR/tidings.yaml" <<YAML
listen: "127.0.0.1:$GATEWAY_PORT"
tls: off
postgres:
  url: "postgres://postgres@127.0.0.1:$PORT/postgres?sslmode=disable"
capture:
  mode: logical
auth:
  jwt:
    secret: "benchmark-secret-benchmark-secret-0123"
topics:
  - table: public.bench
    topics: ["bench/{id}"]
YAML
    "$TIDINGS" migrate --config "$DIR/tidings.yaml" >/dev/null
    "$TIDINGS" serve --config "$DIR/tidings.yaml" --log-level warning >"$DIR/gateway.log" 2>&1 &
    GATEWAY_PID=$!
    until curl -sf "http://127.0.0.1:$GATEWAY_PORT/readyz" >/dev/null; do sleep 0.2; done
    captured=$(run "logical capture, synchronous_commit=on" "")
    captured_async=$(run "logical capture, synchronous_commit=off" "-c synchronous_commit=off")
else
    "${PSQL[@]}" -f "$CAPTURE_SQL"
    captured=$(run "capture trigger, synchronous_commit=on" "")
    captured_async=$(run "capture trigger, synchronous_commit=off" "-c synchronous_commit=off")
fi
python3 - "$plain" "$captured" "$plain_async" "$captured_async" <<'PY' >&2
import sys
p, c, pa, ca = map(float, sys.argv[1:])
print(f"capture / plain, synchronous_commit=on : {c / p:.2f}  ({(1 - c / p) * 100:.0f}% fewer tps)")
print(f"capture / plain, synchronous_commit=off: {ca / pa:.2f}  ({(1 - ca / pa) * 100:.0f}% fewer tps)")
PY

if [[ "${BREAKDOWN:-0}" == 1 && "$MODE" != logical ]]; then
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

if [[ "$MODE" == logical && "${BURST:-0}" == 1 ]]; then
    # The capturer's sustained write rate: 100,000 one-row transactions committed while no
    # gateway runs, then one gateway started; the clock runs from its start until all are logged.
    wait_logged() { until [[ $("${PSQL[@]}" -At -c "SELECT count(*) FROM tidings.changes") -ge $1 ]]; do sleep 0.1; done; }
    kill "$GATEWAY_PID"; wait "$GATEWAY_PID" 2>/dev/null || true; GATEWAY_PID=""
    "${PSQL[@]}" -c "TRUNCATE bench, tidings.changes, tidings.change_keys"
    "$BIN/pgbench" -h 127.0.0.1 -p "$PORT" -U postgres -n -c "$CLIENTS" -j "$CLIENTS" -t $((100000 / CLIENTS)) \
        -f "$HERE/insert.sql" postgres >/dev/null 2>&1
    burst=$("${PSQL[@]}" -At -c "SELECT count(*) FROM bench")
    burst_cpu_before=$(cluster_cpu)
    start=$(date +%s.%N)
    "$TIDINGS" serve --config "$DIR/tidings.yaml" --log-level warning >>"$DIR/gateway.log" 2>&1 &
    GATEWAY_PID=$!
    wait_logged "$burst"
    elapsed=$(echo "$(date +%s.%N) - $start" | bc)
    # CPU per event, which a shared machine disturbs less than the rate: the cluster's (walsender,
    # the capturer's backend, the writers' leftovers) and the gateway's.
    burst_cpu_after=$(cluster_cpu)
    gateway_cpu=$(python3 -c "import os, sys; f = open(f'/proc/{sys.argv[1]}/stat').read().rsplit(')', 1)[1].split(); print((int(f[11]) + int(f[12])) / os.sysconf('SC_CLK_TCK'))" "$GATEWAY_PID")
    python3 -c "import sys; n, t, c, g = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]); print(f'burst: {n} one-row transactions logged in {t:.2f} s from the gateway start: {n / t:,.0f} events/s; CPU per event: cluster {c * 1e6 / n:.0f} µs, gateway {g * 1e6 / n:.0f} µs')" \
        "$burst" "$elapsed" "$(echo "$burst_cpu_after - $burst_cpu_before" | bc)" "$gateway_cpu" >&2
    # Peak memory of the gateway while one transaction of 1,000,000 rows goes through it.
    "${PSQL[@]}" -c "TRUNCATE bench, tidings.changes, tidings.change_keys"
    before=$(awk '/VmHWM/ {print $2}' "/proc/$GATEWAY_PID/status")
    "${PSQL[@]}" -c "INSERT INTO bench (v, note) SELECT g, 'one big transaction' FROM generate_series(1, 1000000) AS g"
    start=$(date +%s.%N)
    wait_logged 1000000
    elapsed=$(echo "$(date +%s.%N) - $start" | bc)
    after=$(awk '/VmHWM/ {print $2}' "/proc/$GATEWAY_PID/status")
    echo "1,000,000-row transaction: logged in ${elapsed} s; gateway peak RSS ${before} kB before, ${after} kB after" >&2
fi
