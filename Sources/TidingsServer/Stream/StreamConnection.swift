import Logging
import NIOCore
import Synchronization
import TidingsCore

/// One `/events` stream on its channel's event loop: it owns the stream's
/// ``StreamStateMachine``, feeds it what happens (the hub's drains and ticks, the socket's
/// writability, the client leaving, an ending) and runs the actions it returns, writing every
/// frame through the stream's one ``StreamOutput``.
///
/// The request's task stays with its stream (Hummingbird's response ends when it returns) but
/// writes nothing itself and wakes only for what a loop cannot do: a replay from the log
/// (``Job/replay(_:)``), and the end of the response (``Job/end(_:)``). A live delivery is one
/// write per frame on the loop and one flush per drain; no task hop.
///
/// `@unchecked Sendable`: the hub calls ``end(_:)`` from any thread, which hops to the loop;
/// everything else, and all mutable state but ``isEnded``, is confined to ``eventLoop``.
final class StreamConnection: StreamSink, @unchecked Sendable {
    /// What the stream's task must do.
    enum Job: Sendable, Equatable {
        /// Replay this range of the log through ``writeReplay(_:)``, then call
        /// ``replayFinished(lastWritten:)``.
        case replay(StreamStateMachine.Replay)
        /// End the response (the ending's last frame is written) and return.
        case end(Subscriber.Ending)
    }

    let eventLoop: any EventLoop
    private let channel: any Channel
    private let output: any StreamOutput
    private let hub: Hub
    private let logger: Logger
    private var machine: StreamStateMachine
    private var subscriber: Subscriber?
    private var jobs: [Job] = []
    private var waiter: CheckedContinuation<Job, Never>?
    private var lastWriteTimeout: Scheduled<Void>?
    private let ended = Atomic(false)
    private var released = false

    private static let heartbeat = Subscriber.QueuedFrame(id: .min, bytes: SSEFrame.heartbeat, isLive: true)
    /// How long the end of a response may wait for the socket before the connection closes.
    private static let lastWriteDeadline = TimeAmount.seconds(5)

    private init(channel: any Channel, output: any StreamOutput, hub: Hub, logger: Logger) {
        self.eventLoop = channel.eventLoop
        self.channel = channel
        self.output = output
        self.hub = hub
        self.logger = logger
        self.machine = StreamStateMachine(resumeAfter: nil, cursor: nil)
    }

    /// Puts a stream's output in `channel`'s pipeline, registers the stream with the hub and
    /// writes `retry` (the response head is already written). Call on the channel's event loop.
    /// - Throws: ``StreamSetupError`` when the pipeline is not an HTTP/1.1 or HTTP/2 one of
    ///   Hummingbird's.
    static func open(
        channel: any Channel,
        hub: Hub,
        grant: Grant,
        settings: StreamSettings,
        expiresAt: ContinuousClock.Instant?,
        resumeAfter lastEventID: Int64?,
        logger: Logger
    ) throws -> StreamConnection {
        channel.eventLoop.preconditionInEventLoop()
        let output: any StreamOutput
        if let http1 = try HTTP1ChunkOutput.install(on: channel) {
            output = http1
        } else if let http2 = try HTTP2DataOutput.install(on: channel) {
            output = http2
        } else {
            throw StreamSetupError()
        }
        let connection = StreamConnection(channel: channel, output: output, hub: hub, logger: logger)
        output.connection = connection
        let (subscriber, cursor) = hub.subscribe(grant: grant, capacity: settings.buffer, expiresAt: expiresAt, sink: connection)
        connection.subscriber = subscriber
        connection.machine = StreamStateMachine(resumeAfter: lastEventID, cursor: cursor)
        output.write(SSEFrame.retry(settings.retry), promise: nil)
        output.flush()
        connection.isWritableNow()
        connection.run(connection.machine.start(cursor: cursor))
        if !channel.isActive { connection.end(.closed) }
        return connection
    }

    private func isWritableNow() {
        if !channel.isWritable { run(machine.writabilityChanged(false)) }
    }

    // MARK: StreamSink

    func drain() {
        eventLoop.assertInEventLoop()
        run(machine.drain())
    }

