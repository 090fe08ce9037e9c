import Logging
import Synchronization

/// Every line a logger wrote, kept in memory so a test can search it.
package final class CapturedLog: Sendable {
    private let lines = Mutex<[String]>([])

    package init() {}

    /// A logger at `level` writing here.
    package func logger(level: Logger.Level = .trace) -> Logger {
        var logger = Logger(label: "tidings-captured") { label in CapturingLogHandler(label: label, sink: self) }
        logger.logLevel = level
        return logger
    }

    /// The lines so far.
    package var snapshot: [String] { lines.withLock { $0 } }

    fileprivate func append(_ line: String) {
        lines.withLock { $0.append(line) }
    }
}

/// Renders each record as a console handler would (level, label, message, all metadata,
/// source) into a ``CapturedLog``.
package struct CapturingLogHandler: LogHandler {
    package let label: String
    package let sink: CapturedLog
    package var metadata: Logger.Metadata = [:]
    package var logLevel: Logger.Level = .trace
    package var metadataProvider: Logger.MetadataProvider?

    package init(label: String, sink: CapturedLog) {
        self.label = label
        self.sink = sink
    }

    package subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    package func log(event: LogEvent) {
        var all = metadata
        if let provided = metadataProvider?.get() { all.merge(provided) { _, new in new } }
        if let explicit = event.metadata { all.merge(explicit) { _, new in new } }
        let rendered = all.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        let error = event.error.map { " error=\(String(reflecting: $0))" } ?? ""
        sink.append("\(event.level) \(label) \(event.message) \(rendered)\(error) [\(event.source)]")
    }
}
