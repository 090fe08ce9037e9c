import Logging
import PostgresNIO

extension ChangeLog {
    /// `pg_notification_queue_usage()`: the share of PostgreSQL's NOTIFY queue in use, which the
    /// log's wake-ups go through. Near 1, every NOTIFY-ing commit (the application's too) fails.
    public static func notificationQueueUsage(on connection: PostgresConnection, logger: Logger) async throws -> Double {
        var usage = 0.0
        for try await value in try await connection.query("SELECT pg_notification_queue_usage()", logger: logger).decode(Double.self) {
            usage = value
        }
        return usage
    }
}
