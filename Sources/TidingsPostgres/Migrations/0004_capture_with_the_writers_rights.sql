-- Capture with the writer's rights, moves, TRUNCATE, drift that never fails a write, and no event
-- data on NOTIFY.
--
-- Who runs what
-- -------------
-- The capture trigger `tidings."capture_<table>"()` and the event builder
-- `tidings."event_<table>"(op, old_row, new_row)` that `tidings migrate` generates per table are
-- SECURITY INVOKER: topic templates and to_jsonb() run with the writer's rights, so a cast or
-- function the table's owner planted runs as the writer, never as the role that migrated. Only
-- two small SECURITY DEFINER functions below touch the log, and they evaluate nothing of the row:
--   tidings.record_capture(relation, op, topics, old_topics, payload, moved_old, problems)
--   tidings.record_truncate(relation)
-- Anyone may call them (writers are any role), so each checks that `relation` is captured and that
-- the acting role (SET ROLE's role, else the session's) holds the privilege the operation needs on
-- it (INSERT, UPDATE, DELETE or TRUNCATE). The event name and "table" come from tidings.captures,
-- never from the caller. What remains: a role that may write a captured table can log an event
-- for that table with topics and values it chose, which it could equally cause by writing a row.
--
-- The NOTIFY copies of 0003 are gone: 'tidings' carries one empty wake-up per transaction, and the
-- log is the only place event data lives (SPEC §7).

DROP TABLE IF EXISTS tidings.wake_up_key;

-- Moves and TRUNCATE --------------------------------------------------------------------------
-- old_topics: an update whose topics changed keeps its old ones here; moved: the data of the
-- delete that subscribers of only the old topics get ({"id","topics","table","op":"delete",
-- "old":{key},"moved":true,"at"}). A TRUNCATE's topics are its table's templates with each
-- placeholder segment as `*`: selectors, not topics, used only to decide who gets it.
ALTER TABLE tidings.changes ADD COLUMN old_topics text[], ADD COLUMN moved jsonb;

ALTER TABLE tidings.changes DROP CONSTRAINT changes_op_check;

ALTER TABLE tidings.changes
    ADD CONSTRAINT changes_op_check CHECK (op IN ('insert', 'update', 'delete', 'truncate', 'publish'));

-- Which relation a capture belongs to (its oid survives a rename), the event-name prefix, and the
-- TRUNCATE event's selectors; written by `tidings migrate`.
ALTER TABLE tidings.captures
    ADD COLUMN relation oid,
    ADD COLUMN event_prefix text,
    ADD COLUMN truncate_topics text[];

CREATE UNIQUE INDEX captures_relation ON tidings.captures (relation);

-- Problems capture met (a column gone, a value that did not render), counted per table and
-- problem until `tidings migrate` reinstalls that table's capture. The gateway reads it to log and
-- count them (tidings_capture_problems_total{table}).
CREATE TABLE tidings.capture_problems (
    table_name text NOT NULL,
    problem text NOT NULL,
    count bigint NOT NULL,
    first_at timestamptz NOT NULL DEFAULT now(),
    last_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (table_name, problem)
);

GRANT SELECT ON tidings.capture_problems TO PUBLIC;

-- Topic keys of an event (see 0002): its topics', an update's old topics' too, and for a
-- TRUNCATE the one key '' that every topic-filtered read also asks for.
-- PL/pgSQL, as topic_keys: it runs for every logged event and pruned one, and its plan is cached.
CREATE FUNCTION tidings.change_key_set(topics text[], old_topics text[], op text) RETURNS text[]
LANGUAGE plpgsql
IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $keys$
BEGIN
    IF op = 'truncate' THEN
        RETURN ARRAY[''];
    ELSIF old_topics IS NULL THEN
        RETURN tidings.topic_keys(topics);
    END IF;
    RETURN ARRAY(SELECT DISTINCT unnest(tidings.topic_keys(topics) || tidings.topic_keys(old_topics)));
END
$keys$;

CREATE OR REPLACE FUNCTION tidings.index_change_keys() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $index$
BEGIN
    IF NEW.old_topics IS NULL AND NEW.op <> 'truncate' THEN
        INSERT INTO tidings.change_keys (key, id) SELECT unnest(tidings.topic_keys(NEW.topics)), NEW.id;
    ELSE
        INSERT INTO tidings.change_keys (key, id)
        SELECT unnest(tidings.change_key_set(NEW.topics, NEW.old_topics, NEW.op)), NEW.id;
    END IF;
    RETURN NULL;
