import HummingbirdCore
import NIOCore

/// Holds back the end of an HTTP/1.1 stream's response, and anything written after it, until the
/// stream ends; then writes them, in order, and leaves the pipeline.
///
/// It lets a stream outlive its request's task: Hummingbird's request handling returns as soon as
/// the stream is open, writes the response's end, and goes back to waiting for the connection's
/// next request, with the shallow stack of an idle keep-alive connection, while the stream runs on
/// the event loop. The end reaches NIO's encoder (which writes the last chunk) only once the
/// stream has ended; a response Hummingbird writes meanwhile (to a pipelined request) waits behind
/// it. Nothing else is held: reads, flushes and closes pass, and held writes fail if the channel
/// closes first.
///
/// It sits right after Hummingbird's `HTTPConnectionStateHandler`, which so sees the response end
/// when the client does: the connection counts as busy while the stream runs (no idle timeout),
/// and a graceful shutdown closes it once the end is written.
final class StreamResponseGate: ChannelOutboundHandler, RemovableChannelHandler {
    typealias OutboundIn = NIOAny

    private var held: [(data: NIOAny, promise: EventLoopPromise<Void>?)] = []
    private var context: ChannelHandlerContext?
    private var isOpen = false

    /// Adds a gate after `channel`'s HTTP connection state handler; `nil` when the pipeline has
    /// none. Call on the channel's event loop.
    static func install(on channel: any Channel) throws -> StreamResponseGate? {
        let pipeline = channel.pipeline.syncOperations
        let state: HTTPConnectionStateHandler
        do {
            state = try pipeline.handler(type: HTTPConnectionStateHandler.self)
        } catch ChannelPipelineError.notFound {
            return nil
        }
        let gate = StreamResponseGate()
        try pipeline.addHandler(gate, position: .after(state))
        return gate
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        failHeld()
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard isOpen else {
            held.append((data, promise))
            return
        }
        context.write(data, promise: promise)
    }

    /// The stream ended: writes what was held, flushes, and leaves the pipeline.
    func open() {
        guard !isOpen else { return }
        isOpen = true
        guard let context else { return }
        let held = self.held
        self.held = []
        for (data, promise) in held { context.write(data, promise: promise) }
        context.flush()
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }

    private func failHeld() {
        let held = self.held
        self.held = []
        for (_, promise) in held { promise?.fail(ChannelError.ioOnClosedChannel) }
    }
}
