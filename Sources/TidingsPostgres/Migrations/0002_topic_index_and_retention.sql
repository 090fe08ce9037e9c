-- Topic-filtered reads and retention.
--
-- Topic keys (for GET /changes)
-- -----------------------------
-- A read "events after id X whose topics match these selectors" must stay cheap on a log of
-- millions of rows, whatever the selectors match: one event in a million, or every event.
-- Each event's topic keys go into tidings.change_keys, keyed (key, id): the keys of a topic
-- `a/b/c` are the topic itself and every proper prefix followed by `/**`: `a/**`, `a/b/**`.
-- A selector maps to keys (TopicKeys in the gateway):
--     a/b/c    -> {a/b/c}               (an exact topic)
--     a/b/**   -> {a/b, a/b/**}         (a/b itself, or anything below it)
--     a/*/c    -> {a/**}                (the literal prefix; the gateway filters the rest)
-- and a read takes, per key, the first N ids after X from the primary key (one short index range
-- each), merges them, and fetches those events: at most keys x N index entries, never a scan of
-- the log. (A GIN index over the keys was tried first: with a rare key on a large log the planner
-- chose to filter the whole log by id instead, 33 s on a million events.)

-- PL/pgSQL rather than SQL: it runs for every logged event, and its plan is cached.
CREATE FUNCTION tidings.topic_keys(topics text[]) RETURNS text[]
LANGUAGE plpgsql
IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $keys$
DECLARE
    keys text[] := '{}';
    topic text;
    segments text[];
    prefix text;
    key text;
BEGIN
    FOREACH topic IN ARRAY topics LOOP
        IF NOT topic = ANY (keys) THEN
            keys := keys || topic;
        END IF;
        segments := string_to_array(topic, '/');
        prefix := segments[1];
        FOR depth IN 1 .. cardinality(segments) - 1 LOOP
            IF depth > 1 THEN
                prefix := prefix || '/' || segments[depth];
            END IF;
            key := prefix || '/**';
            IF NOT key = ANY (keys) THEN
                keys := keys || key;
            END IF;
        END LOOP;
    END LOOP;
    RETURN keys;
END
$keys$;

CREATE TABLE tidings.change_keys (
    key text NOT NULL,
    id bigint NOT NULL,
    PRIMARY KEY (key, id)
);

-- Every event logged from now on has its keys written in the same transaction.
CREATE FUNCTION tidings.index_change_keys() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $index$
BEGIN
    INSERT INTO tidings.change_keys (key, id) SELECT unnest(tidings.topic_keys(NEW.topics)), NEW.id;
    RETURN NULL;
END
$index$;

REVOKE ALL ON FUNCTION tidings.index_change_keys() FROM PUBLIC;

CREATE TRIGGER tidings_change_keys
AFTER INSERT ON tidings.changes
FOR EACH ROW EXECUTE FUNCTION tidings.index_change_keys();

INSERT INTO tidings.change_keys (key, id) SELECT unnest(tidings.topic_keys(topics)), id FROM tidings.changes;

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
        DELETE FROM tidings.changes AS c USING doomed WHERE c.id = doomed.id RETURNING c.id, c.topics
    ), gone_keys AS (
        DELETE FROM tidings.change_keys AS k
        USING (SELECT unnest(tidings.topic_keys(topics)) AS key, id FROM gone) AS g
        WHERE k.key = g.key AND k.id = g.id
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
