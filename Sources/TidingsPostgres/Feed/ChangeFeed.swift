import Logging
import NIOCore
import PostgresNIO
import ServiceLifecycle
import Synchronization
import TidingsCore

/// Reads committed events from `tidings.changes` in id order and hands them to a sink.
///
/// One dedicated connection LISTENs for wake-ups: on the copies' channel named from the key
/// (``CarriedChange/channel``) when the gateway's role can read the key, else on `tidings`, which
/// carries one empty wake-up per transaction. A wake-up that carries a copy of its event
/// (``CarriedChange``) is handed on at once when its id follows the cursor; any other
/// wake-up, a gap in the ids and a periodic poll trigger a read of the log after the cursor. A lost
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
    /// The attempt (connection) whose reads may reach the sink; a stalled one left behind
    /// never delivers again.
    private let currentAttempt = Atomic<Int>(0)
    /// When the current attempt last connected or finished a read: a watchdog gives up on an
    /// attempt that stops making progress, without waiting for tasks stuck on a dead socket.
    private let lastProgress = Mutex(ContinuousClock.now)
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
                try await cancelWhenGracefulShutdown { try await self.attemptWithWatchdog() }
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

    /// Runs one connection attempt in its own task and returns when it fails, or as soon as it
    /// has made no progress for `stallLimit` (a socket that died without telling postgres-nio
    /// can leave a read, a LISTEN or a connect waiting forever; the stuck task is abandoned).
    private func attemptWithWatchdog() async throws {
        let attempt = currentAttempt.wrappingAdd(1, ordering: .relaxed).newValue
        lastProgress.withLock { $0 = .now }
        let stallLimit = max(pollInterval * 3, .seconds(15))
        let outcome = AttemptOutcome()
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                outcome.install(continuation)
                // On the connection's loop: a wake-up, its read and the hand-over to the sink run
                // on one thread, with no wait for a pool thread between them.
                let worker = Task(executorPreference: FeedEventLoop.executor) {
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
                        if ContinuousClock.now - self.lastProgress.withLock({ $0 }) > stallLimit {
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
            on: FeedEventLoop.eventLoop,
            configuration: configuration,
            id: id,
            logger: logger
        )
        lastProgress.withLock { $0 = .now }
        do {
            let carried = await carriedChanges(on: connection)
            // With the key, the copies' channel also carries every wake-up; without, `tidings` does.
            try await connection.listen(on: carried?.channel ?? Self.wakeUpChannel) { notifications in
                status.update { $0.connected = true }
                try await self.readOnWakeUp(connection: connection, attempt: attempt, carried: carried, notifications: notifications)
            }
        } catch {
            try? await connection.close()
            throw error
        }
        try? await connection.close()
    }

    /// The reader of the copies wake-ups carry, with the key they are signed with; `nil` when the
    /// key cannot be read: then every wake-up is read from the log, as before that migration.
    private func carriedChanges(on connection: PostgresConnection) async -> CarriedChange? {
        do {
            var key: [UInt8]?
            for try await bytes in try await connection.query(CarriedChange.keyQuery, logger: logger).decode(ByteBuffer.self) {
                key = Array(bytes.readableBytesView)
            }
            if let key { return CarriedChange(key: key) }
            logger.warning("change feed: tidings.wake_up_key is empty; reading the log on every wake-up")
        } catch {
            logger.warning(
                "change feed: cannot read tidings.wake_up_key (run `tidings migrate`, or grant SELECT on it to the gateway's role); reading the log on every wake-up",
                metadata: ["error": "\(String(reflecting: error))"]
            )
        }
        return nil
    }

    private func readOnWakeUp(
        connection: PostgresConnection,
        attempt: Int,
        carried: CarriedChange?,
        notifications: PostgresNotificationSequence
    ) async throws {
        readStartedAt.withLock { $0 = nil }
        let inbox = FeedInbox()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                for try await notification in notifications {
                    if let change = carried?.parse(notification.payload) {
                        inbox.carry(change)
                    } else {
                        inbox.requestRead()
                    }
                }
                throw ChangeFeedError.notificationsEnded
            }
            group.addTask {
                while true {
                    try await Task.sleep(for: self.pollInterval)
                    // A read stuck past the timeout means a dead connection: give up on it.
                    if let started = self.readStartedAt.withLock({ $0 }), .now - started > self.queryTimeout {
                        throw ChangeFeedError.queryTimedOut
                    }
                    inbox.requestPoll()
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

    /// Hands on the carried changes that directly follow the cursor and reads the log for
    /// everything else. A copy is used only when its id is the cursor's next: then every id below
    /// it has been handed on, and its wake-up says it is committed. An id further on means one
    /// was skipped or its copy did not come; the log has it.
    private func handle(_ work: FeedInbox.Work, connection: PostgresConnection, attempt: Int) async throws {
        var readLog = work.readLog
        var following: [Change] = []
        for change in work.changes {
            let cursor = following.last?.id ?? machine.withLock { $0.cursor } ?? 0
            if change.id <= cursor { continue }
            if change.id == cursor + 1 {
                following.append(change)
                continue
            }
            try hand(following, attempt: attempt)
            following = []
            status.update { $0.readsOnWakeUp += 1 }
            try await catchUp(connection: connection, attempt: attempt, start: .after(cursor))
            // The read saw every committed event, so this one too, unless it ran past a batch.
            if change.id > machine.withLock({ $0.cursor }) ?? 0 { readLog = true }
        }
        try hand(following, attempt: attempt)
        if readLog { status.update { $0.readsOnWakeUp += 1 } }
        if readLog || work.pollDue {
            let cursor = machine.withLock { $0.cursor } ?? 0
            try await catchUp(connection: connection, attempt: attempt, start: .after(cursor))
        }
    }

    private func catchUp(connection: PostgresConnection, attempt: Int, start: FeedStateMachine.CatchUp) async throws {
        var cursor: Int64
        switch start {
        case .after(let id):
            cursor = id
        case .findEnd:
            cursor = 0
            for try await last in try await connection.query(ChangeLogQuery.lastID, logger: logger).decode(Int64.self) {
                cursor = last
            }
            try checkCurrent(attempt)
            machine.withLock { $0.advanced(to: cursor) }
            status.update { $0.cursor = cursor }
            sink.start(after: cursor)
        }
        while true {
            readStartedAt.withLock { $0 = .now }
            let rows = try await connection.query(ChangeLogQuery.query(after: cursor, limit: batchSize), logger: logger)
            let changes = try await ChangeLogQuery.decode(rows)
            readStartedAt.withLock { $0 = nil }
            try hand(changes, attempt: attempt)
            guard let last = changes.last else { return }
            cursor = last.id
            if changes.count < batchSize { return }
        }
    }

    /// Hands `changes`, which follow the cursor in id order, to the sink and moves the cursor past them.
    private func hand(_ changes: [Change], attempt: Int) throws {
        try checkCurrent(attempt)
        lastProgress.withLock { $0 = .now }
        guard let last = changes.last else { return }
        sink.receive(changes)
        machine.withLock { $0.advanced(to: last.id) }
        status.update {
            $0.cursor = last.id
            $0.eventsRead += changes.count
        }
    }
}

extension ChangeFeed {
    /// Throws when `attempt` was given up on: its reads must not reach the sink.
    fileprivate func checkCurrent(_ attempt: Int) throws {
        guard currentAttempt.load(ordering: .relaxed) == attempt else { throw ChangeFeedError.stalled }
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
public struct ChangeFeedError: Error, Sendable, CustomStringConvertible {
    public let description: String
    static let notificationsEnded = ChangeFeedError(description: "the notification stream ended")
    static let queryTimedOut = ChangeFeedError(description: "a read of the change log did not answer in time")
    static let stalled = ChangeFeedError(description: "the connection made no progress; giving up on it")
}
