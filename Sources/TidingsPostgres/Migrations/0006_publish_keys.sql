-- Idempotency keys of POST /publish (SPEC §4): a repeat of the same key by the same token
-- subject is answered with the first publish's id instead of logging the event again.
--
-- The gateway publishes and then inserts the key in one transaction. The primary key makes a
-- concurrent repeat wait for the first transaction and then fail with unique_violation (23505),
-- so two requests with one key never both commit; the loser rolls back, and its event with it.
-- The event's id is fixed only at commit, by the outbox's deferred trigger; this table's own
-- deferred trigger is queued after it (the key is inserted after tidings.publish() runs), so it
-- runs after the id is drawn and records it with the key.
--
-- A key lives as long as retention keeps its event: deleting events deletes their keys.

CREATE TABLE tidings.publish_keys (
    subject text NOT NULL,
    key text NOT NULL,
    body_hash text NOT NULL,
    change_id bigint,
    PRIMARY KEY (subject, key)
);

CREATE INDEX publish_keys_change_id ON tidings.publish_keys (change_id);

-- Records the id the outbox's trigger drew in this transaction. A transaction that drew none
-- (a capture mode that numbers events outside it) leaves the id NULL rather than fail the commit.
CREATE FUNCTION tidings.record_publish_key_id() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $record_key$
BEGIN
    BEGIN
        UPDATE tidings.publish_keys SET change_id = currval('tidings.change_id')
        WHERE subject = NEW.subject AND key = NEW.key;
    EXCEPTION WHEN object_not_in_prerequisite_state THEN
        NULL;
    END;
    RETURN NULL;
END
$record_key$;

REVOKE ALL ON FUNCTION tidings.record_publish_key_id() FROM PUBLIC;

CREATE CONSTRAINT TRIGGER tidings_publish_key
AFTER INSERT ON tidings.publish_keys
DEFERRABLE INITIALLY DEFERRED
FOR EACH ROW EXECUTE FUNCTION tidings.record_publish_key_id();

-- Pruned events take their keys with them.
CREATE FUNCTION tidings.forget_publish_keys() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $forget$
BEGIN
    DELETE FROM tidings.publish_keys AS k USING pruned WHERE k.change_id = pruned.id;
    RETURN NULL;
END
$forget$;

REVOKE ALL ON FUNCTION tidings.forget_publish_keys() FROM PUBLIC;

CREATE TRIGGER tidings_forget_publish_keys
AFTER DELETE ON tidings.changes
REFERENCING OLD TABLE AS pruned
FOR EACH STATEMENT EXECUTE FUNCTION tidings.forget_publish_keys();
