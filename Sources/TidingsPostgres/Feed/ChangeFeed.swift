import Logging
import NIOCore
import PostgresNIO
import ServiceLifecycle
import Synchronization
import TidingsCore

/// Reads committed events from `tidings.changes` in id order and hands them to a sink.
///
/// One dedicated connection LISTENs on the `tidings` channel; each wake-up (one per committing
/// transaction) and a periodic poll trigger a read of the log after the cursor. A lost
/// connection is retried with capped, jittered backoff, and after every LISTEN the gap is read
/// from the log, so nothing is skipped and nothing is handed over twice.
///
/// Returning from ``run()`` happens only on graceful shutdown or cancellation.
public final class ChangeFeed: Service {
    /// The channel the capture triggers and `tidings.publish()` notify.
    public static let wakeUpChannel = "tidings"

    private let configuration: PostgresConnection.Configuration
    private let sink: any ChangeSink
    private let logger: Logger
    private let batchSize: Int
    private let pollInterval: Duration
    /// A read that takes longer is taken for a dead connection (a half-open socket answers
    /// nothing), and the feed reconnects.
    private let queryTimeout: Duration
    /// When the read in flight began; `nil` between reads.
    private let readStartedAt = Mutex<ContinuousClock.Instant?>(nil)
    private let machine: Mutex<FeedStateMachine>
    private let connectionCounter = Atomic<Int>(0)
    /// Readiness, cursor and counters for `/readyz` and the metrics.
    public let status = FeedStatus()

    /// - Parameters:
    ///   - pollInterval: how often to read the log without a wake-up: a safety net against a
    ///     lost notification and a liveness check of the connection.
    public init(
        configuration: PostgresConnection.Configuration,
        sink: any ChangeSink,
        logger: Logger,
        batchSize: Int = 1000,
        pollInterval: Duration = .seconds(5),
        backoff: Backoff = Backoff()
    ) {
        self.configuration = configuration
        self.sink = sink
        self.logger = logger
        self.batchSize = batchSize
        self.pollInterval = pollInterval
        self.queryTimeout = max(pollInterval * 2, .seconds(10))
        self.machine = Mutex(FeedStateMachine(backoff: backoff))
    }

    public func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                try await cancelWhenGracefulShutdown { try await self.listenAndRead() }
            } catch {
                if Task.isCancelled || Task.isShuttingDownGracefully { return }
                var generator = SystemRandomNumberGenerator()
                let delay = machine.withLock { $0.connectionLost(using: &generator) }
                let reconnects = machine.withLock { $0.reconnects }
                status.update {
                    $0.connected = false
                    $0.caughtUp = false
                    $0.reconnects = reconnects
                }
                logger.warning(
                    "change feed lost PostgreSQL; retrying",
                    metadata: ["error": "\(String(reflecting: error))", "retry_in": "\(delay)"]
                )
                do {
                    try await cancelWhenGracefulShutdown { try await Task.sleep(for: delay) }
                } catch {
                    return
                }
                machine.withLock { $0.reconnecting() }
            }
        }
    }

    private func listenAndRead() async throws {
        let id = connectionCounter.wrappingAdd(1, ordering: .relaxed).newValue
        let connection = try await PostgresConnection.connect(configuration: configuration, id: id, logger: logger)
        do {
            try await connection.listen(on: Self.wakeUpChannel) { notifications in
                status.update { $0.connected = true }
                try await self.readOnWakeUp(connection: connection, notifications: notifications)
            }
        } catch {
            try? await connection.close()
            throw error
        }
        try? await connection.close()
    }

    private func readOnWakeUp(connection: PostgresConnection, notifications: PostgresNotificationSequence) async throws {
        readStartedAt.withLock { $0 = nil }
        let (wakeUps, wakeUp) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                for try await _ in notifications { wakeUp.yield() }
                throw ChangeFeedError.notificationsEnded
            }
            group.addTask {
                while true {
                    try await Task.sleep(for: self.pollInterval)
                    // A read stuck past the timeout means a dead connection: give up on it.
                    if let started = self.readStartedAt.withLock({ $0 }), .now - started > self.queryTimeout {
                        throw ChangeFeedError.queryTimedOut
                    }
                    wakeUp.yield()
                }
            }
            group.addTask {
                try await self.catchUp(connection: connection, start: self.machine.withLock { $0.listening() })
                self.machine.withLock { $0.caughtUp() }
                self.status.update { $0.caughtUp = true }
                self.logger.info("change feed live", metadata: ["cursor": "\(self.status.snapshot.cursor ?? 0)"])
                for await _ in wakeUps {
                    let cursor = self.machine.withLock { $0.cursor } ?? 0
                    try await self.catchUp(connection: connection, start: .after(cursor))
                }
            }
            do {
                try await group.next()
            } catch {
                // Children blocked on the connection only end once it is closed; the group waits for them.
                group.cancelAll()
                try? await connection.close()
                throw error
            }
            group.cancelAll()
        }
    }

    private func catchUp(connection: PostgresConnection, start: FeedStateMachine.CatchUp) async throws {
        var cursor: Int64
        switch start {
        case .after(let id):
            cursor = id
        case .findEnd:
            cursor = 0
            for try await last in try await connection.query(ChangeLogQuery.lastID, logger: logger).decode(Int64.self) {
                cursor = last
            }
            machine.withLock { $0.advanced(to: cursor) }
            status.update { $0.cursor = cursor }
            sink.start(after: cursor)
        }
        while true {
            readStartedAt.withLock { $0 = .now }
            let rows = try await connection.query(ChangeLogQuery.query(after: cursor, limit: batchSize), logger: logger)
            let changes = try await ChangeLogQuery.decode(rows)
            readStartedAt.withLock { $0 = nil }
            guard let last = changes.last else { return }
            sink.receive(changes)
            cursor = last.id
            machine.withLock { $0.advanced(to: last.id) }
            status.update {
                $0.cursor = last.id
                $0.eventsRead += changes.count
            }
            if changes.count < batchSize { return }
        }
    }
}

/// Why the change feed dropped its connection; it reconnects by itself.
public struct ChangeFeedError: Error, Sendable, CustomStringConvertible {
    public let description: String
    static let notificationsEnded = ChangeFeedError(description: "the notification stream ended")
    static let queryTimedOut = ChangeFeedError(description: "a read of the change log did not answer in time")
}
