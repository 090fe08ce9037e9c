-- Logical capture (SPEC §7, `capture.mode: logical`): the application's transactions carry no
-- trigger, no lock and no NOTIFY. PostgreSQL's WAL, read through a replication slot with the
-- pgoutput plugin, brings each committed transaction to one elected gateway (the capturer),
-- which writes its events into tidings.changes in commit order, in batches.
--
-- One source of truth
-- -------------------
-- In logical mode `tidings migrate` installs the same per-table event builder as in triggers mode
-- (`tidings."event_<table>"(op, old_row, new_row)`, see 0004) and the same tidings.captures rows,
-- but no trigger. The capturer rebuilds each row of the table's type from the WAL's text values
-- and calls that builder, so topics, `new`, `old`, moves and problems are the ones a trigger would
-- have logged; tidings.log_captured below writes them with the same `data` as tidings.log_change.
--
-- Nothing lost, nothing twice
-- ---------------------------
-- tidings.capture_position holds the end of the last transaction whose events are in the log
-- (its commit record's end LSN). The capturer raises it in the same transaction that writes the
-- events, and confirms the slot up to it only after that transaction has committed. A capturer
-- killed at any instant restarts from the slot (which never runs ahead of the log) and skips
-- every transaction at or below the recorded position (which never lags behind it).

-- Which mode `migrate` last installed: tidings.publish() reads it.
CREATE TABLE tidings.capture_position (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    mode text NOT NULL DEFAULT 'triggers' CHECK (mode IN ('triggers', 'logical')),
    written_through pg_lsn NOT NULL DEFAULT '0/0'
);

INSERT INTO tidings.capture_position DEFAULT VALUES;

REVOKE ALL ON tidings.capture_position FROM PUBLIC;

-- The key that signs publish messages. Any role may call pg_logical_emit_message, so the capturer
-- logs a message with the 'tidings' prefix only when its tag proves tidings.emit_publish wrote it:
--     content = <tag>\n<body>   body = {"topics":[…],"event":"…","data":{…}}
--     tag = hex(sha256(key || sha256(key || body)))
-- The key never leaves this table: the capturer checks tags in SQL (tidings.log_captured's caller
-- reads it through tidings.verified_publishes). Only the owner of schema tidings can read it.
CREATE TABLE tidings.message_key (
    key bytea NOT NULL
);

INSERT INTO tidings.message_key (key)
SELECT sha256(convert_to(gen_random_uuid()::text || gen_random_uuid()::text || clock_timestamp()::text, 'UTF8'));

REVOKE ALL ON tidings.message_key FROM PUBLIC;

-- The outbox in logical mode: tidings.publish() (as 0001, 0004 and 0006 left it) still inserts its
-- row into tidings.outbox; in logical mode this trigger, which runs after 0004's event-name check
-- (triggers fire in name order), turns the row into a transactional logical message instead, and
-- the row is never written, so the deferred flush_outbox never fires. The message is decoded only
-- if the transaction commits, at its place in commit order.
CREATE FUNCTION tidings.emit_publish() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $emit$
DECLARE
    body text;
    signing_key bytea;
BEGIN
    IF (SELECT p.mode FROM tidings.capture_position AS p) IS DISTINCT FROM 'logical' THEN
        RETURN NEW;
    END IF;
    SELECT k.key INTO signing_key FROM tidings.message_key AS k LIMIT 1;
    body := jsonb_build_object('topics', to_jsonb(NEW.topics), 'event', NEW.event, 'data', NEW.data)::text;
    -- The message's LSN names this publish until the capturer has logged it: POST /publish and
    -- the idempotency keys of 0006 read it back from the session to learn the event's id.
    PERFORM set_config(
        'tidings.published_lsn',
        pg_logical_emit_message(
            true,
            'tidings',
            encode(sha256(signing_key || sha256(signing_key || convert_to(body, 'UTF8'))), 'hex') || E'\n' || body
        )::text,
        false
    );
    RETURN NULL;
END
$emit$;

REVOKE ALL ON FUNCTION tidings.emit_publish() FROM PUBLIC;

CREATE TRIGGER tidings_publish_logical
BEFORE INSERT ON tidings.outbox
FOR EACH ROW EXECUTE FUNCTION tidings.emit_publish();

-- The publish messages among `contents` whose tag is right, as (ordinal, body), ordinal counting
-- from 1. Called by the capturer only.
CREATE FUNCTION tidings.verified_publishes(contents text[]) RETURNS TABLE (ordinal bigint, body jsonb)
LANGUAGE sql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $verified$
    SELECT c.n, substr(c.content, 66)::jsonb
    FROM unnest(contents) WITH ORDINALITY AS c(content, n), tidings.message_key AS k
    WHERE substr(c.content, 65, 1) = E'\n'
      AND left(c.content, 64) = encode(sha256(k.key || sha256(k.key || convert_to(substr(c.content, 66), 'UTF8'))), 'hex')
    ORDER BY c.n
$verified$;

REVOKE ALL ON FUNCTION tidings.verified_publishes(text[]) FROM PUBLIC;

-- The id each logged publish received, by the LSN of its message; kept for a day.
CREATE TABLE tidings.published (
    lsn pg_lsn PRIMARY KEY,
    id bigint NOT NULL,
    logged_at timestamptz NOT NULL DEFAULT now()
);

REVOKE ALL ON tidings.published FROM PUBLIC;

-- The id of the last event this session published in logical mode, once the capturer has
-- logged it; NULL before (or in triggers mode, where tidings.last_change_id() answers).
CREATE FUNCTION tidings.published_id() RETURNS bigint
LANGUAGE sql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $published$
    SELECT p.id FROM tidings.published AS p
    WHERE p.lsn = nullif(current_setting('tidings.published_lsn', true), '')::pg_lsn
$published$;

-- Idempotency keys (0006) in logical mode: the id is drawn by the capturer after the commit, so
-- the key records its publish's message LSN, and tidings.log_captured fills in the id.
ALTER TABLE tidings.publish_keys ADD COLUMN published_lsn pg_lsn;

CREATE INDEX publish_keys_published_lsn ON tidings.publish_keys (published_lsn) WHERE change_id IS NULL;

CREATE OR REPLACE FUNCTION tidings.record_publish_key_id() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $record_key$
BEGIN
    IF (SELECT p.mode FROM tidings.capture_position AS p) = 'logical' THEN
        UPDATE tidings.publish_keys
        SET published_lsn = nullif(current_setting('tidings.published_lsn', true), '')::pg_lsn
        WHERE subject = NEW.subject AND key = NEW.key;
        RETURN NULL;
    END IF;
    BEGIN
        UPDATE tidings.publish_keys SET change_id = currval('tidings.change_id')
        WHERE subject = NEW.subject AND key = NEW.key;
    EXCEPTION WHEN object_not_in_prerequisite_state THEN
        NULL;
    END;
    RETURN NULL;
END
$record_key$;

-- Writes one batch of the capturer's events, in the order given, with ids drawn in that order,
-- each with the `data` tidings.log_change (0004) gives the same event; raises the recorded position
-- to `through` when it is given (the batch ends a transaction), and wakes the gateways once. Only
-- the capturer writes the log in logical mode, so no lock is taken.
-- Per event: `topics` and `old_topics` as JSON arrays (old_topics NULL unless a move), the event
-- name, table (NULL for a publish), op, payload (JSON: new/old/table/op, or event/data), the moved
-- delete's old key (JSON or NULL), the problems the builder met (JSON array or NULL), the
-- transaction's commit time, and the LSN of a publish's message (NULL for a row change). An event
-- without topics (nor old topics) only counts its problems.
CREATE FUNCTION tidings.log_captured(
    topics text[],
    old_topics text[],
    events text[],
    tables text[],
    ops text[],
    payloads text[],
    moved_olds text[],
    problems text[],
    commit_times timestamptz[],
    sources pg_lsn[],
    through pg_lsn
) RETURNS bigint
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $log$
DECLARE
    logged bigint;
BEGIN
    WITH numbered AS MATERIALIZED (
        SELECT nextval('tidings.change_id') AS id, ordered.*
        FROM (
            SELECT ARRAY(SELECT jsonb_array_elements_text(b.topic_json::jsonb)) AS topic_list,
                CASE WHEN coalesce(jsonb_array_length(b.old_topic_json::jsonb), 0) > 0
                    THEN ARRAY(SELECT jsonb_array_elements_text(b.old_topic_json::jsonb)) END AS old_topic_list,
                b.event, b.tbl, b.op, b.payload::jsonb AS payload, b.moved_old::jsonb AS moved_old, b.at,
                to_char(b.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS stamp, b.source
            FROM unnest(topics, old_topics, events, tables, ops, payloads, moved_olds, commit_times, sources)
                WITH ORDINALITY AS b(topic_json, old_topic_json, event, tbl, op, payload, moved_old, at, source, position)
            WHERE coalesce(jsonb_array_length(b.topic_json::jsonb), 0) > 0
                OR coalesce(jsonb_array_length(b.old_topic_json::jsonb), 0) > 0
            ORDER BY b.position
        ) AS ordered
    ), logged_rows AS (
        INSERT INTO tidings.changes (id, topics, event, "table", op, data, at, old_topics, moved)
        SELECT n.id, n.topic_list, n.event, n.tbl, n.op,
            CASE WHEN n.op = 'truncate'
                THEN jsonb_build_object('id', n.id) || n.payload || jsonb_build_object('at', n.stamp)
                ELSE jsonb_build_object('id', n.id, 'topics', to_jsonb(n.topic_list)) || n.payload
                    || jsonb_build_object('at', n.stamp)
            END,
            n.at,
            n.old_topic_list,
            CASE WHEN n.old_topic_list IS NOT NULL THEN
                jsonb_build_object(
                    'id', n.id, 'topics', to_jsonb(n.old_topic_list), 'table', n.tbl, 'op', 'delete',
                    'old', coalesce(n.moved_old, '{}'::jsonb), 'moved', true, 'at', n.stamp
                )
            END
        FROM numbered AS n
        ORDER BY n.id
        RETURNING 1
    ), published_rows AS (
        INSERT INTO tidings.published (lsn, id)
        SELECT n.source, n.id FROM numbered AS n WHERE n.source IS NOT NULL
        ON CONFLICT (lsn) DO NOTHING
    ), keyed AS (
        UPDATE tidings.publish_keys AS k SET change_id = n.id
        FROM numbered AS n
        WHERE n.source IS NOT NULL AND k.change_id IS NULL AND k.published_lsn = n.source
    )
    SELECT count(*) INTO logged FROM logged_rows;
    IF random() < 0.01 THEN
        DELETE FROM tidings.published WHERE logged_at < now() - interval '1 day';
    END IF;
    -- Problems, counted per table and problem like tidings.count_capture_problems: once per event.
    INSERT INTO tidings.capture_problems AS p (table_name, problem, count)
    SELECT b.tbl, left(listed.problem, 300), count(*)
    FROM unnest(tables, problems) AS b(tbl, problem_json),
        LATERAL (SELECT DISTINCT problem FROM jsonb_array_elements_text(b.problem_json::jsonb) AS problem) AS listed
    WHERE b.problem_json IS NOT NULL AND b.tbl IS NOT NULL
    GROUP BY b.tbl, left(listed.problem, 300)
    ON CONFLICT (table_name, problem) DO UPDATE SET count = p.count + excluded.count, last_at = now();
    IF through IS NOT NULL THEN
        UPDATE tidings.capture_position SET written_through = greatest(written_through, through);
    END IF;
    IF logged > 0 THEN
        PERFORM pg_notify('tidings', '');
    END IF;
    RETURN logged;
END
$log$;

REVOKE ALL ON FUNCTION tidings.log_captured(
    text[], text[], text[], text[], text[], text[], text[], text[], timestamptz[], pg_lsn[], pg_lsn
) FROM PUBLIC;
