import NIOCore
import NIOPosix

/// A bare TCP connection to a test server: bytes in, bytes out, and when the server closes it.
/// For the clients a real HTTP client would never be: silent, slow, half-finished.
package struct RawConnection: Sendable {
    package let channel: any Channel
    /// Every byte the server sent, in order; finishes when the connection closes.
    package let received: AsyncStream<ByteBuffer>

    package static func connect(port: Int) async throws -> RawConnection {
        let (stream, continuation) = AsyncStream.makeStream(of: ByteBuffer.self)
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(Collector(continuation: continuation))
                }
            }
            .connect(host: "127.0.0.1", port: port)
            .get()
        return RawConnection(channel: channel, received: stream)
    }

    package func send(_ text: String) async throws {
        try await channel.writeAndFlush(ByteBuffer(string: text))
    }

    /// Waits until the server closes the connection; returns what it sent meanwhile.
    package func untilClosed() async -> String {
        var text = ""
        for await buffer in received { text += String(buffer: buffer) }
        return text
    }

    package func close() async {
        try? await channel.close()
    }

    private final class Collector: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let continuation: AsyncStream<ByteBuffer>.Continuation
        init(continuation: AsyncStream<ByteBuffer>.Continuation) { self.continuation = continuation }
        func channelRead(context: ChannelHandlerContext, data: NIOAny) { continuation.yield(unwrapInboundIn(data)) }
        func channelInactive(context: ChannelHandlerContext) {
            continuation.finish()
            context.fireChannelInactive()
        }
    }
}
