#!/usr/bin/env bash
# The query plan and timing of a topic-filtered /changes read on a log of ROWS events (default
# 1,000,000): a throwaway cluster, the real migrations, synthetic events with two topics each
# (`orders/N` and `customers/(N mod 20000)/orders`), then EXPLAIN ANALYZE of the read the gateway
# sends for a rare key after id 0 and after a recent id, for a key of one event, and for a key of every event.
#
#   bash Benchmarks/changes/query_plan.sh [ROWS]
set -euo pipefail
ROWS=${1:-1000000}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
WORK=$(mktemp -d /tmp/tidings-plan-XXXXXX)
RUN=()
if [ "$(id -u)" = 0 ]; then chown postgres "$WORK"; RUN=(runuser -u postgres --); fi
"${RUN[@]}" "$BIN/initdb" -D "$WORK/data" -A trust -U postgres >/dev/null
PORT=$((20000 + RANDOM % 20000))
"${RUN[@]}" "$BIN/pg_ctl" -D "$WORK/data" -o "-p $PORT -k $WORK -c listen_addresses=''" -l "$WORK/log" -w start >/dev/null
trap '"${RUN[@]}" "$BIN/pg_ctl" -D "$WORK/data" -m immediate stop >/dev/null; rm -rf "$WORK"' EXIT
PSQL=(psql -h "$WORK" -p "$PORT" -U postgres -X -q -v ON_ERROR_STOP=1)
for file in "$ROOT"/Migrations/*.sql; do "${PSQL[@]}" -f "$file"; done
echo "loading $ROWS events…"
time "${PSQL[@]}" -c "
INSERT INTO tidings.changes (id, topics, event, \"table\", op, data, at)
SELECT i, ARRAY['orders/' || i, 'customers/' || (i % 20000) || '/orders'], 'orders.insert', 'public.orders', 'insert',
       jsonb_build_object('id', i), now()
FROM generate_series(1, $ROWS) AS i;
ANALYZE tidings.changes;"
# The read ChangeLog.candidates(after:keys:limit:) sends, with its parameters written in.
QUERY="SELECT c.id, c.topics, c.event, c.data::text, extract(epoch FROM c.at)::float8, c.op, c.old_topics, c.moved::text
FROM (SELECT hit.id FROM unnest(ARRAY[\$KEYS]::text[]) AS wanted(key)
      CROSS JOIN LATERAL (SELECT k.id FROM tidings.change_keys AS k
                          WHERE k.key = wanted.key AND k.id > \$AFTER ORDER BY k.id LIMIT 100) AS hit
      GROUP BY hit.id ORDER BY hit.id LIMIT 100) AS page
JOIN tidings.changes AS c ON c.id = page.id ORDER BY c.id"
explain() {
  echo; echo "== $1"
  local sql=${QUERY//\$AFTER/$2}; sql=${sql//\$KEYS/$3}
  "${PSQL[@]}" -c "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) $sql"
}
explain "customers/42/** after 0" 0 "'customers/42','customers/42/**'"
explain "customers/42/** after a recent id" $((ROWS - 50000)) "'customers/42','customers/42/**'"
explain "orders/77 (one event) after 0" 0 "'orders/77'"
explain "customers/*/orders (every event) after 0" 0 "'customers/**'"
