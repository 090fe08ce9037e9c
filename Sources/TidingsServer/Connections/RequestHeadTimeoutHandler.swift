import NIOCore
import NIOHTTPTypes

/// Closes an HTTP/1 connection whose first request line and headers have not all arrived
/// within `limits.request_head` of the connection opening (slowloris).
///
/// It sits after HTTP decoding, so a request head counts once it is complete. Between later
/// requests of a kept-alive connection, Hummingbird's idle timeout (`limits.idle`) applies.
final class RequestHeadTimeoutHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart

    private let timeout: TimeAmount
    private var scheduled: Scheduled<Void>?
    private var headArrived = false

    init(timeout: TimeAmount) {
        self.timeout = timeout
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { arm(context) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        scheduled?.cancel()
        scheduled = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        arm(context)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head = unwrapInboundIn(data), !headArrived {
            headArrived = true
            scheduled?.cancel()
            scheduled = nil
        }
        context.fireChannelRead(data)
    }

    private func arm(_ context: ChannelHandlerContext) {
        guard scheduled == nil, !headArrived else { return }
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        scheduled = context.eventLoop.scheduleTask(in: timeout) {
            loopBound.value.close(promise: nil)
        }
    }
}