END
$index$;

CREATE OR REPLACE FUNCTION tidings.prune(max_age interval, max_events bigint, batch_size integer) RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $prune$
DECLARE
    keep_from bigint;
    deleted integer;
    largest bigint;
BEGIN
    IF NOT pg_try_advisory_xact_lock(482085531237) THEN
        RETURN 0;
    END IF;
    IF max_events > 0 THEN
        SELECT id INTO keep_from FROM tidings.changes ORDER BY id DESC OFFSET max_events - 1 LIMIT 1;
    END IF;
    WITH head AS (
        SELECT id, at FROM tidings.changes ORDER BY id LIMIT batch_size
    ), doomed AS (
        SELECT id FROM head WHERE at < clock_timestamp() - max_age OR id < keep_from
    ), gone AS (
        DELETE FROM tidings.changes AS c USING doomed WHERE c.id = doomed.id
        RETURNING c.id, c.topics, c.old_topics, c.op
    ), gone_keys AS (
        DELETE FROM tidings.change_keys AS k
        USING (SELECT unnest(tidings.change_key_set(topics, old_topics, op)) AS key, id FROM gone) AS g
        WHERE k.key = g.key AND k.id = g.id
    )
    SELECT count(*), max(id) INTO deleted, largest FROM gone;
    IF deleted > 0 THEN
        UPDATE tidings.retention SET pruned_through = greatest(pruned_through, largest);
    END IF;
    RETURN deleted;
END
$prune$;

