import Logging
import PostgresNIO

/// The id of a publish in `capture.mode: logical`: the event is numbered when the capturer logs
/// it, after the publishing transaction has committed, so the answer waits for that (within the
/// request's database deadline; a capturer that is down makes it a 503).
enum PublishedID {
    static func await(on connection: PostgresConnection, logger: Logger) async throws -> Int64 {
        var pause = Duration.milliseconds(2)
        while true {
            let rows = try await connection.query("SELECT tidings.published_id()", logger: logger)
            for try await id in rows.decode(Int64?.self) {
                if let id { return id }
            }
            try await Task.sleep(for: pause)
            pause = min(pause * 2, .milliseconds(50))
        }
    }
}
