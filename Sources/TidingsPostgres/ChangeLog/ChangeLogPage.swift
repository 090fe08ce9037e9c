import TidingsCore

/// One read of the log by id (``ChangeLog/page(after:through:limit:maxBytes:)``): its events
/// and the retention watermark of the same snapshot.
public struct ChangeLogPage: Sendable {
    /// Events in id order.
    public var changes: [Change]
    /// The largest id ever pruned when the page was read. Above the reader's position, events it
    /// had not read were pruned: it must tell its clients `tidings.reset`.
    public var prunedThrough: Int64
    /// The page stopped at its row or byte bound: more events may follow at once.
    public var isFull: Bool

    public init(changes: [Change], prunedThrough: Int64, isFull: Bool) {
        self.changes = changes
        self.prunedThrough = prunedThrough
        self.isFull = isFull
    }

    /// Whether a reader that has everything up to `position` missed pruned events.
    public func missedPruned(after position: Int64) -> Bool { prunedThrough > position }
}
