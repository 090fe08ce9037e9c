import TidingsCore

/// What the ``ChangeFeed`` is doing now, read by `/readyz` and the metrics.
///
/// Ready means the listener is connected and has caught up with the log once since it
/// (re)connected: from then on every committed event reaches the sink within a wake-up.
package final class FeedStatus: Sendable {
    /// A copy of the status at one moment.
    package struct Snapshot: Sendable, Equatable {
        package var connected = false
        package var caughtUp = false
        /// The last id handed to the sink, `nil` before the feed has started.
        package var cursor: Int64?
        package var reconnects = 0
        /// Events read from the log and handed to the sink.
        package var eventsRead = 0
        /// Events this gateway's capturer committed and handed to the sink without a read
        /// (``ChangeFeed/receiveCaptured(_:)``).
        package var eventsCaptured = 0
        /// Reads of the log that wake-ups asked for. Polls and the catch-up after LISTEN are not counted.
        package var readsOnWakeUp = 0
        /// `pg_notification_queue_usage()` at the last poll: the share of PostgreSQL's NOTIFY queue
        /// in use. Near 1, every NOTIFY-ing commit (the application's too) fails.
        package var notificationQueueUsage = 0.0
        package var isReady: Bool { connected && caughtUp }
    }

    private let state = WatchedValue(Snapshot())

    package init() {}

    package var snapshot: Snapshot { state.value }

    func update(_ change: (inout Snapshot) -> Void) {
        state.update(change)
    }

    /// Returns once the status satisfies `condition`: tests wait for readiness or a reconnect
    /// instead of polling.
    package func testOnlyWait(until condition: @escaping @Sendable (Snapshot) -> Bool) async throws {
        try await state.wait(until: condition)
    }
}