-- Writing the log -----------------------------------------------------------------------------
-- Numbers and writes one event under the "change id" lock (see 0001), with an empty wake-up.
-- Not executable by PUBLIC.
CREATE FUNCTION tidings.log_change(
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
    PERFORM pg_notify('tidings', '');
    RETURN change_id;
END
$log$;

REVOKE ALL ON FUNCTION tidings.log_change(text[], text[], text, text, text, jsonb, jsonb) FROM PUBLIC;

-- 0001's entry point, used by the publish outbox: now without the NOTIFY copies of 0003.
CREATE OR REPLACE FUNCTION tidings.record_change(
    change_topics text[],
    change_event text,
    change_table text,
    change_op text,
    payload jsonb
) RETURNS bigint
LANGUAGE sql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $record$
    SELECT tidings.log_change(change_topics, NULL, change_event, change_table, change_op, payload, NULL)
$record$;

REVOKE ALL ON FUNCTION tidings.record_change(text[], text, text, text, jsonb) FROM PUBLIC;

-- Counts capture problems of one table. Takes the change-id lock first, as every event does, so
-- the counter rows are always locked after it and two writers never wait on each other in a cycle.
CREATE FUNCTION tidings.count_capture_problems(change_table text, problems text[]) RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $count$
BEGIN
    PERFORM pg_advisory_xact_lock(32766977284925299);
    INSERT INTO tidings.capture_problems AS p (table_name, problem, count)
    SELECT change_table, left(problem, 300), 1
    FROM (SELECT DISTINCT problem FROM unnest(problems[1:10]) AS problem WHERE problem IS NOT NULL) AS listed
    ON CONFLICT (table_name, problem) DO UPDATE SET count = p.count + 1, last_at = now();
END
$count$;

REVOKE ALL ON FUNCTION tidings.count_capture_problems(text, text[]) FROM PUBLIC;

-- Logs one captured row change whose values the writer's own trigger built (see the top).
CREATE FUNCTION tidings.record_capture(
    relation oid,
    op text,
    topics text[],
    old_topics text[],
    payload jsonb,
    moved_old jsonb,
    problems text[]
) RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $capture$
DECLARE
    captured_table text;
    prefix text;
BEGIN
    SELECT c.table_name, c.event_prefix INTO captured_table, prefix
    FROM tidings.captures AS c WHERE c.relation = record_capture.relation;
    IF captured_table IS NULL OR op IS NULL OR op NOT IN ('insert', 'update', 'delete') THEN
        RETURN;
    END IF;
    -- The acting role: SET ROLE's role, else the session's (here current_user is this function's owner).
    IF NOT has_table_privilege(coalesce(nullif(current_setting('role'), 'none'), session_user::text), relation, upper(op)) THEN
        PERFORM tidings.count_capture_problems(
            captured_table,
            ARRAY['a ' || op || ' by a role without ' || upper(op) || ' on the table (inside a security definer function?) was not captured']
        );
        RETURN;
    END IF;
    IF cardinality(topics) > 0 OR cardinality(old_topics) > 0 THEN
        PERFORM tidings.log_change(
            coalesce(topics, '{}'),
            CASE WHEN cardinality(old_topics) > 0 THEN old_topics END,
            prefix || '.' || op,
            captured_table,
            op,
            coalesce(payload, '{}'::jsonb) || jsonb_build_object('table', captured_table, 'op', op),
            moved_old
        );
    END IF;
    IF cardinality(problems) > 0 THEN
        PERFORM tidings.count_capture_problems(captured_table, problems);
    END IF;
END
$capture$;

GRANT EXECUTE ON FUNCTION tidings.record_capture(oid, text, text[], text[], jsonb, jsonb, text[]) TO PUBLIC;

-- TRUNCATE: logged at commit, like every event, through a staging row whose deferred trigger
-- runs when the transaction commits (a TRUNCATE trigger cannot be deferred itself).
CREATE UNLOGGED TABLE tidings.pending_truncates (
    slot bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    relation oid NOT NULL
);

CREATE FUNCTION tidings.flush_truncate() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $flush$
DECLARE
    captured_table text;
    prefix text;
    selectors text[];
BEGIN
    SELECT c.table_name, c.event_prefix, c.truncate_topics INTO captured_table, prefix, selectors
    FROM tidings.captures AS c WHERE c.relation = NEW.relation;
    IF captured_table IS NOT NULL AND cardinality(selectors) > 0 THEN
        PERFORM tidings.log_change(
            selectors, NULL, prefix || '.truncate', captured_table, 'truncate',
            jsonb_build_object('table', captured_table, 'op', 'truncate'), NULL
        );
    END IF;
    DELETE FROM tidings.pending_truncates WHERE slot = NEW.slot;
    RETURN NULL;
END
$flush$;

REVOKE ALL ON FUNCTION tidings.flush_truncate() FROM PUBLIC;

CREATE CONSTRAINT TRIGGER tidings_truncate
AFTER INSERT ON tidings.pending_truncates
DEFERRABLE INITIALLY DEFERRED
FOR EACH ROW EXECUTE FUNCTION tidings.flush_truncate();

CREATE FUNCTION tidings.record_truncate(relation oid) RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $truncate$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM tidings.captures AS c WHERE c.relation = record_truncate.relation) THEN
        RETURN;
    END IF;
    IF NOT has_table_privilege(coalesce(nullif(current_setting('role'), 'none'), session_user::text), relation, 'TRUNCATE') THEN
        RETURN;
    END IF;
    INSERT INTO tidings.pending_truncates (relation) VALUES (relation);
END
$truncate$;

GRANT EXECUTE ON FUNCTION tidings.record_truncate(oid) TO PUBLIC;

-- Publish ----------------------------------------------------------------------------------------
-- EXECUTE is no longer granted to PUBLIC: grant it to the gateway's role and to application
-- roles that publish:  GRANT EXECUTE ON FUNCTION tidings.publish(text[], text, jsonb) TO app;
-- An event name that a captured table's events use (`orders.update`) is refused.
REVOKE ALL ON FUNCTION tidings.publish(text[], text, jsonb) FROM PUBLIC;

CREATE FUNCTION tidings.check_publish_event() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $check$
BEGIN
    IF NEW.event ~ '\.(insert|update|delete|truncate)$' AND EXISTS (
        SELECT 1 FROM tidings.captures AS c
        WHERE c.event_prefix = left(NEW.event, length(NEW.event) - position('.' IN reverse(NEW.event)))
    ) THEN
        RAISE EXCEPTION 'tidings.publish: the event name "%" is a captured table''s event; choose another', NEW.event
            USING ERRCODE = '22023';
    END IF;
    RETURN NEW;
END
$check$;

REVOKE ALL ON FUNCTION tidings.check_publish_event() FROM PUBLIC;

CREATE TRIGGER tidings_publish_event
BEFORE INSERT ON tidings.outbox
FOR EACH ROW EXECUTE FUNCTION tidings.check_publish_event();
