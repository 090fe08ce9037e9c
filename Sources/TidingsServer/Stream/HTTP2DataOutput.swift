import HTTPTypes
import NIOCore
import NIOHTTPTypes
import NIOHTTPTypesHTTP2

/// A stream's output on an HTTP/2 stream: each frame as one body part, which the stream's codec
/// (`HTTP2FramePayloadToHTTPServerCodec`) sends as one DATA frame.
///
/// It sits just above that codec, the first handler of the stream's channel, so Hummingbird's
/// response head and end and these body parts meet at the codec in the order they were written.
final class HTTP2DataOutput: ChannelDuplexHandler, RemovableChannelHandler, StreamOutput {
    typealias InboundIn = NIOAny
    typealias OutboundIn = NIOAny
    typealias OutboundOut = HTTPResponsePart

    weak var connection: StreamConnection?
    private var context: ChannelHandlerContext?

    /// Adds an output to an HTTP/2 stream channel's pipeline above its HTTP codec; `nil` when the
    /// pipeline has none. Call on the channel's event loop.
    static func install(on channel: any Channel) throws -> HTTP2DataOutput? {
        let pipeline = channel.pipeline.syncOperations
        let codec: HTTP2FramePayloadToHTTPServerCodec
        do {
            codec = try pipeline.handler(type: HTTP2FramePayloadToHTTPServerCodec.self)
        } catch ChannelPipelineError.notFound {
            return nil
        }
        let output = HTTP2DataOutput()
        try pipeline.addHandler(output, position: .after(codec))
        return output
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        connection = nil
    }

    func write(_ frame: Subscriber.QueuedFrame) {
        guard frame.bytes.readableBytes > 0 else { return }
        context?.write(wrapOutboundOut(.body(frame.bytes)), promise: nil)
    }

    func write(_ bytes: ByteBuffer, promise: EventLoopPromise<Void>?) {
        guard let context else {
            promise?.fail(ChannelError.ioOnClosedChannel)
            return
        }
        context.write(wrapOutboundOut(.body(bytes)), promise: promise)
    }

    func flush() {
        context?.flush()
    }

    func remove() {
        guard let context else { return }
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        connection?.writabilityChanged(context.channel.isWritable)
        context.fireChannelWritabilityChanged()
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
