import Logging
import PostgresNIO

extension ChangeLog {
    /// Records, as `migrate` installs trigger capture, that the log is fed by the triggers: from
    /// now on `tidings.publish()` logs at commit itself, and the capturer's position is not used.
    package static func recordTriggerCapture(on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.perform("UPDATE tidings.capture_position SET mode = 'triggers'", logger: logger)
    }

    /// Records, as `migrate` switches the log to logical capture, the WAL position the log is
    /// written through: the current insert position when the log was fed by triggers until now
    /// (the capturer starts there), unchanged when it already was logical.
    package static func recordLogicalCapture(on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.perform(
            """
            UPDATE tidings.capture_position
            SET mode = 'logical',
                written_through = CASE WHEN mode = 'logical' THEN written_through ELSE pg_current_wal_insert_lsn() END
            """,
            logger: logger
        )
    }
}
