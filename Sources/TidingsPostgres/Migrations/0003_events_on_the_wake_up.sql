-- The wake-up carries a copy of a small event, so the gateway can hand it on without reading the
-- log: one round trip fewer between a commit and its subscribers.
--
-- The log stays the source of truth, and 'tidings' stays a wake-up only: one empty NOTIFY per
-- transaction, as before, because any role that may connect can LISTEN to it. The copies go to a
-- channel of their own, named from the key (tidings_<first 32 hex digits of
-- sha256(key || 'channel')>), which a role that cannot read the key cannot name. Each logged
-- event's NOTIFY on that channel carries
--     <tag>\n<header>\n<data>
-- where <header> is the JSON array [id, commit time as Unix seconds, event, topics], <data> the
-- event's JSON exactly as tidings.changes stores it (the same bytes a read returns), and <tag>
-- proves that this function wrote it: hex(sha256(key || sha256(key || <header>\n<data>))) with the
-- key of tidings.wake_up_key. Any role that may connect can NOTIFY any channel; without the key
-- it cannot make a copy the gateway takes. The gateway uses a copy only when its tag is right and
-- its id directly follows the last id it handed on; anything else (an id skipped, a copy it
-- cannot verify, an empty wake-up) makes it read the log, as before.
--
-- Not every event rides along:
-- - one whose message would reach NOTIFY's 8000-byte limit sends an empty wake-up on that channel;
-- - past the first 64 events of one transaction, the rest send the empty wake-up too (Postgres
--   folds those into one), so a bulk write is still read from the log in batches and does not
--   fill the notification queue. The count lives in the session setting tidings.carried as
--   "<transaction id>:<count>", so a new transaction starts again from 0.
-- Notifications reach listeners in commit order, and ids are taken in commit order under the
-- "change id" lock (0001), so copies arrive in id order.

-- 32 bytes from two random UUIDs (gen_random_uuid draws on the server's strong random source).
-- Readable by the owner only: grant SELECT to the gateway's role if it is another role.
CREATE TABLE tidings.wake_up_key (key bytea NOT NULL);

REVOKE ALL ON tidings.wake_up_key FROM PUBLIC;

INSERT INTO tidings.wake_up_key
SELECT decode(replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', ''), 'hex');

CREATE OR REPLACE FUNCTION tidings.record_change(
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
    document jsonb;
    transaction_id text := txid_current()::text;
    carried text[] := string_to_array(coalesce(current_setting('tidings.carried', true), ''), ':');
    carried_count integer := 0;
    message text;
    wake_key bytea;
    copy_channel text;
BEGIN
    -- The "change id" lock, see 0001_change_log.sql. Must come before nextval.
    PERFORM pg_advisory_xact_lock(32766977284925299);
    change_id := nextval('tidings.change_id');
    stamp := clock_timestamp();
    document := jsonb_build_object('id', change_id, 'topics', to_jsonb(change_topics))
        || payload
        || jsonb_build_object('at', to_char(stamp AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'));
    INSERT INTO tidings.changes (id, topics, event, "table", op, data, at)
    VALUES (change_id, change_topics, change_event, change_table, change_op, document, stamp);
    -- The public wake-up: Postgres folds it into one per transaction.
    PERFORM pg_notify('tidings', '');
    SELECT k.key INTO wake_key FROM tidings.wake_up_key AS k LIMIT 1;
    IF wake_key IS NULL THEN
        RETURN change_id;
    END IF;
    copy_channel := 'tidings_' || left(encode(sha256(wake_key || convert_to('channel', 'UTF8')), 'hex'), 32);
    IF carried[1] = transaction_id THEN
        carried_count := carried[2]::integer;
    END IF;
    IF carried_count < 64 THEN
        message := json_build_array(change_id, extract(epoch FROM stamp), change_event, change_topics)::text
            || E'\n' || document::text;
        message := encode(sha256(wake_key || sha256(wake_key || convert_to(message, 'UTF8'))), 'hex') || E'\n' || message;
        IF octet_length(message) < 8000 THEN
            PERFORM set_config('tidings.carried', transaction_id || ':' || (carried_count + 1), false);
            PERFORM pg_notify(copy_channel, message);
            RETURN change_id;
        END IF;
    END IF;
    PERFORM pg_notify(copy_channel, '');
    RETURN change_id;
END
$record$;

REVOKE ALL ON FUNCTION tidings.record_change(text[], text, text, text, jsonb) FROM PUBLIC;
