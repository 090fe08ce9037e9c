-- Topic-filtered reads and retention.
--
-- Topic keys (for GET /changes)
-- -----------------------------
-- A read "events after id X whose topics match these selectors" must stay cheap on a log of
-- millions of rows. A GIN index over each event's topic keys answers it: the keys of a topic
-- `a/b/c` are the topic itself and every proper prefix followed by `/**`: `a/**`, `a/b/**`.
-- A selector then maps to keys (TopicKeyQuery in the gateway):
--     a/b/c    -> {a/b/c}               (an exact topic)
--     a/b/**   -> {a/b, a/b/**}         (a/b itself, or anything below it)
--     a/*/c    -> {a/**}                (the literal prefix; the gateway filters the rest)
-- and the read is `tidings.topic_keys(topics) && keys AND id > X ORDER BY id LIMIT n`. The
-- planner picks the GIN index when the selectors are selective and the primary key when they
-- are not; both are cheap. The expression index stores no extra column.

CREATE FUNCTION tidings.topic_keys(topics text[]) RETURNS text[]
LANGUAGE sql
IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $keys$
    SELECT coalesce(array_agg(DISTINCT key), '{}')
    FROM (
        SELECT topic AS key FROM unnest(topics) AS topic
        UNION ALL
        SELECT array_to_string((string_to_array(topic, '/'))[1:depth], '/') || '/**'
        FROM unnest(topics) AS topic,
            generate_series(1, cardinality(string_to_array(topic, '/')) - 1) AS depth
    ) AS keys
$keys$;

CREATE INDEX changes_topic_keys ON tidings.changes USING gin (tidings.topic_keys(topics));

-- Retention (SPEC §5)
-- -------------------
-- `pruned_through` is the largest id ever pruned. A client resuming after an id below it may
-- have missed events: it gets `tidings.reset` (stream) or `"reset": true` (/changes) first.
CREATE TABLE tidings.retention (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    pruned_through bigint NOT NULL DEFAULT 0
);

INSERT INTO tidings.retention DEFAULT VALUES;

-- Deletes one batch of at most `batch_size` of the oldest events that are older than `max_age`
-- or beyond the newest `max_events` (0 = no cap), and raises the watermark. Returns how many
-- rows it deleted: the gateway calls it, one transaction each, until it returns 0. Only one
-- caller prunes at a time; a concurrent call returns 0 at once.
CREATE FUNCTION tidings.prune(max_age interval, max_events bigint, batch_size integer) RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $prune$
DECLARE
    keep_from bigint;
    deleted integer;
    largest bigint;
BEGIN
    -- The "prune" lock: 'prune' as a bigint; held to the end of this transaction.
    IF NOT pg_try_advisory_xact_lock(482085531237) THEN
        RETURN 0;
    END IF;
    IF max_events > 0 THEN
        SELECT id INTO keep_from FROM tidings.changes ORDER BY id DESC OFFSET max_events - 1 LIMIT 1;
    END IF;
    -- Ids grow with `at` (both are taken at commit under the change-id lock), so the oldest
    -- events are the first ones in id order: read them by the primary key, never by `at`.
    WITH head AS (
        SELECT id, at FROM tidings.changes ORDER BY id LIMIT batch_size
    ), doomed AS (
        SELECT id FROM head WHERE at < clock_timestamp() - max_age OR id < keep_from
    ), gone AS (
        DELETE FROM tidings.changes AS c USING doomed WHERE c.id = doomed.id RETURNING c.id
    )
    SELECT count(*), max(id) INTO deleted, largest FROM gone;
    IF deleted > 0 THEN
        UPDATE tidings.retention SET pruned_through = greatest(pruned_through, largest);
    END IF;
    RETURN deleted;
END
$prune$;

REVOKE ALL ON FUNCTION tidings.prune(interval, bigint, integer) FROM PUBLIC;

-- Where a resume stands against retention: the watermark and the oldest retained id (the next
-- id to be drawn when the log is empty).
CREATE FUNCTION tidings.retention_state(OUT pruned_through bigint, OUT oldest bigint)
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $state$
    SELECT r.pruned_through,
        coalesce((SELECT min(id) FROM tidings.changes), r.pruned_through + 1)
    FROM tidings.retention AS r
$state$;

-- The id the last event this session logged received: after `SELECT tidings.publish(…)` has
-- committed on its own, the id of that publish (POST /publish answers with it). Security definer
-- because reading the sequence needs rights that application roles do not have.
CREATE FUNCTION tidings.last_change_id() RETURNS bigint
LANGUAGE sql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $last$
    SELECT currval('tidings.change_id')
$last$;
