import Logging
import PostgresNIO

extension ChangeLog {
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
