import Logging
import NIOCore
import Synchronization
import TidingsCore

/// One `/events` stream on its channel's event loop: it owns the stream's
/// ``StreamStateMachine``, feeds it what happens (the hub's drains and ticks, the socket's
/// writability, the client leaving, an ending) and runs the actions it returns, writing every
/// frame through the stream's one output (``StreamOutput``).
///
/// No task waits on an HTTP/1.1 stream: its request's task returns once the stream is open, and
/// the response's end waits in a ``StreamResponseGate`` until the stream ends. An HTTP/2 stream's
/// request task waits for the ending (``untilEnded()``) and ends the response itself, because
/// Hummingbird closes an HTTP/2 stream's channel once its request task returns. A replay from the
/// log (resume, lag) runs in a task of its own on the loop while it lasts. A live delivery is one
/// write per frame on the loop and one flush per drain; no task hop.
///
/// `@unchecked Sendable`: the hub calls ``end(_:)`` from any thread, which hops to the loop;
/// everything else, and all mutable state but ``isEnded``, is confined to ``eventLoop``.
final class StreamConnection: StreamSink, @unchecked Sendable {
    let eventLoop: any EventLoop
    private let channel: any Channel
    private let output: any StreamWriting
    private let opening: StreamOpening
    /// Holds the response's end while an HTTP/1.1 stream runs; `nil` for HTTP/2.
    private let gate: StreamResponseGate?
    private var machine: StreamStateMachine
    private var subscriber: Subscriber?
    /// The HTTP/2 request task waiting in ``untilEnded()``.
    private var endWaiter: CheckedContinuation<Void, Never>?
    private var endReached = false
    private var lastWriteTimeout: Scheduled<Void>?
    private let ended = Atomic(false)
    private var released = false

    private static let heartbeat = Subscriber.QueuedFrame(id: .min, bytes: SSEFrame.heartbeat, isLive: true)
    /// How long an HTTP/2 request task may take to end its response before the stream is closed.
    private static let lastWriteDeadline = TimeAmount.seconds(5)

    private init(channel: any Channel, output: any StreamWriting, gate: StreamResponseGate?, opening: StreamOpening) {
        self.eventLoop = channel.eventLoop
        self.channel = channel
        self.output = output
        self.gate = gate
        self.opening = opening
        self.machine = StreamStateMachine(resumeAfter: nil, cursor: nil)
    }

    /// Puts a stream's output (and, for a stream that outlives its request, its gate) in
    /// `channel`'s pipeline, registers the stream with the hub and writes `retry` (the response
    /// head is already written). Call on the channel's event loop.
    /// - Throws: ``StreamSetupError`` when the pipeline is not an HTTP/1.1 or HTTP/2 one of
    ///   Hummingbird's; then the stream's slot is the caller's to release.
    static func open(on channel: any Channel, _ opening: StreamOpening) throws -> StreamConnection {
        channel.eventLoop.preconditionInEventLoop()
        let output: any StreamWriting
        var gate: StreamResponseGate?
        if let http1 = try StreamOutput<ChunkFraming>.install(on: channel) {
            output = http1
            if opening.outlivesRequest { gate = try StreamResponseGate.install(on: channel) }
        } else if let http2 = try StreamOutput<DataFrameFraming>.install(on: channel) {
            output = http2
        } else {
            throw StreamSetupError()
        }
        let connection = StreamConnection(channel: channel, output: output, gate: gate, opening: opening)
        output.connection = connection
        let (subscriber, cursor) = opening.hub.subscribe(
            grant: opening.grant,
            capacity: opening.settings.buffer,
            expiresAt: opening.expiresAt,
            sink: connection
        )
        connection.subscriber = subscriber
        connection.machine = StreamStateMachine(resumeAfter: opening.lastEventID, cursor: cursor)
        output.write(SSEFrame.retry(opening.settings.retry), promise: nil)
        output.flush()
        connection.isWritableNow()
        connection.run(connection.machine.start(cursor: cursor))
        if !channel.isActive { connection.end(.closed) }
        return connection
    }

    /// Whether the stream ends its response itself (HTTP/1.1): its request's task returns at once.
    var outlivesRequest: Bool { gate != nil }

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
            startReplay(replay)
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
            if ending == .expired { output.write(SSEFrame.expired, promise: nil) }
            output.flush()
            if let gate {
                // The response's end follows the last frame; the connection stays for the next request.
                gate.open()
                machine.finished()
                release()
            } else {
                // A client that stopped reading never takes the end of the response: it is closed on.
                lastWriteTimeout = eventLoop.scheduleTask(in: Self.lastWriteDeadline) { [channel] in channel.close(promise: nil) }
                reachEnd()
            }
        case .close(let ending):
            stopQueueing()
            if ending == .cutOff, let subscriber {
                opening.logger.info("subscriber cut off: its client stopped reading")
                opening.hub.cutOff(subscriber)
            }
            channel.close(promise: nil)
            if gate != nil {
                // The gate leaves with the closed channel, failing the response's end it holds.
                release()
            } else {
                reachEnd()
            }
        }
    }

    private func stopQueueing() {
        ended.store(true, ordering: .relaxed)
        subscriber?.close()
    }

    // MARK: Replays

    /// Runs a replay in a task on the loop, then goes live again; an ending stops it.
    private func startReplay(_ replay: StreamStateMachine.Replay) {
        Task(executorPreference: EventLoopTaskExecutor(eventLoop: eventLoop)) {
            do {
                let last = try await self.replay(replay, from: self.opening.log, hub: self.opening.hub, grant: self.opening.grant)
                self.replayFinished(lastWritten: last)
            } catch {
                // Only an ending stops a replay (reads are retried).
                if !self.isEnded { self.end(.closed) }
            }
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
    private func replayFinished(lastWritten: Int64) {
        run(machine.replayFinished(lastWritten: lastWritten))
    }

    // MARK: An HTTP/2 stream's request task

    private func reachEnd() {
        endReached = true
        if let endWaiter {
            self.endWaiter = nil
            endWaiter.resume()
        }
    }

    /// Returns once the stream ends (its ending's last frame is written): the HTTP/2 request
    /// task then ends the response. Cancelling the task ends the stream. Call on the loop.
    func untilEnded() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                eventLoop.preconditionInEventLoop()
                if endReached {
                    continuation.resume()
                } else {
                    endWaiter = continuation
                }
            }
        } onCancel: {
            self.end(.closed)
        }
    }

    /// The HTTP/2 request task ended the response. Call on the loop.
    func finished() {
        lastWriteTimeout?.cancel()
        machine.finished()
    }

    /// Unregisters the stream, releases its slot and takes its output out of the pipeline; the
    /// connection stays for the next request. Call once the response is over, on the loop.
    func release() {
        guard !released else { return }
        released = true
        lastWriteTimeout?.cancel()
        stopQueueing()
        if let subscriber { opening.hub.unsubscribe(subscriber) }
        opening.slot?.release()
        output.connection = nil
        output.remove()
    }
}

/// A stream's pipeline has no HTTP/1.1 encoder or HTTP/2 stream codec to write through.
struct StreamSetupError: Error {}

/// A replay write came after its stream stopped replaying (it ended).
struct StreamEndedError: Error {}