    func tick() {
        eventLoop.assertInEventLoop()
        run(machine.tick())
    }

    func end(_ reason: Subscriber.Ending) {
        guard eventLoop.inEventLoop else {
            eventLoop.execute { self.end(reason) }
            return
        }
        run(machine.end(reason))
    }

    // MARK: From the output

    func writabilityChanged(_ writable: Bool) {
        run(machine.writabilityChanged(writable))
    }

    // MARK: Actions

    private func run(_ action: StreamStateMachine.Action) {
        switch action {
        case .none:
            break
        case .replay(let replay):
            post(.replay(replay))
        case .takeFrames:
            guard let subscriber else { return }
            run(machine.took(subscriber.take()))
        case .write(let frames):
            for frame in frames { output.write(frame) }
            output.flush()
        case .heartbeat:
            output.write(Self.heartbeat)
            output.flush()
        case .end(let ending):
            stopQueueing()
            if ending == .expired {
                output.write(SSEFrame.expired, promise: nil)
                output.flush()
            }
            // A client that stopped reading never takes the end of the response: it is closed on.
            lastWriteTimeout = eventLoop.scheduleTask(in: Self.lastWriteDeadline) { [channel] in channel.close(promise: nil) }
            post(.end(ending))
        case .close(let ending):
            stopQueueing()
            if ending == .cutOff, let subscriber {
                logger.info("subscriber cut off: its client stopped reading")
                hub.cutOff(subscriber)
            }
            channel.close(promise: nil)
            post(.end(ending))
        }
    }

    private func stopQueueing() {
        ended.store(true, ordering: .relaxed)
        subscriber?.close()
    }

    // MARK: The stream's task

    private func post(_ job: Job) {
        if let waiter {
            self.waiter = nil
            waiter.resume(returning: job)
        } else {
            jobs.append(job)
        }
    }

    /// Waits for the task's next job. Cancelling the task ends the stream. Call on the loop.
    func nextJob() async -> Job {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Job, Never>) in
                eventLoop.preconditionInEventLoop()
                if jobs.isEmpty {
                    waiter = continuation
                } else {
                    continuation.resume(returning: jobs.removeFirst())
                }
            }
        } onCancel: {
            self.end(.closed)
        }
    }

    /// Whether the stream is ending: a replay stops. Safe from any thread.
    var isEnded: Bool { ended.load(ordering: .relaxed) }

    /// The id of the last logged event written.
    var lastWritten: Int64 { machine.lastWritten }

    /// Writes a replayed page and flushes it; the future completes when the socket took it, and
    /// fails once the stream no longer replays. Call on the loop.
    func writeReplay(_ frames: [ByteBuffer]) -> EventLoopFuture<Void> {
        guard machine.isReplaying else { return eventLoop.makeFailedFuture(StreamEndedError()) }
        let promise = eventLoop.makePromise(of: Void.self)
        for (index, frame) in frames.enumerated() { output.write(frame, promise: index == frames.count - 1 ? promise : nil) }
        if frames.isEmpty { promise.succeed(()) }
        output.flush()
        machine.replayWriteStarted()
        promise.futureResult.whenComplete { _ in self.machine.replayWriteCompleted() }
        return promise.futureResult
    }

    /// The replay wrote everything up to `lastWritten`. Call on the loop.
    func replayFinished(lastWritten: Int64) {
        run(machine.replayFinished(lastWritten: lastWritten))
    }

    /// The task ended the response. Call on the loop.
    func finished() {
        lastWriteTimeout?.cancel()
        machine.finished()
    }

    /// Unregisters the stream and takes its output out of the pipeline; the connection stays for
    /// the next request. Call once the response is over, on the loop.
    func release() {
        guard !released else { return }
        released = true
        lastWriteTimeout?.cancel()
        stopQueueing()
        if let subscriber { hub.unsubscribe(subscriber) }
        output.connection = nil
        output.remove()
    }
}

/// A stream's pipeline has no HTTP/1.1 encoder or HTTP/2 stream codec to write through.
struct StreamSetupError: Error {}

/// A replay write came after its stream stopped replaying (it ended).
struct StreamEndedError: Error {}
