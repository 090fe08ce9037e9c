import Logging
import Synchronization

/// Every line a logger wrote, kept in memory so a test can search it or wait for one.
package final class CapturedLog: Sendable {
    private struct State {
        var lines: [String] = []
        var waiters: [(holds: @Sendable ([String]) -> Bool, continuation: CheckedContinuation<[String], Never>)] = []
    }

    private let state = Mutex(State())

    package init() {}

    /// A logger at `level` writing here.
    package func logger(level: Logger.Level = .trace) -> Logger {
        var logger = Logger(label: "tidings-captured") { label in CapturingLogHandler(label: label, sink: self) }
        logger.logLevel = level
        return logger
    }

    /// The lines so far.
    package var snapshot: [String] { state.withLock { $0.lines } }

    /// The first line containing `text`, once one is written: what the code under test says
    /// when it reaches a state, awaited instead of polled for.
    package func firstLine(containing text: String) async -> String {
        let lines = await until { lines in lines.contains { $0.contains(text) } }
        return lines.first { $0.contains(text) } ?? ""
    }

    /// The lines so far, once `holds` is true of them (checked after every line is written).
    package func until(_ holds: @escaping @Sendable ([String]) -> Bool) async -> [String] {
        await withCheckedContinuation { continuation in
            let written = state.withLock { state -> [String]? in
                if holds(state.lines) { return state.lines }
                state.waiters.append((holds, continuation))
                return nil
            }
            if let written { continuation.resume(returning: written) }
        }
    }

    fileprivate func append(_ line: String) {
        let satisfied = state.withLock { state in
            state.lines.append(line)
            let lines = state.lines
            let satisfied = state.waiters.filter { $0.holds(lines) }.map { ($0.continuation, lines) }
            state.waiters.removeAll { $0.holds(lines) }
            return satisfied
        }
        for (continuation, lines) in satisfied { continuation.resume(returning: lines) }
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
