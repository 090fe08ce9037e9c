import Synchronization

/// What the ``ChangeFeed`` is doing now, read by `/readyz` and the metrics.
///
/// Ready means the listener is connected and has caught up with the log once since it
/// (re)connected: from then on every committed event reaches the sink within a wake-up.
public final class FeedStatus: Sendable {
    /// A copy of the status at one moment.
    public struct Snapshot: Sendable, Equatable {
        public var connected = false
        public var caughtUp = false
        /// The last id handed to the sink, `nil` before the feed has started.
        public var cursor: Int64?
        public var reconnects = 0
        /// Events read from the log and handed to the sink.
        public var eventsRead = 0
        /// Events this gateway's capturer committed and handed to the sink without a read
        /// (``ChangeFeed/receiveCaptured(_:)``).
        public var eventsCaptured = 0
        /// Reads of the log that wake-ups asked for. Polls and the catch-up after LISTEN are not counted.
        public var readsOnWakeUp = 0
        /// `pg_notification_queue_usage()` at the last poll: the share of PostgreSQL's NOTIFY queue
        /// in use. Near 1, every NOTIFY-ing commit (the application's too) fails.
        public var notificationQueueUsage = 0.0
        public var isReady: Bool { connected && caughtUp }
    }

    private let state = Mutex(Snapshot())

    public init() {}

    public var snapshot: Snapshot { state.withLock { $0 } }

    func update(_ change: (inout Snapshot) -> Void) {
        state.withLock { change(&$0) }
    }
}
