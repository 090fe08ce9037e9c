import Logging
import TidingsCore
import TidingsTestSupport

/// A logger that keeps every message at `level` and above, so a test can wait for one.
final class RecordedLog: Sendable {
    private let lines = WatchedValue<[String]>([])
    private let level: Logger.Level

    init(level: Logger.Level = .warning) {
        self.level = level
    }

    var logger: Logger {
        var logger = Logger(label: "tidings.tests.recorded") { _ in Handler(log: self) }
        logger.logLevel = level
        return logger
    }

    /// Returns the first message containing `text` once it is logged, waiting at most `timeout`.
    func waitFor(_ text: String, timeout: Duration = .seconds(20)) async throws -> String {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await self.lines.wait { $0.contains { $0.contains(text) } } }
            group.addTask {
                try await Task.sleep(for: timeout)
                throw TestFailure("no message containing '\(text)' was logged in \(timeout)")
            }
            try await group.next()
            group.cancelAll()
        }
        return lines.value.first { $0.contains(text) } ?? ""
    }

    var all: [String] { lines.value }

    private struct Handler: LogHandler {
        let log: RecordedLog
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let details = (event.metadata ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            log.lines.update { $0.append("\(event.level) \(event.message) \(details)") }
        }
    }
}
