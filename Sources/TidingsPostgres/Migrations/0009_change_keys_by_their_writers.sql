-- Topic keys written by the two writers of the log themselves, not by a trigger on it.
--
-- 0008 replaced the row trigger that wrote each logged event's topic keys with a statement
-- trigger over a transition table, so that a batch of logical capture pays one key statement.
-- That trigger also fired for every event triggers mode logs, one row per statement, and made
-- the writer's transaction dearer than the row trigger had (731,000 instructions per one-row
-- INSERT transaction against 698,000, Benchmarks/pgbench/capture_instructions.sh). Now neither
-- path pays for a trigger: tidings.log_change (triggers mode, publish) writes its event's keys
-- as the row trigger of 0004 did, with tidings.topic_keys and tidings.change_key_set, and
-- tidings.log_events (logical mode) writes the keys of all the events it logs in the statement
-- that logs them, computed in SQL as 0008's trigger did. Both give the keys
-- tidings.change_key_set gives (Tests/TidingsPostgresTests/ChangeLog/ChangeKeysOracleTests).
-- Nothing else writes tidings.changes.

DROP TRIGGER tidings_change_keys ON tidings.changes;
DROP FUNCTION tidings.index_logged_change_keys();

CREATE OR REPLACE FUNCTION tidings.log_change(
    change_topics text[],
    change_old_topics text[],
    change_event text,
    change_table text,
    change_op text,
    payload jsonb,
    moved_old jsonb
) RETURNS bigint
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $log$
DECLARE
    change_id bigint;
    stamp timestamptz;
    stamp_text text;
