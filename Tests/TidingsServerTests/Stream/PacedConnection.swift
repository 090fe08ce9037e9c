import NIOCore
import NIOPosix
import NIOSSL

/// A raw HTTP/1.1 `/events` client, plain or TLS, that reads only when asked, through a tiny
/// socket receive buffer and reads of a fixed small size: a slow reader the server must hold
/// back for, not a mock.
/// `@unchecked Sendable`: read by one task at a time.
final class PacedConnection: @unchecked Sendable {
    private let channel: any Channel
    private var chunks: AsyncStream<ByteBuffer>.AsyncIterator

    private init(channel: any Channel, chunks: AsyncStream<ByteBuffer>) {
        self.channel = channel
        self.chunks = chunks.makeAsyncIterator()
    }

    /// Connects to `port` on loopback and sends `GET path` with `Last-Event-ID` when given.
    static func open(
        port: Int,
        tls: NIOSSLContext?,
        path: String,
        lastEventID: Int64?,
        receiveBuffer: Int,
        readSize: Int
    ) async throws -> PacedConnection {
        let (chunks, continuation) = AsyncStream.makeStream(of: ByteBuffer.self)
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.socketOption(.so_rcvbuf), value: SocketOptionValue(receiveBuffer))
            .channelOption(.autoRead, value: false)
            .channelOption(.maxMessagesPerRead, value: 1)
            .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: readSize))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls {
                        try channel.pipeline.syncOperations.addHandler(try NIOSSLClientHandler(context: tls, serverHostname: "localhost"))
                    }
                    try channel.pipeline.syncOperations.addHandler(Collector(continuation: continuation))
                }
            }
            .connect(host: "127.0.0.1", port: port)
            .get()
        var request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        if let lastEventID { request += "Last-Event-ID: \(lastEventID)\r\n" }
        request += "\r\n"
        // Not awaited: over TLS, the request goes once the handshake is done, which takes reads.
        channel.writeAndFlush(ByteBuffer(string: request), promise: nil)
        return PacedConnection(channel: channel, chunks: chunks)
    }

    /// Reads once; `nil` once the server closed the connection.
    func read() async -> ByteBuffer? {
        channel.read()
        return await chunks.next()
    }

    func close() {
        channel.close(promise: nil)
    }

    /// Hands each read to the stream; asks for another read while TLS consumed one without
    /// giving anything (a handshake or a partial record).
    private final class Collector: ChannelDuplexHandler {
        typealias InboundIn = ByteBuffer
        typealias OutboundIn = ByteBuffer
        let continuation: AsyncStream<ByteBuffer>.Continuation
        private var delivered = true

        init(continuation: AsyncStream<ByteBuffer>.Continuation) {
            self.continuation = continuation
        }

        func read(context: ChannelHandlerContext) {
            delivered = false
            context.read()
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            delivered = true
            continuation.yield(unwrapInboundIn(data))
        }

        func channelReadComplete(context: ChannelHandlerContext) {
            if !delivered { context.read() }
        }

        func channelInactive(context: ChannelHandlerContext) {
            continuation.finish()
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            continuation.finish()
            context.close(promise: nil)
        }
    }
}
