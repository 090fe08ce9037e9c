import Logging
import Synchronization

/// Every line a logger wrote, kept in memory so a test can search it or wait for one.
package final class CapturedLog: Sendable {
    private struct State {
        var lines: [String] = []
        var waiters: [Int: Waiter] = [:]
        var nextWaiter = 0
    }

    private struct Waiter {
        let holds: @Sendable ([String]) -> Bool
        let continuation: CheckedContinuation<[String], any Error>
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
    /// - Throws: a ``TestFailure`` naming `text` when the test is cancelled first (its time limit).
    package func firstLine(containing text: String) async throws -> String {
        let lines = try await until("a line containing '\(text)'") { lines in lines.contains { $0.contains(text) } }
        return lines.first { $0.contains(text) } ?? ""
    }

    /// The lines so far, once `holds` is true of them (checked after every line is written).
    /// - Throws: a ``TestFailure`` naming `what` when the test is cancelled first (its time limit),
    ///   so that a state never reached fails the test rather than hanging it.
    package func until(_ what: String, _ holds: @escaping @Sendable ([String]) -> Bool) async throws -> [String] {
        let id = state.withLock { state in
            defer { state.nextWaiter += 1 }
            return state.nextWaiter
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let written = state.withLock { state -> [String]? in
                    if holds(state.lines) { return state.lines }
                    state.waiters[id] = Waiter(holds: holds, continuation: continuation)
                    return nil
                }
                if let written { continuation.resume(returning: written) }
                // Cancelled before the waiter was stored: the handler found nothing to resume.
                if written == nil && Task.isCancelled { cancel(id, what) }
            }
        } onCancel: {
            cancel(id, what)
        }
    }

    private func cancel(_ id: Int, _ what: String) {
        let waiter = state.withLock { $0.waiters.removeValue(forKey: id) }
        waiter?.continuation.resume(throwing: TestFailure("cancelled while waiting in the log for \(what)"))
    }

    fileprivate func append(_ line: String) {
        let satisfied = state.withLock { state in
            state.lines.append(line)
            let lines = state.lines
            let ids = state.waiters.filter { $0.value.holds(lines) }.map(\.key)
            return ids.compactMap { state.waiters.removeValue(forKey: $0) }.map { ($0.continuation, lines) }
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
