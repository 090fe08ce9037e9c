-- Logical capture's log write, one statement per run of a batch, with typed values throughout.
--
-- In 0007 the capturer fetched each batch's built events as text (JSON for topics, payloads and
-- problems) and sent them back to tidings.log_captured, which parsed that text again; and every
-- logged event fired tidings_change_keys, a row trigger running a SECURITY DEFINER function and a
-- PL/pgSQL tidings.topic_keys call of its own. Now the statement that calls the table's event
-- builder passes its output straight to tidings.log_events as an array of
-- tidings.captured_event, and the topic keys of all the rows one statement logs are written by
-- one statement trigger, computed in SQL. The event builder (0004, generated per table) is still
-- the one source of every event's content, and it still runs in the capturer's own statement,
-- with the capturer's rights: nothing of a row is evaluated inside the definer function.

-- One built event, as tidings.log_events takes it: topics and old topics (NULL unless a move),
-- the event name, table (NULL for a publish), op, payload (new/old/table/op, or event/data), the
-- moved delete's old key, the problems the builder met (NULL when none), the transaction's commit
-- time, and the LSN of a publish's message (NULL for a row change). An event without topics nor
-- old topics only counts its problems.
CREATE TYPE tidings.captured_event AS (
    topics text[],
    old_topics text[],
    event text,
    tbl text,
    op text,
    payload jsonb,
    moved_old jsonb,
    problems text[],
    at timestamptz,
    source pg_lsn
);

-- Topic keys, written once per statement that logs events: the same keys as
-- tidings.change_key_set (0004) gives each row (its topics' keys and its old topics', '' for a
-- TRUNCATE), computed in SQL over the statement's rows instead of two PL/pgSQL calls per event.
-- A topic's keys: the topic, and each proper prefix of its segments followed by '/**'.
CREATE FUNCTION tidings.index_logged_change_keys() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $index$
BEGIN
    INSERT INTO tidings.change_keys (key, id)
    SELECT '', n.id FROM logged AS n WHERE n.op = 'truncate'
    UNION ALL
    SELECT DISTINCT k.key, n.id
    FROM logged AS n,
        unnest(n.topics || coalesce(n.old_topics, '{}')) AS t(topic),
        unnest(ARRAY[t.topic] || ARRAY(
            SELECT array_to_string((string_to_array(t.topic, '/'))[1:d.depth], '/') || '/**'
            FROM generate_series(1, cardinality(string_to_array(t.topic, '/')) - 1) AS d(depth)
        )) AS k(key)
    WHERE n.op <> 'truncate';
    RETURN NULL;
END
$index$;

REVOKE ALL ON FUNCTION tidings.index_logged_change_keys() FROM PUBLIC;

DROP TRIGGER tidings_change_keys ON tidings.changes;

CREATE TRIGGER tidings_change_keys
AFTER INSERT ON tidings.changes
REFERENCING NEW TABLE AS logged
FOR EACH STATEMENT EXECUTE FUNCTION tidings.index_logged_change_keys();

DROP FUNCTION tidings.index_change_keys();

-- Logs `events` in the order given, with ids drawn in that order and the `data`
-- tidings.log_change (0004) gives the same event, exactly as tidings.log_captured (0007) did;
-- raises the recorded position to `through` when given (the batch ends a transaction), and wakes
-- the gateways (NOTIFY folds repeats within a transaction into one). Returns one row per logged
-- event in id order, with `previous`, the largest id logged before them; with `hand`, also the
-- event as the change feed reads it (ChangeLogQuery.page), so the capturer's own gateway hands
-- the committed batch to its hub without reading it back; without, only the id.
CREATE FUNCTION tidings.log_events(events tidings.captured_event[], through pg_lsn, hand boolean)
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

REVOKE ALL ON FUNCTION tidings.log_events(tidings.captured_event[], pg_lsn, boolean) FROM PUBLIC;

DROP FUNCTION tidings.log_captured(
    text[], text[], text[], text[], text[], text[], text[], text[], timestamptz[], pg_lsn[], pg_lsn
);
