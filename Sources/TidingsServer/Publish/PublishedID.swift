import HTTPTypes
import Logging
import PostgresNIO

/// The id of a publish in `capture.mode: logical`: the event is numbered when the capturer logs
/// it, after the publishing transaction has committed, so the answer waits for that, at most
/// ``patience``. Past it (a capturer that died after the publish committed, or one far behind)
/// the publish is still committed and will be logged in its place once a capturer reads it: the
/// answer is 202 without the id, never a 503 that would invite a second publish.
enum PublishedID {
    /// How long an answer waits for the capturer to number its publish.
    static let patience = Duration.seconds(5)

    /// The id, or nil when the capturer has not numbered the publish within ``patience``.
    static func await(on connection: PostgresConnection, logger: Logger) async throws -> Int64? {
        let deadline = ContinuousClock.now + patience
        var pause = Duration.milliseconds(2)
        while true {
            let rows = try await connection.query("SELECT tidings.published_id()", logger: logger)
            for try await id in rows.decode(Int64?.self) {
                if let id { return id }
            }
            guard ContinuousClock.now < deadline else { return nil }
            try await Task.sleep(for: pause)
            pause = min(pause * 2, .milliseconds(50))
        }
    }

    /// Refuses a publish, before anything is written, when no capturer reads the slot: its id
    /// could not be given, and the client may retry (503). Any gateway may be the capturer, so
    /// the slot's own state says whether one is streaming it.
    /// - Throws: ``APIError`` 503 `capture_unavailable`.
    static func requireCapturer(slot: String, on connection: PostgresConnection, logger: Logger) async throws {
        let rows = try await connection.query(
            "SELECT coalesce((SELECT active FROM pg_catalog.pg_replication_slots WHERE slot_name = \(slot)), false)",
            logger: logger
        )
        for try await active in rows.decode(Bool.self) where active { return }
        throw APIError(
            status: .serviceUnavailable,
            error: "capture_unavailable",
            detail: "no gateway is capturing changes now (capture.mode: logical, slot \(slot)); nothing was published; try again shortly",
            headers: [.retryAfter: "2"]
        )
    }
}
