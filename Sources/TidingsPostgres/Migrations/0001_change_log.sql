-- Tidings change log: the log table, its ids, the publish outbox and the recorder every capture
-- trigger calls. Applied once by `tidings migrate`, inside the migration transaction.
--
-- Ids in commit order (SPEC §6.2)
-- -------------------------------
-- Ids are not taken when a row is written. Capture triggers and the outbox trigger are
-- DEFERRABLE INITIALLY DEFERRED constraint triggers, so they fire while the transaction commits.
-- Each firing calls tidings.record_change(), which first takes
--     pg_advisory_xact_lock(32766977284925299)   -- the "change id" lock: 'tidings' as a bigint
-- (re-entrant inside one transaction) and only then draws nextval('tidings.change_id'). A
-- transaction-level lock is released after the commit has become visible, so a transaction that
-- draws its ids later commits later, and a reader that has seen id N has already seen every
-- committed id below N. Ids may skip (a commit that fails after drawing one), never reorder.
-- The cost is small: the NOTIFY each logging transaction sends already serialises commits
-- (PreCommit_Notify takes a cluster-wide lock that it holds until after the commit).
-- A transaction that runs SET CONSTRAINTS ALL IMMEDIATE takes the lock early and holds it to its
-- end: still correct, only slower for everyone else.
--
-- The NOTIFY on channel 'tidings' has an empty payload: it is a wake-up, and Postgres folds
-- identical notifications of one transaction into one. Readers fetch the rows by id.

CREATE SCHEMA IF NOT EXISTS tidings;

GRANT USAGE ON SCHEMA tidings TO PUBLIC;

CREATE SEQUENCE tidings.change_id AS bigint;

CREATE TABLE tidings.changes (
    id bigint PRIMARY KEY,
    topics text[] NOT NULL,
    event text NOT NULL,
    "table" text,
    op text NOT NULL CHECK (op IN ('insert', 'update', 'delete', 'publish')),
    data jsonb NOT NULL,
    at timestamptz NOT NULL
);

ALTER SEQUENCE tidings.change_id OWNED BY tidings.changes.id;

-- One row per captured table, written by the migrator: which function it installed and the hash
-- of the generated SQL, so that an unchanged config reinstalls nothing.
CREATE TABLE tidings.captures (
    table_name text PRIMARY KEY,
    function_name text NOT NULL,
    config_hash text,
    installed_at timestamptz DEFAULT now()
);

-- Writes one event. `payload` holds the event's own keys ("table", "op", "new", "old" or
-- "event", "data"); "id", "topics" and "at" are added here, at commit. Security definer so that
-- an application role needs no rights on tidings.changes; not executable by PUBLIC, so events
-- cannot be forged by calling it directly.
CREATE FUNCTION tidings.record_change(
    change_topics text[],
    change_event text,
    change_table text,
    change_op text,
    payload jsonb
) RETURNS bigint
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $record$
DECLARE
    change_id bigint;
    stamp timestamptz;
BEGIN
    -- The "change id" lock, see the top of this file. Must come before nextval.
    PERFORM pg_advisory_xact_lock(32766977284925299);
    change_id := nextval('tidings.change_id');
    stamp := clock_timestamp();
    INSERT INTO tidings.changes (id, topics, event, "table", op, data, at)
    VALUES (
        change_id,
        change_topics,
        change_event,
        change_table,
        change_op,
        jsonb_build_object('id', change_id, 'topics', to_jsonb(change_topics))
            || payload
            || jsonb_build_object('at', to_char(stamp AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')),
        stamp
    );
    PERFORM pg_notify('tidings', '');
    RETURN change_id;
END
$record$;

REVOKE ALL ON FUNCTION tidings.record_change(text[], text, text, text, jsonb) FROM PUBLIC;

-- Staging for tidings.publish(): a row lives here only inside its own transaction; the deferred
-- trigger below moves it to the log at commit. Unlogged: it is never there after a commit, so a
-- crash loses nothing.
CREATE UNLOGGED TABLE tidings.outbox (
    slot bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    topics text[] NOT NULL,
    event text NOT NULL,
    data jsonb NOT NULL
);

CREATE FUNCTION tidings.flush_outbox() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $flush$
BEGIN
    PERFORM tidings.record_change(
        NEW.topics, NEW.event, NULL, 'publish',
        jsonb_build_object('event', NEW.event, 'data', NEW.data)
    );
    DELETE FROM tidings.outbox WHERE slot = NEW.slot;
    RETURN NULL;
END
$flush$;

REVOKE ALL ON FUNCTION tidings.flush_outbox() FROM PUBLIC;

CREATE CONSTRAINT TRIGGER tidings_publish
AFTER INSERT ON tidings.outbox
DEFERRABLE INITIALLY DEFERRED
FOR EACH ROW EXECUTE FUNCTION tidings.flush_outbox();

-- The transactional outbox (SPEC §7): call it inside the application's own transaction; the event
-- is logged, with its id, only if and when that transaction commits. Bad arguments raise
-- SQLSTATE 22023 (invalid_parameter_value).
CREATE FUNCTION tidings.publish(topics text[], event text, data jsonb) RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $publish$
DECLARE
    topic text;
    segment text;
BEGIN
    IF topics IS NULL OR cardinality(topics) = 0 THEN
        RAISE EXCEPTION 'tidings.publish: topics must not be empty' USING ERRCODE = '22023';
    END IF;
    FOREACH topic IN ARRAY topics LOOP
        IF topic IS NULL OR topic = '' THEN
            RAISE EXCEPTION 'tidings.publish: a topic must not be null or empty' USING ERRCODE = '22023';
        END IF;
        FOREACH segment IN ARRAY string_to_array(topic, '/') LOOP
            IF segment = '' THEN
                RAISE EXCEPTION 'tidings.publish: topic "%" has an empty segment (leading, trailing or doubled "/")', topic
                    USING ERRCODE = '22023';
            END IF;
            IF segment IN ('*', '**') THEN
                RAISE EXCEPTION 'tidings.publish: topic "%" contains the wildcard "%", which only selectors may use', topic, segment
                    USING ERRCODE = '22023';
            END IF;
        END LOOP;
    END LOOP;
    IF event IS NULL OR event = '' THEN
        RAISE EXCEPTION 'tidings.publish: the event name must not be empty' USING ERRCODE = '22023';
    END IF;
    IF length(event) > 200 THEN
        RAISE EXCEPTION 'tidings.publish: the event name is % characters long; at most 200 are allowed', length(event)
            USING ERRCODE = '22023';
    END IF;
    IF event !~ '^[A-Za-z0-9_.:-]+$' THEN
        RAISE EXCEPTION 'tidings.publish: the event name may contain only letters, digits and _ . : -'
            USING ERRCODE = '22023';
    END IF;
    -- The gateway's own control events (tidings.expired, tidings.reset) must not be forgeable.
    IF lower(event) LIKE 'tidings.%' THEN
        RAISE EXCEPTION 'tidings.publish: event names starting with "tidings." are reserved' USING ERRCODE = '22023';
    END IF;
    IF data IS NULL THEN
        RAISE EXCEPTION 'tidings.publish: data must not be null (use ''{}''::jsonb)' USING ERRCODE = '22023';
    END IF;
    INSERT INTO tidings.outbox (topics, event, data) VALUES (publish.topics, publish.event, publish.data);
END
$publish$;
