-- Logical capture (SPEC §7, `capture.mode: logical`): the application's transactions carry no
-- trigger, no lock and no NOTIFY. PostgreSQL's WAL, read through a replication slot with the
-- pgoutput plugin, brings each committed transaction to one elected gateway (the capturer),
-- which writes its events into tidings.changes in commit order, in batches.
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

-- The outbox in logical mode: tidings.publish() still inserts its row into tidings.outbox; in
-- logical mode this trigger turns the row into a transactional logical message instead (and
-- the row is never written, so the deferred flush_outbox never fires). The message is decoded
-- only if the transaction commits, at its place in commit order. Any role may call
-- pg_logical_emit_message, so the content is signed like the wake-up copies of 0003:
--     <tag>\n<body>   body = {"topics":[…],"event":"…","data":{…}}
--     tag = hex(sha256(key || sha256(key || body)))
-- and the capturer logs only messages whose tag proves this function wrote them.
CREATE FUNCTION tidings.emit_publish() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $emit$
DECLARE
    body text;
    wake_key bytea;
BEGIN
    IF (SELECT p.mode FROM tidings.capture_position AS p) IS DISTINCT FROM 'logical' THEN
        RETURN NEW;
    END IF;
    SELECT k.key INTO wake_key FROM tidings.wake_up_key AS k LIMIT 1;
    IF wake_key IS NULL THEN
        RAISE EXCEPTION 'tidings.publish: tidings.wake_up_key is empty; run tidings migrate' USING ERRCODE = '55000';
    END IF;
    body := jsonb_build_object('topics', to_jsonb(NEW.topics), 'event', NEW.event, 'data', NEW.data)::text;
    -- The message's LSN names this publish until the capturer has logged it: POST /publish
    -- reads it back from the session (tidings.published_id()) to answer with the event's id.
    PERFORM set_config(
        'tidings.published_lsn',
        pg_logical_emit_message(
            true,
            'tidings',
            encode(sha256(wake_key || sha256(wake_key || convert_to(body, 'UTF8'))), 'hex') || E'\n' || body
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

-- Writes one batch of the capturer's events, in the order given, with ids drawn in that order;
-- raises the recorded position to `through` when it is given (the batch ends a transaction), and
-- wakes the gateways once. Only the capturer writes the log in logical mode, so no lock is taken.
-- `topics` holds each event's topics as a JSON array; `commit_times` its transaction's commit time;
-- `sources` the LSN of a publish's message (NULL for a row change).
CREATE FUNCTION tidings.log_captured(
    topics text[],
    events text[],
    tables text[],
    ops text[],
    payloads text[],
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
    wake_key bytea;
BEGIN
    WITH numbered AS MATERIALIZED (
        SELECT nextval('tidings.change_id') AS id, ordered.*
        FROM (
            SELECT ARRAY(SELECT jsonb_array_elements_text(b.topic_json::jsonb)) AS topic_list,
                b.event, b.tbl, b.op, b.payload::jsonb AS payload, b.at, b.source, b.position
            FROM unnest(topics, events, tables, ops, payloads, commit_times, sources)
                WITH ORDINALITY AS b(topic_json, event, tbl, op, payload, at, source, position)
            ORDER BY b.position
        ) AS ordered
    ), logged_rows AS (
        INSERT INTO tidings.changes (id, topics, event, "table", op, data, at)
        SELECT numbered.id, numbered.topic_list, numbered.event, numbered.tbl, numbered.op,
            jsonb_build_object('id', numbered.id, 'topics', to_jsonb(numbered.topic_list))
                || numbered.payload
                || jsonb_build_object('at', to_char(numbered.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')),
            numbered.at
        FROM numbered
        ORDER BY numbered.id
        RETURNING 1
    ), published_rows AS (
        INSERT INTO tidings.published (lsn, id)
        SELECT numbered.source, numbered.id FROM numbered WHERE numbered.source IS NOT NULL
        ON CONFLICT (lsn) DO NOTHING
    )
    SELECT count(*) INTO logged FROM logged_rows;
    IF random() < 0.01 THEN
        DELETE FROM tidings.published WHERE logged_at < now() - interval '1 day';
    END IF;
    IF through IS NOT NULL THEN
        UPDATE tidings.capture_position SET written_through = greatest(written_through, through);
    END IF;
    IF logged > 0 THEN
        PERFORM pg_notify('tidings', '');
        SELECT k.key INTO wake_key FROM tidings.wake_up_key AS k LIMIT 1;
        IF wake_key IS NOT NULL THEN
            PERFORM pg_notify('tidings_' || left(encode(sha256(wake_key || convert_to('channel', 'UTF8')), 'hex'), 32), '');
        END IF;
    END IF;
    RETURN logged;
END
$log$;

REVOKE ALL ON FUNCTION tidings.log_captured(text[], text[], text[], text[], text[], timestamptz[], pg_lsn[], pg_lsn) FROM PUBLIC;
