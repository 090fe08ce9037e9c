import NIOCore

/// Where one stream's bytes go: a handler in the stream's pipeline that writes SSE frames in its
/// protocol's framing (``StreamFraming``) through its own context, and tells the stream's
/// ``StreamConnection`` what happens to the connection.
///
/// One class for both protocols: what differs (the framing, the place in the pipeline, whether a
/// client's FIN ends the stream) is the framing's. Everything is called on the channel's event
/// loop. Writes are not flushed until ``flush()``: a stream writes everything a drain gave it,
/// then flushes once.
final class StreamOutput<Framing: StreamFraming>: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny
    typealias OutboundIn = NIOAny
    typealias OutboundOut = Framing.Part

    /// Receives the connection's events (writability, the client leaving) while set. Strong: the
    /// pipeline owns the output and the output its stream, until the output leaves the pipeline.
    var connection: StreamConnection?
    private var context: ChannelHandlerContext?

    /// Adds an output to `channel`'s pipeline where ``StreamFraming/add(_:to:)`` puts it; `nil`
    /// when the pipeline is not of the framing's protocol. Call on the channel's event loop.
    static func install(on channel: any Channel) throws -> StreamOutput? {
        let output = StreamOutput()
        return try Framing.add(output, to: channel.pipeline.syncOperations) ? output : nil
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        connection = nil
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        connection?.writabilityChanged(context.channel.isWritable)
        context.fireChannelWritabilityChanged()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if Framing.inputClosedEndsStream, case ChannelEvent.inputClosed = event { connection?.end(.closed) }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        connection?.end(.closed)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        connection?.end(.closed)
        context.fireErrorCaught(error)
    }
}

extension StreamOutput: StreamWriting {
    func write(_ frame: Subscriber.QueuedFrame) {
        guard let context, let part = Framing.part(for: frame) else { return }
        context.write(wrapOutboundOut(part), promise: nil)
    }

    func write(_ bytes: ByteBuffer, promise: EventLoopPromise<Void>?) {
        guard let context else {
            promise?.fail(ChannelError.ioOnClosedChannel)
            return
        }
        guard let part = Framing.part(for: bytes) else {
            promise?.succeed(())
            return
        }
        context.write(wrapOutboundOut(part), promise: promise)
    }

    func flush() {
        context?.flush()
    }

    func remove() {
        connection = nil
        guard let context else { return }
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }
}
