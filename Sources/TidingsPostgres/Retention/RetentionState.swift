/// Where the log stands against retention: what a resume must be told before it continues
/// (``ChangeLog/retentionState()`` reads it).
public struct RetentionState: Sendable, Equatable {
    /// The largest id ever pruned; 0 when nothing was.
    public var prunedThrough: Int64
    /// The smallest retained id (the next id to be drawn when the log is empty).
    public var oldest: Int64
    /// The largest id ever logged as far as the log knows: its largest id, or the watermark when
    /// everything was pruned.
    public var head: Int64

    public init(prunedThrough: Int64, oldest: Int64, head: Int64 = .max) {
        self.prunedThrough = prunedThrough
        self.oldest = oldest
        self.head = head
    }

    /// Whether a client that has every event up to `lastID` may have missed a pruned one, or
    /// stands above the log's head (a restore or failover rewound the ids): either way its state
    /// cannot be continued from the log.
    public func requiresReset(after lastID: Int64) -> Bool {
        prunedThrough > lastID || isAboveHead(lastID)
    }

    /// Whether `lastID` is an id this log never gave out.
    public func isAboveHead(_ lastID: Int64) -> Bool { lastID > head }

    /// Where a reader that had `lastID` goes on after the reset: the retained events after it,
    /// or, above the head, the events from the head on.
    public func resumePoint(after lastID: Int64) -> Int64 {
        isAboveHead(lastID) ? head : max(lastID, oldest - 1)
    }
}
