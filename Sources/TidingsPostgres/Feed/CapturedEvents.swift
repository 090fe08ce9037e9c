package import TidingsCore

/// Events the logical capturer of this gateway has just committed to the log, as the change feed
/// would read them back: the feed hands them to its sink without a read of the log
/// (``ChangeFeed/receiveCaptured(_:)``).
///
/// `previous` is the largest id the log held, in the capturer's transaction, before the first
/// of them: since only the capturer writes the log in logical mode, `changes` are everything
/// the log holds after `previous` up to the last of them.
package struct CapturedEvents: Sendable {
    package var previous: Int64
    /// The events, in id order.
    package var changes: [Change]

    package init(previous: Int64, changes: [Change]) {
        self.previous = previous
        self.changes = changes
    }
}
