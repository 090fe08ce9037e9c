/// Where the capturer stands in the slot's stream, as a value: which transaction is being read,
/// whether it is already in the log, what is decoded but not yet written, and how far the slot
/// may be confirmed. Its methods return what to do, so the rules behind "nothing lost, nothing
/// twice" are tested without a socket:
///
/// - a transaction whose commit record starts below the position the log was written through is
///   skipped: a previous capturer logged it before it died;
/// - the slot is confirmed up to a transaction only after the log transaction holding its events
///   has committed (``written(through:)``);
/// - a keepalive moves the confirmed position on only when nothing decoded is waiting.
package struct CapturePosition: Sendable, Equatable {
    /// What the capturer does next.
    package enum Action: Sendable, Equatable {
        case none
        /// Write every pending event and record `through` in the same log transaction.
        case writeBatch(through: LSN)
    }

    /// The end of the last transaction in the log.
    package private(set) var writtenThrough: LSN
    /// The position the slot may be confirmed at.
    package private(set) var confirmed: LSN
    /// The end of the last decoded transaction whose events are not yet written.
    package private(set) var pendingThrough: LSN?
    package private(set) var inTransaction = false
    /// The current transaction is already in the log.
    package private(set) var skipping = false

    package init(writtenThrough: LSN) {
        self.writtenThrough = writtenThrough
        self.confirmed = writtenThrough
    }

    /// A transaction whose commit record starts at `finalLSN` begins.
    package mutating func begin(finalLSN: LSN) {
        inTransaction = true
        skipping = finalLSN < writtenThrough
    }

    /// The transaction ends at `endLSN`; `pending` events wait to be written.
    package mutating func commit(endLSN: LSN, pending: Int, batchSize: Int) -> Action {
        inTransaction = false
        if !skipping { pendingThrough = endLSN }
        skipping = false
        if pending >= batchSize, let through = pendingThrough { return .writeBatch(through: through) }
        return .none
    }

    /// The stream has nothing more at once: write what ended, unless a transaction is open.
    package func idle() -> Action {
        guard !inTransaction, let through = pendingThrough else { return .none }
        return .writeBatch(through: through)
    }

    /// The log transaction recording `through` committed: the slot may move on to it.
    package mutating func written(through: LSN) {
        writtenThrough = max(writtenThrough, through)
        confirmed = max(confirmed, through)
        if let pending = pendingThrough, pending <= through { pendingThrough = nil }
    }

    /// The server's WAL reached `end`; `pending` events are decoded but not written.
    package mutating func keepalive(end: LSN, pending: Int) {
        if !inTransaction, pendingThrough == nil, pending == 0, end > confirmed { confirmed = end }
    }
}