BEGIN
    PERFORM pg_advisory_xact_lock(32766977284925299);
    change_id := nextval('tidings.change_id');
    stamp := clock_timestamp();
    stamp_text := to_char(stamp AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"');
    INSERT INTO tidings.changes (id, topics, event, "table", op, data, at, old_topics, moved)
    VALUES (
        change_id,
        change_topics,
        change_event,
        change_table,
        change_op,
        CASE WHEN change_op = 'truncate'
            THEN jsonb_build_object('id', change_id) || payload || jsonb_build_object('at', stamp_text)
            ELSE jsonb_build_object('id', change_id, 'topics', to_jsonb(change_topics)) || payload
                || jsonb_build_object('at', stamp_text)
        END,
        stamp,
        change_old_topics,
        CASE WHEN change_old_topics IS NOT NULL THEN
            jsonb_build_object(
                'id', change_id, 'topics', to_jsonb(change_old_topics), 'table', change_table, 'op', 'delete',
                'old', coalesce(moved_old, '{}'::jsonb), 'moved', true, 'at', stamp_text
            )
        END
    );
    IF change_old_topics IS NULL AND change_op <> 'truncate' THEN
        INSERT INTO tidings.change_keys (key, id) SELECT unnest(tidings.topic_keys(change_topics)), change_id;
    ELSE
        INSERT INTO tidings.change_keys (key, id)
        SELECT unnest(tidings.change_key_set(change_topics, change_old_topics, change_op)), change_id;
    END IF;
    PERFORM pg_notify('tidings', '');
    RETURN change_id;
END
$log$;

-- As 0008, and the events' topic keys: a topic's keys are the topic and each proper prefix of its
-- segments followed by '/**'; a TRUNCATE's, ''.
CREATE OR REPLACE FUNCTION tidings.log_events(events tidings.captured_event[], through pg_lsn, hand boolean)
RETURNS TABLE (
    previous bigint,
    id bigint,
    topics text[],
    event text,
    data text,
    at float8,
    op text,
    old_topics text[],
    moved text
)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $log$
DECLARE
    logged bigint;
BEGIN
    RETURN QUERY
    WITH numbered AS MATERIALIZED (
        SELECT nextval('tidings.change_id') AS id, ordered.*,
            to_char(ordered.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS stamp
        FROM (
            SELECT e.topics, CASE WHEN cardinality(e.old_topics) > 0 THEN e.old_topics END AS old_topics,
                e.event, e.tbl, e.op, e.payload, e.moved_old, e.at, e.source
            FROM unnest(events) WITH ORDINALITY AS e(topics, old_topics, event, tbl, op, payload, moved_old, problems, at, source, position)
            WHERE coalesce(cardinality(e.topics), 0) > 0 OR coalesce(cardinality(e.old_topics), 0) > 0
            ORDER BY e.position
        ) AS ordered
    ), logged_rows AS (
        INSERT INTO tidings.changes AS c (id, topics, event, "table", op, data, at, old_topics, moved)
        SELECT n.id, n.topics, n.event, n.tbl, n.op,
            CASE WHEN n.op = 'truncate'
                THEN jsonb_build_object('id', n.id) || n.payload || jsonb_build_object('at', n.stamp)
                ELSE jsonb_build_object('id', n.id, 'topics', to_jsonb(n.topics)) || n.payload
                    || jsonb_build_object('at', n.stamp)
            END,
            n.at,
            n.old_topics,
            CASE WHEN n.old_topics IS NOT NULL THEN
                jsonb_build_object(
                    'id', n.id, 'topics', to_jsonb(n.old_topics), 'table', n.tbl, 'op', 'delete',
                    'old', coalesce(n.moved_old, '{}'::jsonb), 'moved', true, 'at', n.stamp
                )
            END
        FROM numbered AS n
        ORDER BY n.id
        RETURNING c.id, c.topics, c.event, c.data, c.at, c.op, c.old_topics, c.moved
    ), keyed_rows AS (
        INSERT INTO tidings.change_keys (key, id)
        SELECT '', n.id FROM numbered AS n WHERE n.op = 'truncate'
        UNION ALL
        SELECT DISTINCT k.key, n.id
        FROM numbered AS n,
            unnest(n.topics || coalesce(n.old_topics, '{}')) AS t(topic),
            unnest(ARRAY[t.topic] || ARRAY(
                SELECT array_to_string((string_to_array(t.topic, '/'))[1:d.depth], '/') || '/**'
                FROM generate_series(1, cardinality(string_to_array(t.topic, '/')) - 1) AS d(depth)
            )) AS k(key)
        WHERE n.op <> 'truncate'
    ), published_rows AS (
        INSERT INTO tidings.published (lsn, id)
        SELECT n.source, n.id FROM numbered AS n WHERE n.source IS NOT NULL
        ON CONFLICT (lsn) DO NOTHING
    ), keyed AS (
        UPDATE tidings.publish_keys AS k SET change_id = n.id
        FROM numbered AS n
        WHERE n.source IS NOT NULL AND k.change_id IS NULL AND k.published_lsn = n.source
    )
    SELECT (SELECT coalesce(max(c.id), 0) FROM tidings.changes AS c), r.id,
        CASE WHEN hand THEN r.topics END, CASE WHEN hand THEN r.event END, CASE WHEN hand THEN r.data::text END,
        CASE WHEN hand THEN extract(epoch FROM r.at)::float8 END, CASE WHEN hand THEN r.op END,
        CASE WHEN hand THEN r.old_topics END, CASE WHEN hand THEN r.moved::text END
    FROM logged_rows AS r
    ORDER BY r.id;
    GET DIAGNOSTICS logged = ROW_COUNT;
    IF random() < 0.01 THEN
        DELETE FROM tidings.published AS p WHERE p.logged_at < now() - interval '1 day';
    END IF;
    -- Problems, counted per table and problem like tidings.count_capture_problems: once per event.
    INSERT INTO tidings.capture_problems AS p (table_name, problem, count)
    SELECT e.tbl, left(listed.problem, 300), count(*)
    FROM unnest(events) AS e,
        LATERAL (SELECT DISTINCT problem FROM unnest(e.problems) AS problem) AS listed
    WHERE e.problems IS NOT NULL AND e.tbl IS NOT NULL
    GROUP BY e.tbl, left(listed.problem, 300)
    ON CONFLICT (table_name, problem) DO UPDATE SET count = p.count + excluded.count, last_at = now();
    IF through IS NOT NULL THEN
        UPDATE tidings.capture_position SET written_through = greatest(written_through, through);
    END IF;
    IF logged > 0 THEN
        PERFORM pg_notify('tidings', '');
    END IF;
END
$log$;

