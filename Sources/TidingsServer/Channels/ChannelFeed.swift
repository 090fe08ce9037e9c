import Logging
import PostgresNIO
import ServiceLifecycle
import Synchronization
import TidingsCore
import TidingsPostgres

/// Forwards plain `NOTIFY channel, 'json'` payloads from the config's `channel:` entries to the
/// hub as live events: no id, no replay (docs/configuration.md, `topics[].channel`).
///
/// One connection LISTENs on every channel; a lost connection is retried with backoff. A
/// payload that is not a JSON object or lacks a template's field is dropped and logged at most
/// once a minute per channel, so a noisy producer cannot flood the log.
struct ChannelFeed: Service {
    let channels: [ChannelSource]
    let configuration: PostgresConnection.Configuration
    let hub: Hub
    /// The change feed's loop, which its owner shuts down after ``run()`` returns.
    let feedLoop: FeedEventLoop
    let logger: Logger
    private let dropLog = DropLog(interval: .seconds(60))

    init(
        channels: [ChannelSource],
        configuration: PostgresConnection.Configuration,
        hub: Hub,
        feedLoop: FeedEventLoop,
        logger: Logger
    ) {
        self.channels = channels
        self.configuration = configuration
        self.hub = hub
        self.feedLoop = feedLoop
        self.logger = logger
    }

    func run() async throws {
        guard !channels.isEmpty else {
            // A service that returns early would stop the whole group.
            try? await gracefulShutdown()
            return
        }
        var backoff = Backoff()
        var generator = SystemRandomNumberGenerator()
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            let started = ContinuousClock.now
            do {
                try await cancelWhenGracefulShutdown {
                    try await withTaskExecutorPreference(feedLoop.executor) { try await listen() }
                }
            } catch {
                if Task.isCancelled || Task.isShuttingDownGracefully { return }
                // A connection that lived a while was a success: start the backoff over.
                if .now - started > .seconds(30) { backoff.reset() }
                let delay = backoff.next(using: &generator)
                logger.warning(
                    "channel listener lost PostgreSQL; retrying",
                    metadata: ["error": "\(String(reflecting: error))", "retry_in": "\(delay)"]
                )
                do {
                    try await cancelWhenGracefulShutdown { try await Task.sleep(for: delay) }
                } catch {
                    return
                }
            }
        }
    }

    private func listen() async throws {
        let connection = try await PostgresConnection.connect(
            on: feedLoop.eventLoop,
            configuration: configuration,
            id: 0,
            logger: logger
        )
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for source in channels {
                    group.addTask {
                        try await connection.listen(on: source.channel) { notifications in
                            // PostgresNIO calls this once the LISTEN has completed: from here on
                            // every NOTIFY on the channel is delivered.
                            logger.info("channel listener listening", metadata: ["channel": "\(source.channel)"])
                            for try await notification in notifications { forward(notification.payload, from: source) }
                        }
                        throw ChannelFeedError(.notificationsEnded, "the notifications of channel \(source.channel) ended")
                    }
                }
                group.addTask { try await ping(connection) }
                try await group.next()
            }
        } catch {
            try? await connection.close()
            throw error
        }
    }

    /// A half-open connection delivers no notifications and no error: a periodic query with a
    /// deadline finds it, and the feed reconnects.
    private func ping(_ connection: PostgresConnection) async throws {
        while true {
            try await Task.sleep(for: .seconds(15))
            try await withThrowingTaskGroup(of: Bool.self) { group in
                group.addTask {
                    try await connection.perform("SELECT 1", logger: logger)
                    return true
                }
                group.addTask {
                    try await Task.sleep(for: .seconds(10))
                    return false
                }
                defer { group.cancelAll() }
                guard try await group.next() == true else {
                    throw ChannelFeedError(.pingTimedOut, "PostgreSQL did not answer a ping in time")
                }
            }
        }
    }

    private func forward(_ payload: String, from source: ChannelSource) {
        do throws(ChannelPayload.Problem) {
            let event = try ChannelPayload(payload: payload, templates: source.topics)
            hub.receiveLive(topics: event.topics, frame: SSEFrame.event(id: nil, name: source.channel, data: event.data))
        } catch {
            if dropLog.shouldLog(source.channel) {
                logger.warning(
                    "channel payload dropped (further drops on this channel are not logged for a minute)",
                    metadata: ["channel": "\(source.channel)", "reason": "\(error.description)"]
                )
            }
        }
    }
}

/// Why the channel listener dropped its connection; it reconnects by itself.
struct ChannelFeedError: Error, CustomStringConvertible {
    /// The kind of failure.
    enum Code: String, Sendable {
        /// A channel's notification sequence ended: the connection is gone.
        case notificationsEnded
        /// PostgreSQL did not answer a liveness ping in time.
        case pingTimedOut
    }

    let code: Code
    /// What happened, for the log; names the channel, never a payload.
    let message: String

    init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    var description: String { message }
}

/// Remembers when a drop was last logged per channel.
final class DropLog: Sendable {
    private let interval: Duration
    private let lastLogged = Mutex<[String: ContinuousClock.Instant]>([:])

    init(interval: Duration) { self.interval = interval }

    func shouldLog(_ key: String, now: ContinuousClock.Instant = .now) -> Bool {
        lastLogged.withLock { last in
            if let previous = last[key], now - previous < interval { return false }
            last[key] = now
            return true
        }
    }
}
