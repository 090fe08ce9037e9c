import Logging
import Synchronization

/// Every line a logger wrote, kept in memory so a test can search it.
final class CapturedLog: Sendable {
    private let lines = Mutex<[String]>([])

    /// A logger at `level` writing here.
    func logger(level: Logger.Level = .trace) -> Logger {
        var logger = Logger(label: "tidings-captured") { label in CapturingLogHandler(label: label, sink: self) }
        logger.logLevel = level
        return logger
    }

    /// The lines so far.
    var snapshot: [String] { lines.withLock { $0 } }

    fileprivate func append(_ line: String) {
        lines.withLock { $0.append(line) }
    }
}

/// Renders each record as a console handler would (level, label, message, all metadata,
/// source) into a ``CapturedLog``.
struct CapturingLogHandler: LogHandler {
    let label: String
    let sink: CapturedLog
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace
    var metadataProvider: Logger.MetadataProvider?

    init(label: String, sink: CapturedLog) {
        self.label = label
        self.sink = sink
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var all = metadata
        if let provided = metadataProvider?.get() { all.merge(provided) { _, new in new } }
        if let explicit = event.metadata { all.merge(explicit) { _, new in new } }
        let rendered = all.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        let error = event.error.map { " error=\(String(reflecting: $0))" } ?? ""
        sink.append("\(event.level) \(label) \(event.message) \(rendered)\(error) [\(event.source)]")
    }
}
