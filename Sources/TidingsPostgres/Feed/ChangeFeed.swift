import Logging
import NIOCore
package import PostgresNIO
import ServiceLifecycle
import Synchronization
import TidingsCore

/// Reads committed events from `tidings.changes` in id order and hands them to a sink.
///
/// One dedicated connection LISTENs on `tidings`, which carries one empty wake-up per
/// transaction; a wake-up and a periodic poll trigger a read of the log after the cursor, in
/// pages bounded by rows and bytes. A lost connection is retried with capped, jittered backoff,
/// and after every LISTEN the gap is read from the log, so nothing is skipped and nothing is
/// handed over twice. A connection given up on as stuck has its server session terminated (a
/// LISTENer that reads nothing pins PostgreSQL's notification queue). When retention pruned
/// events the feed had not read yet, the sink is told to reset before the events that follow.
///
/// Returning from ``run()`` happens only on graceful shutdown or cancellation.
package final class ChangeFeed: Service {
    private let configuration: PostgresConnection.Configuration
    let sink: any ChangeSink
    /// The thread the feed's connections and tasks run on; its owner shuts it down after ``run()`` returns.
    private let feedLoop: FeedEventLoop
    private let logger: Logger
    private let batchSize: Int
    private let pollInterval: Duration
    /// The cursor, the attempt, its progress and its backoff: every decision the feed makes.
    let machine: Mutex<FeedStateMachine>
    /// Held from a decision of `machine` to the sink calls it asks for: the feed's reads and the
    /// capturer's hand-over (``receiveCaptured(_:)``) reach the sink one at a time, in id order.
    let delivery = Mutex(())
    private let connectionCounter = Atomic<Int>(0)
    /// Readiness, cursor and counters for `/readyz` and the metrics.
    package let status = FeedStatus()

    /// - Parameters:
    ///   - feedLoop: the loop to run on, which must outlive ``run()``.
    ///   - pollInterval: how often to read the log without a wake-up: a safety net against a
    ///     lost notification and a liveness check of the connection.
    package init(
        configuration: PostgresConnection.Configuration,
        sink: any ChangeSink,
        feedLoop: FeedEventLoop,
        logger: Logger,
        batchSize: Int = 1000,
        pollInterval: Duration = .seconds(5),
        backoff: Backoff = Backoff()
    ) {
        self.configuration = configuration
        self.sink = sink
        self.feedLoop = feedLoop
        self.logger = logger
        self.batchSize = batchSize
        self.pollInterval = pollInterval
        self.machine = Mutex(
            FeedStateMachine(
                backoff: backoff,
                queryTimeout: max(pollInterval * 2, .seconds(10)),
                stallLimit: max(pollInterval * 3, .seconds(15))
            )
        )
    }

    package func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                try await cancelWhenGracefulShutdown { try await self.attemptWithWatchdog() }
            } catch {
                if Task.isCancelled || Task.isShuttingDownGracefully { return }
                var generator = SystemRandomNumberGenerator()
                let (reconnect, reconnects) = machine.withLock { ($0.connectionLost(using: &generator), $0.reconnects) }
                if let pid = reconnect.terminate { await terminateSession(pid) }
                let delay = reconnect.delay
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

    /// Runs one connection attempt in its own task and returns when it fails, or as soon as the
    /// state machine gives up on it for making no progress (a socket that died without telling
    /// postgres-nio can leave a read, a LISTEN or a connect waiting forever; the stuck task is
    /// abandoned).
    private func attemptWithWatchdog() async throws {
        let attempt = machine.withLock { $0.attemptStarted(at: .now) }
        let outcome = AttemptOutcome()
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                outcome.install(continuation)
                // On the connection's loop: a wake-up, its read and the hand-over to the sink run
                // on one thread, with no wait for a pool thread between them.
                let worker = Task(executorPreference: feedLoop.executor) {
                    do {
                        try await self.listenAndRead(attempt: attempt)
                        outcome.settle(.success(()))
                    } catch {
                        outcome.settle(.failure(error))
                    }
                }
                outcome.setWorker(worker)
                Task {
                    while !outcome.isSettled {
                        try? await Task.sleep(for: self.pollInterval)
                        if self.machine.withLock({ $0.watchdogDue(attempt: attempt, at: .now) }) == .abandon {
                            worker.cancel()
                            outcome.settle(.failure(ChangeFeedError.stalled))
                        }
                    }
                }
            }
        } onCancel: {
            outcome.cancel()
        }
    }

    private func listenAndRead(attempt: Int) async throws {
        let id = connectionCounter.wrappingAdd(1, ordering: .relaxed).newValue
        let connection = try await PostgresConnection.connect(
            on: feedLoop.eventLoop,
            configuration: configuration,
            id: id,
            logger: logger
        )
        machine.withLock { $0.connected(attempt: attempt, at: .now) }
        do {
            for try await pid in try await connection.query("SELECT pg_backend_pid()", logger: logger).decode(Int32.self) {
                machine.withLock { $0.connected(attempt: attempt, pid: pid, at: .now) }
            }
            try await connection.listen(on: ChangeLog.wakeUpChannel) { notifications in
                status.update { $0.connected = true }
                try await self.readOnWakeUp(connection: connection, attempt: attempt, notifications: notifications)
            }
        } catch {
            try? await connection.close()
            throw error
        }
        try? await connection.close()
    }

    /// Ends the server session of a connection the feed gave up on, from a connection of its own:
    /// the stuck one may never deliver the request. Best effort, bounded by the query timeout.
    private func terminateSession(_ pid: Int32) async {
        let timeout = machine.withLock { $0.queryTimeout }
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                do {
                    let connection = try await PostgresConnection.connect(
                        on: self.feedLoop.eventLoop,
                        configuration: self.configuration,
                        id: self.connectionCounter.wrappingAdd(1, ordering: .relaxed).newValue,
                        logger: self.logger
                    )
                    defer { Task { try? await connection.close() } }
                    _ = try await connection.query("SELECT pg_terminate_backend(\(pid))", logger: self.logger).collect()
                    self.logger.info("change feed: ended the server session of an abandoned connection", metadata: ["pid": "\(pid)"])
                } catch {
                    self.logger.warning(
                        "change feed: could not end the server session of an abandoned connection",
                        metadata: ["pid": "\(pid)", "error": "\(String(reflecting: error))"]
                    )
                }
            }
            group.addTask { try? await Task.sleep(for: timeout) }
            await group.next()
            group.cancelAll()
        }
    }

    private func readOnWakeUp(
        connection: PostgresConnection,
        attempt: Int,
        notifications: PostgresNotificationSequence
    ) async throws {
        let inbox = FeedInbox()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                for try await _ in notifications { inbox.requestRead() }
                throw ChangeFeedError.notificationsEnded
            }
            group.addTask {
                while true {
                    try await Task.sleep(for: self.pollInterval)
                    if self.machine.withLock({ $0.pollDue(attempt: attempt, at: .now) }) == .dropConnection {
                        throw ChangeFeedError.queryTimedOut
                    }
                    inbox.requestPoll()
                    await self.readQueueUsage(connection: connection)
                }
            }
            group.addTask {
                try await self.catchUp(connection: connection, attempt: attempt, start: self.machine.withLock { $0.listening() })
                self.machine.withLock { $0.caughtUp() }
                self.status.update { $0.caughtUp = true }
                self.logger.info("change feed live", metadata: ["cursor": "\(self.status.snapshot.cursor ?? 0)"])
                while true {
                    try await self.handle(inbox.next(), connection: connection, attempt: attempt)
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

    /// Reads the log after the cursor when a wake-up or the poll asked for it.
    private func handle(_ work: FeedInbox.Work, connection: PostgresConnection, attempt: Int) async throws {
        if work.readLog { status.update { $0.readsOnWakeUp += 1 } }
        let cursor = machine.withLock { $0.cursor } ?? 0
        try await catchUp(connection: connection, attempt: attempt, start: .after(cursor))
    }

    /// `pg_notification_queue_usage()` for the metrics; a failure here is left to the next read.
    private func readQueueUsage(connection: PostgresConnection) async {
        do {
            let usage = try await ChangeLog.notificationQueueUsage(on: connection, logger: logger)
            status.update { $0.notificationQueueUsage = usage }
        } catch {
            logger.debug("change feed: reading the notification queue usage failed", metadata: ["error": "\(String(reflecting: error))"])
        }
    }

    private func catchUp(connection: PostgresConnection, attempt: Int, start: FeedStateMachine.CatchUp) async throws {
        var cursor: Int64
        switch start {
        case .after(let id):
            cursor = id
        case .findEnd:
            cursor = try await ChangeLog.lastID(on: connection, logger: logger)
            try delivery.withLock { [cursor] _ throws in
                try deliver(through: cursor, attempt: attempt)
                status.update { $0.cursor = cursor }
                sink.start(after: cursor)
            }
        }
        while true {
            machine.withLock { $0.readStarted(attempt: attempt, at: .now) }
            let page = try await ChangeLog.page(after: cursor, limit: batchSize, on: connection, logger: logger)
            let readAgainAfter = try delivery.withLock { _ throws -> Int64? in
                let decision = machine.withLock { $0.pageRead(page, attempt: attempt, at: .now) }
                guard case .deliver(let reset, let skip, let readAgainAfter) = decision else { throw ChangeFeedError.stalled }
                if let reset {
                    logger.warning(
                        "change feed: retention pruned events before the feed read them; streams get tidings.reset",
                        metadata: ["cursor": "\(reset.after)", "oldest": "\(reset.oldest)"]
                    )
                    sink.reset(after: reset.after, oldest: reset.oldest)
                    status.update { $0.cursor = page.prunedThrough }
                }
                hand(page.changes.dropFirst(skip))
                return readAgainAfter
            }
            guard let readAgainAfter else { return }
            cursor = readAgainAfter
        }
    }

    /// Hands `changes`, which follow the cursor in id order and which the state machine has moved
    /// the cursor past, to the sink.
    private func hand(_ changes: ArraySlice<Change>) {
        guard let last = changes.last else { return }
        sink.receive(Array(changes))
        status.update {
            $0.cursor = last.id
            $0.eventsRead += changes.count
        }
    }
}

extension ChangeFeed {
    /// Moves the cursor to `lastID` (the end of the log a fresh feed starts at) for `attempt`;
    /// throws when the attempt was given up on: its reads must not reach the sink.
    fileprivate func deliver(through lastID: Int64?, attempt: Int) throws {
        guard machine.withLock({ $0.read(through: lastID, attempt: attempt, at: .now) }) == .deliver else {
            throw ChangeFeedError.stalled
        }
    }
}

/// How one connection attempt ended, settled once by whichever comes first: the attempt
/// itself, the watchdog, or cancellation.
private final class AttemptOutcome: Sendable {
    private struct State {
        var continuation: CheckedContinuation<Void, any Error>?
        var worker: Task<Void, Never>?
        var settled = false
        var cancelled = false
    }

    private let state = Mutex(State())

    var isSettled: Bool { state.withLock { $0.settled } }

    func install(_ continuation: CheckedContinuation<Void, any Error>) {
        let cancelled = state.withLock { state -> Bool in
            state.continuation = continuation
            return state.cancelled
        }
        if cancelled { settle(.failure(CancellationError())) }
    }

    func setWorker(_ worker: Task<Void, Never>) {
        let cancelled = state.withLock { state -> Bool in
            state.worker = worker
            return state.cancelled
        }
        if cancelled { worker.cancel() }
    }

    func settle(_ result: Result<Void, any Error>) {
        let continuation = state.withLock { state -> CheckedContinuation<Void, any Error>? in
            guard !state.settled, let continuation = state.continuation else { return nil }
            state.settled = true
            return continuation
        }
        continuation?.resume(with: result)
    }

    func cancel() {
        let worker = state.withLock { state -> Task<Void, Never>? in
            state.cancelled = true
            return state.worker
        }
        worker?.cancel()
        settle(.failure(CancellationError()))
    }
}

/// Why the change feed dropped its connection; it reconnects by itself.
package struct ChangeFeedError: Error, Sendable, CustomStringConvertible {
    package let description: String
    static let notificationsEnded = ChangeFeedError(description: "the notification stream ended")
    static let queryTimedOut = ChangeFeedError(description: "a read of the change log did not answer in time")
    static let stalled = ChangeFeedError(description: "the connection made no progress; giving up on it")
}
