import Hummingbird
import Logging
import NIOCore
import NIOHTTP1
import Synchronization
import TidingsCore

/// One `/events` stream from registration to its end, whichever runs it: the request's writer
/// task, then its channel's event loop, as its ``StreamDriver``, with a writer task started again
/// only to replay a gap from the log.
///
/// An idle stream on the loop holds no task: its state is the subscriber, this object and the
/// watch in its pipeline (``StreamChannelHandler``). Its registration, its token's stream slot and
/// its watch are released exactly once, by whichever ends it.
final class StreamSession: StreamDriver {
    let subscriber: Subscriber
    /// The hub's cursor when the stream registered.
    let cursor: Int64?
    private let hub: Hub
    private let writer: StreamWriter
    private let slot: StreamLimiter.Slot?
    private let channel: any Channel
    private let direct: DirectOutput?
    /// `nil` when the pipeline was closed before the stream began (it ends at once).
    private let watch: NIOLoopBound<StreamChannelHandler>?
    private let finished = Atomic(false)
    private let released = Atomic(false)

    /// Registers a stream on `channel`'s pipeline and with the hub. Call on the channel's event
    /// loop (the request's writer runs there: see ``EventLoopTaskExecutor``).
    /// - Parameter writesBody: false for a `HEAD` request, whose body the encoder drops: then
    ///   nothing may bypass the encoder.
    init(
        hub: Hub,
        replay: LogReplay,
        grant: Grant,
        stream: StreamSettings,
        expiresAt: ContinuousClock.Instant?,
        slot: StreamLimiter.Slot?,
        channel: any Channel,
        writesBody: Bool,
        logger: Logger
    ) {
        let watch: NIOLoopBound<StreamChannelHandler>?
        if channel.eventLoop.inEventLoop {
            let handler = StreamChannelHandler()
            let pipeline = channel.pipeline.syncOperations
            // Above HTTP/1.1's encoder, so Hummingbird's closes reach it before TLS's; first on an HTTP/2 stream.
            let encoder = try? pipeline.handler(type: HTTPResponseEncoder.self)
            // Adding it fails only on a closed pipeline; the isActive check below ends that stream.
            let added = (try? pipeline.addHandler(handler, position: encoder.map { .after($0) } ?? .first)) != nil
            watch = added ? NIOLoopBound(handler, eventLoop: channel.eventLoop) : nil
            // Before the direct output, which hands plain HTTP/1.1's chunks to it.
            SocketSendHandler.install(on: channel)
        } else {
            watch = nil
        }
        let direct = writesBody ? DirectOutput(channel: channel) : nil
        let (subscriber, cursor) = hub.subscribe(
            grant: grant,
            capacity: stream.buffer,
            expiresAt: expiresAt,
            direct: direct,
            closeConnection: {
                channel.eventLoop.execute {
                    if let watch { watch.value.closeConnection() } else { channel.close(promise: nil) }
                }
            }
        )
        self.subscriber = subscriber
        self.cursor = cursor
        self.hub = hub
        self.writer = StreamWriter(hub: hub, replay: replay, subscriber: subscriber, logger: logger)
        self.slot = slot
        self.channel = channel
        self.direct = direct
        self.watch = watch
        watch?.value.watch(subscriber)
        if !channel.isActive { subscriber.end(.closed) }
    }

    /// Runs the stream in the request's writer task until it ends or is handed to the event loop.
    func run(writer body: inout any ResponseBodyWriter, resumeAfter lastEventID: Int64?) async throws -> StreamWriter.Outcome {
        let outcome = try await writer.run(
            writer: &body,
            resumeAfter: lastEventID,
            cursor: cursor,
            handOffTo: watch == nil ? nil : self
        )
        if outcome == .handedOff {
            watch?.value.runOnLoop()
            hub.handedOff()
        }
        return outcome
    }

    /// Releases the stream once its writer task ended it (not for a stream on the loop, which
    /// ``finish(_:)`` releases). The connection stays open for the next request.
    func release() {
        release(removingWatch: true)
    }

    private func release(removingWatch: Bool) {
        guard !released.exchange(true, ordering: .acquiringAndReleasing) else { return }
        if removingWatch, let watch, channel.eventLoop.inEventLoop {
            _ = channel.pipeline.syncOperations.removeHandler(watch.value)
        }
        hub.unsubscribe(subscriber)
        slot?.release()
    }

    // MARK: StreamDriver

    func resumeWriter() {
        guard let direct else { return }
        Task(executorPreference: EventLoopTaskExecutor(eventLoop: channel.eventLoop)) { [self] in
            var body: any ResponseBodyWriter = DirectBodyWriter(output: direct)
            let outcome: StreamWriter.Outcome
            do {
                outcome = try await writer.writeLive(writer: &body, handOffTo: self)
            } catch {
                outcome = .ended(.closed)
            }
            guard case .ended(let ending) = outcome else { return hub.handedOff() }
            channel.eventLoop.execute { self.finish(ending) }
        }
    }

    func finish(_ ending: Subscriber.Ending) {
        guard !finished.exchange(true, ordering: .acquiringAndReleasing) else { return }
        if ending == .cutOff { writer.logger.info("subscriber cut off: its client stopped reading") }
        // The watch stays: it keeps reads going while TLS closes. The pipeline drops it with the channel.
        release(removingWatch: false)
        let last: EventLoopFuture<Void>?
        switch ending {
        case .expired: last = direct?.writeEnd(after: SSEFrame.expired)
        case .shutdown: last = direct?.writeEnd(after: nil)
        case .closed, .cutOff: last = nil
        }
        guard let last else { return closeConnection() }
        // A client that stopped reading never takes those last bytes: it is closed on anyway.
        let timeout = channel.eventLoop.scheduleTask(in: Self.lastWriteTimeout) { self.closeConnection() }
        last.whenComplete { _ in
            timeout.cancel()
            self.closeConnection()
        }
    }

    /// How long the end of a response may wait for the socket before the connection closes.
    private static let lastWriteTimeout = TimeAmount.seconds(5)

    private func closeConnection() {
        if let watch { watch.value.closeConnection() } else { channel.close(promise: nil) }
    }
}
