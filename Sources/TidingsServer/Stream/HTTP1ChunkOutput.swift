import NIOCore
import NIOHTTP1

/// A stream's output on an HTTP/1.1 connection: each frame as one chunk of the chunked response
/// body, written in one write.
///
/// It sits just below NIO's `HTTPResponseEncoder` (above TLS, when there is TLS), so Hummingbird
/// writes the response head and, at the end, the last chunk through the encoder, while every
/// frame between goes here, already framed: the hub frames each event once
/// (``Subscriber/QueuedFrame/chunk``) for every HTTP/1.1 stream, where the encoder would make
/// three writes and a buffer per frame and stream. The encoder frames a body without a length as
/// chunks on HTTP/1.1, and `/events` answers without a length.
final class HTTP1ChunkOutput: ChannelDuplexHandler, RemovableChannelHandler, StreamOutput {
    typealias InboundIn = NIOAny
    typealias OutboundIn = NIOAny
    typealias OutboundOut = IOData

    weak var connection: StreamConnection?
    private var context: ChannelHandlerContext?

    /// Adds an output to `channel`'s pipeline below its HTTP/1 response encoder; `nil` when the
    /// pipeline has none. Call on the channel's event loop.
    static func install(on channel: any Channel) throws -> HTTP1ChunkOutput? {
        let pipeline = channel.pipeline.syncOperations
        let encoder: HTTPResponseEncoder
        do {
            encoder = try pipeline.handler(type: HTTPResponseEncoder.self)
        } catch ChannelPipelineError.notFound {
            return nil
        }
        let output = HTTP1ChunkOutput()
        try pipeline.addHandler(output, position: .before(encoder))
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
        guard frame.chunk.readableBytes > 0 else { return }
        context?.write(wrapOutboundOut(.byteBuffer(frame.chunk)), promise: nil)
    }

    func write(_ bytes: ByteBuffer, promise: EventLoopPromise<Void>?) {
        guard let context else {
            promise?.fail(ChannelError.ioOnClosedChannel)
            return
        }
        let chunk = HTTPChunk.framing(bytes)
        guard chunk.readableBytes > 0 else {
            promise?.succeed(())
            return
        }
        context.write(wrapOutboundOut(.byteBuffer(chunk)), promise: promise)
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

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        // Hummingbird allows half-closure: a client's FIN leaves the channel open.
        if case ChannelEvent.inputClosed = event { connection?.end(.closed) }
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
