public import TidingsCore

/// Where the ``ChangeFeed`` hands the events it reads, in id order.
///
/// The feed calls ``start(after:)`` once, when it first knows where the log ends, and then
/// ``receive(_:)`` with consecutive batches. Both are called from the feed's task only, never
/// concurrently; a sink must not block (it queues and returns).
public protocol ChangeSink: Sendable {
    /// The feed begins after `cursor`: every later event will be passed to ``receive(_:)``.
    func start(after cursor: Int64)
    /// Events with ids greater than any passed before, in id order.
    func receive(_ changes: [Change])
    /// Retention pruned events after `cursor` before the feed read them: every stream must be
    /// told `tidings.reset` (`oldest` is the smallest retained id) before the events that follow.
    func reset(after cursor: Int64, oldest: Int64)
}
