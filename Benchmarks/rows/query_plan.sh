#!/usr/bin/env bash
# The query plan and timing of a GET /rows page on a table of ROWS rows (default 1,000,000): a
# throwaway cluster, the real migrations, `public.orders` captured as `orders/{id}` and
# `customers/{customer_id}/orders` with an index on customer_id (200 orders per customer), then
# EXPLAIN ANALYZE of the statements one page runs in its REPEATABLE READ snapshot: the page of
# 100 rows (RowsQuery, for a token granted `customers/42/**` asking `customers/42/orders`), its
# second page (keyset after the first page's last key), and the cursor (ChangeLog.snapshotCursor).
#
#   bash Benchmarks/rows/query_plan.sh [ROWS]
set -euo pipefail
ROWS=${1:-1000000}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
WORK=$(mktemp -d /tmp/tidings-rows-plan-XXXXXX)
RUN=()
if [ "$(id -u)" = 0 ]; then chown postgres "$WORK"; RUN=(runuser -u postgres --); fi
"${RUN[@]}" "$BIN/initdb" -D "$WORK/data" -A trust -U postgres >/dev/null
PORT=$((20000 + RANDOM % 20000))
"${RUN[@]}" "$BIN/pg_ctl" -D "$WORK/data" -o "-p $PORT -k $WORK -c listen_addresses=''" -l "$WORK/log" -w start >/dev/null
trap '"${RUN[@]}" "$BIN/pg_ctl" -D "$WORK/data" -m immediate stop >/dev/null; rm -rf "$WORK"' EXIT
PSQL=(psql -h "$WORK" -p "$PORT" -U postgres -X -q -v ON_ERROR_STOP=1)
for file in "$ROOT"/Migrations/*.sql; do "${PSQL[@]}" -f "$file"; done
echo "loading $ROWS rows and as many events…"
time "${PSQL[@]}" -c "
CREATE TABLE public.orders (id bigint PRIMARY KEY, customer_id int NOT NULL, status text NOT NULL, total numeric NOT NULL);
CREATE INDEX orders_customer_id ON public.orders (customer_id);
INSERT INTO public.orders SELECT i, i % 5000, 'paid', i * 1.5 FROM generate_series(1, $ROWS) AS i;
INSERT INTO tidings.changes (id, topics, event, \"table\", op, data, at)
SELECT i, ARRAY['orders/' || i, 'customers/' || (i % 5000) || '/orders'], 'orders.insert', 'public.orders', 'insert',
       jsonb_build_object('id', i), now()
FROM generate_series(1, $ROWS) AS i;"
"${PSQL[@]}" -c "VACUUM ANALYZE public.orders" -c "ANALYZE tidings.changes"
# The statements RowsQuery and ChangeLog.snapshotCursor build (see RowsPredicateTests for the predicate's text),
# prepared with their parameters as the gateway binds them.
"${PSQL[@]}" <<SQL
\echo
\echo == page 1: customers/42/orders, limit 100
BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;
PREPARE first_page(int) AS
SELECT to_jsonb(tidings_row.*)::text AS tidings_json, "id"::text AS tidings_key_0
FROM "public"."orders" AS tidings_row
WHERE ((("customer_id" = \$1)))
ORDER BY tidings_row."id"
LIMIT 101;
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) EXECUTE first_page(42);
\echo
\echo == page 2: after the last key of the first page
PREPARE next_page(int, text) AS
SELECT to_jsonb(tidings_row.*)::text AS tidings_json, "id"::text AS tidings_key_0
FROM "public"."orders" AS tidings_row
WHERE ((("customer_id" = \$1))) AND ((tidings_row."id") > (CAST(\$2 AS bigint)))
ORDER BY tidings_row."id"
LIMIT 101;
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) EXECUTE next_page(42, '495042');
\echo
\echo == the cursor
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF)
SELECT greatest(coalesce((SELECT max(id) FROM tidings.changes), 0), (SELECT pruned_through FROM tidings.retention_state()))::int8;
COMMIT;
SQL
