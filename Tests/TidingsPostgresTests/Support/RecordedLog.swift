import Logging
import Synchronization
import TidingsTestSupport

/// A logger that keeps every message at `.warning` and above, so a test can wait for one.
final class RecordedLog: Sendable {
    private let lines = Mutex<[String]>([])

    var logger: Logger {
        var logger = Logger(label: "tidings.tests.recorded") { _ in Handler(log: self) }
        logger.logLevel = .warning
        return logger
    }

    /// Waits until a message containing `text` was logged, for at most `timeout`.
    func waitFor(_ text: String, timeout: Duration = .seconds(20)) async throws -> String {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let line = lines.withLock({ $0.first { $0.contains(text) } }) { return line }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw LogicalHarnessTimeout(expected: 1, found: 0)
    }

    var all: [String] { lines.withLock { $0 } }

    private struct Handler: LogHandler {
        let log: RecordedLog
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .warning

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let details = (event.metadata ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            log.lines.withLock { $0.append("\(event.level) \(event.message) \(details)") }
        }
    }
}
