import TidingsCore

/// Writes decoded changes into `tidings.changes`, in the order they were committed, one
/// statement per run of a batch (one table's rows, TRUNCATEs, publishes, problems): the statement
/// calls each row's event builder, the same function its trigger would call (PostgreSQL rebuilds
/// the row of the table's type from the WAL's text values, converts them and renders topics,
/// `new`, `old`, moves and problems), and passes what it built, typed, to `tidings.log_events`,
/// which numbers the events, gives them the `data` `tidings.log_change` would, records the
/// position written through and wakes the gateways. Each statement is prepared once per
/// connection.
///
/// A batch that ends inside a transaction is written without a position and the log transaction
/// stays open, so a transaction of any size is never held in memory whole and still reaches the
/// log atomically. A log transaction written by one flush is returned as ``Flushed/captured`` once
/// committed, for this gateway's own feed; a larger one is left for the feeds to read. Not
/// `Sendable`: it lives on the capturer's thread with its connection.
final class CaptureLogWriter {
    /// One change waiting to be written.
    enum Pending {
        case row(table: TableName, builder: String, op: String, new: String?, old: String?, commitTime: Int64)
        case truncate(table: TableName, commitTime: Int64)
        /// `content`: the message as `tidings.publish()` signed it; `lsn`: the message's, which
        /// names the publish until it is logged (`tidings.published`).
        case publish(content: String, commitTime: Int64, lsn: LSN)
        /// A change that is not logged, only counted as a capture problem of its table.
        case problem(table: TableName, problem: String)
    }

    /// What one ``flush(through:)`` wrote.
    struct Flushed {
        /// Events written into the log.
        var logged = 0
        /// The committed events, when the flush committed a log transaction it wrote alone.
        var captured: CapturedEvents?
    }

    private let connection: LibPQConnection
    private(set) var pending: [Pending] = []
    private var inTransaction = false

    init(connection: LibPQConnection) {
        self.connection = connection
    }

    var count: Int { pending.count }

    func append(_ change: Pending) { pending.append(change) }

    /// Writes what is pending. With `through`, also records that position and commits the log
    /// transaction; without, the transaction stays open for the rest of a large transaction.
    @discardableResult
    func flush(through: LSN?) throws(LogicalCaptureError) -> Flushed {
        if pending.isEmpty && through == nil { return Flushed() }
        // Only a log transaction that one flush writes and commits is handed over: its events
        // are bounded by the batch size.
        let hand = through != nil && !inTransaction
        if !inTransaction {
            try execute(ChangeLog.capturerBegin)
            inTransaction = true
        }
        var runs: [ArraySlice<Pending>] = []
        var start = 0
        while start < pending.count {
            var end = start + 1
            while end < pending.count, Self.sameRun(pending[start], pending[end]) { end += 1 }
            runs.append(pending[start..<end])
            start = end
        }
        var flushed = Flushed()
        var previous: Int64?
        var changes: [Change] = []
        if runs.isEmpty, let through {
            try execute(ChangeLog.capturerPosition(through: through))
        }
        for (index, run) in runs.enumerated() {
            let rows = try write(run, through: index == runs.count - 1 ? through : nil, hand: hand)
            flushed.logged += rows.count
            guard hand else { continue }
            if previous == nil, let first = rows.first { previous = ChangeLog.capturedPrevious(first) }
            changes += rows.compactMap(ChangeLog.capturedChange)
        }
        pending.removeAll(keepingCapacity: true)
        if through != nil {
            try execute(ChangeLog.capturerCommit)
            inTransaction = false
            if hand, let previous { flushed.captured = CapturedEvents(previous: previous, changes: changes) }
        }
        return flushed
    }

    /// Drops what is pending and rolls the open log transaction back (the slot was not confirmed
    /// past it, so it will be read again).
    func abandon() {
        pending.removeAll()
        if inTransaction {
            _ = try? execute(ChangeLog.capturerRollback)
            inTransaction = false
        }
    }

    /// Builds and logs one run's events, in the run's order (a publish whose tag is wrong is left
    /// out); returns `tidings.log_events`' rows.
    private func write(_ run: ArraySlice<Pending>, through: LSN?, hand: Bool) throws(LogicalCaptureError) -> LibPQConnection.Rows {
        switch run.first {
        case .row(let table, let builder, _, _, _, _):
            var ops: [String?] = []
            var news: [String?] = []
            var olds: [String?] = []
            var times: [String?] = []
            for case .row(_, _, let op, let new, let old, let time) in run {
                ops.append(op)
                news.append(new)
                olds.append(old)
                times.append(String(time))
            }
            return try execute(
                ChangeLog.capturedRows(
                    table: table,
                    builder: builder,
                    ops: ops,
                    news: news,
                    olds: olds,
                    commitTimes: times,
                    through: through,
                    hand: hand
                )
            )
        case .truncate:
            var tables: [String?] = []
            var prefixes: [String?] = []
            var times: [String?] = []
            for case .truncate(let table, let time) in run {
                tables.append(table.description)
                prefixes.append(table.eventPrefix)
                times.append(String(time))
            }
            return try execute(
                ChangeLog.capturedTruncates(tables: tables, prefixes: prefixes, commitTimes: times, through: through, hand: hand)
            )
        case .publish:
            var contents: [String?] = []
            var times: [String?] = []
            var lsns: [String?] = []
            for case .publish(let content, let time, let lsn) in run {
                contents.append(content)
                times.append(String(time))
                lsns.append(lsn.description)
            }
            return try execute(
                ChangeLog.capturedPublishes(contents: contents, commitTimes: times, lsns: lsns, through: through, hand: hand)
            )
        case .problem:
            var tables: [String?] = []
            var problems: [String?] = []
            for case .problem(let table, let problem) in run {
                tables.append(table.description)
                problems.append(problem)
            }
            return try execute(ChangeLog.capturedProblems(tables: tables, problems: problems, through: through, hand: hand))
        case nil:
            return []
        }
    }

    /// Runs one of the log's statements on this writer's connection.
    @discardableResult
    private func execute(_ statement: CapturerStatement) throws(LogicalCaptureError) -> LibPQConnection.Rows {
        statement.prepared
            ? try connection.execute(prepared: statement.sql, statement.parameters)
            : try connection.execute(statement.sql, statement.parameters)
    }

    private static func sameRun(_ first: Pending, _ next: Pending) -> Bool {
        switch (first, next) {
        case (.row(let a, _, _, _, _, _), .row(let b, _, _, _, _, _)): a == b
        case (.truncate, .truncate), (.publish, .publish), (.problem, .problem): true
        default: false
        }
    }
}
