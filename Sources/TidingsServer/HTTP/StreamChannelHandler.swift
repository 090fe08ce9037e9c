import NIOCore

/// A stream's watch on its connection, in its pipeline for the life of one stream: just above
/// HTTP/1.1's encoder (so above TLS), or first on an HTTP/2 stream's channel.
///
/// It tells the stream at once when its client has gone: the connection's input closed (a FIN:
/// Hummingbird allows half-closure, so the channel itself stays open), the channel (an HTTP/2
/// stream, or the connection) became inactive, or it failed. So a stream's slot and subscription
/// are released when the client leaves, not at its next write.
///
/// Once the stream runs on its event loop (``StreamDriver``), the watch also keeps the connection
/// for it. Hummingbird's request task ends by closing the connection; those closes are answered
/// here without closing anything, while the stream's own ``closeConnection()`` goes through. It
/// drains the stream when the socket takes writes again, ends it when the server quiesces, and
/// keeps asking for reads, which Hummingbird's finished request reader no longer does, so a
/// client's FIN is still seen.
final class StreamChannelHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny
    typealias OutboundIn = NIOAny

    private var subscriber: Subscriber?
    private var context: ChannelHandlerContext?
    /// The stream runs on the event loop: the request's task is gone or going.
    private var runsOnLoop = false
    /// The stream closes its connection: closes pass.
    private var closing = false

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        // The subscriber's close closure holds this handler: let go, so neither outlives the pipeline.
        subscriber = nil
    }

    /// Starts telling `subscriber` what happens to the connection.
    func watch(_ subscriber: Subscriber) {
        self.subscriber = subscriber
    }

    /// The stream's writer handed the stream to the event loop; its task is about to end.
    func runOnLoop() {
        runsOnLoop = true
        context?.read()
    }

    /// Closes the connection, past the guard that keeps it open for a stream on the loop.
    func closeConnection() {
        closing = true
        context?.channel.close(promise: nil)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case ChannelEvent.inputClosed = event { subscriber?.end(.closed) }
        if runsOnLoop && event is ChannelShouldQuiesceEvent {
            subscriber?.end(.shutdown)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        subscriber?.end(.closed)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if runsOnLoop { subscriber?.end(.closed) }
        context.fireErrorCaught(error)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if runsOnLoop && context.channel.isWritable { subscriber?.drain() }
        context.fireChannelWritabilityChanged()
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        context.fireChannelReadComplete()
        if runsOnLoop { context.read() }
    }

    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        guard closing || !runsOnLoop else {
            promise?.succeed(())
            return
        }
        context.close(mode: mode, promise: promise)
    }
}
