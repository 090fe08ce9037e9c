import NIOCore

/// Tells a stream that its client has gone: the connection's input closed (a FIN: Hummingbird
/// allows half-closure, so the channel itself stays open) or the channel (an HTTP/2 stream, or
/// the connection) became inactive.
///
/// A stream learns of it at once, not at its next write, so its slot and subscription are
/// released when the client leaves. It sits at the front of the pipeline for the life of one
/// stream; a handler costs a fraction of the task that watching the request body would.
final class StreamCloseHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny

    private var onClose: (@Sendable () -> Void)?

    init(onClose: @escaping @Sendable () -> Void) {
        self.onClose = onClose
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case ChannelEvent.inputClosed = event { close() }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        close()
        context.fireChannelInactive()
    }

    private func close() {
        onClose?()
        onClose = nil
    }
}
